/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* status's evaluation of the host against the config (cmd-device.c), for
 * each of its renderings: status's lines and --json, and metrics'
 * Prometheus text (cmd-metrics.c). */

#include <stdbool.h>

#include "cmd-grub.h"
#include "engine.h"

struct config;
struct next_run;

/* What the boot records say against the config now. */
struct boot_view {
        char disabled[64];      /* "vfpt=off", "rd.vfpt=0" or "" */
        char kver[65];
        char tool[32];
        bool recorded;          /* the initramfs of kver was built with vfpt's hook */
        bool rebuild;           /* ... from another config */
        bool stale;             /* ... with another protected set or ports than the up host learns now */
        char stale_why[256];
        bool reboot;            /* this boot's initramfs ran another config */
        const char *command;    /* the rebuild command */
};

struct status_view {
        char **want;            /* kernel_args resolved */
        char **have;            /* /proc/cmdline */
        char **needed;          /* want without what the kernels' configs give by default */
        bool *by_default;       /* by_default[i] for want[i] */
        bool iommu;             /* the IOMMU is active on this boot */
        struct engine e;        /* a PLAN run: each configured device now against the config */
        struct next_run *nr;    /* the next boot's run, while the IOMMU is off */
        char **mispredicted;
        bool prediction_checked;
        struct boot_view bv;
        struct next_boot nb;
        bool drift;             /* status exits 1 */
};

/* kernel_args[i] is in force on this boot (the command line or the kernel's config) */
bool status_arg_in_effect(const struct status_view *v, size_t i);

/* 0, or an exit code after the error was said (nothing is left to free then) */
int status_evaluate(const struct config *c, struct status_view *v);
void status_view_done(struct status_view *v);

/* the name vfpt.conf(5) gives a VF_SET_* bit, NULL for none */
const char *vf_setting_key(unsigned bit);
