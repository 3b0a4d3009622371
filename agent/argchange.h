/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* What the next boot's kernel arguments change for the IOMMU against this
 * boot's, while the IOMMU may well be on now (issue 32): an IOMMU switch
 * turned off or dropped (no group, so no claim, at the next boot),
 * passthrough added or removed (groups and claims as they are), the ACS
 * parameters changed (groups may change). */
struct arg_changes {
        char **changes; /* "iommu=pt added", "intel_iommu=on -> intel_iommu=off", NULL when none */
        char *no_iommu; /* why the next boot will have no IOMMU, NULL when it will (or cannot tell) */
        bool groups_may_change;
};

/* want: the arguments vfpt wants; needed: those of them the kernel does not
 * have by default (so dropping one matters); have: this boot's; next: the
 * next boot's (NULL: unknown, nothing judged). 0 or -ENOMEM. */
int arg_changes_judge(char *const *want, char *const *needed, char *const *have, char *const *next,
                      struct arg_changes *ac);
void arg_changes_done(struct arg_changes *ac);
