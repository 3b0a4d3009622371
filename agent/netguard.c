/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>

#include "netguard.h"
#include "paths.h"
#include "util.h"

/* /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ...
 * (hex, host byte order) */
static int ipv4_route(const char *ifname, char *why, size_t n) {
        _cleanup_free_ char *t = NULL;
        int r = read_file(PROC_NET_ROUTE, 4 * 1024 * 1024, &t, NULL);
        bool any = false;
        char dest_txt[INET_ADDRSTRLEN] = "";

        if (r == -ENOENT)
                return 0; /* no IPv4 */
        if (r < 0)
                return r;
        for (char *l = t; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                char ifc[64];
                unsigned dest, gw, flags, mask;
                if (sscanf(l, "%63s %x %x %x %*s %*s %*s %x", ifc, &dest, &gw, &flags, &mask) == 5 &&
                    streq(ifc, ifname)) {
                        if (dest == 0 && mask == 0) {
                                struct in_addr a = { .s_addr = gw };
                                char g[INET_ADDRSTRLEN];
                                inet_ntop(AF_INET, &a, g, sizeof(g));
                                snprintf(why, n, "%s carries the default route (via %s)", ifname, g);
                                return 1;
                        }
                        if (!any) {
                                struct in_addr a = { .s_addr = dest };
                                inet_ntop(AF_INET, &a, dest_txt, sizeof(dest_txt));
                                any = true;
                        }
                }
                l = nl ? nl + 1 : NULL;
        }
        if (any) {
                snprintf(why, n, "%s has an address in use (route to %s)", ifname, dest_txt);
                return 1;
        }
        return 0;
}

/* /proc/net/ipv6_route: dest plen src plen gw metric refcnt use flags iface */
static int ipv6_route(const char *ifname, char *why, size_t n) {
        _cleanup_free_ char *t = NULL;
        int r = read_file(PROC_NET_IPV6_ROUTE, 4 * 1024 * 1024, &t, NULL);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char *l = t; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                char dest[40], ifc[64];
                unsigned plen;
                if (sscanf(l, "%39s %x %*s %*s %*s %*s %*s %*s %*s %63s", dest, &plen, ifc) == 3 && streq(ifc, ifname) &&
                    strncmp(dest, "fe80", 4) != 0 && strncmp(dest, "ff", 2) != 0) {
                        if (plen == 0)
                                snprintf(why, n, "%s carries the IPv6 default route", ifname);
                        else
                                snprintf(why, n, "%s has an IPv6 address in use", ifname);
                        return 1;
                }
                l = nl ? nl + 1 : NULL;
        }
        return 0;
}

/* The routes of one interface, and of every interface stacked on it (bond,
 * bridge, VLAN, macvlan: /sys/class/net/IF/upper_*), depth-limited. */
static int iface_guard(const char *ifname, unsigned depth, char *why, size_t n) {
        char dir[256], sub[1024];
        struct dirent *de;
        DIR *d;
        int r;

        if (depth > 8)
                return 0;
        r = ipv4_route(ifname, why, n);
        if (r == 0)
                r = ipv6_route(ifname, why, n);
        if (r != 0)
                return r;
        if ((size_t) snprintf(dir, sizeof(dir), SYSFS_CLASS_NET "/%s", ifname) >= sizeof(dir))
                return -ENAMETOOLONG;
        d = opendir(dir);
        if (!d)
                return 0;
        while (r == 0 && (de = readdir(d))) {
                if (strncmp(de->d_name, "upper_", 6) != 0)
                        continue;
                r = iface_guard(de->d_name + 6, depth + 1, sub, sizeof(sub));
                if (r > 0)
                        snprintf(why, n, "%s is a port of %s: %s", ifname, de->d_name + 6, sub);
        }
        closedir(d);
        return r;
}

/* The interfaces beneath the PCI device: not only PCI_DEV/net/IF, but also
 * deeper (virtio-net: PCI_DEV/virtio0/net/IF): every /sys/class/net entry
 * whose device path lies below the PCI device's. */
int net_guard(const char *pci_name, char *why, size_t n) {
        char base[PATH_MAX], p[PATH_MAX], real[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int r = 0;

        if ((size_t) snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s", pci_name) >= sizeof(p))
                return -ENAMETOOLONG;
        if (!realpath(p, base))
                return errno == ENOENT ? 0 : -errno;
        strcat(base, "/");
        d = opendir(SYSFS_CLASS_NET);
        if (!d)
                return errno == ENOENT ? 0 : -errno; /* no network interface at all */
        while (r == 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.' ||
                    (size_t) snprintf(p, sizeof(p), SYSFS_CLASS_NET "/%s", de->d_name) >= sizeof(p) ||
                    !realpath(p, real) || strncmp(real, base, strlen(base)) != 0)
                        continue;
                r = iface_guard(de->d_name, 0, why, n);
        }
        closedir(d);
        return r;
}

bool net_routes_seen(void) {
        _cleanup_free_ char *v4 = NULL, *v6 = NULL;
        if (read_file(PROC_NET_ROUTE, 4 * 1024 * 1024, &v4, NULL) >= 0)
                for (char *l = v4; l && *l;) {
                        char *nl = strchr(l, '\n');
                        char ifc[64];
                        unsigned dest, mask;
                        if (sscanf(l, "%63s %x %*x %*x %*s %*s %*s %x", ifc, &dest, &mask) == 3 && dest == 0 &&
                            mask == 0 && !streq(ifc, "lo"))
                                return true;
                        l = nl ? nl + 1 : NULL;
                }
        if (read_file(PROC_NET_IPV6_ROUTE, 4 * 1024 * 1024, &v6, NULL) >= 0)
                for (char *l = v6; l && *l;) {
                        char *nl = strchr(l, '\n');
                        char dest[40], ifc[64];
                        unsigned plen;
                        if (sscanf(l, "%39s %x %*s %*s %*s %*s %*s %*s %*s %63s", dest, &plen, ifc) == 3 &&
                            plen == 0 && !streq(ifc, "lo"))
                                return true;
                        l = nl ? nl + 1 : NULL;
                }
        return false;
}
