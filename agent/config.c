/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The only module that includes ini.h. inih reports neither line numbers to
 * its handler nor more than the first error, so lines reach it through our
 * own reader, which counts them, screens what inih would reject (syntax,
 * over-long lines, bytes that are not UTF-8) into our error list, and hands
 * inih a blank line in their place. */
#include <ctype.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include <ini.h>

#include "cmdline.h"
#include "config.h"
#include "pci.h"
#include "paths.h"

#define CONFIG_MAX_FILE (1024 * 1024)
#define NUM_VFS_UNSET ((unsigned) -1)
#define NUM_VFS_INVALID ((unsigned) -2)

enum section_type {
        SECTION_NONE, /* before the first header */
        SECTION_BAD,  /* a header we rejected: its keys are not reported again */
        SECTION_GLOBAL,
        SECTION_SRIOV,
        SECTION_SRIOV_VF,
        SECTION_VFIO,
};

struct seen {
        char *section, *key; /* normalised section name */
        size_t file;
        unsigned line;
};

struct parse_ctx {
        struct config *cfg;
        size_t file;      /* index into cfg->files */
        const char *name; /* file name for messages */
        const char *text, *pos, *end;
        unsigned line;
        bool continuation; /* the line being handled continues the previous key */
        bool have_prev_key;
        enum section_type section;
        char section_norm[96];
        struct sriov_rule *rule;
        struct vf_rule *vf; /* in [sriov-vf SELECTOR INDEX] */
        struct seen *seen;
        size_t n_seen;
        int oom;
};

static int add_error(struct config *c, const char *file, unsigned line, const char *fmt, ...)
        _printf_(4, 5);
static int add_error(struct config *c, const char *file, unsigned line, const char *fmt, ...) {
        _cleanup_free_ char *m = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (!m)
                return -ENOMEM;
        char *e = line ? strdupf("%s:%u: %s", file, line, m) : strdupf("%s: %s", file, m);
        if (!e)
                return -ENOMEM;
        return strv_push(&c->errors, e);
}

#define ctx_error(ctx, ...)                                                           \
        do {                                                                          \
                if (add_error((ctx)->cfg, (ctx)->name, (ctx)->line, __VA_ARGS__) < 0) \
                        (ctx)->oom = -ENOMEM;                                         \
        } while (0)

static char *skip_blank(const char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        return (char *) s;
}

static void strip_blank(char *s) {
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                s[--n] = 0;
}

const char *selector_format(const struct selector *s, char *buf, size_t n) {
        char a[PCI_ADDR_MAX];
        switch (s->kind) {
        case SELECTOR_ADDR:
                if (s->pin.set)
                        snprintf(buf, n, "%s@%04x:%04x", pci_addr_format(&s->addr, a), s->pin.id.vendor,
                                 s->pin.id.device);
                else
                        snprintf(buf, n, "%s", pci_addr_format(&s->addr, a));
                break;
        case SELECTOR_ID:
                snprintf(buf, n, "%04x:%04x", s->id.vendor, s->id.device);
                break;
        case SELECTOR_DRIVER:
                snprintf(buf, n, "driver=%s", s->driver);
                break;
        case SELECTOR_MAC: {
                char m[MAC_MAX];
                snprintf(buf, n, "mac=%s", mac_format(s->mac, m));
                break;
        }
        case SELECTOR_IFNAME:
                snprintf(buf, n, "%s", s->ifname);
                break;
        }
        return buf;
}

int pinned_addr_parse(const char *s, struct pci_addr *addr, struct pin *pin, const char **why) {
        char buf[64];
        const char *at = strchr(s, '@');

        *pin = (struct pin) {};
        if (!at)
                return pci_addr_parse(s, addr, why);
        if ((size_t) (at - s) >= sizeof(buf)) {
                *why = "not a PCI address (0000:3b:00.0)";
                return -EINVAL;
        }
        snprintf(buf, sizeof(buf), "%.*s", (int) (at - s), s);
        if (pci_addr_parse(buf, addr, why) < 0)
                return -EINVAL;
        if (pci_id_parse(at + 1, &pin->id, why) < 0) {
                *why = "the identity after '@' is a vendor:device ID: 0000:3b:00.0@8086:1521";
                return -EINVAL;
        }
        pin->set = true;
        return 0;
}

static int selector_parse(const char *s, struct selector *ret, const char **why) {
        struct selector sel = {};
        const char *at = strchr(s, '@');

        if (at && memchr(s, ':', (size_t) (at - s)) && strncmp(s, "mac=", 4) != 0) {
                /* ADDR@VENDOR:DEVICE (an interface name has no ':') */
                sel.kind = SELECTOR_ADDR;
                if (pinned_addr_parse(s, &sel.addr, &sel.pin, why) < 0)
                        return -EINVAL;
        } else if (strncmp(s, "driver=", 7) == 0) {
                if (!pci_driver_name_valid(s + 7)) {
                        *why = "driver= takes a kernel driver name such as igb or ixgbe";
                        return -EINVAL;
                }
                sel.kind = SELECTOR_DRIVER;
                snprintf(sel.driver, sizeof(sel.driver), "%s", s + 7);
        } else if (strncmp(s, "mac=", 4) == 0) {
                const char *w;
                char lower[MAC_MAX];
                if (strlen(s + 4) != MAC_MAX - 1) {
                        *why = "mac= takes the PF's permanent MAC address: mac=3c:fd:fe:12:34:56";
                        return -EINVAL;
                }
                for (size_t i = 0; i < MAC_MAX; i++)
                        lower[i] = (char) tolower((unsigned char) s[4 + i]);
                if (mac_parse(lower, sel.mac, &w) < 0) {
                        *why = "mac= takes the PF's permanent MAC address: mac=3c:fd:fe:12:34:56";
                        return -EINVAL;
                }
                sel.kind = SELECTOR_MAC;
        } else if (!strchr(s, ':') && s[strspn(s, "0123456789abcdefABCDEF.")]) {
                /* no colon: neither an address nor an ID, and the kernel
                 * allows none in an interface name (hex digits and dots
                 * alone are an address missing its bus) */
                if (!ifname_valid(s)) {
                        *why = "not a PCI address (0000:3b:00.0), vendor:device ID (8086:1521), mac=MAC, "
                               "driver=NAME or interface name (at most 15 characters, no '/' or blanks)";
                        return -EINVAL;
                }
                sel.kind = SELECTOR_IFNAME;
                snprintf(sel.ifname, sizeof(sel.ifname), "%s", s);
        } else if (strchr(s, '.') || strchr(s, ':') != strrchr(s, ':') || strcspn(s, ":") <= 2) {
                /* dotted, two colons, or a 2-digit bus first: meant as an address */
                sel.kind = SELECTOR_ADDR;
                if (pci_addr_parse(s, &sel.addr, why) < 0)
                        return -EINVAL;
        } else {
                sel.kind = SELECTOR_ID;
                if (pci_id_parse(s, &sel.id, why) < 0) {
                        *why = "not a PCI address (0000:3b:00.0), vendor:device ID (8086:1521), mac=MAC, "
                               "driver=NAME or interface name";
                        return -EINVAL;
                }
        }
        *ret = sel;
        return 0;
}

static bool selector_eq(const struct selector *a, const struct selector *b) {
        if (a->kind != b->kind)
                return false;
        switch (a->kind) {
        case SELECTOR_ADDR:
                return pci_addr_eq(&a->addr, &b->addr);
        case SELECTOR_ID:
                return pci_id_eq(&a->id, &b->id);
        case SELECTOR_DRIVER:
                return streq(a->driver, b->driver);
        case SELECTOR_MAC:
                return memcmp(a->mac, b->mac, 6) == 0;
        case SELECTOR_IFNAME:
                return streq(a->ifname, b->ifname);
        }
        return false;
}

/* The [sriov SELECTOR] rule, made (as if its header came now) when new. */
static struct sriov_rule *rule_for(struct parse_ctx *ctx, const struct selector *sel) {
        struct config *c = ctx->cfg;
        for (size_t i = 0; i < c->n_sriov; i++)
                if (selector_eq(&c->sriov[i].sel, sel))
                        return &c->sriov[i];
        struct sriov_rule *m = realloc(c->sriov, (c->n_sriov + 1) * sizeof(*m));
        if (!m) {
                ctx->oom = -ENOMEM;
                return NULL;
        }
        c->sriov = m;
        m = &c->sriov[c->n_sriov];
        *m = (struct sriov_rule) {
                .sel = *sel,
                .vf_driver = VF_DRIVER_HOST,
                .num_vfs = NUM_VFS_UNSET,
                .origin = strdupf("%s:%u", ctx->name, ctx->line),
        };
        if (!m->origin) {
                ctx->oom = -ENOMEM;
                return NULL;
        }
        c->n_sriov++;
        return m;
}

/* [sriov ADDR@ID] after [sriov ADDR] (or [sriov-vf ADDR@ID N]): one PF,
 * one identity. false (said) when two sections pin two identities. */
static bool merge_pin(struct parse_ctx *ctx, struct sriov_rule *rule, const struct selector *sel) {
        if (!sel->pin.set)
                return true;
        if (rule->sel.pin.set && !pci_id_eq(&rule->sel.pin.id, &sel->pin.id)) {
                ctx_error(ctx, "[sriov ...@%04x:%04x]: the same PF is pinned to %04x:%04x by the section at %s",
                          sel->pin.id.vendor, sel->pin.id.device, rule->sel.pin.id.vendor, rule->sel.pin.id.device,
                          rule->origin);
                return false;
        }
        rule->sel.pin = sel->pin;
        return true;
}

/* [sriov-vf SELECTOR INDEX]: one VF of the PF that [sriov SELECTOR] names */
static void sriov_vf_header(struct parse_ctx *ctx, char *arg) {
        char norm[SELECTOR_MAX];
        struct selector sel;
        const char *why;
        unsigned index;

        char *sp = arg + strcspn(arg, " \t");
        char *idx = skip_blank(sp);
        if (!*arg || !*idx || idx[strcspn(idx, " \t")]) {
                ctx_error(ctx, "[sriov-vf] needs a PF selector and a VF index: [sriov-vf 0000:3b:00.0 1]");
                return;
        }
        *sp = 0;
        if (selector_parse(arg, &sel, &why) < 0) {
                ctx_error(ctx, "[sriov-vf %s %s]: %s", arg, idx, why);
                return;
        }
        if (parse_decimal(idx, &index) < 0 || index > 65535) {
                ctx_error(ctx, "[sriov-vf %s %s]: '%s' is not a VF index (0 to num_vfs - 1)", arg, idx, idx);
                return;
        }
        selector_format(&sel, norm, sizeof(norm));
        snprintf(ctx->section_norm, sizeof(ctx->section_norm), "sriov-vf %s %u", norm, index);
        bool existed = false;
        for (size_t i = 0; i < ctx->cfg->n_sriov; i++)
                existed = existed || selector_eq(&ctx->cfg->sriov[i].sel, &sel);
        struct sriov_rule *rule = rule_for(ctx, &sel);
        if (!rule || !merge_pin(ctx, rule, &sel))
                return;
        if (!existed)
                rule->vf_only = true;
        for (size_t i = 0; i < rule->n_vfs; i++)
                if (rule->vfs[i].index == index)
                        ctx->vf = &rule->vfs[i];
        if (!ctx->vf) {
                struct vf_rule *m = realloc(rule->vfs, (rule->n_vfs + 1) * sizeof(*m));
                if (!m) {
                        ctx->oom = -ENOMEM;
                        return;
                }
                rule->vfs = m;
                m[rule->n_vfs] = (struct vf_rule) { .index = index, .origin = strdupf("%s:%u", ctx->name, ctx->line) };
                if (!m[rule->n_vfs].origin) {
                        ctx->oom = -ENOMEM;
                        return;
                }
                ctx->vf = &m[rule->n_vfs++];
        }
        ctx->rule = rule;
        ctx->section = SECTION_SRIOV_VF;
}

/* A section header line, "[...]": set up ctx->section. */
static void header(struct parse_ctx *ctx, const char *line) {
        char buf[CONFIG_MAX_LINE + 1];
        const char *close = strchr(line, ']');
        const char *why;

        ctx->section = SECTION_BAD;
        ctx->rule = NULL;
        ctx->vf = NULL;
        ctx->have_prev_key = false;
        if (!close) {
                ctx_error(ctx, "section header lacks ']'");
                return;
        }
        if (*skip_blank(close + 1) && !strchr(";#", *skip_blank(close + 1))) {
                ctx_error(ctx, "text after section header");
                return;
        }
        snprintf(buf, sizeof(buf), "%.*s", (int) (close - line - 1), line + 1);
        strip_blank(buf);
        char *name = skip_blank(buf);
        /* inih keeps 50 bytes of a section name */
        if (strlen(name) >= 50) {
                ctx_error(ctx, "section name too long");
                return;
        }
        if (streq(name, "global")) {
                ctx->section = SECTION_GLOBAL;
                snprintf(ctx->section_norm, sizeof(ctx->section_norm), "global");
        } else if (streq(name, "vfio")) {
                ctx->section = SECTION_VFIO;
                snprintf(ctx->section_norm, sizeof(ctx->section_norm), "vfio");
        } else if (strncmp(name, "sriov-vf", 8) == 0 && (name[8] == ' ' || name[8] == '\t' || !name[8])) {
                sriov_vf_header(ctx, skip_blank(name + 8));
        } else if (strncmp(name, "sriov", 5) == 0 && (name[5] == ' ' || name[5] == '\t' || !name[5])) {
                struct selector sel;
                char *arg = skip_blank(name + 5);
                char norm[SELECTOR_MAX];

                if (!*arg) {
                        ctx_error(ctx, "[sriov] needs a selector: [sriov 0000:3b:00.0], [sriov "
                                       "8086:1521] or [sriov driver=igb]");
                        return;
                }
                if (selector_parse(arg, &sel, &why) < 0) {
                        ctx_error(ctx, "[sriov %s]: %s", arg, why);
                        return;
                }
                selector_format(&sel, norm, sizeof(norm));
                snprintf(ctx->section_norm, sizeof(ctx->section_norm), "sriov %s", norm);
                if (!(ctx->rule = rule_for(ctx, &sel)) || !merge_pin(ctx, ctx->rule, &sel)) {
                        ctx->rule = NULL;
                        return;
                }
                if (ctx->rule->vf_only) { /* made by an earlier [sriov-vf]: this is its header */
                        ctx->rule->vf_only = false;
                        free(ctx->rule->origin);
                        if (!(ctx->rule->origin = strdupf("%s:%u", ctx->name, ctx->line))) {
                                ctx->oom = -ENOMEM;
                                return;
                        }
                }
                ctx->section = SECTION_SRIOV;
        } else
                ctx_error(ctx, "unknown section [%s] (known: [global], [sriov SELECTOR], "
                               "[sriov-vf SELECTOR INDEX], [vfio])", name);
}

/* A '#' or ';' after a blank starts a comment, for every key (vfpt.conf(5));
 * inih itself knows only ';' there. Cuts it and the blanks before it. */
static void strip_inline_comment(char *line) {
        for (char *p = line + 1; *p; p++)
                if ((*p == '#' || *p == ';') && (p[-1] == ' ' || p[-1] == '\t')) {
                        *p = 0;
                        strip_blank(line);
                        return;
                }
}

#define UTF8_BOM "\xef\xbb\xbf"

/* Unicode blanks and invisible characters that a copy from a web page or a
 * word processor leaves in a value: they look like a blank (or nothing) in
 * every message quoting the value, so they are named. NULL if none. */
static const char *invisible_char(const char *s, char code[static 8]) {
        static const struct {
                const char *bytes, *name;
        } table[] = {
                { "\xc2\xa0", "U+00A0 (a no-break space)" },
                { "\xe2\x80\x8b", "U+200B (a zero-width space)" },
                { "\xe2\x80\x8c", "U+200C (a zero-width non-joiner)" },
                { "\xe2\x80\x8d", "U+200D (a zero-width joiner)" },
                { "\xe2\x80\xaf", "U+202F (a narrow no-break space)" },
                { "\xe2\x81\xa0", "U+2060 (a word joiner)" },
                { "\xe3\x80\x80", "U+3000 (an ideographic space)" },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strstr(s, table[i].bytes))
                        return table[i].name;
        /* U+2000..U+200A: the typographic spaces */
        for (const char *p = s; (p = strstr(p, "\xe2\x80")); p += 2)
                if ((unsigned char) p[2] >= 0x80 && (unsigned char) p[2] <= 0x8a) {
                        snprintf(code, 8, "U+20%02X", (unsigned char) p[2] - 0x80);
                        return code;
                }
        return NULL;
}

/* Screens one line the way inih will see it. Returns true to pass it on. */
static bool screen_line(struct parse_ctx *ctx, char *line, size_t len) {
        if (strlen(line) != len) {
                ctx_error(ctx, "NUL byte in line");
                return false;
        }
        if (!utf8_is_valid(line, len)) {
                ctx_error(ctx, "line is not valid UTF-8");
                return false;
        }
        /* what inih does not take (reader() took what it does: the BOM
         * opening the file, CRs ending a line), named, for a parser's
         * "text after section header" hides an invisible cause */
        if (strchr(line, '\r')) {
                ctx_error(ctx, "carriage return (CR, \\r) inside the line: lines end in LF or CRLF here, not CR "
                               "(a file saved with old Mac line ends?); convert it: tr '\\r' '\\n'");
                return false;
        }
        if (strstr(line, UTF8_BOM)) {
                ctx_error(ctx, "UTF-8 byte order mark (U+FEFF) %s: only the file's first bytes may hold one; "
                               "remove it", ctx->line == 1 && strncmp(line, UTF8_BOM, 3) == 0 ? "twice at the start" : "inside the file");
                return false;
        }
        if (len > CONFIG_MAX_LINE) {
                ctx_error(ctx,
                          "line is %zu bytes, longer than the %d the parser takes; split a long "
                          "list over indented continuation lines",
                          len, CONFIG_MAX_LINE);
                return false;
        }

        const char *start = skip_blank(line);
        char c = *start;
        ctx->continuation = false;
        if (c == 0 || c == ';' || c == '#')
                return true; /* blank or comment */
        strip_inline_comment(line);
        char code[8];
        const char *inv = invisible_char(line, code);
        if (inv) {
                ctx_error(ctx, "line holds %s, which looks like a blank or nothing but is neither; "
                               "type it again with plain spaces", inv);
                return false;
        }
        if (start > line && ctx->have_prev_key) {
                ctx->continuation = true;
                return true;
        }
        if (c == '[') {
                header(ctx, start);
                return true;
        }
        if (!strpbrk(start, "=:")) {
                ctx_error(ctx, "expected KEY = VALUE, got '%s'", start);
                return false;
        }
        ctx->have_prev_key = true;
        return true;
}

/* inih's fgets-style reader */
static char *reader(char *str, int num, void *stream) {
        struct parse_ctx *ctx = stream;

        if (ctx->pos >= ctx->end)
                return NULL;
        const char *nl = memchr(ctx->pos, '\n', (size_t) (ctx->end - ctx->pos));
        size_t len = nl ? (size_t) (nl - ctx->pos) : (size_t) (ctx->end - ctx->pos);

        ctx->line++;
        /* screen on the whole original line */
        _cleanup_free_ char *whole = malloc(len + 1);
        if (!whole) {
                ctx->oom = -ENOMEM;
                return NULL;
        }
        memcpy(whole, ctx->pos, len);
        whole[len] = 0;
        ctx->pos += len + (nl ? 1 : 0);
        /* as inih takes them: a UTF-8 byte order mark opening the file, and
         * CRLF line ends (a file saved on Windows) */
        if (ctx->line == 1 && len >= 3 && memcmp(whole, UTF8_BOM, 3) == 0) {
                memmove(whole, whole + 3, len - 2);
                len -= 3;
        }
        while (len > 0 && whole[len - 1] == '\r') /* inih strips them as trailing space */
                whole[--len] = 0;
        bool pass = screen_line(ctx, whole, len);
        /* strlen(whole) <= CONFIG_MAX_LINE < num - 1 whenever pass is true */
        snprintf(str, (size_t) num, "%s\n", pass ? whole : "");
        return str;
}

static struct seen *seen_find(struct parse_ctx *ctx, const char *key) {
        for (size_t i = 0; i < ctx->n_seen; i++)
                if (streq(ctx->seen[i].section, ctx->section_norm) && streq(ctx->seen[i].key, key))
                        return &ctx->seen[i];
        return NULL;
}

/* Records that key is set here. Returns 1 if it was set in an earlier file
 * (the later value wins, lists restart), 0 if new, -EEXIST after reporting a
 * duplicate in the same file. */
static int seen_record(struct parse_ctx *ctx, const char *key) {
        struct seen *s = seen_find(ctx, key);
        if (s) {
                if (s->file == ctx->file) {
                        ctx_error(ctx, "%s set again in [%s] (first at line %u)", key,
                                  ctx->section_norm, s->line);
                        return -EEXIST;
                }
                s->file = ctx->file;
                s->line = ctx->line;
                return 1;
        }
        struct seen *m = realloc(ctx->seen, (ctx->n_seen + 1) * sizeof(*m));
        if (!m)
                return ctx->oom = -ENOMEM;
        ctx->seen = m;
        m[ctx->n_seen] = (struct seen) { strdup(ctx->section_norm), strdup(key), ctx->file, ctx->line };
        if (!m[ctx->n_seen].section || !m[ctx->n_seen].key) {
                free(m[ctx->n_seen].section);
                free(m[ctx->n_seen].key);
                return ctx->oom = -ENOMEM;
        }
        ctx->n_seen++;
        return 0;
}

static int parse_bool(const char *v) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

static bool kernel_arg_valid(const char *a) {
        /* name[=value]; nothing that GRUB's quoting or the shell could bend */
        if (!*a || *a == '=')
                return false;
        for (const char *p = a; *p; p++)
                if (*p <= ' ' || *p > '~' || strchr("\"'\\$`;&|<>(){}", *p))
                        return false;
        return true;
}

/* kernel_args is a list, and lists split on commas too, but a comma inside
 * one kernel argument's value is that argument's own option list to the
 * kernel (iommu=off,pt; intel_iommu=on,igfx_off). So: a comma beside a blank
 * or at either end of a word separates (intel_iommu=on, iommu=pt), and so
 * does one before the word's '=' or in a word without '=' (quiet,splash:
 * parse_args() would take the whole as one unknown name); a comma inside
 * a value stays in it; and a comma inside a word before NAME= (intel_iommu=on,iommu=pt)
 * could be either, so it is an error that says to use a blank. *l is
 * rewritten without the separating commas. -EINVAL after reporting. */
static int kernel_args_commas(struct parse_ctx *ctx, char ***l) {
        _cleanup_strv_free_ char **out = NULL;
        for (char **a = *l; *a; a++) {
                char *w = *a + strspn(*a, ",");
                size_t n = strlen(w);
                while (n > 0 && w[n - 1] == ',')
                        w[--n] = 0;
                if (!*w)
                        continue;
                /* a comma before the '=' (or in a word without one) separates:
                 * no kernel parameter has a comma in its name (quiet,splash) */
                for (char *c; (c = strchr(w, ',')) && (!strchr(w, '=') || c < strchr(w, '='));) {
                        *c = 0;
                        if (*w && strv_extend(&out, w) < 0)
                                return ctx->oom = -ENOMEM;
                        w = c + 1;
                }
                if (!*w)
                        continue;
                for (const char *c = strchr(w, ','); c; c = strchr(c + 1, ',')) {
                        size_t k = strspn(c + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-");
                        if (k > 0 && c[1 + k] == '=') {
                                _cleanup_free_ char *fixed = strdup(w);
                                if (!fixed)
                                        return ctx->oom = -ENOMEM;
                                for (char *p = fixed; *p; p++)
                                        if (*p == ',' && p[1] && strchr(p + 1, '=') &&
                                            strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                          "0123456789_.-") == (size_t) (strchr(p + 1, '=') - p - 1))
                                                *p = ' ';
                                ctx_error(ctx, "kernel_args: '%s': cannot tell whether '%.*s=' after the comma is an "
                                               "argument of its own or an option of %.*s (the kernel reads a comma as "
                                               "the option list of one argument, as in intel_iommu=on,igfx_off); separate "
                                               "arguments with blanks: %s",
                                          w, (int) k, c + 1, (int) strcspn(w, "="), w, fixed);
                                return -EINVAL;
                        }
                }
                if (strv_extend(&out, w) < 0)
                        return ctx->oom = -ENOMEM;
        }
        if (!out && strv_split_ws("", &out) < 0)
                return ctx->oom = -ENOMEM;
        strv_free(*l);
        *l = TAKE_PTR(out);
        return 0;
}

/* Arguments that cannot all be in effect as the kernel reads them
 * (iommu=off,pt; intel_iommu=on intel_iommu=off; foo=1 foo=2): apply could
 * never make the boot loader say them, so the config is refused here, at the
 * line that completes the contradiction (one of its arguments at index from
 * or later: a continuation line repeats nothing said already). */
static void kernel_args_contradiction(struct parse_ctx *ctx, char *const *args, size_t from) {
        int against, i = cmdline_contradiction(args, &against);
        if (i < 0 || ((size_t) i < from && (size_t) against < from))
                return;
        if (against == i)
                ctx_error(ctx, "kernel_args: '%s' is not in effect as the kernel reads it (its options "
                               "contradict each other, or one the kernel stops at hides the rest)", args[i]);
        else
                ctx_error(ctx, "kernel_args: '%s' and '%s' cannot both be in effect: the kernel would not have "
                               "'%s'; keep one", args[i], args[against], args[i]);
}

static bool account_name_valid(const char *s) {
        if (!*s || strlen(s) > 32)
                return false;
        for (const char *p = s; *p; p++)
                if (!(isalnum((unsigned char) *p) || *p == '_' || *p == '-' || (*p == '.' && p != s)))
                        return false;
        return true;
}

static void set_global(struct parse_ctx *ctx, const char *key, const char *value) {
        struct config *c = ctx->cfg;
        int r;

        if (streq(key, "kernel_args")) {
                _cleanup_strv_free_ char **l = NULL;
                if (strv_split_ws(value, &l) < 0) {
                        ctx->oom = -ENOMEM;
                        return;
                }
                if (strv_length(l) == 1 && streq(l[0], "auto")) {
                        if (ctx->continuation)
                                ctx_error(ctx, "kernel_args = auto stands alone");
                        c->kernel_args_auto = true;
                        strv_free(c->kernel_args);
                        c->kernel_args = NULL;
                        return;
                }
                if (kernel_args_commas(ctx, &l) < 0)
                        return;
                for (char **a = l; *a; a++)
                        if (strchr(*a, '#')) { /* no kernel parameter has one: a comment lacking its blank */
                                ctx_error(ctx, "kernel_args: '%s': '#' starts a comment only after a blank "
                                               "(vfpt.conf(5)); put a blank before it, or leave it out", *a);
                                return;
                        } else if (cmdline_names_equal(*a, "vfpt") || cmdline_names_equal(*a, "rd.vfpt") ||
                                   cmdline_names_equal(*a, "BOOT_IMAGE") || cmdline_names_equal(*a, "initrd")) {
                                /* vfpt's own switch is for one boot (recovery); the boot
                                 * loader adds BOOT_IMAGE= and initrd= itself */
                                ctx_error(ctx, "kernel_args: '%s' is no argument to make permanent (%s)", *a,
                                          cmdline_names_equal(*a, "BOOT_IMAGE") || cmdline_names_equal(*a, "initrd")
                                                  ? "the boot loader adds it on every boot"
                                                  : "vfpt's switch is typed at the boot prompt for one boot");
                                return;
                        } else if (!kernel_arg_valid(*a) || streq(*a, "auto")) {
                                ctx_error(ctx, "kernel_args: '%s' is not a kernel parameter (name or "
                                               "name=value, no quotes or shell characters)", *a);
                                return;
                        }
                size_t before = ctx->continuation ? strv_length(c->kernel_args) : 0;
                if (!ctx->continuation) {
                        strv_free(c->kernel_args);
                        c->kernel_args = NULL;
                        c->kernel_args_auto = false;
                } else if (c->kernel_args_auto) {
                        ctx_error(ctx, "kernel_args = auto stands alone");
                        return;
                }
                for (char **a = l; *a; a++)
                        if (strv_extend(&c->kernel_args, *a) < 0)
                                ctx->oom = -ENOMEM;
                kernel_args_contradiction(ctx, c->kernel_args, before);
        } else if (streq(key, "patch_grub")) {
                r = parse_bool(value);
                if (r < 0)
                        ctx_error(ctx, "patch_grub: '%s' is not yes or no", value);
                else
                        c->patch_grub = r;
        } else if (streq(key, "iommu_group")) {
                if (streq(value, "strict"))
                        c->iommu_group = GROUP_STRICT;
                else if (streq(value, "group"))
                        c->iommu_group = GROUP_GROUP;
                else if (streq(value, "warn"))
                        c->iommu_group = GROUP_WARN;
                else
                        ctx_error(ctx, "iommu_group: '%s' is not strict, group or warn", value);
        } else
                ctx_error(ctx, "unknown key '%s' in [global] (known: kernel_args, patch_grub, "
                               "iommu_group)", key);
}

/* Counts and numeric ids: decimal, as vfpt.conf(5) says. Reports and
 * returns -EINVAL for anything else, saying what is wrong with it. */
static int number(struct parse_ctx *ctx, const char *key, const char *value, unsigned *ret) {
        int r = parse_decimal(value, ret);
        if (r >= 0)
                return 0;
        if (value[0] == '-' && parse_decimal(value + 1, &(unsigned) { 0 }) >= 0)
                ctx_error(ctx, "%s: '%s' is negative", key, value);
        else if ((value[0] == '+' || value[0] == '-') && value[1] >= '0' && value[1] <= '9')
                ctx_error(ctx, "%s: '%s': write the number without a sign", key, value);
        else if (value[0] == '0' && value[strspn(value, "0123456789")] == 0)
                ctx_error(ctx, "%s: '%s' has a leading zero; numbers here are decimal (octal is "
                               "for mode only)", key, value);
        else
                ctx_error(ctx, "%s: '%s' is not a decimal number", key, value);
        return -EINVAL;
}

int mac_parse(const char *s, uint8_t ret[static 6], const char **why) {
        uint8_t m[6];
        for (int i = 0; i < 6; i++) {
                const char *p = s + i * 3;
                if (!isxdigit((unsigned char) p[0]) || !isxdigit((unsigned char) p[1]) ||
                    p[2] != (i == 5 ? 0 : ':')) {
                        *why = "not a MAC address such as 02:00:00:3b:00:01";
                        return -EINVAL;
                }
                m[i] = (uint8_t) strtoul((char[]) { p[0], p[1], 0 }, NULL, 16);
        }
        if (m[0] & 1) {
                *why = "is a multicast address; a VF needs a unicast one";
                return -EINVAL;
        }
        if (!(m[0] | m[1] | m[2] | m[3] | m[4] | m[5])) {
                *why = "is all zeros";
                return -EINVAL;
        }
        memcpy(ret, m, 6);
        return 0;
}

const char *mac_format(const uint8_t mac[static 6], char buf[static MAC_MAX]) {
        snprintf(buf, MAC_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
        return buf;
}

const char *vf_link_state_to_string(enum vf_link_state l) {
        return l == VF_LINK_ENABLE ? "enable" : l == VF_LINK_DISABLE ? "disable" : "auto";
}

const char *vlan_proto_to_string(unsigned p) {
        return p == VLAN_PROTO_8021AD ? "802.1ad" : "802.1Q";
}

/* The keys of [sriov] and [sriov-vf] that set VFs. 1: handled (or
 * reported), 0: not such a key. */
static int set_vf_key(struct parse_ctx *ctx, struct vf_settings *v, const char *key, const char *value) {
        const char *why;
        unsigned n;
        int b;

        if (streq(key, "spoofchk") || streq(key, "trust") || streq(key, "query_rss")) {
                b = parse_bool(value);
                if (b < 0) {
                        ctx_error(ctx, "%s: '%s' is not on or off", key, value);
                        return 1;
                }
                if (streq(key, "spoofchk")) {
                        v->spoofchk = b;
                        v->set |= VF_SET_SPOOFCHK;
                } else if (streq(key, "trust")) {
                        v->trust = b;
                        v->set |= VF_SET_TRUST;
                } else {
                        v->query_rss = b;
                        v->set |= VF_SET_QUERY_RSS;
                }
        } else if (streq(key, "vlan")) {
                if (number(ctx, key, value, &n) < 0)
                        return 1;
                if (n > 4094) {
                        ctx_error(ctx, "vlan: %u is not a VLAN ID (1 to 4094, 0 for none)", n);
                        return 1;
                }
                v->vlan = n;
                v->set |= VF_SET_VLAN;
        } else if (streq(key, "qos")) {
                if (number(ctx, key, value, &n) < 0)
                        return 1;
                if (n > 7) {
                        ctx_error(ctx, "qos: %u is not an 802.1p priority (0 to 7)", n);
                        return 1;
                }
                v->qos = n;
                v->set |= VF_SET_VLAN;
        } else if (streq(key, "vlan_proto")) {
                if (strcasecmp(value, "802.1Q") == 0)
                        v->vlan_proto = VLAN_PROTO_8021Q;
                else if (strcasecmp(value, "802.1ad") == 0)
                        v->vlan_proto = VLAN_PROTO_8021AD;
                else {
                        ctx_error(ctx, "vlan_proto: '%s' is not 802.1Q or 802.1ad", value);
                        return 1;
                }
                v->set |= VF_SET_VLAN;
        } else if (streq(key, "link_state")) {
                if (streq(value, "auto"))
                        v->link_state = VF_LINK_AUTO;
                else if (streq(value, "enable"))
                        v->link_state = VF_LINK_ENABLE;
                else if (streq(value, "disable"))
                        v->link_state = VF_LINK_DISABLE;
                else {
                        ctx_error(ctx, "link_state: '%s' is not auto, enable or disable", value);
                        return 1;
                }
                v->set |= VF_SET_LINK_STATE;
        } else if (streq(key, "min_tx_rate") || streq(key, "max_tx_rate")) {
                if (number(ctx, key, value, &n) < 0)
                        return 1;
                if (n > 4000000) {
                        ctx_error(ctx, "%s: %u Mbit/s is more than any link carries", key, n);
                        return 1;
                }
                *(streq(key, "min_tx_rate") ? &v->min_tx_rate : &v->max_tx_rate) = n;
                v->set |= VF_SET_RATE;
        } else if (streq(key, "mac") && ctx->section == SECTION_SRIOV_VF) {
                if (mac_parse(value, v->mac, &why) < 0) {
                        ctx_error(ctx, "mac: '%s' %s", value, why);
                        return 1;
                }
                v->set |= VF_SET_MAC;
        } else
                return 0;
        return 1;
}

#define VF_KEYS "spoofchk, trust, vlan, qos, vlan_proto, link_state, min_tx_rate, max_tx_rate, query_rss"

static void set_sriov_vf(struct parse_ctx *ctx, const char *key, const char *value) {
        if (!set_vf_key(ctx, &ctx->vf->s, key, value))
                ctx_error(ctx, "unknown key '%s' in [%s] (known: mac, " VF_KEYS ")", key, ctx->section_norm);
}

static void set_sriov(struct parse_ctx *ctx, const char *key, const char *value) {
        struct sriov_rule *rule = ctx->rule;
        unsigned n;

        if (streq(key, "num_vfs")) {
                rule->num_vfs = NUM_VFS_INVALID; /* given, so "lacks num_vfs" would be noise */
                if (number(ctx, key, value, &n) < 0)
                        ;
                else if (n > 65535)
                        ctx_error(ctx, "num_vfs: %u is more than any PCI device supports (65535)", n);
                else
                        rule->num_vfs = n;
        } else if (streq(key, "vf_driver")) {
                const char *why _unused_;
                if (streq(value, "host"))
                        rule->vf_driver = VF_DRIVER_HOST;
                else if (claim_driver_parse(value, rule->vf_claim, &why) == 0)
                        rule->vf_driver = VF_DRIVER_VFIO;
                else {
                        ctx_error(ctx, "vf_driver: '%s' is not host, vfio-pci, pci-stub or a vfio-pci variant driver "
                                       "(NAME_vfio_pci, e.g. mlx5_vfio_pci)", value);
                        return;
                }
                free(rule->vf_driver_origin);
                if (!(rule->vf_driver_origin = strdupf("%s:%u", ctx->name, ctx->line)))
                        ctx->oom = -ENOMEM;
        } else if (streq(key, "vf_mac_base")) {
                const char *why;
                if (mac_parse(value, rule->mac_base, &why) < 0)
                        ctx_error(ctx, "vf_mac_base: '%s' %s", value, why);
                else
                        rule->has_mac_base = true;
        } else if (streq(key, "mac"))
                ctx_error(ctx, "mac: one MAC for every VF; use vf_mac_base here (VF i gets it plus i), or mac "
                               "in [sriov-vf %s INDEX]", ctx->section_norm + 6);
        else if (!set_vf_key(ctx, &rule->all, key, value))
                ctx_error(ctx, "unknown key '%s' in [%s] (known: num_vfs, vf_driver, vf_mac_base, " VF_KEYS ")",
                          key, ctx->section_norm);
}

static void set_vfio(struct parse_ctx *ctx, const char *key, const char *value, bool restart) {
        struct config *c = ctx->cfg;
        _cleanup_strv_free_ char **l = NULL;
        const char *why;

        if (streq(key, "devices") || streq(key, "ids") || streq(key, "force")) {
                bool dev = !streq(key, "ids");
                struct vfio_device **list = streq(key, "force") ? &c->force : &c->vfio_devices;
                size_t *count = streq(key, "force") ? &c->n_force : &c->n_vfio_devices;
                _cleanup_free_ char *copy = strdup(value);
                if (!copy) {
                        ctx->oom = -ENOMEM;
                        return;
                }
                for (char *p = copy; *p; p++) /* commas separate too */
                        if (*p == ',')
                                *p = ' ';
                if (strv_split_ws(copy, &l) < 0) {
                        ctx->oom = -ENOMEM;
                        return;
                }
                if (restart) {
                        if (dev) {
                                for (size_t i = 0; i < *count; i++)
                                        free((*list)[i].origin);
                                *count = 0;
                        } else {
                                for (size_t i = 0; i < c->n_vfio_ids; i++)
                                        free(c->vfio_ids[i].origin);
                                c->n_vfio_ids = 0;
                        }
                }
                for (char **w = l; *w; w++) {
                        if (dev) {
                                struct pci_addr a;
                                struct pin pin;
                                if (pinned_addr_parse(*w, &a, &pin, &why) < 0) {
                                        ctx_error(ctx, "%s: '%s': %s", key, *w, why);
                                        continue;
                                }
                                struct vfio_device *m = realloc(*list, (*count + 1) * sizeof(*m));
                                if (!m)
                                        goto oom;
                                *list = m;
                                m[*count] = (struct vfio_device) { a, strdupf("%s:%u", ctx->name, ctx->line), pin };
                                if (!m[*count].origin)
                                        goto oom;
                                (*count)++;
                        } else {
                                struct pci_id id;
                                if (pci_id_parse(*w, &id, &why) < 0) {
                                        ctx_error(ctx, "ids: '%s': %s", *w, why);
                                        continue;
                                }
                                struct vfio_id *m = realloc(c->vfio_ids, (c->n_vfio_ids + 1) * sizeof(*m));
                                if (!m)
                                        goto oom;
                                c->vfio_ids = m;
                                m[c->n_vfio_ids] = (struct vfio_id) { id, strdupf("%s:%u", ctx->name, ctx->line) };
                                if (!m[c->n_vfio_ids].origin)
                                        goto oom;
                                c->n_vfio_ids++;
                        }
                }
        } else if (streq(key, "owner") || streq(key, "group")) {
                char **dst = streq(key, "owner") ? &c->vfio_owner : &c->vfio_group;
                unsigned id;
                /* all digits (or a sign and digits): a numeric id, decimal */
                if (strspn(value + (value[0] == '-' || value[0] == '+'), "0123456789") ==
                    strlen(value + (value[0] == '-' || value[0] == '+'))) {
                        if (number(ctx, key, value, &id) < 0)
                                return;
                        if (id == (unsigned) -1) {
                                ctx_error(ctx, "%s: %u is not a usable id", key, id);
                                return;
                        }
                } else if (!account_name_valid(value) || value[0] == '-') {
                        ctx_error(ctx, "%s: '%s' is not a user or group name", key, value);
                        return;
                }
                free(*dst);
                if (!(*dst = strdup(value)))
                        goto oom;
        } else if (streq(key, "driver")) {
                if (claim_driver_parse(value, c->vfio_driver, &why) < 0) {
                        ctx_error(ctx, "driver: '%s' %s", value, why);
                        return;
                }
                free(c->vfio_driver_origin);
                if (!(c->vfio_driver_origin = strdupf("%s:%u", ctx->name, ctx->line)))
                        goto oom;
        } else if (streq(key, "reset_method")) {
                _cleanup_strv_free_ char **w = NULL;
                if (strv_split_ws(value, &w) < 0)
                        goto oom;
                for (size_t i = 0; i < c->n_reset; i++)
                        free(c->reset[i].origin);
                free(c->reset);
                c->reset = NULL;
                c->n_reset = 0;
                for (char **x = w; x && *x; x++) {
                        char *eq = strchr(*x, '=');
                        struct reset_setting rs = {};
                        if (!eq) {
                                ctx_error(ctx, "reset_method: '%s' is not ADDRESS=METHOD[,METHOD]", *x);
                                continue;
                        }
                        *eq = 0;
                        if (pci_addr_parse(*x, &rs.addr, &why) < 0) {
                                ctx_error(ctx, "reset_method: '%s': %s", *x, why);
                                continue;
                        }
                        bool ok = eq[1] != 0;
                        size_t k = 0;
                        for (char *m = eq + 1, *comma; ok && m; m = comma) {
                                comma = strchr(m, ',');
                                if (comma)
                                        *comma++ = 0;
                                if (!pci_reset_method_valid(m)) {
                                        ctx_error(ctx, "reset_method: '%s' is not one of device_specific, acpi, flr, "
                                                       "af_flr, pm, bus, cxl_bus", m);
                                        ok = false;
                                } else
                                        k += (size_t) snprintf(rs.methods + k, sizeof(rs.methods) - k, "%s%s",
                                                               k ? " " : "", m);
                        }
                        if (!ok || k >= sizeof(rs.methods)) {
                                if (ok)
                                        ctx_error(ctx, "reset_method: too many methods for %s", *x);
                                continue;
                        }
                        struct reset_setting *t = realloc(c->reset, (c->n_reset + 1) * sizeof(*t));
                        if (!t)
                                goto oom;
                        c->reset = t;
                        rs.origin = strdupf("%s:%u", ctx->name, ctx->line);
                        if (!rs.origin)
                                goto oom;
                        c->reset[c->n_reset++] = rs;
                }
        } else if (streq(key, "release_framebuffer")) {
                _cleanup_strv_free_ char **w = NULL;
                if (strv_split_ws(value, &w) < 0)
                        goto oom;
                for (char **x = w; x && *x; x++)
                        if (!config_framebuffer_arg(*x)) {
                                ctx_error(ctx, "release_framebuffer: '%s' is not efifb, vesafb or sysfb", *x);
                                return;
                        }
                strv_free(c->release_framebuffer);
                c->release_framebuffer = TAKE_PTR(w);
                free(c->release_framebuffer_origin);
                if (!(c->release_framebuffer_origin = strdupf("%s:%u", ctx->name, ctx->line)))
                        goto oom;
        } else if (streq(key, "mode")) {
                char *end;
                long m = strtol(value, &end, 8);
                if (*end || value[0] < '0' || value[0] > '7' || m < 0 || m > 0777)
                        ctx_error(ctx, "mode: '%s' is not an octal mode such as 0660", value);
                else if (m & 0006)
                        /* opening /dev/vfio/N is all it takes to drive the device */
                        ctx_error(ctx, "mode: %04lo lets every user open /dev/vfio/N and take the device; "
                                       "give access through a group instead (group = kvm, mode = 0660)", m);
                else
                        c->vfio_mode = (int) m;
        } else
                ctx_error(ctx, "unknown key '%s' in [vfio] (known: devices, ids, force, driver, owner, group, mode, "
                               "release_framebuffer, reset_method)", key);
        return;
oom:
        ctx->oom = -ENOMEM;
}

/* A continuation line that reads "KEY = ..." for one of vfpt's keys: an
 * indented key, which INI reads as more of the key above. Its name, or NULL. */
static const char *key_in_continuation(const char *value) {
        static const char *const keys[] = {
                "kernel_args", "patch_grub", "iommu_group", "num_vfs",   "vf_driver", "vf_mac_base",
                "mac",         "spoofchk",   "trust",       "vlan",      "qos",       "vlan_proto",
                "link_state",  "min_tx_rate", "max_tx_rate", "query_rss", "devices",  "ids",
                "force",       "driver",     "owner",       "group",     "mode",      "release_framebuffer",
                "reset_method",
        };
        size_t n = strcspn(value, " \t=");
        if (*skip_blank(value + n) != '=')
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strlen(keys[i]) == n && strncmp(value, keys[i], n) == 0)
                        return keys[i];
        return NULL;
}

static int handler(void *user, const char *section _unused_, const char *key, const char *value) {
        struct parse_ctx *ctx = user;
        bool list = streq(key, "devices") || streq(key, "ids") || streq(key, "force") || streq(key, "kernel_args");
        int r;

        if (ctx->oom)
                return 0;
        switch (ctx->section) {
        case SECTION_BAD:
                return 1;
        case SECTION_NONE:
                ctx_error(ctx, "'%s' is outside any section; put it under [global], [sriov ...] or [vfio]", key);
                return 1;
        default:
                break;
        }
        if (!*value) {
                ctx_error(ctx, "%s: empty value", key);
                return 1;
        }
        if (ctx->continuation) {
                const char *k = key_in_continuation(value);
                if (k) {
                        ctx_error(ctx, "indented '%s' is read as a continuation of %s (an indented line continues "
                                       "the key above); start %s at the beginning of the line",
                                  value, key, k);
                        return 1;
                }
                if (!list) {
                        ctx_error(ctx, "%s takes one value; indented line continues it", key);
                        return 1;
                }
                r = 0;
        } else {
                r = seen_record(ctx, key);
                if (r == -EEXIST)
                        return 1;
                if (r < 0)
                        return 0;
        }
        switch (ctx->section) {
        case SECTION_GLOBAL:
                set_global(ctx, key, value);
                break;
        case SECTION_SRIOV:
                set_sriov(ctx, key, value);
                break;
        case SECTION_SRIOV_VF:
                set_sriov_vf(ctx, key, value);
                break;
        case SECTION_VFIO:
                set_vfio(ctx, key, value, !ctx->continuation);
                break;
        default:
                break;
        }
        return ctx->oom ? 0 : 1;
}

static void config_init(struct config *c) {
        *c = (struct config) {
                .iommu_group = GROUP_STRICT,
                .vfio_mode = -1,
                .vfio_driver = "vfio-pci",
        };
}

static int parse_text(struct parse_ctx *ctx, const char *name, const char *text, size_t len) {
        ctx->name = name;
        ctx->text = ctx->pos = text;
        ctx->end = text + len;
        ctx->line = 0;
        ctx->section = SECTION_NONE;
        ctx->have_prev_key = false;
        ctx->rule = NULL;
        ctx->vf = NULL;

        int r = ini_parse_stream(reader, ctx, handler, ctx);
        if (ctx->oom)
                return ctx->oom;
        if (r > 0 && !ctx->cfg->errors) /* screened lines should never get here */
                return add_error(ctx->cfg, name, (unsigned) r, "syntax error");
        if (r < 0)
                return -ENOMEM;
        return 0;
}

/* Like sshd's StrictModes: a config that decides which devices lose their
 * drivers at boot must be root's (or, for a user's own test run, that
 * user's) and writable by no one else. */
static const char *untrusted(const struct stat *st) {
        if (st->st_uid != 0 && st->st_uid != geteuid())
                return "is owned by another user";
        if (st->st_mode & (S_IWGRP | S_IWOTH))
                return "is writable by group or others";
        return NULL;
}

static const char *file_type(mode_t m) {
        return S_ISFIFO(m) ? "a FIFO"
               : S_ISDIR(m) ? "a directory"
               : S_ISSOCK(m) ? "a socket"
               : S_ISCHR(m) ? "a character device"
               : S_ISBLK(m) ? "a block device"
                            : "of an unknown type";
}

/* A file that is not a regular one: the main file is an error; a drop-in
 * is skipped (config->skipped), so that the boot goes on with the rest;
 * check-config makes it an error. 0 or -ENOMEM. */
static int not_regular(struct parse_ctx *ctx, const char *path, bool dropin, mode_t m) {
        if (!dropin)
                return add_error(ctx->cfg, path, 0, "is %s, not a regular file; refusing to read it", file_type(m));
        char *s = strdupf("%s: is %s, not a regular file", path, file_type(m));
        return s ? strv_push(&ctx->cfg->skipped, s) : -ENOMEM;
}

/* pst: path's stat() if the caller has it (NULL: stat() here) */
static int parse_file(struct parse_ctx *ctx, const char *path, bool dropin, const struct stat *pst) {
        _cleanup_free_ char *text = NULL;
        _cleanup_close_ int fd = -1;
        const char *why;
        struct stat st;
        size_t len;
        int r;

        /* Never open what is not a regular file: a FIFO would block until a
         * writer comes (every vfpt, the udev rules' at boot included), a
         * device node's open can act on the device. stat() first; then
         * O_NONBLOCK and fstat() for what was swapped in between. */
        if (pst)
                st = *pst;
        if ((pst || stat(path, &st) == 0) && !S_ISREG(st.st_mode))
                return not_regular(ctx, path, dropin, st.st_mode);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return add_error(ctx->cfg, path, 0, "cannot read: %s", strerror(errno));
        if (fstat(fd, &st) < 0)
                return add_error(ctx->cfg, path, 0, "cannot stat: %s", strerror(errno));
        if (!S_ISREG(st.st_mode))
                return not_regular(ctx, path, dropin, st.st_mode);
        if ((why = untrusted(&st)))
                return add_error(ctx->cfg, path, 0, "%s (uid %u, mode %04o); refusing to use it: chown root "
                                 "and chmod go-w", why, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
        r = read_fd(fd, CONFIG_MAX_FILE, &text, &len);
        if (r < 0)
                return add_error(ctx->cfg, path, 0, "cannot read: %s", strerror(-r));
        r = strv_extend(&ctx->cfg->files, path);
        if (r < 0)
                return r;
        ctx->file = strv_length(ctx->cfg->files) - 1;
        return parse_text(ctx, path, text, len);
}

static int conf_filter(const struct dirent *d) {
        size_t n = strlen(d->d_name);
        return d->d_name[0] != '.' && n > 5 && streq(d->d_name + n - 5, ".conf");
}

static int lexical(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* The rules of one level of VF settings that need all its keys */
static int validate_level(struct config *c, const struct vf_settings *v, const char *origin, const char *section) {
        int r;
        if ((v->set & VF_SET_VLAN) && v->vlan == 0 && (v->qos || v->vlan_proto == VLAN_PROTO_8021AD) &&
            (r = add_error(c, origin, 0, "[%s]: %s needs a vlan", section, v->qos ? "qos" : "vlan_proto")) < 0)
                return r;
        if ((v->set & VF_SET_RATE) && v->max_tx_rate && v->max_tx_rate < v->min_tx_rate &&
            (r = add_error(c, origin, 0, "[%s]: max_tx_rate %u is below min_tx_rate %u", section, v->max_tx_rate,
                           v->min_tx_rate)) < 0)
                return r;
        return 0;
}

static int validate_vfs(struct config *c, const struct sriov_rule *s, const char *sel) {
        char sec[96], m1[MAC_MAX];
        int r;

        if (s->num_vfs > 65535) /* unset or invalid: said already */
                return 0;
        snprintf(sec, sizeof(sec), "sriov %s", sel);
        if ((r = validate_level(c, &s->all, s->origin, sec)) < 0)
                return r;
        if (s->has_mac_base && s->num_vfs > 0 &&
            (((unsigned) s->mac_base[3] << 16) | ((unsigned) s->mac_base[4] << 8) | s->mac_base[5]) + s->num_vfs - 1 >
                    0xffffff &&
            (r = add_error(c, s->origin, 0, "[%s]: vf_mac_base %s plus %u VFs runs past the last 3 bytes", sec,
                           mac_format(s->mac_base, m1), s->num_vfs)) < 0)
                return r;
        for (size_t i = 0; i < s->n_vfs; i++) {
                const struct vf_rule *v = &s->vfs[i];
                snprintf(sec, sizeof(sec), "sriov-vf %s %u", sel, v->index);
                if (v->index >= s->num_vfs) {
                        if ((r = add_error(c, v->origin, 0, "[%s]: VF %u does not exist: num_vfs is %u (VFs 0 to %d)",
                                           sec, v->index, s->num_vfs, (int) s->num_vfs - 1)) < 0)
                                return r;
                        continue;
                }
                /* vlan/qos/vlan_proto and the rates replace the [sriov] ones as
                 * a whole: the level's own rules are the merged ones' */
                if ((r = validate_level(c, &v->s, v->origin, sec)) < 0)
                        return r;
        }
        return 0;
}

struct vf_mac {
        uint8_t mac[6];
        size_t rule;
        unsigned vf;
        const char *origin; /* [sriov-vf] that gives the MAC, NULL: vf_mac_base */
};

static int vf_mac_cmp(const void *a, const void *b) {
        const struct vf_mac *x = a, *y = b;
        int r = memcmp(x->mac, y->mac, 6);
        if (r)
                return r;
        if (x->rule != y->rule)
                return x->rule < y->rule ? -1 : 1;
        return x->vf < y->vf ? -1 : x->vf > y->vf;
}

static const char *vf_mac_origin(const struct sriov_rule *r, unsigned vf) {
        const char *o = NULL;
        for (size_t k = 0; k < r->n_vfs; k++)
                if (r->vfs[k].index == vf && (r->vfs[k].s.set & VF_SET_MAC))
                        o = r->vfs[k].origin;
        return o;
}

/* Two VFs with one MAC, of one PF or of two the config names: the switch in
 * the NIC (or the network) cannot tell them apart. Every VF's MAC, explicit
 * or vf_mac_base's, sorted; each MAC given twice is one error, at the
 * [sriov-vf] that gives it (or the [sriov] whose vf_mac_base does). */
static int validate_vf_macs(struct config *c) {
        _cleanup_free_ struct vf_mac *all = NULL;
        size_t n = 0, cap = 0;
        char s1[SELECTOR_MAX], s2[SELECTOR_MAX], m[MAC_MAX];
        int r;

        for (size_t i = 0; i < c->n_sriov; i++) {
                const struct sriov_rule *s = &c->sriov[i];
                if (s->num_vfs > 65535 || (!s->has_mac_base && !s->n_vfs))
                        continue;
                for (unsigned v = 0; v < s->num_vfs; v++) {
                        struct vf_settings a;
                        config_vf_settings(s, v, &a);
                        if (!(a.set & VF_SET_MAC))
                                continue;
                        if (n == cap) {
                                struct vf_mac *p = realloc(all, (cap = cap ? cap * 2 : 64) * sizeof(*p));
                                if (!p)
                                        return -ENOMEM;
                                all = p;
                        }
                        all[n] = (struct vf_mac) { .rule = i, .vf = v, .origin = vf_mac_origin(s, v) };
                        memcpy(all[n++].mac, a.mac, 6);
                }
        }
        if (n > 1)
                qsort(all, n, sizeof(*all), vf_mac_cmp);
        size_t last_a = (size_t) -1, last_b = (size_t) -1;
        for (size_t k = 1; k < n; k++) {
                const struct vf_mac *x = &all[k - 1], *y = &all[k];
                if (memcmp(x->mac, y->mac, 6) != 0)
                        continue;
                /* said where the MAC is written: the explicit one, the later one first */
                const struct vf_mac *at = y->origin ? y : x->origin ? x : y, *other = at == y ? x : y;
                const struct sriov_rule *ra = &c->sriov[at->rule], *ro = &c->sriov[other->rule];
                selector_format(&ra->sel, s1, sizeof(s1));
                selector_format(&ro->sel, s2, sizeof(s2));
                mac_format(at->mac, m);
                if (at->origin) {
                        if (at->rule == other->rule)
                                r = add_error(c, at->origin, 0, "[sriov-vf %s %u]: mac %s is VF %u's too%s", s1,
                                              at->vf, m, other->vf, other->origin ? "" : " (from vf_mac_base)");
                        else
                                r = add_error(c, at->origin, 0, "[sriov-vf %s %u]: mac %s is VF %u's of [sriov %s] too",
                                              s1, at->vf, m, other->vf, s2);
                } else {
                        /* two vf_mac_base ranges that overlap: said once per pair of PFs */
                        if (last_a == at->rule && last_b == other->rule)
                                continue;
                        last_a = at->rule;
                        last_b = other->rule;
                        r = add_error(c, ra->origin, 0, "[sriov %s]: vf_mac_base gives VF %u mac %s, which VF %u of "
                                      "[sriov %s] has too (from its vf_mac_base)", s1, at->vf, m, other->vf, s2);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Every address the config names with a pin, and where */
struct pinned {
        const struct pci_addr *addr;
        const struct pin *pin;
        const char *origin;
};

static size_t pinned_list(const struct config *c, struct pinned *l) {
        size_t n = 0;
        for (size_t i = 0; i < c->n_vfio_devices; i++)
                l[n++] = (struct pinned) { &c->vfio_devices[i].addr, &c->vfio_devices[i].pin, c->vfio_devices[i].origin };
        for (size_t i = 0; i < c->n_force; i++)
                l[n++] = (struct pinned) { &c->force[i].addr, &c->force[i].pin, c->force[i].origin };
        for (size_t i = 0; i < c->n_sriov; i++)
                if (c->sriov[i].sel.kind == SELECTOR_ADDR)
                        l[n++] = (struct pinned) { &c->sriov[i].sel.addr, &c->sriov[i].sel.pin, c->sriov[i].origin };
        return n;
}

/* One address, one identity: two pins that differ are an error. */
static int validate_pins(struct config *c) {
        size_t total = c->n_vfio_devices + c->n_force + c->n_sriov;
        _cleanup_free_ struct pinned *l = calloc(total ?: 1, sizeof(*l));
        char a[PCI_ADDR_MAX];
        int r;

        if (!l)
                return -ENOMEM;
        size_t n = pinned_list(c, l);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < i && l[i].pin->set; j++)
                        if (l[j].pin->set && pci_addr_eq(l[i].addr, l[j].addr) &&
                            !pci_id_eq(&l[i].pin->id, &l[j].pin->id)) {
                                r = add_error(c, l[i].origin, 0, "%s is pinned to %04x:%04x here and to %04x:%04x at %s",
                                              pci_addr_format(l[i].addr, a), l[i].pin->id.vendor, l[i].pin->id.device,
                                              l[j].pin->id.vendor, l[j].pin->id.device, l[j].origin);
                                if (r < 0)
                                        return r;
                                break;
                        }
        return 0;
}

bool config_names_address(const struct config *c, const struct pci_addr *addr, struct pin *pin, const char **origin) {
        _cleanup_free_ struct pinned *l = calloc(c->n_vfio_devices + c->n_force + c->n_sriov + 1, sizeof(*l));
        bool named = false;
        struct pin none = {};

        if (pin)
                *pin = none;
        if (origin)
                *origin = NULL;
        if (!l) { /* out of memory: cannot tell the pin, so one no device has */
                if (pin)
                        *pin = (struct pin) { .set = true, .id = { 0xffff, 0xffff } };
                return true;
        }
        size_t n = pinned_list(c, l);
        for (size_t i = 0; i < n; i++) {
                if (!pci_addr_eq(l[i].addr, addr))
                        continue;
                named = true;
                if (l[i].pin->set && pin && !pin->set) {
                        *pin = *l[i].pin;
                        if (origin)
                                *origin = l[i].origin;
                }
        }
        return named;
}

/* Cross-section rules, once every file is read. */
/* release_framebuffer's argument joins kernel_args: both must be in effect
 * together (kernel_args = video=efifb:on with release_framebuffer = efifb
 * cannot be) */
static int validate_framebuffer_args(struct config *c) {
        _cleanup_strv_free_ char **args = NULL;
        int against, i, r;
        if (c->kernel_args_auto || !c->release_framebuffer)
                return 0;
        if ((r = config_kernel_args(c, NULL, &args)) < 0)
                return r;
        if ((i = cmdline_contradiction(args, &against)) < 0)
                return 0;
        return add_error(c, c->release_framebuffer_origin, 0,
                         "release_framebuffer: its kernel argument and kernel_args cannot all be in effect: "
                         "'%s' and '%s' (the kernel would not have '%s'); keep one", args[i], args[against], args[i]);
}

static int validate(struct config *c) {
        char buf[SELECTOR_MAX];
        int r;

        if ((r = validate_pins(c)) < 0)
                return r;
        if ((r = validate_framebuffer_args(c)) < 0)
                return r;

        for (size_t i = 0; i < c->n_sriov; i++) {
                struct sriov_rule *s = &c->sriov[i];
                selector_format(&s->sel, buf, sizeof(buf));
                if (s->vf_only) {
                        if ((r = add_error(c, s->origin, 0, "[sriov-vf %s ...] without a [sriov %s] section "
                                           "(num_vfs)", buf, buf)) < 0)
                                return r;
                } else if (s->num_vfs == NUM_VFS_UNSET &&
                           (r = add_error(c, s->origin, 0, "[sriov %s] lacks num_vfs", buf)) < 0)
                        return r;
                if ((r = validate_vfs(c, s, buf)) < 0)
                        return r;
                for (size_t j = 0; j < c->n_vfio_devices; j++)
                        if (s->sel.kind == SELECTOR_ADDR && pci_addr_eq(&s->sel.addr, &c->vfio_devices[j].addr) &&
                            (r = add_error(c, c->vfio_devices[j].origin, 0,
                                           "%s is listed in [vfio] devices, but [sriov %s] at %s keeps it on its "
                                           "host driver to create VFs", buf, buf, s->origin)) < 0)
                                return r;
                for (size_t j = 0; j < c->n_vfio_ids; j++)
                        if (s->sel.kind == SELECTOR_ID && pci_id_eq(&s->sel.id, &c->vfio_ids[j].id) &&
                            (r = add_error(c, c->vfio_ids[j].origin, 0,
                                           "%s is listed in [vfio] ids, but [sriov %s] at %s keeps it on its "
                                           "host driver to create VFs", buf, buf, s->origin)) < 0)
                                return r;
        }
        return validate_vf_macs(c);
}

static int load(const char *path, bool explicit, const char *text, struct config **ret) {
        _cleanup_config_ struct config *c = calloc(1, sizeof(*c));
        struct parse_ctx ctx = {};
        struct dirent **ents = NULL;
        _cleanup_free_ char *dir = NULL;
        int n = 0, r = 0;

        if (!c)
                return -ENOMEM;
        config_init(c);
        ctx.cfg = c;

        if (text) {
                r = parse_text(&ctx, path, text, strlen(text));
                goto done;
        }

        dir = strdupf("%s.d", path);
        if (!dir)
                return -ENOMEM;
        struct stat st;
        bool have_main = stat(path, &st) == 0;
        if (have_main || explicit) {
                r = parse_file(&ctx, path, false, have_main ? &st : NULL);
                if (r < 0)
                        goto done;
        }
        /* no drop-in directory (the usual case, every PCI event of every
         * boot passes here): scandir() would only fail the same way */
        bool have_dir = stat(dir, &st) == 0;
        if (!have_dir && (errno == ENOENT || errno == ENOTDIR))
                goto done;
        if (have_dir && S_ISDIR(st.st_mode) && untrusted(&st)) {
                r = add_error(c, dir, 0, "%s (uid %u, mode %04o); refusing its drop-ins: chown root and chmod go-w",
                              untrusted(&st), (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
                goto done;
        }
        n = scandir(dir, &ents, conf_filter, lexical);
        if (n < 0) {
                n = 0;
                if (errno != ENOENT && errno != ENOTDIR)
                        r = add_error(c, dir, 0, "cannot read directory: %s", strerror(errno));
        }
        for (int i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *p = strdupf("%s/%s", dir, ents[i]->d_name);
                r = p ? parse_file(&ctx, p, true, NULL) : -ENOMEM;
        }
done:
        for (int i = 0; i < n; i++)
                free(ents[i]);
        free(ents);
        if (r >= 0 && ctx.n_seen && !(c->origins = calloc(ctx.n_seen, sizeof(*c->origins))))
                r = -ENOMEM;
        for (size_t i = 0; i < ctx.n_seen; i++) {
                if (c->origins && r >= 0) {
                        const char *f = c->files && ctx.seen[i].file < strv_length(c->files) ? c->files[ctx.seen[i].file]
                                                                                             : path;
                        struct config_origin *o = &c->origins[c->n_origins++];
                        o->section = TAKE_PTR(ctx.seen[i].section);
                        o->key = TAKE_PTR(ctx.seen[i].key);
                        if (!(o->origin = strdupf("%s:%u", f, ctx.seen[i].line)))
                                r = -ENOMEM;
                }
                free(ctx.seen[i].section);
                free(ctx.seen[i].key);
        }
        free(ctx.seen);
        if (r >= 0)
                r = validate(c);
        if (r < 0)
                return r;
        if (!c->kernel_args && !c->kernel_args_auto) {
                r = strv_split_ws("intel_iommu=on iommu=pt", &c->kernel_args);
                if (r < 0)
                        return r;
        }
        r = c->errors ? -EINVAL : 0;
        *ret = TAKE_PTR(c);
        return r;
}

int config_load(const char *path, struct config **ret) {
        return load(path ?: path_config_default(), !!path, NULL, ret);
}

int config_load_string(const char *name, const char *text, struct config **ret) {
        return load(name, true, text, ret);
}

struct config *config_free(struct config *c) {
        if (!c)
                return NULL;
        strv_free(c->kernel_args);
        for (size_t i = 0; i < c->n_sriov; i++) {
                free(c->sriov[i].origin);
                free(c->sriov[i].vf_driver_origin);
                for (size_t j = 0; j < c->sriov[i].n_vfs; j++)
                        free(c->sriov[i].vfs[j].origin);
                free(c->sriov[i].vfs);
        }
        free(c->sriov);
        for (size_t i = 0; i < c->n_vfio_devices; i++)
                free(c->vfio_devices[i].origin);
        free(c->vfio_devices);
        for (size_t i = 0; i < c->n_vfio_ids; i++)
                free(c->vfio_ids[i].origin);
        free(c->vfio_ids);
        for (size_t i = 0; i < c->n_force; i++)
                free(c->force[i].origin);
        free(c->force);
        free(c->vfio_owner);
        free(c->vfio_group);
        free(c->vfio_driver_origin);
        strv_free(c->release_framebuffer);
        free(c->release_framebuffer_origin);
        for (size_t i = 0; i < c->n_reset; i++)
                free(c->reset[i].origin);
        free(c->reset);
        for (size_t i = 0; i < c->n_origins; i++) {
                free(c->origins[i].section);
                free(c->origins[i].key);
                free(c->origins[i].origin);
        }
        free(c->origins);
        strv_free(c->files);
        strv_free(c->errors);
        strv_free(c->skipped);
        free(c);
        return NULL;
}

const char *config_origin(const struct config *c, const char *section, const char *key) {
        for (size_t i = 0; i < c->n_origins; i++)
                if (streq(c->origins[i].section, section) && streq(c->origins[i].key, key))
                        return c->origins[i].origin;
        return NULL;
}

static bool port_matches(const struct selector *sel, const struct pf_port *port) {
        if (!port)
                return false;
        if (sel->kind == SELECTOR_MAC)
                return port->has_mac && memcmp(sel->mac, port->mac, 6) == 0;
        if (streq(sel->ifname, port->ifname))
                return true;
        for (char **l = port->learnt; l && *l; l++)
                if (streq(sel->ifname, *l))
                        return true;
        return false;
}

const struct sriov_rule *config_sriov_for(const struct config *c, const struct pci_addr *addr,
                                          const struct pci_id *id, const char *driver,
                                          const struct pf_port *port) {
        const struct sriov_rule *best = NULL;

        for (size_t i = 0; i < c->n_sriov; i++) {
                const struct sriov_rule *s = &c->sriov[i];
                bool match = false;
                switch (s->sel.kind) {
                case SELECTOR_ADDR:
                        match = addr && pci_addr_eq(&s->sel.addr, addr);
                        break;
                case SELECTOR_MAC:
                case SELECTOR_IFNAME:
                        match = port_matches(&s->sel, port);
                        break;
                case SELECTOR_ID:
                        match = id && pci_id_eq(&s->sel.id, id);
                        break;
                case SELECTOR_DRIVER:
                        match = driver && streq(s->sel.driver, driver);
                        break;
                }
                if (match && (!best || s->sel.kind < best->sel.kind))
                        best = s;
        }
        return best;
}

bool config_has_port_selectors(const struct config *c) {
        for (size_t i = 0; i < c->n_sriov; i++)
                if (c->sriov[i].sel.kind == SELECTOR_MAC || c->sriov[i].sel.kind == SELECTOR_IFNAME)
                        return true;
        return false;
}

bool ifname_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > IFNAME_MAX || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || *p == ':' || isspace((unsigned char) *p) || (unsigned char) *p < 0x20 ||
                    (unsigned char) *p >= 0x7f)
                        return false;
        return true;
}

bool config_forced(const struct config *c, const struct pci_addr *addr) {
        for (size_t i = 0; i < c->n_force; i++)
                if (pci_addr_eq(&c->force[i].addr, addr))
                        return true;
        return false;
}

bool config_vfio_wants(const struct config *c, const struct pci_addr *addr, const struct pci_id *id) {
        for (size_t i = 0; i < c->n_vfio_devices; i++)
                if (addr && pci_addr_eq(&c->vfio_devices[i].addr, addr))
                        return true;
        for (size_t i = 0; i < c->n_vfio_ids; i++)
                if (id && pci_id_eq(&c->vfio_ids[i].id, id))
                        return true;
        return false;
}

void config_vf_settings(const struct sriov_rule *r, unsigned i, struct vf_settings *ret) {
        struct vf_settings v = r->all;
        if (r->has_mac_base) {
                unsigned low = (((unsigned) r->mac_base[3] << 16) | ((unsigned) r->mac_base[4] << 8) | r->mac_base[5]) + i;
                memcpy(v.mac, r->mac_base, 3);
                v.mac[3] = (uint8_t) (low >> 16);
                v.mac[4] = (uint8_t) (low >> 8);
                v.mac[5] = (uint8_t) low;
                v.set |= VF_SET_MAC;
        }
        for (size_t k = 0; k < r->n_vfs; k++) {
                const struct vf_settings *o = &r->vfs[k].s;
                if (r->vfs[k].index != i)
                        continue;
                if (o->set & VF_SET_MAC)
                        memcpy(v.mac, o->mac, 6);
                if (o->set & VF_SET_VLAN) {
                        v.vlan = o->vlan;
                        v.qos = o->qos;
                        v.vlan_proto = o->vlan_proto;
                }
                if (o->set & VF_SET_SPOOFCHK)
                        v.spoofchk = o->spoofchk;
                if (o->set & VF_SET_TRUST)
                        v.trust = o->trust;
                if (o->set & VF_SET_LINK_STATE)
                        v.link_state = o->link_state;
                if (o->set & VF_SET_RATE) {
                        v.min_tx_rate = o->min_tx_rate;
                        v.max_tx_rate = o->max_tx_rate;
                }
                if (o->set & VF_SET_QUERY_RSS)
                        v.query_rss = o->query_rss;
                v.set |= o->set;
        }
        if ((v.set & VF_SET_VLAN) && !v.vlan_proto)
                v.vlan_proto = VLAN_PROTO_8021Q;
        *ret = v;
}

bool config_sriov_has_vf_settings(const struct sriov_rule *r) {
        if (r->all.set || r->has_mac_base)
                return true;
        for (size_t k = 0; k < r->n_vfs; k++)
                if (r->vfs[k].s.set)
                        return true;
        return false;
}

const char *group_policy_to_string(enum group_policy p) {
        return p == GROUP_GROUP ? "group" : p == GROUP_WARN ? "warn" : "strict";
}

const char *config_vf_driver_name(const struct sriov_rule *r) {
        return r->vf_driver == VF_DRIVER_VFIO ? (*r->vf_claim ? r->vf_claim : "vfio-pci") : "host";
}

#define VARIANT_SUFFIX "_vfio_pci"

int claim_driver_parse(const char *s, char buf[static 65], const char **why) {
        size_t n = strlen(s);
        if (streq(s, "vfio-pci") || streq(s, "vfio_pci")) {
                strcpy(buf, "vfio-pci");
                return 0;
        }
        if (streq(s, "pci-stub") || streq(s, "pci_stub")) {
                strcpy(buf, "pci-stub");
                return 0;
        }
        *why = "is not vfio-pci, pci-stub or a vfio-pci variant driver (NAME_vfio_pci, e.g. mlx5_vfio_pci)";
        if (n == 0 || n > 64 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
                return -EINVAL;
        for (size_t i = 0; i <= n; i++)
                buf[i] = s[i] == '-' ? '_' : s[i];
        if (n <= strlen(VARIANT_SUFFIX) || !streq(buf + n - strlen(VARIANT_SUFFIX), VARIANT_SUFFIX)) {
                *buf = 0;
                return -EINVAL;
        }
        return 0;
}

bool driver_is_passthrough(const char *name) {
        size_t n = name ? strlen(name) : 0, k = strlen(VARIANT_SUFFIX);
        if (!n)
                return false;
        return streq(name, "vfio-pci") || streq(name, "pci-stub") || (n > k && streq(name + n - k, VARIANT_SUFFIX));
}

bool driver_is_vfio(const char *name) {
        return driver_is_passthrough(name) && !streq(name, "pci-stub");
}

const char *config_claim_driver(const struct config *c, const struct pci_addr *addr, const struct pci_id *id,
                                const struct sriov_rule *rule) {
        if (config_vfio_wants(c, addr, id))
                return c->vfio_driver;
        if (rule && rule->vf_driver == VF_DRIVER_VFIO && *rule->vf_claim)
                return rule->vf_claim;
        return "vfio-pci";
}

int config_kernel_args(const struct config *c, const char *cpu_vendor, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = 0;

        if (!c->kernel_args_auto) {
                for (char **a = c->kernel_args; a && *a; a++)
                        if ((r = strv_extend(&l, *a)) < 0)
                                return r;
        } else if (streq_ptr(cpu_vendor, "GenuineIntel")) {
                r = strv_split_ws("intel_iommu=on iommu=pt", &l);
        } else if (streq_ptr(cpu_vendor, "AuthenticAMD") || streq_ptr(cpu_vendor, "HygonGenuine")) {
                r = strv_split_ws("iommu=pt", &l);
        } else
                return -EOPNOTSUPP;
        if (r < 0)
                return r;
        for (char **f = c->release_framebuffer; f && *f; f++) {
                const char *a = config_framebuffer_arg(*f);
                if (a && !strv_contains(l, a) && (r = strv_extend(&l, a)) < 0)
                        return r;
        }
        if (!l && strv_split_ws("", &l) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

/* what each argument does: framebuffer.c (drivers/firmware/sysfb.c,
 * drivers/video/fbdev/efifb.c, vesafb.c, kernels 6.1 to 6.12) */
const char *config_framebuffer_arg(const char *name) {
        if (streq(name, "efifb"))
                return "video=efifb:off";
        if (streq(name, "vesafb"))
                return "video=vesafb:off";
        if (streq(name, "sysfb"))
                return "initcall_blacklist=sysfb_init";
        return NULL;
}
