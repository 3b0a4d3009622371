/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* rtnetlink through libmnl: the only module that includes libmnl.h and
 * linux/rtnetlink.h. The VF settings of an SR-IOV PF's netdev, read with
 * RTM_GETLINK (IFLA_EXT_MASK RTEXT_FILTER_VF) and set with RTM_SETLINK
 * (IFLA_VFINFO_LIST), one setting a request so that a driver's refusal of
 * one leaves the others applied. */

/* The VFs of the netdev with ifindex, by VF number: *ret[i].set holds the
 * VF_SET_* bits the kernel reported (a driver may not report trust,
 * spoofchk or query_rss). -errno, -ENODEV if the netdev is gone, -EBADMSG
 * for an answer malformed or cut short, -ENODATA if it named no such netdev
 * (never a partial answer). */
int netlink_vf_get(int ifindex, struct vf_settings **ret, size_t *n);
/* Sets one VF_SET_* setting of VF vf from want. -errno as the kernel said
 * it (EOPNOTSUPP: the driver has no such operation; EINVAL: it refused
 * the value). */
int netlink_vf_set(int ifindex, unsigned vf, unsigned setting, const struct vf_settings *want);
/* The permanent hardware address of the netdev (IFLA_PERM_ADDRESS, Linux
 * 5.6 and later): -ENODATA when the kernel or driver gives none. */
int netlink_perm_addr(int ifindex, uint8_t ret[static 6]);
/* The parsers of netlink_vf_get() and netlink_perm_addr() over one buffer
 * holding the kernel's whole answer for ifindex (the fuzzer's entry, see
 * tests/fuzz/fuzz-netlink.c): the same results, and -EBADMSG for an answer
 * malformed or cut short, -EINTR for an interrupted dump, -errno for the
 * kernel's error. Attribute types the build does not know are skipped. */
int netlink_vf_parse(const void *buf, size_t len, int ifindex, struct vf_settings **ret, size_t *n);
int netlink_perm_addr_parse(const void *buf, size_t len, int ifindex, uint8_t ret[static 6]);
/* The socket is kept open between calls; this closes it. */
void netlink_done(void);

/* The host's network as rtnetlink dumps it (RTM_GETLINK, RTM_GETADDR,
 * RTM_GETROUTE of every table, RTM_GETRULE), for the network guard.
 * Addresses are in network byte order, 4 bytes (AF_INET) or 16 (AF_INET6). */
#include <stdbool.h>
struct nl_link {
        int ifindex;
        char name[16];
        int master;     /* IFLA_MASTER: bridge, bond, team, VRF, ovs-system; 0 if none */
        int lower;      /* IFLA_LINK in this namespace: a VLAN's, macvlan's, ipvlan's; 0 if none */
        char kind[16];  /* IFLA_INFO_KIND: "bridge", "vrf", "openvswitch"...; "" for a plain NIC */
        bool up;        /* IFF_UP and the operational state up (or unknown) */
};
struct nl_addr {
        int ifindex;
        int family;
        unsigned prefixlen, scope; /* RT_SCOPE_UNIVERSE 0, RT_SCOPE_LINK 253, RT_SCOPE_HOST 254 */
        uint8_t addr[16];
};
/* one a route and next hop: a multipath route gives one a next hop */
struct nl_route {
        int ifindex;    /* 0: none (unreachable, blackhole, a nexthop object) */
        int family;
        unsigned table, dst_len, type; /* RTN_UNICAST 1, RTN_LOCAL 2, ... */
        uint8_t dst[16], gw[16];
        bool has_gw;
        unsigned nh_id; /* RTA_NH_ID: resolved into ifindex and gw where the nexthop object has them */
};
struct nl_rule {
        int family;
        unsigned table;
        char iif[16], oif[16]; /* "" if the rule names none */
};
struct nl_net {
        struct nl_link *links;
        struct nl_addr *addrs;
        struct nl_route *routes;
        struct nl_rule *rules;
        size_t n_links, n_addrs, n_routes, n_rules;
};
#define NL_RTN_UNICAST 1
#define NL_RTN_LOCAL 2
#define NL_SCOPE_UNIVERSE 0
#define NL_TABLE_MAIN 254
/* Dumps the links, addresses, routes and rules into *ret (zeroed first);
 * -errno (nothing to free) if any dump fails. */
int netlink_net_dump(struct nl_net *ret);
void netlink_net_free(struct nl_net *n);
