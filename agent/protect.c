/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "disk.h"
#include "fileio.h"
#include "host.h"
#include "identity.h"
#include "netguard.h"
#include "paths.h"
#include "protect-state.h"
#include "protect.h"


struct protect {
        bool initrd, late, net_sees, netroot;
        char host[80];           /* "dmi:UUID", "machine-id:ID", "" if none */
        char host_why[160];      /* why there is none */
        struct protect_entry *e; /* learnt, for this host, in address order */
        size_t n;
        const char *why_not;     /* why there is no learnt set */
        char why_buf[384];
        struct pci_dev *cur;     /* present devices that are not VFs, read once */
        size_t n_cur;
        bool cur_loaded;
};

enum kind { KIND_OTHER, KIND_DISK, KIND_NET };

static enum kind class_kind(unsigned class) {
        unsigned base = class >> 16, sub = (class >> 8) & 0xff;
        if (base == 0x01 || (base == 0x0c && (sub == 0x03 || sub == 0x04)) || /* storage, USB, Fibre Channel */
            (base == 0x08 && sub == 0x05))                                      /* SD/eMMC host controller */
                return KIND_DISK;
        if (base == 0x02 || (base == 0x0c && sub == 0x06)) /* network, InfiniBand */
                return KIND_NET;
        return KIND_OTHER;
}

bool protect_class_defers(unsigned class) {
        return class_kind(class) != KIND_OTHER;
}

/* the function number of a sysfs name, "0000:3b:00.1" -> 1 */
static unsigned fn_of(const char *name) {
        const char *dot = strrchr(name, '.');
        return dot ? (unsigned) strtoul(dot + 1, NULL, 16) : 0;
}

int protect_open(bool late, struct protect **ret) {
        _cleanup_free_ struct protect *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->initrd = in_initrd();
        p->late = late;
        p->net_sees = net_routes_seen(); /* evidence: a default route (netguard.c), never "late" alone */
        p->netroot = host_asks_netroot();
        host_identity(p->host, p->host_why, sizeof(p->host_why));
        r = protect_state_load(p->host, p->host_why, &p->e, &p->n, p->why_buf, sizeof(p->why_buf));
        if (r < 0)
                return r;
        p->why_not = r ? NULL : p->why_buf;
        /* late (vfpt-late.service): or the learnt uplink is up with its address */
        for (size_t i = 0; late && !p->net_sees && i < p->n; i++)
                p->net_sees = p->e[i].protected && class_kind(p->e[i].class) == KIND_NET && net_up_with_address(p->e[i].name) > 0;
        *ret = TAKE_PTR(p);
        return 0;
}

struct protect *protect_free(struct protect *p) {
        if (p) {
                free(p->e);
                free(p->cur);
                free(p);
        }
        return NULL;
}

bool protect_disk_sees(const struct protect *p) {
        return !p->initrd;
}

bool protect_net_sees(const struct protect *p) {
        return p->net_sees && !(p->initrd && p->netroot);
}

const struct protect_entry *protect_learnt_entries(const struct protect *p, size_t *n) {
        *n = p->n;
        return p->e;
}

const char *protect_learnt_why_not(const struct protect *p) {
        return p->why_not;
}

/* What the live guards see: 1 with why, 0, or DISK_CANNOT_TELL with why
 * (the disk guard cannot see all the host needs) */
static int in_use_now(const struct pci_dev *d, char *why, size_t n) {
        char p[128];
        _cleanup_free_ char *vga = NULL;
        int r;

        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/boot_vga", d->name);
        if (read_one_line(p, &vga) == 0 && streq(vga, "1")) {
                snprintf(why, n, "is the console GPU (boot_vga=1)");
                return 1;
        }
        r = disk_guard(d->name, why, n);
        if (r == 0 || r == DISK_CANNOT_TELL) {
                char disk_why[384];
                snprintf(disk_why, sizeof(disk_why), "%s", r ? why : "");
                int q = net_guard(d->name, why, n);
                if (q == 0 && r)
                        snprintf(why, n, "%s", disk_why);
                else
                        r = q;
        }
        if (r < 0) {
                snprintf(why, n, "cannot tell whether the host uses it: %s", strerror(-r));
                return 1;
        }
        return r;
}

static int load_current(struct protect *p) {
        _cleanup_strv_free_ char **names = NULL;
        int r;
        if (p->cur_loaded)
                return 0;
        r = device_enumerate(&names);
        if (r < 0)
                return r;
        for (char **i = names; *i; i++) {
                struct pci_dev d;
                const char *bad;
                if (device_read(*i, &d, &bad) < 0 || d.is_vf)
                        continue;
                struct pci_dev *m = realloc(p->cur, (p->n_cur + 1) * sizeof(*m));
                if (!m)
                        return -ENOMEM;
                p->cur = m;
                m[p->n_cur++] = d;
        }
        p->cur_loaded = true;
        return 0;
}

/* The addresses of devices with id, learnt and present, are the same set? */
static bool same_places(struct protect *p, const struct pci_id *id) {
        size_t learnt = 0, present = 0;
        for (size_t i = 0; i < p->n; i++)
                if (pci_id_eq(&p->e[i].id, id))
                        learnt++;
        for (size_t i = 0; i < p->n_cur; i++) {
                if (!pci_id_eq(&p->cur[i].id, id))
                        continue;
                present++;
                bool found = false;
                for (size_t j = 0; j < p->n && !found; j++)
                        found = pci_id_eq(&p->e[j].id, id) && streq(p->e[j].name, p->cur[i].name);
                if (!found)
                        return false;
        }
        return learnt == present;
}

/* Why d's serial number tells nothing on its own: "" if it does */
static void serial_says_nothing(const struct protect *p, const struct pci_dev *d, const struct config_ident *id,
                                const struct protect_entry **match, char *why, size_t n) {
        size_t same = 0;
        *match = NULL;
        *why = 0;
        if (!*id->dsn) {
                snprintf(why, n, "no serial number");
                return;
        }
        if (identity_serial_is_none(id->dsn)) {
                snprintf(why, n, "serial number %s, which firmware writes when it has none", id->dsn);
                return;
        }
        /* every function of a multi-function device reports function 0's
         * serial: the key is the serial with the function and the IDs */
        for (size_t i = 0; i < p->n; i++)
                if (streq(p->e[i].dsn, id->dsn) && fn_of(p->e[i].name) == fn_of(d->name) &&
                    pci_id_eq(&p->e[i].id, &d->id) && streq(p->e[i].subsys, id->subsys) && same++ == 0)
                        *match = &p->e[i];
        if (same > 1) {
                *match = NULL;
                snprintf(why, n, "serial number %s, which %zu learnt devices of function %u share", id->dsn, same,
                         fn_of(d->name));
        }
}

/* The learnt verdict for d: YES/NO with its basis, or UNKNOWN with why. */
enum protect_verdict protect_learnt_verdict(struct protect *p, const struct pci_dev *d, enum protect_basis *basis,
                                            char *why, size_t n) {
        const struct protect_entry *by_serial, *at_addr = NULL;
        char nothing[160];
        struct config_ident id;
        size_t twins = 0, twins_protected = 0;

        *basis = PROTECT_BASIS_NONE;
        if (p->why_not) {
                snprintf(why, n, "%s", p->why_not);
                return PROTECT_UNKNOWN;
        }
        identity_read_config(d->name, &id);
        serial_says_nothing(p, d, &id, &by_serial, nothing, sizeof(nothing));
        if (by_serial) {
                *basis = PROTECT_BASIS_SERIAL;
                if (by_serial->protected)
                        snprintf(why, n, "%s (learnt at %s, serial %s)", by_serial->reason, by_serial->name, id.dsn);
                else
                        snprintf(why, n, "learnt at %s, serial %s, function %u", by_serial->name, id.dsn,
                                 fn_of(d->name));
                return by_serial->protected ? PROTECT_YES : PROTECT_NO;
        }
        if (!*nothing) {
                snprintf(why, n, "its serial number %s (function %u, %04x:%04x) was not seen when the protected set "
                         "was learnt", id.dsn, fn_of(d->name), d->id.vendor, d->id.device);
                return PROTECT_UNKNOWN;
        }
        /* without a serial that tells it apart: its position, where that is proof */
        for (size_t i = 0; i < p->n; i++) {
                if (streq(p->e[i].name, d->name))
                        at_addr = &p->e[i];
                if (pci_id_eq(&p->e[i].id, &d->id)) {
                        twins++;
                        twins_protected += p->e[i].protected;
                }
        }
        if (!at_addr) {
                snprintf(why, n, "it was not there when the protected set was learnt");
                return PROTECT_UNKNOWN;
        }
        if (!pci_id_eq(&at_addr->id, &d->id) || !streq(at_addr->dsn, id.dsn) || !streq(at_addr->subsys, id.subsys)) {
                snprintf(why, n, "the protected set learnt another device at this address (%04x:%04x%s%s%s%s)",
                         at_addr->id.vendor, at_addr->id.device, *at_addr->subsys ? " subsystem " : "", at_addr->subsys,
                         *at_addr->dsn ? " serial " : "", at_addr->dsn);
                return PROTECT_UNKNOWN;
        }
        if (load_current(p) < 0 || !same_places(p, &d->id)) {
                snprintf(why, n, "devices %04x:%04x are not where they were when the protected set was learnt "
                         "(renumbered?), and this one has %s to tell them apart", d->id.vendor, d->id.device, nothing);
                return PROTECT_UNKNOWN;
        }
        if (twins > 1 && twins_protected && twins_protected < twins) {
                snprintf(why, n, "%zu devices %04x:%04x (%zu protected) have nothing that tells them apart (this one "
                         "has %s): they may have swapped places since the protected set was learnt", twins,
                         d->id.vendor, d->id.device, twins_protected, nothing);
                return PROTECT_UNKNOWN;
        }
        *basis = PROTECT_BASIS_POSITION;
        if (at_addr->protected)
                snprintf(why, n, "%s (learnt%s)", at_addr->reason, twins > 1 ? "; so was every twin" : "");
        else if (twins > 1)
                snprintf(why, n, "none of the %zu devices %04x:%04x was protected, and they are where they were learnt",
                         twins, d->id.vendor, d->id.device);
        else
                snprintf(why, n, "the only %04x:%04x, where it was learnt", d->id.vendor, d->id.device);
        return at_addr->protected ? PROTECT_YES : PROTECT_NO;
}

int protect_present(struct protect *p, const struct pci_dev **ret, size_t *n) {
        int r = load_current(p);
        if (r < 0)
                return r;
        *ret = p->cur;
        *n = p->n_cur;
        return 0;
}

const char *protect_host_key(const struct protect *p) {
        return p->host;
}

enum protect_verdict protect_check(struct protect *p, const struct pci_dev *d, char *why, size_t n) {
        char learnt_why[384];
        int in_use = in_use_now(d, why, n);

        if (in_use == 1)
                return PROTECT_YES;
        if (d->is_vf && (class_kind(d->class) != KIND_NET || protect_net_sees(p))) /* a VF NIC may carry the network */
                return PROTECT_NO;
        enum protect_basis basis;
        enum protect_verdict v = protect_learnt_verdict(p, d, &basis, learnt_why, sizeof(learnt_why));
        if (v == PROTECT_YES) {
                snprintf(why, n, "%s", learnt_why);
                return v;
        }
        enum kind k = class_kind(d->class);
        /* the disk guard cannot tell (an fstab source on no block device
         * yet): deferred, whatever was learnt; in the initramfs, where no
         * disk is seen, the learnt set speaks (below) */
        if (k == KIND_DISK && in_use == DISK_CANNOT_TELL && protect_disk_sees(p))
                return PROTECT_UNKNOWN;
        if (k == KIND_OTHER || (k == KIND_DISK && protect_disk_sees(p)))
                return PROTECT_NO;
        if (k == KIND_NET && protect_net_sees(p))
                return PROTECT_NO;
        if (v == PROTECT_NO && !(k == KIND_NET && p->initrd && p->netroot))
                return PROTECT_NO;
        if (k == KIND_DISK)
                snprintf(why, n, "cannot tell yet whether it holds a disk the host needs (no block devices in "
                         "the initramfs) and %s", learnt_why);
        else if (p->initrd && p->netroot)
                snprintf(why, n, "cannot tell yet whether it carries the network root the kernel command line or "
                         "the firmware (NBFT) asks for");
        else
                snprintf(why, n, "cannot tell yet whether it carries the host's network (no default route yet%s) "
                         "and %s", p->late ? " in any table, nor a learnt uplink up with its address" : "", learnt_why);
        return PROTECT_UNKNOWN;
}

int protect_scan(struct protect *p, struct protect_entry **ret, size_t *n) {
        _cleanup_free_ struct protect_entry *l = NULL;
        int r = load_current(p);

        if (r < 0)
                return r;
        l = calloc(p->n_cur ?: 1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_cur; i++) {
                const struct pci_dev *d = &p->cur[i];
                struct protect_entry *e = &l[i];
                *e = (struct protect_entry) { .id = d->id, .class = d->class };
                struct config_ident id;
                snprintf(e->name, sizeof(e->name), "%s", d->name);
                identity_read_config(d->name, &id);
                memcpy(e->dsn, id.dsn, sizeof(e->dsn));
                memcpy(e->subsys, id.subsys, sizeof(e->subsys));
                e->protected = in_use_now(d, e->reason, sizeof(e->reason)) > 0;
                if (!e->protected)
                        *e->reason = 0;
        }
        *ret = TAKE_PTR(l);
        *n = p->n_cur;
        return 0;
}

int protect_save(struct protect *p, char *why, size_t n) {
        _cleanup_free_ struct protect_entry *l = NULL;
        size_t k = 0;
        int r;

        if (!may_learn(why, n))
                return 0;
        if (!p->net_sees) {
                snprintf(why, n, "no default route yet: the network guard cannot tell the uplink; not learning");
                return 0;
        }
        if (!*p->host) {
                snprintf(why, n, "this host has no identity to tie a protected set to (%s): not learning",
                         p->host_why);
                return 0;
        }
        r = protect_scan(p, &l, &k);
        if (r < 0)
                return r;
        r = protect_state_save(p->host, l, k);
        if (r < 0)
                return r;
        if (r == 0) {
                snprintf(why, n, "unchanged: %s holds it already", path_protected());
                return 2;
        }
        snprintf(why, n, "recorded in %s", path_protected());
        return 1;
}
