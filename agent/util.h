/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

static inline bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
static inline bool streq_ptr(const char *a, const char *b) {
        return a && b ? strcmp(a, b) == 0 : a == b;
}

/* A growable NULL-terminated vector of strings. */
char **strv_free(char **l);
static inline void strv_freep(char ***l) { strv_free(*l); }
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
int strv_push(char ***l, char *s);          /* takes ownership of s, also on failure;
                                             * s NULL (a failed allocation): -ENOMEM */
int strv_extend(char ***l, const char *s);  /* copies s */
bool strv_contains(char *const *l, const char *s);
char *strv_join(char *const *l, const char *sep); /* "" for none; NULL on ENOMEM */
int strv_split_ws(const char *s, char ***ret); /* split on blanks */

/* printf into a new string; NULL on OOM */
char *strdupf(const char *fmt, ...) _printf_(1, 2);

/* Whole-file helpers. read_file: at most max bytes, NUL-terminated; trailing
 * newline stripped with read_one_line. Return -errno. */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* read_file()'s error in words: -EBADFD (a FIFO, a device, a socket: read_file
 * refuses what is not a regular file, without blocking) as "not a regular file" */
const char *read_strerror(int r);
int read_fd(int fd, size_t max, char **ret, size_t *ret_len);
int read_one_line(const char *path, char **ret);
/* The lines of a text read whole (read_file), one at a time: the line at
 * *cursor, NUL-terminated in place, *cursor moved past it; NULL at the end
 * (a last newline starts no empty line). for (char *c = text, *l; (l = line_next(&c));) */
char *line_next(char **cursor);
int write_string_file(const char *path, const char *s);

/* Parse an unsigned integer in base 0 (decimal, 0x-hex), whole string, with
 * optional trailing newline. -EINVAL / -ERANGE. */
int safe_atou(const char *s, unsigned *ret);

/* A count or id as vfpt.conf(5) spells numbers: base 10, digits only, no
 * sign, blank or newline, no leading zero but in "0" itself (so that 010
 * is never read as octal 8). -EINVAL / -ERANGE; *ret untouched then. */
int parse_decimal(const char *s, unsigned *ret);

/* Are the n bytes at s all lowercase hex digits? */
bool hex_lower(const char *s, size_t n);

bool utf8_is_valid(const char *s, size_t len);
/* Length of the valid UTF-8 sequence at s (1 to 4), 0 if s[0] does not
 * start one; at most len bytes are looked at. */
size_t utf8_char_len(const char *s, size_t len);

/* mkdir -p: path and its missing parents with mode */
int mkdir_p(const char *path, mode_t mode);

static inline int strcmp_ptr(const char *const *a, const char *const *b) {
        return strcmp(*a, *b);
}
