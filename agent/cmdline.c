/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmdline.h"
#include "util.h"

static enum cmdline_vendor vendor = CMDLINE_VENDOR_ANY;

void cmdline_set_vendor(enum cmdline_vendor v) {
        vendor = v;
}

int cmdline_split(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r;

        for (;;) {
                while (*s == ' ' || *s == '\t' || *s == '\n')
                        s++;
                if (!*s)
                        break;
                /* the kernel's next_arg(): quotes group, and are dropped */
                _cleanup_free_ char *w = malloc(strlen(s) + 1);
                size_t n = 0;
                bool q = false;
                if (!w)
                        return -ENOMEM;
                for (; *s && (q || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
                        if (*s == '"')
                                q = !q;
                        else
                                w[n++] = *s;
                }
                w[n] = 0;
                if (streq(w, "--"))
                        break;
                if ((r = strv_push(&l, TAKE_PTR(w))) < 0)
                        return r;
        }
        if (!l && strv_split_ws("", &l) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

bool cmdline_names_equal(const char *a, const char *b) {
        for (;; a++, b++) {
                char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
                if (x == '=')
                        x = 0;
                if (y == '=')
                        y = 0;
                if (x != y)
                        return false;
                if (!x)
                        return true;
        }
}

/* Parameters that are one per NAME in their value, the last of each NAME
 * winning:
 * - video=NAME:OPTIONS sets NAME's (a connector's or an fbdev driver's) and
 *   video=OPTIONS (no ':') the global one: drivers/video/cmdline.c
 *   video_setup() and __video_get_option_string() (6.6 to 6.12; 6.1:
 *   fbdev/core/fb_cmdline.c fb_get_options(), the same loop);
 * - console=DEVICE,OPTIONS adds DEVICE as a console, each device its own
 *   (kernel/printk/printk.c console_setup(), __add_preferred_console()).
 * The length of "=NAME:" / "=DEVICE," in the value, 0 for none. */
static size_t subname_len(const char *param) {
        const char *v = strchr(param, '='), *c = NULL;
        if (!v)
                return 0;
        if (cmdline_names_equal(param, "video"))
                c = strchr(v + 1, ':');
        else if (cmdline_names_equal(param, "console"))
                c = v + 1 + strcspn(v + 1, ",");
        return c ? (size_t) (c - v) : 0;
}

bool cmdline_same_param(const char *a, const char *b) {
        if (!cmdline_names_equal(a, b))
                return false;
        size_t na = subname_len(a), nb = subname_len(b);
        return na == nb && (na == 0 || strncmp(strchr(a, '='), strchr(b, '='), na) == 0);
}

int cmdline_find_last(char *const *params, const char *arg) {
        int found = -1;
        for (int i = 0; params && params[i]; i++)
                if (cmdline_same_param(params[i], arg))
                        found = i;
        return found;
}


enum kind { K_OTHER, K_INTEL, K_IOMMU, K_AMD, K_PASSTHROUGH, K_LIST };

static enum kind kind_of(const char *param) {
        if (cmdline_names_equal(param, "intel_iommu"))
                return K_INTEL;
        if (cmdline_names_equal(param, "iommu"))
                return K_IOMMU;
        if (cmdline_names_equal(param, "amd_iommu"))
                return K_AMD;
        if (cmdline_names_equal(param, "iommu.passthrough"))
                return K_PASSTHROUGH;
        /* lists that every occurrence adds to, comma-separated, nothing
         * taking an item out: init/main.c initcall_blacklist() (strsep);
         * kmod's modprobe.blacklist= (libkmod-config.c, each occurrence's
         * modules blacklisted); dracut's rd.driver.blacklist=, rd.driver.pre=,
         * rd.driver.post= ("can be specified multiple times", dracut.cmdline(7)) */
        static const char *const lists[] = { "initcall_blacklist", "modprobe.blacklist", "rd.driver.blacklist",
                                             "rd.driver.pre", "rd.driver.post" };
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                if (cmdline_names_equal(param, lists[i]))
                        return K_LIST;
        return K_OTHER;
}

bool cmdline_accumulates(const char *arg) {
        enum kind k = kind_of(arg);
        return k == K_INTEL || k == K_IOMMU || k == K_AMD || k == K_LIST;
}

static bool prefix(const char *opt, size_t len, const char *p) {
        size_t n = strlen(p);
        return len >= n && strncmp(opt, p, n) == 0;
}

/* intel_iommu_setup()'s chain: the first prefix that matches */
enum { I_ON, I_OFF, I_IGFX_OFF, I_FORCEDAC, I_STRICT, I_SP_OFF, I_SM_ON, I_SM_OFF, I_TBOOT_NOFORCE, I_UNKNOWN };
static int intel_class(const char *opt, size_t len) {
        static const char *const chain[] = { "on", "off", "igfx_off", "forcedac", "strict", "sp_off",
                                             "sm_on", "sm_off", "tboot_noforce" };
        for (size_t i = 0; i < ELEMENTSOF(chain); i++)
                if (prefix(opt, len, chain[i]))
                        return (int) i;
        return I_UNKNOWN;
}

static bool amd_off(const char *opt, size_t len) {
        return memmem(opt, len, "off", 3) != NULL;
}

static bool iommu_force(const char *opt, size_t len) {
        return prefix(opt, len, "force") || prefix(opt, len, "biomerge") || prefix(opt, len, "merge");
}

/* kstrtobool's first character */
static int passthrough_value(const char *v) {
        if (!v)
                return -1;
        if (strchr("1yYtT", v[0]) || ((v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N')))
                return 1;
        if (strchr("0nNfF", v[0]) || ((v[0] == 'o' || v[0] == 'O') && (v[1] == 'f' || v[1] == 'F')))
                return 0;
        return -1;
}

/* What the kernel makes of the IOMMU parameters, in command line order */
struct iommu_state {
        int intel_on, intel_sm; /* -1 never said, 0, 1: the last one */
        bool no_iommu, amd_off;
        int pass, force;        /* iommu=pt/nopt (iommu.passthrough=), force/noforce: the last */
};

/* calls fn for each option the kernel acts on of an occurrence of kind k
 * (iommu=: up to usedac) */
static void for_options(const char *param, void (*fn)(void *u, const char *opt, size_t len), void *u) {
        const char *v = strchr(param, '=');
        bool iommu = kind_of(param) == K_IOMMU;
        if (!v)
                return;
        for (v++; *v;) {
                size_t n = strcspn(v, ",");
                if (n)
                        fn(u, v, n);
                if (iommu && prefix(v, n, "usedac"))
                        return;
                v += n;
                v += strspn(v, ",");
        }
}

struct sim {
        struct iommu_state *st;
        enum kind k;
};

static void sim_option(void *u, const char *o, size_t n) {
        struct sim *s = u;
        switch (s->k) {
        case K_INTEL: {
                int c = intel_class(o, n);
                if (c == I_ON || c == I_OFF)
                        s->st->intel_on = c == I_ON;
                else if (c == I_SM_ON || c == I_SM_OFF)
                        s->st->intel_sm = c == I_SM_ON;
                break;
        }
        case K_IOMMU:
                if (prefix(o, n, "off"))
                        s->st->no_iommu = true;
                if (iommu_force(o, n))
                        s->st->force = 1;
                if (prefix(o, n, "noforce"))
                        s->st->force = 0;
                if (prefix(o, n, "pt"))
                        s->st->pass = 1;
                if (prefix(o, n, "nopt"))
                        s->st->pass = 0;
                break;
        case K_AMD:
                if (amd_off(o, n))
                        s->st->amd_off = true;
                break;
        default:
                break;
        }
}

static void simulate(char *const *params, struct iommu_state *st) {
        *st = (struct iommu_state) { .intel_on = -1, .intel_sm = -1, .pass = -1, .force = -1 };
        for (int i = 0; params && params[i]; i++) {
                struct sim s = { st, kind_of(params[i]) };
                if (s.k == K_PASSTHROUGH) {
                        const char *v = strchr(params[i], '=');
                        int b = passthrough_value(v ? v + 1 : NULL);
                        if (b >= 0)
                                st->pass = b;
                } else if (s.k != K_OTHER)
                        for_options(params[i], sim_option, &s);
        }
}

struct find {
        const char *opt;
        size_t len;
        enum kind k;
        bool found;
};

static void find_option(void *u, const char *o, size_t n) {
        struct find *f = u;
        if (f->k == K_INTEL && intel_class(f->opt, f->len) != I_UNKNOWN)
                f->found = f->found || intel_class(o, n) == intel_class(f->opt, f->len);
        else
                f->found = f->found || (n == f->len && strncmp(o, f->opt, n) == 0);
}

/* an option that stays once given: in some occurrence the kernel acts on */
static bool option_given(char *const *params, enum kind k, const char *opt, size_t len) {
        struct find f = { opt, len, k, false };
        for (int i = 0; params && params[i] && !f.found; i++)
                if (kind_of(params[i]) == k)
                        for_options(params[i], find_option, &f);
        return f.found;
}

/* the vendor's IOMMU said off (iommu=pt then has nothing to pass through);
 * either vendor's when the CPU is not known */
static bool vendor_off(const struct iommu_state *st) {
        return (vendor != CMDLINE_VENDOR_INTEL && st->amd_off) || (vendor != CMDLINE_VENDOR_AMD && st->intel_on == 0);
}

static bool option_in_effect(char *const *params, const struct iommu_state *st, enum kind k, const char *o,
                             size_t n) {
        switch (k) {
        case K_INTEL:
                switch (intel_class(o, n)) {
                case I_ON:
                        return st->intel_on == 1 && !st->no_iommu;
                case I_OFF:
                        return st->intel_on == 0 || st->no_iommu;
                case I_SM_ON:
                        return st->intel_sm == 1;
                case I_SM_OFF:
                        return st->intel_sm == 0;
                default:
                        return option_given(params, k, o, n);
                }
        case K_IOMMU:
                if (prefix(o, n, "off"))
                        return st->no_iommu;
                if (st->no_iommu)
                        return false;
                if (prefix(o, n, "pt"))
                        return st->pass == 1 && !vendor_off(st);
                if (prefix(o, n, "nopt"))
                        return st->pass == 0;
                if (prefix(o, n, "noforce"))
                        return st->force == 0;
                if (iommu_force(o, n))
                        return st->force == 1;
                return option_given(params, k, o, n);
        case K_AMD:
                if (amd_off(o, n))
                        return st->amd_off;
                return !st->amd_off && !st->no_iommu && option_given(params, k, o, n);
        default:
                return false;
        }
}

static bool option_in(const char *list, const char *opt, size_t optlen) {
        for (const char *p = list;;) {
                size_t n = strcspn(p, ",");
                if (n == optlen && strncmp(p, opt, n) == 0)
                        return true;
                if (!p[n])
                        return false;
                p += n + 1;
        }
}

/* a list's item, in some occurrence of the list's own name (the lists are
 * one kind, but each its own list) */
static bool list_has(char *const *params, const char *arg, const char *item, size_t n) {
        for (int i = 0; params && params[i]; i++) {
                const char *v = strchr(params[i], '=');
                if (v && cmdline_names_equal(params[i], arg) && option_in(v + 1, item, n))
                        return true;
        }
        return false;
}

bool cmdline_satisfies(char *const *params, const char *arg) {
        enum kind k = kind_of(arg);
        const char *want = strchr(arg, '=');


        if (want && cmdline_accumulates(arg)) {
                struct iommu_state st;
                simulate(params, &st);
                bool any = false;
                for (const char *p = want + 1;;) {
                        size_t n = strcspn(p, ",");
                        if (n && !(k == K_LIST ? list_has(params, arg, p, n) : option_in_effect(params, &st, k, p, n)))
                                return false;
                        any = any || n;
                        if (!p[n])
                                return any || cmdline_find_last(params, arg) >= 0;
                        p += n + 1;
                }
        }
        int i = cmdline_find_last(params, arg);
        if (i < 0)
                return false;
        const char *have = strchr(params[i], '=');
        if (!want)
                return true;
        if (!have)
                return false;
        want++;
        have++;
        /* every option wanted is in the value in force */
        for (const char *p = want;;) {
                size_t n = strcspn(p, ",");
                if (n && !option_in(have, p, n))
                        return false;
                if (!p[n])
                        return true;
                p += n + 1;
        }
}

/* Does option o of an occurrence of kind k stand against wanted option w of
 * kind wk? */
static bool conflicts(enum kind wk, const char *w, size_t wn, enum kind k, const char *o, size_t n) {
        bool w_off;
        switch (wk) {
        case K_INTEL: {
                int wc = intel_class(w, wn), c;
                if (k == K_IOMMU)
                        return wc != I_OFF && prefix(o, n, "off");
                if (k != K_INTEL)
                        return false;
                c = intel_class(o, n);
                return (wc == I_ON && c == I_OFF) || (wc == I_OFF && c == I_ON) || (wc == I_SM_ON && c == I_SM_OFF) ||
                       (wc == I_SM_OFF && c == I_SM_ON);
        }
        case K_IOMMU:
                w_off = prefix(w, wn, "off");
                if (k == K_IOMMU && !w_off && prefix(o, n, "off"))
                        return true;
                if (k == K_IOMMU && w_off)
                        return false;
                if (prefix(w, wn, "pt") && (k == K_INTEL ? vendor != CMDLINE_VENDOR_AMD && intel_class(o, n) == I_OFF
                                                          : k == K_AMD && vendor != CMDLINE_VENDOR_INTEL && amd_off(o, n)))
                        return true;
                if (k != K_IOMMU)
                        return false;
                if (prefix(w, wn, "pt"))
                        return prefix(o, n, "nopt");
                if (prefix(w, wn, "nopt"))
                        return prefix(o, n, "pt");
                if (prefix(w, wn, "noforce"))
                        return iommu_force(o, n);
                if (iommu_force(w, wn))
                        return prefix(o, n, "noforce");
                return false;
        case K_AMD:
                if (amd_off(w, wn))
                        return false;
                return (k == K_AMD && amd_off(o, n)) || (k == K_IOMMU && prefix(o, n, "off"));
        default:
                return false;
        }
}

static bool conflicts_any(enum kind wk, const char *want, enum kind k, const char *o, size_t n) {
        for (const char *p = want;;) {
                size_t wn = strcspn(p, ",");
                if (wn && conflicts(wk, p, wn, k, o, n))
                        return true;
                if (!p[wn])
                        return false;
                p += wn + 1;
        }
}

/* name=opts with the conflicting options of want taken out; at the place of
 * the first one, insert (if not NULL). "" when no option remains. */
static char *without_conflicts(const char *param, enum kind wk, const char *want, const char *insert,
                               bool *removed) {
        const char *v = strchr(param, '=');
        enum kind k = kind_of(param);
        size_t nl = (size_t) (v - param);
        char *out = malloc(strlen(param) + (insert ? strlen(insert) : 0) + 2), *p = out;
        bool first = true, any = false;

        *removed = false;
        if (!out)
                return NULL;
        p = mempcpy(p, param, nl + 1);
        for (v++; *v;) {
                size_t n = strcspn(v, ",");
                const char *o = v;
                v += n;
                v += strspn(v, ",");
                if (!n)
                        continue;
                if (conflicts_any(wk, want, k, o, n)) {
                        if (!*removed && insert && *insert) {
                                p = stpcpy(stpcpy(p, first ? "" : ","), insert);
                                first = false;
                                any = true;
                        }
                        *removed = true;
                        continue;
                }
                p = mempcpy(stpcpy(p, first ? "" : ","), o, n);
                first = false;
                any = true;
        }
        *p = 0;
        if (!any)
                *out = 0;
        return out;
}

int cmdline_conflict(char *const *params, const char *arg) {
        enum kind wk = kind_of(arg);
        const char *wv = strchr(arg, '=');
        int found = -1;

        if (!wv || !cmdline_accumulates(arg))
                return cmdline_find_last(params, arg);
        for (int i = 0; params && params[i]; i++) {
                enum kind k = kind_of(params[i]);
                const char *v = strchr(params[i], '=');
                if (k == K_PASSTHROUGH && wk == K_IOMMU) {
                        int b = passthrough_value(v ? v + 1 : NULL);
                        if ((b == 0 && option_in(wv + 1, "pt", 2)) || (b == 1 && option_in(wv + 1, "nopt", 4)))
                                found = i;
                        continue;
                }
                if (k == K_OTHER || k == K_PASSTHROUGH || !v)
                        continue;
                for (v++; *v;) {
                        size_t n = strcspn(v, ",");
                        if (n && conflicts_any(wk, wv + 1, k, v, n))
                                found = i;
                        v += n;
                        v += strspn(v, ",");
                }
        }
        return found;
}

int cmdline_fix(char **work, const char *want, int kept, bool *append) {
        enum kind wk = kind_of(want);
        const char *wv = strchr(want, '=');

        *append = false;
        if (!wv || !cmdline_accumulates(want)) {
                /* last one wins: the kept occurrence becomes want, the others go */
                for (int i = 0; work[i]; i++) {
                        if (!cmdline_same_param(work[i], want))
                                continue;
                        char *one[] = { work[i], NULL };
                        char *n = i != kept ? strdup("") : cmdline_satisfies(one, want) ? NULL : strdup(want);
                        if (i == kept && !n)
                                continue;
                        if (!n)
                                return -ENOMEM;
                        free(work[i]);
                        work[i] = n;
                }
                *append = kept < 0;
                return 0;
        }
        wv++;
        /* the conflicts out, everywhere; iommu.passthrough= against pt/nopt goes whole */
        _cleanup_free_ char *kept_was = kept >= 0 ? strdup(work[kept]) : NULL;
        bool removed_kept = false;
        if (kept >= 0 && !kept_was)
                return -ENOMEM;
        for (int i = 0; work[i]; i++) {
                enum kind k = kind_of(work[i]);
                bool removed;
                char *n;
                if (k == K_PASSTHROUGH && wk == K_IOMMU) {
                        const char *v = strchr(work[i], '=');
                        int b = passthrough_value(v ? v + 1 : NULL);
                        removed = (b == 0 && option_in(wv, "pt", 2)) || (b == 1 && option_in(wv, "nopt", 4));
                        n = removed ? strdup("") : NULL;
                        if (removed && !n)
                                return -ENOMEM;
                } else if (k == K_OTHER || k == K_PASSTHROUGH || !strchr(work[i], '='))
                        continue;
                else if (!(n = without_conflicts(work[i], wk, wv, NULL, &removed)))
                        return -ENOMEM;
                if (!removed) {
                        free(n);
                        continue;
                }
                removed_kept = removed_kept || i == kept;
                free(work[i]);
                work[i] = n;
        }
        /* still not in effect: the options wanted where the conflict was in
         * the kept occurrence (intel_iommu=off,igfx_off -> intel_iommu=on,igfx_off) */
        if (removed_kept && !cmdline_satisfies(work, want) && kind_of(kept_was) == wk) {
                bool removed;
                char *n = without_conflicts(kept_was, wk, wv, wv, &removed);
                if (!n)
                        return -ENOMEM;
                free(work[kept]);
                work[kept] = n;
        }
        *append = !cmdline_satisfies(work, want);
        return 0;
}

int cmdline_contradiction(char *const *args, int *against) {
        for (int i = 0; args && args[i]; i++)
                if (!cmdline_satisfies(args, args[i])) {
                        int k = cmdline_conflict(args, args[i]);
                        *against = k >= 0 ? k : i;
                        return i;
                }
        return -1;
}

static bool word_is(const char *p, const char *w) {
        return cmdline_names_equal(p, w) && !strchr(p, '=') == !strchr(w, '=');
}

bool cmdline_is_oneoff(const char *p) {
        /* systemd.break= and rd.systemd.break= (systemd 258): stop at a
         * point of the boot for a shell, like dracut's rd.break */
        static const char *const names[] = { "BOOT_IMAGE",          "initrd",
                                             "vfpt",                "rd.vfpt",
                                             "systemd.unit",        "rd.systemd.unit",
                                             "init",                "rdinit",
                                             "rd.break",            "rd.shell",
                                             "rd.emergency",        "systemd.debug_shell",
                                             "rd.systemd.debug_shell", "systemd.confirm_spawn",
                                             "systemd.break",       "rd.systemd.break" };
        static const char *const words[] = { "single", "emergency", "rescue", "S", "s", "1", "-s", "-b" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (cmdline_names_equal(p, names[i])) /* with a value or without: rd.break, systemd.debug-shell */
                        return true;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (streq(p, words[i]))
                        return true;
        return false;
}

const char *cmdline_not_normal(char *const *params) {
        for (int i = 0; params && params[i]; i++) {
                const char *p = params[i];
                if (streq(p, "BOOT_IMAGE") || strncmp(p, "BOOT_IMAGE=", 11) == 0 || cmdline_names_equal(p, "initrd"))
                        continue; /* what the boot loader adds on every boot */
                if (cmdline_is_oneoff(p))
                        return p;
                /* installers and live images: Anaconda, kickstart, casper, live-boot, dracut's dmsquash */
                if (strncmp(p, "inst.", 5) == 0 || cmdline_names_equal(p, "ks") || word_is(p, "rd.live.image") ||
                    strncmp(p, "root=live:", 10) == 0 || streq(p, "boot=casper") || streq(p, "boot=live") ||
                    streq(p, "autoinstall") || cmdline_names_equal(p, "inst.stage2"))
                        return p;
        }
        return NULL;
}
