/* The record of what vfpt took (undo-record.c): read strictly, written so
 * that it reads back the same. */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "undo-record.h"

static int parse(const char *s, struct undo_record *r, char *why, size_t n) {
        return undo_record_parse(s, strlen(s), r, why, n);
}

static void test_round_trip(void) {
        const char *s = "vfpt-taken 1\n"
                        "claim 0000:3b:00.0 8086:1521 from=igb override=vfio-pci\n"
                        "claim 0000:5e:00.0 10de:1db6 from=- override=pci-stub\n"
                        "vfs 0000:3b:00.0 8086:10c9 numvfs=4 autoprobe=1\n"
                        "vfs 0000:3c:00.0 8086:10c9 numvfs=2 autoprobe=-\n"
                        "vfset 0000:3b:00.0 vf=1 spoofchk off\n"
                        "vfset 0000:3b:00.0 vf=1 mac 02:00:00:00:00:01\n"
                        "vfset 0000:3b:00.0 vf=0 vlan 100 qos 0 proto 802.1Q\n";
        struct undo_record r = {};
        char why[256] = "";
        CHECK(parse(s, &r, why, sizeof(why)) == 0);
        CHECK(r.n_claims == 2 && r.n_vfs == 2 && r.n_vfsets == 3);
        struct undo_claim *c = undo_record_claim(&r, "0000:5e:00.0");
        CHECK(c && !*c->from && strcmp(c->override, "pci-stub") == 0 && c->id.vendor == 0x10de);
        struct undo_vfs *v = undo_record_vfs(&r, "0000:3b:00.0");
        CHECK(v && v->numvfs == 4 && v->autoprobe == 1);
        CHECK(undo_record_vfs(&r, "0000:3c:00.0")->autoprobe == -1);
        char *out = undo_record_format(&r);
        CHECK_STR(out, s);
        free(out);
        /* taken again (another claim driver): the first host driver stays */
        struct undo_claim again = { .dev = "0000:3b:00.0", .id = { 0x8086, 0x1521 }, .from = "vfio-pci",
                                    .override = "pci-stub" };
        CHECK(undo_record_add_claim(&r, &again) == 0);
        c = undo_record_claim(&r, "0000:3b:00.0");
        CHECK(c && strcmp(c->from, "igb") == 0 && strcmp(c->override, "pci-stub") == 0);
        undo_record_drop_vfs(&r, "0000:3b:00.0");
        CHECK(r.n_vfs == 1 && r.n_vfsets == 0);
        undo_record_free(&r);
}

static void test_untrusted(void) {
        static const struct {
                const char *text, *why;
        } bad[] = {
                { "", "empty (cut short?)" },
                { "vfpt-taken 1\nclaim 0000:3b:00.0 8086:1521 from=igb override=vfio-pci",
                  "no newline at the end (cut short?)" },
                { "vfpt-taken 2\n", "line 1: not 'vfpt-taken 1'" },
                { "vfpt-taken 1\n\n", "line 2: empty line" },
                { "vfpt-taken 1\nclaim  0000:3b:00.0 8086:1521 from=igb override=vfio-pci\n", "line 2: stray blank" },
                { "vfpt-taken 1\nclaim 0000:3b:00.0 8086:1521 from=igb override=vfio-pci \n", "line 2: stray blank" },
                { "vfpt-taken 1\nclaim 3b:00.0 8086:1521 from=igb override=vfio-pci\n",
                  "line 2: claim: '3b:00.0' is not a PCI address" },
                { "vfpt-taken 1\nclaim 0000:3b:00.0 8086:1521 from=i/gb override=vfio-pci\n",
                  "line 2: claim: 'from=i/gb' is not from=DRIVER" },
                { "vfpt-taken 1\nclaim 0000:3b:00.0 8086:1521 from=igb override=-\n",
                  "line 2: claim: 'override=-' is not override=DRIVER" },
                { "vfpt-taken 1\nclaim 0000:3b:00.0 8086:1521 override=vfio-pci from=igb\n",
                  "line 2: claim: 'override=vfio-pci' is not from=DRIVER" },
                { "vfpt-taken 1\nclaim 0000:3b:00.0 8086:1521 from=igb override=vfio-pci\n"
                  "claim 0000:3b:00.0 8086:1521 from=igb override=vfio-pci\n",
                  "line 3: claim: 0000:3b:00.0 recorded twice" },
                { "vfpt-taken 1\nvfs 0000:3b:00.0 8086:10C9 numvfs=4 autoprobe=1\n",
                  "line 2: vfs: '8086:10C9' is not a PCI ID" },
                { "vfpt-taken 1\nvfs 0000:3b:00.0 8086:10c9 numvfs=04 autoprobe=1\n",
                  "line 2: vfs: 'numvfs=04' is not numvfs=N (1 to 65535)" },
                { "vfpt-taken 1\nvfs 0000:3b:00.0 8086:10c9 numvfs=0 autoprobe=1\n",
                  "line 2: vfs: 'numvfs=0' is not numvfs=N (1 to 65535)" },
                { "vfpt-taken 1\nvfs 0000:3b:00.0 8086:10c9 numvfs=4 autoprobe=2\n",
                  "line 2: vfs: 'autoprobe=2' is not autoprobe=0, 1 or -" },
                { "vfpt-taken 1\nvfset 0000:3b:00.0 vf=1 rm -rf\n",
                  "line 2: vfset: 'rm -rf' is not a VF setting vfpt makes" },
                { "vfpt-taken 1\nvfset 0000:3b:00.0 vf=1 mac 02:00:00:00:00:01;reboot\n",
                  "line 2: vfset: 'mac 02:00:00:00:00:01;reboot' is not a VF setting vfpt makes" },
                { "vfpt-taken 1\nvfset 0000:3b:00.0 vf=1 trust on\nvfset 0000:3b:00.0 vf=1 trust off\n",
                  "line 3: vfset: 0000:3b:00.0 VF 1 trust recorded twice" },
                { "vfpt-taken 1\nunclaim 0000:3b:00.0\n", "line 2: unknown keyword 'unclaim'" },
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct undo_record r = {};
                char why[256] = "";
                CHECK(parse(bad[i].text, &r, why, sizeof(why)) == -EBADMSG);
                CHECK_STR(why, bad[i].why);
                CHECK(r.n_claims == 0 && !r.claims);
        }
        /* a NUL byte inside */
        struct undo_record r = {};
        char why[256] = "";
        CHECK(undo_record_parse("vfpt-taken 1\n\0\n", 15, &r, why, sizeof(why)) == -EBADMSG);
        CHECK_STR(why, "holds a NUL byte");
}

int main(void) {
        RUN(test_round_trip);
        RUN(test_untrusted);
        TEST_MAIN_END();
}
