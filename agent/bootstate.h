/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What vfpt records about boots, so that `status` can tell whether the
 * initramfs carries the config now in /etc and whether a reboot is due:
 *   /var/lib/vfpt/initramfs-KVER  "DIGEST TOOL": written by the dracut module
 *                                 and the initramfs-tools hook at build time
 *   /run/vfpt/boot-config         "DIGEST": written by the early run in the
 *                                 initramfs (systemd keeps /run across the
 *                                 switch to the real root)
 * DIGEST is FNV-1a 64 over each config file's name and content, in the
 * order they are read: a change of any drop-in changes it. */

#define DIGEST_MAX 17

int config_digest(const struct config *c, char out[static DIGEST_MAX]);

int bootstate_record_boot(const char *digest);
/* -ENOENT when the initramfs did not run vfpt this boot */
int bootstate_read_boot(char out[static DIGEST_MAX]);

/* /run/vfpt/disabled: the initramfs part of this boot was off (rd.vfpt=0) */
int bootstate_record_disabled(const char *param);
int bootstate_read_disabled(char *buf, size_t n);

/* kver: a kernel release (no '/'); tool: "dracut" or "initramfs-tools" */
int bootstate_record_initramfs(const char *kver, const char *tool, const char *digest);
int bootstate_read_initramfs(const char *kver, char digest[static DIGEST_MAX], char *tool, size_t n);

/* vfpt=off (every part of this boot) or rd.vfpt=0 (the initramfs only): the
 * way back. Returns true with the parameter in force in buf. */
bool vfpt_disabled(bool initrd, char *buf, size_t n);
