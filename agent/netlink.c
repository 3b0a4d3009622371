/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only module that includes libmnl.h and linux/rtnetlink.h. */
#include <arpa/inet.h>
#include <stdint.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink.h"

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
        if (nl)
                return 0;
        if (!nl_buf && !(nl_buf = malloc(NL_BUF_SIZE)))
                return -ENOMEM;
        nl = mnl_socket_open(NETLINK_ROUTE);
        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                nl = NULL;
                return r;
        }
        nl_portid = mnl_socket_get_portid(nl);
        if (!nl_seq)
                nl_seq = (unsigned) time(NULL);
        return 0;
}

void netlink_done(void) {
        if (nl)
                mnl_socket_close(nl);
        nl = NULL;
        free(nl_buf);
        nl_buf = NULL;
}

/* Sends the request in nl_buf and runs cb over the answer until the ack
 * or the error. -errno as the kernel said it. */
static int nl_talk(struct nlmsghdr *h, mnl_cb_t cb, void *data) {
        unsigned seq = h->nlmsg_seq = ++nl_seq;
        if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                ssize_t n = mnl_socket_recvfrom(nl, nl_buf, NL_BUF_SIZE);
                if (n < 0)
                        return -errno;
                int r = mnl_cb_run(nl_buf, (size_t) n, seq, nl_portid, cb, data);
                if (r < 0)
                        return errno ? -errno : -EIO;
                if (r == MNL_CB_STOP)
                        return 0;
        }
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

struct get_state {
        struct vf_settings *vfs;
        size_t n;
        int error;
};

static int attr_cb(const struct nlattr *a, void *data) {
        const struct nlattr **tb = data;
        tb[mnl_attr_get_type(a)] = a;
        return MNL_CB_OK;
}

/* a payload of at least n bytes, or NULL */
static const void *payload(const struct nlattr *a, size_t n) {
        return a && mnl_attr_get_payload_len(a) >= n ? mnl_attr_get_payload(a) : NULL;
}

static int vf_info(const struct nlattr *info, struct get_state *st) {
        const struct nlattr *tb[IFLA_VF_MAX + 1] = {};
        const struct ifla_vf_mac *mac;
        const struct ifla_vf_vlan *vlan;
        const struct ifla_vf_vlan_info *vinfo = NULL;
        const struct ifla_vf_spoofchk *spoof;
        const struct ifla_vf_trust *trust;
        const struct ifla_vf_link_state *link;
        const struct ifla_vf_rate *rate;
        const struct ifla_vf_rss_query_en *rss;

        if (mnl_attr_get_type(info) != IFLA_VF_INFO || mnl_attr_parse_nested(info, attr_cb, tb) < 0)
                return 0;
        if (!(mac = payload(tb[IFLA_VF_MAC], sizeof(*mac))) || mac->vf > 65535)
                return 0;
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
                mnl_attr_for_each_nested(i, tb[IFLA_VF_VLAN_LIST])
                        if (mnl_attr_get_type(i) == IFLA_VF_VLAN_INFO && !vinfo)
                                vinfo = payload(i, sizeof(*vinfo));
        }
        if (vinfo) {
                v->vlan = vinfo->vlan;
                v->qos = vinfo->qos;
                v->vlan_proto = ntohs(vinfo->vlan_proto);
                v->set |= VF_SET_VLAN;
        } else if ((vlan = payload(tb[IFLA_VF_VLAN], sizeof(*vlan)))) {
                v->vlan = vlan->vlan;
                v->qos = vlan->qos;
                v->vlan_proto = VLAN_PROTO_8021Q;
                v->set |= VF_SET_VLAN;
        }
        if (v->vlan == 0 && v->qos == 0) /* no VLAN: the protocol means nothing */
                v->vlan_proto = VLAN_PROTO_8021Q;
        /* a driver that does not report a setting leaves it -1 */
        if ((spoof = payload(tb[IFLA_VF_SPOOFCHK], sizeof(*spoof))) && spoof->setting != (uint32_t) -1) {
                v->spoofchk = spoof->setting;
                v->set |= VF_SET_SPOOFCHK;
        }
        if ((trust = payload(tb[IFLA_VF_TRUST], sizeof(*trust))) && trust->setting != (uint32_t) -1) {
                v->trust = trust->setting;
                v->set |= VF_SET_TRUST;
        }
        if ((rss = payload(tb[IFLA_VF_RSS_QUERY_EN], sizeof(*rss))) && rss->setting != (uint32_t) -1) {
                v->query_rss = rss->setting;
                v->set |= VF_SET_QUERY_RSS;
        }
        if ((link = payload(tb[IFLA_VF_LINK_STATE], sizeof(*link))) && link->link_state <= VF_LINK_DISABLE) {
                v->link_state = (enum vf_link_state) link->link_state;
                v->set |= VF_SET_LINK_STATE;
        }
        if ((rate = payload(tb[IFLA_VF_RATE], sizeof(*rate)))) {
                v->min_tx_rate = rate->min_tx_rate;
                v->max_tx_rate = rate->max_tx_rate;
                v->set |= VF_SET_RATE;
        }
        return 0;
}

static int get_cb(const struct nlmsghdr *h, void *data) {
        struct get_state *st = data;
        const struct nlattr *tb[IFLA_MAX + 1] = {};
        const struct nlattr *i;

        if (h->nlmsg_type != RTM_NEWLINK)
                return MNL_CB_OK;
        if (mnl_attr_parse(h, sizeof(struct ifinfomsg), attr_cb, tb) < 0)
                return MNL_CB_OK;
        if (tb[IFLA_VFINFO_LIST])
                mnl_attr_for_each_nested(i, tb[IFLA_VFINFO_LIST])
                        if ((st->error = vf_info(i, st)) < 0)
                                return MNL_CB_ERROR;
        return MNL_CB_STOP;
}

int netlink_vf_get(int ifindex, struct vf_settings **ret, size_t *n) {
        struct get_state st = {};
        int r = nl_open();
        if (r < 0)
                return r;
        struct nlmsghdr *h = link_msg(RTM_GETLINK, 0, ifindex);
        mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
        r = nl_talk(h, get_cb, &st);
        if (r >= 0 && st.error < 0)
                r = st.error;
        if (r < 0) {
                free(st.vfs);
                return r;
        }
        *ret = st.vfs;
        *n = st.n;
        return 0;
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
        uint8_t mac[6];
        bool found;
};

static int perm_cb(const struct nlmsghdr *h, void *data) {
        struct perm_state *st = data;
        const struct nlattr *tb[IFLA_MAX + 1] = {};
        const uint8_t *m;

        if (h->nlmsg_type != RTM_NEWLINK)
                return MNL_CB_OK;
        if (mnl_attr_parse(h, sizeof(struct ifinfomsg), attr_cb, tb) < 0)
                return MNL_CB_STOP;
        if (tb[IFLA_PERM_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_PERM_ADDRESS]) == 6 &&
            (m = mnl_attr_get_payload(tb[IFLA_PERM_ADDRESS]))) {
                memcpy(st->mac, m, 6);
                st->found = true;
        }
        return MNL_CB_STOP;
}

int netlink_perm_addr(int ifindex, uint8_t ret[static 6]) {
        struct perm_state st = {};
        int r = nl_open();
        if (r < 0)
                return r;
        struct nlmsghdr *h = link_msg(RTM_GETLINK, 0, ifindex);
        mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
        r = nl_talk(h, perm_cb, &st);
        if (r < 0)
                return r;
        if (!st.found)
                return -ENODATA;
        memcpy(ret, st.mac, 6);
        return 0;
}
