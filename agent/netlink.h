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
