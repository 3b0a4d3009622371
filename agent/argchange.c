/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The next boot's IOMMU arguments against this boot's (argchange.h). */
#include <errno.h>
#include <stdlib.h>

#include "argchange.h"
#include "cmdline.h"
#include "util.h"

static const char *const iommu_params[] = {
        "intel_iommu", "amd_iommu", "iommu", "iommu.passthrough", /* on, off, passthrough */
        "pcie_acs_override", "disable_acs_redir", "config_acs",     /* the groups */
};

/* every occurrence of name, in order ("intel_iommu=on intel_iommu=igfx_off"),
 * "" for none; NULL on ENOMEM */
static char *occurrences(char *const *params, const char *name) {
        _cleanup_strv_free_ char **l = NULL;
        for (char *const *p = params; p && *p; p++)
                if (cmdline_names_equal(*p, name) && strv_extend(&l, *p) < 0)
                        return NULL;
        return strv_join(l, " ");
}

static bool enables_iommu(const char *arg) {
        return cmdline_names_equal(arg, "intel_iommu") || cmdline_names_equal(arg, "amd_iommu");
}

int arg_changes_judge(char *const *want, char *const *needed, char *const *have, char *const *next,
                      struct arg_changes *ac) {
        *ac = (struct arg_changes) {};
        if (!next)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(iommu_params); i++) {
                _cleanup_free_ char *a = occurrences(have, iommu_params[i]), *b = occurrences(next, iommu_params[i]);
                char *s;
                if (!a || !b)
                        return -ENOMEM;
                if (streq(a, b))
                        continue;
                s = !*a ? strdupf("%s added", b) : !*b ? strdupf("%s removed", a) : strdupf("%s -> %s", a, b);
                if (strv_push(&ac->changes, s) < 0)
                        return -ENOMEM;
                if (i >= 4)
                        ac->groups_may_change = true;
        }
        for (char *const *w = want; w && *w && !ac->no_iommu; w++) {
                if (!enables_iommu(*w))
                        continue;
                int k = cmdline_conflict(next, *w);
                if (k >= 0)
                        ac->no_iommu = strdupf("%s on its command line", next[k]);
                else if (strv_contains(needed, *w) && cmdline_satisfies(have, *w) && !cmdline_satisfies(next, *w))
                        ac->no_iommu = strdupf("its command line lacks %s", *w);
                else
                        continue;
                if (!ac->no_iommu)
                        return -ENOMEM;
        }
        return 0;
}

void arg_changes_done(struct arg_changes *ac) {
        strv_free(ac->changes);
        free(ac->no_iommu);
        *ac = (struct arg_changes) {};
}
