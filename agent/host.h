/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Facts about the running host from /proc. */

/* The running kernel's parameters (/proc/cmdline), split. */
int host_cmdline(char ***ret);
/* kernel_args of the config as this CPU needs them ("auto" resolved). */
struct config;
int host_kernel_args(const struct config *c, char ***ret);
