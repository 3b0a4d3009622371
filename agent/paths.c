/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "paths.h"
#include "util.h"

static const char *root(void) {
        const char *r = getenv("VFPT_ROOT");
        /* only an absolute prefix; "/" and "" mean the real root */
        if (!r || r[0] != '/' || streq(r, "/"))
                return "";
        return r;
}

char *path_rooted(const char *p) {
        return strdupf("%s%s", root(), p);
}

#define ROOTED(name, p)                                                   \
        const char *name(void) {                                          \
                static char buf[4096];                                    \
                snprintf(buf, sizeof(buf), "%s%s", root(), p);             \
                return buf;                                               \
        }

ROOTED(path_config_default, "/etc/vfpt.conf")
ROOTED(path_runtime_dir, "/run/vfpt")
ROOTED(path_grub_default, "/etc/default/grub")
ROOTED(path_initrd_release, "/etc/initrd-release")
ROOTED(path_fstab, "/etc/fstab")
ROOTED(path_state_dir, "/var/lib/vfpt")
ROOTED(path_protected, "/var/lib/vfpt/protected")
ROOTED(path_ports, "/var/lib/vfpt/ports")

const char *path_kmsg(void) {
        return "/dev/kmsg";
}
