/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "cmdline.h"
#include "util.h"

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

int cmdline_find_last(char *const *params, const char *arg) {
        int found = -1;
        for (int i = 0; params && params[i]; i++)
                if (cmdline_names_equal(params[i], arg))
                        found = i;
        return found;
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

bool cmdline_satisfies(char *const *params, const char *arg) {
        int i = cmdline_find_last(params, arg);
        if (i < 0)
                return false;
        const char *want = strchr(arg, '='), *have = strchr(params[i], '=');
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
