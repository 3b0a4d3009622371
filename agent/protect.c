/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "disk.h"
#include "fileio.h"
#include "host.h"
#include "netguard.h"
#include "paths.h"
#include "protect.h"

/* The state file's format: a comment header, "vfpt-protected 2", one host
 * line, the device lines in address order, and the CRC-32 of all that. */
#define STATE_MAGIC "vfpt-protected"
#define STATE_VERSION 2
#define STATE_MAX (4 * 1024 * 1024)
#define RELEARN "re-learn it on the up host with 'vfpt protected --save' (or rebuild the initramfs)"

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

bool in_initrd(void) {
        return access(path_initrd_release(), F_OK) == 0;
}

int running_in_chroot(void) {
        struct stat a, b;
        if (stat(PROC_PID1_ROOT, &a) < 0 || stat("/", &b) < 0)
                return -errno;
        return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* The kernel's initial PID namespace (PROC_PID_INIT_INO, since Linux 3.8) */
#define PID_NS_INIT "pid:[4026531836]"

int host_namespaces(char *why, size_t n) {
        static const char *const ns[] = { "mnt", "pid", "net" };
        static const char *const what[] = { "mount", "PID", "network" };
        for (size_t i = 0; i < ELEMENTSOF(ns); i++) {
                char a[64], b[64], pa[64], pb[64];
                ssize_t la, lb;
                snprintf(pa, sizeof(pa), PROC_PID1_NS "/%s", ns[i]);
                snprintf(pb, sizeof(pb), PROC_SELF_NS "/%s", ns[i]);
                if ((la = readlink(pa, a, sizeof(a) - 1)) < 0 || (lb = readlink(pb, b, sizeof(b) - 1)) < 0) {
                        int r = -errno;
                        snprintf(why, n, "cannot read %s: %s: cannot tell whether this is the host's own %s "
                                 "namespace; not learning", la < 0 ? pa : pb, strerror(-r), what[i]);
                        return r;
                }
                a[la] = b[lb] = 0;
                if (!streq(a, b)) {
                        snprintf(why, n, "in another %s namespace than PID 1 (%s, PID 1 %s: a container, "
                                 "'ip netns exec', nsenter?): not the host's own view; not learning", what[i], b, a);
                        return 0;
                }
                if (streq(ns[i], "pid") && !streq(b, PID_NS_INIT)) {
                        snprintf(why, n, "in a PID namespace of its own (%s, not the kernel's first: a container): "
                                 "not the host's own view; not learning", b);
                        return 0;
                }
        }
        return 1;
}

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

static uint32_t le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* What config space says a device is, readable before any driver binds: the
 * PCI Express Device Serial Number (extended capability 3), "" when the device
 * has none, and the subsystem IDs of a type 0 header, "" when none are set. */
struct ident {
        char dsn[24];
        char subsys[10];
};

static void read_ident(const char *name, struct ident *ret) {
        char p[128];
        unsigned char cfg[4096];
        *ret = (struct ident) {};
        if ((size_t) snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/config", name) >= sizeof(p))
                return;
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t len = pread(fd, cfg, sizeof(cfg), 0);
        close(fd);
        if (len >= 0x30 && (cfg[0x0e] & 0x7f) == 0) {
                unsigned sv = cfg[0x2c] | cfg[0x2d] << 8, sd = cfg[0x2e] | cfg[0x2f] << 8;
                if ((sv || sd) && !(sv == 0xffff && sd == 0xffff))
                        snprintf(ret->subsys, sizeof(ret->subsys), "%04x:%04x", sv, sd);
        }
        for (unsigned off = 0x100, hops = 0; len >= 0 && off + 12 <= (size_t) len && hops < 64; hops++) {
                uint32_t h = le32(cfg + off);
                if (h == 0 || h == 0xffffffff)
                        return;
                if ((h & 0xffff) == 3) {
                        uint32_t lo = le32(cfg + off + 4), hi = le32(cfg + off + 8);
                        snprintf(ret->dsn, sizeof(ret->dsn), "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", hi >> 24,
                                 (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >> 24, (lo >> 16) & 0xff,
                                 (lo >> 8) & 0xff, lo & 0xff);
                        return;
                }
                if ((h >> 20) < 0x100 || (h >> 20) <= off)
                        return;
                off = h >> 20;
        }
}

/* A serial number that could tell one device from another: set, and not
 * all zeros or all ones (what firmware writes when it has none) */
static bool dsn_distinct(const char *dsn) {
        return *dsn && !streq(dsn, "00-00-00-00-00-00-00-00") && !streq(dsn, "ff-ff-ff-ff-ff-ff-ff-ff");
}

/* the function number of a sysfs name, "0000:3b:00.1" -> 1 */
static unsigned fn_of(const char *name) {
        const char *dot = strrchr(name, '.');
        return dot ? (unsigned) strtoul(dot + 1, NULL, 16) : 0;
}

static bool is_hex(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* "xxxx:xxxx", lowercase hex */
static bool is_id(const char *s) {
        return strlen(s) == 9 && s[4] == ':' && is_hex(s, 4) && is_hex(s + 5, 4);
}

/* 8-4-4-4-12 lowercase hex */
static bool is_uuid(const char *s) {
        static const unsigned groups[] = { 8, 4, 4, 4, 12 };
        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                if (!is_hex(s, groups[i]))
                        return false;
                s += groups[i];
                if (*s != (i + 1 < ELEMENTSOF(groups) ? '-' : 0))
                        return false;
                s++;
        }
        return true;
}

/* Product UUIDs that firmware ships on many boards alike ("To Be Filled By
 * O.E.M."): no host's own. Both byte orders of the SMBIOS encoding. */
static bool uuid_placeholder(const char *u) {
        static const char *const known[] = {
                "03000200-0400-0500-0006-000700080009", "00020003-0004-0005-0006-000700080009",
                "12345678-1234-5678-90ab-cddeefaabbcc", "78563412-3412-7856-90ab-cddeefaabbcc",
                "01234567-89ab-cdef-0123-456789abcdef", "67452301-ab89-efcd-0123-456789abcdef",
        };
        size_t same = 0, digits = 0;
        for (const char *c = u; *c; c++)
                if (*c != '-') {
                        digits++;
                        same += *c == u[0];
                }
        if (same == digits) /* 00000000-..., ffffffff-..., 11111111-... */
                return true;
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (streq(u, known[i]))
                        return true;
        return false;
}

/* "dmi:UUID" from the firmware, else "machine-id:ID" (/etc/machine-id, which
 * the initramfs must then carry), else "" with why */
static void read_host_key(char buf[static 80], char *why, size_t n) {
        _cleanup_free_ char *u = NULL, *mid = NULL, *path = NULL;
        const char *dmi_why = "there is no DMI product UUID";
        *buf = 0;
        if (read_one_line(SYSFS_DMI_PRODUCT_UUID, &u) >= 0 && strlen(u) < 64) {
                for (char *c = u; *c; c++)
                        *c = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
                if (!is_uuid(u))
                        dmi_why = "the DMI product UUID is not a UUID";
                else if (uuid_placeholder(u))
                        dmi_why = "the DMI product UUID is a placeholder many boards share";
                else {
                        snprintf(buf, 80, "dmi:%s", u);
                        return;
                }
        }
        path = path_rooted(ETC_MACHINE_ID);
        if (path && read_one_line(path, &mid) >= 0 && strlen(mid) == 32 && is_hex(mid, 32) &&
            strspn(mid, "0") != 32) {
                snprintf(buf, 80, "machine-id:%s", mid);
                return;
        }
        snprintf(why, n, "%s and there is no usable " ETC_MACHINE_ID, dmi_why);
}

static bool is_host_key(const char *s) {
        if (strncmp(s, "dmi:", 4) == 0)
                return is_uuid(s + 4) && !uuid_placeholder(s + 4);
        if (strncmp(s, "machine-id:", 11) == 0)
                return strlen(s + 11) == 32 && is_hex(s + 11, 32);
        return false;
}

/* Does the kernel command line (or the firmware) ask for a network root,
 * so that the initramfs brings a NIC up for it? */
static bool cmdline_netroot(void) {
        static const char *const roots[] = { "nfs", "/dev/nfs", "iscsi", "nbd", "cifs", "dhcp", "live:", "nvmf" };
        _cleanup_strv_free_ char **params = NULL;
        bool nbft = true;
        if (host_cmdline(&params) < 0)
                return false;
        int i = cmdline_find_last(params, "root");
        if (i >= 0) {
                const char *v = strchr(params[i], '=');
                for (size_t k = 0; v && k < ELEMENTSOF(roots); k++)
                        if (strncmp(v + 1, roots[k], strlen(roots[k])) == 0)
                                return true;
        }
        if ((i = cmdline_find_last(params, "ip")) >= 0) {
                const char *v = strchr(params[i], '=');
                if (v && !streq(v + 1, "off") && !streq(v + 1, "none"))
                        return true;
        }
        if ((i = cmdline_find_last(params, "rd.neednet")) >= 0 && cmdline_satisfies(params, "rd.neednet=1"))
                return true;
        if (cmdline_find_last(params, "netroot") >= 0 || cmdline_find_last(params, "rd.iscsi.firmware") >= 0 ||
            cmdline_find_last(params, "fcoe") >= 0)
                return true;
        /* NVMe over Fabrics: rd.nvmf.discover=... and friends, or the firmware's NBFT */
        for (char **a = params; *a && !streq(*a, "--"); a++) {
                if (strncmp(*a, "rd.nvmf.", 8) != 0)
                        continue;
                if (cmdline_names_equal(*a, "rd.nvmf.nonbft"))
                        nbft = false;
                else if (!cmdline_names_equal(*a, "rd.nvmf.nostatic"))
                        return true;
        }
        return nbft && access(SYSFS_ACPI_TABLES "/NBFT", F_OK) == 0;
}

/* CRC-32 (IEEE 802.3, zlib's crc32()), a table's worth of work once: udev
 * runs vfpt once for every PCI device at boot, each reading the whole file */
static uint32_t crc32_ieee(const char *buf, size_t n) {
        static uint32_t table[256];
        uint32_t c = 0xffffffffu;
        if (!table[1])
                for (uint32_t i = 0; i < 256; i++) {
                        uint32_t t = i;
                        for (int k = 0; k < 8; k++)
                                t = (t >> 1) ^ (0xedb88320u & -(t & 1));
                        table[i] = t;
                }
        for (size_t i = 0; i < n; i++)
                c = table[(c ^ (unsigned char) buf[i]) & 0xff] ^ (c >> 8);
        return ~c;
}

/* sshd's StrictModes, as for the config: root's (or, for a user's own test
 * run, that user's) and writable by no one else */
static const char *untrusted(const struct stat *st, bool dir) {
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return "is owned by another user";
        if ((st->st_mode & S_IWOTH) || ((st->st_mode & S_IWGRP) && !(dir && st->st_gid == 0)))
                return "is writable by group or others";
        return NULL;
}

/* one device line: "device ADDR VEN:DEV CLASS SERIAL STATE SUBSYS[ REASON]",
 * the reason there for a protected device only; NULL, or what is wrong */
static const char *parse_device(char *l, struct protect_entry *e, char *bad, size_t n) {
        char *f[8] = {};
        size_t k = 0;
        struct pci_addr a;
        const char *why;

        for (char *c = l; k < ELEMENTSOF(f);) { /* the reason may hold blanks, the rest not */
                f[k++] = c;
                if (k == ELEMENTSOF(f) || !(c = strchr(c, ' ')))
                        break;
                *c++ = 0;
        }
        if (!streq(f[0], "device"))
                return "neither a host, a device nor the checksum line";
        if (k < 7)
                return "too few fields";
        for (size_t i = 0; i < k; i++)
                if (!*f[i])
                        return "an empty field (two blanks, or a blank at the end)";
        *e = (struct protect_entry) {};
        if (pci_addr_parse(f[1], &a, &why) < 0 || !streq(pci_addr_format(&a, e->name), f[1]))
                return snprintf(bad, n, "address '%.32s' is not a PCI address as sysfs names it", f[1]), bad;
        if (!is_id(f[2]) || pci_id_parse(f[2], &e->id, &why) < 0)
                return snprintf(bad, n, "'%.32s' is not a vendor:device ID", f[2]), bad;
        if (strlen(f[3]) != 6 || !is_hex(f[3], 6))
                return snprintf(bad, n, "class '%.32s' is not 6 hex digits", f[3]), bad;
        e->class = (unsigned) strtoul(f[3], NULL, 16);
        if (!streq(f[4], "-")) {
                bool ok = strlen(f[4]) == 23;
                for (int i = 0; ok && i < 8; i++)
                        ok = is_hex(f[4] + 3 * i, 2) && (i == 7 || f[4][3 * i + 2] == '-');
                if (!ok)
                        return snprintf(bad, n, "serial '%.32s' is not a serial number", f[4]), bad;
                snprintf(e->dsn, sizeof(e->dsn), "%s", f[4]);
        }
        if (streq(f[5], "protected"))
                e->protected = true;
        else if (!streq(f[5], "-"))
                return snprintf(bad, n, "state '%.32s' is neither 'protected' nor '-'", f[5]), bad;
        if (!streq(f[6], "-") && !is_id(f[6]))
                return snprintf(bad, n, "subsystem '%.32s' is neither a vendor:device ID nor '-'", f[6]), bad;
        if (!streq(f[6], "-"))
                snprintf(e->subsys, sizeof(e->subsys), "%s", f[6]);
        if (e->protected != (k == 8))
                return e->protected ? "a protected device without its reason" : "a reason for a device not protected";
        if (k == 8) {
                if (strlen(f[7]) >= sizeof(e->reason) || !utf8_is_valid(f[7], strlen(f[7])))
                        return "its reason is too long or not UTF-8";
                snprintf(e->reason, sizeof(e->reason), "%s", f[7]);
        }
        return NULL;
}
/* Why the state file is not used: p->why_not, and the learnt set dropped. */
_printf_(2, 3) static int refuse(struct protect *p, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why_buf, sizeof(p->why_buf), fmt, ap);
        va_end(ap);
        p->why_not = p->why_buf;
        free(p->e);
        p->e = NULL;
        p->n = 0;
        return 0;
}

/* text: len bytes, NUL-terminated; the learnt set, or p->why_not says why none */
static int parse_state(struct protect *p, char *text, size_t len) {
        const char *file = VAR_LIB_VFPT_PROTECTED;
        char *l = text, *crc_line, bad[96], host[80] = "";
        unsigned line = 1, version = 0;
        int k;

        if (strlen(text) != len || len == 0 || text[len - 1] != '\n')
                return refuse(p, "%s is damaged (a NUL byte, empty, or truncated: no newline at its end): not "
                              "used; %s", file, RELEARN);
        for (; *l == '#'; line++)
                l = strchr(l, '\n') + 1;
        if (strncmp(l, "host ", 5) == 0 || strncmp(l, "device ", 7) == 0)
                return refuse(p, "%s was written by an older vfpt (no format version, no checksum): not used; %s",
                              file, RELEARN);
        char *eol = strchr(l, '\n');
        *eol = 0;
        k = strncmp(l, STATE_MAGIC " ", sizeof(STATE_MAGIC)) == 0 ? parse_decimal(l + sizeof(STATE_MAGIC), &version)
                                                                  : -EINVAL;
        *eol = '\n';
        if (k < 0)
                return refuse(p, "%s is not a protected set vfpt wrote (line %u): not used; %s", file, line, RELEARN);
        if (version != STATE_VERSION)
                return refuse(p, "%s has format version %u, this vfpt reads version %d: not used; %s", file, version,
                              STATE_VERSION, RELEARN);
        /* the checksum: the last line, over everything before it */
        text[len - 1] = 0;
        crc_line = strrchr(text, '\n');
        crc_line = crc_line ? crc_line + 1 : text;
        if (strncmp(crc_line, "crc32 ", 6) != 0 || strlen(crc_line) != 14 || !is_hex(crc_line + 6, 8) ||
            (uint32_t) strtoul(crc_line + 6, NULL, 16) != crc32_ieee(text, (size_t) (crc_line - text)))
                return refuse(p, "%s is damaged or was edited (its crc32 line does not match its content): not "
                              "used; %s", file, RELEARN);
        *crc_line = 0;
        for (const char *c = text; *c; c++)
                if ((unsigned char) *c < 0x20 && *c != '\n')
                        return refuse(p, "%s holds a control character: not used; %s", file, RELEARN);
        l = strchr(l, '\n') + 1, line++;
        for (; *l; line++) {
                char *nl = strchr(l, '\n');
                *nl = 0;
                if (!*host) { /* the host line follows the version line */
                        if (strncmp(l, "host ", 5) != 0 || !is_host_key(l + 5))
                                return refuse(p, "%s:%u: not the host line ('host dmi:UUID' or 'host machine-id:ID'): "
                                              "not used; %s", file, line, RELEARN);
                        snprintf(host, sizeof(host), "%s", l + 5);
                } else {
                        struct protect_entry e;
                        const char *why = parse_device(l, &e, bad, sizeof(bad));
                        if (why)
                                return refuse(p, "%s:%u: %s: not used; %s", file, line, why, RELEARN);
                        if (p->n && strcmp(p->e[p->n - 1].name, e.name) >= 0)
                                return refuse(p, "%s:%u: %s is out of address order or twice: not used; %s", file,
                                              line, e.name, RELEARN);
                        if (p->n % 64 == 0) {
                                struct protect_entry *m = realloc(p->e, (p->n + 64) * sizeof(*m));
                                if (!m)
                                        return -ENOMEM;
                                p->e = m;
                        }
                        p->e[p->n++] = e;
                }
                l = nl + 1;
        }
        if (!*host)
                return refuse(p, "%s has no host line: not used; %s", file, RELEARN);
        if (!*p->host)
                return refuse(p, "this host has no identity to tie a learnt protected set to: %s", p->host_why);
        if (!streq(host, p->host))
                return refuse(p, "the protected set was learnt on another host (%s; this is %s): not used; %s", host,
                              p->host, RELEARN);
        p->why_not = NULL;
        return 0;
}

/* The state file, if it deserves trust: a regular file, root's and writable
 * by no one else, in a directory no one else can write to. */
static int load_state(struct protect *p) {
        const char *file = VAR_LIB_VFPT_PROTECTED, *bad;
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        struct stat st;
        size_t len;
        int r;

        fd = open(path_protected(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT)
                        return refuse(p, "nothing was learnt on the up host (no %s)", file);
                if (errno == ELOOP)
                        return refuse(p, "%s is a symbolic link: not trusted; %s", file, RELEARN);
                return refuse(p, "cannot read %s: %s", file, strerror(errno));
        }
        if (fstat(fd, &st) < 0)
                return refuse(p, "cannot read %s: %s", file, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return refuse(p, "%s is not a regular file: not trusted; %s", file, RELEARN);
        if ((bad = untrusted(&st, false)))
                return refuse(p, "%s %s (uid %u, mode %04o): not trusted; %s", file, bad, (unsigned) st.st_uid,
                              (unsigned) (st.st_mode & 07777), RELEARN);
        if (stat(path_state_dir(), &st) < 0)
                return refuse(p, "cannot read " VAR_LIB_VFPT ": %s", strerror(errno));
        if ((bad = untrusted(&st, true)))
                return refuse(p, VAR_LIB_VFPT " %s (uid %u, mode %04o): its files are not trusted; chown root and "
                              "chmod go-w it, then %s", bad, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777),
                              RELEARN);
        r = read_fd(fd, STATE_MAX, &text, &len);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return refuse(p, "cannot read %s: %s", file, strerror(-r));
        return parse_state(p, text, len);
}

int protect_open(bool late, struct protect **ret) {
        _cleanup_free_ struct protect *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->initrd = in_initrd();
        p->late = late;
        p->net_sees = net_routes_seen(); /* evidence: a default route (netguard.c), never "late" alone */
        p->netroot = cmdline_netroot();
        read_host_key(p->host, p->host_why, sizeof(p->host_why));
        r = load_state(p);
        if (r < 0) {
                free(p->e);
                return r;
        }
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

/* Why d's serial number tells nothing on its own: "" if it does */
static void serial_says_nothing(const struct protect *p, const struct pci_dev *d, const struct ident *id,
                                const struct protect_entry **match, char *why, size_t n) {
        size_t same = 0;
        *match = NULL;
        *why = 0;
        if (!*id->dsn) {
                snprintf(why, n, "no serial number");
                return;
        }
        if (!dsn_distinct(id->dsn)) {
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
static enum protect_verdict lookup(struct protect *p, const struct pci_dev *d, enum protect_basis *basis, char *why,
                                   size_t n) {
        const struct protect_entry *m, *here = NULL;
        char nothing[160];
        struct ident id;
        size_t twins = 0, twins_protected = 0;

        *basis = PROTECT_BASIS_NONE;
        if (p->why_not) {
                snprintf(why, n, "%s", p->why_not);
                return PROTECT_UNKNOWN;
        }
        read_ident(d->name, &id);
        serial_says_nothing(p, d, &id, &m, nothing, sizeof(nothing));
        if (m) {
                *basis = PROTECT_BASIS_SERIAL;
                if (m->protected)
                        snprintf(why, n, "%s (learnt at %s, serial %s)", m->reason, m->name, id.dsn);
                else
                        snprintf(why, n, "learnt at %s, serial %s, function %u", m->name, id.dsn, fn_of(d->name));
                return m->protected ? PROTECT_YES : PROTECT_NO;
        }
        if (!*nothing) {
                snprintf(why, n, "its serial number %s (function %u, %04x:%04x) was not seen when the protected set "
                         "was learnt", id.dsn, fn_of(d->name), d->id.vendor, d->id.device);
                return PROTECT_UNKNOWN;
        }
        /* without a serial that tells it apart: its position, where that is proof */
        for (size_t i = 0; i < p->n; i++) {
                if (streq(p->e[i].name, d->name))
                        here = &p->e[i];
                if (pci_id_eq(&p->e[i].id, &d->id)) {
                        twins++;
                        twins_protected += p->e[i].protected;
                }
        }
        if (!here) {
                snprintf(why, n, "it was not there when the protected set was learnt");
                return PROTECT_UNKNOWN;
        }
        if (!pci_id_eq(&here->id, &d->id) || !streq(here->dsn, id.dsn) || !streq(here->subsys, id.subsys)) {
                snprintf(why, n, "the protected set learnt another device at this address (%04x:%04x%s%s%s%s)",
                         here->id.vendor, here->id.device, *here->subsys ? " subsystem " : "", here->subsys,
                         *here->dsn ? " serial " : "", here->dsn);
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
        if (here->protected)
                snprintf(why, n, "%s (learnt%s)", here->reason, twins > 1 ? "; so was every twin" : "");
        else if (twins > 1)
                snprintf(why, n, "none of the %zu devices %04x:%04x was protected, and they are where they were learnt",
                         twins, d->id.vendor, d->id.device);
        else
                snprintf(why, n, "the only %04x:%04x, where it was learnt", d->id.vendor, d->id.device);
        return here->protected ? PROTECT_YES : PROTECT_NO;
}

enum protect_verdict protect_learnt_verdict(struct protect *p, const struct pci_dev *d, enum protect_basis *basis,
                                            char *why, size_t n) {
        return lookup(p, d, basis, why, n);
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
        char lwhy[384];
        int l = live(d, why, n);

        if (l == 1)
                return PROTECT_YES;
        if (d->is_vf && (class_kind(d->class) != KIND_NET || protect_net_sees(p))) /* a VF NIC may carry the network */
                return PROTECT_NO;
        enum protect_basis basis;
        enum protect_verdict v = lookup(p, d, &basis, lwhy, sizeof(lwhy));
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
                snprintf(why, n, "cannot tell yet whether it carries the network root the kernel command line or "
                         "the firmware (NBFT) asks for");
        else
                snprintf(why, n, "cannot tell yet whether it carries the host's network (no default route yet%s) "
                         "and %s", p->late ? " in any table, nor a learnt uplink up with its address" : "", lwhy);
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
                struct ident id;
                snprintf(e->name, sizeof(e->name), "%s", d->name);
                read_ident(d->name, &id);
                memcpy(e->dsn, id.dsn, sizeof(e->dsn));
                memcpy(e->subsys, id.subsys, sizeof(e->subsys));
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
        return host_namespaces(why, n) > 0;
}

/* a reason as the file holds it: one line of printable UTF-8, never empty */
static void clean_reason(const char *s, char *out, size_t n) {
        size_t o = 0, len = strlen(s);
        for (size_t i = 0; i < len && o + 5 < n;) {
                size_t k = utf8_char_len(s + i, len - i);
                if (k == 0 || (k == 1 && ((unsigned char) s[i] < 0x20 || s[i] == 0x7f))) {
                        out[o++] = '?';
                        i++;
                        continue;
                }
                memcpy(out + o, s + i, k);
                o += k;
                i += k;
        }
        out[o] = 0;
        if (o == 0)
                snprintf(out, n, "(no reason given)");
}

/* The file if it is not to be trusted: removed, so that it is made anew, root's 0644 */
static int drop_untrusted(void) {
        struct stat st;
        if (lstat(path_protected(), &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISREG(st.st_mode) && !untrusted(&st, false))
                return 0;
        return unlink(path_protected()) < 0 && errno != ENOENT ? -errno : 0;
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
        if (!*p->host) {
                snprintf(why, n, "this host has no identity to tie a protected set to (%s): not learning",
                         p->host_why);
                return 0;
        }
        r = protect_scan(p, &l, &k);
        if (r < 0)
                return r;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# vfpt: the PCI devices of this host and those it needs to boot and be reached\n"
                   "# (vfpt(8), PROTECTED DEVICES). Written by vfpt on the up host; carried into the\n"
                   "# initramfs. Not to be edited: a change to any byte makes it unusable (crc32).\n"
                   "# device ADDRESS VENDOR:DEVICE CLASS SERIAL protected|- SUBSYSTEM [REASON]\n"
                   STATE_MAGIC " %d\nhost %s\n", STATE_VERSION, p->host);
        for (size_t i = 0; i < k; i++) {
                char reason[sizeof(l[i].reason)];
                clean_reason(l[i].reason, reason, sizeof(reason));
                fprintf(f, "device %s %04x:%04x %06x %s %s %s%s%s\n", l[i].name, l[i].id.vendor, l[i].id.device,
                        l[i].class & 0xffffff, *l[i].dsn ? l[i].dsn : "-", l[i].protected ? "protected" : "-",
                        *l[i].subsys ? l[i].subsys : "-", l[i].protected ? " " : "", l[i].protected ? reason : "");
        }
        if (fflush(f) != 0) {
                fclose(f);
                return -ENOMEM;
        }
        fprintf(f, "crc32 %08x\n", crc32_ieee(text, len));
        if (fclose(f) != 0)
                return -ENOMEM;
        r = mkdir_p(path_state_dir(), 0755);
        if (r >= 0)
                r = drop_untrusted();
        if (r >= 0)
                r = atomic_update(path_protected(), text, len, 0644);
        if (r < 0)
                return r;
        if (r == 0) {
                snprintf(why, n, "unchanged: %s holds it already", path_protected());
                return 2;
        }
        snprintf(why, n, "recorded in %s", path_protected());
        return 1;
}
