/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"

void json_init(struct json *j, FILE *f) {
        j->f = f;
        j->depth = 0;
        j->first[0] = true;
}

static void put_string(FILE *f, const char *s) {
        fputc('"', f);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
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
        if (!j->first[j->depth])
                fputc(',', j->f);
        j->first[j->depth] = false;
        if (key) {
                put_string(j->f, key);
                fputc(':', j->f);
        }
}

static void open_(struct json *j, const char *key, char c) {
        member(j, key);
        fputc(c, j->f);
        if (j->depth < (int) (sizeof(j->first) - 1))
                j->depth++;
        j->first[j->depth] = true;
}

void json_object_begin(struct json *j, const char *key) { open_(j, key, '{'); }
void json_array_begin(struct json *j, const char *key) { open_(j, key, '['); }

void json_object_end(struct json *j) {
        fputc('}', j->f);
        if (j->depth > 0)
                j->depth--;
}

void json_array_end(struct json *j) {
        fputc(']', j->f);
        if (j->depth > 0)
                j->depth--;
}

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
        fputc('\n', j->f);
        fflush(j->f);
}
