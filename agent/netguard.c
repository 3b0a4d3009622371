/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/wait.h>

#include "netguard.h"
#include "netlink.h"
#include "paths.h"
#include "util.h"

/* What the kernel says about the network (netlink.c's dumps): links,
 * addresses, routes of every table, policy rules. A NIC is in use when it
 * carries a global address (IPv4 /32 included, IPv6 global or unique
 * local), a route in any table, or a policy rule names it; or when a device
 * stacked on it is (bridge, bond, team, VLAN, macvlan, ipvlan; not a VRF,
 * whose ports are separate interfaces); or when it is an Open vSwitch port
 * and an internal port of its bridge is. Link-local addresses and routes
 * (fe80::/10, 169.254/16, multicast) are not use. */

#define MAX_DEPTH 8

/* why: a reason that quotes another (cut short if it must be) */
_printf_(3, 4) static void say(char *why, size_t n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(why, n, fmt, ap);
        va_end(ap);
}

static const struct nl_link *link_by_index(const struct nl_net *net, int ifindex) {
        for (size_t i = 0; ifindex > 0 && i < net->n_links; i++)
                if (net->links[i].ifindex == ifindex)
                        return &net->links[i];
        return NULL;
}

static const struct nl_link *link_by_name(const struct nl_net *net, const char *name) {
        for (size_t i = 0; i < net->n_links; i++)
                if (streq(net->links[i].name, name))
                        return &net->links[i];
        return NULL;
}

/* fe80::/10, ff00::/8, 169.254.0.0/16, 224.0.0.0/4: never the host's reach */
static bool link_local(int family, const uint8_t *a, unsigned plen) {
        if (family == AF_INET6)
                return (plen >= 10 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || (plen >= 8 && a[0] == 0xff);
        return (plen >= 16 && a[0] == 169 && a[1] == 254) || (plen >= 4 && (a[0] & 0xf0) == 0xe0);
}

static const char *ntop(int family, const uint8_t *a, char buf[static INET6_ADDRSTRLEN]) {
        if (!inet_ntop(family, a, buf, INET6_ADDRSTRLEN))
                snprintf(buf, INET6_ADDRSTRLEN, "?");
        return buf;
}

/* " in table T", "" for the main table */
static const char *in_table(unsigned table, char buf[static 32]) {
        *buf = 0;
        if (table != NL_TABLE_MAIN)
                snprintf(buf, 32, " in table %u", table);
        return buf;
}

static bool is_default(const struct nl_route *r) {
        return r->dst_len == 0 && r->type == NL_RTN_UNICAST;
}

/* The interface's own use: 1 with why */
static int own_use(const struct nl_net *net, const struct nl_link *l, char *why, size_t n) {
        char a[INET6_ADDRSTRLEN], t[32];

        for (size_t i = 0; i < net->n_routes; i++) {
                const struct nl_route *r = &net->routes[i];
                if (r->ifindex == l->ifindex && is_default(r)) {
                        const char *v6 = r->family == AF_INET6 ? "IPv6 " : "";
                        if (r->has_gw)
                                snprintf(why, n, "%s carries the %sdefault route (via %s)%s", l->name, v6,
                                         ntop(r->family, r->gw, a), in_table(r->table, t));
                        else
                                snprintf(why, n, "%s carries the %sdefault route%s", l->name, v6, in_table(r->table, t));
                        return 1;
                }
        }
        for (size_t i = 0; i < net->n_addrs; i++) {
                const struct nl_addr *x = &net->addrs[i];
                if (x->ifindex == l->ifindex && x->scope < 253 /* universe or site: not link, host */ &&
                    !link_local(x->family, x->addr, x->family == AF_INET ? 32 : 128)) {
                        snprintf(why, n, "%s has the address %s/%u", l->name, ntop(x->family, x->addr, a), x->prefixlen);
                        return 1;
                }
        }
        for (size_t i = 0; i < net->n_routes; i++) {
                const struct nl_route *r = &net->routes[i];
                if (r->ifindex == l->ifindex && r->type == NL_RTN_UNICAST && !link_local(r->family, r->dst, r->dst_len)) {
                        snprintf(why, n, "%s has a route to %s/%u%s", l->name, ntop(r->family, r->dst, a), r->dst_len,
                                 in_table(r->table, t));
                        return 1;
                }
        }
        for (size_t i = 0; i < net->n_rules; i++) {
                const struct nl_rule *r = &net->rules[i];
                if (streq(r->iif, l->name) || streq(r->oif, l->name)) {
                        snprintf(why, n, "%s is named by a policy routing rule (lookup table %u)", l->name, r->table);
                        return 1;
                }
        }
        return 0;
}

static int iface_use(const struct nl_net *net, const struct nl_link *l, unsigned depth, char *why, size_t n);

/* ovs-vsctl ARGS...: its first lines in out; -errno if it could not run or failed */
static int ovs_vsctl(const char *a1, const char *a2, char *out, size_t size) {
        _cleanup_free_ char *tool = path_rooted(USR_BIN_OVS_VSCTL);
        int fds[2], status;
        size_t len = 0;
        pid_t pid;

        if (!tool)
                return -ENOMEM;
        if (access(tool, X_OK) < 0)
                return -errno;
        const char *const argv[] = { tool, "--timeout=5", a1, a2, NULL };
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return -errno;
        }
        if (pid == 0) {
                int null = open(DEV_NULL, O_RDWR | O_CLOEXEC);
                if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(fds[1], STDOUT_FILENO) < 0 ||
                    dup2(null, STDERR_FILENO) < 0)
                        _exit(127);
                execve(argv[0], (char *const *) argv, environ);
                _exit(127);
        }
        close(fds[1]);
        for (ssize_t k; len + 1 < size && ((k = read(fds[0], out + len, size - 1 - len)) > 0 || (k < 0 && errno == EINTR));)
                if (k > 0)
                        len += (size_t) k;
        out[len] = 0;
        close(fds[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* Is name a line of list? */
static bool listed_line(const char *list, const char *name) {
        size_t k = strlen(name);
        for (const char *l = list; l && *l;) {
                if (strncmp(l, name, k) == 0 && (l[k] == '\n' || l[k] == 0))
                        return true;
                l = strchr(l, '\n');
                l = l ? l + 1 : NULL;
        }
        return false;
}

/* The port l of an Open vSwitch datapath (master dp, kind openvswitch):
 * the host's address and routes are on the bridge's internal ports. With
 * ovs-vsctl, the internal ports of l's own bridge; without it, or when that
 * bridge has ports the kernel does not show (patch ports to another
 * bridge), every internal port. */
static int ovs_use(const struct nl_net *net, const struct nl_link *l, const struct nl_link *dp, unsigned depth,
                   char *why, size_t n) {
        char br[64] = "", ifaces[4096] = "", sub[512];
        bool known = ovs_vsctl("iface-to-br", l->name, br, sizeof(br)) == 0;
        br[strcspn(br, "\n")] = 0;
        if (known && (!*br || ovs_vsctl("list-ifaces", br, ifaces, sizeof(ifaces)) < 0))
                known = false;
        for (const char *s = ifaces; known && *s;) {
                size_t k = strcspn(s, "\n");
                char name[64];
                snprintf(name, sizeof(name), "%.*s", (int) k, s);
                if (*name && !link_by_name(net, name))
                        known = false; /* a patch port: the bridge goes on beyond what the kernel shows */
                s += k + (s[k] == '\n');
        }
        for (size_t i = 0; i < net->n_links; i++) {
                const struct nl_link *p = &net->links[i];
                if (p == dp || p == l || !streq(p->kind, "openvswitch") || (p->master && p->master != dp->ifindex))
                        continue;
                if (known && !streq(p->name, br) && !listed_line(ifaces, p->name))
                        continue;
                int r = iface_use(net, p, depth + 1, sub, sizeof(sub));
                if (r != 0) {
                        if (known)
                                say(why, n, "%s is a port of Open vSwitch bridge %s: %s", l->name, br, sub);
                        else
                                say(why, n, "%s is an Open vSwitch port (master %s) and ovs-vsctl cannot tell "
                                         "which bridge: %s", l->name, dp->name, sub);
                        return r;
                }
        }
        return 0;
}

/* The interface's use, and that of every device stacked on it */
static int iface_use(const struct nl_net *net, const struct nl_link *l, unsigned depth, char *why, size_t n) {
        char sub[512];
        int r;

        if (depth > MAX_DEPTH)
                return 0;
        r = own_use(net, l, why, n);
        if (r != 0)
                return r;
        const struct nl_link *m = link_by_index(net, l->master);
        if (m && streq(m->kind, "openvswitch") && !streq(l->kind, "openvswitch")) /* not back from an internal port */
                r = ovs_use(net, l, m, depth, why, n);
        else if (m && !streq(m->kind, "vrf") && !streq(m->kind, "openvswitch") && (r = iface_use(net, m, depth + 1, sub, sizeof(sub))) > 0)
                say(why, n, "%s is a port of %s: %s", l->name, m->name, sub);
        for (size_t i = 0; r == 0 && i < net->n_links; i++) {
                const struct nl_link *u = &net->links[i];
                if (u->lower == l->ifindex && u != l && (r = iface_use(net, u, depth + 1, sub, sizeof(sub))) > 0)
                        say(why, n, "%s is beneath %s%s%s: %s", l->name, *u->kind ? u->kind : "", *u->kind ? " " : "",
                                 u->name, sub);
        }
        return r;
}

/* strv-like list of names; adds name */
static int add_name(char ***names, size_t *k, const char *prefix, const char *name) {
        char **m = realloc(*names, (*k + 2) * sizeof(char *));
        if (!m)
                return -ENOMEM;
        *names = m;
        if (!(m[*k] = strdupf("%s%s", prefix, name)))
                return -ENOMEM;
        m[++*k] = NULL;
        return 0;
}

/* The device paths (with a trailing /) of a PCI device and, with vfs, of
 * its VFs (virtfnN links of an SR-IOV PF): bases[0] the device's */
static int device_bases(const char *pci_name, bool vfs, char ***bases, size_t *k) {
        char p[PATH_MAX], real[PATH_MAX];
        struct dirent *de;
        DIR *d;
        int r;

        if ((size_t) snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s", pci_name) >= sizeof(p))
                return -ENAMETOOLONG;
        if (!realpath(p, real))
                return errno == ENOENT ? 0 : -errno;
        r = add_name(bases, k, real, "/");
        if (r < 0 || !vfs || !(d = opendir(p)))
                return r;
        while (r == 0 && (de = readdir(d)))
                if (strncmp(de->d_name, "virtfn", 6) == 0 &&
                    (size_t) snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/%s", pci_name, de->d_name) < sizeof(p) &&
                    realpath(p, real))
                        r = add_name(bases, k, real, "/");
        closedir(d);
        return r;
}

/* The interfaces beneath a PCI device (and its VFs): not only PCI_DEV/net/IF,
 * but also deeper (virtio-net: PCI_DEV/virtio0/net/IF): every
 * /sys/class/net entry whose device path lies below. Each as "\tIF", or
 * "its VF ADDR: \tIF". */
static int netdevs_of(const char *pci_name, bool vfs, char ***names, size_t *k) {
        _cleanup_strv_free_ char **bases = NULL;
        char p[PATH_MAX], real[PATH_MAX];
        size_t n_bases = 0;
        struct dirent *de;
        DIR *d;
        int r = device_bases(pci_name, vfs, &bases, &n_bases);

        if (r < 0 || n_bases == 0)
                return r;
        d = opendir(SYSFS_CLASS_NET);
        if (!d)
                return errno == ENOENT ? 0 : -errno; /* no network interface at all */
        while (r == 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.' ||
                    (size_t) snprintf(p, sizeof(p), SYSFS_CLASS_NET "/%s", de->d_name) >= sizeof(p) || !realpath(p, real))
                        continue;
                for (size_t i = 0; r == 0 && i < n_bases; i++) {
                        if (strncmp(real, bases[i], strlen(bases[i])) != 0)
                                continue;
                        if (i == 0) {
                                r = add_name(names, k, "\t", de->d_name);
                                break;
                        }
                        bases[i][strlen(bases[i]) - 1] = 0; /* ".../0000:3b:10.0" */
                        _cleanup_free_ char *prefix = strdupf("its VF %s: \t", strrchr(bases[i], '/') + 1);
                        strcat(bases[i], "/");
                        r = prefix ? add_name(names, k, prefix, de->d_name) : -ENOMEM;
                        break;
                }
        }
        closedir(d);
        return r;
}

int net_guard(const char *pci_name, char *why, size_t n) {
        _cleanup_strv_free_ char **names = NULL;
        struct nl_net net;
        size_t k = 0;
        int r;

        r = netdevs_of(pci_name, true, &names, &k);
        if (r < 0 || k == 0)
                return r; /* no interface: not a NIC the host could use */
        r = netlink_net_dump(&net);
        if (r < 0)
                return r;
        for (size_t i = 0; r == 0 && i < k; i++) {
                char *tab = strchr(names[i], '\t'), sub[512];
                *tab = 0;
                /* an interface the dump does not show has no address nor route */
                const struct nl_link *l = link_by_name(&net, tab + 1);
                if (l && (r = iface_use(&net, l, 0, sub, sizeof(sub))) > 0)
                        say(why, n, "%s%s", names[i], sub);
        }
        netlink_net_free(&net);
        return r;
}

int net_default_route(char *why, size_t n) {
        struct nl_net net;
        char a[INET6_ADDRSTRLEN], t[32];
        int r = netlink_net_dump(&net);

        if (r < 0)
                return r;
        r = 0;
        for (size_t i = 0; !r && i < net.n_routes; i++) {
                const struct nl_route *x = &net.routes[i];
                const struct nl_link *l = link_by_index(&net, x->ifindex);
                if (!is_default(x) || (l && streq(l->name, "lo")) || (!l && !x->has_gw))
                        continue; /* a default route nowhere is no network */
                snprintf(why, n, "default route%s%s%s%s%s", x->has_gw ? " via " : "",
                         x->has_gw ? ntop(x->family, x->gw, a) : "", l ? " dev " : "", l ? l->name : "",
                         in_table(x->table, t));
                r = 1;
        }
        netlink_net_free(&net);
        return r;
}

bool net_routes_seen(void) {
        char why[256];
        return net_default_route(why, sizeof(why)) > 0;
}

int net_up_with_address(const char *pci_name) {
        _cleanup_strv_free_ char **names = NULL;
        struct nl_net net;
        size_t k = 0;
        int r = netdevs_of(pci_name, false, &names, &k);

        if (r < 0 || k == 0)
                return r;
        r = netlink_net_dump(&net);
        if (r < 0)
                return r;
        for (size_t i = 0; r == 0 && i < k; i++) {
                const struct nl_link *l = link_by_name(&net, names[i] + 1);
                /* up, and itself or what it is a port of (bond, bridge) holds an address */
                for (unsigned depth = 0; l && l->up && r == 0 && depth < MAX_DEPTH; depth++) {
                        for (size_t j = 0; j < net.n_addrs && r == 0; j++)
                                r = net.addrs[j].ifindex == l->ifindex && net.addrs[j].scope < 253 &&
                                    !link_local(net.addrs[j].family, net.addrs[j].addr, net.addrs[j].family == AF_INET ? 32 : 128);
                        l = link_by_index(&net, l->master);
                }
        }
        netlink_net_free(&net);
        return r;
}
