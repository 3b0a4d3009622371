/* The rtnetlink reply parsers (agent/netlink.c) over the fuzz target's seeds
 * and regressions (tests/fuzz/netlink-seeds.py writes them): what each
 * kernel answer reads as. Run from the source tree's root. */
#include <errno.h>
#include <stdlib.h>

#include "netlink.h"
#include "tap.h"
#include "util.h"

/* the file's bytes after the fuzzer's selector byte, in an aligned buffer */
static void *input(const char *path, size_t *len) {
        char buf[65536];
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
        if (f)
                fclose(f);
        CHECK(n > 1);
        if (n < 1)
                return NULL;
        *len = n - 1;
        void *p = malloc(n);
        memcpy(p, buf + 1, n - 1);
        return p;
}

static int vfs_of(const char *name, struct vf_settings **vfs, size_t *n) {
        char p[256];
        size_t len = 0;
        snprintf(p, sizeof(p), "tests/fuzz/%s", name);
        _cleanup_free_ void *b = input(p, &len);
        *vfs = NULL;
        *n = 0;
        return b ? netlink_vf_parse(b, len, 7, vfs, n) : -ENOENT;
}

static int perm_of(const char *name, uint8_t mac[6]) {
        char p[256];
        size_t len = 0;
        snprintf(p, sizeof(p), "tests/fuzz/%s", name);
        _cleanup_free_ void *b = input(p, &len);
        return b ? netlink_perm_addr_parse(b, len, 7, mac) : -ENOENT;
}

static void test_two_vfs(void) {
        _cleanup_free_ struct vf_settings *v = NULL;
        size_t n;
        CHECK(vfs_of("seeds-netlink/vfs-two", &v, &n) == 0);
        CHECK(n == 2);
        if (n != 2)
                return;
        CHECK(v[0].set == (VF_SET_ALL & ~VF_SET_QUERY_RSS)); /* rss -1: not reported */
        CHECK(v[0].vlan == 100 && v[0].vlan_proto == VLAN_PROTO_8021Q && v[0].spoofchk && !v[0].trust);
        CHECK(memcmp(v[0].mac, "\x02\0\0\0\0\x11", 6) == 0);
        CHECK(v[1].vlan == 0);
}

static void test_future_kernel_attributes_skipped(void) {
        _cleanup_free_ struct vf_settings *v = NULL;
        size_t n;
        /* types past IFLA_MAX, IFLA_VF_MAX, an unknown VFINFO_LIST entry */
        CHECK(vfs_of("seeds-netlink/vfs-future-kernel", &v, &n) == 0);
        CHECK(n == 1 && v && v[0].vlan == 100 && (v[0].set & VF_SET_RATE));
        free(v);
        v = NULL;
        CHECK(vfs_of("regressions/netlink-ifla-max-overflow", &v, &n) == 0);
        CHECK(n == 1);
        uint8_t mac[6];
        CHECK(perm_of("regressions/netlink-perm-ifla-max-overflow", mac) == 0);
        CHECK(memcmp(mac, "\x52\x54\x00\x12\x34\x56", 6) == 0);
}

static void test_multi_part_and_other_netdevs(void) {
        _cleanup_free_ struct vf_settings *v = NULL, *w = NULL;
        size_t n;
        CHECK(vfs_of("seeds-netlink/vfs-multi-done", &v, &n) == 0 && n == 1);
        /* an answer (not a part) for ifindex 8 is no answer for ifindex 7 */
        CHECK(vfs_of("seeds-netlink/vfs-other-ifindex", &w, &n) == -ENODATA && !w);
}

static void test_cannot_tell_is_an_error(void) {
        struct vf_settings *v;
        size_t n;
        CHECK(vfs_of("seeds-netlink/vfs-dump-intr", &v, &n) == -EINTR && !v);
        CHECK(vfs_of("seeds-netlink/vfs-enodev", &v, &n) == -ENODEV && !v);
        CHECK(vfs_of("regressions/netlink-short-vf-rate", &v, &n) == -EBADMSG && !v);
        CHECK(vfs_of("regressions/netlink-truncated-attr", &v, &n) == -EBADMSG && !v);
        CHECK(vfs_of("regressions/netlink-nlmsg-len-above-int-max", &v, &n) == -EBADMSG && !v);
        /* a multi-part answer without its NLMSG_DONE is not whole */
        size_t len;
        _cleanup_free_ void *b = input("tests/fuzz/seeds-netlink/vfs-multi-done", &len);
        CHECK(b && netlink_vf_parse(b, len - 20, 7, &v, &n) == -EBADMSG);
}

static void test_perm_addr(void) {
        uint8_t mac[6];
        CHECK(perm_of("seeds-netlink/perm", mac) == 0 && memcmp(mac, "\x52\x54\x00\x12\x34\x56", 6) == 0);
        CHECK(perm_of("seeds-netlink/perm-infiniband", mac) == -ENODATA);
        CHECK(perm_of("seeds-netlink/perm-none", mac) == -ENODATA);
}

int main(void) {
        RUN(test_two_vfs);
        RUN(test_future_kernel_attributes_skipped);
        RUN(test_multi_part_and_other_netdevs);
        RUN(test_cannot_tell_is_an_error);
        RUN(test_perm_addr);
        TEST_MAIN_END();
}
