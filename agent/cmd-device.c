/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt plan, apply, udev, status: the commands around the device engine. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <stdio.h>
#include <time.h>

#include "bootstate.h"
#include "cmd-coexist.h"
#include "cmd-grub.h"
#include "cmd-protect.h"
#include "cmd-status.h"
#include "cmdline.h"
#include "coexist.h"
#include "commands.h"
#include "engine.h"
#include "giveback.h"
#include "gpu.h"
#include "bootcfg.h"
#include "host.h"
#include "protect.h"
#include "argchange.h"
#include "iommu-predict.h"
#include "json.h"
#include "kconfig.h"
#include "lastapply.h"
#include "lock.h"
#include "log.h"
#include "paths.h"
#include "protect.h"

#define LOCK_TIMEOUT_SEC 60

static void json_steps(struct json *j, const struct engine *e, bool with_result) {
        json_array_begin(j, "steps");
        for (size_t i = 0; i < e->n_steps; i++) {
                const struct step *s = &e->steps[i];
                json_object_begin(j, NULL);
                if (s->netlink) {
                        json_string(j, "netlink", s->path);
                        json_string(j, "value", s->value);
                } else if (s->path) {
                        json_string(j, "write", s->path);
                        json_string(j, "value", s->value);
                } else
                        json_string(j, "load_module", s->value);
                if (with_result) {
                        json_bool(j, "ok", s->result >= 0);
                        if (s->result < 0)
                                json_string(j, "error", strerror(-s->result));
                }
                json_object_end(j);
        }
        json_array_end(j);
}

/* one VF setting's value as vfpt.conf(5) spells it */
static void vf_value(unsigned bit, const struct vf_settings *v, char *buf, size_t n) {
        char m[MAC_MAX];
        if (!(v->set & bit)) {
                snprintf(buf, n, "?");
                return;
        }
        switch (bit) {
        case VF_SET_MAC: snprintf(buf, n, "%s", mac_format(v->mac, m)); break;
        case VF_SET_VLAN:
                if (v->vlan == 0 && v->qos == 0)
                        snprintf(buf, n, "0");
                else if (v->qos)
                        snprintf(buf, n, "%u/qos%u%s", v->vlan, v->qos, v->vlan_proto == VLAN_PROTO_8021AD ? "/802.1ad" : "");
                else
                        snprintf(buf, n, "%u%s", v->vlan, v->vlan_proto == VLAN_PROTO_8021AD ? "/802.1ad" : "");
                break;
        case VF_SET_SPOOFCHK: snprintf(buf, n, "%s", v->spoofchk ? "on" : "off"); break;
        case VF_SET_TRUST: snprintf(buf, n, "%s", v->trust ? "on" : "off"); break;
        case VF_SET_LINK_STATE: snprintf(buf, n, "%s", vf_link_state_to_string(v->link_state)); break;
        case VF_SET_RATE: snprintf(buf, n, "%u-%u", v->min_tx_rate, v->max_tx_rate); break;
        case VF_SET_QUERY_RSS: snprintf(buf, n, "%s", v->query_rss ? "on" : "off"); break;
        default: snprintf(buf, n, "?");
        }
}

static const struct {
        unsigned bit;
        const char *key;
} vf_keys[] = {
        { VF_SET_MAC, "mac" },         { VF_SET_VLAN, "vlan" },             { VF_SET_SPOOFCHK, "spoofchk" },
        { VF_SET_TRUST, "trust" },     { VF_SET_LINK_STATE, "link_state" }, { VF_SET_RATE, "tx_rate" },
        { VF_SET_QUERY_RSS, "query_rss" },
};

const char *vf_setting_key(unsigned bit) {
        for (size_t k = 0; k < ELEMENTSOF(vf_keys); k++)
                if (vf_keys[k].bit == bit)
                        return vf_keys[k].key;
        return NULL;
}

/* "vfs": [{"vf": 1, "mac": {"now": ..., "wanted": ...}, ..., "drift": [...]}] */
static void json_vfs(struct json *j, const struct account *a) {
        char v[64];
        json_string(j, "netdev", *a->netdev ? a->netdev : NULL);
        json_int(j, "vf_settings_drift", a->vf_drift);
        json_array_begin(j, "vfs");
        for (size_t i = 0; i < a->n_vfs; i++) {
                const struct vf_net *f = &a->vfs[i];
                json_object_begin(j, NULL);
                json_int(j, "vf", f->vf);
                for (size_t k = 0; k < ELEMENTSOF(vf_keys); k++) {
                        unsigned b = vf_keys[k].bit;
                        if (!((f->have.set | f->want.set) & b))
                                continue;
                        json_object_begin(j, vf_keys[k].key);
                        vf_value(b, &f->have, v, sizeof(v));
                        json_string(j, "now", f->have.set & b ? v : NULL);
                        vf_value(b, &f->want, v, sizeof(v));
                        json_string(j, "wanted", f->want.set & b ? v : NULL);
                        json_object_end(j);
                }
                json_array_begin(j, "drift");
                for (size_t k = 0; k < ELEMENTSOF(vf_keys); k++)
                        if (f->drift & vf_keys[k].bit)
                                json_string(j, NULL, vf_keys[k].key);
                json_array_end(j);
                json_object_end(j);
        }
        json_array_end(j);
}

/* status: a line a VF, "  eth0 vf 1: mac=... vlan=100 spoofchk=on ... DRIFT: spoofchk wanted off" */
static void print_vfs(const struct account *a) {
        char v[64];
        for (size_t i = 0; i < a->n_vfs; i++) {
                const struct vf_net *f = &a->vfs[i];
                printf("  %s vf %u:", a->netdev, f->vf);
                for (size_t k = 0; k < ELEMENTSOF(vf_keys); k++) {
                        unsigned b = vf_keys[k].bit;
                        if ((b == VF_SET_RATE || b == VF_SET_QUERY_RSS) && !(f->want.set & b))
                                continue; /* shown when configured */
                        vf_value(b, &f->have, v, sizeof(v));
                        printf(" %s=%s", vf_keys[k].key, v);
                }
                if (!f->drift) {
                        printf(" ok\n");
                        continue;
                }
                printf(" DRIFT:");
                for (size_t k = 0; k < ELEMENTSOF(vf_keys); k++)
                        if (f->drift & vf_keys[k].bit) {
                                vf_value(vf_keys[k].bit, &f->want, v, sizeof(v));
                                printf(" %s wanted %s", vf_keys[k].key, v);
                        }
                printf("\n");
        }
}

/* apply, udev: each VF setting the kernel refused, one line naming PF, VF and setting */
static void log_refused(const struct engine *e) {
        for (size_t i = 0; i < e->n_steps; i++) {
                unsigned vf;
                const char *what = step_netlink_setting(&e->steps[i], &vf);
                if (what && e->steps[i].result < 0)
                        log_error_errno(e->steps[i].result, "%s: VF %u: cannot set %s: %m", e->steps[i].path, vf, what);
        }
}

/* ---- the next boot, while the IOMMU is not on yet (issue 32) ---- */

/* The engine run again as the next boot will run it: the guards as at
 * boot, each claim judged by the IOMMU group the kernel will form
 * (predicted). Nothing when the IOMMU is on: the plan is the next boot's. */
struct next_run {
        bool on;
        struct engine e;
        struct iommu_prediction *predict;
        bool initramfs;  /* the running kernel's initramfs was built with vfpt's hook */
        struct arg_changes args; /* the next boot's IOMMU arguments against this boot's */
        char *source;            /* where they were read, NULL if unknown */
};

static void next_run_done(struct next_run *n) {
        if (n->on)
                engine_done(&n->e);
        iommu_prediction_free(n->predict);
        arg_changes_done(&n->args);
        free(n->source);
        *n = (struct next_run) {};
}

static int next_run(const struct config *c, struct next_run *n) {
        _cleanup_strv_free_ char **next = NULL;
        _cleanup_free_ char *source = NULL;
        struct initramfs_record rec;
        struct utsname u;
        int r;

        *n = (struct next_run) {};
        /* the next boot's arguments: what they change, and whether it will
         * have an IOMMU at all (it may be on now and off then) */
        if (bootcfg_next_boot(&next, &source) >= 0) {
                _cleanup_strv_free_ char **want = NULL, **have = NULL, **needed = NULL;
                char kver[256];
                r = 0; /* cannot tell: nothing said */
                if (host_kernel_args(c, &want) >= 0 && host_cmdline(&have) >= 0) {
                        /* those the next kernel does not have by default */
                        if (kconfig_next_kernel(kver, sizeof(kver)) < 0)
                                snprintf(kver, sizeof(kver), "%s", uname(&u) == 0 ? u.release : "");
                        for (char **w = want; r >= 0 && *w; w++)
                                if (!kconfig_arg_default(kver, *w, next))
                                        r = strv_extend(&needed, *w);
                        if (r >= 0)
                                r = arg_changes_judge(want, needed, have, next, &n->args);
                }
                if (r < 0)
                        return r;
                n->source = TAKE_PTR(source);
        }
        if (device_iommu_active() && !n->args.no_iommu)
                return 0;
        /* pcie_acs_override= as the next boot will have it */
        if (!next && host_cmdline(&next) < 0)
                next = NULL;
        r = iommu_predict(next, &n->predict);
        if (r < 0)
                return r;
        n->initramfs = uname(&u) == 0 && bootstate_read_initramfs(u.release, &rec) == 0;
        engine_init(&n->e, c, ENGINE_PLAN);
        n->e.predict = n->predict;
        n->e.no_iommu = n->args.no_iommu;
        n->on = true;
        r = engine_all(&n->e);
        return r < 0 ? r : 1;
}

/* next_run with the error said; on failure nothing is left to free (e neither) */
static int next_run_or_say(const struct config *c, struct next_run *n, struct engine *e) {
        int r = next_run(c, n);
        if (r < 0) {
                log_error_errno(r, "cannot evaluate the next boot: %m");
                next_run_done(n);
                command_teardown(e);
        }
        return r;
}

/* listed by address in [vfio] devices */
static bool by_address(const struct config *c, const char *name) {
        struct pci_addr a;
        const char *why;
        if (pci_addr_parse(name, &a, &why) < 0)
                return false;
        for (size_t i = 0; i < c->n_vfio_devices; i++)
                if (pci_addr_eq(&c->vfio_devices[i].addr, &a))
                        return true;
        return false;
}

/* A storage or network device matched by ID that the protected set carried
 * into the initramfs does not hold is deferred there, claimed late. */
static bool claimed_late(struct next_run *n, const char *name) {
        struct pci_dev d;
        const char *bad;
        size_t k = 0;
        if (!n->initramfs)
                return true;
        if (by_address(n->e.cfg, name) || device_read(name, &d, &bad) < 0)
                return false;
        if ((d.class >> 16) != 0x01 && (d.class >> 16) != 0x02)
                return false;
        const struct protect_entry *l = n->e.prot ? protect_learnt_entries(n->e.prot, &k) : NULL;
        for (size_t i = 0; l && i < k; i++)
                if (streq(l[i].name, name))
                        return false;
        return true;
}

/* what the next boot does to the device: "claimed", "kept", "deferred",
 * "not claimed", "changed" (SR-IOV), "as now"; *when for a claim */
static const char *next_action(struct next_run *n, const struct account *a, const char **when) {
        *when = NULL;
        if (!a->present)
                return "not present";
        if (a->refused)
                return "kept";
        if (a->failed)
                return "not claimed";
        if (a->deferred)
                return "deferred";
        if (!a->changed)
                return "as now";
        if (a->role == ROLE_PF)
                return "changed";
        *when = claimed_late(n, a->name) ? "late" : "initramfs";
        return "claimed";
}

static void json_next_boot(struct json *j, struct next_run *n, const char *name) {
        const struct account *a = n && n->on ? engine_account(&n->e, name) : NULL;
        const char *when;
        if (!a) {
                json_null(j, "next_boot");
                return;
        }
        json_object_begin(j, "next_boot");
        json_string(j, "action", next_action(n, a, &when));
        json_string(j, "when", when);
        json_string(j, "reason", a->message);
        if (a->group >= 0) {
                json_int(j, "group", a->group);
                json_array_begin(j, "group_members");
                for (char **m = a->group_members; m && *m; m++)
                        json_string(j, NULL, *m);
                json_array_end(j);
        } else
                json_null(j, "group");
        json_bool(j, "predicted", a->group_predicted);
        json_string(j, "group_cannot_tell", a->group_unknown);
        json_object_end(j);
}

/* "# 0000:02:00.0: next boot: claimed from the initramfs (predicted IOMMU group 2: 0000:02:00.0)" */
static void print_next_boot(struct next_run *n, const char *prefix) {
        for (size_t i = 0; n->on && i < n->e.n_acc; i++) {
                const struct account *a = n->e.acc[i];
                const char *when, *act = next_action(n, a, &when);
                _cleanup_free_ char *members = a->group_members ? strv_join(a->group_members, " ") : NULL;
                printf("%s%s: next boot: %s", prefix, a->name, act);
                if (when)
                        printf(" %s", streq(when, "late") ? (n->initramfs ? "late (vfpt.service, once the guards see)"
                                                                          : "late (the initramfs has no vfpt hook yet)")
                                                          : "from the initramfs");
                if (a->group >= 0 && members)
                        printf(" (%sIOMMU group %d: %s%s%s)", a->group_predicted ? "predicted " : "", a->group,
                               members, a->group_unknown ? "; cannot tell if it holds more: " : "",
                               a->group_unknown ?: "");
                if (!streq(act, "claimed") && !streq(act, "as now") && a->message)
                        printf(": %s", a->message);
                printf("\n");
        }
}

/* "the next boot (/boot/grub/grub.cfg) changes the IOMMU arguments: iommu=pt added" */
static void print_arg_changes(const struct next_run *n) {
        if (n->args.changes) {
                _cleanup_free_ char *l = strv_join(n->args.changes, ", ");
                printf("the next boot (%s) changes the IOMMU arguments: %s%s\n", n->source, l ?: "?",
                       n->args.no_iommu ? ""
                       : n->args.groups_may_change ? " (IOMMU groups may change)"
                                                   : " (IOMMU groups and claims as they are)");
        }
        if (n->args.no_iommu)
                printf("IOMMU: the next boot will have NONE (%s, %s): no device can be claimed there\n",
                       n->args.no_iommu, n->source);
}

static void json_arg_changes(struct json *j, const struct next_run *n) {
        json_object_begin(j, "next_boot_arguments");
        json_string(j, "source", n->source);
        json_array_begin(j, "changes");
        for (char **m = n->args.changes; m && *m; m++)
                json_string(j, NULL, *m);
        json_array_end(j);
        json_string(j, "no_iommu", n->args.no_iommu);
        json_bool(j, "groups_may_change", n->args.groups_may_change);
        json_object_end(j);
}

static void json_devices(struct json *j, const struct engine *e, struct next_run *n) {
        json_array_begin(j, "devices");
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                json_object_begin(j, NULL);
                json_string(j, "device", a->name);
                json_string(j, "role", role_to_string(a->role));
                json_bool(j, "present", a->present);
                json_string(j, "driver", *a->driver ? a->driver : NULL);
                json_string(j, "driver_override", *a->override ? a->override : NULL);
                if (a->group >= 0)
                        json_int(j, "iommu_group", a->group);
                else
                        json_null(j, "iommu_group");
                if (a->viable >= 0)
                        json_bool(j, "group_viable", a->viable);
                else
                        json_null(j, "group_viable");
                if (a->role == ROLE_PF) {
                        json_int(j, "sriov_numvfs", a->numvfs);
                        json_int(j, "num_vfs_wanted", a->want_vfs);
                }
                if (a->n_vfs)
                        json_vfs(j, a);
                json_bool(j, "changed", a->changed);
                json_bool(j, "late_claim", a->late);
                json_bool(j, "protected", a->refused);
                json_bool(j, "deferred", a->deferred);
                json_bool(j, "failed", a->failed);
                json_string(j, "message", a->message);
                json_array_begin(j, "results");
                for (size_t k = 0; k < a->n_results; k++) {
                        json_object_begin(j, NULL);
                        json_string(j, "kind", result_kind_to_string(a->results[k].kind));
                        json_string(j, "topic", result_topic_to_string(a->results[k].topic));
                        json_string(j, "text", a->results[k].text);
                        json_string(j, "reason", a->results[k].reason);
                        json_object_end(j);
                }
                json_array_end(j);
                json_next_boot(j, n, a->name);
                json_object_end(j);
        }
        /* devices only the next boot concerns: companions it claims along */
        for (size_t i = 0; n && n->on && i < n->e.n_acc; i++) {
                const struct account *a = n->e.acc[i];
                bool seen = false;
                for (size_t k = 0; k < e->n_acc && !seen; k++)
                        seen = streq(e->acc[k]->name, a->name);
                if (seen)
                        continue;
                json_object_begin(j, NULL);
                json_string(j, "device", a->name);
                json_string(j, "role", role_to_string(a->role));
                json_bool(j, "present", a->present);
                json_string(j, "driver", *a->driver ? a->driver : NULL);
                json_next_boot(j, n, a->name);
                json_object_end(j);
        }
        json_array_end(j);
}

/* plan and apply --json: {"changed", "steps", "devices"} */
static void print_json_run(const struct engine *e, bool with_result, struct next_run *n) {
        struct json j;
        json_init(&j, stdout);
        json_object_begin(&j, NULL);
        json_bool(&j, "changed", e->n_steps > 0);
        json_bool(&j, "iommu_active", !n || !n->on || (n->args.no_iommu && device_iommu_active()));
        if (n)
                json_arg_changes(&j, n);
        json_steps(&j, e, with_result);
        json_devices(&j, e, n);
        json_object_end(&j);
        json_finish(&j);
}

static void print_steps(const struct engine *e, const char *prefix) {
        for (size_t i = 0; i < e->n_steps; i++) {
                const struct step *s = &e->steps[i];
                if (s->netlink)
                        printf("%snetlink %s: ip link set %s%s%s\n", prefix, s->path, s->value,
                               s->result < 0 ? ": " : "", s->result < 0 ? strerror(-s->result) : "");
                else if (s->path) /* "\n" clears driver_override: shown as "" */
                        printf("%swrite %s = %s%s%s\n", prefix, s->path, streq(s->value, "\n") ? "\"\"" : s->value,
                               s->result < 0 ? ": " : "",
                               s->result < 0 ? strerror(-s->result) : "");
                else
                        printf("%sload module %s%s%s\n", prefix, s->value, s->result < 0 ? ": " : "",
                               s->result < 0 ? strerror(-s->result) : "");
        }
}

/* plan and apply: a refusal (a guard or an identity mismatch at an address
 * the config names) is said as such; other failures as FAILED */
static const char *account_head(const struct account *a) {
        return a->failed && a->refused ? "REFUSED: " : a->failed ? "FAILED: " : "";
}

static void print_accounts(const struct engine *e, const char *prefix) {
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                printf("%s%s: %s%s\n", prefix, a->name, account_head(a), a->message ?: "as configured");
        }
}

static int device_command(struct context *ctx, int argc, char **argv, const char *help, struct config **ret) {
        int r = parse_command_options(ctx, argc, argv, help, NULL, NULL, NULL);
        if (r < 0)
                return r == -1 ? -1 : EXIT_USAGE;
        if (r < argc) {
                log_error("%s: unexpected argument '%s'", argv[0], argv[r]);
                return EXIT_USAGE;
        }
        return load_config_or_report(ctx, ret);
}

/* engine_all with the error said; on failure nothing is left to free */
static int run_all(struct engine *e, const struct config *c, enum engine_mode mode) {
        engine_init(e, c, mode);
        int r = engine_all(e);
        if (r < 0) {
                log_error_errno(r, "cannot enumerate PCI devices: %m");
                command_teardown(e);
        }
        return r;
}

/* The record of what vfpt took (undo-record.h), for a run that gives back:
 * 0 loaded (empty when there is none), else the one-line error said and
 * EXIT_USAGE: a record that cannot be trusted is "cannot tell" */
static int load_record(struct undo_record *rec) {
        char why[256];
        int r = undo_record_load(rec, why, sizeof(why));
        if (r == -EBADMSG) {
                log_error("%s: %s: cannot tell what vfpt took; nothing given back, nothing changed (remove the file "
                          "to start a new record: what it held is then never given back)",
                          undo_record_path(), why);
                return EXIT_USAGE;
        }
        if (r < 0) {
                log_error_errno(r, "%s: cannot read what vfpt took: %m; nothing changed", undo_record_path());
                return EXIT_USAGE;
        }
        return 0;
}

/* What the engine did in this run, added to what vfpt took before: every
 * run that acts records. A record that cannot be trusted is left as it is
 * (nothing given back from it later) and not added to. */
static void record_steps(const struct engine *e, struct undo_record *rec, bool loaded) {
        _cleanup_(undo_record_free) struct undo_record own = {};
        char why[256];
        int r;
        if (e->n_steps == 0)
                return;
        if (!loaded) {
                r = undo_record_load(&own, why, sizeof(why));
                if (r < 0) {
                        log_warning("%s: %s: what this run took is not recorded, and will not be given back "
                                    "without a reboot", undo_record_path(), r == -EBADMSG ? why : strerror(-r));
                        return;
                }
                rec = &own;
        }
        r = giveback_note_steps(e, rec);
        if (r >= 0)
                r = undo_record_save(rec);
        if (r < 0)
                log_warning_errno(r, "%s: cannot record what vfpt took: %m; it will not be given back without a "
                                  "reboot", undo_record_path());
}

int cmd_plan(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        struct engine e;
        int r;

        r = device_command(ctx, argc, argv,
                           "vfpt plan\n"
                           "Print the sysfs writes and module loads `vfpt apply` would make now, and\n"
                           "what each configured device would become. Writes nothing.\n",
                           &c);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        _cleanup_(undo_record_free) struct undo_record rec = {};
        if ((r = load_record(&rec)) != 0)
                return r;
        if (run_all(&e, c, ENGINE_PLAN) < 0)
                return EXIT_USAGE;
        /* what apply would give back: said, and counted, as apply would */
        if (giveback_run(&e, &rec) < 0) {
                log_error("out of memory");
                command_teardown(&e);
                return EXIT_USAGE;
        }
        (void) gpu_framebuffer_warn(&e); /* issue 27: boot framebuffers over BARs */
        (void) gpu_reset_apply(&e, false, !ctx->json); /* issue 27: [vfio] reset_method */
        /* what apply would fail at: plan fails too, as apply would (exit 3) */
        unsigned failures = engine_failures(&e);
        struct next_run nr;
        if (next_run_or_say(c, &nr, &e) < 0)
                return EXIT_USAGE;
        /* before the IOMMU is on, no claim can be made now: what is shown,
         * and what the exit says, is the next boot's evaluation */
        if (nr.on)
                failures = engine_failures(&nr.e);
        if (ctx->json)
                print_json_run(&e, false, &nr);
        else {
                bool all_well = engine_failures(&e) == 0 && engine_deferred(&e) == 0;
                for (size_t i = 0; i < e.n_acc; i++)
                        all_well = all_well && !e.acc[i]->refused;
                print_arg_changes(&nr);
                if (nr.on && nr.args.no_iommu)
                        printf("the next boot, without an IOMMU:\n");
                else if (nr.on)
                        printf("IOMMU: not active on this boot: apply can claim nothing now; the next boot (with the "
                               "kernel arguments), IOMMU groups predicted:\n");
                else if (e.n_steps == 0 && all_well)
                        printf("nothing to write: every present configured device is as configured\n");
                else if (e.n_steps == 0 && failures)
                        printf("nothing to write, but apply would fail for %u device%s (FAILED below)\n", failures,
                               failures == 1 ? "" : "s");
                else if (e.n_steps == 0)
                        printf("no write can be made now; not every device is as configured:\n");
                print_steps(&e, "");
                if (nr.on)
                        print_next_boot(&nr, "# ");
                else
                        print_accounts(&e, "# ");
        }
        next_run_done(&nr);
        command_teardown(&e);
        return failures ? EXIT_PARTIAL : EXIT_OK;
}

struct apply_options {
        bool early, late;
};

static int on_apply_option(void *userdata, int c, const char *arg _unused_) {
        struct apply_options *o = userdata;
        if (c == 'e')
                o->early = true;
        else if (c == 'l')
                o->late = true;
        else
                return -1;
        return 0;
}

/* /run/vfpt/deferred: claims left for vfpt-late.service (its condition) */
static void mark_deferred(bool deferred) {
        _cleanup_free_ char *p = strdupf("%s/deferred", path_runtime_dir());
        if (!p)
                return;
        if (deferred) {
                (void) mkdir(path_runtime_dir(), 0755);
                int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd >= 0)
                        close(fd);
        } else
                (void) unlink(p);
}

/* /run/vfpt/last-apply for metrics (e NULL: the devices were not reached) */
static void record_apply(int exit_code, const struct engine *e, const struct apply_options *o) {
        struct last_apply a = { .time = (long long) time(NULL), .exit_code = exit_code,
                                .changes = e ? (unsigned) e->n_steps : 0,
                                .failures = e ? (unsigned) engine_failures(e) : 0 };
        snprintf(a.mode, sizeof(a.mode), "%s", o->early ? "early" : o->late ? "late" : "default");
        int r = last_apply_record(&a);
        if (r < 0)
                log_warning_errno(r, "%s/last-apply: cannot record this run: %m", path_runtime_dir());
}

int cmd_apply(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        _cleanup_close_ int lock = -1;
        struct engine e;
        int r;

        static const struct extra_option extra[] = { { "early", 0, 'e' }, { "late", 0, 'l' }, {} };
        struct apply_options o = {};
        r = parse_command_options(ctx, argc, argv,
                                  "vfpt apply [--early]\n"
                                  "Bring every configured device to its desired state now (coldplug): SR-IOV\n"
                                  "VFs on bound PFs, vfio-pci claims with the IOMMU group rule. Exit 3 with a\n"
                                  "per-device account if something could not be done.\n"
                                  "  --early   in the initramfs before udev starts (the dracut and\n"
                                  "            initramfs-tools hooks): a PF whose driver is not bound yet\n"
                                  "            is left to its bind event instead of counting as a failure;\n"
                                  "            logs to the kernel log\n"
                                  "  --late    once the network is up (vfpt-late.service): claims deferred\n"
                                  "            at boot, with the network guard trusting the routes it sees\n",
                                  extra, on_apply_option, &o);
        if (r == -1)
                return EXIT_OK;
        if (r < 0)
                return EXIT_USAGE;
        if (r < argc) {
                log_error("apply: unexpected argument '%s'", argv[r]);
                return EXIT_USAGE;
        }
        bool early = o.early;
        if (early) {
                log_set_target(LOG_TARGET_AUTO);
                log_open();
        }
        char off[64];
        if (vfpt_disabled(in_initrd(), off, sizeof(off))) {
                log_notice("%s on the kernel command line: changing nothing on this boot", off);
                if (in_initrd())
                        (void) bootstate_record_disabled(off);
                return EXIT_OK;
        }
        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;
        if (early && in_initrd()) {
                char digest[DIGEST_MAX];
                if (config_digest(c, digest) >= 0 && (r = bootstate_record_boot(digest)) < 0)
                        log_warning_errno(r, "cannot record this boot's config in %s: %m", path_runtime_dir());
        }
        if (running_in_chroot() > 0) {
                /* an image build or an installer's %post: the devices here are
                 * not the installed system's running ones; its next boot sets
                 * them up. GRUB is the installed system's and may be patched. */
                log_notice("in a chroot: devices are left to the installed system's next boot");
                r = EXIT_OK;
                if (ctx->json) {
                        struct json j;
                        json_init(&j, stdout);
                        json_object_begin(&j, NULL);
                        json_bool(&j, "changed", false);
                        json_bool(&j, "chroot", true);
                        if (c->patch_grub && grub_apply_for_apply(c, &j) != EXIT_OK)
                                r = EXIT_PARTIAL;
                        json_object_end(&j);
                        json_finish(&j);
                } else if (c->patch_grub && grub_apply_for_apply(c, NULL) != EXIT_OK)
                        r = EXIT_PARTIAL;
                return r;
        }
        if (!device_iommu_active())
                log_warning("the IOMMU is not active on this boot (/sys/kernel/iommu_groups is empty): "
                            "vfio-pci cannot take devices; check kernel_args with 'vfpt status'");
        lock = lock_take(LOCK_TIMEOUT_SEC);
        if (lock < 0) {
                log_error_errno(lock, "cannot take the lock in /run/vfpt: %m");
                record_apply(EXIT_PARTIAL, NULL, &o);
                return EXIT_PARTIAL;
        }
        /* the initramfs's run has nothing to give back: it starts the record */
        _cleanup_(undo_record_free) struct undo_record rec = {};
        if (!early && (r = load_record(&rec)) != 0)
                return r;
        engine_init(&e, c, ENGINE_APPLY);
        e.early = early;
        e.late = o.late;
        r = engine_all(&e);
        if (r < 0) {
                log_error_errno(r, "cannot enumerate PCI devices: %m");
                command_teardown(&e);
                record_apply(EXIT_PARTIAL, NULL, &o);
                return EXIT_PARTIAL;
        }
        if (!early) {
                size_t before = rec.n_claims + rec.n_vfs + rec.n_vfsets;
                if (giveback_run(&e, &rec) < 0)
                        log_error("out of memory: nothing given back");
                else if (rec.n_claims + rec.n_vfs + rec.n_vfsets != before && e.n_steps == 0 &&
                         (r = undo_record_save(&rec)) < 0)
                        log_warning_errno(r, "%s: cannot update what vfpt took: %m", undo_record_path());
        }
        record_steps(&e, &rec, !early);
        if (early) /* no one reads stdout in the initramfs: the kernel log gets the account */
                for (size_t i = 0; i < e.n_acc; i++)
                        if (!e.acc[i]->failed && (e.acc[i]->changed || e.acc[i]->late || e.acc[i]->refused ||
                                                  e.acc[i]->deferred))
                                log_full_errno(e.acc[i]->refused ? LOG_WARNING : LOG_NOTICE, 0, "%s: %s",
                                               e.acc[i]->name, e.acc[i]->message);
        unsigned reset_failed = gpu_reset_apply(&e, true, false); /* issue 27: [vfio] reset_method */
        mark_deferred(engine_deferred(&e) > 0);
        if (!early && engine_identity_refusals(&e))
                /* the set keeps the identity learnt at those addresses: the
                 * next run must not take what this one refused */
                log_notice("not learning the protected set again: an address the config names holds another "
                           "device than learnt ('vfpt protected --save' learns it if that is meant)");
        else if (!early) {
                char why[256];
                learn_protected(&e);
                r = iommu_predict_learn(why, sizeof(why));
                if (r < 0)
                        log_warning_errno(r, "%s: cannot record the predicted IOMMU groups: %m",
                                          path_groups_predicted());
                else
                        log_debug("predicted IOMMU groups: %s", why);
        }
        log_refused(&e);
        for (size_t i = 0; i < e.n_acc; i++)
                if (e.acc[i]->failed)
                        log_error("%s: %s", e.acc[i]->name, e.acc[i]->message);
        r = engine_failures(&e) || reset_failed ? EXIT_PARTIAL : EXIT_OK;
        /* patch_grub: only on the installed system, never from the initramfs
         * (its /etc/default/grub, if any, is not the one the next boot reads) */
        bool grub = false;
        if (c->patch_grub) {
                if (in_initrd())
                        log_debug("patch_grub: in the initramfs, GRUB is left to the installed system");
                else
                        grub = true;
        }
        if (ctx->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j, NULL);
                json_bool(&j, "changed", e.n_steps > 0);
                json_steps(&j, &e, true);
                json_devices(&j, &e, NULL);
                if (grub && grub_apply_for_apply(c, &j) != EXIT_OK)
                        r = EXIT_PARTIAL;
                json_object_end(&j);
                json_finish(&j);
        } else {
                print_accounts(&e, "");
                if (grub && grub_apply_for_apply(c, NULL) != EXIT_OK)
                        r = EXIT_PARTIAL;
        }
        record_apply(r, &e, &o);
        command_teardown(&e);
        return r;
}

static void log_accounts(const struct engine *e) {
        log_refused(e);
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                if (a->failed)
                        log_error("%s: %s", a->name, a->message);
                else if (a->refused)
                        log_warning("%s: %s", a->name, a->message);
                else if (a->changed || a->late || a->deferred)
                        log_notice("%s: %s", a->name, a->message ?: "done");
                else
                        log_debug("%s: %s", a->name, a->message ?: "as configured");
        }
}

/* ACTION=add of a network interface whose parent is a PCI device
 * (DEVPATH=/devices/.../0000:3b:00.0/net/eth0): the VF settings of a PF
 * whose driver came back. Decided from the config before sysfs is read. */
static int udev_net(struct context *ctx, const char *devpath) {
        _cleanup_config_ struct config *c = NULL;
        char name[PCI_ADDR_MAX], off[64];
        const char *n = devpath ? strstr(devpath, "/net/") : NULL;

        if (!n)
                return EXIT_OK;
        const char *b = n;
        while (b > devpath && b[-1] != '/')
                b--;
        if (n == b || (size_t) (n - b) >= sizeof(name))
                return EXIT_OK;
        snprintf(name, sizeof(name), "%.*s", (int) (n - b), b);
        if (vfpt_disabled(in_initrd(), off, sizeof(off)))
                return EXIT_OK;
        if (config_load(ctx->config_path, &c) < 0)
                return EXIT_OK; /* said on the PCI devices' own events */
        if (!engine_netdev_relevant(c, name))
                return EXIT_OK;
        log_skipped_dropins(c);
        _cleanup_close_ int lock = lock_take(LOCK_TIMEOUT_SEC);
        if (lock < 0) {
                log_error_errno(lock, "%s: cannot take the lock in /run/vfpt: %m; VF settings left alone", name);
                return EXIT_OK;
        }
        struct engine e;
        engine_init(&e, c, ENGINE_APPLY);
        engine_netdev(&e, name);
        record_steps(&e, NULL, false);
        log_accounts(&e);
        command_teardown(&e);
        return EXIT_OK;
}

int cmd_udev(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        const char *action = getenv("ACTION"), *subsystem = getenv("SUBSYSTEM");
        const char *name = getenv("PCI_SLOT_NAME"), *devpath = getenv("DEVPATH");
        int r;

        r = parse_command_options(ctx, argc, argv,
                                  "vfpt udev\n"
                                  "Handle the uevent in the environment (ACTION, SUBSYSTEM, DEVPATH, PCI_ID,\n"
                                  "DRIVER): claim listed devices on add, create VFs when a PF's driver binds.\n"
                                  "Logs to the kernel log; always exits 0.\n",
                                  NULL, NULL, NULL);
        if (r == -1)
                return EXIT_OK;
        log_set_target(LOG_TARGET_AUTO);
        log_open();
        if (r < 0 || r < argc) {
                log_error("udev: bad arguments; ignoring the event");
                return EXIT_OK;
        }
        if (action && streq(action, "add") && streq_ptr(subsystem, "vfio")) {
                /* DEVNAME=/dev/vfio/N: a group node, [vfio] owner/group/mode */
                const char *dn = getenv("DEVNAME"), *b = dn ? strrchr(dn, '/') : NULL;
                unsigned g;
                if (!b || safe_atou(b + 1, &g) < 0 || g > INT32_MAX)
                        return EXIT_OK;
                if (config_load(ctx->config_path, &c) < 0)
                        return EXIT_OK; /* said on the device's own events */
                struct engine e;
                engine_init(&e, c, ENGINE_APPLY);
                engine_vfio_node(&e, (int) g);
                for (size_t i = 0; i < e.n_acc; i++)
                        if (e.acc[i]->message)
                                log_full_errno(e.acc[i]->failed ? LOG_ERR : LOG_NOTICE, 0, "%s: %s", e.acc[i]->name,
                                               e.acc[i]->message);
                command_teardown(&e);
                return EXIT_OK;
        }
        if (streq_ptr(action, "add") && streq_ptr(subsystem, "net"))
                return udev_net(ctx, devpath);
        if (!action || !streq_ptr(subsystem, "pci"))
                return EXIT_OK;
        if (!name && devpath) {
                name = strrchr(devpath, '/');
                name = name ? name + 1 : NULL;
        }
        if (!name)
                return EXIT_OK;

        /* vfpt=off is read from /proc/cmdline only for events that concern
         * the config (or when the config is broken): every PCI device of
         * every boot passes here */
        char off[64];
        r = config_load(ctx->config_path, &c);
        bool relevant = r >= 0 && engine_uevent_relevant(c, action, name, getenv("PCI_ID"), getenv("DRIVER"));
        if ((r < 0 || relevant) && vfpt_disabled(in_initrd(), off, sizeof(off))) {
                log_debug("%s on the kernel command line: event ignored", off);
                return EXIT_OK;
        }
        if (r < 0) {
                for (char **e = c ? c->errors : NULL; e && *e; e++)
                        log_error("%s", *e);
                if (r == -ENOMEM)
                        log_error("out of memory");
                else
                        log_error("%s: config is not valid; device left alone", name);
                return EXIT_OK;
        }
        if (!relevant)
                return EXIT_OK;
        log_skipped_dropins(c); /* every PCI device of every boot passes here: said for the events that matter */

        _cleanup_close_ int lock = lock_take(LOCK_TIMEOUT_SEC);
        if (lock < 0) {
                log_error_errno(lock, "%s: cannot take the lock in /run/vfpt: %m; device left alone", name);
                return EXIT_OK;
        }
        struct engine e;
        engine_init(&e, c, ENGINE_APPLY);
        engine_uevent(&e, action, name, getenv("DRIVER"));
        record_steps(&e, NULL, false);
        if (engine_deferred(&e))
                mark_deferred(true);
        log_accounts(&e);
        command_teardown(&e);
        return EXIT_OK;
}

/* Is the protected set and are the ports the initramfs carries what this
 * host learns now? Read-only: learns nothing, writes nothing. */
static void boot_view_sets(const struct config *c, const struct initramfs_record *rec, struct boot_view *v) {
        _cleanup_protect_ struct protect *p = NULL;
        _cleanup_free_ struct protect_entry *live = NULL;
        char now[DIGEST_MAX], why[256] = "cannot load the protected set";
        size_t n = 0;
        bool names = false;

        for (size_t i = 0; i < c->n_sriov; i++)
                names = names || c->sriov[i].sel.kind == SELECTOR_IFNAME;
        if (!rec->has_sets) {
                v->stale = true;
                snprintf(v->stale_why, sizeof(v->stale_why),
                         "built by a vfpt that did not record the protected set it carries");
                return;
        }
        if (!may_learn(why, sizeof(why)) || protect_open(false, &p) < 0 || !protect_net_sees(p)) {
                log_debug("initramfs: cannot tell whether its protected set is current: %s",
                          p ? "no default route: the network guard cannot tell the uplink" : why);
                return;
        }
        if (protect_scan(p, &live, &n) < 0 || protected_set_digest(live, n, now) < 0)
                return;
        if (!*rec->protected) {
                v->stale = true;
                snprintf(v->stale_why, sizeof(v->stale_why),
                         "it carries no protected set (it could not be learnt when the initramfs was built)");
        } else if (!streq(rec->protected, now)) {
                v->stale = true;
                snprintf(v->stale_why, sizeof(v->stale_why),
                         "the protected set it carries is not what this host learns now (the root disk or the "
                         "uplink moved, or devices changed)");
        } else if (names && ports_digest(c, now) >= 0 && !streq(rec->ports, now)) {
                v->stale = true;
                snprintf(v->stale_why, sizeof(v->stale_why),
                         *rec->ports ? "the interface names [sriov IFNAME] selects by are other ports now"
                                     : "it carries no interface names for [sriov IFNAME] (not learnt when it was built)");
        }
}

static void boot_view(const struct config *c, struct boot_view *v) {
        char now[DIGEST_MAX], booted[DIGEST_MAX];
        struct initramfs_record rec;
        struct utsname u;

        *v = (struct boot_view) { .command = "dracut -f" };
        (void) vfpt_disabled(false, v->disabled, sizeof(v->disabled));
        if (!*v->disabled) /* the initramfs part was off (rd.vfpt=0): it said so in /run */
                (void) bootstate_read_disabled(v->disabled, sizeof(v->disabled));
        if (uname(&u) == 0)
                snprintf(v->kver, sizeof(v->kver), "%s", u.release);
        if (config_digest(c, now) < 0)
                return;
        if (bootstate_read_initramfs(v->kver, &rec) == 0) {
                v->recorded = true;
                snprintf(v->tool, sizeof(v->tool), "%s", rec.tool);
                v->rebuild = !streq(rec.config, now);
                if (streq(v->tool, "initramfs-tools"))
                        v->command = "update-initramfs -u";
                if (!v->rebuild)
                        boot_view_sets(c, &rec, v);
        }
        if (bootstate_read_boot(booted) == 0 && !streq(booted, now) && !v->rebuild)
                v->reboot = true;
}

/* kernel_args that the running kernel's config makes its default (and the
 * next kernel's: the newest /boot/config-*), not undone on the command
 * line: in effect without being on it (kconfig.c). by_default[i] for
 * want[i]; *needed: want without them, for the next boot's judgement. */
static int args_by_default(char *const *want, char *const *have, bool **by_default, char ***needed) {
        char next[256];
        struct utsname u;
        size_t n = strv_length(want);
        bool have_next = kconfig_next_kernel(next, sizeof(next)) >= 0;

        *by_default = calloc(n + 1, sizeof(bool));
        if (!*by_default || uname(&u) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                (*by_default)[i] = !cmdline_satisfies(have, want[i]) && kconfig_arg_default(u.release, want[i], have);
                if (!(*by_default)[i] || (have_next && !kconfig_arg_default(next, want[i], have)))
                        if (strv_extend(needed, want[i]) < 0)
                                return -ENOMEM;
        }
        if (!*needed)
                *needed = calloc(1, sizeof(char *));
        return *needed ? 0 : -ENOMEM;
}

bool status_arg_in_effect(const struct status_view *v, size_t i) {
        return cmdline_satisfies(v->have, v->want[i]) || v->by_default[i];
}

void status_view_done(struct status_view *v) {
        next_boot_done(&v->nb); /* issue 13 */
        if (v->nr)
                next_run_done(v->nr);
        free(v->nr);
        command_teardown(&v->e);
        strv_free(v->mispredicted);
        strv_free(v->want);
        strv_free(v->have);
        strv_free(v->needed);
        free(v->by_default);
        *v = (struct status_view) {};
}

int status_evaluate(const struct config *c, struct status_view *v) {
        int r;

        *v = (struct status_view) {};
        r = host_kernel_args(c, &v->want);
        if (r < 0) {
                log_error("kernel_args = auto: cannot tell the CPU vendor from /proc/cpuinfo");
                goto fail;
        }
        r = host_cmdline(&v->have);
        if (r < 0) {
                log_error_errno(r, "%s: cannot read: %m", PROC_CMDLINE);
                goto fail;
        }
        v->nr = calloc(1, sizeof(*v->nr));
        if (!v->nr || args_by_default(v->want, v->have, &v->by_default, &v->needed) < 0) {
                log_error("out of memory");
                goto fail;
        }
        v->iommu = device_iommu_active();
        if (run_all(&v->e, c, ENGINE_PLAN) < 0)
                goto fail;
        {
                /* what vfpt took and the config no longer names: drift, apply gives it back */
                _cleanup_(undo_record_free) struct undo_record rec = {};
                char rwhy[256];
                int k = undo_record_load(&rec, rwhy, sizeof(rwhy));
                if (k < 0)
                        log_warning("%s: %s: cannot tell what vfpt took", undo_record_path(),
                                    k == -EBADMSG ? rwhy : strerror(-k));
                else if (giveback_run(&v->e, &rec) < 0)
                        log_warning("out of memory: what vfpt took is not shown");
        }
        if (next_run_or_say(c, v->nr, &v->e) < 0) {
                free(v->nr); /* next_run_or_say freed what it held, and the engine */
                v->nr = NULL;
                v->e = (struct engine) {};
                goto fail;
        }
        v->prediction_checked = v->iommu && iommu_prediction_compare(&v->mispredicted) >= 0;
        boot_view(c, &v->bv);
        /* ---- issue 13 (cmd-grub.c): what the next boot gets from the boot
         * configuration, and why the IOMMU is off when the arguments are on ---- */
        next_boot_judge(v->needed, v->have, v->iommu, &v->nb);
        /* ---- */
        const struct engine *e = &v->e;
        const struct boot_view *bv = &v->bv;
        v->drift = !v->iommu || v->nr->args.no_iommu || e->n_steps > 0 || engine_failures(e) > 0 || engine_deferred(e) > 0 || bv->rebuild ||
                   bv->stale || bv->reboot || v->nb.reboot;
        for (size_t i = 0; v->want[i]; i++)
                v->drift = v->drift || !status_arg_in_effect(v, i);
        for (size_t i = 0; i < e->n_acc; i++)
                v->drift = v->drift || !e->acc[i]->present;
        return 0;
fail:
        strv_free(v->want);
        strv_free(v->have);
        strv_free(v->needed);
        free(v->by_default);
        free(v->nr);
        *v = (struct status_view) {};
        return EXIT_USAGE;
}

int cmd_status(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        _cleanup_(coexist_done) struct coexist co = {};
        struct status_view v;
        int r;

        r = device_command(ctx, argc, argv,
                           "vfpt status\n"
                           "Kernel arguments in force, IOMMU state, and each configured device now\n"
                           "against the config: driver, override, VFs, IOMMU group viability.\n"
                           "Exit 1 if anything differs from the config.\n",
                           &c);
        if (r != 0)
                return r < 0 ? EXIT_OK : r;
        r = status_evaluate(c, &v);
        if (r != 0)
                return r;
        coexistence_warn(&v.e, &co); /* warnings only: not drift */
        const struct engine *e = &v.e;
        const struct boot_view *bv = &v.bv;
        char **want = v.want, **mispredicted = v.mispredicted;
        bool iommu = v.iommu;

        if (ctx->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j, NULL);
                json_bool(&j, "drift", v.drift);
                json_array_begin(&j, "kernel_args");
                for (size_t i = 0; want[i]; i++) {
                        json_object_begin(&j, NULL);
                        json_string(&j, "arg", want[i]);
                        json_bool(&j, "in_effect", status_arg_in_effect(&v, i));
                        json_bool(&j, "by_default", v.by_default[i]);
                        json_object_end(&j);
                }
                json_array_end(&j);
                json_bool(&j, "iommu_active", iommu);
                json_string(&j, "disabled", *bv->disabled ? bv->disabled : NULL);
                json_object_begin(&j, "initramfs");
                json_string(&j, "kernel", bv->kver);
                json_string(&j, "built_with", *bv->tool ? bv->tool : NULL);
                if (bv->recorded)
                        json_bool(&j, "has_current_config", !bv->rebuild);
                else
                        json_null(&j, "has_current_config");
                json_bool(&j, "stale", bv->stale);
                json_string(&j, "stale_reason", bv->stale ? bv->stale_why : NULL);
                json_string(&j, "rebuild_command", bv->rebuild || bv->stale ? bv->command : NULL);
                json_object_end(&j);
                json_bool(&j, "reboot_required", bv->reboot || v.nb.reboot); /* one member for both */
                next_boot_json(&j, &v.nb); /* issue 13 */
                json_arg_changes(&j, v.nr);
                json_object_begin(&j, "iommu_prediction"); /* issue 32: the groups predicted before the IOMMU was on */
                json_bool(&j, "checked", v.prediction_checked);
                json_array_begin(&j, "differences");
                for (char **m = mispredicted; m && *m; m++)
                        json_string(&j, NULL, *m);
                json_array_end(&j);
                json_object_end(&j);
                json_devices(&j, e, v.nr);
                coexistence_json(&j, &co);
                gpu_status_json(&j, e); /* issue 27: reset methods, boot framebuffers */
                json_object_end(&j);
                json_finish(&j);
        } else {
                printf("kernel command line:");
                for (size_t i = 0; want[i]; i++)
                        printf(" %s %s%s", want[i],
                               cmdline_satisfies(v.have, want[i]) ? "(in effect)"
                               : v.by_default[i]                  ? "(in effect by default: the kernel's config)"
                                                                  : "(MISSING)",
                               want[i + 1] ? "," : "\n");
                printf("IOMMU: %s\n", iommu ? "active" : "NOT active on this boot: vfio-pci cannot take devices");
                if (*bv->disabled)
                        printf("vfpt: DISABLED on this boot (%s on the kernel command line): no claims, no SR-IOV "
                               "changes%s\n", bv->disabled,
                               strncmp(bv->disabled, "rd.", 3) == 0 ? " in the initramfs" : "");
                if (bv->rebuild)
                        printf("initramfs: built from another config (kernel %s): rebuild it with '%s', then "
                               "reboot\n", bv->kver, bv->command);
                else if (bv->stale)
                        printf("initramfs stale: rebuild with %s, then reboot (kernel %s): %s\n", bv->command,
                               bv->kver, bv->stale_why);
                else if (bv->recorded)
                        printf("initramfs: carries the config now in /etc (kernel %s, %s)\n", bv->kver, bv->tool);
                else
                        printf("initramfs: no record of a build with vfpt's hook for kernel %s\n", bv->kver);
                next_boot_print(&v.nb); /* issue 13 */
                print_arg_changes(v.nr);
                if (v.prediction_checked && !mispredicted)
                        printf("IOMMU groups: as predicted before the IOMMU was on (%s)\n", path_groups_predicted());
                for (char **m = mispredicted; m && *m; m++)
                        printf("IOMMU groups: NOT as predicted: %s\n", *m);
                if (bv->reboot)
                        printf("reboot required: this boot's initramfs had another config\n");
                for (size_t i = 0; i < e->n_acc; i++) {
                        const struct account *a = e->acc[i];
                        printf("%s %s:", a->name, role_to_string(a->role));
                        if (!a->present) {
                                printf(" %s\n", a->role == ROLE_VF && a->changed ? "to be created" : "not present");
                                continue;
                        }
                        printf(" driver=%s", *a->driver ? a->driver : "(none)");
                        if (*a->override)
                                printf(" override=%s", a->override);
                        if (a->role == ROLE_PF)
                                printf(" sriov_numvfs=%d/%d", a->numvfs, a->want_vfs);
                        if (a->n_vfs)
                                printf(" vf_settings_drift=%u", a->vf_drift);
                        if (a->group >= 0)
                                printf(" iommu_group=%d%s", a->group,
                                       a->viable == 0 ? " (not viable)" : a->viable == 1 ? " (viable)" : "");
                        const char *head = a->failed && a->refused ? "REFUSED: "
                                           : a->failed     ? "FAILED: "
                                           : a->deferred ? "DEFERRED: "
                                           : a->refused  ? "PROTECTED: "
                                           : a->changed  ? "DRIFT: apply would: "
                                                         : "ok";
                        printf(" %s%s\n", head,
                               a->failed || a->changed || a->refused || a->deferred ? a->message : "");
                        print_vfs(a);
                }
                gpu_status_print(e); /* issue 27: reset methods, boot framebuffers */
                print_next_boot(v.nr, "");
        }
        bool drift = v.drift;
        status_view_done(&v);
        return drift ? EXIT_DRIFT : EXIT_OK;
}

