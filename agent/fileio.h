/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* What a replace did, for the caller's message. */
struct atomic_result {
        bool replaced;                     /* new content in place (also when what followed failed) */
        char xattr[XATTR_NAME_MAX + 1];    /* the extended attribute that could not be kept, "" */
};

/* Replaces the file at path with content, atomically: a temporary file in
 * the same directory (O_EXCL, never following a symlink) with the old
 * file's mode, owner and extended attributes (SELinux label, ACLs, user.*:
 * exactly those, or the replace fails; atomic_set_add names the one), fsync,
 * rename over the old one, fsync of the directory. If path is a symlink,
 * its target is replaced and the link kept. When backup_suffix is set, the
 * old file itself becomes path+suffix beside the target (one backup: the
 * previous one is replaced), and it is kept linked until the new content
 * is in place, so that a failure at any step (an immutable or append-only
 * file or backup, a failing rename) leaves the file and the previous
 * backup as they were, and no temporary. Returns 0 or -errno;
 * *ret_replaced says whether the new content is in place (only the sync of
 * the directory comes after, or an undo that failed). */
int atomic_replace(const char *path, const char *content, size_t len, const char *backup_suffix);
int atomic_replace_full(const char *path, const char *content, size_t len, const char *backup_suffix,
                        bool *ret_replaced);

/* Several files replaced together, as atomic_replace does each: add
 * prepares one (its temporary written, nothing visible yet); commit puts
 * them in place in the order added, and when one fails, undoes every one
 * already done, the last first (a file added without a backup_suffix
 * cannot be undone: add those last). commit: 0, or -errno with *failed the
 * index of the file concerned and res->replaced set when some new content
 * stays (the sync of a directory failed, or an undo). atomic_set_backup:
 * where file i's backup is (the real path), NULL without one. */
struct atomic_set;
int atomic_set_new(struct atomic_set **ret);
int atomic_set_add(struct atomic_set *s, const char *path, const char *content, size_t len,
                   const char *backup_suffix, struct atomic_result *res);
int atomic_set_commit(struct atomic_set *s, size_t *failed, struct atomic_result *res);
const char *atomic_set_backup(const struct atomic_set *s, size_t i);
void atomic_set_free(struct atomic_set *s);
static inline void atomic_set_freep(struct atomic_set **s) { atomic_set_free(*s); }

/* State vfpt keeps for itself (/var/lib/vfpt): replaces path with content
 * as atomic_replace does, creating it with mode when new; 0 and nothing
 * written when it holds content already, 1 when written, -errno. */
int atomic_update(const char *path, const char *content, size_t len, mode_t mode);

/* A file whose readers must never see it half-written (a textfile
 * collector's .prom file): the content in a temporary file in the same
 * directory with mode, fsync, renamed over path (a symlink there is
 * replaced, not followed), fsync of the directory. Created if need be; an
 * existing file's mode and owner are not kept. 0 or -errno; no temporary
 * file remains. */
int atomic_write(const char *path, const char *content, size_t len, mode_t mode);

/* The system calls atomic_replace makes (but those that undo), through one table so that tests
 * can make each fail in turn (fault injection). */
struct fileio_ops {
        int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
        ssize_t (*write)(int fd, const void *buf, size_t n);
        int (*fsync)(int fd);
        int (*fchmod)(int fd, mode_t mode);
        int (*fchown)(int fd, uid_t uid, gid_t gid);
        int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
        int (*linkat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
        int (*fsetxattr)(int fd, const char *name, const void *value, size_t size, int flags);
        int (*fremovexattr)(int fd, const char *name);
};
extern struct fileio_ops fileio_ops;
