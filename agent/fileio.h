/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Replaces the file at path with content, atomically: a temporary file in
 * the same directory (O_EXCL, never following a symlink), the old file's
 * mode and owner, fsync, rename over the old one, fsync of the directory.
 * If path is a symlink, its target is replaced and the link kept. When
 * backup_suffix is set, the previous content is first saved, the same way,
 * as path+suffix (one backup: the previous one is replaced). Returns 0, or
 * -errno; no temporary file remains. A failure before the rename leaves the
 * file as it was; only the sync of the directory comes after the rename,
 * and when that fails the new content is in place (but may not survive a
 * crash): atomic_replace_full() says which with *ret_replaced. */
int atomic_replace(const char *path, const char *content, size_t len, const char *backup_suffix);
int atomic_replace_full(const char *path, const char *content, size_t len, const char *backup_suffix,
                        bool *ret_replaced);

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

/* The system calls atomic_replace makes, through one table so that tests
 * can make each fail in turn (fault injection). */
struct fileio_ops {
        int (*openat)(int dirfd, const char *path, int flags, mode_t mode);
        ssize_t (*write)(int fd, const void *buf, size_t n);
        int (*fsync)(int fd);
        int (*fchmod)(int fd, mode_t mode);
        int (*fchown)(int fd, uid_t uid, gid_t gid);
        int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
};
extern struct fileio_ops fileio_ops;
