/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>

#include "disk.h"
#include "engine.h"
#include "giveback.h"
#include "identity.h"
#include "iommu-predict.h"
#include "netguard.h"
#include "vfionode.h"
#include "log.h"
#include "module.h"
#include "netlink.h"
#include "paths.h"
#include "port.h"

/* The claim driver of a device (vfio-pci, pci-stub or a vfio-pci variant:
 * config_claim_driver) is both the name written to driver_override and the
 * module loaded for it: the kernel's variant drivers register their PCI
 * driver under their module name, and libkmod takes "vfio-pci" for vfio_pci. */

void engine_init(struct engine *e, const struct config *cfg, enum engine_mode mode) {
        *e = (struct engine) { .cfg = cfg, .mode = mode };
        /* none learnt, or unreadable: a PF then answers to the name it has now */
        if (config_has_port_selectors(cfg) && ports_open(&e->ports) < 0)
                e->ports = NULL;
}

void engine_done(struct engine *e) {
        for (size_t i = 0; i < e->n_steps; i++) {
                free(e->steps[i].path);
                free(e->steps[i].value);
        }
        free(e->steps);
        for (size_t i = 0; i < e->n_acc; i++) {
                for (size_t k = 0; k < e->acc[i]->n_results; k++) {
                        free(e->acc[i]->results[k].text);
                        free(e->acc[i]->results[k].reason);
                }
                free(e->acc[i]->results);
                free(e->acc[i]->message);
                free(e->acc[i]->vfs);
                strv_free(e->acc[i]->group_members);
                free(e->acc[i]);
        }
        free(e->acc);
        free(e->index);
        strv_free(e->registered);
        protect_free(e->prot);
        ports_free(e->ports);
        *e = (struct engine) {};
}

const char *role_to_string(enum role r) {
        return r == ROLE_PF ? "sriov-pf" : r == ROLE_VF ? "vf" : "vfio";
}

unsigned engine_failures(const struct engine *e) {
        unsigned n = 0;
        for (size_t i = 0; i < e->n_acc; i++)
                n += e->acc[i]->failed;
        return n;
}

unsigned engine_deferred(const struct engine *e) {
        unsigned n = 0;
        for (size_t i = 0; i < e->n_acc; i++)
                n += e->acc[i]->deferred;
        return n;
}

unsigned engine_identity_refusals(const struct engine *e) {
        unsigned n = 0;
        for (size_t i = 0; i < e->n_acc; i++)
                for (size_t k = 0; k < e->acc[i]->n_results; k++)
                        if (e->acc[i]->results[k].topic == TOPIC_IDENTITY &&
                            e->acc[i]->results[k].kind == RESULT_FAILED) {
                                n++;
                                break;
                        }
        return n;
}

static size_t hash(const char *s) {
        size_t h = 1469598103934665603u; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211u;
        return h;
}

static struct account **slot(struct engine *e, const char *name) {
        size_t i = hash(name) & (e->index_size - 1);
        while (e->index[i] && !streq(e->index[i]->name, name))
                i = (i + 1) & (e->index_size - 1);
        return &e->index[i];
}

static struct account *account_find(struct engine *e, const char *name) {
        return e->index_size ? *slot(e, name) : NULL;
}

struct account *engine_account(struct engine *e, const char *name) {
        return account_find(e, name);
}

static struct account *account_for(struct engine *e, const char *name, enum role role) {
        struct account *m = account_find(e, name);
        if (m)
                return m;
        if ((e->n_acc + 1) * 2 > e->index_size) { /* keep the table at most half full */
                size_t size = e->index_size ? e->index_size * 2 : 64;
                struct account **old = e->index;
                size_t old_size = e->index_size;
                e->index = calloc(size, sizeof(*e->index));
                if (!e->index) {
                        e->index = old;
                        return NULL;
                }
                e->index_size = size;
                for (size_t i = 0; i < old_size; i++)
                        if (old[i])
                                *slot(e, old[i]->name) = old[i];
                free(old);
        }
        struct account **l = realloc(e->acc, (e->n_acc + 1) * sizeof(*l));
        if (!l)
                return NULL;
        e->acc = l;
        m = malloc(sizeof(*m));
        if (!m)
                return NULL;
        e->acc[e->n_acc++] = m;
        *m = (struct account) { .role = role, .group = -1, .viable = -1, .numvfs = -1, .want_vfs = -1 };
        snprintf(m->name, sizeof(m->name), "%s", name);
        *slot(e, m->name) = m;
        return m;
}

static void account_fill(struct account *a, const struct pci_dev *d) {
        a->present = true;
        snprintf(a->driver, sizeof(a->driver), "%s", d->driver);
        snprintf(a->override, sizeof(a->override), "%s", d->override);
        a->group = d->group;
        if (d->has_sriov)
                a->numvfs = (int) d->numvfs;
}

const char *result_kind_to_string(enum result_kind k) {
        static const char *const names[] = {
                [RESULT_DONE] = "done",         [RESULT_INFO] = "info",           [RESULT_WARNING] = "warning",
                [RESULT_DEFERRED] = "deferred", [RESULT_PROTECTED] = "protected", [RESULT_FAILED] = "failed",
        };
        return names[k];
}

const char *result_topic_to_string(enum result_topic t) {
        static const char *const names[] = {
                [TOPIC_DEVICE] = "device",         [TOPIC_GUARD] = "guard", [TOPIC_GROUP] = "iommu_group",
                [TOPIC_CLAIM] = "claim",           [TOPIC_VFIO_NODE] = "vfio_node", [TOPIC_SRIOV] = "sriov",
                [TOPIC_VF_SETTINGS] = "vf_settings", [TOPIC_IDENTITY] = "identity",
                [TOPIC_GIVEBACK] = "giveback",
        };
        return names[t];
}

/* The results as one line: the failures if there are any (a failure is the
 * headline), else everything in the order it happened. */
static void render(struct account *a) {
        size_t n = 0;
        char *m, *p;

        for (size_t i = 0; i < a->n_results; i++)
                if (!a->failed || a->results[i].kind == RESULT_FAILED)
                        n += strlen(a->results[i].text) + 2;
        free(a->message);
        a->message = m = n ? malloc(n) : NULL;
        if (!m)
                return;
        p = m;
        for (size_t i = 0; i < a->n_results; i++)
                if (!a->failed || a->results[i].kind == RESULT_FAILED)
                        p = stpcpy(stpcpy(p, p == m ? "" : "; "), a->results[i].text);
}

/* Adds a result to the device's account (a may be NULL: nothing to say it
 * to). reason: the cause alone, or NULL. */
static void note(struct account *a, enum result_kind kind, enum result_topic topic, const char *reason,
                 const char *fmt, ...) _printf_(5, 6);
static void note(struct account *a, enum result_kind kind, enum result_topic topic, const char *reason,
                 const char *fmt, ...) {
        _cleanup_free_ char *text = NULL, *why = NULL;
        struct result *l;
        va_list ap;

        if (!a)
                return;
        /* the flags stand even when the words cannot be kept */
        a->failed = a->failed || kind == RESULT_FAILED;
        a->deferred = a->deferred || kind == RESULT_DEFERRED;
        a->refused = a->refused || (topic == TOPIC_GUARD && (kind == RESULT_FAILED || kind == RESULT_PROTECTED)) ||
                     (topic == TOPIC_IDENTITY && kind == RESULT_FAILED);
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        if (!text || (reason && !(why = strdup(reason))))
                return;
        l = realloc(a->results, (a->n_results + 1) * sizeof(*l));
        if (!l)
                return;
        a->results = l;
        l[a->n_results++] = (struct result) { kind, topic, TAKE_PTR(text), TAKE_PTR(why) };
        render(a);
}

static int record(struct engine *e, const char *path, const char *value, int result) {
        struct step *m = realloc(e->steps, (e->n_steps + 1) * sizeof(*m));
        if (!m)
                return -ENOMEM;
        e->steps = m;
        m[e->n_steps] = (struct step) { strdup(path ?: ""), strdup(value), result, false };
        if (!path) {
                free(m[e->n_steps].path);
                m[e->n_steps].path = NULL;
        }
        e->n_steps++;
        return 0;
}

static int write_attr(struct engine *e, const char *dev, const char *attr, const char *value) {
        char path[256];
        int r = 0;
        snprintf(path, sizeof(path), SYSFS_PCI_DEVICES "/%s/%s", dev, attr);
        if (e->mode == ENGINE_APPLY) {
                r = device_write(dev, attr, value);
                log_debug("%s: %s=%s: %s", dev, attr, value, r < 0 ? strerror(-r) : "ok");
        }
        record(e, path, value, r);
        return r;
}

static int unbind(struct engine *e, const char *dev, const char *driver) {
        char path[256];
        int r = 0;
        snprintf(path, sizeof(path), SYSFS_PCI_DRIVERS "/%s/unbind", driver);
        if (e->mode == ENGINE_APPLY)
                r = driver_unbind(driver, dev);
        record(e, path, dev, r);
        return r;
}

static int probe(struct engine *e, const char *dev) {
        int r = 0;
        if (e->mode == ENGINE_APPLY)
                r = driver_probe(dev);
        record(e, SYSFS_PCI_DRIVERS_PROBE, dev, r);
        return r;
}

/* Is the claim driver registered (or, in PLAN, going to be)? */
static bool driver_ready(struct engine *e, const char *drv) {
        if (strv_contains(e->registered, drv))
                return true;
        if (!driver_registered(drv))
                return false;
        (void) strv_extend(&e->registered, drv);
        return true;
}

/* 0: the driver is now registered and bound the overridden devices itself;
 * 1: it was there already (the caller probes); -errno */
static int load_driver(struct engine *e, const char *drv) {
        int r = 0;
        if (e->mode == ENGINE_APPLY) {
                r = module_load(drv);
                if (r >= 0 && !driver_registered(drv))
                        r = -ENOENT;
        }
        record(e, NULL, drv, r < 0 ? r : 0);
        if (r >= 0)
                (void) strv_extend(&e->registered, drv);
        return r;
}

static bool handled(struct engine *e, const char *name) {
        struct account *a = account_find(e, name);
        return a && a->handled;
}

/* only devices with an account are marked: every claim and PF has one */
static void mark_handled(struct engine *e, const char *name) {
        struct account *a = account_find(e, name);
        if (a)
                a->handled = true;
}

/* The device's own [sriov] rule, if any */
static const struct sriov_rule *rule_of(const struct engine *e, const struct pci_dev *d) {
        return sriov_rule_for(e->cfg, e->ports, d);
}

/* The PF's rule if dev is a VF (whether it wants its VFs claimed or not). */
static const struct sriov_rule *vf_rule(struct engine *e, const struct pci_dev *d) {
        struct pci_dev pf;
        const char *bad;
        if (!d->is_vf || !*d->physfn)
                return NULL;
        if (streq(d->physfn, e->rule_pf))
                return e->rule_pf_rule;
        if (device_read(d->physfn, &pf, &bad) < 0)
                return NULL;
        snprintf(e->rule_pf, sizeof(e->rule_pf), "%s", d->physfn);
        return e->rule_pf_rule = rule_of(e, &pf);
}

static bool wanted_for_vfio(struct engine *e, const struct pci_dev *d) {
        if (config_vfio_wants(e->cfg, &d->addr, &d->id))
                return true;
        const struct sriov_rule *r = vf_rule(e, d);
        return r && r->vf_driver == VF_DRIVER_VFIO;
}

/* The driver that claims a device the config wants */
static const char *claim_driver(struct engine *e, const struct pci_dev *d) {
        if (config_vfio_wants(e->cfg, &d->addr, &d->id))
                return e->cfg->vfio_driver;
        return config_claim_driver(e->cfg, &d->addr, &d->id, vf_rule(e, d));
}

/* An unbound device that a host driver module will bind as soon as it is
 * loaded (udev coldplug, right after the initramfs hook) does not leave its
 * group viable: at boot "unbound" mostly means "not yet". */
static int companion_will_bind(const struct pci_dev *c, char *host, size_t n) {
        char alias[256];
        if (*c->override) /* driver_override: only that driver may bind */
                return !driver_is_passthrough(c->override);
        if (device_modalias(c->name, alias, sizeof(alias)) < 0)
                return 0;
        return module_host_driver_for(alias, host, n);
}

static struct protect *protected_set(struct engine *e) {
        if (!e->prot && !e->prot_error)
                e->prot_error = protect_open(e->late, &e->prot);
        return e->prot;
}

/* Is the device listed by address ([vfio] devices), or is it a VF vfpt made
 * (its PF has an [sriov] rule)? Those are taken as listed; a device matched
 * only by an ID, a driver or its IOMMU group, a VF that something else made
 * (NetworkManager, a driver's max_vfs) included, is not taken when the host
 * might need it. */
static bool listed(struct engine *e, const struct pci_dev *d) {
        if (d->is_vf && vf_rule(e, d))
                return true;
        for (size_t i = 0; i < e->cfg->n_vfio_devices; i++)
                if (pci_addr_eq(&e->cfg->vfio_devices[i].addr, &d->addr))
                        return true;
        return false;
}

/* An address the config names ([vfio] devices or force, [sriov ADDR])
 * keeps its identity: the vendor:device the config pins there, and what
 * the protected set learnt there (vendor:device, class, serial). Another
 * device found there (a card added in front renumbers the buses: the root
 * disk may now sit where the GPU was) is refused, whatever [vfio] force
 * says. 1: refused (said), 0: go on. */
static int identity_refused(struct engine *e, const struct pci_dev *d, struct account *a) {
        char have[96], want[96], what[160];
        struct identity now, learnt;
        const char *origin;
        struct pin pin;

        if (d->is_vf || !config_names_address(e->cfg, &d->addr, &pin, &origin))
                return 0;
        identity_of_device(d, &now);
        identity_format(&now, have, sizeof(have));
        if (pin.set && !pci_id_eq(&pin.id, &d->id)) {
                note(a, RESULT_FAILED, TOPIC_IDENTITY, "another device than the config pins",
                     "identity mismatch: the config pins %04x:%04x here (%s), but %s is here; refusing it "
                     "([vfio] force does not override an identity)",
                     pin.id.vendor, pin.id.device, origin ?: "config", have);
                return 1;
        }
        struct protect *p = protected_set(e);
        size_t n = 0;
        const struct protect_entry *l = p ? protect_learnt_entries(p, &n) : NULL;
        for (size_t i = 0; l && i < n; i++) {
                if (!streq(l[i].name, d->name))
                        continue;
                identity_of_entry(&l[i], &learnt);
                if (identity_same(&learnt, &now))
                        return 0;
                identity_format(&learnt, want, sizeof(want));
                snprintf(what, sizeof(what), "the protected set learnt %s here", want);
                note(a, RESULT_FAILED, TOPIC_IDENTITY, what,
                     "identity mismatch: %s, but %s is here (renumbered?); refusing it ([vfio] force does not "
                     "override an identity; if the hardware changed on purpose, 'vfpt protected --save' learns it)",
                     what, have);
                return 1;
        }
        return 0;
}

/* The guards: never a device the host needs to boot and be reached (the
 * protected set), unless the config names it in [vfio] force. 1: refused
 * (a failure when the device is listed by address), 2: deferred, 0: go. */
static int guarded(struct engine *e, const struct pci_dev *d, struct account *a) {
        char why[512];
        struct protect *p = protected_set(e);
        enum protect_verdict v;

        if (identity_refused(e, d, a))
                return 1;
        if (!p) {
                note(a, RESULT_FAILED, TOPIC_GUARD, strerror(-e->prot_error),
                     "refusing to claim: cannot load the protected set: %s", strerror(-e->prot_error));
                return 1;
        }
        v = protect_check(p, d, why, sizeof(why));
        if (config_forced(e->cfg, &d->addr)) {
                if (v != PROTECT_NO)
                        note(a, RESULT_WARNING, TOPIC_GUARD, why, "forced: %s, claimed all the same ([vfio] force)",
                             why);
                return 0;
        }
        if (v == PROTECT_YES) {
                if (listed(e, d))
                        note(a, RESULT_FAILED, TOPIC_GUARD, why,
                             "refusing to claim: %s; list it in [vfio] force to override", why);
                else
                        note(a, RESULT_PROTECTED, TOPIC_GUARD, why,
                             "protected, not claimed: %s (matched by ID, not listed by address; [vfio] force takes "
                             "it)",
                             why);
                return 1;
        }
        if (v == PROTECT_UNKNOWN && !listed(e, d)) {
                note(a, RESULT_DEFERRED, TOPIC_GUARD, why,
                     "deferred: %s; claimed once the host is up (vfpt-late.service), or list it by address", why);
                return 2;
        }
        return 0;
}

/* APPLY: the device as sysfs has it after a bind; -errno said */
static int reread(const struct pci_dev *d, struct account *a, struct pci_dev *now) {
        const char *bad;
        int r = device_read(d->name, now, &bad);
        if (r == -EBADMSG)
                note(a, RESULT_FAILED, TOPIC_CLAIM, "unexpected content in sysfs",
                     "not claimed: cannot read its driver back: sysfs attribute %s has unexpected content", bad);
        else if (r < 0)
                note(a, RESULT_FAILED, TOPIC_CLAIM, strerror(-r), "not claimed: cannot read its driver back: %s",
                     strerror(-r));
        else if (a) {
                snprintf(a->driver, sizeof(a->driver), "%s", now->driver);
                snprintf(a->override, sizeof(a->override), "%s", now->override);
        }
        return r;
}

/* APPLY: the claim is what the device's driver link says after the probe
 * (now: the device read right after it), not the probe's success. A write
 * to drivers_probe succeeds whether or not a driver bound:
 * drivers_probe_store() (drivers/base/bus.c) returns the count when
 * bus_rescan_devices_helper() is 0, and that is device_attach()'s "no
 * driver took it" as much as "bound" (a failing probe included). It is
 * synchronous, so a read right after it is the answer: device_attach() is
 * __device_attach(dev, false), which probes in the writer's context
 * (drivers/base/dd.c: only the initial binding after a device or driver
 * registers may be asynchronous; "the rest is always synchronous, as we
 * expect it is being done by request from userspace"). Only a probe that
 * returns -EPROBE_DEFER binds later, from the deferred probe work;
 * vfio-pci and pci-stub never defer, and a bind later is no claim now.
 * 0 bound to drv, else -ENXIO with the reason said. */
static int judge_bind(const struct pci_dev *d, const struct pci_dev *now, struct account *a, const char *drv) {
        const char *ovr = *now->override ? now->override : "(null)";
        char left[128] = "";

        if (streq(now->driver, drv))
                return 0;
        if (*d->driver && !*now->driver) /* a late claim took it from its host driver */
                snprintf(left, sizeof(left), "; unbound from %s, it is left without a driver", d->driver);
        if (*now->driver)
                note(a, RESULT_FAILED, TOPIC_CLAIM, "bound to another driver",
                     "not claimed: bound to %s, not %s (driver_override=%s)", now->driver, drv, ovr);
        else if (!streq(now->override, drv))
                note(a, RESULT_FAILED, TOPIC_CLAIM, "driver_override changed meanwhile",
                     "not claimed: drivers_probe bound nothing (driver_override=%s, not %s: changed meanwhile)%s", ovr,
                     drv, left);
        else if (!driver_registered(drv))
                note(a, RESULT_FAILED, TOPIC_CLAIM, "the claim driver is not registered",
                     "not claimed: drivers_probe bound nothing (driver_override=%s; %s is not registered: its module "
                     "is not loaded)%s",
                     drv, drv, left);
        else
                note(a, RESULT_FAILED, TOPIC_CLAIM, "the claim driver did not take it",
                     "not claimed: drivers_probe bound nothing (driver_override=%s; %s did not take it: %ssee the "
                     "kernel log)%s",
                     drv, drv, driver_is_vfio(drv) ? "is the device in an IOMMU group? " : "", left);
        return -ENXIO;
}

/* Take one device for its claim driver drv: override, away from a host
 * driver (or another passthrough driver), bind, and read the driver back.
 * 0 claimed, 1 left alone on purpose (protected or deferred), -errno. */
static int claim_one(struct engine *e, const struct pci_dev *d, struct account *a, const char *drv) {
        struct pci_dev now;
        bool loaded = false;
        int r;

        mark_handled(e, d->name);
        if (streq(d->driver, drv))
                return 0;
        if (streq(d->name, e->rule_pf))
                e->rule_pf[0] = '\0';
        r = guarded(e, d, a);
        if (r == 1)
                return listed(e, d) ? -EBUSY : 1;
        if (r == 2)
                return 1;
        if (!streq(d->override, drv)) {
                r = write_attr(e, d->name, "driver_override", drv);
                if (r < 0) {
                        note(a, RESULT_FAILED, TOPIC_CLAIM, strerror(-r), "cannot write driver_override: %s",
                             strerror(-r));
                        return r;
                }
        }
        if (*d->driver) {
                /* driver_override decides only who binds next: take it from the host driver */
                r = unbind(e, d->name, d->driver);
                if (r < 0) {
                        note(a, RESULT_FAILED, TOPIC_CLAIM, strerror(-r), "late claim: cannot unbind from %s: %s",
                             d->driver, strerror(-r));
                        return r;
                }
                if (a)
                        a->late = true;
                note(a, RESULT_DONE, TOPIC_CLAIM, NULL, "late claim: was bound to %s, unbound", d->driver);
        }
        if (driver_ready(e, drv))
                r = probe(e, d->name);
        else {
                r = load_driver(e, drv);
                if (r == 1) /* already there after all */
                        r = probe(e, d->name);
                loaded = r == 0;
        }
        if (r >= 0 && e->mode == ENGINE_APPLY) {
                r = reread(d, a, &now);
                if (r < 0)
                        return r;
                if (loaded && !streq(now.driver, drv)) {
                        /* registering the driver binds the overridden device,
                         * unless the module probes asynchronously (async_probe=):
                         * drivers_probe, synchronous, settles it either way */
                        r = probe(e, d->name);
                        if (r >= 0 && (r = reread(d, a, &now)) < 0)
                                return r;
                }
        }
        if (r < 0) {
                note(a, RESULT_FAILED, TOPIC_CLAIM, strerror(-r), "cannot bind to %s: %s%s%s%s", drv, strerror(-r),
                     r == -ENOENT ? " (module " : "", r == -ENOENT ? drv : "", r == -ENOENT ? " not found)" : "");
                return r;
        }
        if (e->mode == ENGINE_APPLY && (r = judge_bind(d, &now, a, drv)) < 0)
                return r;
        note(a, RESULT_DONE, TOPIC_CLAIM, NULL, "claimed for %s", drv);
        if (a)
                a->changed = true;
        return 0;
}

/* [vfio] owner/group/mode on /dev/vfio/N; in PLAN mode only said */
static void node_perms(struct engine *e, int group, struct account *a) {
        const char *why;
        int r = vfio_node_apply(e->cfg, group, e->mode == ENGINE_PLAN, &why);
        if (r > 0) {
                note(a, RESULT_DONE, TOPIC_VFIO_NODE, NULL, DEV_VFIO "/%d: owner, group and mode set", group);
                if (a)
                        a->changed = true;
        } else if (r < 0)
                note(a, RESULT_FAILED, TOPIC_VFIO_NODE, why ?: strerror(-r), DEV_VFIO "/%d: %s", group,
                     why ?: strerror(-r));
}

/* how messages name a group: the kernel's, or the one predicted for the next boot */
#define GROUP_WORD(e) ((e)->predict ? "predicted IOMMU group" : "IOMMU group")

/* The rest of a device's IOMMU group, judged the same way for a device to
 * claim and for one claimed before (an earlier run, the initramfs). */
struct group_view {
        char **companions; /* claimed with it in this run: listed themselves, or iommu_group = group */
        char **offending;  /* keep the group from being viable: "0000:00:1f.3 (snd_hda_intel)" */
        bool blocked;      /* one of them is a device the host needs: the group cannot be made viable */
        bool deferred;     /* one of them may be: nothing of the group is claimed in this run */
        const char *unknown; /* predicted: why vfpt cannot tell whether the group holds more */
};

static void group_view_done(struct group_view *g) {
        strv_free(g->companions);
        strv_free(g->offending);
}

/* A member the config wants claimed with d: a companion, unless the host
 * needs it (refused on its own account: the group is blocked) or may need
 * it (deferred, on both accounts). 0 or -errno. */
static int group_companion(struct engine *e, const struct pci_dev *d, struct account *a, const struct pci_dev *c,
                           struct group_view *g) {
        char why[512];
        struct protect *p = protected_set(e);
        enum protect_verdict v = PROTECT_NO;
        struct account *ca;

        /* the group is judged whole before any of it is touched: a listed
         * companion the host needs blocks it too (strict, group); listed, a
         * companion the guards cannot tell about goes, as it would alone */
        if (!config_forced(e->cfg, &c->addr) && (!listed(e, c) || e->cfg->iommu_group != GROUP_WARN)) {
                v = p ? protect_check(p, c, why, sizeof(why)) : PROTECT_UNKNOWN;
                if (v == PROTECT_UNKNOWN && listed(e, c))
                        v = PROTECT_NO;
        }
        if (v == PROTECT_NO)
                return strv_extend(&g->companions, c->name);
        ca = account_for(e, c->name, ROLE_VFIO);
        if (!ca)
                return -ENOMEM;
        account_fill(ca, c);
        mark_handled(e, c->name);
        if (v == PROTECT_UNKNOWN) {
                g->deferred = true;
                note(ca, RESULT_DEFERRED, TOPIC_GUARD, p ? why : NULL, "deferred: %s",
                     p ? why : "cannot load the protected set");
                note(a, RESULT_DEFERRED, TOPIC_GROUP, p ? why : NULL, "deferred: %s %d also holds %s, and %s",
                     GROUP_WORD(e), d->group, c->name, p ? why : "the protected set cannot be loaded");
                return 0;
        }
        g->blocked = true;
        note(ca, RESULT_FAILED, TOPIC_GUARD, why, "refusing to claim: %s; it is in %s %d with %s", why,
             GROUP_WORD(e), d->group, d->name);
        return strv_push(&g->offending, strdupf("%s (the host needs it)", c->name));
}

/* Every other member of d's group: gone, a bridge, or on a passthrough
 * driver is not in the way; one the config wants is a companion
 * (group_companion); one on a host driver, or unbound but with a host
 * driver module that binds it when it loads, keeps the group from being
 * viable. 0 or -errno. */
static int group_viability(struct engine *e, const struct pci_dev *d, struct account *a, struct group_view *g) {
        _cleanup_strv_free_ char **members = NULL;
        int r;

        if (e->predict) {
                r = iommu_prediction_group(e->predict, d->name, &members, &g->unknown);
                for (char **m = members; r >= 0 && a && m && *m; m++)
                        if (!strv_contains(a->group_members, *m))
                                r = strv_extend(&a->group_members, *m);
        } else
                r = device_group_members(d->group, &members);
        if (r < 0)
                return r;
        for (char **m = members; *m && !g->deferred; m++) {
                struct pci_dev c;
                const char *bad;
                char host[65] = "";

                if (streq(*m, d->name) || device_read(*m, &c, &bad) < 0)
                        continue; /* itself, or gone */
                if (pci_dev_is_bridge(&c) || driver_is_passthrough(c.driver))
                        continue; /* vfio-pci, pci-stub, a variant: the host does not use it */
                if (wanted_for_vfio(e, &c) || e->cfg->iommu_group == GROUP_GROUP) {
                        r = group_companion(e, d, a, &c, g);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (*c.driver)
                        snprintf(host, sizeof(host), "%s", c.driver);
                else if (companion_will_bind(&c, host, sizeof(host)) <= 0)
                        continue; /* unbound, and no host driver will take it */
                r = strv_push(&g->offending,
                              strdupf("%s (%s%s)", c.name, host, *c.driver ? "" : ", binds when its module loads"));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The companions of d, claimed after it: their own claim driver if the
 * config lists them, else d's (iommu_group = group). */
static void claim_companions(struct engine *e, const struct pci_dev *d, const struct account *a, const char *drv,
                             char **companions) {
        for (char **m = companions; m && *m; m++) {
                struct pci_dev c;
                const char *bad;
                if (handled(e, *m) || device_read(*m, &c, &bad) < 0)
                        continue;
                struct account *ca = account_for(e, c.name, ROLE_VFIO);
                if (!ca)
                        continue;
                account_fill(ca, &c);
                ca->viable = a->viable;
                if (a->group_predicted) { /* the next boot: d's predicted group */
                        ca->group = a->group;
                        ca->group_predicted = true;
                        ca->group_unknown = a->group_unknown;
                        for (char **g = ca->group_members ? NULL : a->group_members; g && *g; g++)
                                (void) strv_extend(&ca->group_members, *g);
                }
                bool wanted = wanted_for_vfio(e, &c);
                if (!wanted)
                        note(ca, RESULT_INFO, TOPIC_GROUP, NULL, "in %s %d of %s (iommu_group = group)",
                             GROUP_WORD(e), d->group, d->name);
                claim_one(e, &c, ca, wanted ? claim_driver(e, &c) : drv);
        }
}

/* Claims a device, and the rest of its group as the config's IOMMU group
 * rule says; a device claimed before gets the same judgement of its group
 * (status shows its viability, apply claims its companions) and its node. */
static int claim(struct engine *e, const struct pci_dev *d, enum role role) {
        struct account *a = account_for(e, d->name, role);
        struct pci_dev predicted;
        const char *drv = claim_driver(e, d);
        _cleanup_(group_view_done) struct group_view g = {};
        _cleanup_free_ char *list = NULL;
        bool before;
        int r;

        if (!a)
                return -ENOMEM;
        if (e->no_iommu) { /* the next boot, without an IOMMU: no group, nothing bound yet */
                predicted = *d;
                predicted.group = -1;
                d = &predicted;
        } else if (d->group < 0 && e->predict) {
                /* the next boot: the group the kernel will form, as predicted */
                const char *why;
                predicted = *d;
                predicted.group = iommu_prediction_group(e->predict, d->name, NULL, &why);
                d = &predicted;
                a->group_predicted = true;
        }
        account_fill(a, d);
        if (handled(e, d->name))
                return 0;
        before = !e->no_iommu && streq(d->driver, drv) && streq(d->override, drv);
        if (!before && pci_dev_is_bridge(d)) {
                note(a, RESULT_FAILED, TOPIC_CLAIM, "a PCI bridge", "is a PCI bridge; %s does not take bridges", drv);
                return -EINVAL;
        }
        if (!before && d->group < 0 && e->no_iommu) {
                note(a, RESULT_FAILED, TOPIC_GROUP, "no IOMMU at the next boot",
                     "no IOMMU group at the next boot: it will have no IOMMU (%s); not claimed", e->no_iommu);
                return -ENODEV;
        }
        if (!before && d->group < 0) {
                note(a, RESULT_FAILED, TOPIC_GROUP, "no IOMMU group",
                     "no IOMMU group: the IOMMU is not active on this boot (kernel_args missing?); not claimed, it "
                     "would be left without a driver");
                return -ENODEV;
        }
        if (d->group >= 0) {
                r = group_viability(e, d, a, &g);
                if (r < 0) {
                        note(a, RESULT_FAILED, TOPIC_GROUP, strerror(-r), "cannot read IOMMU group %d: %s", d->group,
                             strerror(-r));
                        return r;
                }
                if (g.deferred) {
                        mark_handled(e, d->name);
                        return 0;
                }
                a->group_unknown = g.unknown;
                if (g.unknown && e->cfg->iommu_group == GROUP_STRICT && !before) {
                        /* cannot tell is never "alone" */
                        note(a, RESULT_FAILED, TOPIC_GROUP, g.unknown,
                             "cannot tell whether %s %d holds more than the devices seen (%s); not claimed "
                             "(iommu_group = strict)",
                             GROUP_WORD(e), d->group, g.unknown);
                        mark_handled(e, d->name);
                        return -EBUSY;
                }
                a->viable = !g.offending;
                list = strv_join(g.offending, ", ");
                if (!list)
                        return -ENOMEM;
        }
        if (g.offending && !before) {
                if (g.blocked) {
                        note(a, RESULT_FAILED, TOPIC_GROUP, list,
                             "%s %d cannot be claimed whole: %s; not claimed", GROUP_WORD(e), d->group, list);
                        mark_handled(e, d->name);
                        return -EBUSY;
                }
                if (e->cfg->iommu_group == GROUP_STRICT) {
                        note(a, RESULT_FAILED, TOPIC_GROUP, list,
                             "%s %d is not viable: %s %s on a host driver; not claimed (list them, or set "
                             "iommu_group = group)",
                             GROUP_WORD(e), d->group, list, strv_length(g.offending) > 1 ? "are" : "is");
                        return -EBUSY;
                }
        }
        if (g.offending) /* claimed before, or the policy claims it all the same */
                note(a, RESULT_WARNING, TOPIC_GROUP, list,
                     "warning: %s %d is not viable: %s still on a host driver; vfio cannot open it", GROUP_WORD(e), d->group,
                     list);
        if (before)
                mark_handled(e, d->name);
        else if ((r = claim_one(e, d, a, drv)) != 0)
                return r < 0 ? r : 0;
        if (driver_is_vfio(drv) && !e->predict) /* pci-stub gives no /dev/vfio node */
                node_perms(e, d->group, a);
        claim_companions(e, d, a, drv, g.companions);
        return 0;
}

/* ---- per-VF settings through rtnetlink (netlink.c) ---- */

static const unsigned vf_settings_order[] = {
        VF_SET_MAC, VF_SET_VLAN, VF_SET_SPOOFCHK, VF_SET_TRUST, VF_SET_LINK_STATE, VF_SET_RATE, VF_SET_QUERY_RSS,
};

static const char *vf_setting_name(unsigned bit) {
        switch (bit) {
        case VF_SET_MAC: return "mac";
        case VF_SET_VLAN: return "vlan";
        case VF_SET_SPOOFCHK: return "spoofchk";
        case VF_SET_TRUST: return "trust";
        case VF_SET_LINK_STATE: return "link_state";
        case VF_SET_RATE: return "tx_rate";
        case VF_SET_QUERY_RSS: return "query_rss";
        }
        return "?";
}

/* one setting as "ip link set DEV vf N ..." spells it */
static void vf_setting_format(unsigned bit, const struct vf_settings *v, char *buf, size_t n) {
        char m[MAC_MAX];
        switch (bit) {
        case VF_SET_MAC:
                snprintf(buf, n, "mac %s", mac_format(v->mac, m));
                break;
        case VF_SET_VLAN:
                snprintf(buf, n, "vlan %u qos %u proto %s", v->vlan, v->qos, vlan_proto_to_string(v->vlan_proto));
                break;
        case VF_SET_SPOOFCHK:
                snprintf(buf, n, "spoofchk %s", v->spoofchk ? "on" : "off");
                break;
        case VF_SET_TRUST:
                snprintf(buf, n, "trust %s", v->trust ? "on" : "off");
                break;
        case VF_SET_LINK_STATE:
                snprintf(buf, n, "state %s", vf_link_state_to_string(v->link_state));
                break;
        case VF_SET_RATE:
                snprintf(buf, n, "min_tx_rate %u max_tx_rate %u", v->min_tx_rate, v->max_tx_rate);
                break;
        case VF_SET_QUERY_RSS:
                snprintf(buf, n, "query_rss %s", v->query_rss ? "on" : "off");
                break;
        default:
                snprintf(buf, n, "?");
        }
}

/* The settings of want that have does not hold (or does not report). */
static unsigned vf_diff(const struct vf_settings *want, const struct vf_settings *have) {
        unsigned d = 0;
        for (size_t k = 0; k < ELEMENTSOF(vf_settings_order); k++) {
                unsigned b = vf_settings_order[k];
                if (!(want->set & b))
                        continue;
                if (!(have->set & b)) {
                        d |= b;
                        continue;
                }
                bool same;
                switch (b) {
                case VF_SET_MAC: same = memcmp(want->mac, have->mac, 6) == 0; break;
                case VF_SET_VLAN:
                        same = want->vlan == have->vlan && want->qos == have->qos &&
                               (want->vlan == 0 || want->vlan_proto == have->vlan_proto);
                        break;
                case VF_SET_SPOOFCHK: same = want->spoofchk == have->spoofchk; break;
                case VF_SET_TRUST: same = want->trust == have->trust; break;
                case VF_SET_LINK_STATE: same = want->link_state == have->link_state; break;
                case VF_SET_RATE:
                        same = want->min_tx_rate == have->min_tx_rate && want->max_tx_rate == have->max_tx_rate;
                        break;
                case VF_SET_QUERY_RSS: same = want->query_rss == have->query_rss; break;
                default: same = true;
                }
                if (!same)
                        d |= b;
        }
        return d;
}

static int record_netlink(struct engine *e, const char *pf, const char *dev, unsigned vf, unsigned bit,
                          const struct vf_settings *want, int result) {
        char v[96], line[160];
        vf_setting_format(bit, want, v, sizeof(v));
        snprintf(line, sizeof(line), "dev %s vf %u %s", dev, vf, v);
        int r = record(e, pf, line, result);
        if (r >= 0)
                e->steps[e->n_steps - 1].netlink = true;
        return r;
}

/* The config's VF settings on the PF's netdev: read them, set what
 * differs (one request a setting: a refusal leaves the rest applied), read
 * them back. In PLAN mode only the steps. VFs just planned (not created)
 * get every configured setting. */
static void vf_net(struct engine *e, const struct pci_dev *pf, const struct sriov_rule *rule, struct account *a,
                   bool created) {
        _cleanup_free_ struct vf_settings *have = NULL;
        size_t n_have = 0;
        unsigned n = rule->num_vfs, sent = 0, refused = 0;
        int ifindex, r;

        if (!config_sriov_has_vf_settings(rule) || n == 0 || !a)
                return;
        r = device_netdev_ports(pf->name, a->netdev, sizeof(a->netdev), &ifindex);
        if (r > 1)
                note(a, RESULT_INFO, TOPIC_VF_SETTINGS, NULL,
                     "VF settings through %s, the lowest dev_port of the function's %d ports", a->netdev, r);
        if (r < 0) {
                /* the netdev is registered in the PF driver's probe, before
                 * the bind event; its own add event comes back here */
                note(a, e->event ? RESULT_INFO : RESULT_FAILED, TOPIC_VF_SETTINGS, NULL, "VF settings: %s",
                     r == -ENOENT ? "no network interface (yet): they are set when "
                                    "it appears"
                                  : strerror(-r));
                return;
        }
        if (!(created && e->mode == ENGINE_PLAN)) {
                r = netlink_vf_get(ifindex, &have, &n_have);
                if (r < 0) {
                        note(a, RESULT_FAILED, TOPIC_VF_SETTINGS, strerror(-r), "%s: cannot read the VF settings: %s",
                             a->netdev, strerror(-r));
                        return;
                }
        }
        free(a->vfs);
        a->n_vfs = 0;
        a->vf_drift = 0;
        if (!(a->vfs = calloc(n, sizeof(*a->vfs))))
                return;
        a->n_vfs = n;
        for (unsigned i = 0; i < n; i++) {
                struct vf_net *v = &a->vfs[i];
                v->vf = i;
                config_vf_settings(rule, i, &v->want);
                if (i < n_have)
                        v->have = have[i];
                v->drift = vf_diff(&v->want, &v->have);
                for (size_t k = 0; k < ELEMENTSOF(vf_settings_order); k++) {
                        unsigned b = vf_settings_order[k];
                        if (!(v->drift & b))
                                continue;
                        a->vf_drift++;
                        r = 0;
                        if (e->mode == ENGINE_APPLY) {
                                r = i < n_have ? netlink_vf_set(ifindex, i, b, &v->want) : -ENODEV;
                                sent++;
                        }
                        /* a refusal is the step's result: the commands say each on its own line */
                        record_netlink(e, pf->name, a->netdev, i, b, &v->want, r);
                        if (r < 0) {
                                v->failed |= b;
                                refused++;
                        }
                }
        }
        if (e->mode == ENGINE_PLAN) {
                if (a->vf_drift) {
                        note(a, RESULT_DONE, TOPIC_VF_SETTINGS, NULL, "%u VF settings to set on %s", a->vf_drift,
                             a->netdev);
                        a->changed = true;
                }
                return;
        }
        if (sent > refused) {
                /* read back: a driver may take a value and keep another */
                free(have);
                have = NULL;
                r = netlink_vf_get(ifindex, &have, &n_have);
                if (r < 0) {
                        note(a, RESULT_FAILED, TOPIC_VF_SETTINGS, strerror(-r),
                             "%s: cannot read the VF settings back: %s", a->netdev, strerror(-r));
                        return;
                }
                for (unsigned i = 0; i < n && i < n_have; i++) {
                        struct vf_net *v = &a->vfs[i];
                        unsigned off = vf_diff(&v->want, &have[i]) & v->drift & ~v->failed;
                        v->have = have[i];
                        for (size_t k = 0; k < ELEMENTSOF(vf_settings_order); k++)
                                if (off & vf_settings_order[k]) {
                                        v->failed |= vf_settings_order[k];
                                        refused++;
                                        note(a, RESULT_FAILED, TOPIC_VF_SETTINGS, "does not read back as set",
                                             "VF %u: %s was accepted but does not read back as set", i,
                                             vf_setting_name(vf_settings_order[k]));
                                }
                }
        }
        if (sent > 0) {
                note(a, RESULT_DONE, TOPIC_VF_SETTINGS, NULL, "%u of %u VF settings set on %s", sent - refused, sent,
                     a->netdev);
                a->changed = sent > refused || a->changed;
        }
        if (refused)
                note(a, RESULT_FAILED, TOPIC_VF_SETTINGS, "the driver refused them",
                     "%u of %u VF settings could not be set on %s", refused, sent, a->netdev);
}

const char *step_netlink_setting(const struct step *s, unsigned *vf) {
        int k = 0;
        if (!s->netlink || sscanf(s->value, "dev %*s vf %u %n", vf, &k) != 1 || !k)
                return NULL;
        return s->value + k;
}

int engine_netdev(struct engine *e, const char *name) {
        struct pci_dev d;
        const char *bad;
        int r;

        e->event = true;
        r = device_read(name, &d, &bad);
        if (r < 0)
                return 0; /* not a PCI device vfpt could read: not ours */
        const struct sriov_rule *rule = rule_of(e, &d);
        /* VFs not there yet (or not as many): the PF's bind event makes them
         * and sets them */
        if (!rule || !d.has_sriov || !config_sriov_has_vf_settings(rule) || d.numvfs != rule->num_vfs ||
            d.numvfs == 0)
                return 0;
        struct account *a = account_for(e, d.name, ROLE_PF);
        if (!a)
                return -ENOMEM;
        account_fill(a, &d);
        a->want_vfs = (int) rule->num_vfs;
        vf_net(e, &d, rule, a, false);
        return 0;
}

bool engine_netdev_relevant(const struct config *cfg, const char *name) {
        struct pci_addr addr;
        const char *why;

        if (!name || pci_addr_parse(name, &addr, &why) < 0)
                return false;
        for (size_t i = 0; i < cfg->n_sriov; i++) {
                const struct sriov_rule *s = &cfg->sriov[i];
                if (!config_sriov_has_vf_settings(s))
                        continue;
                if (s->sel.kind != SELECTOR_ADDR || pci_addr_eq(&s->sel.addr, &addr))
                        return true; /* an ID or a driver: sysfs will tell */
        }
        return false;
}

/* A change of sriov_numvfs removes every VF (nonzero -> other goes through
 * 0): never one a guest holds (giveback.h). 0, or -EBUSY said. */
static int sriov_in_use(const struct pci_dev *pf, struct account *a, unsigned n) {
        char why[512];
        int r = giveback_vfs_held(pf, why, sizeof(why));
        if (r == 0)
                return 0;
        note(a, RESULT_FAILED, TOPIC_SRIOV, why, "refusing to change sriov_numvfs %u -> %u: %s", pf->numvfs, n, why);
        return -EBUSY;
}

static int sriov(struct engine *e, const struct pci_dev *pf, const struct sriov_rule *rule) {
        struct account *a = account_for(e, pf->name, ROLE_PF);
        unsigned n = rule->num_vfs;
        bool vfio = rule->vf_driver == VF_DRIVER_VFIO, created = false;
        char buf[16];
        int r;

        if (!a)
                return -ENOMEM;
        account_fill(a, pf);
        a->want_vfs = (int) n;
        a->rule = rule;
        mark_handled(e, pf->name);
        if (rule->sel.kind == SELECTOR_ADDR && identity_refused(e, pf, a))
                return -EPERM;
        if (!pf->has_sriov) {
                note(a, RESULT_FAILED, TOPIC_SRIOV, "no SR-IOV capability",
                     "has no SR-IOV capability (no sriov_totalvfs)");
                return -EOPNOTSUPP;
        }
        if (n > pf->totalvfs) {
                note(a, RESULT_FAILED, TOPIC_SRIOV, "more VFs than sriov_totalvfs",
                     "cannot set sriov_numvfs=%u: only %u VFs supported", n, pf->totalvfs);
                return -ERANGE;
        }
        if (pf->numvfs != n && pf->numvfs != 0 && !config_forced(e->cfg, &pf->addr)) {
                /* nonzero -> other goes through 0: every VF goes away, and
                 * on many NICs the PF's own link resets */
                char why[512];
                struct protect *p = protected_set(e);
                if (!p || protect_check(p, pf, why, sizeof(why)) != PROTECT_NO) {
                        note(a, selector_is_one(&rule->sel) ? RESULT_FAILED : RESULT_PROTECTED, TOPIC_GUARD,
                             p ? why : NULL,
                             "refusing to change sriov_numvfs %u -> %u: %s; list it in [vfio] force to override",
                             pf->numvfs, n, p ? why : "cannot load the protected set");
                        return -EBUSY;
                }
        }
        if (pf->numvfs != n && pf->numvfs != 0 && (r = sriov_in_use(pf, a, n)) < 0)
                return r;
        if (pf->numvfs != n) {
                if (!*pf->driver) {
                        note(a, e->early ? RESULT_INFO : RESULT_FAILED, TOPIC_SRIOV, "no driver bound",
                             "no driver bound: sriov_numvfs can be written only once the PF's driver "
                             "binds (its bind event will do it)");
                        return -EAGAIN;
                }
                if (n > 0 && pf->autoprobe >= 0 && pf->autoprobe != (vfio ? 0 : 1)) {
                        /* VFs for vfio-pci must never meet their host VF driver */
                        r = write_attr(e, pf->name, "sriov_drivers_autoprobe", vfio ? "0" : "1");
                        if (r < 0) {
                                note(a, RESULT_FAILED, TOPIC_SRIOV, strerror(-r),
                                     "cannot set sriov_drivers_autoprobe: %s", strerror(-r));
                                return r;
                        }
                }
                if (pf->numvfs != 0) {
                        /* the kernel refuses nonzero -> other nonzero with EBUSY */
                        r = write_attr(e, pf->name, "sriov_numvfs", "0");
                        if (r < 0) {
                                note(a, RESULT_FAILED, TOPIC_SRIOV, strerror(-r),
                                     "cannot set sriov_numvfs=0 (to change from %u): %s", pf->numvfs, strerror(-r));
                                return r;
                        }
                }
                if (n > 0) {
                        snprintf(buf, sizeof(buf), "%u", n);
                        r = write_attr(e, pf->name, "sriov_numvfs", buf);
                        if (r < 0) {
                                note(a, RESULT_FAILED, TOPIC_SRIOV, strerror(-r), "cannot set sriov_numvfs=%u: %s", n,
                                     strerror(-r));
                                return r;
                        }
                }
                note(a, RESULT_DONE, TOPIC_SRIOV, NULL, "sriov_numvfs %u -> %u", pf->numvfs, n);
                a->changed = true;
                created = true;
        }
        /* per-VF settings (MAC, VLAN, spoofchk...) on the PF's netdev: vf_net() */
        vf_net(e, pf, rule, a, created);
        if (!vfio)
                return 0;

        int failed = 0;
        for (unsigned i = 0; i < n; i++) {
                char vf[PCI_ADDR_MAX];
                struct pci_dev d;
                const char *bad;

                if (created && e->mode == ENGINE_PLAN) {
                        /* the VFs do not exist yet: where the kernel will put them */
                        struct pci_addr va;
                        if (pci_addr_add_rid(&pf->addr, pf->offset + i * pf->stride, &va) < 0)
                                break;
                        pci_addr_format(&va, vf);
                        struct account *va_acc = account_for(e, vf, ROLE_VF);
                        d = (struct pci_dev) { .group = -1, .is_vf = true, .addr = va };
                        snprintf(d.name, sizeof(d.name), "%s", vf);
                        snprintf(d.physfn, sizeof(d.physfn), "%s", pf->name);
                        if (va_acc)
                                va_acc->present = false;
                        claim_one(e, &d, va_acc, config_claim_driver(e->cfg, &d.addr, NULL, rule));
                        continue;
                }
                r = device_virtfn(pf->name, i, vf);
                if (r >= 0)
                        r = device_read(vf, &d, &bad);
                if (r < 0) {
                        note(a, RESULT_FAILED, TOPIC_SRIOV, r == -EBADMSG ? "garbage in sysfs" : strerror(-r),
                             "VF %u: cannot read it: %s", i, r == -EBADMSG ? "garbage in sysfs" : strerror(-r));
                        failed++;
                        continue;
                }
                if (claim(e, &d, ROLE_VF) < 0)
                        failed++;
        }
        if (failed)
                note(a, RESULT_FAILED, TOPIC_SRIOV, NULL, "%d of %u VFs could not be claimed for %s", failed, n,
                     config_vf_driver_name(rule));
        else if (n && !a->changed)
                note(a, RESULT_INFO, TOPIC_SRIOV, NULL, "%u VFs on %s", n, config_vf_driver_name(rule));
        return failed ? -EIO : 0;
}

static void read_failed(struct engine *e, const char *name, int r, const char *bad) {
        struct account *a = account_for(e, name, ROLE_VFIO);
        if (r == -ENODEV || r == -ENOENT)
                note(a, RESULT_INFO, TOPIC_DEVICE, NULL, "vanished while being looked at");
        else if (r == -EBADMSG)
                note(a, RESULT_FAILED, TOPIC_DEVICE, "unexpected content in sysfs",
                     "sysfs attribute %s has unexpected content", bad);
        else
                note(a, RESULT_FAILED, TOPIC_DEVICE, strerror(-r), "cannot read: %s", strerror(-r));
}

/* vfpt.conf(5): a device listed in [vfio] and selected as an SR-IOV PF is
 * an error. The config alone catches an address or an ID in both
 * (config_load); here an [sriov] rule by ID, driver= or port and [vfio]
 * devices by address (or [vfio] ids and a rule by address) meet on one
 * device. It is failed on every path (plan, apply, the udev events): not
 * claimed by the add event at boot and given VFs by apply on the up host.
 * True when it is (its account says why). */
static bool vfio_and_pf(struct engine *e, const struct pci_dev *d) {
        const struct config *c = e->cfg;
        const struct sriov_rule *rule = d->is_vf ? NULL : rule_of(e, d);
        const char *where = NULL, *how = NULL;
        char sel[SELECTOR_MAX];

        if (!rule || !(d->has_sriov || selector_is_one(&rule->sel)))
                return false;
        for (size_t k = 0; k < c->n_vfio_devices && !where; k++)
                if (pci_addr_eq(&c->vfio_devices[k].addr, &d->addr)) {
                        where = c->vfio_devices[k].origin;
                        how = "devices";
                }
        for (size_t k = 0; k < c->n_vfio_ids && !where; k++)
                if (pci_id_eq(&c->vfio_ids[k].id, &d->id)) {
                        where = c->vfio_ids[k].origin;
                        how = "ids";
                }
        if (!where)
                return false;
        struct account *a = account_for(e, d->name, ROLE_PF);
        if (a) {
                account_fill(a, d);
                a->rule = rule;
                a->want_vfs = (int) rule->num_vfs;
        }
        mark_handled(e, d->name);
        note(a, RESULT_FAILED, TOPIC_SRIOV, "listed in [vfio] and selected as an SR-IOV PF",
             "listed in [vfio] %s at %s, and [sriov %s] at %s selects it as an SR-IOV PF: vfpt.conf(5) forbids "
             "both; neither claimed nor its VFs changed (drop one, or select the PFs by address)",
             how, where, selector_format(&rule->sel, sel, sizeof(sel)), rule->origin);
        return true;
}

/* Everything the config wants for one present device. */
static void device(struct engine *e, const char *name) {
        struct pci_dev d;
        const char *bad;
        int r;

        if (handled(e, name))
                return;
        r = device_read(name, &d, &bad);
        if (r < 0) {
                /* only devices the config might concern get an account */
                if (r == -EBADMSG)
                        read_failed(e, name, r, bad);
                return;
        }
        if (vfio_and_pf(e, &d))
                return;
        const struct sriov_rule *rule = rule_of(e, &d);
        if (rule && (d.has_sriov || selector_is_one(&rule->sel)) && !driver_is_passthrough(d.driver)) {
                sriov(e, &d, rule);
                return;
        }
        if (wanted_for_vfio(e, &d))
                claim(e, &d, d.is_vf ? ROLE_VF : ROLE_VFIO);
}

int engine_all(struct engine *e) {
        _cleanup_strv_free_ char **names = NULL;
        char a[PCI_ADDR_MAX];
        int r;

        r = device_enumerate(&names);
        if (r < 0)
                return r;
        for (char **n = names; *n; n++)
                device(e, *n);
        /* what the config names by address but this machine does not have */
        for (size_t i = 0; i < e->cfg->n_vfio_devices; i++) {
                pci_addr_format(&e->cfg->vfio_devices[i].addr, a);
                if (!strv_contains(names, a))
                        note(account_for(e, a, ROLE_VFIO), RESULT_INFO, TOPIC_DEVICE, NULL,
                             "not present on this machine");
        }
        for (size_t i = 0; i < e->cfg->n_sriov; i++)
                if (e->cfg->sriov[i].sel.kind == SELECTOR_ADDR) {
                        pci_addr_format(&e->cfg->sriov[i].sel.addr, a);
                        if (!strv_contains(names, a)) {
                                struct account *acc = account_for(e, a, ROLE_PF);
                                if (acc)
                                        acc->want_vfs = (int) e->cfg->sriov[i].num_vfs;
                                note(acc, RESULT_INFO, TOPIC_DEVICE, NULL, "not present on this machine");
                        }
                }
        /* ports the config names by MAC or interface name that no PF has */
        for (size_t i = 0; i < e->cfg->n_sriov; i++) {
                const struct sriov_rule *rule = &e->cfg->sriov[i];
                bool seen = false;
                if (rule->sel.kind != SELECTOR_MAC && rule->sel.kind != SELECTOR_IFNAME)
                        continue;
                for (size_t k = 0; k < e->n_acc && !seen; k++)
                        seen = e->acc[k]->rule == rule;
                if (!seen) {
                        char sel[SELECTOR_MAX];
                        struct account *acc = account_for(e, selector_format(&rule->sel, sel, sizeof(sel)), ROLE_PF);
                        if (acc)
                                acc->want_vfs = (int) rule->num_vfs;
                        if (e->early) /* no driver has bound yet: no interface to know the port by */
                                note(acc, RESULT_INFO, TOPIC_DEVICE, NULL,
                                     "pending: found by its interface when its PF's driver binds");
                        else
                                note(acc, RESULT_INFO, TOPIC_DEVICE, NULL, "not present on this machine%s",
                                     rule->sel.kind == SELECTOR_IFNAME
                                             ? " (no interface has the name now, and none was "
                                               "learnt for a port here)"
                                             : " (no PF's interface has that permanent MAC)");
                }
        }
        return 0;
}

bool engine_uevent_relevant(const struct config *cfg, const char *action, const char *name,
                            const char *pci_id, const char *driver) {
        struct pci_addr addr;
        struct pci_id id = {};
        const char *why;
        bool have_id = false;

        if (!name || pci_addr_parse(name, &addr, &why) < 0)
                return false;
        if (pci_id) { /* PCI_ID=8086:1521, upper case */
                char lower[16];
                snprintf(lower, sizeof(lower), "%s", pci_id);
                for (char *p = lower; *p; p++)
                        *p = (char) (*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
                have_id = pci_id_parse(lower, &id, &why) == 0;
        }
        if (streq(action, "bind")) {
                if (driver && driver_is_passthrough(driver))
                        return false; /* a claim's own bind */
                /* a PF selected by its port: sysfs will tell */
                return config_sriov_for(cfg, &addr, have_id ? &id : NULL, driver, NULL) ||
                       config_has_port_selectors(cfg) ||
                       config_vfio_wants(cfg, &addr, have_id ? &id : NULL) || !have_id;
        }
        if (streq(action, "add")) {
                if (!have_id || config_vfio_wants(cfg, &addr, &id))
                        return true;
                /* a VF of a PF whose VFs go to vfio-pci: the safety net. One
                 * access() tells a VF from the many devices that are not. */
                for (size_t i = 0; i < cfg->n_sriov; i++)
                        if (cfg->sriov[i].vf_driver == VF_DRIVER_VFIO)
                                return device_is_vf(name);
        }
        return false;
}

int engine_vfio_node(struct engine *e, int group) {
        _cleanup_strv_free_ char **members = NULL;
        if (device_group_members(group, &members) < 0)
                return 0;
        for (char **m = members; *m; m++) {
                struct pci_dev d;
                const char *bad;
                if (device_read(*m, &d, &bad) == 0 && wanted_for_vfio(e, &d) && driver_is_vfio(claim_driver(e, &d))) {
                        node_perms(e, group, account_for(e, d.name, d.is_vf ? ROLE_VF : ROLE_VFIO));
                        break;
                }
        }
        return 0;
}

int engine_uevent(struct engine *e, const char *action, const char *name, const char *driver) {
        struct pci_dev d;
        const char *bad;
        int r;

        e->event = true;
        r = device_read(name, &d, &bad);
        if (r < 0) {
                read_failed(e, name, r, bad);
                return 0;
        }
        if ((streq(action, "bind") || streq(action, "add")) && vfio_and_pf(e, &d))
                return 0;
        if (streq(action, "bind")) {
                /* the driver now bound, as sysfs says; the event's DRIVER may be stale */
                (void) driver;
                const struct sriov_rule *rule = rule_of(e, &d);
                if (rule && d.has_sriov && *d.driver && !driver_is_passthrough(d.driver))
                        sriov(e, &d, rule);
                else if (wanted_for_vfio(e, &d) && !streq(d.driver, claim_driver(e, &d)))
                        claim(e, &d, d.is_vf ? ROLE_VF : ROLE_VFIO);
        } else if (streq(action, "add")) {
                if (wanted_for_vfio(e, &d))
                        claim(e, &d, d.is_vf ? ROLE_VF : ROLE_VFIO);
        }
        return 0;
}

/* ---- for giveback.c ---- */

struct account *engine_account_add(struct engine *e, const char *name, enum role role, const struct pci_dev *d) {
        struct account *a = account_for(e, name, role);
        if (a && d)
                account_fill(a, d);
        return a;
}

void engine_note(struct account *a, enum result_kind kind, enum result_topic topic, const char *reason,
                 const char *text) {
        note(a, kind, topic, reason, "%s", text);
}

int engine_write(struct engine *e, const char *dev, const char *attr, const char *value) {
        return write_attr(e, dev, attr, value);
}

int engine_unbind(struct engine *e, const char *dev, const char *driver) {
        return unbind(e, dev, driver);
}

int engine_probe(struct engine *e, const char *dev) {
        return probe(e, dev);
}

int engine_load(struct engine *e, const char *driver) {
        if (driver_ready(e, driver))
                return 0;
        int r = load_driver(e, driver);
        return r < 0 ? r : 0;
}
