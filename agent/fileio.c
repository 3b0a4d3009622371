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
        .linkat = linkat,
        .fsetxattr = fsetxattr,
        .fremovexattr = fremovexattr,
};

/* the names of fd's extended attributes, NUL-separated, in *ret (NULL and 0 when none) */
static ssize_t list_xattrs(int fd, char **ret) {
        *ret = NULL;
        for (;;) {
                ssize_t n = flistxattr(fd, NULL, 0);
                if (n < 0)
                        return errno == ENOTSUP ? 0 : -errno;
                if (n == 0)
                        return 0;
                char *names = malloc((size_t) n);
                if (!names)
                        return -ENOMEM;
                ssize_t k = flistxattr(fd, names, (size_t) n);
                if (k >= 0) {
                        *ret = names;
                        return k;
                }
                free(names);
                if (errno != ERANGE) /* ERANGE: one was added meanwhile */
                        return -errno;
        }
}

static bool in_list(const char *names, ssize_t n, const char *name) {
        for (const char *k = names; names && k < names + n; k += strlen(k) + 1)
                if (streq(k, name))
                        return true;
        return false;
}

/* IMA/EVM: a hash or signature of the old content, which the kernel keeps
 * up to date itself; never carried over to other content */
static bool content_hash(const char *name) {
        return streq(name, "security.ima") || streq(name, "security.evm");
}

/* The extended attributes of from (SELinux label security.selinux, ACLs
 * system.posix_acl_*, user.* ...) made those of to, exactly: each copied,
 * and any to has that from lacks (an ACL inherited from the directory's
 * default ACL) removed. *failed names the one that could not be kept. */
static int copy_xattrs(int from, int to, char failed[static XATTR_NAME_MAX + 1]) {
        _cleanup_free_ char *names = NULL, *extra = NULL;
        ssize_t n = list_xattrs(from, &names), ne;
        if (n < 0)
                return (int) n;
        for (char *k = names; k && k < names + n; k += strlen(k) + 1) {
                _cleanup_free_ char *v = NULL;
                if (content_hash(k))
                        continue;
                ssize_t vl = fgetxattr(from, k, NULL, 0);
                if (vl >= 0 && !(v = malloc((size_t) vl + 1)))
                        return -ENOMEM;
                if (vl >= 0)
                        vl = fgetxattr(from, k, v, (size_t) vl);
                if (vl < 0 || fileio_ops.fsetxattr(to, k, v, (size_t) vl, 0) < 0) {
                        snprintf(failed, XATTR_NAME_MAX + 1, "%s", k);
                        return -errno;
                }
        }
        if ((ne = list_xattrs(to, &extra)) < 0)
                return (int) ne;
        for (char *k = extra; k && k < extra + ne; k += strlen(k) + 1)
                if (!content_hash(k) && !in_list(names, n, k) && fileio_ops.fremovexattr(to, k) < 0 && errno != ENODATA) {
                        snprintf(failed, XATTR_NAME_MAX + 1, "%s", k);
                        return -errno;
                }
        return 0;
}

/* a name for a temporary beside name in dirfd, made by make (0 or -errno,
 * -EEXIST: try another name) */
static int make_unique(int dirfd, const char *name, char tmp[static NAME_MAX + 1],
                       int (*make)(int dirfd, const char *tmp, void *data), void *data) {
        for (int tries = 0;; tries++) {
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                snprintf(tmp, NAME_MAX + 1, ".%.200s.vfpt-%ld-%lx", name, (long) getpid(),
                         (unsigned long) ts.tv_nsec ^ (unsigned long) tries * 2654435761u);
                int r = make(dirfd, tmp, data);
                if (r != -EEXIST || tries > 16) {
                        if (r < 0)
                                *tmp = 0;
                        return r;
                }
        }
}

static int make_open(int dirfd, const char *tmp, void *data) {
        int *fd = data;
        *fd = fileio_ops.openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        return *fd < 0 ? -errno : 0;
}

static int make_link(int dirfd, const char *tmp, void *data) {
        return fileio_ops.linkat(dirfd, data, dirfd, tmp, 0) < 0 ? -errno : 0;
}

/* writes content to a new temporary in dirfd (its name in tmp), with the
 * mode, owner and extended attributes of the file open as like */
static int write_temp(int dirfd, const char *name, const char *content, size_t len, const struct stat *st, int like,
                      char tmp[static NAME_MAX + 1], char xattr[static XATTR_NAME_MAX + 1]) {
        _cleanup_close_ int fd = -1;
        int r = make_unique(dirfd, name, tmp, make_open, &fd);
        if (r < 0)
                return r;
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
        if (like >= 0 && (r = copy_xattrs(like, fd, xattr)) < 0)
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
        *tmp = 0;
        return r;
}

/* writes content to a new temporary in dirfd and renames it to name */
static int replace_in(int dirfd, const char *name, const char *content, size_t len, const struct stat *st) {
        char tmp[NAME_MAX + 1], xattr[XATTR_NAME_MAX + 1];
        int r = write_temp(dirfd, name, content, len, st, -1, tmp, xattr);
        if (r < 0)
                return r;
        if (fileio_ops.renameat(dirfd, tmp, dirfd, name) < 0) {
                r = -errno;
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        return 0;
}

/* One file of a set. Its stages, each undone in reverse order on failure:
 * the new content in the temporary fresh; the old file also linked as keep
 * (the file itself stays reachable whatever follows); the previous backup
 * also linked as prev; fresh renamed over the file; keep renamed to the
 * backup. Nothing else is ever visible under the file's or the backup's
 * name than their old or their new content. */
enum { ST_PREPARED, ST_KEPT, ST_PREV, ST_REPLACED, ST_BACKED_UP };

struct atomic_file {
        int dirfd;
        char *base, *bname, *backup; /* in the real file's directory; backup: the whole path */
        char fresh[NAME_MAX + 1], keep[NAME_MAX + 1], prev[NAME_MAX + 1];
        int stage;
};

struct atomic_set {
        struct atomic_file *f;
        size_t n;
};

int atomic_set_new(struct atomic_set **ret) {
        *ret = calloc(1, sizeof(**ret));
        return *ret ? 0 : -ENOMEM;
}

static void unlink_tmp(int dirfd, char *tmp) {
        if (*tmp)
                unlinkat(dirfd, tmp, 0);
        *tmp = 0;
}

/* f back to as it was: 0, or -errno when a step could not be undone */
static int undo(struct atomic_file *f) {
        if (f->stage >= ST_BACKED_UP) {
                /* the old file is the backup now: back at its name, the previous backup at its own */
                if (renameat(f->dirfd, f->bname, f->dirfd, f->base) < 0)
                        return -errno;
                *f->keep = 0;
                if (*f->prev && renameat(f->dirfd, f->prev, f->dirfd, f->bname) < 0)
                        return -errno;
                *f->prev = 0;
        } else if (f->stage >= ST_REPLACED) {
                if (!*f->keep) /* no backup asked for, nothing kept: cannot be undone */
                        return -ENOTRECOVERABLE;
                if (renameat(f->dirfd, f->keep, f->dirfd, f->base) < 0)
                        return -errno;
                *f->keep = 0;
        }
        unlink_tmp(f->dirfd, f->fresh);
        unlink_tmp(f->dirfd, f->prev);
        unlink_tmp(f->dirfd, f->keep);
        f->stage = ST_PREPARED;
        return 0;
}

void atomic_set_free(struct atomic_set *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++) {
                struct atomic_file *f = &s->f[i];
                /* what was not committed goes; of one that could not be
                 * put back, keep and prev may hold the only copy of the old
                 * file or of the previous backup: they stay */
                if (f->stage < ST_REPLACED)
                        (void) undo(f);
                closep(&f->dirfd);
                free(f->base);
                free(f->bname);
                free(f->backup);
        }
        free(s->f);
        free(s);
}

const char *atomic_set_backup(const struct atomic_set *s, size_t i) {
        return i < s->n ? s->f[i].backup : NULL;
}

int atomic_set_add(struct atomic_set *s, const char *path, const char *content, size_t len,
                   const char *backup_suffix, struct atomic_result *res) {
        char target[PATH_MAX];
        struct stat st;

        if (res)
                *res = (struct atomic_result) {};
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
        struct atomic_file *m = realloc(s->f, (s->n + 1) * sizeof(*m));
        if (!m)
                return -ENOMEM;
        s->f = m;
        struct atomic_file *f = &s->f[s->n];
        *f = (struct atomic_file) { .dirfd = -1 };
        _cleanup_free_ char *d = strdup(target), *b = strdup(target);
        if (!d || !b)
                return -ENOMEM;
        f->dirfd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        f->base = strdup(basename(b));
        if (backup_suffix) {
                f->bname = strdupf("%s%s", f->base ?: "", backup_suffix);
                f->backup = strdupf("%s%s", target, backup_suffix);
        }
        s->n++; /* from here, atomic_set_free cleans up */
        if (f->dirfd < 0)
                return -errno;
        if (!f->base || (backup_suffix && (!f->bname || !f->backup)))
                return -ENOMEM;
        char xattr[XATTR_NAME_MAX + 1] = "";
        int r = write_temp(f->dirfd, f->base, content, len, &st, old, f->fresh, xattr);
        if (r < 0 && res)
                snprintf(res->xattr, sizeof(res->xattr), "%s", xattr);
        return r;
}

/* f in place, stage by stage */
static int commit_one(struct atomic_file *f) {
        int r;
        if (f->bname) {
                /* the old file stays reachable until the set is in place
                 * (an immutable or append-only file cannot be linked: it
                 * fails here, before anything changed) */
                if ((r = make_unique(f->dirfd, f->base, f->keep, make_link, f->base)) < 0)
                        return r;
                f->stage = ST_KEPT;
                r = make_unique(f->dirfd, f->bname, f->prev, make_link, f->bname);
                if (r < 0 && r != -ENOENT)
                        return r;
                f->stage = ST_PREV;
        }
        if (fileio_ops.renameat(f->dirfd, f->fresh, f->dirfd, f->base) < 0)
                return -errno;
        *f->fresh = 0;
        f->stage = ST_REPLACED;
        if (f->bname) {
                if (fileio_ops.renameat(f->dirfd, f->keep, f->dirfd, f->bname) < 0)
                        return -errno;
                *f->keep = 0;
                f->stage = ST_BACKED_UP;
        }
        return 0;
}

int atomic_set_commit(struct atomic_set *s, size_t *failed, struct atomic_result *res) {
        int r = 0;
        size_t i;

        if (res)
                res->replaced = false;
        for (i = 0; i < s->n && r >= 0; i++)
                r = commit_one(&s->f[i]);
        if (r < 0) {
                /* every file back as it was, the last first */
                bool stuck = false;
                *failed = i - 1;
                for (size_t k = i; k > 0; k--)
                        stuck = undo(&s->f[k - 1]) < 0 || stuck;
                if (res)
                        res->replaced = stuck;
                return r;
        }
        /* in place: the links that kept the old files and previous backups go */
        if (res)
                res->replaced = true;
        for (i = 0; i < s->n; i++) {
                unlink_tmp(s->f[i].dirfd, s->f[i].prev);
                unlink_tmp(s->f[i].dirfd, s->f[i].keep);
        }
        for (i = 0; i < s->n; i++)
                if (fileio_ops.fsync(s->f[i].dirfd) < 0) {
                        *failed = i;
                        return -errno;
                }
        return 0;
}

int atomic_replace_full(const char *path, const char *content, size_t len, const char *backup_suffix,
                        bool *ret_replaced) {
        struct atomic_set *s = NULL;
        struct atomic_result res = {};
        size_t failed;
        int r = atomic_set_new(&s);
        if (r >= 0)
                r = atomic_set_add(s, path, content, len, backup_suffix, &res);
        if (r >= 0)
                r = atomic_set_commit(s, &failed, &res);
        atomic_set_free(s);
        if (ret_replaced)
                *ret_replaced = res.replaced;
        return r;
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
        int r = replace_in(dirfd, base, content, len, &st);
        if (r < 0)
                return r;
        return fileio_ops.fsync(dirfd) < 0 ? -errno : 0;
}
