/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmdline.h"
#include "config.h"
#include "host.h"
#include "paths.h"

/* "GenuineIntel", "AuthenticAMD", ... into buf; -ENOENT if none. */
static int host_cpu_vendor(char *buf, unsigned n) {
        _cleanup_free_ char *s = NULL;
        int r = read_file(PROC_CPUINFO, 16 * 1024 * 1024, &s, NULL);
        if (r < 0)
                return r;
        for (char *l = s; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                if (strncmp(l, "vendor_id", 9) == 0) {
                        char *v = strchr(l, ':');
                        if (v) {
                                v++;
                                v += strspn(v, " \t");
                                snprintf(buf, n, "%s", v);
                                return 0;
                        }
                }
                l = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

int host_cmdline(char ***ret) {
        _cleanup_free_ char *s = NULL;
        int r = read_file(PROC_CMDLINE, 64 * 1024, &s, NULL);
        if (r < 0)
                return r;
        return cmdline_split(s, ret);
}

int host_kernel_args(const struct config *c, char ***ret) {
        char vendor[64] = "";
        if (c->kernel_args_auto)
                (void) host_cpu_vendor(vendor, sizeof(vendor));
        return config_kernel_args(c, vendor, ret);
}
