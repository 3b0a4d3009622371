/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "disk.h"
#include "fileio.h"
#include "host.h"
#include "netguard.h"
#include "paths.h"
#include "protect.h"

struct protect {
        bool initrd, late, net_sees, netroot;
        char host[64];           /* DMI product UUID, "" if none */
        struct protect_entry *e; /* learnt, for this host */
        size_t n;
        const char *why_not;     /* why there is no learnt set */
        char why_buf[160];
        struct pci_dev *cur;     /* present devices that are not VFs, read once */
        size_t n_cur;
        bool cur_loaded;
};

bool in_initrd(void) {
        return access(path_initrd_release(), F_OK) == 0;
}

int running_in_chroot(void) {
        struct stat a, b;
        if (stat(PROC_PID1_ROOT, &a) < 0 || stat("/", &b) < 0)
                return -errno;
        return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

enum kind { KIND_OTHER, KIND_DISK, KIND_NET };

static enum kind class_kind(unsigned class) {
        unsigned base = class >> 16, sub = (class >> 8) & 0xff;
        if (base == 0x01 || (base == 0x0c && (sub == 0x03 || sub == 0x04))) /* storage, USB, Fibre Channel */
                return KIND_DISK;
        if (base == 0x02 || (base == 0x0c && sub == 0x06)) /* network, InfiniBand */
                return KIND_NET;
        return KIND_OTHER;
}

static uint32_t le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* PCI Express Device Serial Number (extended capability 3) from config space,
 * readable before any driver binds; "" when the device has none. */
static void read_dsn(const char *name, char dsn[static 24]) {
        char p[128];
        unsigned char cfg[4096];
        *dsn = 0;
        if ((size_t) snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/config", name) >= sizeof(p))
                return;
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t len = pread(fd, cfg, sizeof(cfg), 0);
        close(fd);
        for (unsigned off = 0x100, hops = 0; len >= 0 && off + 12 <= (size_t) len && hops < 64; hops++) {
                uint32_t h = le32(cfg + off);
                if (h == 0 || h == 0xffffffff)
                        return;
                if ((h & 0xffff) == 3) {
                        uint32_t lo = le32(cfg + off + 4), hi = le32(cfg + off + 8);
                        snprintf(dsn, 24, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", hi >> 24, (hi >> 16) & 0xff,
                                 (hi >> 8) & 0xff, hi & 0xff, lo >> 24, (lo >> 16) & 0xff, (lo >> 8) & 0xff, lo & 0xff);
                        return;
                }
                if ((h >> 20) < 0x100 || (h >> 20) <= off)
                        return;
                off = h >> 20;
        }
}

static void read_host_key(char buf[static 64]) {
        _cleanup_free_ char *u = NULL;
        *buf = 0;
        if (read_one_line(SYSFS_DMI_PRODUCT_UUID, &u) < 0 || strlen(u) >= 64)
                return;
        if (strspn(u, "0-") == strlen(u) || strspn(u, "fF-") == strlen(u))
                return; /* firmware that set none */
        for (char *c = u; *c; c++)
                *c = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        if (strspn(u, "0123456789abcdef-") != strlen(u))
                return;
        snprintf(buf, 64, "%s", u);
}

/* Does the kernel command line ask for a network root (the initramfs brings
 * a NIC up for it)? */
static bool cmdline_netroot(void) {
        _cleanup_strv_free_ char **params = NULL;
        if (host_cmdline(&params) < 0)
                return false;
        int i = cmdline_find_last(params, "root");
        if (i >= 0) {
                const char *v = strchr(params[i], '=');
                if (v && (strncmp(v + 1, "nfs", 3) == 0 || strncmp(v + 1, "iscsi", 5) == 0 ||
                          strncmp(v + 1, "nbd", 3) == 0 || strncmp(v + 1, "/dev/nfs", 8) == 0))
                        return true;
        }
        if ((i = cmdline_find_last(params, "ip")) >= 0) {
                const char *v = strchr(params[i], '=');
                if (v && !streq(v + 1, "off") && !streq(v + 1, "none"))
                        return true;
        }
        if ((i = cmdline_find_last(params, "rd.neednet")) >= 0 && cmdline_satisfies(params, "rd.neednet=1"))
                return true;
        return cmdline_find_last(params, "netroot") >= 0 || cmdline_find_last(params, "rd.iscsi.firmware") >= 0;
}

static int parse_learnt(struct protect *p, char *text) {
        bool host_ok = false;
        for (char *l = text; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                char host[64], name[PCI_ADDR_MAX], id[16], dsn[24], state[16];
                unsigned class;
                int k = 0;
                const char *why;
                if (sscanf(l, "host %63s", host) == 1)
                        host_ok = *p->host && streq(host, p->host);
                else if (sscanf(l, "device %23s %15s %x %23s %15s %n", name, id, &class, dsn, state, &k) == 5 && k) {
                        struct protect_entry e = { .class = class, .protected = streq(state, "protected") };
                        struct pci_addr a;
                        if (pci_addr_parse(name, &a, &why) < 0 || pci_id_parse(id, &e.id, &why) < 0)
                                return -EBADMSG;
                        pci_addr_format(&a, e.name);
                        snprintf(e.dsn, sizeof(e.dsn), "%s", streq(dsn, "-") ? "" : dsn);
                        snprintf(e.reason, sizeof(e.reason), "%s", l + k);
                        struct protect_entry *m = realloc(p->e, (p->n + 1) * sizeof(*m));
                        if (!m)
                                return -ENOMEM;
                        p->e = m;
                        m[p->n++] = e;
                } else if (*l && *l != '#')
                        return -EBADMSG;
                l = nl ? nl + 1 : NULL;
        }
        if (!host_ok) {
                p->why_not = *p->host ? "the protected set was learnt on another host"
                                      : "this host has no DMI product UUID to tie a learnt protected set to";
                free(p->e);
                p->e = NULL;
                p->n = 0;
                return 0;
        }
        p->why_not = NULL;
        return 0;
}

int protect_open(bool late, struct protect **ret) {
        _cleanup_free_ struct protect *p = calloc(1, sizeof(*p));
        _cleanup_free_ char *text = NULL;
        int r;

        if (!p)
                return -ENOMEM;
        p->initrd = in_initrd();
        p->late = late;
        p->net_sees = late || net_routes_seen();
        p->netroot = cmdline_netroot();
        read_host_key(p->host);
        p->why_not = "nothing was learnt on the up host (no " VAR_LIB_VFPT_PROTECTED ")";
        r = read_file(path_protected(), 4 * 1024 * 1024, &text, NULL);
        if (r >= 0) {
                r = parse_learnt(p, text);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        free(p->e);
                        p->e = NULL;
                        p->n = 0;
                        snprintf(p->why_buf, sizeof(p->why_buf), "%s is not a protected set vfpt wrote",
                                 path_protected());
                        p->why_not = p->why_buf;
                }
        } else if (r != -ENOENT) {
                snprintf(p->why_buf, sizeof(p->why_buf), "cannot read %s: %s", path_protected(), strerror(-r));
                p->why_not = p->why_buf;
        }
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
static int live(const struct pci_dev *d, char *why, size_t n) {
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

/* The learnt verdict for d: YES/NO, or UNKNOWN with why. */
static enum protect_verdict lookup(struct protect *p, const struct pci_dev *d, char *why, size_t n) {
        char dsn[24];

        if (p->why_not) {
                snprintf(why, n, "%s", p->why_not);
                return PROTECT_UNKNOWN;
        }
        read_dsn(d->name, dsn);
        if (*dsn) {
                for (size_t i = 0; i < p->n; i++)
                        if (streq(p->e[i].dsn, dsn)) {
                                if (!pci_id_eq(&p->e[i].id, &d->id))
                                        break;
                                if (p->e[i].protected)
                                        snprintf(why, n, "%s (learnt at %s, serial %s)", p->e[i].reason,
                                                 p->e[i].name, dsn);
                                return p->e[i].protected ? PROTECT_YES : PROTECT_NO;
                        }
                snprintf(why, n, "its serial number %s was not seen when the protected set was learnt", dsn);
                return PROTECT_UNKNOWN;
        }
        const struct protect_entry *here = NULL;
        for (size_t i = 0; i < p->n && !here; i++)
                if (streq(p->e[i].name, d->name))
                        here = &p->e[i];
        if (!here) {
                snprintf(why, n, "it was not there when the protected set was learnt");
                return PROTECT_UNKNOWN;
        }
        if (!pci_id_eq(&here->id, &d->id) || *here->dsn) {
                snprintf(why, n, "the protected set learnt another device at this address (%04x:%04x%s%s)",
                         here->id.vendor, here->id.device, *here->dsn ? " serial " : "", here->dsn);
                return PROTECT_UNKNOWN;
        }
        if (load_current(p) < 0 || !same_places(p, &d->id)) {
                snprintf(why, n, "devices %04x:%04x are not where they were when the protected set was learnt "
                         "(renumbered?), and this one has no serial number to tell them apart", d->id.vendor,
                         d->id.device);
                return PROTECT_UNKNOWN;
        }
        if (here->protected)
                snprintf(why, n, "%s (learnt)", here->reason);
        return here->protected ? PROTECT_YES : PROTECT_NO;
}

enum protect_verdict protect_check(struct protect *p, const struct pci_dev *d, char *why, size_t n) {
        char lwhy[384];
        int l = live(d, why, n);

        if (l == 1)
                return PROTECT_YES;
        if (d->is_vf) /* made by SR-IOV, never what the host booted from */
                return PROTECT_NO;
        enum protect_verdict v = lookup(p, d, lwhy, sizeof(lwhy));
        if (v == PROTECT_YES) {
                snprintf(why, n, "%s", lwhy);
                return v;
        }
        enum kind k = class_kind(d->class);
        /* the disk guard cannot tell (an fstab source on no block device
         * yet): deferred, whatever was learnt; in the initramfs, where no
         * disk is seen, the learnt set speaks (below) */
        if (k == KIND_DISK && l == DISK_CANNOT_TELL && protect_disk_sees(p))
                return PROTECT_UNKNOWN;
        if (k == KIND_OTHER || (k == KIND_DISK && protect_disk_sees(p)))
                return PROTECT_NO;
        if (k == KIND_NET && protect_net_sees(p))
                return PROTECT_NO;
        if (v == PROTECT_NO && !(k == KIND_NET && p->initrd && p->netroot))
                return PROTECT_NO;
        if (k == KIND_DISK)
                snprintf(why, n, "cannot tell yet whether it holds a disk the host needs (no block devices in "
                         "the initramfs) and %s", lwhy);
        else if (p->initrd && p->netroot)
                snprintf(why, n, "cannot tell yet whether it carries the network root the kernel command line asks for");
        else
                snprintf(why, n, "cannot tell yet whether it carries the host's network (no default route yet) "
                         "and %s", lwhy);
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
                snprintf(e->name, sizeof(e->name), "%s", d->name);
                read_dsn(d->name, e->dsn);
                e->protected = live(d, e->reason, sizeof(e->reason)) > 0;
                if (!e->protected)
                        *e->reason = 0;
        }
        *ret = TAKE_PTR(l);
        *n = p->n_cur;
        return 0;
}

bool may_learn(char *why, size_t n) {
        if (in_initrd()) {
                snprintf(why, n, "in the initramfs: nothing to learn before the host is up");
                return false;
        }
        int r = running_in_chroot();
        if (r != 0) {
                snprintf(why, n, "%s", r > 0 ? "in a chroot (an image build, an installer's %post): not the host that boots"
                                             : "cannot tell whether this is a chroot (/proc/1/root): not learning");
                return false;
        }
        return true;
}

int protect_save(struct protect *p, char *why, size_t n) {
        _cleanup_free_ struct protect_entry *l = NULL;
        _cleanup_free_ char *text = NULL;
        size_t k = 0, len = 0;
        FILE *f;
        int r;

        if (!may_learn(why, n))
                return 0;
        if (!p->net_sees) {
                snprintf(why, n, "no default route yet: the network guard cannot tell the uplink; not learning");
                return 0;
        }
        r = protect_scan(p, &l, &k);
        if (r < 0)
                return r;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# vfpt: the PCI devices of this host and those it needs to boot and be reached\n"
                   "# (vfpt(8), PROTECTED DEVICES). Written by vfpt on the up host; carried into\n"
                   "# the initramfs. device ADDRESS VENDOR:DEVICE CLASS SERIAL protected|- REASON\n");
        fprintf(f, "host %s\n", *p->host ? p->host : "-");
        for (size_t i = 0; i < k; i++)
                fprintf(f, "device %s %04x:%04x %06x %s %s %s\n", l[i].name, l[i].id.vendor, l[i].id.device,
                        l[i].class, *l[i].dsn ? l[i].dsn : "-", l[i].protected ? "protected" : "-", l[i].reason);
        if (fclose(f) != 0)
                return -ENOMEM;
        r = mkdir_p(path_state_dir(), 0755);
        if (r < 0)
                return r;
        r = atomic_update(path_protected(), text, len, 0644);
        if (r <= 0) {
                snprintf(why, n, "unchanged");
                return r;
        }
        snprintf(why, n, "recorded in %s", path_protected());
        return 1;
}
