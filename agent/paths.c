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

const char *const *path_networkmanager_dirs(void) {
        static const char *const d[] = {
                "/etc/NetworkManager/system-connections",
                "/run/NetworkManager/system-connections",
                "/usr/lib/NetworkManager/system-connections",
                NULL,
        };
        return d;
}

/* systemd's NETWORK_DIRS: /etc over /run over the vendor directories */
const char *const *path_systemd_network_dirs(void) {
        static const char *const d[] = {
                "/etc/systemd/network",     "/run/systemd/network", "/usr/local/lib/systemd/network",
                "/usr/lib/systemd/network", "/lib/systemd/network", NULL,
        };
        return d;
}

/* netplan: /run shadows /etc, which shadows /lib */
const char *const *path_netplan_dirs(void) {
        static const char *const d[] = { "/run/netplan", "/etc/netplan", "/lib/netplan", NULL };
        return d;
}

const char *path_kmsg(void) {
        return "/dev/kmsg";
}
