/* Unit tests of the config model: every way a config can be wrong, and the
 * merge and precedence rules of the contract. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char tmpdir[] = "/tmp/vfpt-test-config.XXXXXX";

static struct config *load_str(const char *text, int *r) {
        struct config *c = NULL;
        *r = config_load_string("t.conf", text, &c);
        return c;
}

/* CHECK_ERRORS(c, "t.conf:LINE: message", ...): the errors are exactly
 * these lines, in this order, as check-config prints them */
#define CHECK_ERRORS(c, ...) check_errors(__LINE__, (c), (const char *const[]){ __VA_ARGS__, NULL })
static void check_errors(int line, const struct config *c, const char *const *want) {
        size_t i = 0;
        char *const *got = c ? c->errors : NULL;
        for (; want[i] || (got && got[i]); i++) {
                const char *g = got ? got[i] : NULL;
                if (!g || !want[i] || strcmp(g, want[i]) != 0) {
                        fprintf(stderr, "  %s:%d: %s: error %zu is '%s', wanted '%s'\n", __FILE__, line,
                                t_current, i + 1, g ? g : "(none)", want[i] ? want[i] : "(none)");
                        t_failed_checks++;
                }
                if (!g || !want[i])
                        break;
        }
}

static void write_file(const char *rel, const char *text) {
        char p[256];
        snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
        FILE *f = fopen(p, "w");
        fputs(text, f);
        fclose(f);
}

static void test_example_is_valid(void) {
        int r;
        struct config *c = NULL;
        r = config_load("examples/vfpt.conf", &c);
        CHECK(r == 0);
        CHECK(c->n_sriov == 1);
        CHECK(c->sriov[0].num_vfs == 2);
        CHECK(c->sriov[0].vf_driver == VF_DRIVER_VFIO);
        CHECK(c->n_vfio_devices == 1);
        config_free(c);
}

static void test_claim_drivers(void) {
        char b[65];
        const char *why;
        int r;
        CHECK(claim_driver_parse("vfio_pci", b, &why) == 0 && streq(b, "vfio-pci"));
        CHECK(claim_driver_parse("pci_stub", b, &why) == 0 && streq(b, "pci-stub"));
        CHECK(claim_driver_parse("mlx5-vfio-pci", b, &why) == 0 && streq(b, "mlx5_vfio_pci"));
        CHECK(claim_driver_parse("nvgrace_gpu_vfio_pci", b, &why) == 0 && streq(b, "nvgrace_gpu_vfio_pci"));
        CHECK(claim_driver_parse("_vfio_pci", b, &why) < 0);
        CHECK(claim_driver_parse("igbvf", b, &why) < 0);
        CHECK(claim_driver_parse("Mlx5_vfio_pci", b, &why) < 0);
        CHECK(claim_driver_parse("../x_vfio_pci", b, &why) < 0);
        CHECK(driver_is_passthrough("pci-stub") && driver_is_passthrough("pds_vfio_pci"));
        CHECK(!driver_is_passthrough("nvme") && !driver_is_passthrough(""));
        CHECK(driver_is_vfio("vfio-pci") && driver_is_vfio("virtio_vfio_pci") && !driver_is_vfio("pci-stub"));

        struct config *c = load_str("[sriov 0000:01:00.0]\nnum_vfs = 2\nvf_driver = pds_vfio_pci\n"
                                    "[vfio]\ndevices = 0000:02:00.0\ndriver = pci-stub\n", &r);
        CHECK(r == 0);
        CHECK(streq(config_vf_driver_name(&c->sriov[0]), "pds_vfio_pci"));
        struct pci_addr a = { .bus = 2 };
        CHECK(streq(config_claim_driver(c, &a, NULL, &c->sriov[0]), "pci-stub"));
        a.bus = 1;
        CHECK(streq(config_claim_driver(c, &a, NULL, &c->sriov[0]), "pds_vfio_pci"));
        CHECK(streq(config_claim_driver(c, &a, NULL, NULL), "vfio-pci"));
        config_free(c);
}

static void test_defaults(void) {
        int r;
        struct config *c = load_str("", &r);
        CHECK(r == 0);
        CHECK(c->iommu_group == GROUP_STRICT);
        CHECK(!c->patch_grub);
        CHECK(strv_length(c->kernel_args) == 2);
        CHECK_STR(c->kernel_args[0], "intel_iommu=on");
        CHECK_STR(c->kernel_args[1], "iommu=pt");
        config_free(c);
}

static void test_missing_default_file_means_defaults(void) {
        /* VFPT_ROOT points /etc/vfpt.conf into an empty tree */
        struct config *c = NULL;
        setenv("VFPT_ROOT", tmpdir, 1);
        int r = config_load(NULL, &c);
        unsetenv("VFPT_ROOT");
        CHECK(r == 0);
        CHECK(c && !c->files && c->n_sriov == 0);
        config_free(c);
}

static void test_missing_explicit_file_is_error(void) {
        struct config *c = NULL;
        int r = config_load("/nonexistent/vfpt.conf", &c);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "/nonexistent/vfpt.conf: cannot read: No such file or directory");
        config_free(c);
}

static void test_address_forms(void) {
        int r;
        struct config *c = load_str("[sriov 3b:00.0]\nnum_vfs=1\n[sriov 0000:5E:00.1]\nnum_vfs = 2\n"
                                    "[sriov 10000:01:00.0]\nnum_vfs=3\n",
                                    &r);
        CHECK(r == 0);
        CHECK(c->n_sriov == 3);
        char buf[64];
        CHECK_STR(selector_format(&c->sriov[0].sel, buf, sizeof(buf)), "0000:3b:00.0");
        CHECK_STR(selector_format(&c->sriov[1].sel, buf, sizeof(buf)), "0000:5e:00.1");
        CHECK_STR(selector_format(&c->sriov[2].sel, buf, sizeof(buf)), "10000:01:00.0");
        config_free(c);
}

static void test_bad_addresses(void) {
        int r;
        struct config *c = load_str("[vfio]\n"
                                    "devices = 0000:3b:00.8\n"       /* 2: function 8 */
                                    "ids = zzzz:1521\n"              /* 3 */
                                    "[sriov 3b:00]\n"                /* 4: no function */
                                    "num_vfs = 1\n"
                                    "[sriov 0000:3b:20.0]\n"         /* 6: device > 1f */
                                    "num_vfs = 1\n"
                                    "[sriov 0000:3b:00.0.0]\n"       /* 8 */
                                    "num_vfs = 1\n"
                                    "[sriov 8086:15213]\n"           /* 10 */
                                    "num_vfs = 1\n"
                                    "[sriov driver=ig/b]\n"          /* 12 */
                                    "num_vfs = 1\n"
                                    "[sriov]\n",                     /* 14 */
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: devices: '0000:3b:00.8': PCI function must be 0-7",
                     "t.conf:3: ids: 'zzzz:1521': not a vendor:device ID, expected four hex digits each, such as 8086:1521",
                     "t.conf:4: [sriov 3b:00]: PCI address lacks the function number (BUS:DEVICE.FUNCTION)",
                     "t.conf:6: [sriov 0000:3b:20.0]: PCI device number must be 00-1f",
                     "t.conf:8: [sriov 0000:3b:00.0.0]: PCI function must be one digit 0-7",
                     "t.conf:10: [sriov 8086:15213]: not a PCI address (0000:3b:00.0), vendor:device ID (8086:1521), mac=MAC, driver=NAME or interface name",
                     "t.conf:12: [sriov driver=ig/b]: driver= takes a kernel driver name such as igb or ixgbe",
                     "t.conf:14: [sriov] needs a selector: [sriov 0000:3b:00.0], [sriov 8086:1521] or [sriov driver=igb]");
        config_free(c);
}

static void test_num_vfs(void) {
        int r;
        struct config *c = load_str("[sriov 0000:01:00.0]\nnum_vfs = -1\n"
                                    "[sriov 0000:02:00.0]\nnum_vfs = 99999999999999999999\n"
                                    "[sriov 0000:03:00.0]\nnum_vfs = 65536\n"
                                    "[sriov 0000:04:00.0]\nnum_vfs = four\n"
                                    "[sriov 0000:05:00.0]\nnum_vfs = 0x10\n"
                                    "[sriov 0000:06:00.0]\nnum_vfs = 65535\n"
                                    "[sriov 0000:07:00.0]\nvf_driver = vfio-pci\n",
                                    &r);
        CHECK(r == -EINVAL);
        /* 65535 on line 12 is fine */
        CHECK_ERRORS(c, "t.conf:2: num_vfs: '-1' is negative",
                     "t.conf:4: num_vfs: '99999999999999999999' is not a decimal number",
                     "t.conf:6: num_vfs: 65536 is more than any PCI device supports (65535)",
                     "t.conf:8: num_vfs: 'four' is not a decimal number",
                     "t.conf:10: num_vfs: '0x10' is not a decimal number",
                     "t.conf:13: [sriov 0000:07:00.0] lacks num_vfs");
        config_free(c);
}

static void test_unknown_section_and_key(void) {
        int r;
        struct config *c = load_str("[global]\nkernel_arg = iommu=pt\n[vfoi]\ndevices = 0000:01:00.0\n"
                                    "[sriov 0000:01:00.0]\nnum_vfs = 1\nnumvfs = 2\n",
                                    &r);
        CHECK(r == -EINVAL);
        /* keys of a bad section (line 4): reported once, at the header */
        CHECK_ERRORS(c, "t.conf:2: unknown key 'kernel_arg' in [global] (known: kernel_args, patch_grub, iommu_group)",
                     "t.conf:3: unknown section [vfoi] (known: [global], [sriov SELECTOR], [sriov-vf SELECTOR INDEX], "
                     "[vfio])",
                     "t.conf:7: unknown key 'numvfs' in [sriov 0000:01:00.0] (known: num_vfs, vf_driver, vf_mac_base, "
                     "spoofchk, trust, vlan, qos, vlan_proto, link_state, min_tx_rate, max_tx_rate, query_rss)");
        config_free(c);
}

static void test_empty_values_and_syntax(void) {
        int r;
        struct config *c = load_str("kernel_args = iommu=pt\n"  /* 1: no section */
                                    "[global]\n"
                                    "patch_grub =\n"           /* 3 */
                                    "iommu_group\n"            /* 4: no = */
                                    "[vfio\n"                  /* 5 */
                                    "[vfio]\n"
                                    "ids = \n",                /* 7 */
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:1: 'kernel_args' is outside any section; put it under [global], [sriov ...] or [vfio]",
                     "t.conf:3: patch_grub: empty value",
                     "t.conf:4: expected KEY = VALUE, got 'iommu_group'",
                     "t.conf:5: section header lacks ']'",
                     "t.conf:7: ids: empty value");
        config_free(c);
}

static void test_long_line(void) {
        char text[600];
        int r;
        strcpy(text, "[vfio]\ndevices = ");
        for (int i = 0; i < 30; i++)
                sprintf(text + strlen(text), "0000:%02x:00.0 ", i);
        strcat(text, "\nids = 8086:1521\n");
        struct config *c = load_str(text, &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: line is 400 bytes, longer than the 197 the parser takes; "
                        "split a long list over indented continuation lines");
        /* the next line is read as a line of its own, not as the tail of line 2 */
        CHECK(c->n_vfio_ids == 1);
        CHECK(c->n_vfio_devices == 0);
        config_free(c);
}

static void test_continuation_lines(void) {
        int r;
        struct config *c = load_str("[vfio]\ndevices = 0000:01:00.0\n  0000:02:00.0, 0000:03:00.0\n"
                                    "[sriov 0000:04:00.0]\nnum_vfs = 1\n   2\n",
                                    &r);
        CHECK(r == -EINVAL);
        CHECK(c->n_vfio_devices == 3);
        CHECK_ERRORS(c, "t.conf:6: num_vfs takes one value; indented line continues it");
        config_free(c);
}

static void test_non_utf8(void) {
        int r;
        struct config *c = load_str("[global]\n# caf\xe9\niommu_group = strict\xff\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: line is not valid UTF-8", "t.conf:3: line is not valid UTF-8");
        config_free(c);
        c = load_str("[global]\n# caf\xc3\xa9 is fine\n", &r);
        CHECK(r == 0);
        config_free(c);
}

static void test_duplicate_key_same_file(void) {
        int r;
        struct config *c = load_str("[sriov 0000:3b:00.0]\nnum_vfs = 4\n[sriov 3b:00.0]\nnum_vfs = 8\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:4: num_vfs set again in [sriov 0000:3b:00.0] (first at line 2)");
        config_free(c);
}

static void test_dropins_later_wins(void) {
        char main_path[256], d[256];
        struct config *c = NULL;
        snprintf(main_path, sizeof(main_path), "%s/vfpt.conf", tmpdir);
        snprintf(d, sizeof(d), "%s/vfpt.conf.d", tmpdir);
        mkdir(d, 0755);
        write_file("vfpt.conf", "[sriov 0000:3b:00.0]\nnum_vfs = 4\nvf_driver = vfio-pci\n"
                                "[vfio]\ndevices = 0000:08:00.0\n");
        write_file("vfpt.conf.d/20-b.conf", "[sriov 3b:00.0]\nnum_vfs = 16\n[global]\niommu_group = warn\n");
        write_file("vfpt.conf.d/10-a.conf", "[sriov 0000:3b:00.0]\nnum_vfs = 8\n[vfio]\ndevices = 0000:09:00.0\n");
        write_file("vfpt.conf.d/ignored.txt", "garbage\n");
        write_file("vfpt.conf.d/.hidden.conf", "garbage\n");
        int r = config_load(main_path, &c);
        CHECK(r == 0);
        CHECK(strv_length(c->files) == 3);
        CHECK(c->files && strstr(c->files[1], "10-a.conf"));
        CHECK(c->n_sriov == 1);
        CHECK(c->sriov[0].num_vfs == 16);              /* 20-b after 10-a after main */
        CHECK(c->sriov[0].vf_driver == VF_DRIVER_VFIO); /* untouched keys stay */
        CHECK(c->iommu_group == GROUP_WARN);
        CHECK(c->n_vfio_devices == 1 && c->vfio_devices[0].addr.bus == 9); /* the later list wins */
        config_free(c);

        /* an error in a drop-in names the drop-in */
        write_file("vfpt.conf.d/30-c.conf", "[global]\npatch_grub = maybe\n");
        c = NULL;
        r = config_load(main_path, &c);
        CHECK(r == -EINVAL);
        char want[300];
        snprintf(want, sizeof(want), "%s/vfpt.conf.d/30-c.conf:2: patch_grub: 'maybe' is not yes or no", tmpdir);
        CHECK_ERRORS(c, want);
        config_free(c);
}

static void test_conflicting_selectors(void) {
        int r;
        struct config *c = load_str("[sriov 0000:3b:00.0]\nnum_vfs = 4\n[vfio]\ndevices = 0000:3b:00.0\n"
                                    "ids = 8086:1521\n[sriov 8086:1521]\nnum_vfs = 2\n",
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:4: 0000:3b:00.0 is listed in [vfio] devices, but [sriov 0000:3b:00.0] at t.conf:1 "
                        "keeps it on its host driver to create VFs",
                     "t.conf:5: 8086:1521 is listed in [vfio] ids, but [sriov 8086:1521] at t.conf:6 "
                     "keeps it on its host driver to create VFs");
        config_free(c);
}

static void test_precedence(void) {
        int r;
        struct config *c = load_str("[sriov driver=igb]\nnum_vfs = 1\n[sriov 8086:10c9]\nnum_vfs = 2\n"
                                    "[sriov 0000:3b:00.0]\nnum_vfs = 3\n",
                                    &r);
        CHECK(r == 0);
        struct pci_addr a0 = { 0, 0x3b, 0, 0 }, a1 = { 0, 0x3b, 0, 1 }, a2 = { 0, 0x5e, 0, 0 };
        struct pci_id igb = { 0x8086, 0x10c9 }, other = { 0x8086, 0x1521 };
        CHECK(config_sriov_for(c, &a0, &igb, "igb", NULL)->num_vfs == 3);
        CHECK(config_sriov_for(c, &a1, &igb, "igb", NULL)->num_vfs == 2);
        CHECK(config_sriov_for(c, &a2, &other, "igb", NULL)->num_vfs == 1);
        CHECK(config_sriov_for(c, &a2, &other, "ixgbe", NULL) == NULL);
        CHECK(!config_has_port_selectors(c));
        config_free(c);

        /* the port selectors: address > MAC > name > ID */
        c = load_str("[sriov 8086:10c9]\nnum_vfs = 1\n[sriov eno49]\nnum_vfs = 2\n"
                     "[sriov mac=3C:FD:FE:12:34:56]\nnum_vfs = 3\n[sriov 0000:3b:00.0]\nnum_vfs = 4\n",
                     &r);
        CHECK(r == 0);
        CHECK(config_has_port_selectors(c));
        char *learnt[] = { "eno49", NULL };
        struct pf_port mac = { .has_mac = true, .mac = { 0x3c, 0xfd, 0xfe, 0x12, 0x34, 0x56 }, .ifname = "eth0" },
                       named = { .has_mac = true, .mac = { 0x3c, 0xfd, 0xfe, 0x12, 0x34, 0x57 }, .ifname = "eno49" },
                       renamed = { .has_mac = true, .mac = { 2, 0, 0, 0, 0, 1 }, .ifname = "eth1", .learnt = learnt },
                       none = { .ifname = "eno50" };
        CHECK(config_sriov_for(c, &a0, &igb, "igb", &mac)->num_vfs == 4);
        CHECK(config_sriov_for(c, &a1, &igb, "igb", &mac)->num_vfs == 3);
        CHECK(config_sriov_for(c, &a1, &igb, "igb", &named)->num_vfs == 2);
        CHECK(config_sriov_for(c, &a2, &igb, "igb", &renamed)->num_vfs == 2);
        CHECK(config_sriov_for(c, &a2, &igb, "igb", &none)->num_vfs == 1);
        CHECK(config_sriov_for(c, &a2, &igb, "igb", NULL)->num_vfs == 1);
        CHECK(config_sriov_for(c, &a2, &other, "igb", &named)->num_vfs == 2);
        CHECK(config_sriov_for(c, &a2, &other, "igb", &none) == NULL);
        config_free(c);
}

static void test_kernel_args(void) {
        int r;
        char **l = NULL;
        struct config *c = load_str("[global]\nkernel_args = auto\n", &r);
        CHECK(r == 0 && c->kernel_args_auto);
        CHECK(config_kernel_args(c, "GenuineIntel", &l) == 0 && strv_length(l) == 2);
        l = strv_free(l);
        CHECK(config_kernel_args(c, "AuthenticAMD", &l) == 0 && strv_length(l) == 1 && streq(l[0], "iommu=pt"));
        l = strv_free(l);
        CHECK(config_kernel_args(c, "CentaurHauls", &l) == -EOPNOTSUPP);
        config_free(c);
        c = load_str("[global]\nkernel_args = intel_iommu=on \"iommu=pt\" $(reboot)\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: kernel_args: '\"iommu=pt\"' is not a kernel parameter "
                        "(name or name=value, no quotes or shell characters)");
        config_free(c);
}

static void test_five_mistakes(void) {
        int r;
        struct config *c = load_str("[global]\n"
                                    "iommu_group = loose\n"       /* 1 */
                                    "[sriov 0000:3b:00.8]\n"      /* 2 */
                                    "num_vfs = 4\n"
                                    "[sriov 8086:1521]\n"
                                    "num_vfs = -3\n"              /* 3 */
                                    "[vfio]\n"
                                    "ids = zzzz:1521\n"           /* 4 */
                                    "colour = blue\n",            /* 5 */
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: iommu_group: 'loose' is not strict, group or warn",
                     "t.conf:3: [sriov 0000:3b:00.8]: PCI function must be 0-7",
                     "t.conf:6: num_vfs: '-3' is negative",
                     "t.conf:8: ids: 'zzzz:1521': not a vendor:device ID, expected four hex digits each, such as 8086:1521",
                     "t.conf:9: unknown key 'colour' in [vfio] (known: devices, ids, force, driver, owner, group, mode, "
                     "release_framebuffer, reset_method)");
        config_free(c);
}

static void test_vfio_nodes(void) {
        int r;
        struct config *c = load_str("[vfio]\nowner = qemu\ngroup = kvm\nmode = 0660\n", &r);
        CHECK(r == 0 && streq(c->vfio_owner, "qemu") && c->vfio_mode == 0660);
        config_free(c);
        c = load_str("[vfio]\nowner = ../root\nmode = 0999\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: owner: '../root' is not a user or group name",
                     "t.conf:3: mode: '0999' is not an octal mode such as 0660");
        config_free(c);
}


/* vfpt.conf(5): '#' or ';' after a blank starts a comment, for every key:
 * kernel_args too (it used to carry "# required for VFIO" into GRUB) */
static void test_inline_comments(void) {
        int r;
        struct config *c = load_str("[global]\n"
                                    "kernel_args = intel_iommu=on iommu=pt # required for VFIO\n"
                                    "iommu_group = group ; the GPU's audio function too\n"
                                    "[sriov 0000:3b:00.0] # the uplink card\n"
                                    "num_vfs = 4 # four guests\n"
                                    "[vfio]\n"
                                    "devices = 0000:08:00.0 # the GPU\n"
                                    "   0000:08:00.1 # its audio\n",
                                    &r);
        CHECK(r == 0);
        CHECK(c && strv_length(c->kernel_args) == 2);
        CHECK(c && c->kernel_args && streq(c->kernel_args[1], "iommu=pt"));
        CHECK(c && c->iommu_group == GROUP_GROUP);
        CHECK(c && c->n_sriov == 1 && c->sriov[0].num_vfs == 4);
        CHECK(c && c->n_vfio_devices == 2);
        config_free(c);
        /* without a blank before it, '#' is part of the value */
        c = load_str("[sriov 0000:3b:00.0]\nnum_vfs = 4#four\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: num_vfs: '4#four' is not a decimal number");
        config_free(c);
}

/* kernel_args splits on commas as every list does, but a comma inside one
 * argument is the kernel's option list: kept; before NAME=: ambiguous */
static void test_kernel_args_commas(void) {
        int r;
        struct config *c = load_str("[global]\nkernel_args = intel_iommu=on, iommu=pt\n", &r);
        CHECK(r == 0 && strv_length(c->kernel_args) == 2);
        CHECK(c && c->kernel_args && streq(c->kernel_args[0], "intel_iommu=on") && streq(c->kernel_args[1], "iommu=pt"));
        config_free(c);
        c = load_str("[global]\nkernel_args = intel_iommu=on,igfx_off iommu=pt,force video=efifb:off\n", &r);
        CHECK(r == 0 && strv_length(c->kernel_args) == 3);
        CHECK(c && c->kernel_args && streq(c->kernel_args[0], "intel_iommu=on,igfx_off") &&
              streq(c->kernel_args[1], "iommu=pt,force") && streq(c->kernel_args[2], "video=efifb:off"));
        config_free(c);
        /* a comma in a name separates: no kernel parameter has one (the
         * kernel took quiet,splash as one unknown name) */
        c = load_str("[global]\nkernel_args = quiet,splash,iommu=pt,force\n", &r);
        CHECK(r == 0 && strv_length(c->kernel_args) == 3);
        CHECK(c && c->kernel_args && streq(c->kernel_args[0], "quiet") && streq(c->kernel_args[1], "splash") &&
              streq(c->kernel_args[2], "iommu=pt,force"));
        config_free(c);
        c = load_str("[global]\nkernel_args = intel_iommu=on,iommu=pt\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: kernel_args: 'intel_iommu=on,iommu=pt': cannot tell whether 'iommu=' after the "
                        "comma is an argument of its own or an option of intel_iommu (the kernel reads a comma as "
                        "the option list of one argument, as in intel_iommu=on,igfx_off); separate arguments with blanks: "
                        "intel_iommu=on iommu=pt");
        config_free(c);
}

/* kernel_args that cannot all be in effect as the kernel reads them: apply
 * could never write them (it failed with "cannot edit safely"); refused at
 * the line that completes the contradiction, once */
static void test_kernel_args_contradiction(void) {
        int r;
        struct config *c = load_str("[global]\nkernel_args = intel_iommu=on iommu=off,pt\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: kernel_args: 'intel_iommu=on' and 'iommu=off,pt' cannot both be in effect: the "
                        "kernel would not have 'intel_iommu=on'; keep one");
        config_free(c);
        c = load_str("[global]\nkernel_args = iommu=usedac,pt\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: kernel_args: 'iommu=usedac,pt' is not in effect as the kernel reads it (its "
                        "options contradict each other, or one the kernel stops at hides the rest)");
        config_free(c);
        c = load_str("[global]\nkernel_args = iommu=pt\n  quiet\n  iommu=nopt\n  splash\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:4: kernel_args: 'iommu=pt' and 'iommu=nopt' cannot both be in effect: the kernel "
                        "would not have 'iommu=pt'; keep one");
        config_free(c);
        c = load_str("[global]\nkernel_args = pcie_aspm=off pcie_aspm=force\n", &r);
        CHECK(r == -EINVAL);
        config_free(c);
        /* what adds up is no contradiction: flags, per-NAME video=, initcall_blacklist= */
        c = load_str("[global]\nkernel_args = intel_iommu=on intel_iommu=igfx_off iommu=pt iommu=force "
                     "video=efifb:off video=vesafb:off initcall_blacklist=a initcall_blacklist=b\n", &r);
        CHECK(r == 0 && strv_length(c->kernel_args) == 8);
        config_free(c);
        /* release_framebuffer's argument joins kernel_args */
        c = load_str("[global]\nkernel_args = intel_iommu=on iommu=pt video=efifb:on\n[vfio]\n"
                     "force = 0000:00:02.0\nrelease_framebuffer = efifb\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:5: release_framebuffer: its kernel argument and kernel_args cannot all be in "
                        "effect: 'video=efifb:on' and 'video=efifb:off' (the kernel would not have "
                        "'video=efifb:on'); keep one");
        config_free(c);
}

/* A FIFO among the drop-ins: never read (it would block until a writer
 * comes), not an error that fails the boot: skipped, and listed as such
 * (check-config makes it an error); the main file and the other drop-ins
 * count. The main file itself as a FIFO is an error. */
static void test_fifo_dropin(void) {
        char main_path[256], d[256], fifo[300], want[400];
        struct config *c = NULL;
        snprintf(main_path, sizeof(main_path), "%s/fifo.conf", tmpdir);
        snprintf(d, sizeof(d), "%s/fifo.conf.d", tmpdir);
        snprintf(fifo, sizeof(fifo), "%s/50-pipe.conf", d);
        mkdir(d, 0755);
        write_file("fifo.conf", "[global]\niommu_group = warn\n");
        write_file("fifo.conf.d/60-more.conf", "[vfio]\ndevices = 0000:08:00.0\n");
        CHECK(mkfifo(fifo, 0644) == 0);
        alarm(10); /* a hang is a failure, not a stuck test run */
        int r = config_load(main_path, &c);
        alarm(0);
        CHECK(r == 0);
        CHECK_ERRORS(c, NULL);
        snprintf(want, sizeof(want), "%s: is a FIFO, not a regular file", fifo);
        CHECK(c && c->skipped && streq(c->skipped[0], want) && !c->skipped[1]);
        CHECK(c && c->iommu_group == GROUP_WARN && c->n_vfio_devices == 1);
        config_free(c);
        c = NULL;

        snprintf(d, sizeof(d), "%s/fifo-main.conf", tmpdir);
        CHECK(mkfifo(d, 0644) == 0);
        alarm(10);
        r = config_load(d, &c);
        alarm(0);
        CHECK(r == -EINVAL);
        snprintf(want, sizeof(want), "%s: is a FIFO, not a regular file; refusing to read it", d);
        CHECK_ERRORS(c, want);
        config_free(c);
}

/* what inih does not take is named: a CR inside a line (a file with CR
 * line ends reads as one line), a byte order mark past the file's start,
 * Unicode blanks pasted from a web page (in a comment they are text);
 * trailing CRs are trailing space to inih */
static void test_cr_and_bom_named(void) {
        static const struct {
                const char *text, *error; /* NULL: valid */
        } cases[] = {
                { "[global]\riommu_group = warn\r",
                  "t.conf:1: carriage return (CR, \\r) inside the line: lines end in LF or CRLF here, not CR (a file "
                  "saved with old Mac line ends?); convert it: tr '\\r' '\\n'" },
                { "[global]\n\xef\xbb\xbfiommu_group = warn\n",
                  "t.conf:2: UTF-8 byte order mark (U+FEFF) inside the file: only the file's first bytes may hold one; "
                  "remove it" },
                { "\xef\xbb\xbf\xef\xbb\xbf[global]\n",
                  "t.conf:1: UTF-8 byte order mark (U+FEFF) twice at the start: only the file's first bytes may hold "
                  "one; remove it" },
                { "[global]\niommu_group = warn\xc2\xa0\n",
                  "t.conf:2: line holds U+00A0 (a no-break space), which looks like a blank or nothing but is neither; "
                  "type it again with plain spaces" },
                { "[global]\nkernel_args = intel_iommu=on\xe2\x80\x89iommu=pt\n",
                  "t.conf:2: line holds U+2009, which looks like a blank or nothing but is neither; type it again with "
                  "plain spaces" },
                { "# caf\xc3\xa9\xc2\xa0note\n[global]\niommu_group = warn # \xc2\xa0 x\n", NULL },
                { "[global]\r\r\niommu_group = warn\r\r\n", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r;
                struct config *c = load_str(cases[i].text, &r);
                CHECK(r == (cases[i].error ? -EINVAL : 0));
                CHECK(cases[i].error || (c && c->iommu_group == GROUP_WARN));
                CHECK_ERRORS(c, cases[i].error);
                config_free(c);
        }
}

/* as inih takes them: CRLF line ends and a UTF-8 byte order mark */
static void test_crlf_and_bom(void) {
        int r;
        struct config *c = load_str("\xef\xbb\xbf[global]\r\n"
                                    "iommu_group = warn\r\n"
                                    "\r\n"
                                    "[sriov 0000:3b:00.0]\r\n"
                                    "num_vfs = 2\r\n"
                                    "vf_driver = vfio-pci\r\n"
                                    "[vfio]\r\n"
                                    "devices = 0000:08:00.0\r\n"
                                    "  0000:08:00.1\r\n",
                                    &r);
        CHECK(r == 0);
        CHECK_ERRORS(c, NULL);
        CHECK(c && c->iommu_group == GROUP_WARN && c->n_sriov == 1 && c->sriov[0].num_vfs == 2 &&
              c->sriov[0].vf_driver == VF_DRIVER_VFIO && c->n_vfio_devices == 2);
        config_free(c);
}

/* An indented key under a section is read as more of the key above */
static void test_indented_keys(void) {
        int r;
        struct config *c = load_str("[sriov 0000:3b:00.0]\n"
                                    "  num_vfs = 4\n"
                                    "  vf_driver = vfio-pci\n"
                                    "[vfio]\n"
                                    "  devices = 0000:08:00.0\n"
                                    "  ids = 10de:1db6\n",
                                    &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:3: indented 'vf_driver = vfio-pci' is read as a continuation of num_vfs (an indented "
                        "line continues the key above); start vf_driver at the beginning of the line",
                     "t.conf:6: indented 'ids = 10de:1db6' is read as a continuation of devices (an indented "
                        "line continues the key above); start ids at the beginning of the line");
        config_free(c);
        /* a kernel parameter continuing kernel_args is no key of vfpt's */
        c = load_str("[global]\nkernel_args = intel_iommu=on\n  iommu=pt\n", &r);
        CHECK(r == 0 && strv_length(c->kernel_args) == 2);
        config_free(c);
}

/* /dev/vfio/N open to every user: refused */
static void test_world_accessible_mode(void) {
        int r;
        struct config *c = load_str("[vfio]\nmode = 0777\n", &r);
        CHECK(r == -EINVAL);
        CHECK_ERRORS(c, "t.conf:2: mode: 0777 lets every user open /dev/vfio/N and take the device; give access "
                        "through a group instead (group = kvm, mode = 0660)");
        config_free(c);
        c = load_str("[vfio]\nmode = 0666\n", &r);
        CHECK(r == -EINVAL);
        config_free(c);
        c = load_str("[vfio]\nmode = 0660\n", &r);
        CHECK(r == 0);
        config_free(c);
}

/* Which file and line set each key: the drop-in that won */
static void test_origins(void) {
        char main_path[256], d[256], want[400];
        struct config *c = NULL;
        snprintf(main_path, sizeof(main_path), "%s/prov.conf", tmpdir);
        snprintf(d, sizeof(d), "%s/prov.conf.d", tmpdir);
        mkdir(d, 0755);
        write_file("prov.conf", "[global]\niommu_group = warn\nkernel_args = iommu=pt\n[sriov 0000:3b:00.0]\nnum_vfs = 4\n");
        write_file("prov.conf.d/10-x.conf", "[sriov 3b:00.0]\n\nnum_vfs = 8\n");
        int r = config_load(main_path, &c);
        CHECK(r == 0);
        snprintf(want, sizeof(want), "%s:2", main_path);
        CHECK_STR(config_origin(c, "global", "iommu_group"), want);
        snprintf(want, sizeof(want), "%s/10-x.conf:3", d);
        CHECK_STR(config_origin(c, "sriov 0000:3b:00.0", "num_vfs"), want);
        CHECK(config_origin(c, "global", "patch_grub") == NULL);
        config_free(c);
}

int main(void) {
        if (!mkdtemp(tmpdir))
                return 99;
        RUN(test_example_is_valid);
        RUN(test_defaults);
        RUN(test_missing_default_file_means_defaults);
        RUN(test_missing_explicit_file_is_error);
        RUN(test_address_forms);
        RUN(test_bad_addresses);
        RUN(test_num_vfs);
        RUN(test_unknown_section_and_key);
        RUN(test_empty_values_and_syntax);
        RUN(test_long_line);
        RUN(test_continuation_lines);
        RUN(test_non_utf8);
        RUN(test_duplicate_key_same_file);
        RUN(test_dropins_later_wins);
        RUN(test_conflicting_selectors);
        RUN(test_precedence);
        RUN(test_kernel_args);
        RUN(test_five_mistakes);
        RUN(test_vfio_nodes);
        RUN(test_claim_drivers);
        RUN(test_inline_comments);
        RUN(test_kernel_args_commas);
        RUN(test_kernel_args_contradiction);
        RUN(test_fifo_dropin);
        RUN(test_crlf_and_bom);
        RUN(test_cr_and_bom_named);
        RUN(test_indented_keys);
        RUN(test_world_accessible_mode);
        RUN(test_origins);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                return 99;
        TEST_MAIN_END();
}
