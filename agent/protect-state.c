/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fileio.h"
#include "host.h"
#include "paths.h"
#include "protect-state.h"

/* The state file's format: a comment header, "vfpt-protected 2", one host
 * line, the device lines in address order, and the CRC-32 of all that. */
#define STATE_MAGIC "vfpt-protected"
#define STATE_VERSION 2
#define STATE_MAX (4 * 1024 * 1024)
#define RELEARN "re-learn it on the up host with 'vfpt protected --save' (or rebuild the initramfs)"


/* One load: the host it is for, and the learnt set or why there is none. */
struct state {
        const char *host, *host_why;
        struct protect_entry *e;
        size_t n;
        char *why;
        size_t why_n;
};

/* "xxxx:xxxx", lowercase hex */
static bool is_id(const char *s) {
        return strlen(s) == 9 && s[4] == ':' && hex_lower(s, 4) && hex_lower(s + 5, 4);
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
        if (strlen(f[3]) != 6 || !hex_lower(f[3], 6))
                return snprintf(bad, n, "class '%.32s' is not 6 hex digits", f[3]), bad;
        e->class = (unsigned) strtoul(f[3], NULL, 16);
        if (!streq(f[4], "-")) {
                bool ok = strlen(f[4]) == 23;
                for (int i = 0; ok && i < 8; i++)
                        ok = hex_lower(f[4] + 3 * i, 2) && (i == 7 || f[4][3 * i + 2] == '-');
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
/* Why the state file is not used: p->why, and the learnt set dropped. */
_printf_(2, 3) static int refuse(struct state *p, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why, p->why_n, fmt, ap);
        va_end(ap);
        free(p->e);
        p->e = NULL;
        p->n = 0;
        return 0;
}

/* text: len bytes, NUL-terminated; 1 with the learnt set, or 0 and p->why says why none */
static int parse_state(struct state *p, char *text, size_t len) {
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
        if (strncmp(crc_line, "crc32 ", 6) != 0 || strlen(crc_line) != 14 || !hex_lower(crc_line + 6, 8) ||
            (uint32_t) strtoul(crc_line + 6, NULL, 16) != crc32_ieee(text, (size_t) (crc_line - text)))
                return refuse(p, "%s is damaged or was edited (its crc32 line does not match its content): not "
                              "used; %s", file, RELEARN);
        *crc_line = 0;
        for (const char *c = text; *c; c++)
                if ((unsigned char) *c < 0x20 && *c != '\n')
                        return refuse(p, "%s holds a control character: not used; %s", file, RELEARN);
        char *next = strchr(l, '\n') + 1;
        for (line++; (l = line_next(&next)); line++) {
                if (!*host) { /* the host line follows the version line */
                        if (strncmp(l, "host ", 5) != 0 || !host_identity_valid(l + 5))
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
        }
        if (!*host)
                return refuse(p, "%s has no host line: not used; %s", file, RELEARN);
        if (!*p->host)
                return refuse(p, "this host has no identity to tie a learnt protected set to: %s", p->host_why);
        if (!streq(host, p->host))
                return refuse(p, "the protected set was learnt on another host (%s; this is %s): not used; %s", host,
                              p->host, RELEARN);
        return 1;
}

/* The state file, if it deserves trust: a regular file, root's and writable
 * by no one else, in a directory no one else can write to. */
static int load_state(struct state *p) {
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

int protect_state_load(const char *host, const char *host_why, struct protect_entry **ret, size_t *n, char *why,
                       size_t why_n) {
        struct state p = { .host = host, .host_why = host_why, .why = why, .why_n = why_n };
        int r = load_state(&p);
        if (r <= 0) {
                free(p.e);
                *ret = NULL;
                *n = 0;
                return r;
        }
        *ret = p.e;
        *n = p.n;
        return 1;
}

int protect_state_save(const char *host, const struct protect_entry *l, size_t k) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# vfpt: the PCI devices of this host and those it needs to boot and be reached\n"
                   "# (vfpt(8), PROTECTED DEVICES). Written by vfpt on the up host; carried into the\n"
                   "# initramfs. Not to be edited: a change to any byte makes it unusable (crc32).\n"
                   "# device ADDRESS VENDOR:DEVICE CLASS SERIAL protected|- SUBSYSTEM [REASON]\n"
                   STATE_MAGIC " %d\nhost %s\n", STATE_VERSION, host);
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
        return r;
}
