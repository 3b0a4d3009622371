/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The last `vfpt apply` of this boot, for metrics:
 *   /run/vfpt/last-apply  "TIME EXIT CHANGES FAILURES MODE"
 * TIME in seconds since the epoch, EXIT its exit status, CHANGES the writes
 * and module loads it made, FAILURES the devices it could not bring to the
 * config, MODE "early" (the initramfs), "late" (vfpt-late.service) or
 * "default". /run, like the boot record (bootstate.h): the initramfs's run
 * is carried into the real root, and a reboot starts afresh. */
struct last_apply {
        long long time;
        int exit_code;
        unsigned changes, failures;
        char mode[16];
};

int last_apply_record(const struct last_apply *a);
/* -ENOENT when no apply ran on this boot, -EBADMSG for a malformed record */
int last_apply_read(struct last_apply *ret);
