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
        unsigned short file; /* which file of the sequence it came from (grub_file.idx) */
        int off;             /* byte offset in that file, -1 if synthetic */
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

/* Debian's grub-mkconfig sources /etc/default/grub and then
 * /etc/default/grub.d/ *.cfg: a sequence of files, each read with the
 * variables the ones before it left. A grub_file is the last file read; prev
 * the one before it (owned), idx its place (0: /etc/default/grub). */
#define GRUB_FILES_MAX 255

struct grub_file {
        struct grub_file *prev;
        unsigned idx;
        char *path;         /* for messages, NULL if not given */
        char *text;
        size_t len;
        struct grub_assign *as;
        size_t n;
        char *error;        /* why it cannot be understood */
        unsigned error_line;
};

/* Line of the command line assignment that depends on a command
 * substitution, 0 if none; *file (if given) the file it is in. */
unsigned grub_unknown_at(const struct grub_file *g, const struct grub_file **file);

/* Parses text (copied). Returns 0, -EINVAL with g->error/error_line set, or -ENOMEM. */
int grub_parse(const char *text, size_t len, struct grub_file **ret);
/* The next file of a sequence, read with the variables prev left (prev is
 * taken over, also on failure; on -EINVAL *ret is the failed file, whose
 * error says why). */
int grub_parse_next(struct grub_file *prev, const char *path, const char *text, size_t len, struct grub_file **ret);
/* The file of the sequence with that idx, NULL if none. */
const struct grub_file *grub_nth(const struct grub_file *g, unsigned idx);
struct grub_file *grub_free(struct grub_file *g);
static inline void grub_freep(struct grub_file **g) { grub_free(*g); }
#define _cleanup_grub_ _cleanup_(grub_freep)

/* The value a variable has after the whole file is sourced; NULL if never
 * assigned. *unknown if it depends on a command substitution. */
char *grub_value(const struct grub_file *g, const char *name, bool *unknown);

/* What the kernel will get from GRUB_CMDLINE_LINUX and _DEFAULT, split.
 * -EINVAL if it depends on a command substitution. */
int grub_cmdline(const struct grub_file *g, char ***ret);
/* The same, with the file each word is written in (idx, or -1 when it has
 * no single source); *ret_src is as long as *ret. */
int grub_cmdline_src(const struct grub_file *g, char ***ret, int **ret_src);
/* The file holding the last assignment of name in the sequence, NULL if none. */
const struct grub_file *grub_assigned_in(const struct grub_file *g, const char *name);

/* The edit that makes every arg in want effective: missing ones appended to
 * the last GRUB_CMDLINE_LINUX assignment (one is added if there is none),
 * conflicting ones replaced in place, duplicates of an edited name removed.
 * *ret is the new text (NULL when nothing needs changing). -EINVAL with
 * *why when the edit cannot be made safely. */
int grub_patch(const struct grub_file *g, char *const *want, char **ret, size_t *ret_len, const char **why);
/* The same for a sequence: ret[idx] is the new text of file idx, NULL if
 * it stays as it is (ret and ret_len have g->idx + 1 slots, all NULL when
 * nothing needs changing). Conflicting words are replaced in the file they
 * are written in; missing ones go to /etc/default/grub's (idx 0) last
 * GRUB_CMDLINE_LINUX when that is in force for the whole sequence, else to
 * the assignment in force (the drop-in that sets it last). Every edit is
 * verified against the whole sequence read again. */
int grub_patch_seq(const struct grub_file *g, char *const *want, char ***ret, size_t **ret_len, const char **why);
/* The check grub_patch_seq makes of its edit, for new texts changed
 * since (NULL: file idx as it is): the sequence reads back, every arg of
 * want is in force, no other variable changes. 0, or -EINVAL with *why. */
int grub_verify_seq(const struct grub_file *g, char *const *texts, const size_t *lens, char *const *want,
                    const char **why);
/* frees the n texts of grub_patch_seq and the array */
void grub_texts_free(char **texts, size_t n);

/* Same judgement and edit for a plain kernel command line string (BLS
 * "options", grubenv kernelopts, /etc/kernel/cmdline). *ret NULL if it
 * already satisfies want. */
int cmdline_string_patch(const char *line, char *const *want, char **ret);
