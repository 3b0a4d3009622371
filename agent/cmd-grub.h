/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the grub command (cmd-grub.c) lends the others: its apply as a step
 * of vfpt apply, and status's view of the next boot. */

#include <stdbool.h>

struct config;
struct json;

/* patch_grub: grub apply of /etc/default/grub for vfpt apply; with j, a
 * "grub" member of apply's document, else lines on stdout. An exit code. */
int grub_apply_for_apply(const struct config *c, struct json *j);

/* status: what the boot configuration gives at the next boot against this
 * boot (/proc/cmdline), and why the IOMMU is off when the arguments are on. */
struct next_boot {
        char *source;        /* the file read, NULL when there is none */
        char **adds;         /* wanted arguments missing now that the next boot has */
        char **lacks;        /* ... that the next boot lacks too */
        char *iommu_hint;    /* the arguments are in force, the IOMMU is not: why */
        bool reboot;         /* a reboot brings the arguments */
};
void next_boot_judge(char *const *want, char *const *have, bool iommu, struct next_boot *nb);
void next_boot_print(const struct next_boot *nb);
void next_boot_json(struct json *j, const struct next_boot *nb);
void next_boot_done(struct next_boot *nb);
