/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "fileio.h"
#include "util.h"

static int sys_openat(int dirfd, const char *path, int flags, mode_t mode) {
        return openat(dirfd, path, flags, mode);
}

struct fileio_ops fileio_ops = {
        .openat = sys_openat,
        .write = write,
        .fsync = fsync,
        .fchmod = fchmod,
        .fchown = fchown,
        .renameat = renameat,
};

/* the extended attributes of from (SELinux label security.selinux, ACLs
 * system.posix_acl_*, ...) set on to: a rewrite must not drop them */
static int copy_xattrs(int from, int to) {
        _cleanup_free_ char *names = NULL;
        ssize_t n = flistxattr(from, NULL, 0);
        if (n < 0)
                return errno == ENOTSUP ? 0 : -errno;
        if (n == 0)
                return 0;
        if (!(names = malloc((size_t) n)))
                return -ENOMEM;
        if ((n = flistxattr(from, names, (size_t) n)) < 0)
                return -errno;
        for (char *k = names; k < names + n; k += strlen(k) + 1) {
                _cleanup_free_ char *v = NULL;
                ssize_t vl = fgetxattr(from, k, NULL, 0);
                if (vl < 0)
                        return -errno;
                if (!(v = malloc((size_t) vl + 1)))
                        return -ENOMEM;
                if ((vl = fgetxattr(from, k, v, (size_t) vl)) < 0)
                        return -errno;
                if (fsetxattr(to, k, v, (size_t) vl, 0) < 0)
                        return -errno;
        }
        return 0;
}

/* writes content to a new temporary in dirfd (its name in tmp), with the
 * mode, owner and extended attributes of the file open as like */
static int write_temp(int dirfd, const char *name, const char *content, size_t len, const struct stat *st, int like,
                      char tmp[static NAME_MAX + 1]) {
        _cleanup_close_ int fd = -1;
        int r;

        for (int tries = 0; fd < 0; tries++) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                snprintf(tmp, NAME_MAX + 1, ".%.200s.vfpt-%ld-%lx", name, (long) getpid(),
                         (unsigned long) ts.tv_nsec ^ (unsigned long) tries * 2654435761u);
                fd = fileio_ops.openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && (errno != EEXIST || tries > 16))
                        return -errno;
        }
        for (size_t done = 0; done < len;) {
                ssize_t k = fileio_ops.write(fd, content + done, len - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                if (k == 0) {
                        r = -EIO;
                        goto fail;
                }
                done += (size_t) k;
        }
        if (fileio_ops.fchmod(fd, st->st_mode & 07777) < 0 || fileio_ops.fchown(fd, st->st_uid, st->st_gid) < 0) {
                r = -errno;
                goto fail;
        }
        /* after fchown (which may clear some), before the content is in place */
        if (like >= 0 && (r = copy_xattrs(like, fd)) < 0)
                goto fail;
        if (fileio_ops.fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = -errno;
                goto fail;
        }
        return 0;
fail:
        unlinkat(dirfd, tmp, 0);
        return r;
}

/* writes content to a new temporary in dirfd and renames it to name */
static int replace_in(int dirfd, const char *name, const char *content, size_t len, const struct stat *st, int like) {
        char tmp[NAME_MAX + 1];
        int r = write_temp(dirfd, name, content, len, st, like, tmp);
        if (r < 0)
                return r;
        if (fileio_ops.renameat(dirfd, tmp, dirfd, name) < 0) {
                r = -errno;
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        return 0;
}

int atomic_replace_full(const char *path, const char *content, size_t len, const char *backup_suffix,
                        bool *ret_replaced) {
        char target[PATH_MAX], btmp[NAME_MAX + 1] = "";
        struct stat st;
        int r;

        if (ret_replaced)
                *ret_replaced = false;
        /* a symlinked /etc/default/grub: edit what it points to, keep the link */
        if (!realpath(path, target))
                return -errno;
        _cleanup_close_ int old = open(target, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (old < 0)
                return -errno;
        if (fstat(old, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;

        _cleanup_free_ char *d = strdup(target), *b = strdup(target);
        if (!d || !b)
                return -ENOMEM;
        const char *dir = dirname(d), *base = basename(b);
        _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;

        _cleanup_free_ char *bname = backup_suffix ? strdupf("%s%s", base, backup_suffix) : NULL;
        if (backup_suffix) {
                /* the backup is written first but takes its name only once the
                 * file is replaced: a failed replace leaves no backup behind,
                 * and the previous backup as it was */
                _cleanup_free_ char *text = NULL;
                size_t old_len;
                if (!bname)
                        return -ENOMEM;
                r = read_file(target, 16 * 1024 * 1024, &text, &old_len);
                if (r < 0)
                        return r;
                r = write_temp(dirfd, bname, text, old_len, &st, old, btmp);
                if (r < 0)
                        return r;
        }
        r = replace_in(dirfd, base, content, len, &st, old);
        if (r < 0) {
                if (*btmp)
                        unlinkat(dirfd, btmp, 0);
                return r;
        }
        /* renamed: the new content is in place, whatever follows says */
        if (ret_replaced)
                *ret_replaced = true;
        if (*btmp && fileio_ops.renameat(dirfd, btmp, dirfd, bname) < 0) {
                r = -errno;
                unlinkat(dirfd, btmp, 0);
                return r;
        }
        if (fileio_ops.fsync(dirfd) < 0)
                return -errno;
        return 0;
}

int atomic_replace(const char *path, const char *content, size_t len, const char *backup_suffix) {
        return atomic_replace_full(path, content, len, backup_suffix, NULL);
}

int atomic_update(const char *path, const char *content, size_t len, mode_t mode) {
        _cleanup_free_ char *old = NULL;
        size_t old_len;

        if (read_file(path, 16 * 1024 * 1024, &old, &old_len) >= 0 && old_len == len &&
            memcmp(old, content, len) == 0)
                return 0;
        if (!old) { /* atomic_replace keeps the mode of the file it replaces */
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
                if (fd < 0 && errno != EEXIST)
                        return -errno;
                if (fd >= 0)
                        close(fd);
        }
        int r = atomic_replace(path, content, len, NULL);
        return r < 0 ? r : 1;
}

int atomic_write(const char *path, const char *content, size_t len, mode_t mode) {
        _cleanup_free_ char *d = strdup(path), *b = strdup(path);
        if (!d || !b)
                return -ENOMEM;
        const char *dir = dirname(d), *base = basename(b);
        if (!*base || streq(base, ".") || streq(base, "..") || streq(base, "/"))
                return -EISDIR;
        _cleanup_close_ int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return -errno;
        /* the new file's mode and owner: mode, this process's */
        struct stat st = { .st_mode = mode, .st_uid = geteuid(), .st_gid = getegid() };
        int r = replace_in(dirfd, base, content, len, &st, -1);
        if (r < 0)
                return r;
        return fileio_ops.fsync(dirfd) < 0 ? -errno : 0;
}
