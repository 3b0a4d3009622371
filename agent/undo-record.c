/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "paths.h"
#include "undo-record.h"
#include "util.h"

#define UNDO_HEADER "vfpt-taken 1"
#define UNDO_MAX_SIZE (4 * 1024 * 1024)

const char *undo_record_path(void) {
        static char p[4096];
        snprintf(p, sizeof(p), "%s/taken", path_runtime_dir());
        return p;
}

void undo_record_free(struct undo_record *r) {
        free(r->claims);
        free(r->vfs);
        free(r->vfsets);
        *r = (struct undo_record) {};
}

struct undo_claim *undo_record_claim(struct undo_record *r, const char *dev) {
        for (size_t i = 0; i < r->n_claims; i++)
                if (streq(r->claims[i].dev, dev))
                        return &r->claims[i];
        return NULL;
}

struct undo_vfs *undo_record_vfs(struct undo_record *r, const char *pf) {
        for (size_t i = 0; i < r->n_vfs; i++)
                if (streq(r->vfs[i].pf, pf))
                        return &r->vfs[i];
        return NULL;
}

/* the setting's name: its first word */
static size_t setting_key(const char *s) {
        return strcspn(s, " ");
}

static struct undo_vfset *find_vfset(struct undo_record *r, const struct undo_vfset *s) {
        size_t k = setting_key(s->setting);
        for (size_t i = 0; i < r->n_vfsets; i++) {
                struct undo_vfset *o = &r->vfsets[i];
                if (streq(o->pf, s->pf) && o->vf == s->vf && setting_key(o->setting) == k &&
                    strncmp(o->setting, s->setting, k) == 0)
                        return o;
        }
        return NULL;
}

#define GROW(arr, n)                                                          \
        ({                                                                    \
                __typeof__(arr) _m = realloc((arr), ((n) + 1) * sizeof(*(arr))); \
                if (_m)                                                       \
                        (arr) = _m;                                           \
                _m ? &(arr)[(n)++] : NULL;                                    \
        })

int undo_record_add_claim(struct undo_record *r, const struct undo_claim *c) {
        struct undo_claim *o = undo_record_claim(r, c->dev);
        if (o) {
                char from[UNDO_DRIVER_MAX];
                memcpy(from, *o->from ? o->from : c->from, sizeof(from));
                *o = *c;
                memcpy(o->from, from, sizeof(from));
                return 0;
        }
        o = GROW(r->claims, r->n_claims);
        if (!o)
                return -ENOMEM;
        *o = *c;
        return 0;
}

int undo_record_add_vfs(struct undo_record *r, const struct undo_vfs *v) {
        struct undo_vfs *o = undo_record_vfs(r, v->pf);
        if (o) {
                int autoprobe = o->autoprobe >= 0 ? o->autoprobe : v->autoprobe;
                *o = *v;
                o->autoprobe = autoprobe;
                return 0;
        }
        o = GROW(r->vfs, r->n_vfs);
        if (!o)
                return -ENOMEM;
        *o = *v;
        return 0;
}

int undo_record_add_vfset(struct undo_record *r, const struct undo_vfset *s) {
        struct undo_vfset *o = find_vfset(r, s);
        if (!o && !(o = GROW(r->vfsets, r->n_vfsets)))
                return -ENOMEM;
        *o = *s;
        return 0;
}

void undo_record_drop_claim(struct undo_record *r, const char *dev) {
        struct undo_claim *o = undo_record_claim(r, dev);
        if (o)
                *o = r->claims[--r->n_claims];
}

void undo_record_drop_vfs(struct undo_record *r, const char *pf) {
        struct undo_vfs *o = undo_record_vfs(r, pf);
        if (o)
                *o = r->vfs[--r->n_vfs];
        for (size_t i = r->n_vfsets; i-- > 0;)
                if (streq(r->vfsets[i].pf, pf))
                        r->vfsets[i] = r->vfsets[--r->n_vfsets];
}

/* ---- the strict parser ---- */

static int bad(char *why, size_t n, unsigned line, const char *fmt, ...) _printf_(4, 5);
static int bad(char *why, size_t n, unsigned line, const char *fmt, ...) {
        va_list ap;
        int k = line ? snprintf(why, n, "line %u: ", line) : 0;
        if (k < 0 || (size_t) k >= n)
                k = 0;
        va_start(ap, fmt);
        vsnprintf(why + k, n - (size_t) k, fmt, ap);
        va_end(ap);
        return -EBADMSG;
}

/* the canonical sysfs name, and nothing else */
static bool parse_addr(const char *s, char out[static PCI_ADDR_MAX]) {
        struct pci_addr a;
        const char *w;
        char canon[PCI_ADDR_MAX];
        if (pci_addr_parse(s, &a, &w) < 0 || !streq(pci_addr_format(&a, canon), s))
                return false;
        memcpy(out, canon, PCI_ADDR_MAX);
        return true;
}

static bool parse_id(const char *s, struct pci_id *ret) {
        char canon[16];
        const char *w;
        if (pci_id_parse(s, ret, &w) < 0)
                return false;
        snprintf(canon, sizeof(canon), "%04x:%04x", ret->vendor, ret->device);
        return streq(canon, s);
}

/* "key=VALUE": VALUE, or NULL */
static const char *field(const char *tok, const char *key) {
        size_t k = strlen(key);
        return strncmp(tok, key, k) == 0 && tok[k] == '=' ? tok + k + 1 : NULL;
}

static bool parse_driver(const char *s, char out[static UNDO_DRIVER_MAX], bool dash) {
        if (dash && streq(s, "-")) {
                out[0] = '\0';
                return true;
        }
        if (streq(s, "-") || !pci_driver_name_valid(s) || strlen(s) >= UNDO_DRIVER_MAX)
                return false;
        memcpy(out, s, strlen(s) + 1);
        return true;
}

/* what step_netlink_setting() gives: a known setting, its values in plain characters */
static bool parse_setting(const char *s) {
        static const char *const names[] = { "mac", "vlan", "spoofchk", "trust", "state", "min_tx_rate", "query_rss" };
        size_t k = setting_key(s);
        bool known = false;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                known = known || (strlen(names[i]) == k && strncmp(names[i], s, k) == 0);
        if (!known || !s[k] || !s[k + 1] || strlen(s) >= sizeof(((struct undo_vfset *) 0)->setting))
                return false;
        for (const char *p = s + k + 1; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      strchr(":._-", *p) || (*p == ' ' && p[1] && p[1] != ' ' && p[-1] != ' ')))
                        return false;
        return true;
}

static int parse_line(char *l, unsigned no, struct undo_record *r, char *why, size_t n) {
        char *tok[6] = {};
        size_t k = 0;
        char *rest = NULL, *p = l;

        if (!*l)
                return bad(why, n, no, "empty line");
        /* single spaces between fields, none around them */
        while (k < 6) {
                tok[k++] = p;
                p = strchr(p, ' ');
                if (!p)
                        break;
                *p++ = '\0';
                if (!*p || *p == ' ')
                        return bad(why, n, no, "stray blank");
                if (k == 3 && streq(tok[0], "vfset")) { /* the setting: the rest of the line */
                        rest = p;
                        break;
                }
        }
        if (streq(tok[0], "claim")) {
                struct undo_claim c = {};
                const char *from, *ovr;
                if (k != 5 || p)
                        return bad(why, n, no, "claim: expected 'claim ADDR VENDOR:DEVICE from=DRIVER override=DRIVER'");
                if (!parse_addr(tok[1], c.dev))
                        return bad(why, n, no, "claim: '%s' is not a PCI address", tok[1]);
                if (!parse_id(tok[2], &c.id))
                        return bad(why, n, no, "claim: '%s' is not a PCI ID", tok[2]);
                if (!(from = field(tok[3], "from")) || !parse_driver(from, c.from, true))
                        return bad(why, n, no, "claim: '%s' is not from=DRIVER", tok[3]);
                if (!(ovr = field(tok[4], "override")) || !parse_driver(ovr, c.override, false))
                        return bad(why, n, no, "claim: '%s' is not override=DRIVER", tok[4]);
                if (undo_record_claim(r, c.dev))
                        return bad(why, n, no, "claim: %s recorded twice", c.dev);
                return undo_record_add_claim(r, &c);
        }
        if (streq(tok[0], "vfs")) {
                struct undo_vfs v = { .autoprobe = -1 };
                const char *num, *ap;
                if (k != 5 || p)
                        return bad(why, n, no, "vfs: expected 'vfs ADDR VENDOR:DEVICE numvfs=N autoprobe=0|1|-'");
                if (!parse_addr(tok[1], v.pf))
                        return bad(why, n, no, "vfs: '%s' is not a PCI address", tok[1]);
                if (!parse_id(tok[2], &v.id))
                        return bad(why, n, no, "vfs: '%s' is not a PCI ID", tok[2]);
                if (!(num = field(tok[3], "numvfs")) || parse_decimal(num, &v.numvfs) < 0 || v.numvfs == 0 ||
                    v.numvfs > 65535)
                        return bad(why, n, no, "vfs: '%s' is not numvfs=N (1 to 65535)", tok[3]);
                if (!(ap = field(tok[4], "autoprobe")) || !(streq(ap, "0") || streq(ap, "1") || streq(ap, "-")))
                        return bad(why, n, no, "vfs: '%s' is not autoprobe=0, 1 or -", tok[4]);
                v.autoprobe = streq(ap, "-") ? -1 : ap[0] - '0';
                if (undo_record_vfs(r, v.pf))
                        return bad(why, n, no, "vfs: %s recorded twice", v.pf);
                return undo_record_add_vfs(r, &v);
        }
        if (streq(tok[0], "vfset")) {
                struct undo_vfset s = {};
                const char *vf;
                if (k != 3 || !rest)
                        return bad(why, n, no, "vfset: expected 'vfset ADDR vf=N SETTING VALUE'");
                if (!parse_addr(tok[1], s.pf))
                        return bad(why, n, no, "vfset: '%s' is not a PCI address", tok[1]);
                if (!(vf = field(tok[2], "vf")) || parse_decimal(vf, &s.vf) < 0 || s.vf > 65535)
                        return bad(why, n, no, "vfset: '%s' is not vf=N", tok[2]);
                if (!parse_setting(rest))
                        return bad(why, n, no, "vfset: '%s' is not a VF setting vfpt makes", rest);
                memcpy(s.setting, rest, strlen(rest) + 1);
                if (find_vfset(r, &s))
                        return bad(why, n, no, "vfset: %s VF %u %.*s recorded twice", s.pf, s.vf,
                                   (int) setting_key(s.setting), s.setting);
                return undo_record_add_vfset(r, &s);
        }
        return bad(why, n, no, "unknown keyword '%.32s'", tok[0]);
}

int undo_record_parse(const char *buf, size_t len, struct undo_record *ret, char *why, size_t n) {
        struct undo_record r = {};
        _cleanup_free_ char *copy = NULL;
        unsigned no = 0;
        int k = 0;

        if (len == 0 || buf[len - 1] != '\n')
                return bad(why, n, 0, "%s (cut short?)", len ? "no newline at the end" : "empty");
        if (memchr(buf, '\0', len))
                return bad(why, n, 0, "holds a NUL byte");
        copy = strndup(buf, len);
        if (!copy)
                return -ENOMEM;
        for (char *l = copy, *e; *l; l = e + 1) {
                e = strchr(l, '\n');
                *e = '\0';
                no++;
                if (no == 1)
                        k = streq(l, UNDO_HEADER) ? 0 : bad(why, n, no, "not '" UNDO_HEADER "'");
                else
                        k = parse_line(l, no, &r, why, n);
                if (k < 0) {
                        undo_record_free(&r);
                        return k;
                }
        }
        *ret = r;
        return 0;
}

int undo_record_load(struct undo_record *ret, char *why, size_t n) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = read_file(undo_record_path(), UNDO_MAX_SIZE, &buf, &len);
        if (r == -ENOENT) {
                *ret = (struct undo_record) {};
                return 0;
        }
        if (r == -EFBIG || (r >= 0 && len >= UNDO_MAX_SIZE))
                return bad(why, n, 0, "larger than %d bytes", UNDO_MAX_SIZE);
        if (r < 0)
                return r;
        return undo_record_parse(buf, len, ret, why, n);
}

static int cmp_claim(const void *a, const void *b) {
        return strcmp(((const struct undo_claim *) a)->dev, ((const struct undo_claim *) b)->dev);
}
static int cmp_vfs(const void *a, const void *b) {
        return strcmp(((const struct undo_vfs *) a)->pf, ((const struct undo_vfs *) b)->pf);
}

char *undo_record_format(const struct undo_record *r) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);
        if (!f)
                return NULL;
        /* sorted: the same record is the same file */
        if (r->n_claims)
                qsort(r->claims, r->n_claims, sizeof(*r->claims), cmp_claim);
        if (r->n_vfs)
                qsort(r->vfs, r->n_vfs, sizeof(*r->vfs), cmp_vfs);
        fputs(UNDO_HEADER "\n", f);
        for (size_t i = 0; i < r->n_claims; i++) {
                const struct undo_claim *c = &r->claims[i];
                fprintf(f, "claim %s %04x:%04x from=%s override=%s\n", c->dev, c->id.vendor, c->id.device,
                        *c->from ? c->from : "-", c->override);
        }
        for (size_t i = 0; i < r->n_vfs; i++) {
                const struct undo_vfs *v = &r->vfs[i];
                fprintf(f, "vfs %s %04x:%04x numvfs=%u autoprobe=%s\n", v->pf, v->id.vendor, v->id.device, v->numvfs,
                        v->autoprobe < 0 ? "-" : v->autoprobe ? "1" : "0");
        }
        for (size_t i = 0; i < r->n_vfsets; i++)
                fprintf(f, "vfset %s vf=%u %s\n", r->vfsets[i].pf, r->vfsets[i].vf, r->vfsets[i].setting);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

int undo_record_save(const struct undo_record *r) {
        if (!r->n_claims && !r->n_vfs && !r->n_vfsets)
                return unlink(undo_record_path()) < 0 && errno != ENOENT ? -errno : 0;
        _cleanup_free_ char *s = undo_record_format(r);
        if (!s)
                return -ENOMEM;
        int k = mkdir_p(path_runtime_dir(), 0755);
        if (k < 0)
                return k;
        k = atomic_update(undo_record_path(), s, strlen(s), 0644);
        return k < 0 ? k : 0;
}
