/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/stat.h>

#include "paths.h"
#include "util.h"

/* The only reader of $VFPT_ROOT, on each call (the unit tests change it). */
const char *path_root(void) {
        const char *r = getenv("VFPT_ROOT");
        /* only an absolute prefix; "/" and "" mean the real root */
        if (!r || r[0] != '/' || streq(r, "/"))
                return "";
        return r;
}

const char *path_root_problem(void) {
        const char *r = getenv("VFPT_ROOT");
        struct stat st;
        if (!r || !*r)
                return NULL;
        if (r[0] != '/')
                return "VFPT_ROOT must be an absolute path";
        if (stat(r, &st) < 0 || !S_ISDIR(st.st_mode))
                return "VFPT_ROOT is not a directory";
        return NULL;
}

char *path_rooted(const char *p) {
        return strdupf("%s%s", path_root(), p);
}

#define ROOTED(name, p)                                                   \
        const char *name(void) {                                          \
                static char buf[4096];                                    \
                snprintf(buf, sizeof(buf), "%s%s", path_root(), p);        \
                return buf;                                               \
        }

ROOTED(path_config_default, "/etc/vfpt.conf")
ROOTED(path_runtime_dir, "/run/vfpt")
ROOTED(path_initrd_release, "/etc/initrd-release")
ROOTED(path_fstab, "/etc/fstab")
ROOTED(path_crypttab, ETC_CRYPTTAB)
ROOTED(path_state_dir, VAR_LIB_VFPT)
ROOTED(path_protected, VAR_LIB_VFPT_PROTECTED)
ROOTED(path_ports, VAR_LIB_VFPT_PORTS)
ROOTED(path_groups_predicted, VAR_LIB_VFPT_GROUPS)

/* a NULL-terminated list of host paths */
#define DIRS(name, ...)                                                   \
        const char *const *name(void) {                                   \
                static const char *const d[] = { __VA_ARGS__, NULL };     \
                return d;                                                 \
        }

DIRS(path_networkmanager_dirs, "/etc/NetworkManager/system-connections", "/run/NetworkManager/system-connections",
     "/usr/lib/NetworkManager/system-connections")
/* systemd's NETWORK_DIRS: /etc over /run over the vendor directories */
DIRS(path_systemd_network_dirs, "/etc/systemd/network", "/run/systemd/network", "/usr/local/lib/systemd/network",
     "/usr/lib/systemd/network", "/lib/systemd/network")
/* netplan: /run shadows /etc, which shadows /lib */
DIRS(path_netplan_dirs, "/run/netplan", "/etc/netplan", "/lib/netplan")
DIRS(path_esp_dirs, "/efi", "/boot", "/boot/efi")
/* libkmod's own list */
DIRS(path_modprobe_dirs, "/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
     "/lib/modprobe.d")

const char *path_kmsg(void) {
        return "/dev/kmsg";
}
