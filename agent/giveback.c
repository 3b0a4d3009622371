/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "giveback.h"
#include "module.h"
#include "netguard.h"
#include "paths.h"

/* ---- who uses a device ---- */

/* A /dev node to look for in every process's descriptors, and the device it stands for */
struct target {
        char node[96];
        char dev[PCI_ADDR_MAX];
};

/* The device's iommufd character device, /dev/vfio/devices/vfioN (its
 * vfio-dev/ directory in sysfs), "" if it has none. */
static void cdev_node(const char *dev, char *buf, size_t n) {
        char dir[256];
        struct dirent *de;
        buf[0] = '\0';
        snprintf(dir, sizeof(dir), SYSFS_PCI_DEVICES "/%s/vfio-dev", dev);
        DIR *d = opendir(dir);
        if (!d)
                return;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, "vfio", 4) == 0 && de->d_name[4]) {
                        snprintf(buf, n, DEV_VFIO "/devices/%.32s", de->d_name);
                        break;
                }
        closedir(d);
}

/* The targets of a device on a vfio driver: its group node and its cdev */
static int add_targets(const struct pci_dev *d, struct target **t, size_t *n) {
        char cdev[96];
        cdev_node(d->name, cdev, sizeof(cdev));
        for (int k = 0; k < 2; k++) {
                if (k == 0 && d->group < 0)
                        continue;
                if (k == 1 && !*cdev)
                        continue;
                struct target *m = realloc(*t, (*n + 1) * sizeof(**t));
                if (!m)
                        return -ENOMEM;
                *t = m;
                if (k == 0)
                        snprintf(m[*n].node, sizeof(m[*n].node), DEV_VFIO "/%d", d->group);
                else
                        snprintf(m[*n].node, sizeof(m[*n].node), "%s", cdev);
                snprintf(m[*n].dev, sizeof(m[*n].dev), "%s", d->name);
                (*n)++;
        }
        return 0;
}

/* One pass over /proc/PID/fd: the first process holding a target open.
 * 1 with "/dev/vfio/12 is open by pid 4242 (qemu-system-x86)" in why and
 * the target's device in *dev, 0 none, -errno when /proc cannot be read
 * (a process whose descriptors cannot be listed is "cannot tell"). */
static int holder(const struct target *t, size_t n, const char **dev, char *why, size_t wn) {
        struct dirent *de;
        int r = 0;

        if (n == 0)
                return 0;
        DIR *d = opendir(PROC_DIR);
        if (!d) {
                snprintf(why, wn, "cannot list " PROC_DIR ": %s", strerror(errno));
                return -errno;
        }
        while (r == 0 && (de = readdir(d))) {
                char fddir[300];
                unsigned pid;
                struct dirent *fe;
                if (parse_decimal(de->d_name, &pid) < 0)
                        continue;
                snprintf(fddir, sizeof(fddir), PROC_DIR "%u/fd", pid);
                DIR *f = opendir(fddir);
                if (!f) {
                        if (errno == ENOENT || errno == ESRCH)
                                continue; /* gone meanwhile */
                        r = -errno;
                        snprintf(why, wn, "cannot list %s: %s", fddir, strerror(errno));
                        break;
                }
                while (r == 0 && (fe = readdir(f))) {
                        char dest[256];
                        if (fe->d_name[0] == '.')
                                continue;
                        /* at the directory's descriptor: the link's target need not exist */
                        ssize_t k = readlinkat(dirfd(f), fe->d_name, dest, sizeof(dest) - 1);
                        if (k <= 0)
                                continue;
                        dest[k] = '\0';
                        for (size_t i = 0; i < n && r == 0; i++)
                                if (streq(dest, t[i].node)) {
                                        _cleanup_free_ char *comm = NULL, *cp = strdupf(PROC_DIR "%u/comm", pid);
                                        if (!cp || read_one_line(cp, &comm) < 0)
                                                comm = NULL;
                                        snprintf(why, wn, "%s is open by pid %u (%s)", t[i].node, pid,
                                                 comm ? comm : "?");
                                        *dev = t[i].dev;
                                        r = 1;
                                }
                }
                closedir(f);
        }
        closedir(d);
        return r;
}

/* A device on a host driver whose interface is up with an address: 1 with
 * why, 0, -errno */
static int net_held(const struct pci_dev *d, char *why, size_t n) {
        char ifname[64];
        int ifindex;
        if (!*d->driver || driver_is_passthrough(d->driver) || device_netdev(d->name, ifname, sizeof(ifname), &ifindex) < 0)
                return 0;
        int r = net_up_with_address(d->name);
        if (r > 0)
                snprintf(why, n, "its interface %s is up with an address", ifname);
        else if (r < 0)
                snprintf(why, n, "cannot tell whether its interface %s is in use: %s", ifname, strerror(-r));
        return r;
}

int giveback_vfs_held(const struct pci_dev *pf, char *why, size_t n) {
        _cleanup_free_ struct target *t = NULL;
        size_t nt = 0;
        const char *dev = NULL;
        char w[400];
        int r;

        for (unsigned i = 0; i < pf->numvfs; i++) {
                char vf[PCI_ADDR_MAX];
                struct pci_dev d;
                const char *bad;
                if (device_virtfn(pf->name, i, vf) < 0 || device_read(vf, &d, &bad) < 0)
                        continue; /* not there: nothing uses it */
                if (driver_is_passthrough(d.driver)) {
                        if ((r = add_targets(&d, &t, &nt)) < 0)
                                return r;
                } else if ((r = net_held(&d, w, sizeof(w))) != 0) {
                        snprintf(why, n, "VF %s: %s", vf, w);
                        return r;
                }
        }
        r = holder(t, nt, &dev, w, sizeof(w));
        if (r > 0)
                snprintf(why, n, "VF %s: %s", dev, w);
        else if (r < 0)
                snprintf(why, n, "cannot tell whether its VFs are in use: %s", w);
        return r;
}

/* ---- giving back ---- */

struct run {
        struct engine *e;
        struct undo_record *rec;
        size_t configured; /* the accounts the engine made: the devices the config concerns */
        char **gone;       /* PFs whose VFs go in this run: their VFs' claims go with them */
        char **kept;       /* PFs whose VFs stay: their VFs' claims stay too */
};

/* Did the engine's run concern the device (the config names it, or takes it
 * with a device it names)? */
static bool configured(const struct run *g, const char *name) {
        struct account *a = engine_account(g->e, name);
        for (size_t i = 0; a && i < g->configured; i++)
                if (g->e->acc[i] == a)
                        return true;
        return false;
}

static void say(struct account *a, enum result_kind kind, const char *reason, const char *fmt, ...) _printf_(4, 5);
static void say(struct account *a, enum result_kind kind, const char *reason, const char *fmt, ...) {
        _cleanup_free_ char *text = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        if (text)
                engine_note(a, kind, TOPIC_GIVEBACK, reason, text);
}

static void give_back_vfs(struct run *g, const struct undo_vfs *v) {
        struct engine *e = g->e;
        char pfname[PCI_ADDR_MAX], why[512];
        struct pci_dev pf;
        const char *bad;
        struct account *a;
        int r;

        snprintf(pfname, sizeof(pfname), "%s", v->pf);
        if (configured(g, pfname))
                return; /* its [sriov] rule set its count in this run */
        r = device_read(pfname, &pf, &bad);
        if (r == -ENODEV || r == -ENOENT) {
                undo_record_drop_vfs(g->rec, pfname);
                return;
        }
        a = engine_account_add(e, pfname, ROLE_PF, r < 0 ? NULL : &pf);
        if (r < 0) {
                say(a, RESULT_FAILED, r == -EBADMSG ? bad : strerror(-r),
                    "not given back: cannot read it (%s); its VFs stay", r == -EBADMSG ? bad : strerror(-r));
                (void) strv_extend(&g->kept, pfname);
                return;
        }
        if (!pci_id_eq(&pf.id, &v->id)) {
                say(a, RESULT_WARNING, "another device at this address",
                    "left alone: it is %04x:%04x now, not the %04x:%04x vfpt created VFs on (%s): cannot tell what "
                    "to give back",
                    pf.id.vendor, pf.id.device, v->id.vendor, v->id.device, undo_record_path());
                (void) strv_extend(&g->kept, pfname);
                return;
        }
        if (pf.numvfs == 0) { /* removed meanwhile: nothing left to give back */
                undo_record_drop_vfs(g->rec, pfname);
                return;
        }
        a->want_vfs = 0;
        if (pf.numvfs != v->numvfs) {
                say(a, RESULT_INFO, NULL, "left alone: sriov_numvfs is %u, not the %u vfpt set: changed by another tool",
                    pf.numvfs, v->numvfs);
                undo_record_drop_vfs(g->rec, pfname);
                (void) strv_extend(&g->kept, pfname);
                return;
        }
        r = giveback_vfs_held(&pf, why, sizeof(why));
        if (r != 0) {
                say(a, RESULT_FAILED, why, "not given back: %s; its %u VFs stay (no longer configured)", why,
                    pf.numvfs);
                (void) strv_extend(&g->kept, pfname);
                return;
        }
        r = engine_write(e, pfname, "sriov_numvfs", "0");
        if (r < 0) {
                say(a, RESULT_FAILED, strerror(-r), "not given back: cannot set sriov_numvfs=0: %s", strerror(-r));
                (void) strv_extend(&g->kept, pfname);
                return;
        }
        bool ap = v->autoprobe >= 0 && pf.autoprobe >= 0 && pf.autoprobe != v->autoprobe;
        if (ap && (r = engine_write(e, pfname, "sriov_drivers_autoprobe", v->autoprobe ? "1" : "0")) < 0)
                say(a, RESULT_WARNING, strerror(-r), "cannot set sriov_drivers_autoprobe back to %d: %s", v->autoprobe,
                    strerror(-r));
        say(a, RESULT_DONE, NULL, "given back (no longer configured): sriov_numvfs %u -> 0%s", pf.numvfs,
            ap ? (v->autoprobe ? ", sriov_drivers_autoprobe back to 1" : ", sriov_drivers_autoprobe back to 0") : "");
        a->changed = true;
        (void) strv_extend(&g->gone, pfname);
        undo_record_drop_vfs(g->rec, pfname);
}

/* Another member of the group that the config keeps on a claim driver:
 * a host driver on this one would leave the group not viable. 1 with its
 * name, 0, -errno */
static int group_wanted(const struct run *g, const struct pci_dev *d, char *who, size_t n) {
        _cleanup_strv_free_ char **members = NULL;
        if (d->group < 0)
                return 0;
        int r = device_group_members(d->group, &members);
        if (r < 0)
                return r;
        for (char **m = members; *m; m++)
                if (!streq(*m, d->name) && configured(g, *m)) {
                        snprintf(who, n, "%s", *m);
                        return 1;
                }
        return 0;
}

static void give_back_claim(struct run *g, const struct undo_claim *c) {
        struct engine *e = g->e;
        char dev[PCI_ADDR_MAX], why[512], host[UNDO_DRIVER_MAX] = "", steps[256] = "";
        struct pci_dev d, now;
        const char *bad;
        struct account *a;
        int r;

        snprintf(dev, sizeof(dev), "%s", c->dev);
        if (configured(g, dev))
                return;
        r = device_read(dev, &d, &bad);
        if (r == -ENODEV || r == -ENOENT) {
                undo_record_drop_claim(g->rec, dev);
                return;
        }
        if (r == 0 && d.is_vf && strv_contains(g->gone, d.physfn)) {
                undo_record_drop_claim(g->rec, dev); /* goes with its PF's VFs */
                return;
        }
        if (r == 0 && d.is_vf && strv_contains(g->kept, d.physfn))
                return; /* stays with them */
        a = engine_account_add(e, dev, r == 0 && d.is_vf ? ROLE_VF : ROLE_VFIO, r < 0 ? NULL : &d);
        if (r < 0) {
                say(a, RESULT_FAILED, r == -EBADMSG ? bad : strerror(-r), "not given back: cannot read it (%s)",
                    r == -EBADMSG ? bad : strerror(-r));
                return;
        }
        if (!pci_id_eq(&d.id, &c->id)) {
                say(a, RESULT_WARNING, "another device at this address",
                    "left alone: it is %04x:%04x now, not the %04x:%04x vfpt took (%s): cannot tell what to give back",
                    d.id.vendor, d.id.device, c->id.vendor, c->id.device, undo_record_path());
                return;
        }
        if (!streq(d.override, c->override)) {
                say(a, RESULT_INFO, NULL, "left alone: driver_override is %s now, not the %s vfpt wrote: changed by "
                    "another tool", *d.override ? d.override : "(null)", c->override);
                undo_record_drop_claim(g->rec, dev);
                return;
        }
        /* in use: a guest holds its group (or its cdev) open */
        if (driver_is_passthrough(d.driver)) {
                _cleanup_free_ struct target *t = NULL;
                size_t nt = 0;
                const char *held = NULL;
                r = add_targets(&d, &t, &nt);
                if (r >= 0)
                        r = holder(t, nt, &held, why, sizeof(why));
                if (r != 0) {
                        say(a, RESULT_FAILED, r > 0 ? why : strerror(-r), "not given back: %s%s; stays on %s",
                            r > 0 ? "" : "cannot tell whether it is in use: ", r > 0 || r != -ENOMEM ? why : strerror(-r),
                            d.driver);
                        return;
                }
        }
        r = group_wanted(g, &d, why, sizeof(why));
        if (r > 0 && g->e->cfg && g->e->cfg->iommu_group == GROUP_GROUP)
                return; /* iommu_group = group: a companion of what the config keeps, so kept with it */
        if (r != 0) {
                if (r > 0)
                        say(a, RESULT_FAILED, "its IOMMU group is still claimed",
                            "not given back: IOMMU group %d also holds %s, which the config keeps: a host driver here "
                            "would leave the group not viable; stays on %s",
                            d.group, why, *d.driver ? d.driver : "no driver");
                else
                        say(a, RESULT_FAILED, strerror(-r), "not given back: cannot read IOMMU group %d: %s", d.group,
                            strerror(-r));
                return;
        }
        /* the host driver to bind: the one it was taken from, else the one its modalias names */
        if (*c->from && !driver_is_passthrough(c->from))
                snprintf(host, sizeof(host), "%s", c->from);
        else {
                char alias[256];
                if (device_modalias(dev, alias, sizeof(alias)) >= 0 && module_host_driver_for(alias, host, sizeof(host)) <= 0)
                        host[0] = '\0';
        }
        r = engine_write(e, dev, "driver_override", "\n");
        if (r < 0) {
                say(a, RESULT_FAILED, strerror(-r), "not given back: cannot clear driver_override: %s", strerror(-r));
                return;
        }
        undo_record_drop_claim(g->rec, dev); /* the override is no longer vfpt's */
        a->changed = true;
        if (*d.driver) {
                r = engine_unbind(e, dev, d.driver);
                if (r < 0) {
                        say(a, RESULT_FAILED, strerror(-r),
                            "given back in part: driver_override cleared, but cannot unbind from %s: %s", d.driver,
                            strerror(-r));
                        return;
                }
                snprintf(steps, sizeof(steps), ", unbound from %s", d.driver);
        }
        if (*host && (r = engine_load(e, host)) < 0)
                say(a, RESULT_WARNING, strerror(-r), "cannot load %s: %s", host, strerror(-r));
        r = engine_probe(e, dev);
        if (r < 0) {
                say(a, RESULT_FAILED, strerror(-r), "given back in part: driver_override cleared%s, but drivers_probe "
                    "failed: %s", steps, strerror(-r));
                return;
        }
        if (e->mode == ENGINE_PLAN) {
                say(a, RESULT_DONE, NULL, "given back (no longer configured): driver_override cleared%s, reprobed%s%s",
                    steps, *host ? " for " : " (no host driver known)", host);
                return;
        }
        r = device_read(dev, &now, &bad);
        if (r == 0 && *now.driver && !driver_is_passthrough(now.driver))
                say(a, RESULT_DONE, NULL, "given back (no longer configured): driver_override cleared%s, bound to %s",
                    steps, now.driver);
        else if (r == 0)
                say(a, RESULT_WARNING, *host ? "the host driver did not bind" : "no host driver",
                    "given back (no longer configured): driver_override cleared%s; %s", steps,
                    *now.driver ? "bound to a passthrough driver again" :
                    *host ? "no host driver bound it (see the kernel log)" : "no host driver matches it: left unbound");
        else
                say(a, RESULT_WARNING, strerror(-r), "given back (no longer configured): driver_override cleared%s; "
                    "cannot read its driver back: %s", steps, strerror(-r));
        if (r == 0) {
                snprintf(a->driver, sizeof(a->driver), "%s", now.driver);
                snprintf(a->override, sizeof(a->override), "%s", now.override);
        }
}

int giveback_run(struct engine *e, struct undo_record *rec) {
        struct run g = { .e = e, .rec = rec, .configured = e->n_acc };
        _cleanup_strv_free_ char **pfs = NULL, **devs = NULL;
        int r = 0;

        /* names first: giving back drops entries from the record */
        for (size_t i = 0; r >= 0 && i < rec->n_vfs; i++)
                r = strv_extend(&pfs, rec->vfs[i].pf);
        for (size_t i = 0; r >= 0 && i < rec->n_claims; i++)
                r = strv_extend(&devs, rec->claims[i].dev);
        if (r < 0)
                return r;
        /* the PFs first: VFs that go with their PF are not given back one by one */
        for (char **p = pfs; p && *p; p++) {
                const struct undo_vfs *v = undo_record_vfs(rec, *p);
                if (v) {
                        struct undo_vfs copy = *v;
                        give_back_vfs(&g, &copy);
                }
        }
        for (char **d = devs; d && *d; d++) {
                const struct undo_claim *c = undo_record_claim(rec, *d);
                if (c) {
                        struct undo_claim copy = *c;
                        give_back_claim(&g, &copy);
                }
        }
        strv_free(g.gone);
        strv_free(g.kept);
        return 0;
}

/* ---- what the engine did, for the record ---- */

/* "/sys/bus/pci/devices/DEV/ATTR": DEV, if the step wrote ATTR of a device */
static bool step_attr(const struct step *s, const char *attr, char dev[static PCI_ADDR_MAX]) {
        static const char prefix[] = SYSFS_PCI_DEVICES "/";
        if (s->netlink || !s->path || strncmp(s->path, prefix, sizeof(prefix) - 1) != 0)
                return false;
        const char *p = s->path + sizeof(prefix) - 1, *slash = strchr(p, '/');
        if (!slash || !streq(slash + 1, attr) || (size_t) (slash - p) >= PCI_ADDR_MAX)
                return false;
        snprintf(dev, PCI_ADDR_MAX, "%.*s", (int) (slash - p), p);
        return true;
}

/* "/sys/bus/pci/drivers/DRV/unbind" = DEV: DRV */
static bool step_unbind(const struct step *s, const char *dev, char drv[static UNDO_DRIVER_MAX]) {
        static const char prefix[] = SYSFS_PCI_DRIVERS "/";
        if (s->netlink || !s->path || s->result < 0 || !streq(s->value, dev) ||
            strncmp(s->path, prefix, sizeof(prefix) - 1) != 0)
                return false;
        const char *p = s->path + sizeof(prefix) - 1, *slash = strchr(p, '/');
        if (!slash || !streq(slash, "/unbind") || (size_t) (slash - p) >= UNDO_DRIVER_MAX)
                return false;
        snprintf(drv, UNDO_DRIVER_MAX, "%.*s", (int) (slash - p), p);
        return true;
}

int giveback_note_steps(const struct engine *e, struct undo_record *rec) {
        int r = 0;
        if (e->mode != ENGINE_APPLY)
                return 0;
        for (size_t i = 0; r >= 0 && i < e->n_steps; i++) {
                const struct step *s = &e->steps[i];
                char dev[PCI_ADDR_MAX];
                struct pci_dev d;
                const char *bad;
                unsigned vf;

                if (s->result < 0)
                        continue;
                if (step_attr(s, "driver_override", dev) && pci_driver_name_valid(s->value)) {
                        struct undo_claim c = {};
                        if (device_read(dev, &d, &bad) < 0)
                                continue; /* gone: nothing to give back */
                        snprintf(c.dev, sizeof(c.dev), "%s", dev);
                        c.id = d.id;
                        snprintf(c.override, sizeof(c.override), "%s", s->value);
                        for (size_t k = i + 1; k < e->n_steps && !step_unbind(&e->steps[k], dev, c.from); k++)
                                ;
                        r = undo_record_add_claim(rec, &c);
                } else if (step_attr(s, "sriov_numvfs", dev)) {
                        struct undo_vfs v = { .autoprobe = -1 };
                        unsigned n;
                        bool last = true;
                        for (size_t k = i + 1; k < e->n_steps && last; k++)
                                last = !(step_attr(&e->steps[k], "sriov_numvfs", v.pf) && streq(v.pf, dev) &&
                                         e->steps[k].result >= 0);
                        if (!last || parse_decimal(s->value, &n) < 0)
                                continue;
                        if (n == 0 || device_read(dev, &d, &bad) < 0) {
                                undo_record_drop_vfs(rec, dev);
                                continue;
                        }
                        snprintf(v.pf, sizeof(v.pf), "%s", dev);
                        v.id = d.id;
                        v.numvfs = n;
                        for (size_t k = 0; k < i; k++)
                                if (step_attr(&e->steps[k], "sriov_drivers_autoprobe", v.pf) && streq(v.pf, dev) &&
                                    e->steps[k].result >= 0)
                                        v.autoprobe = streq(e->steps[k].value, "0") ? 1 : 0;
                        snprintf(v.pf, sizeof(v.pf), "%s", dev);
                        r = undo_record_add_vfs(rec, &v);
                } else if (s->netlink && s->path) {
                        const char *setting = step_netlink_setting(s, &vf);
                        struct undo_vfset vs = { .vf = vf };
                        if (!setting || strlen(setting) >= sizeof(vs.setting) || strlen(s->path) >= PCI_ADDR_MAX)
                                continue;
                        snprintf(vs.pf, sizeof(vs.pf), "%s", s->path);
                        snprintf(vs.setting, sizeof(vs.setting), "%s", setting);
                        r = undo_record_add_vfset(rec, &vs);
                }
        }
        return r;
}
