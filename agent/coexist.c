/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Other network managers that also manage a PF's VFs: their files, read and
 * matched against the PFs the way each tool itself reads and matches them
 * (on Debian 12: NetworkManager 1.42, systemd 252, netplan 0.106). */
#include <ctype.h>
#include <dirent.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "coexist.h"
#include "yamlfile.h"
#include "paths.h"
#include "util.h"

#define FILE_MAX (1024 * 1024)

struct scan {
        const struct coexist_pf *pfs;
        size_t n_pfs;
        struct coexist *out;
        size_t alloc;
};

const char *coexist_manager_to_string(enum coexist_manager m) {
        switch (m) {
        case COEXIST_NETWORKMANAGER: return "NetworkManager";
        case COEXIST_UDEV: return "systemd-udevd";
        case COEXIST_NETWORKD: return "systemd-networkd";
        case COEXIST_NETPLAN: return "netplan";
        }
        return "?";
}

void coexist_done(struct coexist *c) {
        for (size_t i = 0; i < c->n_findings; i++) {
                free(c->findings[i].pf);
                free(c->findings[i].file);
                free(c->findings[i].setting);
        }
        free(c->findings);
        strv_free(c->unreadable);
        *c = (struct coexist) {};
}

/* An array p of n elements of size, alloc of them allocated, with room for
 * one more: p itself, or where realloc() moved it; NULL if out of memory (p
 * is left as it was). */
static void *grow(void *p, size_t n, size_t *alloc, size_t size) {
        if (n < *alloc)
                return p;
        size_t k = *alloc ? *alloc * 2 : 8;
        void *m = realloc(p, k * size);
        if (m)
                *alloc = k;
        return m;
}

/* takes setting (NULL: out of memory) */
static int add_finding(struct scan *s, size_t pf, enum coexist_manager m, const char *file, unsigned line,
                       bool numvfs, char *setting) {
        _cleanup_free_ char *st = setting;
        struct coexist *c = s->out;

        struct coexist_finding *f = grow(c->findings, c->n_findings, &s->alloc, sizeof(*f));
        if (f)
                c->findings = f;
        if (!st || !f)
                return -ENOMEM;
        f += c->n_findings;
        *f = (struct coexist_finding) { .manager = m, .line = line, .numvfs = numvfs, .found = COEXIST_MATCHED };
        f->pf = strdup(s->pfs[pf].name);
        f->file = strdup(file);
        if (!f->pf || !f->file) {
                free(f->pf);
                free(f->file);
                return -ENOMEM;
        }
        f->setting = TAKE_PTR(st);
        c->n_findings++;
        return 0;
}

/* A file or directory that is there but cannot be read: named, left out. */
static int unreadable(struct scan *s, const char *file, int r) {
        if (r == -ENOENT || r == -ENOTDIR) /* not there (any more) */
                return 0;
        if (r == -ENOMEM)
                return r;
        return strv_push(&s->out->unreadable, strdupf("%s: %s", file, read_strerror(r)));
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), k = strlen(suffix);
        return n > k && streq(s + n - k, suffix);
}

static const char *file_name(const char *path) {
        const char *b = strrchr(path, '/');
        return b ? b + 1 : path;
}

static int cmp_name(const void *a, const void *b) {
        return strcmp(file_name(*(char *const *) a), file_name(*(char *const *) b));
}

enum {
        FILES_SHADOW = 1 << 0, /* a name in an earlier directory hides it in the later ones */
        FILES_MASK = 1 << 1,   /* an empty file or a link to /dev/null masks its name (systemd) */
        FILES_PRIVATE = 1 << 2, /* only root's files no one else may read or write (NetworkManager's keyfiles) */
};

/* The files named *SUFFIX in the host directories DIRS as the tool reads
 * them: with FILES_SHADOW one a name, the first directory's, all sorted by
 * name (the order they apply in); else every one, directory by directory.
 * Host paths, NULL-terminated. */
static int conf_files(struct scan *s, const char *const *dirs, const char *suffix, unsigned flags, char ***ret) {
        _cleanup_strv_free_ char **files = NULL, **seen = NULL;
        int r;

        for (const char *const *d = dirs; *d; d++) {
                _cleanup_free_ char *dir = path_rooted(*d);
                _cleanup_strv_free_ char **names = NULL;
                struct dirent *de;
                DIR *h;

                if (!dir)
                        return -ENOMEM;
                if (!(h = opendir(dir))) {
                        if ((r = unreadable(s, *d, -errno)) < 0)
                                return r;
                        continue;
                }
                r = 0;
                while (r >= 0 && (de = readdir(h)))
                        if (de->d_name[0] != '.' && has_suffix(de->d_name, suffix))
                                r = strv_extend(&names, de->d_name);
                closedir(h);
                if (r < 0)
                        return r;
                if (names)
                        qsort(names, strv_length(names), sizeof(char *),
                              (int (*)(const void *, const void *)) strcmp_ptr);
                for (char **n = names; n && *n; n++) {
                        _cleanup_free_ char *path = strdupf("%s/%s", *d, *n), *rooted = NULL;
                        struct stat st;

                        if (!path || !(rooted = path_rooted(path)))
                                return -ENOMEM;
                        if (flags & FILES_SHADOW) {
                                if (strv_contains(seen, *n))
                                        continue;
                                if ((r = strv_extend(&seen, *n)) < 0)
                                        return r;
                        }
                        if (stat(rooted, &st) < 0) {
                                if ((r = unreadable(s, path, -errno)) < 0)
                                        return r;
                                continue;
                        }
                        if ((flags & FILES_MASK) && (S_ISCHR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size == 0)))
                                continue; /* masked: hides the name, applies nothing */
                        if (!S_ISREG(st.st_mode))
                                continue;
                        /* NetworkManager refuses a keyfile of another owner or
                         * with any group or other permission ("insecure") */
                        if ((flags & FILES_PRIVATE) && (st.st_uid != 0 || (st.st_mode & 0077)))
                                continue;
                        if ((r = strv_push(&files, TAKE_PTR(path))) < 0)
                                return r;
                }
        }
        if ((flags & FILES_SHADOW) && files)
                qsort(files, strv_length(files), sizeof(char *), cmp_name);
        *ret = TAKE_PTR(files);
        return 0;
}

/* A whole file of the host; 1 (named in unreadable) when it cannot be read. */
static int read_host_file(struct scan *s, const char *file, char **ret) {
        _cleanup_free_ char *rooted = path_rooted(file);
        if (!rooted)
                return -ENOMEM;
        int r = read_file(rooted, FILE_MAX, ret, NULL);
        if (r < 0) {
                r = unreadable(s, file, r);
                return r < 0 ? r : 1;
        }
        return 0;
}

static char *strip(char *p) {
        while (*p == ' ' || *p == '\t')
                p++;
        size_t n = strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
                p[--n] = 0;
        return p;
}

static bool hwaddr_parse(const char *s, uint8_t m[static 6]) {
        size_t n = s ? strlen(s) : 0;
        const char *p[6];

        if (n == 17 && (s[2] == ':' || s[2] == '-'))
                for (int i = 0; i < 6; i++) {
                        p[i] = s + 3 * i;
                        if (i < 5 && p[i][2] != s[2])
                                return false;
                }
        else if (n == 14 && s[4] == '.' && s[9] == '.') /* 3cfd.feaa.bbcc */
                for (int i = 0; i < 6; i++)
                        p[i] = s + (i / 2) * 5 + (i % 2) * 2;
        else
                return false;
        for (int i = 0; i < 6; i++) {
                if (!isxdigit((unsigned char) p[i][0]) || !isxdigit((unsigned char) p[i][1]))
                        return false;
                m[i] = (uint8_t) strtoul((char[]) { p[i][0], p[i][1], 0 }, NULL, 16);
        }
        return true;
}

/* the same Ethernet address, however each is spelled (3C:FD:FE:.., 3c-fd-fe-..) */
static bool hwaddr_equal(const char *a, const char *b) {
        uint8_t x[6], y[6];
        return hwaddr_parse(a, x) && hwaddr_parse(b, y) && memcmp(x, y, 6) == 0;
}

static bool globmatch(const char *pattern, const char *s) {
        return s && *s && fnmatch(pattern, s, 0) == 0;
}

/* ---- INI-style files: NetworkManager keyfiles, systemd units ---- */

struct ini_entry {
        char *section;
        char *key; /* NULL: the section's header line */
        char *value;
        size_t file; /* index into ini.files */
        unsigned line;
};

struct ini {
        char **files; /* host paths, in the order read */
        struct ini_entry *e;
        size_t n, alloc;
};

static void ini_done(struct ini *ini) {
        for (size_t i = 0; i < ini->n; i++) {
                free(ini->e[i].section);
                free(ini->e[i].key);
                free(ini->e[i].value);
        }
        free(ini->e);
        strv_free(ini->files);
        *ini = (struct ini) {};
}

static int ini_add(struct ini *ini, const char *section, const char *key, const char *value, unsigned line) {
        struct ini_entry *e = grow(ini->e, ini->n, &ini->alloc, sizeof(*e));
        if (!e)
                return -ENOMEM;
        ini->e = e;
        e += ini->n;
        *e = (struct ini_entry) { .file = strv_length(ini->files) - 1, .line = line };
        e->section = strdup(section);
        e->key = key ? strdup(key) : NULL;
        e->value = value ? strdup(value) : NULL;
        if (!e->section || (key && !e->key) || (value && !e->value)) {
                free(e->section);
                free(e->key);
                free(e->value);
                return -ENOMEM;
        }
        ini->n++;
        return 0;
}

/* Adds one file to ini: "[section]" and "key=value" lines; comments start
 * with # (and ; in systemd's files); in systemd's, a line ending in a
 * backslash goes on on the next. Lines of no such shape are skipped, as
 * both tools skip them. 1: could not be read (named in unreadable). */
static int ini_read(struct scan *s, struct ini *ini, const char *file, bool systemd) {
        _cleanup_free_ char *text = NULL, *section = NULL;
        unsigned line = 0;
        int r;

        r = read_host_file(s, file, &text);
        if (r != 0)
                return r;
        if ((r = strv_extend(&ini->files, file)) < 0)
                return r;
        for (char *p = text; *p;) {
                _cleanup_free_ char *joined = NULL;
                char *l = p, *nl = strchr(p, '\n');
                unsigned first = ++line;

                p = nl ? (*nl = 0, nl + 1) : l + strlen(l);
                while (systemd && *p && *l && l[strlen(l) - 1] == '\\') {
                        char *next = p;
                        nl = strchr(p, '\n');
                        p = nl ? (*nl = 0, nl + 1) : next + strlen(next);
                        line++;
                        l[strlen(l) - 1] = 0;
                        char *j = strdupf("%s %s", l, next);
                        if (!j)
                                return -ENOMEM;
                        free(joined);
                        l = joined = j;
                }
                l = strip(l);
                if (!*l || *l == '#' || (systemd && *l == ';'))
                        continue;
                if (*l == '[') {
                        char *end = strchr(l, ']');
                        if (!end || end[1])
                                continue;
                        free(section);
                        if (!(section = strndup(l + 1, (size_t) (end - l - 1))))
                                return -ENOMEM;
                        if ((r = ini_add(ini, section, NULL, NULL, first)) < 0)
                                return r;
                        continue;
                }
                char *eq = strchr(l, '=');
                if (!eq || !section)
                        continue;
                *eq = 0;
                if ((r = ini_add(ini, section, strip(l), strip(eq + 1), first)) < 0)
                        return r;
        }
        return 0;
}

/* The last assignment of section.key, NULL if none. */
static const struct ini_entry *ini_last(const struct ini *ini, const char *section, const char *key) {
        for (size_t i = ini->n; i-- > 0;)
                if (ini->e[i].key && streq(ini->e[i].key, key) && streq(ini->e[i].section, section))
                        return &ini->e[i];
        return NULL;
}

/* ---- NetworkManager keyfiles ---- */

/* A keyfile value as GKeyFile reads it: \s \n \t \r \\ unescaped and, in a
 * list (sep ';'), the value split at each ';' that is not "\;". NULL if
 * unset or empty. */
static int nm_split(const char *value, char sep, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *item = NULL;
        size_t n = 0;
        int r;

        if (!(item = malloc(strlen(value) + 1)))
                return -ENOMEM;
        for (const char *p = value;; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                        item[n++] = *p == 's' ? ' ' : *p == 'n' ? '\n' : *p == 't' ? '\t' : *p == 'r' ? '\r' : *p;
                        continue;
                }
                if (*p && *p != sep) {
                        item[n++] = *p;
                        continue;
                }
                item[n] = 0;
                if ((n || (*p && sep)) && (r = strv_extend(&l, item)) < 0)
                        return r;
                n = 0;
                if (!*p)
                        break;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* [match] KEY as a string list ("eth*;!eth1;"), NULL if unset or empty */
static int nm_list(const struct ini *ini, const char *key, char ***ret) {
        const struct ini_entry *e = ini_last(ini, "match", key);
        *ret = NULL;
        return e ? nm_split(e->value, ';', ret) : 0;
}

/* a string value, unescaped; NULL if unset or empty */
static int nm_string(const struct ini *ini, const char *section, const char *key, char **ret) {
        const struct ini_entry *e = ini_last(ini, section, key);
        _cleanup_strv_free_ char **l = NULL;
        int r;

        *ret = NULL;
        if (!e || (r = nm_split(e->value, 0, &l)) < 0)
                return e ? r : 0;
        if (l && *l[0])
                *ret = TAKE_PTR(l[0]);
        return 0;
}

/* ethernet.mac-address as NetworkManager reads it: an address
 * ("3C:FD:FE:AA:BB:CC"), else the old list of six decimal bytes
 * ("60;253;254;170;187;204;"); false if neither */
static bool nm_mac(const char *value, uint8_t m[static 6]) {
        _cleanup_strv_free_ char **l = NULL;
        size_t i = 0;

        if (hwaddr_parse(value, m))
                return true;
        if (nm_split(value, ';', &l) < 0 || strv_length(l) != 6)
                return false;
        for (char **b = l; *b; b++) {
                unsigned v;
                if (safe_atou(*b, &v) < 0 || v > 255)
                        return false;
                m[i++] = (uint8_t) v;
        }
        return true;
}

/* NetworkManager's match patterns: "&P" must match, "!P" must not, the
 * others are alternatives of which one must match when there are any. */
static bool nm_patterns_match(char *const *patterns, const char *s) {
        bool optional = false, optional_hit = false;

        for (char *const *p = patterns; p && *p; p++) {
                const char *q = *p;
                bool mandatory = false, invert = false;
                if (*q == '|')
                        q++;
                else if (*q == '&') {
                        mandatory = true;
                        q++;
                }
                if (*q == '!') {
                        mandatory = invert = true;
                        q++;
                }
                if (*q == '\\')
                        q++;
                bool hit = globmatch(q, s) != invert;
                if (mandatory && !hit)
                        return false;
                if (!mandatory) {
                        optional = true;
                        optional_hit = optional_hit || hit;
                }
        }
        return optional_hit || !optional;
}

/* the permanent address when known, else the current one; NetworkManager
 * and PermanentMACAddress= match the permanent one */
static const char *perm_mac(const struct coexist_pf *pf) {
        return pf->perm_mac && *pf->perm_mac ? pf->perm_mac : pf->mac;
}

/* One profile: [sriov] (NetworkManager enforces total-vfs whenever the
 * setting is there, 0 when it is not given) on the device that
 * connection.interface-name, ethernet.mac-address and [match] restrict it
 * to. A profile restricted by none of them names no device of ours. */
static int nm_profile(struct scan *s, const struct ini *ini) {
        const struct ini_entry *sriov = NULL, *total = ini_last(ini, "sriov", "total-vfs");
        _cleanup_strv_free_ char **names = NULL, **drivers = NULL, **paths = NULL;
        _cleanup_free_ char *ifname = NULL, *mac = NULL;
        uint8_t want[6];
        int r;

        for (size_t i = 0; i < ini->n && !sriov; i++)
                if (streq(ini->e[i].section, "sriov"))
                        sriov = &ini->e[i];
        if (!sriov)
                return 0;
        if ((r = nm_string(ini, "connection", "interface-name", &ifname)) < 0 ||
            (r = nm_string(ini, "ethernet", "mac-address", &mac)) < 0 ||
            (!mac && (r = nm_string(ini, "802-3-ethernet", "mac-address", &mac)) < 0) ||
            (r = nm_list(ini, "interface-name", &names)) < 0 || (r = nm_list(ini, "driver", &drivers)) < 0 ||
            (r = nm_list(ini, "path", &paths)) < 0)
                return r;
        if (!ifname && !mac && !names && !drivers && !paths)
                return 0;
        if (mac && !nm_mac(mac, want)) /* NetworkManager refuses the profile */
                return 0;
        for (size_t i = 0; i < s->n_pfs; i++) {
                const struct coexist_pf *pf = &s->pfs[i];
                uint8_t have[6];
                char path[64];
                snprintf(path, sizeof(path), "pci-%s", pf->name);
                if (!*pf->ifname || (ifname && !streq(ifname, pf->ifname)) ||
                    (mac && (!hwaddr_parse(perm_mac(pf), have) || memcmp(have, want, 6) != 0)) ||
                    !nm_patterns_match(names, pf->ifname) || !nm_patterns_match(drivers, pf->driver) ||
                    !nm_patterns_match(paths, path))
                        continue;
                const struct ini_entry *at = total ?: sriov;
                r = add_finding(s, i, COEXIST_NETWORKMANAGER, ini->files[at->file], at->line, true,
                                total ? strdupf("sriov.total-vfs=%s", total->value)
                                      : strdup("sriov.total-vfs=0 (the default of an [sriov] setting)"));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int scan_networkmanager(struct scan *s) {
        _cleanup_strv_free_ char **files = NULL;
        int r = conf_files(s, path_networkmanager_dirs(), ".nmconnection", FILES_PRIVATE, &files);
        for (char **f = files; r >= 0 && f && *f; f++) {
                struct ini ini = {};
                r = ini_read(s, &ini, *f, false);
                if (r == 0)
                        r = nm_profile(s, &ini);
                ini_done(&ini);
        }
        return r < 0 ? r : 0;
}

/* ---- systemd .link (udev's net_setup_link) and .network (networkd) ---- */

/* Their [Match] keys, and what each is matched against on a PF's interface. */
enum subject {
        ON_NAME,    /* its name (for OriginalName=: the current one stands for the kernel's) */
        ON_PATH,    /* ID_PATH: pci-0000:3b:00.0 */
        ON_DRIVER,  /* the PCI driver stands for ID_NET_DRIVER */
        ON_TYPE,    /* "ether" */
        ON_MAC,     /* its address */
        ON_PERM_MAC, /* its permanent address (the current one when unknown) */
        ON_NOTHING, /* Kind=, WLANInterfaceType=, SSID=, BSSID=: a PF's interface has none */
        ON_ASSUMED, /* Property=: not judged, taken as met */
};

enum { IN_LINK = 1, IN_NETWORK = 2 };

static const struct match_key {
        const char *key;
        enum subject on;
        bool hwaddr; /* a list of addresses, else of globs */
        unsigned in;
} match_keys[] = {
        { "MACAddress", ON_MAC, true, IN_LINK | IN_NETWORK },
        { "PermanentMACAddress", ON_PERM_MAC, true, IN_LINK | IN_NETWORK },
        { "Path", ON_PATH, false, IN_LINK | IN_NETWORK },
        { "Driver", ON_DRIVER, false, IN_LINK | IN_NETWORK },
        { "Type", ON_TYPE, false, IN_LINK | IN_NETWORK },
        { "Kind", ON_NOTHING, false, IN_LINK | IN_NETWORK },
        { "Property", ON_ASSUMED, false, IN_LINK | IN_NETWORK },
        { "OriginalName", ON_NAME, false, IN_LINK }, /* systemd 252's .link has no Name= */
        { "Name", ON_NAME, false, IN_NETWORK },
        { "WLANInterfaceType", ON_NOTHING, false, IN_NETWORK },
        { "SSID", ON_NOTHING, false, IN_NETWORK },
        { "BSSID", ON_NOTHING, true, IN_NETWORK },
};

/* the conditions of [Match] (ConditionHost= and the like): not judged,
 * taken as met; they make a [Match] section that has them count */
static const char *const condition_keys[] = { "Host",       "Virtualization", "KernelCommandLine", "KernelVersion",
                                              "Credential", "Architecture",   "Firmware" };

struct unit_match {
        char **words[ELEMENTSOF(match_keys)]; /* NULL: not set */
        bool empty; /* no match key and no condition: systemd 252 ignores the file */
};

static void unit_match_done(struct unit_match *m) {
        for (size_t k = 0; k < ELEMENTSOF(match_keys); k++)
                strv_free(m->words[k]);
}

/* [Match] as systemd reads it: each assignment adds its words, an empty one
 * clears the list, a leading "!" negates every word of its assignment. */
static int unit_match_load(const struct ini *u, unsigned in, struct unit_match *m) {
        bool conditions = false;
        int r;

        *m = (struct unit_match) {};
        for (size_t i = 0; i < u->n; i++) {
                const struct ini_entry *e = &u->e[i];
                size_t k;
                if (!e->key || !streq(e->section, "Match"))
                        continue;
                for (k = 0; k < ELEMENTSOF(condition_keys); k++)
                        if (streq(e->key, condition_keys[k]))
                                conditions = conditions || *e->value;
                for (k = 0; k < ELEMENTSOF(match_keys); k++)
                        if ((match_keys[k].in & in) && streq(e->key, match_keys[k].key))
                                break;
                if (k == ELEMENTSOF(match_keys))
                        continue; /* unknown keys are ignored (with a warning) by systemd too */
                if (!*e->value) {
                        m->words[k] = strv_free(m->words[k]);
                        continue;
                }
                /* address lists take no "!" */
                bool invert = !match_keys[k].hwaddr && e->value[0] == '!';
                _cleanup_strv_free_ char **w = NULL;
                if ((r = strv_split_ws(e->value + invert, &w)) < 0)
                        return r;
                for (char **p = w; *p; p++) {
                        size_t n = strlen(*p);
                        if (n >= 2 && (**p == '"' || **p == '\'') && (*p)[n - 1] == **p) {
                                memmove(*p, *p + 1, n - 2);
                                (*p)[n - 2] = 0;
                        }
                        if (invert) {
                                char *x = strdupf("%s%s", invert ? "!" : "", *p);
                                if (!x)
                                        return -ENOMEM;
                                free(*p);
                                *p = x;
                        }
                        if ((r = strv_extend(&m->words[k], *p)) < 0)
                                return r;
                }
                if (!m->words[k] && (r = strv_split_ws("", &m->words[k])) < 0)
                        return r;
        }
        m->empty = !conditions;
        for (size_t k = 0; k < ELEMENTSOF(match_keys); k++)
                m->empty = m->empty && !m->words[k];
        return 0;
}

/* systemd's net_condition_test_strv(): no word matches a "!word", and one
 * plain word matches when there is any */
static bool globs_match(char *const *patterns, const char *s) {
        bool hit = false, positive = false;
        for (char *const *p = patterns; p && *p; p++) {
                bool invert = **p == '!';
                positive = positive || !invert;
                if (globmatch(*p + invert, s)) {
                        if (invert)
                                return false;
                        hit = true;
                }
        }
        return !positive || hit;
}

static bool unit_match_pf(const struct unit_match *m, const struct coexist_pf *pf) {
        char path[64];
        snprintf(path, sizeof(path), "pci-%s", pf->name);
        for (size_t k = 0; k < ELEMENTSOF(match_keys); k++) {
                const struct match_key *mk = &match_keys[k];
                const char *v = mk->on == ON_NAME ? pf->ifname : mk->on == ON_PATH ? path
                              : mk->on == ON_DRIVER ? pf->driver : mk->on == ON_TYPE ? "ether"
                              : mk->on == ON_MAC ? pf->mac
                              : mk->on == ON_PERM_MAC ? perm_mac(pf) : NULL;
                bool any = false;
                if (!m->words[k] || mk->on == ON_ASSUMED)
                        continue;
                if (!mk->hwaddr) {
                        if (!globs_match(m->words[k], v))
                                return false;
                        continue;
                }
                for (char **w = m->words[k]; *w && !any; w++)
                        any = v && hwaddr_equal(*w, v);
                if (!any)
                        return false;
        }
        return true;
}

/* A unit with its drop-ins (NAME.d/ *.conf in every directory: shadowed,
 * masked and ordered like the units), read in the order systemd reads them. */
static int unit_read(struct scan *s, const char *file, struct ini *u) {
        _cleanup_strv_free_ char **dirs = NULL, **dropins = NULL;
        int r;

        r = ini_read(s, u, file, true);
        if (r != 0)
                return r;
        for (const char *const *d = path_systemd_network_dirs(); *d; d++)
                if ((r = strv_push(&dirs, strdupf("%s/%s.d", *d, file_name(file)))) < 0)
                        return r;
        r = conf_files(s, (const char *const *) dirs, ".conf", FILES_SHADOW | FILES_MASK, &dropins);
        for (char **f = dropins; r >= 0 && f && *f; f++)
                r = ini_read(s, u, *f, true);
        return r < 0 ? r : 0;
}

/* What a .link sets: SR-IOVVirtualFunctions= (the last assignment; empty:
 * unset), else as many VFs as the highest [SR-IOV] VirtualFunction= asks
 * for. A .network's [SR-IOV] sections configure VFs that must exist. */
static int unit_sriov(const struct ini *u, bool is_link, const struct ini_entry **at, char **setting) {
        const struct ini_entry *vf = NULL, *numvfs = is_link ? ini_last(u, "Link", "SR-IOVVirtualFunctions") : NULL;
        unsigned v, max = 0;

        *at = NULL;
        if (numvfs && *numvfs->value) {
                *at = numvfs;
                *setting = strdupf("SR-IOVVirtualFunctions=%s", numvfs->value);
                return *setting ? 1 : -ENOMEM;
        }
        for (size_t i = 0; i < u->n; i++) {
                const struct ini_entry *e = &u->e[i];
                if (!e->key || !streq(e->section, "SR-IOV") || !streq(e->key, "VirtualFunction") ||
                    safe_atou(e->value, &v) < 0 || v > 2147483646)
                        continue;
                if (!vf || (is_link && v > max)) {
                        vf = e;
                        max = v;
                }
        }
        if (!vf)
                return 0;
        *at = vf;
        *setting = is_link ? strdupf("[SR-IOV] VirtualFunction=%u (%u VFs)", max, max + 1)
                        : strdupf("[SR-IOV] VirtualFunction=%s", vf->value);
        return *setting ? 1 : -ENOMEM;
}

/* For each PF, the first unit (by name) whose [Match] it meets is the one
 * that applies; a later one never does. */
/* The .network file networkd uses for ifindex, from its state of the link:
 * 1 and *ret, "" when it uses none; 0 when networkd has no state of it (not
 * running, or not yet): then vfpt matches the files itself. */
static int networkd_file(struct scan *s, int ifindex, char **ret) {
        _cleanup_free_ char *path = strdupf(RUN_NETWORKD_LINKS "/%d", ifindex), *rooted = NULL, *text = NULL;
        int r;

        *ret = NULL;
        if (!path || !(rooted = path_rooted(path)))
                return -ENOMEM;
        r = read_file(rooted, FILE_MAX, &text, NULL);
        if (r < 0) {
                r = unreadable(s, path, r);
                return r < 0 ? r : 0;
        }
        for (char *l = text; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                if (strncmp(l, "NETWORK_FILE=", strlen("NETWORK_FILE=")) == 0)
                        return (*ret = strdup(l + strlen("NETWORK_FILE="))) ? 1 : -ENOMEM;
                l = nl ? nl + 1 : NULL;
        }
        return (*ret = strdup("")) ? 1 : -ENOMEM;
}

/* The file the tool itself says it applies to PF i: what it sets there. */
static int unit_said(struct scan *s, size_t i, enum coexist_manager m, const char *file) {
        bool is_link = m == COEXIST_UDEV;
        const struct ini_entry *at = NULL;
        _cleanup_free_ char *setting = NULL;
        struct ini u = {};
        int r;

        r = unit_read(s, file, &u);
        if (r == 0)
                r = unit_sriov(&u, is_link, &at, &setting);
        if (r >= 0 && at && (r = add_finding(s, i, m, u.files[at->file], at->line, is_link, strdup(setting))) == 0)
                s->out->findings[s->out->n_findings - 1].found = COEXIST_TOOL_SAID;
        ini_done(&u);
        return r < 0 ? r : 0;
}

static int scan_units(struct scan *s, enum coexist_manager m) {
        bool is_link = m == COEXIST_UDEV;
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ bool *settled = calloc(s->n_pfs + 1, sizeof(bool));
        int r;

        if (!settled)
                return -ENOMEM;
        /* an interface the tool has applied a file to: that file, as it says */
        for (size_t i = 0; i < s->n_pfs; i++) {
                _cleanup_free_ char *said = NULL;
                if (!*s->pfs[i].ifname)
                        continue;
                if (is_link && !s->pfs[i].link_file)
                        r = 0;
                else if (is_link)
                        r = (said = strdup(s->pfs[i].link_file)) ? 1 : -ENOMEM;
                else
                        r = s->pfs[i].ifindex > 0 ? networkd_file(s, s->pfs[i].ifindex, &said) : 0;
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                settled[i] = true;
                if (*said && (r = unit_said(s, i, m, said)) < 0)
                        return r;
        }
        r = conf_files(s, path_systemd_network_dirs(), is_link ? ".link" : ".network", FILES_SHADOW | FILES_MASK,
                       &files);
        for (char **f = files; r >= 0 && f && *f; f++) {
                struct ini u = {};
                struct unit_match um = { .empty = true };
                const struct ini_entry *at = NULL;
                _cleanup_free_ char *setting = NULL;

                r = unit_read(s, *f, &u);
                if (r == 0)
                        r = unit_match_load(&u, is_link ? IN_LINK : IN_NETWORK, &um);
                if (r == 0 && !um.empty)
                        r = unit_sriov(&u, is_link, &at, &setting);
                for (size_t i = 0; r >= 0 && !um.empty && i < s->n_pfs; i++) {
                        if (settled[i] || !*s->pfs[i].ifname || !unit_match_pf(&um, &s->pfs[i]))
                                continue;
                        settled[i] = true;
                        if (at)
                                r = add_finding(s, i, m, u.files[at->file], at->line, is_link, strdup(setting));
                }
                unit_match_done(&um);
                ini_done(&u);
        }
        return r < 0 ? r : 0;
}

/* ---- netplan ----
 *
 * Its files are read by libyaml (yamlfile.c), as netplan reads them; a file
 * libyaml cannot parse is one netplan refuses too: named, left out. */

struct np_value {
        char *value;
        size_t file;
        unsigned line;
};

/* one entry of network.ethernets, merged over the files in their order */
struct np_entry {
        char *id;
        struct np_value vfs, link; /* virtual-function-count:, link: */
        char *set_name, *match_name, *match_mac;
        char **match_driver;
        bool has_match;
};

struct netplan {
        struct np_entry *e;
        size_t n, alloc;
        char **files;
};

static void netplan_done(struct netplan *np) {
        for (size_t i = 0; i < np->n; i++) {
                struct np_entry *e = &np->e[i];
                free(e->id);
                free(e->vfs.value);
                free(e->link.value);
                free(e->set_name);
                free(e->match_name);
                free(e->match_mac);
                strv_free(e->match_driver);
        }
        free(np->e);
        strv_free(np->files);
}

static struct np_entry *np_entry(struct netplan *np, const char *id) {
        for (size_t i = 0; i < np->n; i++)
                if (streq(np->e[i].id, id))
                        return &np->e[i];
        struct np_entry *e = grow(np->e, np->n, &np->alloc, sizeof(*e));
        if (!e)
                return NULL;
        np->e = e;
        e += np->n;
        *e = (struct np_entry) { .id = strdup(id) };
        if (!e->id)
                return NULL;
        np->n++;
        return e;
}

static int set_string(char **s, const char *value) {
        char *v = strdup(value);
        if (!v)
                return -ENOMEM;
        free(*s);
        *s = v;
        return 0;
}

static int netplan_node(void *userdata, char *const *path, size_t depth, const char *value, unsigned line) {
        struct netplan *np = userdata;

        if (depth < 4 || !streq(path[0], "network") || !streq(path[1], "ethernets"))
                return 0;
        struct np_entry *e = np_entry(np, path[2]);
        if (!e)
                return -ENOMEM;
        struct np_value *v = streq(path[3], "virtual-function-count") ? &e->vfs
                           : streq(path[3], "link")                   ? &e->link
                                                                      : NULL;
        if (depth == 4 && v) {
                v->file = strv_length(np->files) - 1;
                v->line = line;
                return set_string(&v->value, value);
        }
        if (depth == 4 && streq(path[3], "set-name"))
                return set_string(&e->set_name, value);
        if (!streq(path[3], "match"))
                return 0;
        e->has_match = true;
        if (depth == 5 && streq(path[4], "name"))
                return set_string(&e->match_name, value);
        if (depth == 5 && streq(path[4], "macaddress"))
                return set_string(&e->match_mac, value);
        if (streq(path[4], "driver") && (depth == 5 || (depth == 6 && streq(path[5], "-"))))
                return strv_extend(&e->match_driver, value);
        return 0;
}

/* netplan's own matching: by match: (name and driver globs, macaddress),
 * else by the entry's id as the interface name; set-name: is the name the
 * interface was given. */
static bool np_matches(const struct np_entry *e, const struct coexist_pf *pf) {
        if (e->set_name && streq(e->set_name, pf->ifname))
                return true;
        if (!e->has_match)
                return streq(e->id, pf->ifname);
        if (e->match_name && !globmatch(e->match_name, pf->ifname))
                return false;
        if (e->match_mac && !hwaddr_equal(e->match_mac, pf->mac))
                return false;
        bool driver = !e->match_driver;
        for (char **d = e->match_driver; d && *d && !driver; d++)
                driver = globmatch(*d, pf->driver);
        return driver;
}

/* A PF entry with virtual-function-count:, else one that VF entries name
 * in link: (netplan makes as many VFs as they are). */
static int netplan_pf(struct scan *s, const struct netplan *np, size_t pf, const struct np_entry *e) {
        const struct np_entry *first = NULL;
        unsigned n = 0;

        if (e->vfs.value)
                return add_finding(s, pf, COEXIST_NETPLAN, np->files[e->vfs.file], e->vfs.line, true,
                                   strdupf("virtual-function-count: %s", e->vfs.value));
        for (size_t i = 0; i < np->n; i++)
                if (np->e[i].link.value && streq(np->e[i].link.value, e->id) && n++ == 0)
                        first = &np->e[i];
        if (!first)
                return 0;
        return add_finding(s, pf, COEXIST_NETPLAN, np->files[first->link.file], first->link.line, true,
                           strdupf("link: %s (%u VF%s)", e->id, n, n == 1 ? "" : "s"));
}

static int scan_netplan(struct scan *s) {
        _cleanup_strv_free_ char **files = NULL;
        struct netplan np = {};
        int r;

        r = conf_files(s, path_netplan_dirs(), ".yaml", FILES_SHADOW, &files);
        for (char **f = files; r >= 0 && f && *f; f++) {
                _cleanup_free_ char *text = NULL, *error = NULL;
                size_t len;
                r = read_host_file(s, *f, &text);
                if (r != 0)
                        continue;
                len = strlen(text);
                if ((r = strv_extend(&np.files, *f)) < 0)
                        break;
                r = yamlfile_walk(text, len, netplan_node, &np, &error);
                if (r == -EBADMSG)
                        r = strv_push(&s->out->unreadable, strdupf("%s: not read as netplan reads it: %s", *f, error));
                else if (r == -ENOPKG)
                        r = strv_push(&s->out->unreadable,
                                      strdupf("%s: not read: libyaml (libyaml-0.so.2), which netplan reads it with, "
                                              "is not installed", *f));
        }
        for (size_t i = 0; r >= 0 && i < s->n_pfs; i++)
                for (size_t k = 0; r >= 0 && k < np.n; k++)
                        if (*s->pfs[i].ifname && np_matches(&np.e[k], &s->pfs[i]))
                                r = netplan_pf(s, &np, i, &np.e[k]);
        netplan_done(&np);
        return r < 0 ? r : 0;
}

/* PF by PF, each PF's findings in the order found */
static int order_by_pf(struct scan *s) {
        struct coexist *c = s->out;
        size_t k = 0;

        if (c->n_findings < 2)
                return 0;
        struct coexist_finding *sorted = malloc(c->n_findings * sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_pfs; i++)
                for (size_t j = 0; j < c->n_findings; j++)
                        if (streq(c->findings[j].pf, s->pfs[i].name))
                                sorted[k++] = c->findings[j];
        free(c->findings);
        c->findings = sorted;
        s->alloc = c->n_findings;
        return 0;
}

int coexist_scan(const struct coexist_pf *pfs, size_t n_pfs, struct coexist *ret) {
        struct scan s = { .pfs = pfs, .n_pfs = n_pfs, .out = ret };
        bool any = false;
        int r;

        *ret = (struct coexist) {};
        for (size_t i = 0; i < n_pfs; i++)
                any = any || *pfs[i].ifname;
        if (!any) /* no PF with a network interface: none of them acts on ours */
                return 0;
        if ((r = scan_networkmanager(&s)) < 0 || (r = scan_units(&s, COEXIST_UDEV)) < 0 ||
            (r = scan_units(&s, COEXIST_NETWORKD)) < 0 || (r = scan_netplan(&s)) < 0)
                return r;
        return order_by_pf(&s);
}
