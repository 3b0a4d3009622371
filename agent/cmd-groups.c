/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt groups: the IOMMU group of every configured device explained (GPU
 * hosts, issue 27): its members and their drivers, which member keeps the
 * claim from being viable and why, where isolation breaks (a port or bridge
 * without ACS, a conventional PCI bridge, a multifunction device without
 * ACS), what would help, and each listed device's reset methods and the
 * boot framebuffer over its BARs. The engine judges the groups (PLAN, the
 * same judgement as apply), iommu-predict.c the topology. */
#include <stdio.h>

#include "bootcfg.h"
#include "commands.h"
#include "engine.h"
#include "framebuffer.h"
#include "gpu.h"
#include "host.h"
#include "iommu-predict.h"
#include "json.h"
#include "log.h"
#include "paths.h"

/* One member of a group as the claim sees it */
struct member {
        struct pci_dev d;
        bool present;
        const char *role; /* listed, companion, bridge, passthrough, blocks, unbound */
        char why[512];    /* blocks: why; else what it is */
};

struct group {
        int number;
        bool predicted;
        const struct account *a; /* the first configured device in it */
        char **listed;           /* the configured devices in it */
        struct member *m;
        size_t n_m;
        struct iommu_break *breaks;
        size_t n_breaks;
        bool blocked;
        char *mispredicted; /* the IOMMU on: the topology predicts these, not the kernel's group */
};

static void group_done(struct group *g) {
        strv_free(g->listed);
        free(g->m);
        free(g->breaks);
        free(g->mispredicted);
}

/* The offending list of the account's group result: "0000:00:1f.3 (snd_hda_intel), ..." */
static const char *group_reason(const struct account *a) {
        for (size_t i = 0; i < a->n_results; i++)
                if (a->results[i].topic == TOPIC_GROUP && a->results[i].reason &&
                    (a->results[i].kind == RESULT_FAILED || a->results[i].kind == RESULT_WARNING))
                        return a->results[i].reason;
        return NULL;
}

static const char *guard_reason(const struct account *a) {
        for (size_t i = 0; i < a->n_results; i++)
                if (a->results[i].topic == TOPIC_GUARD && a->results[i].reason)
                        return a->results[i].reason;
        return a->message;
}

static bool wanted(const struct config *c, const struct pci_dev *d) {
        return config_vfio_wants(c, &d->addr, &d->id) || config_forced(c, &d->addr);
}

static void judge_member(struct engine *e, const struct group *g, struct member *m) {
        const struct account *ma = engine_account(e, m->d.name);
        const char *offending = g->a ? group_reason(g->a) : NULL;
        char key[PCI_ADDR_MAX + 2];

        snprintf(key, sizeof(key), "%s ", m->d.name);
        if (ma && ma->refused) {
                m->role = "blocks";
                snprintf(m->why, sizeof(m->why), "the host needs it: %s", guard_reason(ma) ?: "a guard refused it");
        } else if (wanted(e->cfg, &m->d))
                m->role = "listed";
        else if (pci_dev_is_bridge(&m->d)) {
                m->role = "bridge";
                snprintf(m->why, sizeof(m->why), "a bridge: vfio-pci does not need it");
        } else if (driver_is_passthrough(m->d.driver)) {
                m->role = "passthrough";
                snprintf(m->why, sizeof(m->why), "on %s: the host does not use it", m->d.driver);
        } else if (ma && ma->role == ROLE_VFIO) {
                m->role = "companion";
                snprintf(m->why, sizeof(m->why), "claimed with the group (iommu_group = group)");
        } else if (offending && strstr(offending, key)) {
                m->role = "blocks";
                if (*m->d.driver)
                        snprintf(m->why, sizeof(m->why),
                                 "on the host driver %s: list it in [vfio] devices too, or set iommu_group = group",
                                 m->d.driver);
                else
                        snprintf(m->why, sizeof(m->why),
                                 "unbound, but a host driver binds it when its module loads: list it in [vfio] "
                                 "devices too");
        } else if (*m->d.driver) {
                /* iommu_group = warn, or a claim before: still the host's */
                m->role = "blocks";
                snprintf(m->why, sizeof(m->why), "on the host driver %s: vfio cannot open the group", m->d.driver);
        } else {
                m->role = "unbound";
                snprintf(m->why, sizeof(m->why), "no driver, and none will bind it");
        }
}

static const char *class_name(unsigned cls) {
        switch (cls >> 8) {
        case 0x0300:
                return "VGA";
        case 0x0302:
                return "3D";
        case 0x0403:
                return "audio";
        case 0x0c03:
                return "USB";
        case 0x0108:
                return "NVMe";
        case 0x0200:
                return "Ethernet";
        case 0x0604:
                return "PCI bridge";
        case 0x0600:
                return "host bridge";
        }
        return (cls >> 16) == 0x06 ? "bridge" : "device";
}

static int load_group(struct engine *e, struct iommu_prediction *p, struct group *g) {
        _cleanup_strv_free_ char **names = NULL;
        const char *why;
        int r;

        if (g->predicted)
                r = iommu_prediction_group(p, g->a->name, &names, &why);
        else
                r = device_group_members(g->number, &names);
        if (r < 0)
                return r;
        g->m = calloc(strv_length(names) + 1, sizeof(*g->m));
        if (!g->m)
                return -ENOMEM;
        for (char **n = names; *n; n++) {
                struct member *m = &g->m[g->n_m++];
                const char *bad;
                m->present = device_read(*n, &m->d, &bad) >= 0;
                if (!m->present) {
                        snprintf(m->d.name, sizeof(m->d.name), "%s", *n);
                        m->role = "gone";
                        continue;
                }
                judge_member(e, g, m);
                g->blocked = g->blocked || streq(m->role, "blocks");
        }
        /* where it breaks: only when the group holds more than it, and
         * (the IOMMU on) the prediction forms the kernel's group */
        if (g->n_m <= 1)
                return 0;
        if (!g->predicted) {
                _cleanup_strv_free_ char **want = NULL;
                bool same = iommu_prediction_group(p, g->a->name, &want, &why) >= 0 &&
                            strv_length(want) == strv_length(names);
                for (char **w = want; same && *w; w++)
                        same = strv_contains(names, *w);
                if (!same) {
                        g->mispredicted = want ? strv_join(want, " ") : NULL;
                        return 0;
                }
        }
        if (iommu_prediction_explain(p, g->a->name, &g->breaks, &g->n_breaks) < 0)
                g->n_breaks = 0;
        return 0;
}

static bool breaks_of(const struct group *g, enum iommu_break_kind k) {
        for (size_t i = 0; i < g->n_breaks; i++)
                if (g->breaks[i].kind == k)
                        return true;
        return false;
}

/* the configured device's other functions in the group: they go with it */
static char *functions_with(const struct group *g, const char *name) {
        _cleanup_strv_free_ char **f = NULL;
        struct pci_addr a;
        const char *why;
        if (pci_addr_parse(name, &a, &why) < 0)
                return NULL;
        for (size_t i = 0; i < g->n_m; i++) {
                const struct pci_addr *o = &g->m[i].d.addr;
                if (g->m[i].present && !streq(g->m[i].d.name, name) && o->domain == a.domain && o->bus == a.bus &&
                    o->dev == a.dev && strv_extend(&f, g->m[i].d.name) < 0)
                        return NULL;
        }
        return f ? strv_join(f, " ") : NULL;
}

#define ACS_OVERRIDE_NOTE                                                                                          \
        "pcie_acs_override= is not a mainline kernel feature (an out-of-tree patch that Proxmox VE's and "         \
        "linux-zen's kernels carry): it makes the kernel treat these devices as isolated without their being so, " \
        "so they can still reach each other by peer-to-peer DMA; vfpt never sets it"

static void print_help(const struct group *g, const struct iommu_port *ports, size_t n_ports) {
        if (!breaks_of(g, IOMMU_BREAK_NO_ACS) && !breaks_of(g, IOMMU_BREAK_PCI_BRIDGE) &&
            !breaks_of(g, IOMMU_BREAK_MULTIFUNCTION))
                return;
        _cleanup_free_ char *with = functions_with(g, g->a->name);
        size_t shown = 0;
        for (size_t i = 0; i < n_ports; i++) {
                _cleanup_free_ char *below = ports[i].below ? strv_join(ports[i].below, " ") : NULL;
                bool ours = false;
                for (char **b = ports[i].below; b && *b; b++)
                        ours = ours || streq(*b, g->a->name);
                if (ours)
                        continue;
                printf("  would help: a slot below %s (%s%s%s, ACS up to the root complex): %s%s\n", ports[i].name,
                       ports[i].type, *ports[i].slot ? ", slot " : "", ports[i].slot,
                       below ? "now holds " : "empty", below ? below : "");
                shown++;
        }
        if (shown)
                printf("  would help: move %s%s%s to one of these slots: it gets a group of its own there\n",
                       g->a->name, with && *with ? " with its functions " : "", with && *with ? with : "");
        else
                printf("  would help: no port on this host has ACS all the way to the root complex (nothing to "
                       "move it to)\n");
        if (breaks_of(g, IOMMU_BREAK_MULTIFUNCTION))
                printf("  note: the functions of one device without ACS stay in one group wherever it goes: "
                       "list them all\n");
        if (breaks_of(g, IOMMU_BREAK_NO_ACS) || breaks_of(g, IOMMU_BREAK_MULTIFUNCTION))
                printf("  note: %s\n", ACS_OVERRIDE_NOTE);
}

static void json_help(struct json *j, const struct group *g, const struct iommu_port *ports, size_t n_ports) {
        bool helps = breaks_of(g, IOMMU_BREAK_NO_ACS) || breaks_of(g, IOMMU_BREAK_PCI_BRIDGE) ||
                     breaks_of(g, IOMMU_BREAK_MULTIFUNCTION);
        _cleanup_free_ char *with = helps ? functions_with(g, g->a->name) : NULL;
        json_array_begin(j, "isolated_slots");
        for (size_t i = 0; helps && i < n_ports; i++) {
                bool ours = false;
                for (char **b = ports[i].below; b && *b; b++)
                        ours = ours || streq(*b, g->a->name);
                if (ours)
                        continue;
                json_object_begin(j, NULL);
                json_string(j, "port", ports[i].name);
                json_string(j, "type", ports[i].type);
                json_string(j, "slot", *ports[i].slot ? ports[i].slot : NULL);
                json_array_begin(j, "below");
                for (char **b = ports[i].below; b && *b; b++)
                        json_string(j, NULL, *b);
                json_array_end(j);
                json_object_end(j);
        }
        json_array_end(j);
        json_array_begin(j, "move_with");
        _cleanup_strv_free_ char **w = NULL;
        if (with && strv_split_ws(with, &w) >= 0)
                for (char **x = w; x && *x; x++)
                        json_string(j, NULL, *x);
        json_array_end(j);
        json_string(j, "acs_override",
                    breaks_of(g, IOMMU_BREAK_NO_ACS) || breaks_of(g, IOMMU_BREAK_MULTIFUNCTION) ? ACS_OVERRIDE_NOTE
                                                                                                 : NULL);
}

static const char *verdict(const struct group *g) {
        if (g->blocked)
                return "NOT viable";
        if (g->a->group_unknown)
                return "cannot tell";
        return "viable";
}

static void print_group(const struct group *g, const struct iommu_port *ports, size_t n_ports,
                        const struct config *c) {
        printf("%s %d%s: %s", g->predicted ? "predicted IOMMU group" : "IOMMU group", g->number,
               g->predicted ? " (the IOMMU is off on this boot: as the kernel will form it)" : "", verdict(g));
        if (g->a->group_unknown)
                printf(" (%s)", g->a->group_unknown);
        printf("\n");
        for (size_t i = 0; i < g->n_m; i++) {
                const struct member *m = &g->m[i];
                if (!m->present) {
                        printf("  %s: gone\n", m->d.name);
                        continue;
                }
                printf("  %s %04x:%04x %s driver=%s: %s%s%s\n", m->d.name, m->d.id.vendor, m->d.id.device,
                       class_name(m->d.class), *m->d.driver ? m->d.driver : "(none)",
                       streq(m->role, "blocks") ? "BLOCKS: " : m->role, streq(m->role, "blocks") ? "" : *m->why ? ": " : "",
                       m->why);
        }
        if (g->n_m <= 1)
                printf("  isolated: it is alone in its group\n");
        if (g->mispredicted)
                printf("  isolation breaks: not explained: the topology and ACS predict a group of %s, the "
                       "kernel formed another (quirks vfpt does not carry, or pcie_acs_override=)\n",
                       g->mispredicted);
        for (size_t i = 0; i < g->n_breaks; i++)
                printf("  isolation breaks: %s\n", g->breaks[i].text);
        print_help(g, ports, n_ports);
        for (char **l = g->listed; l && *l; l++)
                gpu_print_device(c, *l, "  ");
}

static void json_group(struct json *j, const struct group *g, const struct iommu_port *ports, size_t n_ports,
                       const struct config *c) {
        json_object_begin(j, NULL);
        json_int(j, "group", g->number);
        json_bool(j, "predicted", g->predicted);
        json_string(j, "verdict", g->blocked ? "not-viable" : g->a->group_unknown ? "cannot-tell" : "viable");
        json_string(j, "cannot_tell", g->a->group_unknown);
        json_array_begin(j, "configured");
        for (char **l = g->listed; l && *l; l++)
                json_string(j, NULL, *l);
        json_array_end(j);
        json_array_begin(j, "members");
        for (size_t i = 0; i < g->n_m; i++) {
                const struct member *m = &g->m[i];
                char id[10];
                json_object_begin(j, NULL);
                json_string(j, "device", m->d.name);
                snprintf(id, sizeof(id), "%04x:%04x", m->d.id.vendor, m->d.id.device);
                json_string(j, "id", m->present ? id : NULL);
                json_string(j, "class", m->present ? class_name(m->d.class) : NULL);
                json_string(j, "driver", *m->d.driver ? m->d.driver : NULL);
                json_string(j, "role", m->role);
                json_bool(j, "blocks", streq(m->role, "blocks"));
                json_string(j, "why", *m->why ? m->why : NULL);
                json_object_end(j);
        }
        json_array_end(j);
        json_array_begin(j, "isolation_breaks");
        for (size_t i = 0; i < g->n_breaks; i++) {
                json_object_begin(j, NULL);
                json_string(j, "kind", iommu_break_kind_to_string(g->breaks[i].kind));
                json_string(j, "at", g->breaks[i].at);
                json_string(j, "text", g->breaks[i].text);
                json_object_end(j);
        }
        json_array_end(j);
        json_string(j, "not_explained", g->mispredicted);
        json_help(j, g, ports, n_ports);
        json_array_begin(j, "devices");
        for (char **l = g->listed; l && *l; l++)
                gpu_json_device(j, c, *l);
        json_array_end(j);
        json_object_end(j);
}

/* the devices the config wants on a passthrough driver, by their groups */
static int collect(struct engine *e, struct iommu_prediction *p, struct group **ret, size_t *ret_n) {
        struct group *gs = NULL;
        size_t n = 0;
        int r = 0;

        for (size_t i = 0; i < e->n_acc && r >= 0; i++) {
                const struct account *a = e->acc[i];
                struct pci_dev d;
                const char *bad;
                if (!a->present || a->group < 0 || (a->role != ROLE_VFIO && a->role != ROLE_VF) ||
                    device_read(a->name, &d, &bad) < 0)
                        continue;
                if (a->role == ROLE_VF && !driver_is_passthrough(d.override))
                        continue;
                if (a->role == ROLE_VFIO && !wanted(e->cfg, &d) && !a->refused)
                        continue; /* a companion: shown in its group */
                struct group *g = NULL;
                for (size_t k = 0; k < n && !g; k++)
                        if (gs[k].number == a->group && gs[k].predicted == a->group_predicted)
                                g = &gs[k];
                if (!g) {
                        struct group *t = realloc(gs, (n + 1) * sizeof(*gs));
                        if (!t) {
                                r = -ENOMEM;
                                break;
                        }
                        gs = t;
                        g = &gs[n++];
                        *g = (struct group) { .number = a->group, .predicted = a->group_predicted, .a = a };
                        r = load_group(e, p, g);
                }
                if (r >= 0)
                        r = strv_extend(&g->listed, a->name);
        }
        if (r < 0) {
                for (size_t k = 0; k < n; k++)
                        group_done(&gs[k]);
                free(gs);
                return r;
        }
        *ret = gs;
        *ret_n = n;
        return 0;
}

int cmd_groups(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        _cleanup_strv_free_ char **cmdline = NULL;
        _cleanup_free_ char *source = NULL;
        _cleanup_prediction_ struct iommu_prediction *p = NULL;
        struct iommu_port *ports = NULL;
        size_t n_ports = 0, n = 0;
        struct group *gs = NULL;
        struct engine e;
        bool on, blocked = false;
        int r;

        r = parse_command_options(ctx, argc, argv,
                                  "vfpt groups\n"
                                  "The IOMMU group of every configured device: its members and their drivers,\n"
                                  "which member keeps the claim from being viable and why, where isolation\n"
                                  "breaks (ACS, PCI bridges, multifunction devices), what would help, and each\n"
                                  "listed device's reset methods and boot framebuffer. With the IOMMU off, the\n"
                                  "groups as the kernel will form them (predicted).\n"
                                  "Exit 1 if a group keeps a configured device from being claimed.\n",
                                  NULL, NULL, NULL);
        if (r < 0)
                return r == -1 ? EXIT_OK : EXIT_USAGE;
        if (r < argc) {
                log_error("groups: unexpected argument '%s'", argv[r]);
                return EXIT_USAGE;
        }
        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;
        on = device_iommu_active();
        /* the groups of this boot (pcie_acs_override= as it has it), or of the next */
        if (on || bootcfg_next_boot(&cmdline, &source) < 0)
                (void) host_cmdline(&cmdline);
        r = iommu_predict(cmdline, &p);
        if (r < 0) {
                log_error_errno(r, "cannot read the PCI topology: %m");
                command_teardown(NULL);
                return EXIT_USAGE;
        }
        engine_init(&e, c, ENGINE_PLAN);
        if (!on)
                e.predict = p;
        r = engine_all(&e);
        if (r >= 0)
                r = collect(&e, p, &gs, &n);
        if (r >= 0)
                r = iommu_prediction_isolating_ports(p, &ports, &n_ports);
        if (r < 0) {
                log_error_errno(r, "cannot judge the IOMMU groups: %m");
                command_teardown(&e);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < n; i++)
                blocked = blocked || gs[i].blocked;
        if (ctx->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j, NULL);
                json_bool(&j, "iommu_active", on);
                json_array_begin(&j, "groups");
                for (size_t i = 0; i < n; i++)
                        json_group(&j, &gs[i], ports, n_ports, c);
                json_array_end(&j);
                json_object_end(&j);
                json_finish(&j);
        } else {
                if (n == 0)
                        printf("no configured device is present%s\n", on ? "" : " (the IOMMU is off on this boot)");
                for (size_t i = 0; i < n; i++)
                        print_group(&gs[i], ports, n_ports, c);
        }
        for (size_t i = 0; i < n; i++)
                group_done(&gs[i]);
        free(gs);
        iommu_ports_free(ports, n_ports);
        command_teardown(&e);
        return blocked ? EXIT_DRIFT : EXIT_OK;
}
