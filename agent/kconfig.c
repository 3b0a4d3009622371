/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's IOMMU defaults from its build configuration (kconfig.h). */
#include <dirent.h>
#include <stdio.h>

#include "cmdline.h"
#include "kconfig.h"
#include "paths.h"
#include "util.h"

#define KCONFIG_MAX (4u << 20)

/* "y" or "m" for CONFIG_NAME in kver's config; 0 if "is not set" or absent,
 * -errno if the config cannot be read */
static int kconfig_is_set(const char *kver, const char *name) {
        _cleanup_free_ char *p = NULL, *s = NULL;
        int r;

        if (!kver || !*kver || strchr(kver, '/'))
                return -EINVAL;
        p = strdupf("%s%s%s", path_root(), BOOT_CONFIG_PREFIX, kver);
        if (!p)
                return -ENOMEM;
        r = read_file(p, KCONFIG_MAX, &s, NULL);
        if (r < 0)
                return r;
        size_t n = strlen(name);
        for (char *c = s, *l; (l = line_next(&c));)
                if (strncmp(l, name, n) == 0 && l[n] == '=')
                        return l[n + 1] == 'y' || l[n + 1] == 'm';
        return 0;
}

/* One option of one parameter that a kernel config makes the default. */
static const struct {
        const char *param, *option, *config;
} defaults[] = {
        /* drivers/iommu/intel/iommu.c: dmar_disabled = !CONFIG_INTEL_IOMMU_DEFAULT_ON */
        { "intel_iommu", "on", "CONFIG_INTEL_IOMMU_DEFAULT_ON" },
        /* 6.2+: on, but not for the integrated GPU: the IOMMU is on all the same */
        { "intel_iommu", "on", "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF" },
        { "intel_iommu", "sm_on", "CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON" },
        /* drivers/iommu/amd/init.c: the AMD IOMMU is on whenever it is built in */
        { "amd_iommu", "on", "CONFIG_AMD_IOMMU" },
        /* drivers/iommu/iommu.c: iommu_def_domain_type = IDENTITY */
        { "iommu", "pt", "CONFIG_IOMMU_DEFAULT_PASSTHROUGH" },
};

/* param=opt if kver's config makes opt of arg's parameter the default, else NULL */
static char *option_default(const char *kver, const char *arg, const char *opt, size_t olen) {
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                const char *d = defaults[i].param;
                if (!cmdline_names_equal(d, arg) || strlen(defaults[i].option) != olen ||
                    strncmp(defaults[i].option, opt, olen) != 0)
                        continue;
                if (kconfig_is_set(kver, defaults[i].config) > 0)
                        return strdupf("%s=%s", d, defaults[i].option);
        }
        return NULL;
}

bool kconfig_arg_default(const char *kver, const char *arg, char *const *cmdline) {
        _cleanup_strv_free_ char **l = NULL;
        const char *eq = strchr(arg, '=');

        if (!eq || eq == arg || !eq[1])
                return false;
        /* every option wanted must be a default; the defaults then act as if
         * written before the command line, which undoes them as the kernel's
         * handlers would (intel_iommu=off intel_iommu=igfx_off: off is the
         * last on/off; iommu=off for good; iommu=nopt iommu=force: nopt):
         * cmdline.c's simulation of them */
        for (const char *p = eq + 1; *p;) {
                size_t k = strcspn(p, ",");
                if (k) {
                        char *d = option_default(kver, arg, p, k);
                        if (!d || strv_push(&l, d) < 0)
                                return false;
                }
                p += k;
                p += strspn(p, ",");
        }
        for (char *const *c = cmdline; c && *c; c++)
                if (strv_extend(&l, *c) < 0)
                        return false;
        return l && cmdline_satisfies(l, arg);
}

int kconfig_next_kernel(char *buf, size_t n) {
        _cleanup_free_ char *dir = path_rooted(BOOT_DIR);
        const char *base = BOOT_CONFIG_PREFIX + sizeof(BOOT_DIR);
        struct dirent *de;
        char best[256] = "";
        DIR *d;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, base, strlen(base)) == 0 && de->d_name[strlen(base)] &&
                    strlen(de->d_name + strlen(base)) < sizeof(best) &&
                    (!*best || strverscmp(de->d_name + strlen(base), best) > 0))
                        snprintf(best, sizeof(best), "%s", de->d_name + strlen(base));
        closedir(d);
        if (!*best)
                return -ENOENT;
        if (strlen(best) >= n)
                return -ENAMETOOLONG;
        snprintf(buf, n, "%s", best);
        return 0;
}
