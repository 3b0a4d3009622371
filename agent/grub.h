/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* /etc/default/grub read the way grub-mkconfig reads it: sourced by /bin/sh.
 * Only what can be understood exactly is accepted: assignments (optionally
 * exported) with single, double or no quotes, backslash escapes, $VAR and
 * ${VAR}, comments. Other variables may hold command substitutions (Debian's
 * GRUB_DISTRIBUTOR does) as long as the kernel command line does not depend
 * on them. Every character of a value remembers where in the file it came
 * from, so an edit changes the smallest span. */

struct vchar {
        char c;
        int off; /* byte offset in the file it came from, -1 if synthetic */
};

struct grub_assign {
        char *name;
        unsigned line;
        size_t val_start, val_end; /* the word after '=' */
        int close_quote;           /* offset of the closing quote of the word's last segment, or -1 */
        bool plain_unquoted;       /* word is only safe unquoted characters */
        bool unknown;              /* depends on a command substitution */
        struct vchar *val;
        size_t len;
};

struct grub_file {
        char *text;
        size_t len;
        struct grub_assign *as;
        size_t n;
        char *error;        /* why it cannot be understood */
        unsigned error_line;
};

/* Line of the command line assignment that depends on a command
 * substitution, 0 if none. */
unsigned grub_unknown_line(const struct grub_file *g);

/* Parses text (copied). Returns 0, -EINVAL with g->error/error_line set, or -ENOMEM. */
int grub_parse(const char *text, size_t len, struct grub_file **ret);
struct grub_file *grub_free(struct grub_file *g);
static inline void grub_freep(struct grub_file **g) { grub_free(*g); }
#define _cleanup_grub_ _cleanup_(grub_freep)

/* The value a variable has after the whole file is sourced; NULL if never
 * assigned. *unknown if it depends on a command substitution. */
char *grub_value(const struct grub_file *g, const char *name, bool *unknown);

/* What the kernel will get from GRUB_CMDLINE_LINUX and _DEFAULT, split.
 * -EINVAL if it depends on a command substitution. */
int grub_cmdline(const struct grub_file *g, char ***ret);

/* The edit that makes every arg in want effective: missing ones appended to
 * the last GRUB_CMDLINE_LINUX assignment (one is added if there is none),
 * conflicting ones replaced in place, duplicates of an edited name removed.
 * *ret is the new text (NULL when nothing needs changing). -EINVAL with
 * *why when the edit cannot be made safely. */
int grub_patch(const struct grub_file *g, char *const *want, char **ret, size_t *ret_len, const char **why);

/* Same judgement and edit for a plain kernel command line string (BLS
 * "options", grubenv kernelopts, /etc/kernel/cmdline). *ret NULL if it
 * already satisfies want. */
int cmdline_string_patch(const char *line, char *const *want, char **ret);
