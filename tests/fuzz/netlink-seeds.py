#!/usr/bin/env python3
"""Writes the netlink fuzz target's seed corpus (tests/fuzz/seeds-netlink/)
and its regression inputs (tests/fuzz/regressions/netlink-*): rtnetlink
answers as a kernel sends them for ifindex 7, built from the uapi numbers
(linux/if_link.h of Debian 12: IFLA_MAX 61, IFLA_VF_MAX 13). The first byte
picks the parser (0: VF settings, 1: permanent address); see fuzz-netlink.c.
Run it again after changing it; its output is committed."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
RTM_NEWLINK, NLMSG_ERROR, NLMSG_DONE = 16, 2, 3
NLM_F_MULTI, NLM_F_DUMP_INTR = 0x2, 0x10
IFLA_IFNAME, IFLA_MTU, IFLA_VFINFO_LIST, IFLA_PERM_ADDRESS, IFLA_MAX = 3, 4, 22, 54, 61
IFLA_VF_INFO = 1
(VF_MAC, VF_VLAN, VF_TX_RATE, VF_SPOOFCHK, VF_LINK_STATE, VF_RATE, VF_RSS, VF_STATS, VF_TRUST,
 VF_IB_NODE, VF_IB_PORT, VF_VLAN_LIST, VF_BROADCAST) = range(1, 14)
VF_VLAN_INFO = 1
NLA_F_NESTED = 0x8000


def attr(t, payload):
    a = struct.pack("<HH", 4 + len(payload), t) + payload
    return a + b"\0" * (-len(a) % 4)


def nest(t, *children):
    return attr(t | NLA_F_NESTED, b"".join(children))


def msg(typ, payload, flags=0, seq=0):
    m = struct.pack("<IHHII", 16 + len(payload), typ, flags, seq, 4242) + payload
    return m + b"\0" * (-len(m) % 4)


def ifinfo(ifindex=7):
    return struct.pack("<BBHiII", 0, 0, 1, ifindex, 0, 0)


def vf(n, mac=b"\x02\0\0\0\0\x11", vlan=100, qos=0, proto=0x8100, spoof=1, trust=0, link=0, rate=(0, 0), rss=0xffffffff,
       extra=b""):
    return nest(IFLA_VF_INFO,
                attr(VF_MAC, struct.pack("<I", n) + mac + b"\0" * 26),
                attr(VF_VLAN, struct.pack("<III", n, vlan, qos)),
                nest(VF_VLAN_LIST, attr(VF_VLAN_INFO, struct.pack("<III", n, vlan, qos) + struct.pack(">H", proto) +
                                        b"\0\0")),
                attr(VF_RATE, struct.pack("<III", n, *rate)),
                attr(VF_SPOOFCHK, struct.pack("<II", n, spoof)),
                attr(VF_LINK_STATE, struct.pack("<II", n, link)),
                attr(VF_RSS, struct.pack("<II", n, rss)),
                attr(VF_TRUST, struct.pack("<II", n, trust)),
                extra)


def newlink(*attrs, flags=0, ifindex=7):
    return msg(RTM_NEWLINK, ifinfo(ifindex) + attr(IFLA_IFNAME, b"eth7\0") + b"".join(attrs), flags)


def error(e):
    return msg(NLMSG_ERROR, struct.pack("<i", e) + msg(18, ifinfo())[:16])


PERM = attr(IFLA_PERM_ADDRESS, b"\x52\x54\x00\x12\x34\x56")
# what a 6.12 kernel adds past Debian 12's IFLA_MAX, and inside the VF lists
FUTURE = b"".join(attr(t, b"\1\0\0\0") for t in (IFLA_MAX + 1, IFLA_MAX + 5, 0x3fff))
SEEDS = {
    "vfs-two": b"\0" + newlink(nest(IFLA_VFINFO_LIST, vf(0), vf(1, vlan=0))),
    "vfs-none": b"\0" + newlink(PERM),
    "vfs-multi-done": b"\0" + newlink(nest(IFLA_VFINFO_LIST, vf(0)), flags=NLM_F_MULTI) + msg(NLMSG_DONE, b"\0" * 4,
                                                                                             NLM_F_MULTI),
    "vfs-other-ifindex": b"\0" + newlink(PERM, ifindex=8) + newlink(nest(IFLA_VFINFO_LIST, vf(3))),
    "vfs-future-kernel": b"\0" + newlink(FUTURE, nest(IFLA_VFINFO_LIST, vf(0, extra=attr(VF_BROADCAST + 4, b"x")),
                                                      attr(7, b"??"))),
    "vfs-dump-intr": b"\0" + newlink(nest(IFLA_VFINFO_LIST, vf(0)), flags=NLM_F_MULTI | NLM_F_DUMP_INTR),
    "vfs-enodev": b"\0" + error(-19),
    "vfs-unreported": b"\0" + newlink(nest(IFLA_VFINFO_LIST, vf(0, spoof=0xffffffff, trust=0xffffffff, link=7))),
    "perm": b"\1" + newlink(attr(IFLA_MTU, struct.pack("<I", 1500)), PERM),
    "perm-infiniband": b"\1" + newlink(attr(IFLA_PERM_ADDRESS, b"\x80" * 20)),
    "perm-none": b"\1" + newlink(),
}
REGRESSIONS = {
    # the old attr_cb stored tb[type] for any type: past the stack table
    "netlink-ifla-max-overflow": b"\0" + newlink(attr(IFLA_MAX + 6, b"\0" * 8), attr(0x3fff, b""),
                                                 nest(IFLA_VFINFO_LIST, vf(0, extra=attr(IFLA_MAX + 1, b"")))),
    "netlink-perm-ifla-max-overflow": b"\1" + newlink(attr(IFLA_MAX + 1, b"\0" * 4), PERM),
    # a payload shorter than its struct; an attribute cut at the message's end
    "netlink-short-vf-rate": b"\0" + newlink(nest(IFLA_VFINFO_LIST, nest(IFLA_VF_INFO, attr(VF_MAC, b"\0" * 36),
                                                                         attr(VF_RATE, b"\0" * 4)))),
    "netlink-truncated-attr": b"\0" + newlink(nest(IFLA_VFINFO_LIST, vf(0)))[:-8],
}

if __name__ == "__main__":
    os.makedirs(os.path.join(HERE, "seeds-netlink"), exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(HERE, "seeds-netlink", name), "wb") as f:
            f.write(data)
    for name, data in REGRESSIONS.items():
        with open(os.path.join(HERE, "regressions", name), "wb") as f:
            f.write(data)
