/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"

#include "util.h"

static bool stdout_used;

void json_init(struct json *j, FILE *f) {
        *j = (struct json) { .f = f, .first = true };
        if (f == stdout)
                stdout_used = true;
}

bool json_stdout_used(void) { return stdout_used; }

static void put_string(FILE *f, const char *s) {
        size_t left = strlen(s), k;

        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p += k, left -= k) {
                k = utf8_char_len((const char *) p, left);
                if (k == 0) { /* not UTF-8: the replacement character, for this one byte */
                        fputs("\\ufffd", f);
                        k = 1;
                        continue;
                }
                if (k > 1) {
                        fwrite(p, 1, k, f);
                        continue;
                }
                switch (*p) {
                case '"':
                        fputs("\\\"", f);
                        break;
                case '\\':
                        fputs("\\\\", f);
                        break;
                case '\n':
                        fputs("\\n", f);
                        break;
                case '\t':
                        fputs("\\t", f);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                fprintf(f, "\\u%04x", *p);
                        else
                                fputc(*p, f);
                }
        }
        fputc('"', f);
}

static void member(struct json *j, const char *key) {
        if (!j->first)
                fputc(',', j->f);
        j->first = false;
        if (key) {
                put_string(j->f, key);
                fputc(':', j->f);
        }
}

static void open_(struct json *j, const char *key, char c) {
        member(j, key);
        fputc(c, j->f);
        j->depth++;
        j->first = true;
}

/* the parent holds the container just closed: it is not empty */
static void close_(struct json *j, char c) {
        fputc(c, j->f);
        if (j->depth > 0)
                j->depth--;
        j->first = false;
}

void json_object_begin(struct json *j, const char *key) { open_(j, key, '{'); }
void json_array_begin(struct json *j, const char *key) { open_(j, key, '['); }

void json_object_end(struct json *j) { close_(j, '}'); }
void json_array_end(struct json *j) { close_(j, ']'); }

void json_string(struct json *j, const char *key, const char *value) {
        member(j, key);
        if (value)
                put_string(j->f, value);
        else
                fputs("null", j->f);
}

void json_int(struct json *j, const char *key, long long value) {
        member(j, key);
        fprintf(j->f, "%lld", value);
}

void json_bool(struct json *j, const char *key, bool value) {
        member(j, key);
        fputs(value ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key) {
        member(j, key);
        fputs("null", j->f);
}

void json_finish(struct json *j) {
        /* no fflush: a write error is seen, with its errno, where stdout is
         * closed (main's close_stdout) */
        fputc('\n', j->f);
}
