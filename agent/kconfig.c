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

/* the option (a comma-separated list's member) is in the value */
static bool has_option(const char *value, const char *opt) {
        size_t n = strlen(opt);
        for (const char *p = value; p && *p;) {
                size_t k = strcspn(p, ",");
                if (k == n && strncmp(p, opt, n) == 0)
                        return true;
                p = p[k] ? p + k + 1 : NULL;
        }
        return false;
}

/* the value in force of name= on the command line, NULL if none */
static const char *in_force(char *const *cmdline, const char *name) {
        int i = cmdline ? cmdline_find_last(cmdline, name) : -1;
        if (i < 0)
                return NULL;
        const char *v = strchr(cmdline[i], '=');
        return v ? v + 1 : "";
}

/* One option of one parameter that a kernel config makes the default, and
 * the option on the command line that undoes it. */
static const struct {
        const char *param, *option, *config, *undo;
} defaults[] = {
        /* drivers/iommu/intel/iommu.c: dmar_disabled = !CONFIG_INTEL_IOMMU_DEFAULT_ON */
        { "intel_iommu", "on", "CONFIG_INTEL_IOMMU_DEFAULT_ON", "off" },
        /* 6.2+: on, but not for the integrated GPU: the IOMMU is on all the same */
        { "intel_iommu", "on", "CONFIG_INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF", "off" },
        { "intel_iommu", "sm_on", "CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON", "sm_off" },
        /* drivers/iommu/amd/init.c: the AMD IOMMU is on whenever it is built in */
        { "amd_iommu", "on", "CONFIG_AMD_IOMMU", "off" },
        /* drivers/iommu/iommu.c: iommu_def_domain_type = IDENTITY */
        { "iommu", "pt", "CONFIG_IOMMU_DEFAULT_PASSTHROUGH", "nopt" },
};

static bool option_default(const char *kver, const char *param, const char *opt, char *const *cmdline) {
        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                if (!cmdline_names_equal(defaults[i].param, param) || !streq(defaults[i].option, opt))
                        continue;
                const char *v = in_force(cmdline, param);
                if (v && has_option(v, defaults[i].undo))
                        return false;
                /* iommu=pt is undone by iommu.passthrough=0 too */
                if (streq(param, "iommu") && (v = in_force(cmdline, "iommu.passthrough")) &&
                    (streq(v, "0") || streq(v, "n") || streq(v, "off")))
                        return false;
                if (kconfig_is_set(kver, defaults[i].config) > 0)
                        return true;
        }
        return false;
}

bool kconfig_arg_default(const char *kver, const char *arg, char *const *cmdline) {
        _cleanup_free_ char *name = NULL;
        const char *eq = strchr(arg, '=');

        if (!eq || eq == arg)
                return false;
        name = strndup(arg, (size_t) (eq - arg));
        if (!name)
                return false;
        /* every option wanted must be a default */
        for (const char *p = eq + 1; *p;) {
                size_t k = strcspn(p, ",");
                _cleanup_free_ char *opt = strndup(p, k);
                if (!opt || !*opt || !option_default(kver, name, opt, cmdline))
                        return false;
                p += k;
                if (*p)
                        p++;
        }
        return eq[1] != '\0';
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
