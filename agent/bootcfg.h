/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Making kernel arguments effective for the next boot: the boot loader's
 * generated configuration and the places that hold a command line of their
 * own (BLS entries, grubenv kernelopts, /etc/kernel/cmdline). Paths are
 * below $VFPT_ROOT (tests, image builders). External tools run with an
 * argv, never through a shell. */

/* The tool that regenerates grub.cfg here, as an argv (NULL-terminated,
 * static storage). -ENOENT if there is none. */
int bootcfg_tool(const char *const **ret_argv);
/* Runs it; on failure *err holds its stderr (or why it could not run). */
int bootcfg_regenerate(char **err);

/* BLS entries' options lines (or grubenv kernelopts where they use
 * $kernelopts) and /etc/kernel/cmdline get want. dry: count only. Returns
 * the number of files changed (or that would be), -errno with *failed set
 * to the file concerned. */
int bootcfg_patch_cmdlines(char *const *want, bool bls, bool dry, char ***changed, char **failed);
