/* Unit tests of the per-VF settings in the config model: [sriov] VF keys,
 * [sriov-vf SELECTOR INDEX], their merge, and every mistake as the exact
 * FILE:LINE: line check-config prints. */
#include <stdio.h>

#include "config.h"
#include "tap.h"

static struct config *load_str(const char *text, int *r) {
        struct config *c = NULL;
        *r = config_load_string("t.conf", text, &c);
        return c;
}

#define CHECK_ERRORS(c, ...) check_errors(__LINE__, (c), (const char *const[]){ __VA_ARGS__, NULL })
static void check_errors(int line, const struct config *c, const char *const *want) {
        char *const *got = c ? c->errors : NULL;
        for (size_t i = 0; want[i] || (got && got[i]); i++) {
                const char *g = got ? got[i] : NULL;
                if (!g || !want[i] || strcmp(g, want[i]) != 0) {
                        fprintf(stderr, "  %s:%d: %s: error %zu is '%s', wanted '%s'\n", __FILE__, line, t_current,
                                i + 1, g ? g : "(none)", want[i] ? want[i] : "(none)");
                        t_failed_checks++;
                }
                if (!g || !want[i])
                        break;
        }
}

static void test_all_vfs_and_one(void) {
        int r;
        struct config *c = load_str("[sriov 8086:10c9]\n"
                                    "num_vfs = 4\n"
                                    "spoofchk = off\n"
                                    "trust = on\n"
                                    "vf_mac_base = 02:00:00:3b:00:fe\n"
                                    "vlan = 10\n"
                                    "[sriov-vf 8086:10c9 1]\n"
                                    "mac = 02:aa:bb:cc:dd:ee\n"
                                    "vlan = 100\n"
                                    "qos = 3\n"
                                    "vlan_proto = 802.1ad\n"
                                    "link_state = disable\n"
                                    "min_tx_rate = 10\n"
                                    "max_tx_rate = 1000\n"
                                    "query_rss = on\n"
                                    "spoofchk = on\n",
                                    &r);
        CHECK(r == 0);
        CHECK_ERRORS(c, NULL);
        const struct sriov_rule *s = &c->sriov[0];
        CHECK(config_sriov_has_vf_settings(s));
        struct vf_settings v;
        char m[MAC_MAX];
        config_vf_settings(s, 0, &v);
        CHECK(v.set == (VF_SET_MAC | VF_SET_VLAN | VF_SET_SPOOFCHK | VF_SET_TRUST));
        CHECK(streq(mac_format(v.mac, m), "02:00:00:3b:00:fe"));
        CHECK(v.vlan == 10 && v.qos == 0 && v.vlan_proto == VLAN_PROTO_8021Q);
        CHECK(!v.spoofchk && v.trust);
        config_vf_settings(s, 2, &v); /* base + 2 carries into the 4th byte */
        CHECK(streq(mac_format(v.mac, m), "02:00:00:3b:01:00"));
        config_vf_settings(s, 1, &v);
        CHECK(v.set == VF_SET_ALL);
        CHECK(streq(mac_format(v.mac, m), "02:aa:bb:cc:dd:ee"));
        CHECK(v.vlan == 100 && v.qos == 3 && v.vlan_proto == VLAN_PROTO_8021AD);
        CHECK(v.spoofchk && v.trust && v.query_rss && v.link_state == VF_LINK_DISABLE);
        CHECK(v.min_tx_rate == 10 && v.max_tx_rate == 1000);
        config_free(c);

        c = load_str("[sriov 0000:3b:00.0]\nnum_vfs = 2\n", &r);
        CHECK(r == 0 && !config_sriov_has_vf_settings(&c->sriov[0]));
        config_free(c);
}

static void test_sriov_vf_before_and_in_dropin_order(void) {
        int r;
        /* [sriov-vf] first, its [sriov] later in the same text: fine */
        struct config *c = load_str("[sriov-vf 3b:00.0 0]\ntrust = on\n[sriov 0000:3b:00.0]\nnum_vfs = 1\n", &r);
        CHECK(r == 0);
        CHECK(c->n_sriov == 1 && c->sriov[0].n_vfs == 1 && c->sriov[0].vfs[0].s.trust);
        CHECK_ERRORS(c, NULL);
        config_free(c);
}

static void test_mistakes(void) {
        int r;
        struct config *c = load_str("[sriov 0000:3b:00.0]\n"        /* 1 */
                                    "num_vfs = 2\n"                  /* 2 */
                                    "vlan = 4095\n"                  /* 3 */
                                    "qos = 8\n"                      /* 4 */
                                    "vlan_proto = 802.1x\n"          /* 5 */
                                    "spoofchk = maybe\n"             /* 6 */
                                    "link_state = up\n"              /* 7 */
                                    "mac = 02:00:00:00:00:01\n"      /* 8 */
                                    "vf_mac_base = 03:00:00:00:00:01\n" /* 9 */
                                    "min_tx_rate = -5\n"             /* 10 */
                                    "[sriov-vf 0000:3b:00.0 1]\n"    /* 11 */
                                    "mac = 02:00:00:00:00:1g\n"      /* 12 */
                                    "mac = 00:00:00:00:00:00\n"      /* 13 */
                                    "vf_mac_base = 02:00:00:00:00:01\n" /* 14 */
                                    "[sriov-vf 0000:3b:00.0 2]\n"    /* 15 */
                                    "trust = on\n"                   /* 16 */
                                    "[sriov-vf 0000:3b:00.0]\n"      /* 17 */
                                    "[sriov-vf 0000:3b:00.0 x]\n"    /* 18 */
                                    "[sriov-vf 0000:3c:00.0 0]\n"    /* 19 */
                                    "trust = on\n",                  /* 20 */
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:3: vlan: 4095 is not a VLAN ID (1 to 4094, 0 for none)",
                     "t.conf:4: qos: 8 is not an 802.1p priority (0 to 7)",
                     "t.conf:5: vlan_proto: '802.1x' is not 802.1Q or 802.1ad",
                     "t.conf:6: spoofchk: 'maybe' is not on or off",
                     "t.conf:7: link_state: 'up' is not auto, enable or disable",
                     "t.conf:8: mac: one MAC for every VF; use vf_mac_base here (VF i gets it plus i), or mac in "
                     "[sriov-vf 0000:3b:00.0 INDEX]",
                     "t.conf:9: vf_mac_base: '03:00:00:00:00:01' is a multicast address; a VF needs a unicast one",
                     "t.conf:10: min_tx_rate: '-5' is negative",
                     "t.conf:12: mac: '02:00:00:00:00:1g' not a MAC address such as 02:00:00:3b:00:01",
                     "t.conf:13: mac set again in [sriov-vf 0000:3b:00.0 1] (first at line 12)",
                     "t.conf:14: unknown key 'vf_mac_base' in [sriov-vf 0000:3b:00.0 1] (known: mac, spoofchk, trust, "
                     "vlan, qos, vlan_proto, link_state, min_tx_rate, max_tx_rate, query_rss)",
                     "t.conf:17: [sriov-vf] needs a PF selector and a VF index: [sriov-vf 0000:3b:00.0 1]",
                     "t.conf:18: [sriov-vf 0000:3b:00.0 x]: 'x' is not a VF index (0 to num_vfs - 1)",
                     "t.conf:15: [sriov-vf 0000:3b:00.0 2]: VF 2 does not exist: num_vfs is 2 (VFs 0 to 1)",
                     "t.conf:19: [sriov-vf 0000:3c:00.0 ...] without a [sriov 0000:3c:00.0] section (num_vfs)");
        config_free(c);
}

static void test_cross_key_rules(void) {
        int r;
        struct config *c = load_str("[sriov 0000:3b:00.0]\n"       /* 1 */
                                    "num_vfs = 3\n"
                                    "qos = 2\n"
                                    "min_tx_rate = 100\n"
                                    "max_tx_rate = 50\n"
                                    "vf_mac_base = 02:00:00:ff:ff:fe\n"
                                    "[sriov-vf 0000:3b:00.0 1]\n"  /* 7 */
                                    "vlan = 7\n"
                                    "max_tx_rate = 0\n"
                                    "[sriov-vf 0000:3b:00.0 2]\n"  /* 10 */
                                    "mac = 02:00:00:00:00:09\n"
                                    "[sriov-vf 0000:3b:00.0 0]\n"  /* 12 */
                                    "mac = 02:00:00:00:00:09\n"
                                    "[sriov 0000:3c:00.0]\n"       /* 14 */
                                    "num_vfs = 1\n"
                                    "vlan_proto = 802.1ad\n",
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:1: [sriov 0000:3b:00.0]: qos needs a vlan",
                     "t.conf:1: [sriov 0000:3b:00.0]: max_tx_rate 50 is below min_tx_rate 100",
                     "t.conf:1: [sriov 0000:3b:00.0]: vf_mac_base 02:00:00:ff:ff:fe plus 3 VFs runs past the last 3 bytes",
                     "t.conf:14: [sriov 0000:3c:00.0]: vlan_proto needs a vlan",
                     "t.conf:10: [sriov-vf 0000:3b:00.0 2]: mac 02:00:00:00:00:09 is VF 0's too");
        config_free(c);
}

/* vfpt.conf(5): two VFs with one MAC are an error, whichever way each got it */
static void test_duplicate_macs_any_pair(void) {
        int r;
        /* an explicit mac at a lower index equal to what vf_mac_base gives VF 2 */
        struct config *c = load_str("[sriov 0000:3b:00.0]\n"      /* 1 */
                                    "num_vfs = 4\n"
                                    "vf_mac_base = 02:00:00:00:00:10\n"
                                    "[sriov-vf 0000:3b:00.0 0]\n" /* 4 */
                                    "mac = 02:00:00:00:00:12\n",
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:4: [sriov-vf 0000:3b:00.0 0]: mac 02:00:00:00:00:12 is VF 2's too (from vf_mac_base)");
        config_free(c);
        /* two PFs whose vf_mac_base ranges overlap: said once */
        c = load_str("[sriov 0000:3b:00.0]\nnum_vfs = 4\nvf_mac_base = 02:00:00:00:00:10\n"
                     "[sriov 0000:3c:00.0]\nnum_vfs = 4\nvf_mac_base = 02:00:00:00:00:12\n",
                     &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:4: [sriov 0000:3c:00.0]: vf_mac_base gives VF 0 mac 02:00:00:00:00:12, which VF 2 of "
                        "[sriov 0000:3b:00.0] has too (from its vf_mac_base)");
        config_free(c);
        /* an explicit mac on another PF's VF */
        c = load_str("[sriov 0000:3b:00.0]\nnum_vfs = 2\n[sriov-vf 0000:3b:00.0 1]\nmac = 02:00:00:00:00:07\n"
                     "[sriov 0000:3c:00.0]\nnum_vfs = 2\n[sriov-vf 0000:3c:00.0 0]\nmac = 02:00:00:00:00:07\n",
                     &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:7: [sriov-vf 0000:3c:00.0 0]: mac 02:00:00:00:00:07 is VF 1's of [sriov 0000:3b:00.0] too");
        config_free(c);
        /* distinct MACs pass */
        c = load_str("[sriov 0000:3b:00.0]\nnum_vfs = 4\nvf_mac_base = 02:00:00:00:00:10\n"
                     "[sriov-vf 0000:3b:00.0 0]\nmac = 02:00:00:00:00:20\n",
                     &r);
        CHECK(r == 0);
        config_free(c);
}

int main(void) {
        RUN(test_all_vfs_and_one);
        RUN(test_sriov_vf_before_and_in_dropin_order);
        RUN(test_mistakes);
        RUN(test_duplicate_macs_any_pair);
        RUN(test_cross_key_rules);
        TEST_MAIN_END();
}
