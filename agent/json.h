/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdio.h>

/* A streaming JSON writer for the --json documents: keys are given inside
 * objects, NULL inside arrays; commas and escaping are its business. Every
 * string goes out as valid UTF-8: a byte that is not part of a valid UTF-8
 * sequence (a path or value from a non-UTF-8 file name) is written as
 * \ufffd, the replacement character. Nesting has no fixed limit: only the
 * innermost container's state is kept, since a container that has just been
 * closed is a member of its parent, which is then never empty. */

struct json {
        FILE *f;
        unsigned depth;
        bool first; /* the innermost open container has no member yet */
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL: null */
void json_int(struct json *j, const char *key, long long value);
void json_bool(struct json *j, const char *key, bool value);
void json_null(struct json *j, const char *key);
/* ends the document with a newline */
void json_finish(struct json *j);
/* Has a document been begun on stdout in this process? (main's --json
 * error document is printed only when the command printed none) */
bool json_stdout_used(void);
