/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Unified kernel images (issue 27.4): a UKI carries its command line in a
 * .cmdline PE section, so an edit of /etc/kernel/cmdline reaches the
 * kernel only when the UKI is rebuilt, and with Secure Boot on systemd-stub
 * ignores a command line the loader passes to an image that embeds one. */

struct uki_state {
        bool layout_uki;     /* layout=uki in kernel-install's install.conf */
        char **images;       /* the UKIs on the ESPs (host paths) */
        char **embedded;     /* those with a .cmdline section */
        int secure_boot;     /* 1 on, 0 off, -1 cannot tell (no efivars) */
};

int uki_detect(struct uki_state *ret);
void uki_state_done(struct uki_state *s);
/* One line saying what reaches the kernel, NULL when no UKI is in use */
char *uki_verdict(const struct uki_state *s);
