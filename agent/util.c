/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

char **strv_free(char **l) {
        if (l)
                for (char **i = l; *i; i++)
                        free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_push(char ***l, char *s) {
        if (!s)
                return -ENOMEM;
        size_t n = strv_length(*l);
        char **m = realloc(*l, (n + 2) * sizeof(char *));
        if (!m) {
                free(s);
                return -ENOMEM;
        }
        m[n] = s;
        m[n + 1] = NULL;
        *l = m;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        char *c = strdup(s);
        if (!c)
                return -ENOMEM;
        return strv_push(l, c);
}

char *strv_join(char *const *l, const char *sep) {
        size_t n = 1, k = strlen(sep);
        char *s, *p;

        for (char *const *i = l; i && *i; i++)
                n += strlen(*i) + k;
        p = s = malloc(n);
        if (!s)
                return NULL;
        *p = 0;
        for (char *const *i = l; i && *i; i++)
                p = stpcpy(i == l ? p : stpcpy(p, sep), *i);
        return s;
}

bool strv_contains(char *const *l, const char *s) {
        if (l)
                for (char *const *i = l; *i; i++)
                        if (streq(*i, s))
                                return true;
        return false;
}

int strv_split_ws(const char *s, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        const char *p = s;
        int r;

        for (;;) {
                p += strspn(p, " \t\r\n");
                if (!*p)
                        break;
                size_t n = strcspn(p, " \t\r\n");
                char *w = strndup(p, n);
                if (!w)
                        return -ENOMEM;
                r = strv_push(&l, w);
                if (r < 0)
                        return r;
                p += n;
        }
        if (!l) {
                l = calloc(1, sizeof(char *));
                if (!l)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

char *strdupf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_len) {
        /* O_NONBLOCK: opening a FIFO (a drop-in, a network manager's file
         * made one by mistake) must not wait for a writer; it is refused
         * below, as is any other file that is not a regular one */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        return read_fd(fd, max, ret, ret_len);
}

const char *read_strerror(int r) {
        return r == -EBADFD ? "not a regular file" : strerror(-r);
}

int read_fd(int fd, size_t max, char **ret, size_t *ret_len) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, alloc = 0;

        for (;;) {
                if (len + 1 >= alloc) {
                        if (alloc > max)
                                return -EFBIG;
                        alloc = alloc ? alloc * 2 : 256;
                        char *b = realloc(buf, alloc);
                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                ssize_t k = read(fd, buf + len, alloc - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max)
                        return -EFBIG;
        }
        if (!buf && !(buf = malloc(1)))
                return -ENOMEM;
        buf[len] = 0;
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

int read_one_line(const char *path, char **ret) {
        char *s;
        size_t n;
        int r = read_file(path, 64 * 1024, &s, &n);
        if (r < 0)
                return r;
        if (strlen(s) != n) { /* embedded NUL: not a sysfs text attribute */
                free(s);
                return -EBADMSG;
        }
        s[strcspn(s, "\n")] = 0;
        *ret = s;
        return 0;
}

int write_string_file(const char *path, const char *s) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        size_t n = strlen(s);

        if (fd < 0)
                return -errno;
        /* sysfs attributes take one write(); a short write is an error */
        ssize_t k = write(fd, s, n);
        if (k < 0)
                return -errno;
        if ((size_t) k != n)
                return -EIO;
        return 0;
}

int safe_atou(const char *s, unsigned *ret) {
        char *end;
        unsigned long v;

        if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoul(s, &end, 0);
        if (errno)
                return -errno;
        if (end == s || (*end && !(end[0] == '\n' && end[1] == 0)))
                return -EINVAL;
        if (v > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

int parse_decimal(const char *s, unsigned *ret) {
        unsigned long long v = 0;

        if (!s || !*s || (s[0] == '0' && s[1]))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (*p - '0');
                if (v > UINT_MAX)
                        return -ERANGE;
        }
        *ret = (unsigned) v;
        return 0;
}

size_t utf8_char_len(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s;
        unsigned c = len ? p[0] : 0;
        size_t n;
        uint32_t cp;

        if (!len)
                return 0;
        if (c < 0x80)
                return 1;
        if ((c & 0xE0) == 0xC0) {
                n = 1;
                cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
                n = 2;
                cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
                n = 3;
                cp = c & 0x07;
        } else
                return 0;
        if (len <= n)
                return 0;
        for (size_t i = 1; i <= n; i++) {
                if ((p[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3F);
        }
        /* overlong forms, surrogates, beyond Unicode */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
                return 0;
        return n + 1;
}

bool utf8_is_valid(const char *s, size_t len) {
        for (size_t i = 0, k; i < len; i += k)
                if (!(k = utf8_char_len(s + i, len - i)))
                        return false;
        return true;
}

int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s)
                        continue;
                char c = *s;
                *s = 0;
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                if (!c)
                        return 0;
                *s = c;
        }
}

bool hex_lower(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

char *line_next(char **cursor) {
        char *l = *cursor, *nl;
        if (!l || !*l)
                return NULL;
        nl = strchr(l, '\n');
        if (nl)
                *nl = 0;
        *cursor = nl ? nl + 1 : NULL;
        return l;
}
