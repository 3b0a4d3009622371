/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What an up host learns for the next boot's initramfs (protect.h, port.h),
 * recorded by apply (learn_protected) and initramfs-hook. Failures are
 * warnings: the boot then defers what it cannot judge. */

struct config;
struct engine;

/* The protected set: the engine's, or a new one when it has none; then
 * learn_ports() for its config. */
void learn_protected(struct engine *e);
/* The ports behind the config's [sriov IFNAME] selectors. */
void learn_ports(const struct config *c);
