/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only module that includes libmnl.h and linux/rtnetlink.h. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink.h"
#include "util.h"

/* libmnl is opened when a netlink request is to be made or parsed, never at
 * exec: a PCI event that concerns no configured device is decided before
 * (see README, Benchmarks), and libkmod is opened the same way (module.c).
 * Its symbols are looked up in the global scope, so that a library
 * preloaded ahead of it (the fixture's fake rtnetlink, tests/fixture/
 * fake-mnl.c) still stands in for it, as it does for a linked one. */
#define MNL_FUNCS(X) \
        X(mnl_attr_get_payload) \
        X(mnl_attr_get_payload_len) \
        X(mnl_attr_get_str) \
        X(mnl_attr_get_type) \
        X(mnl_attr_get_u32) \
        X(mnl_attr_get_u8) \
        X(mnl_attr_nest_end) \
        X(mnl_attr_nest_start) \
        X(mnl_attr_next) \
        X(mnl_attr_ok) \
        X(mnl_attr_parse) \
        X(mnl_attr_parse_nested) \
        X(mnl_attr_put) \
        X(mnl_attr_put_u32) \
        X(mnl_attr_type_valid) \
        X(mnl_attr_validate) \
        X(mnl_cb_run) \
        X(mnl_nlmsg_get_payload) \
        X(mnl_nlmsg_get_payload_len) \
        X(mnl_nlmsg_get_payload_offset) \
        X(mnl_nlmsg_get_payload_tail) \
        X(mnl_nlmsg_ok) \
        X(mnl_nlmsg_put_extra_header) \
        X(mnl_nlmsg_put_header) \
        X(mnl_socket_bind) \
        X(mnl_socket_close) \
        X(mnl_socket_get_portid) \
        X(mnl_socket_open) \
        X(mnl_socket_recvfrom) \
        X(mnl_socket_sendto)

static bool mnl_loaded;
static struct {
#define MNL_FIELD(f) __typeof__(f) *f;
        MNL_FUNCS(MNL_FIELD)
#undef MNL_FIELD
} mnl_dl;

static int mnl_load(void) {
        if (mnl_loaded)
                return 0;
        if (!dlopen("libmnl.so.0", RTLD_NOW | RTLD_GLOBAL))
                return -ENOPKG;
#define MNL_SYM(f)                                                      \
        if (!(*(void **) &mnl_dl.f = dlsym(RTLD_DEFAULT, #f)))          \
                return -ENOPKG;
        MNL_FUNCS(MNL_SYM)
#undef MNL_SYM
        mnl_loaded = true;
        return 0;
}

/* from here on, every mnl_*() call goes through the table */
#define MNL_CALL(f) (*mnl_dl.f)
#define mnl_attr_get_payload MNL_CALL(mnl_attr_get_payload)
#define mnl_attr_get_payload_len MNL_CALL(mnl_attr_get_payload_len)
#define mnl_attr_get_str MNL_CALL(mnl_attr_get_str)
#define mnl_attr_get_type MNL_CALL(mnl_attr_get_type)
#define mnl_attr_get_u32 MNL_CALL(mnl_attr_get_u32)
#define mnl_attr_get_u8 MNL_CALL(mnl_attr_get_u8)
#define mnl_attr_nest_end MNL_CALL(mnl_attr_nest_end)
#define mnl_attr_nest_start MNL_CALL(mnl_attr_nest_start)
#define mnl_attr_next MNL_CALL(mnl_attr_next)
#define mnl_attr_ok MNL_CALL(mnl_attr_ok)
#define mnl_attr_parse MNL_CALL(mnl_attr_parse)
#define mnl_attr_parse_nested MNL_CALL(mnl_attr_parse_nested)
#define mnl_attr_put MNL_CALL(mnl_attr_put)
#define mnl_attr_put_u32 MNL_CALL(mnl_attr_put_u32)
#define mnl_attr_type_valid MNL_CALL(mnl_attr_type_valid)
#define mnl_attr_validate MNL_CALL(mnl_attr_validate)
#define mnl_cb_run MNL_CALL(mnl_cb_run)
#define mnl_nlmsg_get_payload MNL_CALL(mnl_nlmsg_get_payload)
#define mnl_nlmsg_get_payload_len MNL_CALL(mnl_nlmsg_get_payload_len)
#define mnl_nlmsg_get_payload_offset MNL_CALL(mnl_nlmsg_get_payload_offset)
#define mnl_nlmsg_get_payload_tail MNL_CALL(mnl_nlmsg_get_payload_tail)
#define mnl_nlmsg_ok MNL_CALL(mnl_nlmsg_ok)
#define mnl_nlmsg_put_extra_header MNL_CALL(mnl_nlmsg_put_extra_header)
#define mnl_nlmsg_put_header MNL_CALL(mnl_nlmsg_put_header)
#define mnl_socket_bind MNL_CALL(mnl_socket_bind)
#define mnl_socket_close MNL_CALL(mnl_socket_close)
#define mnl_socket_get_portid MNL_CALL(mnl_socket_get_portid)
#define mnl_socket_open MNL_CALL(mnl_socket_open)
#define mnl_socket_recvfrom MNL_CALL(mnl_socket_recvfrom)
#define mnl_socket_sendto MNL_CALL(mnl_socket_sendto)

#ifndef RTEXT_FILTER_SKIP_STATS
#define RTEXT_FILTER_SKIP_STATS (1 << 3)
#endif

/* a GETLINK answer holds every VF: ~250 bytes each without their stats,
 * and the kernel sends it as one message */
#define NL_BUF_SIZE (1024 * 1024)

static struct mnl_socket *nl;
static unsigned nl_portid, nl_seq;
static char *nl_buf;

static int nl_open(void) {
        int r;
        if (nl)
                return 0;
        if ((r = mnl_load()) < 0)
                return r;
        if (!nl_buf && !(nl_buf = malloc(NL_BUF_SIZE)))
                return -ENOMEM;
        nl = mnl_socket_open(NETLINK_ROUTE);
        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                r = -errno;
                mnl_socket_close(nl);
                nl = NULL;
                return r;
        }
        nl_portid = mnl_socket_get_portid(nl);
        if (!nl_seq)
                nl_seq = (unsigned) time(NULL);
        return 0;
}

/* The socket is closed (the buffer kept) after an answer that failed or was
 * cut short: what the kernel still has to say must not be read as the next
 * request's answer. */
static void nl_close(void) {
        if (nl)
                mnl_socket_close(nl);
        nl = NULL;
}

void netlink_done(void) {
        nl_close();
        free(nl_buf);
        nl_buf = NULL;
}

/* ---- Attribute validation, for every parser in this module ----
 * A kernel newer than the headers vfpt was built with sends attribute types
 * above their *_MAX, and any kernel (or a fuzzer) may send a payload shorter
 * than the struct it should hold: tb[] never takes a type above max, and an
 * attribute the parser reads is validated (mnl_attr_validate) against its
 * policy before it is stored. */
struct nl_policy {
        enum mnl_attr_data_type type; /* MNL_TYPE_UNSPEC (0): not read, not checked */
        uint16_t min_len;             /* the payload's least length: the struct it holds */
};

static bool nl_attr_fits(const struct nlattr *a, const struct nl_policy *p) {
        if (p->type == MNL_TYPE_UNSPEC)
                return true;
        return mnl_attr_validate(a, p->type) >= 0 && mnl_attr_get_payload_len(a) >= p->min_len;
}

/* The attributes in [buf, buf + len) into tb[0..max] (zeroed first): types
 * above max skipped, those policy[] (max + 1 entries, or NULL) names
 * validated. -EBADMSG if one of those fails its policy, or the last
 * attribute is cut short (bytes left that hold no whole attribute). */
static int nl_attrs(const void *buf, size_t len, const struct nl_policy *policy, uint16_t max,
                    const struct nlattr **tb) {
        const char *end = (const char *) buf + len;
        const struct nlattr *a;
        memset(tb, 0, (max + 1u) * sizeof(*tb));
        for (a = buf; mnl_attr_ok(a, (int) (end - (const char *) a)); a = mnl_attr_next(a)) {
                if (mnl_attr_type_valid(a, max) < 0)
                        continue; /* a newer kernel's attribute */
                uint16_t type = mnl_attr_get_type(a);
                if (policy && !nl_attr_fits(a, &policy[type]))
                        return -EBADMSG;
                tb[type] = a;
        }
        return (const char *) a < end ? -EBADMSG : 0;
}

/* the attributes of message h after its family header of hdrlen bytes */
static int nl_attrs_msg(const struct nlmsghdr *h, size_t hdrlen, const struct nl_policy *policy, uint16_t max,
                        const struct nlattr **tb) {
        if (h->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen))
                return -EBADMSG;
        const char *p = mnl_nlmsg_get_payload_offset(h, hdrlen);
        return nl_attrs(p, (size_t) ((const char *) mnl_nlmsg_get_payload_tail(h) - p), policy, max, tb);
}

static int nl_attrs_nested(const struct nlattr *nest, const struct nl_policy *policy, uint16_t max,
                           const struct nlattr **tb) {
        return nl_attrs(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), policy, max, tb);
}

/* a nested list (mnl_attr_for_each_nested) is whole: no bytes left over */
static bool nl_list_whole(const struct nlattr *nest) {
        const struct nlattr *a;
        mnl_attr_for_each_nested(a, nest)
                ;
        return (const char *) a >= (const char *) mnl_attr_get_payload(nest) + mnl_attr_get_payload_len(nest);
}

/* a data callback's answer: the next message when this one is a part */
static int nl_next(const struct nlmsghdr *h) {
        return h->nlmsg_flags & NLM_F_MULTI ? MNL_CB_OK : MNL_CB_STOP;
}

/* Runs cb over one datagram of the answer to seq: 1 when the answer is
 * complete (the ack, NLMSG_DONE, or a message that is not a part), 0 when
 * more is to come, -errno (the kernel's error; EINTR: a dump interrupted by
 * a change, NLM_F_DUMP_INTR; EBADMSG: a message cut short). A callback
 * returning MNL_CB_ERROR sets errno. */
static int nl_run(const void *buf, size_t n, unsigned seq, unsigned portid, mnl_cb_t cb, void *data) {
        /* whole messages only; and mnl_nlmsg_ok() takes an nlmsg_len above
         * INT_MAX (negative as its int) for one that fits */
        for (size_t left = n, step; left > 0; left -= step) {
                const struct nlmsghdr *h = (const void *) ((const char *) buf + (n - left));
                if (left < sizeof(*h) || h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
                        return -EBADMSG;
                step = MNL_ALIGN(h->nlmsg_len) < left ? MNL_ALIGN(h->nlmsg_len) : left;
        }
        if (n > INT32_MAX)
                return -EMSGSIZE;
        errno = 0;
        int r = mnl_cb_run(buf, n, seq, portid, cb, data);
        if (r < 0)
                return errno > 0 ? -errno : -EIO;
        return r == MNL_CB_STOP;
}

/* Sends the request h and runs cb over the answer until it is complete.
 * -errno as the kernel said it. A dump interrupted by a change (EINTR) is
 * sent again, up to 3 times, with reset(data) before each: without reset,
 * it is -EINTR (the caller cannot tell). */
static int nl_talk_retry(struct nlmsghdr *h, mnl_cb_t cb, void *data, void (*reset)(void *data)) {
        _cleanup_free_ void *req = NULL;
        int r = -EINTR;

        if (reset) {
                if (!(req = malloc(h->nlmsg_len)))
                        return -ENOMEM;
                memcpy(req, h, h->nlmsg_len);
        }
        for (int tries = 0; r == -EINTR && tries < 3; tries++) {
                if (tries > 0) {
                        if (!reset)
                                break;
                        reset(data);
                        if ((r = nl_open()) < 0)
                                return r;
                        h = req;
                }
                unsigned seq = h->nlmsg_seq = ++nl_seq;
                if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
                        r = -errno;
                else
                        do {
                                ssize_t n = mnl_socket_recvfrom(nl, nl_buf, NL_BUF_SIZE);
                                if (n < 0)
                                        r = -errno;
                                else if (n == 0)
                                        r = -EIO;
                                else
                                        r = nl_run(nl_buf, (size_t) n, seq, nl_portid, cb, data);
                        } while (r == 0);
                if (r < 0)
                        nl_close();
        }
        return r < 0 ? r : 0;
}

static int nl_talk(struct nlmsghdr *h, mnl_cb_t cb, void *data) {
        return nl_talk_retry(h, cb, data, NULL);
}

/* The answer in one buffer, whole (the parsers' entry for the fuzzer):
 * -EBADMSG if it ends before it is complete. */
static int nl_parse_buf(const void *buf, size_t len, mnl_cb_t cb, void *data) {
        int r = mnl_load();
        if (r < 0)
                return r;
        r = nl_run(buf, len, 0, 0, cb, data);
        return r < 0 ? r : r == 0 ? -EBADMSG : 0;
}

static struct nlmsghdr *link_msg(int type, unsigned flags, int ifindex) {
        struct nlmsghdr *h = mnl_nlmsg_put_header(nl_buf);
        h->nlmsg_type = (uint16_t) type;
        h->nlmsg_flags = (uint16_t) (NLM_F_REQUEST | flags);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        return h;
}

/* the RTM_NEWLINK attributes read here */
static const struct nl_policy link_policy[IFLA_MAX + 1] = {
        [IFLA_VFINFO_LIST] = { MNL_TYPE_NESTED, 0 },
        [IFLA_PERM_ADDRESS] = { MNL_TYPE_BINARY, 0 },
};

/* The RTM_NEWLINK for ifindex: its attributes in tb, 1; 0 for another
 * message (another type, another netdev); -EBADMSG. */
static int link_attrs(const struct nlmsghdr *h, int ifindex, const struct nlattr *tb[IFLA_MAX + 1]) {
        if (h->nlmsg_type != RTM_NEWLINK)
                return 0;
        if (mnl_nlmsg_get_payload_len(h) < sizeof(struct ifinfomsg))
                return -EBADMSG;
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
        if (ifi->ifi_index != ifindex)
                return 0;
        int r = nl_attrs_msg(h, sizeof(*ifi), link_policy, IFLA_MAX, tb);
        return r < 0 ? r : 1;
}

struct get_state {
        int ifindex;
        struct vf_settings *vfs;
        size_t n;
        bool seen;
};

static void get_reset(void *data) {
        struct get_state *st = data;
        free(st->vfs);
        *st = (struct get_state) { .ifindex = st->ifindex };
}

static const struct nl_policy vf_policy[IFLA_VF_MAX + 1] = {
        [IFLA_VF_MAC] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_mac) },
        [IFLA_VF_VLAN] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_vlan) },
        [IFLA_VF_VLAN_LIST] = { MNL_TYPE_NESTED, 0 },
        [IFLA_VF_SPOOFCHK] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_spoofchk) },
        [IFLA_VF_TRUST] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_trust) },
        [IFLA_VF_LINK_STATE] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_link_state) },
        [IFLA_VF_RATE] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_rate) },
        [IFLA_VF_RSS_QUERY_EN] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_rss_query_en) },
};

static const struct nl_policy vlan_policy[IFLA_VF_VLAN_INFO_MAX + 1] = {
        [IFLA_VF_VLAN_INFO] = { MNL_TYPE_BINARY, sizeof(struct ifla_vf_vlan_info) },
};

/* one IFLA_VFINFO_LIST entry: entries of another type skipped; -EBADMSG
 * for one that is malformed or names no VF (a partial answer is no answer) */
static int vf_info(const struct nlattr *info, struct get_state *st) {
        const struct nlattr *tb[IFLA_VF_MAX + 1];
        const struct ifla_vf_mac *mac;
        const struct ifla_vf_vlan *vlan;
        const struct ifla_vf_vlan_info *vinfo = NULL;
        const struct ifla_vf_spoofchk *spoof;
        const struct ifla_vf_trust *trust;
        const struct ifla_vf_link_state *link;
        const struct ifla_vf_rate *rate;
        const struct ifla_vf_rss_query_en *rss;
        int r;

        if (mnl_attr_get_type(info) != IFLA_VF_INFO)
                return 0;
        if ((r = nl_attrs_nested(info, vf_policy, IFLA_VF_MAX, tb)) < 0)
                return r;
        if (!tb[IFLA_VF_MAC] || (mac = mnl_attr_get_payload(tb[IFLA_VF_MAC]))->vf > 65535)
                return -EBADMSG;
        unsigned vf = mac->vf;
        if (vf >= st->n) {
                struct vf_settings *m = realloc(st->vfs, (vf + 1) * sizeof(*m));
                if (!m)
                        return -ENOMEM;
                memset(m + st->n, 0, (vf + 1 - st->n) * sizeof(*m));
                st->vfs = m;
                st->n = vf + 1;
        }
        struct vf_settings *v = &st->vfs[vf];
        memcpy(v->mac, mac->mac, 6);
        v->set |= VF_SET_MAC;
        if (tb[IFLA_VF_VLAN_LIST]) {
                const struct nlattr *i;
                if (!nl_list_whole(tb[IFLA_VF_VLAN_LIST]))
                        return -EBADMSG;
                mnl_attr_for_each_nested(i, tb[IFLA_VF_VLAN_LIST]) {
                        if (mnl_attr_type_valid(i, IFLA_VF_VLAN_INFO_MAX) < 0 ||
                            mnl_attr_get_type(i) != IFLA_VF_VLAN_INFO)
                                continue;
                        if (!nl_attr_fits(i, &vlan_policy[IFLA_VF_VLAN_INFO]))
                                return -EBADMSG;
                        if (!vinfo)
                                vinfo = mnl_attr_get_payload(i);
                }
        }
        if (vinfo) {
                v->vlan = vinfo->vlan;
                v->qos = vinfo->qos;
                v->vlan_proto = ntohs(vinfo->vlan_proto);
                v->set |= VF_SET_VLAN;
        } else if (tb[IFLA_VF_VLAN]) {
                vlan = mnl_attr_get_payload(tb[IFLA_VF_VLAN]);
                v->vlan = vlan->vlan;
                v->qos = vlan->qos;
                v->vlan_proto = VLAN_PROTO_8021Q;
                v->set |= VF_SET_VLAN;
        }
        if (v->vlan == 0 && v->qos == 0) /* no VLAN: the protocol means nothing */
                v->vlan_proto = VLAN_PROTO_8021Q;
        /* a driver that does not report a setting leaves it -1 */
        if (tb[IFLA_VF_SPOOFCHK] && (spoof = mnl_attr_get_payload(tb[IFLA_VF_SPOOFCHK]))->setting != (uint32_t) -1) {
                v->spoofchk = spoof->setting;
                v->set |= VF_SET_SPOOFCHK;
        }
        if (tb[IFLA_VF_TRUST] && (trust = mnl_attr_get_payload(tb[IFLA_VF_TRUST]))->setting != (uint32_t) -1) {
                v->trust = trust->setting;
                v->set |= VF_SET_TRUST;
        }
        if (tb[IFLA_VF_RSS_QUERY_EN] &&
            (rss = mnl_attr_get_payload(tb[IFLA_VF_RSS_QUERY_EN]))->setting != (uint32_t) -1) {
                v->query_rss = rss->setting;
                v->set |= VF_SET_QUERY_RSS;
        }
        if (tb[IFLA_VF_LINK_STATE] &&
            (link = mnl_attr_get_payload(tb[IFLA_VF_LINK_STATE]))->link_state <= VF_LINK_DISABLE) {
                v->link_state = (enum vf_link_state) link->link_state;
                v->set |= VF_SET_LINK_STATE;
        }
        if (tb[IFLA_VF_RATE]) {
                rate = mnl_attr_get_payload(tb[IFLA_VF_RATE]);
                v->min_tx_rate = rate->min_tx_rate;
                v->max_tx_rate = rate->max_tx_rate;
                v->set |= VF_SET_RATE;
        }
        return 0;
}

static int get_cb(const struct nlmsghdr *h, void *data) {
        struct get_state *st = data;
        const struct nlattr *tb[IFLA_MAX + 1];
        const struct nlattr *i;
        int r;

        if ((r = link_attrs(h, st->ifindex, tb)) <= 0)
                goto out;
        if (tb[IFLA_VFINFO_LIST]) {
                if (!nl_list_whole(tb[IFLA_VFINFO_LIST])) {
                        r = -EBADMSG;
                        goto out;
                }
                mnl_attr_for_each_nested(i, tb[IFLA_VFINFO_LIST])
                        if ((r = vf_info(i, st)) < 0)
                                goto out;
        }
        st->seen = true;
out:
        if (r < 0) {
                errno = -r;
                return MNL_CB_ERROR;
        }
        return nl_next(h);
}

static int get_done(struct get_state *st, int r, struct vf_settings **ret, size_t *n) {
        if (r >= 0 && !st->seen) /* no RTM_NEWLINK for the netdev: cannot tell */
                r = -ENODATA;
        if (r < 0) {
                free(st->vfs);
                return r;
        }
        *ret = st->vfs;
        *n = st->n;
        return 0;
}

int netlink_vf_get(int ifindex, struct vf_settings **ret, size_t *n) {
        struct get_state st = { .ifindex = ifindex };
        int r = nl_open();
        if (r < 0)
                return r;
        struct nlmsghdr *h = link_msg(RTM_GETLINK, 0, ifindex);
        mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
        return get_done(&st, nl_talk_retry(h, get_cb, &st, get_reset), ret, n);
}

int netlink_vf_parse(const void *buf, size_t len, int ifindex, struct vf_settings **ret, size_t *n) {
        struct get_state st = { .ifindex = ifindex };
        return get_done(&st, nl_parse_buf(buf, len, get_cb, &st), ret, n);
}

int netlink_vf_set(int ifindex, unsigned vf, unsigned setting, const struct vf_settings *w) {
        int r = nl_open();
        if (r < 0)
                return r;
        struct nlmsghdr *h = link_msg(RTM_SETLINK, NLM_F_ACK, ifindex);
        struct nlattr *list = mnl_attr_nest_start(h, IFLA_VFINFO_LIST);
        struct nlattr *info = mnl_attr_nest_start(h, IFLA_VF_INFO);
        switch (setting) {
        case VF_SET_MAC: {
                struct ifla_vf_mac m = { .vf = vf };
                memcpy(m.mac, w->mac, 6);
                mnl_attr_put(h, IFLA_VF_MAC, sizeof(m), &m);
                break;
        }
        case VF_SET_VLAN: {
                struct nlattr *vl = mnl_attr_nest_start(h, IFLA_VF_VLAN_LIST);
                struct ifla_vf_vlan_info v = {
                        .vf = vf, .vlan = w->vlan, .qos = w->qos,
                        .vlan_proto = htons((uint16_t) (w->vlan_proto ?: VLAN_PROTO_8021Q)),
                };
                mnl_attr_put(h, IFLA_VF_VLAN_INFO, sizeof(v), &v);
                mnl_attr_nest_end(h, vl);
                break;
        }
        case VF_SET_SPOOFCHK: {
                struct ifla_vf_spoofchk v = { .vf = vf, .setting = w->spoofchk };
                mnl_attr_put(h, IFLA_VF_SPOOFCHK, sizeof(v), &v);
                break;
        }
        case VF_SET_TRUST: {
                struct ifla_vf_trust v = { .vf = vf, .setting = w->trust };
                mnl_attr_put(h, IFLA_VF_TRUST, sizeof(v), &v);
                break;
        }
        case VF_SET_LINK_STATE: {
                struct ifla_vf_link_state v = { .vf = vf, .link_state = w->link_state };
                mnl_attr_put(h, IFLA_VF_LINK_STATE, sizeof(v), &v);
                break;
        }
        case VF_SET_RATE: {
                struct ifla_vf_rate v = { .vf = vf, .min_tx_rate = w->min_tx_rate, .max_tx_rate = w->max_tx_rate };
                mnl_attr_put(h, IFLA_VF_RATE, sizeof(v), &v);
                break;
        }
        case VF_SET_QUERY_RSS: {
                struct ifla_vf_rss_query_en v = { .vf = vf, .setting = w->query_rss };
                mnl_attr_put(h, IFLA_VF_RSS_QUERY_EN, sizeof(v), &v);
                break;
        }
        default:
                return -EINVAL;
        }
        mnl_attr_nest_end(h, info);
        mnl_attr_nest_end(h, list);
        return nl_talk(h, NULL, NULL);
}

struct perm_state {
        int ifindex;
        uint8_t mac[6];
        bool seen, found;
};

static int perm_cb(const struct nlmsghdr *h, void *data) {
        struct perm_state *st = data;
        const struct nlattr *tb[IFLA_MAX + 1];
        int r = link_attrs(h, st->ifindex, tb);

        if (r < 0) {
                errno = -r;
                return MNL_CB_ERROR;
        }
        if (r > 0) {
                st->seen = true;
                /* a hardware address of another length (InfiniBand's 20 bytes) is none */
                if (tb[IFLA_PERM_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_PERM_ADDRESS]) == 6) {
                        memcpy(st->mac, mnl_attr_get_payload(tb[IFLA_PERM_ADDRESS]), 6);
                        st->found = true;
                }
        }
        return nl_next(h);
}

static int perm_done(const struct perm_state *st, int r, uint8_t ret[static 6]) {
        if (r < 0)
                return r;
        if (!st->seen) /* no RTM_NEWLINK for the netdev: cannot tell */
                return -EBADMSG;
        if (!st->found)
                return -ENODATA;
        memcpy(ret, st->mac, 6);
        return 0;
}

int netlink_perm_addr(int ifindex, uint8_t ret[static 6]) {
        struct perm_state st = { .ifindex = ifindex };
        int r = nl_open();
        if (r < 0)
                return r;
        struct nlmsghdr *h = link_msg(RTM_GETLINK, 0, ifindex);
        mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        return perm_done(&st, nl_talk(h, perm_cb, &st), ret);
}

int netlink_perm_addr_parse(const void *buf, size_t len, int ifindex, uint8_t ret[static 6]) {
        struct perm_state st = { .ifindex = ifindex };
        return perm_done(&st, nl_parse_buf(buf, len, perm_cb, &st), ret);
}

/* The network guard's view: dumps of links, addresses, routes of every
 * table, and policy rules. Each callback validates what it reads. */

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/nexthop.h>
#include <net/if.h>

/* RFC 2863 operational states (linux/if.h, which clashes with net/if.h) */
enum { NL_OPER_UNKNOWN = 0, NL_OPER_UP = 6 };

static int grow(void **v, size_t *n, size_t size) {
        void *m = realloc(*v, (*n + 1) * size);
        if (!m)
                return -ENOMEM;
        memset((char *) m + *n * size, 0, size);
        *v = m;
        (*n)++;
        return 0;
}

struct valid_tb {
        const struct nlattr **tb;
        unsigned max;
};

/* tb[type] for attributes of a known type, the others skipped */
static int valid_attr_cb(const struct nlattr *a, void *data) {
        struct valid_tb *v = data;
        if (mnl_attr_type_valid(a, (uint16_t) v->max) < 0)
                return MNL_CB_OK;
        v->tb[mnl_attr_get_type(a)] = a;
        return MNL_CB_OK;
}

static bool u32_of(const struct nlattr *a, uint32_t *ret) {
        if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
                return false;
        *ret = mnl_attr_get_u32(a);
        return true;
}

static void str_of(const struct nlattr *a, char *buf, size_t n) {
        *buf = 0;
        if (a && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                snprintf(buf, n, "%s", mnl_attr_get_str(a));
}

/* an address attribute of the family's length into ret */
static bool addr_of(const struct nlattr *a, int family, uint8_t ret[static 16]) {
        size_t len = family == AF_INET ? 4 : 16;
        if (!a || mnl_attr_get_payload_len(a) != len)
                return false;
        memcpy(ret, mnl_attr_get_payload(a), len);
        return true;
}

static int dump_link_cb(const struct nlmsghdr *h, void *data) {
        struct nl_net *net = data;
        const struct nlattr *tb[IFLA_MAX + 1] = {}, *info[IFLA_INFO_MAX + 1] = {};
        struct valid_tb v = { tb, IFLA_MAX }, vi = { info, IFLA_INFO_MAX };
        const struct ifinfomsg *ifi;
        uint32_t x;

        if (h->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(h) < sizeof(*ifi))
                return MNL_CB_OK;
        ifi = mnl_nlmsg_get_payload(h);
        if (mnl_attr_parse(h, sizeof(*ifi), valid_attr_cb, &v) < 0 || ifi->ifi_index <= 0)
                return MNL_CB_OK;
        if (grow((void **) &net->links, &net->n_links, sizeof(struct nl_link)) < 0)
                return MNL_CB_ERROR;
        struct nl_link *l = &net->links[net->n_links - 1];
        l->ifindex = ifi->ifi_index;
        str_of(tb[IFLA_IFNAME], l->name, sizeof(l->name));
        if (u32_of(tb[IFLA_MASTER], &x))
                l->master = (int) x;
        if (!tb[IFLA_LINK_NETNSID] && u32_of(tb[IFLA_LINK], &x) && (int) x != ifi->ifi_index)
                l->lower = (int) x;
        if (tb[IFLA_LINKINFO] && mnl_attr_validate(tb[IFLA_LINKINFO], MNL_TYPE_NESTED) >= 0 &&
            mnl_attr_parse_nested(tb[IFLA_LINKINFO], valid_attr_cb, &vi) >= 0)
                str_of(info[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
        uint8_t oper = NL_OPER_UNKNOWN;
        if (tb[IFLA_OPERSTATE] && mnl_attr_validate(tb[IFLA_OPERSTATE], MNL_TYPE_U8) >= 0)
                oper = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
        l->up = (ifi->ifi_flags & IFF_UP) && (oper == NL_OPER_UP || oper == NL_OPER_UNKNOWN);
        return MNL_CB_OK;
}

static int dump_addr_cb(const struct nlmsghdr *h, void *data) {
        struct nl_net *net = data;
        const struct nlattr *tb[IFA_MAX + 1] = {};
        struct valid_tb v = { tb, IFA_MAX };
        const struct ifaddrmsg *ifa;
        uint8_t a[16] = {};

        if (h->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(h) < sizeof(*ifa))
                return MNL_CB_OK;
        ifa = mnl_nlmsg_get_payload(h);
        if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
            mnl_attr_parse(h, sizeof(*ifa), valid_attr_cb, &v) < 0)
                return MNL_CB_OK;
        /* IFA_LOCAL is the address itself (IFA_ADDRESS the peer's, point to point) */
        if (!addr_of(tb[IFA_LOCAL], ifa->ifa_family, a) && !addr_of(tb[IFA_ADDRESS], ifa->ifa_family, a))
                return MNL_CB_OK;
        if (grow((void **) &net->addrs, &net->n_addrs, sizeof(struct nl_addr)) < 0)
                return MNL_CB_ERROR;
        struct nl_addr *x = &net->addrs[net->n_addrs - 1];
        x->ifindex = (int) ifa->ifa_index;
        x->family = ifa->ifa_family;
        x->prefixlen = ifa->ifa_prefixlen;
        x->scope = ifa->ifa_scope;
        memcpy(x->addr, a, sizeof(a));
        return MNL_CB_OK;
}

static int add_route(struct nl_net *net, const struct nl_route *r) {
        if (grow((void **) &net->routes, &net->n_routes, sizeof(struct nl_route)) < 0)
                return -ENOMEM;
        net->routes[net->n_routes - 1] = *r;
        return 0;
}

static int dump_route_cb(const struct nlmsghdr *h, void *data) {
        struct nl_net *net = data;
        const struct nlattr *tb[RTA_MAX + 1] = {};
        struct valid_tb v = { tb, RTA_MAX };
        const struct rtmsg *rtm;
        struct nl_route r = {};
        uint32_t x;

        if (h->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(h) < sizeof(*rtm))
                return MNL_CB_OK;
        rtm = mnl_nlmsg_get_payload(h);
        if ((rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6) ||
            mnl_attr_parse(h, sizeof(*rtm), valid_attr_cb, &v) < 0)
                return MNL_CB_OK;
        r.family = rtm->rtm_family;
        r.type = rtm->rtm_type;
        r.dst_len = rtm->rtm_dst_len;
        r.table = u32_of(tb[RTA_TABLE], &x) ? x : rtm->rtm_table;
        if (r.dst_len > (r.family == AF_INET ? 32u : 128u))
                return MNL_CB_OK;
        (void) addr_of(tb[RTA_DST], r.family, r.dst);
        r.has_gw = addr_of(tb[RTA_GATEWAY], r.family, r.gw);
        if (u32_of(tb[RTA_OIF], &x))
                r.ifindex = (int) x;
        if (u32_of(tb[RTA_NH_ID], &x))
                r.nh_id = x;
        if (!tb[RTA_MULTIPATH] || mnl_attr_validate(tb[RTA_MULTIPATH], MNL_TYPE_NESTED) < 0)
                return add_route(net, &r) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
        /* one route a next hop: struct rtnexthop, then its own attributes */
        const uint8_t *p = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
        size_t left = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);
        while (left >= sizeof(struct rtnexthop)) {
                const struct rtnexthop *nh = (const struct rtnexthop *) p;
                if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_len > left)
                        break;
                struct nl_route one = r;
                one.ifindex = nh->rtnh_ifindex;
                one.has_gw = false;
                const struct nlattr *a;
                size_t alen = nh->rtnh_len - RTNH_ALIGN(sizeof(*nh));
                for (a = (const struct nlattr *) (p + RTNH_ALIGN(sizeof(*nh))); mnl_attr_ok(a, (int) alen);
                     alen -= MNL_ALIGN(a->nla_len), a = mnl_attr_next(a))
                        if (mnl_attr_get_type(a) == RTA_GATEWAY)
                                one.has_gw = addr_of(a, r.family, one.gw);
                if (add_route(net, &one) < 0)
                        return MNL_CB_ERROR;
                size_t step = RTNH_ALIGN(nh->rtnh_len);
                if (step >= left)
                        break;
                p += step;
                left -= step;
        }
        return MNL_CB_OK;
}

static int dump_rule_cb(const struct nlmsghdr *h, void *data) {
        struct nl_net *net = data;
        const struct nlattr *tb[FRA_MAX + 1] = {};
        struct valid_tb v = { tb, FRA_MAX };
        const struct fib_rule_hdr *frh;
        uint32_t x;

        if (h->nlmsg_type != RTM_NEWRULE || mnl_nlmsg_get_payload_len(h) < sizeof(*frh))
                return MNL_CB_OK;
        frh = mnl_nlmsg_get_payload(h);
        if (mnl_attr_parse(h, sizeof(*frh), valid_attr_cb, &v) < 0)
                return MNL_CB_OK;
        if (grow((void **) &net->rules, &net->n_rules, sizeof(struct nl_rule)) < 0)
                return MNL_CB_ERROR;
        struct nl_rule *r = &net->rules[net->n_rules - 1];
        r->family = frh->family;
        r->table = u32_of(tb[FRA_TABLE], &x) ? x : frh->table;
        str_of(tb[FRA_IFNAME], r->iif, sizeof(r->iif));
        str_of(tb[FRA_OIFNAME], r->oif, sizeof(r->oif));
        return MNL_CB_OK;
}

/* Nexthop objects (RTM_GETNEXTHOP, Linux 5.3): a route with RTA_NH_ID
 * names one, or a group of them, instead of its device */
struct nh {
        unsigned id, n_group;
        int ifindex, family;
        bool has_gw;
        uint8_t gw[16];
        unsigned group[32];
};
struct nh_list {
        struct nh *v;
        size_t n;
};

static int dump_nh_cb(const struct nlmsghdr *h, void *data) {
        struct nh_list *l = data;
        const struct nlattr *tb[NHA_MAX + 1] = {};
        struct valid_tb v = { tb, NHA_MAX };
        const struct nhmsg *nhm;
        uint32_t x;

        if (h->nlmsg_type != RTM_NEWNEXTHOP || mnl_nlmsg_get_payload_len(h) < sizeof(*nhm))
                return MNL_CB_OK;
        nhm = mnl_nlmsg_get_payload(h);
        if (mnl_attr_parse(h, sizeof(*nhm), valid_attr_cb, &v) < 0 || !u32_of(tb[NHA_ID], &x))
                return MNL_CB_OK;
        if (grow((void **) &l->v, &l->n, sizeof(struct nh)) < 0)
                return MNL_CB_ERROR;
        struct nh *o = &l->v[l->n - 1];
        o->id = x;
        o->family = nhm->nh_family;
        if (u32_of(tb[NHA_OIF], &x))
                o->ifindex = (int) x;
        o->has_gw = (o->family == AF_INET || o->family == AF_INET6) && addr_of(tb[NHA_GATEWAY], o->family, o->gw);
        if (tb[NHA_GROUP]) {
                const struct nexthop_grp *g = mnl_attr_get_payload(tb[NHA_GROUP]);
                size_t k = mnl_attr_get_payload_len(tb[NHA_GROUP]) / sizeof(*g);
                for (size_t i = 0; i < k && o->n_group < 32; i++)
                        o->group[o->n_group++] = g[i].id;
        }
        return MNL_CB_OK;
}

static const struct nh *nh_find(const struct nh_list *l, unsigned id) {
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].id == id)
                        return &l->v[i];
        return NULL;
}

/* Each route through a nexthop object becomes one a device of it */
static int resolve_nh(struct nl_net *net, const struct nh_list *l) {
        size_t n = net->n_routes;
        for (size_t i = 0; i < n; i++) {
                const struct nh *o = net->routes[i].ifindex ? NULL : nh_find(l, net->routes[i].nh_id);
                unsigned one = o ? o->id : 0;
                const unsigned *ids = o && o->n_group ? o->group : &one;
                size_t k = o ? (o->n_group ?: 1) : 0;
                for (size_t j = 0; j < k; j++) {
                        const struct nh *m = nh_find(l, ids[j]);
                        if (!m || !m->ifindex)
                                continue;
                        struct nl_route r = net->routes[i];
                        r.ifindex = m->ifindex;
                        r.has_gw = m->has_gw;
                        memcpy(r.gw, m->gw, sizeof(r.gw));
                        if (add_route(net, &r) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

/* One dump request: type with its family header of size hdr (all zero,
 * family AF_UNSPEC: every family, every table) */
static int dump(int type, size_t hdr, mnl_cb_t cb, void *data) {
        struct nlmsghdr *h = mnl_nlmsg_put_header(nl_buf);
        h->nlmsg_type = (uint16_t) type;
        h->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        (void) mnl_nlmsg_put_extra_header(h, hdr);
        if (type == RTM_GETLINK)
                mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        return nl_talk(h, cb, data);
}

void netlink_net_free(struct nl_net *n) {
        free(n->links);
        free(n->addrs);
        free(n->routes);
        free(n->rules);
        *n = (struct nl_net) {};
}

int netlink_net_dump(struct nl_net *ret) {
        struct nl_net net = {};
        int r = nl_open();

        *ret = net;
        if (r >= 0)
                r = dump(RTM_GETLINK, sizeof(struct ifinfomsg), dump_link_cb, &net);
        if (r >= 0)
                r = dump(RTM_GETADDR, sizeof(struct ifaddrmsg), dump_addr_cb, &net);
        if (r >= 0)
                r = dump(RTM_GETROUTE, sizeof(struct rtmsg), dump_route_cb, &net);
        if (r >= 0)
                r = dump(RTM_GETRULE, sizeof(struct fib_rule_hdr), dump_rule_cb, &net);
        if (r >= 0) {
                struct nh_list l = {};
                r = dump(RTM_GETNEXTHOP, sizeof(struct nhmsg), dump_nh_cb, &l);
                if (r == -EOPNOTSUPP || r == -EINVAL) /* before Linux 5.3: no nexthop objects */
                        r = 0;
                if (r >= 0)
                        r = resolve_nh(&net, &l);
                free(l.v);
        }
        if (r < 0) {
                netlink_net_free(&net);
                return r;
        }
        *ret = net;
        return 0;
}
