/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IOMMU group prediction before the IOMMU is on (iommu-predict.h). */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bootcfg.h"
#include "cmdline.h"
#include "device.h"
#include "fileio.h"
#include "iommu-predict.h"
#include "paths.h"
#include "pci.h"
#include "protect.h"

#define REQ_ACS_FLAGS (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)
#define CONFIG_MAX 8192

struct pdev {
        char name[PCI_ADDR_MAX];
        struct pci_addr addr;
        struct pci_id id;
        int parent;         /* index of the upstream bridge, -1 on a root bus */
        bool readable;      /* config space read */
        struct pci_cfg cfg;
        bool multifunction; /* the kernel's pdev->multifunction: header bit, or a function > 0 */
        int up;             /* union-find */
        const char *why;    /* cannot tell, and why */
        char why_buf[160];
        /* why it is in the group it is in (iommu_prediction_explain) */
        int alias_at;       /* the topmost bridge whose requester ID it takes, -1 none */
        int noacs_at;       /* the device without ACS where the ACS walk stopped, -1 none */
        bool mf_noacs;      /* joined the other functions of its slot: no ACS between them */
};

struct iommu_prediction {
        struct pdev *d;
        size_t n;
        /* pcie_acs_override= */
        bool ovr_downstream, ovr_multifunction;
        struct pci_id ovr_ids[16];
        size_t n_ovr_ids;
        /* disable_acs_redir= or config_acs= (6.11+): ACS control bits the
         * kernel changes for the devices they name; vfpt does not read the
         * device lists, so every ACS it would count on is "cannot tell" */
        const char *acs_param;
};

struct iommu_prediction *iommu_prediction_free(struct iommu_prediction *p) {
        if (p) {
                free(p->d);
                free(p);
        }
        return NULL;
}

static int find(const struct iommu_prediction *p, const char *name) {
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->d[i].name, name))
                        return (int) i;
        return -1;
}

static int root(struct iommu_prediction *p, int i) {
        while (p->d[i].up != i)
                i = p->d[i].up = p->d[p->d[i].up].up;
        return i;
}

static void join(struct iommu_prediction *p, int a, int b) {
        a = root(p, a);
        b = root(p, b);
        if (a != b)
                p->d[a > b ? a : b].up = a > b ? b : a;
}

static void cannot_tell(struct pdev *d, const char *why) {
        if (d->why)
                return;
        snprintf(d->why_buf, sizeof(d->why_buf), "%s: %s", d->name, why);
        d->why = d->why_buf;
}

/* pcie_acs_override=downstream,multifunction,id:VVVV:DDDD */
static void parse_override(struct iommu_prediction *p, char *const *cmdline) {
        int i = cmdline ? cmdline_find_last(cmdline, "pcie_acs_override") : -1;
        const char *v = i >= 0 ? strchr(cmdline[i], '=') : NULL;
        for (v = v ? v + 1 : NULL; v && *v;) {
                size_t k = strcspn(v, ",");
                char opt[32];
                snprintf(opt, sizeof(opt), "%.*s", (int) (k < sizeof(opt) ? k : sizeof(opt) - 1), v);
                struct pci_id id;
                const char *why;
                if (streq(opt, "downstream"))
                        p->ovr_downstream = true;
                else if (streq(opt, "multifunction"))
                        p->ovr_multifunction = true;
                else if (strncmp(opt, "id:", 3) == 0 && pci_id_parse(opt + 3, &id, &why) == 0 &&
                         p->n_ovr_ids < ELEMENTSOF(p->ovr_ids))
                        p->ovr_ids[p->n_ovr_ids++] = id;
                v = v[k] ? v + k + 1 : NULL;
        }
        if (cmdline && cmdline_find_last(cmdline, "disable_acs_redir") >= 0)
                p->acs_param = "disable_acs_redir= on the command line may clear its ACS redirect bits";
        else if (cmdline && cmdline_find_last(cmdline, "config_acs") >= 0)
                p->acs_param = "config_acs= on the command line may change its ACS control";
}

/* Multifunction endpoints whose vendors verified they do no peer-to-peer
 * between functions: pci_quirk_mf_endpoint_acs() in drivers/pci/quirks.c
 * (a part of pci_dev_acs_enabled[]). */
static const struct pci_id mf_endpoint_acs[] = {
        { 0x1924, 0x0903 }, { 0x1924, 0x0923 }, { 0x1924, 0x0a03 }, /* Solarflare */
        { 0x8086, 0x10c6 }, { 0x8086, 0x10db }, { 0x8086, 0x10dd }, { 0x8086, 0x10e1 }, /* Intel 82598 */
        { 0x8086, 0x10f1 }, { 0x8086, 0x10f7 }, { 0x8086, 0x10f8 }, { 0x8086, 0x10f9 }, /* 82599 */
        { 0x8086, 0x10fa }, { 0x8086, 0x10fb }, { 0x8086, 0x10fc }, { 0x8086, 0x1507 },
        { 0x8086, 0x1514 }, { 0x8086, 0x151c }, { 0x8086, 0x1529 }, { 0x8086, 0x152a },
        { 0x8086, 0x154d }, { 0x8086, 0x154f }, { 0x8086, 0x1551 }, { 0x8086, 0x1558 },
        { 0x8086, 0x1528 }, { 0x8086, 0x1560 },                     /* X540 */
        { 0x8086, 0x10c9 }, { 0x8086, 0x10e6 }, { 0x8086, 0x10e7 }, { 0x8086, 0x10e8 }, /* 82576 */
        { 0x8086, 0x150a }, { 0x8086, 0x150d }, { 0x8086, 0x1518 }, { 0x8086, 0x1526 },
        { 0x8086, 0x1521 }, { 0x8086, 0x1522 }, { 0x8086, 0x1523 }, { 0x8086, 0x1524 }, /* I350 */
        { 0x19a2, 0x0710 }, { 0x10df, 0x0720 },                     /* Emulex BE3-R, Skyhawk-R */
        { 0x14e4, 0x16d7 },                                          /* Broadcom BCM57414 */
};

/* Vendors with quirks by device or by port type that vfpt does not carry:
 * a device of theirs without ACS is "cannot tell". */
static const uint16_t vendor_quirks[] = {
        0x8086, /* Intel PCH root ports (pci_quirk_intel_pch_acs, _spt_pch_acs) */
        0x1002, 0x1022, /* AMD/ATI southbridge (pci_quirk_amd_sb_acs) */
        0x177d, /* Cavium */ 0x10e8, /* APM X-Gene */ 0x1def, /* Ampere */
        0x1d17, /* Zhaoxin */ 0x8088, /* Wangxun */ 0x0014, /* Loongson */
        0x1c36, /* Annapurna Labs */ 0x17cb, /* Qualcomm */ 0x1957, /* NXP */
};

/* pci_dev_specific_acs_enabled(): 1 enabled, 0 not, -1 no quirk */
static int acs_quirk(const struct iommu_prediction *p, const struct pdev *d) {
        for (size_t i = 0; i < ELEMENTSOF(mf_endpoint_acs); i++)
                if (pci_id_eq(&mf_endpoint_acs[i], &d->id))
                        return 1;
        /* the override patch: never for devices with ACS or not PCIe */
        if (d->readable && d->cfg.pcie && !d->cfg.acs && d->cfg.ext_known) {
                for (size_t i = 0; i < p->n_ovr_ids; i++)
                        if (pci_id_eq(&p->ovr_ids[i], &d->id))
                                return 1;
                unsigned t = d->cfg.pcie_type;
                if (p->ovr_downstream && (t == PCI_EXP_TYPE_DOWNSTREAM || t == PCI_EXP_TYPE_ROOT_PORT))
                        return 1;
                if (p->ovr_multifunction && d->multifunction &&
                    (t == PCI_EXP_TYPE_ENDPOINT || t == PCI_EXP_TYPE_UPSTREAM || t == PCI_EXP_TYPE_LEG_END ||
                     t == PCI_EXP_TYPE_RC_END))
                        return 1;
        }
        return -1;
}

/* pci_acs_flags_enabled() as it will be at the next boot: the kernel sets
 * SV, RR, CR and UF in the control word wherever the capability has them
 * (pci_std_enable_acs()), so a bit the capability lacks counts as hard-wired */
static bool acs_flags_enabled(const struct pdev *d, bool iommu_on) {
        if (!d->cfg.acs)
                return false;
        unsigned want = REQ_ACS_FLAGS & (d->cfg.acs_cap | PCI_ACS_EC);
        unsigned ctrl = d->cfg.acs_ctrl;
        if (!iommu_on)
                ctrl |= d->cfg.acs_cap & REQ_ACS_FLAGS;
        return (ctrl & want) == want;
}

/* pci_acs_enabled(d, REQ_ACS_FLAGS): 1, 0, or -1 cannot tell (with why) */
static int acs_enabled(const struct iommu_prediction *p, struct pdev *d) {
        int q = acs_quirk(p, d);
        if (q >= 0)
                return q;
        if (!d->readable) {
                cannot_tell(d, "config space unreadable");
                return -1;
        }
        if (!d->cfg.pcie)
                return 0; /* conventional PCI: a shared bus */
        switch (d->cfg.pcie_type) {
        case PCI_EXP_TYPE_PCIE_BRIDGE:
        case PCI_EXP_TYPE_PCI_BRIDGE:
        case PCI_EXP_TYPE_RC_EC:
                return 0;
        case PCI_EXP_TYPE_DOWNSTREAM:
        case PCI_EXP_TYPE_ROOT_PORT:
                break;
        case PCI_EXP_TYPE_ENDPOINT:
        case PCI_EXP_TYPE_UPSTREAM:
        case PCI_EXP_TYPE_LEG_END:
        case PCI_EXP_TYPE_RC_END:
                if (!d->multifunction)
                        return 1;
                break;
        default:
                return 1;
        }
        if (!d->cfg.ext_known) {
                cannot_tell(d, "extended config space unreadable (ACS)");
                return -1;
        }
        if (acs_flags_enabled(d, false)) {
                if (p->acs_param) {
                        cannot_tell(d, p->acs_param);
                        return -1;
                }
                return 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(vendor_quirks); i++)
                if (d->id.vendor == vendor_quirks[i]) {
                        cannot_tell(d, "no ACS capability, and the kernel has ACS quirks for its vendor that "
                                       "vfpt does not carry");
                        return -1;
                }
        return 0;
}

/* pci_acs_path_enabled(d, NULL, REQ_ACS_FLAGS): d and every bridge above;
 * *fail_at: where it is not (may be NULL) */
static int acs_path_enabled(struct iommu_prediction *p, int i, int *unknown_at, int *fail_at) {
        for (; i >= 0; i = p->d[i].parent) {
                int r = acs_enabled(p, &p->d[i]);
                if (r < 0 && *unknown_at < 0)
                        *unknown_at = i;
                if (r <= 0) {
                        if (fail_at)
                                *fail_at = i;
                        return 0;
                }
        }
        return 1;
}

/* DMA alias quirks (quirk_dma_func1_alias): requests appear as function 1 */
static const struct pci_id dma_func1_alias[] = {
        { 0x1b4b, 0x9120 }, { 0x1b4b, 0x9123 }, { 0x1b4b, 0x9128 }, { 0x1b4b, 0x9130 },
        { 0x1b4b, 0x9170 }, { 0x1b4b, 0x9172 }, { 0x1b4b, 0x917a }, { 0x1b4b, 0x9182 },
        { 0x1b4b, 0x9183 }, { 0x1b4b, 0x91a0 }, { 0x1b4b, 0x9220 }, { 0x1b4b, 0x9230 },
        { 0x1103, 0x0642 }, { 0x1103, 0x0645 }, /* HighPoint */
};

static bool aliases_func1(const struct pdev *d) {
        for (size_t i = 0; i < ELEMENTSOF(dma_func1_alias); i++)
                if (pci_id_eq(&dma_func1_alias[i], &d->id))
                        return true;
        return false;
}

static bool same_bus(const struct pdev *a, const struct pdev *b) {
        return a->parent == b->parent && a->addr.domain == b->addr.domain && a->addr.bus == b->addr.bus;
}

int iommu_upstream_bridge(const char *name, char parent[static PCI_ADDR_MAX]) {
        char p[512], t[1024];
        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s", name);
        ssize_t k = readlink(p, t, sizeof(t) - 1);
        if (k < 0)
                return -errno;
        t[k] = 0;
        char *last = strrchr(t, '/');
        if (!last)
                return -EBADMSG;
        *last = 0;
        const char *b = strrchr(t, '/');
        b = b ? b + 1 : t;
        struct pci_addr a;
        const char *why;
        parent[0] = 0;
        if (pci_addr_parse(b, &a, &why) == 0 && strchr(b, ':') != strrchr(b, ':'))
                pci_addr_format(&a, parent);
        return 0;
}

static int read_config(struct pdev *d) {
        _cleanup_free_ char *p = strdupf(SYSFS_PCI_DEVICES "/%s/config", d->name), *buf = NULL;
        size_t len;
        if (!p)
                return -ENOMEM;
        int r = read_file(p, CONFIG_MAX, &buf, &len);
        if (r < 0)
                return r;
        if (device_is_vf(d->name)) {
                /* a VF's vendor and device registers read ffff (SR-IOV): an
                 * endpoint the kernel never takes for multifunction */
                d->cfg = (struct pci_cfg) { .pcie = true, .pcie_type = PCI_EXP_TYPE_ENDPOINT, .ext_known = true };
                return 0;
        }
        return pci_cfg_parse((const uint8_t *) buf, len, &d->cfg);
}

/* d's walk consulted c, which cannot be told about: neither can d */
static void inherit(struct pdev *d, const struct pdev *c) {
        if (!d->why && c->why)
                d->why = c->why;
}

/* pci_device_group() for device i, as a union of i with the device whose
 * group it takes, and of that device with its aliases and its slot's
 * functions without ACS */
static void group_of(struct iommu_prediction *p, size_t i) {
        struct pdev *d = &p->d[i];
        int r = (int) i, unknown = -1;

        if (!d->readable) /* its type, functions and ACS unknown */
                cannot_tell(d, "config space unreadable");

        /* pci_for_each_dma_alias(): the topmost bridge that takes the
         * requester ID of what is below it */
        for (int a = d->parent; a >= 0; a = p->d[a].parent) {
                struct pdev *t = &p->d[a];
                if (!t->readable) {
                        cannot_tell(t, "config space unreadable");
                        inherit(d, t);
                        r = a;
                        continue;
                }
                if (!t->cfg.pcie)
                        r = a; /* a conventional PCI bridge above */
                else if (t->cfg.pcie_type == PCI_EXP_TYPE_PCI_BRIDGE || t->cfg.pcie_type == PCI_EXP_TYPE_PCIE_BRIDGE)
                        r = a;
        }
        if (r != (int) i)
                d->alias_at = r;
        /* upstream to where ACS isolates the path to the root complex */
        for (int b = p->d[r].parent; b >= 0; b = p->d[b].parent) {
                int at = -1;
                if (acs_path_enabled(p, b, &unknown, &at))
                        break;
                d->noacs_at = at;
                r = b;
        }
        if (unknown >= 0)
                inherit(d, &p->d[unknown]);
        join(p, (int) i, r);

        struct pdev *rd = &p->d[r];
        int racs = -2;
        for (size_t j = 0; j < p->n; j++) {
                struct pdev *o = &p->d[j];
                if ((int) j == r || !same_bus(o, rd) || o->addr.dev != rd->addr.dev)
                        continue;
                /* get_pci_alias_group(): DMA aliases of one another */
                if ((aliases_func1(rd) && o->addr.fn == 1) || (aliases_func1(o) && rd->addr.fn == 1))
                        join(p, r, (int) j);
                /* get_pci_function_alias_group(): functions of a slot without ACS */
                if (!rd->multifunction)
                        continue;
                if (racs == -2)
                        racs = acs_enabled(p, rd);
                if (racs == 1)
                        continue;
                int oacs = acs_enabled(p, o);
                if (oacs == 1)
                        continue;
                if (racs < 0 || oacs < 0) {
                        inherit(d, racs < 0 ? rd : o);
                        inherit(o, racs < 0 ? rd : o);
                }
                rd->mf_noacs = o->mf_noacs = true;
                join(p, r, (int) j);
        }
}

int iommu_predict(char *const *cmdline, struct iommu_prediction **ret) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_prediction_ struct iommu_prediction *p = calloc(1, sizeof(*p));
        _cleanup_free_ char (*parents)[PCI_ADDR_MAX] = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        r = device_enumerate(&names);
        if (r < 0)
                return r;
        p->n = strv_length(names);
        p->d = calloc(p->n + 1, sizeof(*p->d));
        parents = calloc(p->n + 1, sizeof(*parents));
        if (!p->d || !parents)
                return -ENOMEM;
        parse_override(p, cmdline);
        for (size_t i = 0; i < p->n; i++) {
                struct pdev *d = &p->d[i];
                struct pci_dev pd;
                const char *why;
                snprintf(d->name, sizeof(d->name), "%s", names[i]);
                d->up = (int) i;
                d->parent = -1;
                d->alias_at = d->noacs_at = -1;
                if (pci_addr_parse(d->name, &d->addr, &why) < 0)
                        cannot_tell(d, "not a PCI address");
                if (iommu_upstream_bridge(d->name, parents[i]) < 0)
                        cannot_tell(d, "its place in the PCI topology cannot be read");
                d->readable = read_config(d) >= 0;
                if (device_read(d->name, &pd, &why) == 0)
                        d->id = pd.id;
                /* pci_scan_slot(): every function after 0 is multifunction */
                d->multifunction = !device_is_vf(d->name) && ((d->readable && d->cfg.multifunction) || d->addr.fn > 0);
        }
        for (size_t i = 0; i < p->n; i++)
                if (*parents[i] && (p->d[i].parent = find(p, parents[i])) < 0)
                        cannot_tell(&p->d[i], "its upstream bridge is not a PCI device vfpt can see");
        /* the kernel adds devices in bus order, bridges before what is below them */
        for (size_t i = 0; i < p->n; i++)
                group_of(p, i);
        *ret = TAKE_PTR(p);
        return 0;
}

/* groups numbered in the order of their first member */
static int group_number(struct iommu_prediction *p, int i) {
        int g = 0, want = root(p, i);
        for (int j = 0; j < (int) p->n; j++)
                if (root(p, j) == j) {
                        if (j == want)
                                return g;
                        g++;
                }
        return -1;
}

int iommu_prediction_group(const struct iommu_prediction *cp, const char *name, char ***members, const char **why) {
        struct iommu_prediction *p = (struct iommu_prediction *) cp; /* path compression only */
        _cleanup_strv_free_ char **m = NULL;
        int i = find(p, name);

        *why = NULL;
        if (i < 0)
                return -ENOENT;
        for (size_t j = 0; j < p->n; j++)
                if (root(p, (int) j) == root(p, i)) {
                        if (strv_extend(&m, p->d[j].name) < 0)
                                return -ENOMEM;
                        if (!*why && p->d[j].why)
                                *why = p->d[j].why;
                }
        if (members)
                *members = TAKE_PTR(m);
        return group_number(p, i);
}

int iommu_prediction_save(const struct iommu_prediction *cp) {
        struct iommu_prediction *p = (struct iommu_prediction *) cp;
        _cleanup_free_ char *text = strdup("# vfpt: IOMMU groups predicted before the IOMMU was on; one a line\n");
        if (!text)
                return -ENOMEM;
        for (int i = 0; i < (int) p->n; i++) {
                if (root(p, i) != i)
                        continue;
                for (int j = i; j < (int) p->n; j++)
                        if (root(p, j) == i) {
                                char *t = strdupf("%s%s%s", text, j == i ? "" : " ", p->d[j].name);
                                if (!t)
                                        return -ENOMEM;
                                free(text);
                                text = t;
                        }
                char *t = strdupf("%s\n", text);
                if (!t)
                        return -ENOMEM;
                free(text);
                text = t;
        }
        int r = mkdir_p(path_state_dir(), 0755);
        if (r < 0)
                return r;
        return atomic_update(path_groups_predicted(), text, strlen(text), 0644);
}

int iommu_prediction_compare(char ***ret) {
        _cleanup_free_ char *text = NULL;
        _cleanup_strv_free_ char **diffs = NULL;
        int r = read_file(path_groups_predicted(), 1 << 20, &text, NULL);

        *ret = NULL;
        if (r < 0)
                return r;
        for (char *l = text, *nl; l && *l; l = nl) {
                _cleanup_strv_free_ char **want = NULL, **have = NULL;
                nl = strchr(l, '\n');
                if (nl)
                        *nl++ = 0;
                if (*l == '#' || strv_split_ws(l, &want) < 0 || !want || !*want)
                        continue;
                struct pci_dev d;
                const char *bad;
                if (device_read(want[0], &d, &bad) < 0)
                        continue; /* gone */
                if (d.group < 0 || device_group_members(d.group, &have) < 0) {
                        r = strv_push(&diffs, strdupf("%s: predicted in a group of %zu, the kernel gave it no IOMMU "
                                                      "group", want[0], strv_length(want)));
                        if (r < 0)
                                return r;
                        continue;
                }
                bool same = strv_length(want) == strv_length(have);
                for (char **w = want; same && *w; w++)
                        same = strv_contains(have, *w);
                if (same)
                        continue;
                _cleanup_free_ char *a = strv_join(want, " "), *b = strv_join(have, " ");
                if (!a || !b)
                        return -ENOMEM;
                r = strv_push(&diffs, strdupf("IOMMU group of %s: predicted %s, the kernel's group %d holds %s",
                                              want[0], a, d.group, b));
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(diffs);
        return 0;
}

int iommu_predict_learn(char *why, size_t n) {
        _cleanup_strv_free_ char **next = NULL;
        _cleanup_free_ char *source = NULL, *cmd = NULL;
        _cleanup_prediction_ struct iommu_prediction *p = NULL;
        int r;

        if (device_iommu_active()) {
                snprintf(why, n, "the IOMMU is on: the kernel's groups are known");
                return 0;
        }
        if (!may_learn(why, n))
                return 0;
        /* pcie_acs_override= as the next boot has it, else as this one */
        if (bootcfg_next_boot(&next, &source) < 0 && read_file(PROC_CMDLINE, 64 * 1024, &cmd, NULL) >= 0)
                (void) cmdline_split(cmd, &next);
        r = iommu_predict(next, &p);
        if (r < 0)
                return r;
        r = iommu_prediction_save(p);
        if (r >= 0)
                snprintf(why, n, "%s", r > 0 ? "recorded" : "unchanged");
        return r;
}

const char *iommu_break_kind_to_string(enum iommu_break_kind k) {
        switch (k) {
        case IOMMU_BREAK_NO_ACS:
                return "no-acs";
        case IOMMU_BREAK_PCI_BRIDGE:
                return "pci-bridge";
        case IOMMU_BREAK_MULTIFUNCTION:
                return "multifunction";
        case IOMMU_BREAK_UNKNOWN:
                return "cannot-tell";
        }
        return "?";
}

static const char *port_type(const struct pdev *d) {
        if (!d->readable)
                return "device";
        if (!d->cfg.pcie)
                return d->cfg.bridge ? "conventional PCI bridge" : "conventional PCI device";
        switch (d->cfg.pcie_type) {
        case PCI_EXP_TYPE_ROOT_PORT:
                return "root port";
        case PCI_EXP_TYPE_DOWNSTREAM:
                return "switch downstream port";
        case PCI_EXP_TYPE_UPSTREAM:
                return "switch upstream port";
        case PCI_EXP_TYPE_PCI_BRIDGE:
                return "PCIe-to-PCI bridge";
        case PCI_EXP_TYPE_PCIE_BRIDGE:
                return "PCI-to-PCIe bridge";
        default:
                return d->multifunction ? "multifunction device" : "device";
        }
}

/* what of SV, RR, CR, UF its ACS capability lacks: "no ACS capability" */
static void acs_lacks(const struct pdev *d, char *buf, size_t n) {
        static const struct {
                unsigned bit;
                const char *name;
        } flags[] = {
                { PCI_ACS_SV, "source validation" },
                { PCI_ACS_RR, "P2P request redirect" },
                { PCI_ACS_CR, "P2P completion redirect" },
                { PCI_ACS_UF, "upstream forwarding" },
        };
        size_t k = 0;
        if (!d->cfg.acs) {
                snprintf(buf, n, "no ACS capability");
                return;
        }
        k = (size_t) snprintf(buf, n, "ACS without");
        for (size_t i = 0; i < ELEMENTSOF(flags) && k < n; i++)
                if (!(d->cfg.acs_cap & flags[i].bit))
                        k += (size_t) snprintf(buf + k, n - k, " %s", flags[i].name);
}

static bool is_above(const struct iommu_prediction *p, int above, int i) {
        for (int a = p->d[i].parent; a >= 0; a = p->d[a].parent)
                if (a == above)
                        return true;
        return false;
}

static int add_break(struct iommu_break **b, size_t *n, enum iommu_break_kind kind, const char *at, const char *fmt,
                     ...) _printf_(5, 6);
static int add_break(struct iommu_break **b, size_t *n, enum iommu_break_kind kind, const char *at, const char *fmt,
                     ...) {
        va_list ap;
        for (size_t i = 0; i < *n; i++)
                if ((*b)[i].kind == kind && streq((*b)[i].at, at))
                        return 0;
        char text[sizeof((*b)->text)];
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        for (size_t i = 0; i < *n; i++)
                if (streq((*b)[i].text, text))
                        return 0;
        struct iommu_break *t = realloc(*b, (*n + 1) * sizeof(**b));
        if (!t)
                return -ENOMEM;
        *b = t;
        t += (*n)++;
        *t = (struct iommu_break) { .kind = kind };
        snprintf(t->at, sizeof(t->at), "%s", at);
        memcpy(t->text, text, sizeof(text));
        return 0;
}

int iommu_prediction_explain(const struct iommu_prediction *cp, const char *name, struct iommu_break **ret,
                             size_t *ret_n) {
        struct iommu_prediction *p = (struct iommu_prediction *) cp; /* path compression only */
        _cleanup_free_ struct iommu_break *b = NULL;
        size_t n = 0;
        int i = find(p, name), r = 0;

        *ret = NULL;
        *ret_n = 0;
        if (i < 0)
                return -ENOENT;
        int g = root(p, i);
        for (int m = 0; m < (int) p->n && r >= 0; m++) {
                struct pdev *d = &p->d[m];
                char lacks[128];
                if (root(p, m) != g)
                        continue;
                if (d->why)
                        r = add_break(&b, &n, IOMMU_BREAK_UNKNOWN, d->name, "cannot tell: %s", d->why);
                if (r >= 0 && d->alias_at >= 0) {
                        struct pdev *a = &p->d[d->alias_at];
                        r = add_break(&b, &n, IOMMU_BREAK_PCI_BRIDGE, a->name,
                                      "%s is a %s: the devices behind it share its requester ID, so they share its "
                                      "group whatever ACS says",
                                      a->name, port_type(a));
                }
                if (r >= 0 && d->mf_noacs) {
                        /* the slot's first function in the group names it */
                        bool first = true;
                        for (int o = 0; o < m && first; o++)
                                first = !(root(p, o) == g && p->d[o].mf_noacs && same_bus(&p->d[o], d) &&
                                          p->d[o].addr.dev == d->addr.dev);
                        acs_lacks(d, lacks, sizeof(lacks));
                        if (first)
                                r = add_break(&b, &n, IOMMU_BREAK_MULTIFUNCTION, d->name,
                                              "%s is a multifunction device whose functions lack ACS (%s): they "
                                              "share a group",
                                              d->name, lacks);
                }
                /* a bridge or port without ACS above other members */
                if (r < 0 || !d->readable || !(d->cfg.bridge || d->noacs_at == m))
                        continue;
                bool above = false;
                for (int o = 0; o < (int) p->n && !above; o++)
                        above = o != m && root(p, o) == g && is_above(p, m, o);
                if (!above || acs_enabled(p, d) > 0)
                        continue;
                acs_lacks(d, lacks, sizeof(lacks));
                if (!d->cfg.pcie || d->cfg.pcie_type == PCI_EXP_TYPE_PCI_BRIDGE ||
                    d->cfg.pcie_type == PCI_EXP_TYPE_PCIE_BRIDGE)
                        r = add_break(&b, &n, IOMMU_BREAK_PCI_BRIDGE, d->name,
                                      "%s is a %s: the devices behind it share its requester ID, so they share its "
                                      "group whatever ACS says",
                                      d->name, port_type(d));
                else
                        r = add_break(&b, &n, IOMMU_BREAK_NO_ACS, d->name,
                                      "%s (%s) has %s: the devices below it share its group", d->name, port_type(d),
                                      lacks);
        }
        for (int m = 0; m < (int) p->n && r >= 0; m++) /* where the ACS walk stopped */
                if (root(p, m) == g && p->d[m].noacs_at >= 0 && p->d[p->d[m].noacs_at].readable) {
                        struct pdev *d = &p->d[p->d[m].noacs_at];
                        char lacks[128];
                        acs_lacks(d, lacks, sizeof(lacks));
                        r = add_break(&b, &n, IOMMU_BREAK_NO_ACS, d->name,
                                      "%s (%s) has %s: the devices below it share its group", d->name, port_type(d),
                                      lacks);
                }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        *ret_n = n;
        return 0;
}

void iommu_ports_free(struct iommu_port *ports, size_t n) {
        for (size_t i = 0; ports && i < n; i++)
                strv_free(ports[i].below);
        free(ports);
}

/* the firmware's name of the slot on bus (domain:bus), "" if none */
static void slot_name(const struct pdev *port, char *buf, size_t n) {
        DIR *dir = opendir(SYSFS_PCI_SLOTS);
        char want[32];
        struct dirent *de;

        buf[0] = 0;
        snprintf(want, sizeof(want), "%04x:%02x:00", port->addr.domain, port->cfg.secondary);
        while (dir && (de = readdir(dir))) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                if (de->d_name[0] == '.')
                        continue;
                path = strdupf(SYSFS_PCI_SLOTS "/%s/address", de->d_name);
                if (!path || read_file(path, 256, &text, NULL) < 0)
                        continue;
                text[strcspn(text, "\n")] = 0;
                /* "0000:01:00", or "0000:01" for a slot of several devices */
                if (strncmp(text, want, strlen(want) - 3) == 0) {
                        snprintf(buf, n, "%.*s", (int) (n - 1), de->d_name);
                        break;
                }
        }
        if (dir)
                closedir(dir);
}

int iommu_prediction_isolating_ports(const struct iommu_prediction *cp, struct iommu_port **ret, size_t *ret_n) {
        struct iommu_prediction *p = (struct iommu_prediction *) cp;
        struct iommu_port *ports = NULL;
        size_t n = 0;

        *ret = NULL;
        *ret_n = 0;
        for (int i = 0; i < (int) p->n; i++) {
                struct pdev *d = &p->d[i];
                int unknown = -1;
                if (!d->readable || !d->cfg.pcie ||
                    (d->cfg.pcie_type != PCI_EXP_TYPE_ROOT_PORT && d->cfg.pcie_type != PCI_EXP_TYPE_DOWNSTREAM))
                        continue;
                if (acs_path_enabled(p, i, &unknown, NULL) <= 0 || unknown >= 0)
                        continue;
                struct iommu_port *t = realloc(ports, (n + 1) * sizeof(*ports));
                if (!t) {
                        iommu_ports_free(ports, n);
                        return -ENOMEM;
                }
                ports = t;
                t += n++;
                *t = (struct iommu_port) { .type = port_type(d) };
                snprintf(t->name, sizeof(t->name), "%s", d->name);
                slot_name(d, t->slot, sizeof(t->slot));
                for (size_t j = 0; j < p->n; j++)
                        if (p->d[j].parent == i && strv_extend(&t->below, p->d[j].name) < 0) {
                                iommu_ports_free(ports, n);
                                return -ENOMEM;
                        }
        }
        *ret = ports;
        *ret_n = n;
        return 0;
}
