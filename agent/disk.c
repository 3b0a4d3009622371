/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <blkid.h>
#include <dlfcn.h>

#include "cmdline.h"
#include "disk.h"
#include "host.h"
#include "paths.h"
#include "spawn.h"
#include "util.h"

/* libblkid is opened when a tag (UUID=, LABEL=...) is to be resolved, not
 * at exec: linked in, its probe tables were most of the binary and 600 of
 * its relocations, paid by every run udev forks for a PCI event (README,
 * Benchmarks). */
static void *blkid_dl;
static struct {
        int (*encode_string)(const char *, char *, size_t);
        int (*get_cache)(blkid_cache *, const char *);
        char *(*evaluate_tag)(const char *, const char *, blkid_cache *);
        void (*put_cache)(blkid_cache);
} bl;

static int blkid_open(void) {
        if (blkid_dl)
                return 0;
        blkid_dl = dlopen("libblkid.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!blkid_dl)
                return -ENOPKG;
        if (!(*(void **) &bl.encode_string = dlsym(blkid_dl, "blkid_encode_string")) ||
            !(*(void **) &bl.get_cache = dlsym(blkid_dl, "blkid_get_cache")) ||
            !(*(void **) &bl.evaluate_tag = dlsym(blkid_dl, "blkid_evaluate_tag")) ||
            !(*(void **) &bl.put_cache = dlsym(blkid_dl, "blkid_put_cache"))) {
                dlclose(blkid_dl);
                blkid_dl = NULL;
                return -ENOPKG;
        }
        return 0;
}

struct blockdev {
        char name[NAME_MAX + 1]; /* nvme0n1p2 */
        dev_t dev;               /* 259:2 */
};

/* What the host needs: block devices by number, each with what it is for
 * ("is mounted on /var"); a stacked device (dm, md) brings the devices
 * below it. unresolved: the first root, /usr, swap, resume, fstab or
 * crypttab source that names no block device, or a pool whose devices
 * cannot be listed: then no storage controller can be said to hold
 * nothing the host needs. */
struct needs {
        struct need {
                dev_t dev;
                char what[600];
        } *v;
        size_t n;
        char unresolved[256];
        char **pools;      /* ZFS pools the host uses */
        char **pools_what; /* what each is for */
        struct blockdev *all; /* every block device, by name */
        size_t n_all;
};

static bool under(const char *path, const char *base) {
        char real[PATH_MAX];
        return realpath(path, real) && strncmp(real, base, strlen(base)) == 0;
}

/* A native NVMe multipath disk (nvme_core.multipath=Y, Debian's default) and
 * its partitions live under /sys/devices/virtual/nvme-subsystem/nvme-subsysN/,
 * not under a controller; the subsystem's directory links its controllers
 * (nvme0 -> .../0000:01:00.0/nvme/nvme0). Does one of them lie below base? */
static bool multipath_under(const char *real, const char *base) {
        static const char marker[] = "/nvme-subsystem/nvme-subsys";
        char dir[PATH_MAX], link[PATH_MAX];
        const char *m = strstr(real, marker);
        struct dirent *de;
        bool hit = false;

        if (!m)
                return false;
        size_t len = (size_t) (m - real) + strlen(marker);
        len += strcspn(real + len, "/");
        if (len >= sizeof(dir))
                return false;
        memcpy(dir, real, len);
        dir[len] = 0;
        DIR *d = opendir(dir);
        if (!d)
                return false;
        while (!hit && (de = readdir(d))) {
                /* the controllers: nvme<digits>; not the namespaces (nvme0n1) */
                const char *n = de->d_name;
                if (strncmp(n, "nvme", 4) != 0 || !n[4] || strspn(n + 4, "0123456789") != strlen(n + 4) ||
                    (size_t) snprintf(link, sizeof(link), "%s/%s", dir, n) >= sizeof(link))
                        continue;
                hit = under(link, base);
        }
        closedir(d);
        return hit;
}

static int parse_devnum(const char *s, dev_t *ret) {
        unsigned ma, mi;
        char c;
        if (sscanf(s, "%u:%u%c", &ma, &mi, &c) != 2)
                return -EINVAL;
        *ret = makedev(ma, mi);
        return 0;
}

/* Block devices (disks and partitions, dm, md, loop) whose sysfs path lies
 * below base, every one when base is NULL. */
static int block_devices(const char *base, struct blockdev **ret, size_t *n) {
        char p[PATH_MAX], real[PATH_MAX];
        struct dirent *de;
        DIR *d = opendir(SYSFS_CLASS_BLOCK);

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), SYSFS_CLASS_BLOCK "/%s", de->d_name);
                if (base && (!realpath(p, real) ||
                             (strncmp(real, base, strlen(base)) != 0 && !multipath_under(real, base))))
                        continue;
                struct blockdev b = {};
                _cleanup_free_ char *dev = NULL;
                snprintf(b.name, sizeof(b.name), "%s", de->d_name);
                snprintf(p, sizeof(p), SYSFS_CLASS_BLOCK "/%s/dev", de->d_name);
                if (read_one_line(p, &dev) < 0 || parse_devnum(dev, &b.dev) < 0)
                        continue;
                struct blockdev *m = realloc(*ret, (*n + 1) * sizeof(*m));
                if (!m) {
                        closedir(d);
                        return -ENOMEM;
                }
                *ret = m;
                m[(*n)++] = b;
        }
        closedir(d);
        return 0;
}

/* block devices beneath the PCI device, directly or as a path of an NVMe
 * multipath disk */
static int beneath(const char *pci_name, struct blockdev **ret, size_t *n) {
        char base[PATH_MAX], p[PATH_MAX];

        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s", pci_name);
        if (!realpath(p, base))
                return errno == ENOENT ? 0 : -errno; /* not there (yet): nothing beneath it */
        strcat(base, "/");
        return block_devices(base, ret, n);
}

static const struct blockdev *find_dev(const struct blockdev *b, size_t n, dev_t dev) {
        for (size_t i = 0; i < n; i++)
                if (b[i].dev == dev)
                        return &b[i];
        return NULL;
}

static const struct blockdev *find_name(const struct blockdev *b, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq(b[i].name, name))
                        return &b[i];
        return NULL;
}

/* A path to a block device, as the kernel would open it: its node (udev's
 * links followed), or, where there is no node (yet), the kernel's own name
 * /dev/NAME of a block device sysfs has. */
static int path_devnum(const struct needs *nd, const char *path, dev_t *ret) {
        char real[PATH_MAX];
        struct stat st;
        const struct blockdev *b;

        if (realpath(path, real) && stat(real, &st) == 0) {
                if (!S_ISBLK(st.st_mode))
                        return -ENOTBLK;
                *ret = st.st_rdev;
                return 0;
        }
        if (strncmp(path, "/dev/", 5) == 0 && !strchr(path + 5, '/') && (b = find_name(nd->all, nd->n_all, path + 5))) {
                *ret = b->dev;
                return 0;
        }
        return -ENODEV;
}

static const char *const tags[][2] = {
        { "UUID=", "uuid/" },
        { "LABEL=", "label/" },
        { "PARTUUID=", "partuuid/" },
        { "PARTLABEL=", "partlabel/" },
};

/* Is it a block device spec (a /dev path or a tag), not a network source,
 * a pseudo file system's name, a directory or a file? */
static bool is_device_spec(const char *spec) {
        /* /dev/fd0: the legacy floppy controller, never a PCI device (old
         * Debian installers wrote it into fstab, noauto) */
        if (strncmp(spec, "/dev/", 5) == 0)
                return !streq(spec, "/dev/nfs") && strncmp(spec, "/dev/ram", 8) != 0 &&
                       !(strncmp(spec, "/dev/fd", 7) == 0 && spec[7] >= '0' && spec[7] <= '9');
        for (size_t i = 0; i < ELEMENTSOF(tags); i++)
                if (strncmp(spec, tags[i][0], strlen(tags[i][0])) == 0)
                        return true;
        return false;
}

/* A device spec (/dev/..., UUID=, LABEL=, PARTUUID=, PARTLABEL=) as a device
 * number, found as systemd finds what fstab names: a tag is udev's link
 * /dev/disk/by-TAG/VALUE (the value encoded as udev does, libblkid's
 * blkid_encode_string()); a device udev has not linked yet is found by
 * libblkid's probe of every block device (no cache file is read or
 * written). -ENODEV if no block device has that name. */
static int spec_devnum(const struct needs *nd, const char *spec, dev_t *ret) {
        char link[PATH_MAX];
        size_t k;

        if (strncmp(spec, "/dev/", 5) == 0)
                return path_devnum(nd, spec, ret);
        for (size_t i = 0; i < ELEMENTSOF(tags); i++) {
                size_t tl = strlen(tags[i][0]);
                if (strncmp(spec, tags[i][0], tl) != 0)
                        continue;
                int r = blkid_open();
                if (r < 0)
                        return r;
                k = (size_t) snprintf(link, sizeof(link), DEV_DISK_BY "%s", tags[i][1]);
                if (spec[tl] && bl.encode_string(spec + tl, link + k, sizeof(link) - k) == 0 &&
                    path_devnum(nd, link, ret) == 0)
                        return 0;
                blkid_cache cache = NULL;
                if (bl.get_cache(&cache, DEV_NULL) < 0)
                        return -ENOMEM;
                _cleanup_free_ char *dev = bl.evaluate_tag(spec, NULL, &cache);
                bl.put_cache(cache);
                return dev ? path_devnum(nd, dev, ret) : -ENODEV;
        }
        return -EINVAL;
}

static int add_one(struct needs *nd, dev_t dev, const char *what) {
        for (size_t i = 0; i < nd->n; i++)
                if (nd->v[i].dev == dev)
                        return 0; /* the first reason stands */
        struct need *m = realloc(nd->v, (nd->n + 1) * sizeof(*m));
        if (!m)
                return -ENOMEM;
        nd->v = m;
        m[nd->n] = (struct need) { .dev = dev };
        snprintf(m[nd->n].what, sizeof(m->what), "%s", what);
        nd->n++;
        return 0;
}

/* dev and, for a stacked device (dm: LVM, LUKS, multipath; md), the devices
 * below it (its slaves), all the way down */
static int add_need(struct needs *nd, dev_t dev, const char *what, unsigned depth) {
        const struct blockdev *b = find_dev(nd->all, nd->n_all, dev);
        char p[PATH_MAX];
        struct dirent *de;
        int r = add_one(nd, dev, what);

        if (r < 0 || !b || depth > 16)
                return r;
        snprintf(p, sizeof(p), SYSFS_CLASS_BLOCK "/%s/slaves", b->name);
        DIR *d = opendir(p);
        if (!d)
                return 0;
        while (r >= 0 && (de = readdir(d))) {
                const struct blockdev *s = find_name(nd->all, nd->n_all, de->d_name);
                if (de->d_name[0] == '.' || !s)
                        continue;
                _cleanup_free_ char *w = strstr(what, " (through ") ? strdup(what)
                                                                      : strdupf("%s (through %s)", what, b->name);
                r = w ? add_need(nd, s->dev, w, depth + 1) : -ENOMEM;
        }
        closedir(d);
        return r;
}

static void unresolved(struct needs *nd, const char *fmt, ...) _printf_(2, 3);
static void unresolved(struct needs *nd, const char *fmt, ...) {
        va_list ap;
        if (*nd->unresolved)
                return; /* the first one is named */
        va_start(ap, fmt);
        vsnprintf(nd->unresolved, sizeof(nd->unresolved), fmt, ap);
        va_end(ap);
}

/* spec is needed for what; unresolved when it names no block device.
 * Returns 1 if resolved, 0 if not, -errno. */
static int need_spec(struct needs *nd, const char *spec, const char *what, const char *source) {
        dev_t dev;
        int r = spec_devnum(nd, spec, &dev);
        if (r == -ENOPKG) {
                unresolved(nd, "%s (%s) cannot be resolved: libblkid.so.1 cannot be loaded", spec, source);
                return 0;
        }
        if (r < 0) {
                unresolved(nd, "%s (%s) names no block device", spec, source);
                return 0;
        }
        r = add_need(nd, dev, what, 0);
        return r < 0 ? r : 1;
}

static int need_pool(struct needs *nd, const char *dataset, const char *what) {
        _cleanup_free_ char *pool = strndup(dataset, strcspn(dataset, "/@"));
        if (!pool)
                return -ENOMEM;
        if (!*pool || strv_contains(nd->pools, pool))
                return 0;
        int r = strv_extend(&nd->pools_what, what);
        return r < 0 ? r : strv_push(&nd->pools, TAKE_PTR(pool));
}

/* file systems that are not on a block device of this host */
static bool not_block(const char *fstype) {
        static const char *const t[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "glusterfs", "ceph",
                                         "9p", "virtiofs", "davfs", "tmpfs", "ramfs", "proc", "sysfs", "devpts",
                                         "devtmpfs", "cgroup", "cgroup2", "debugfs", "tracefs", "securityfs",
                                         "efivarfs", "hugetlbfs", "mqueue", "pstore", "bpf", "configfs",
                                         "binfmt_misc", "autofs", "overlay", "none", "rootfs" };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(fstype, t[i]))
                        return true;
        return strncmp(fstype, "fuse", 4) == 0;
}

/* fstab, crypttab and mountinfo escape blanks and backslashes in a field
 * as octal (\040): in place, as libmount reads them */
static char *unoctal(char *s) {
        char *o = s;
        for (const char *i = s; *i; o++)
                if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' && i[2] <= '7' && i[3] >= '0' &&
                    i[3] <= '7') {
                        *o = (char) ((i[1] - '0') << 6 | (i[2] - '0') << 3 | (i[3] - '0'));
                        i += 4;
                } else
                        *o = *i++;
        *o = 0;
        return s;
}

/* Each line of a file as blank-separated fields (at most 4), unescaped. */
static int each_line(const char *path, int (*fn)(struct needs *, char **f, size_t n), struct needs *nd) {
        _cleanup_free_ char *t = NULL;
        int r = read_file(path, 4 * 1024 * 1024, &t, NULL);
        if (r < 0)
                return r;
        for (char *c = t, *l; (l = line_next(&c));) {
                char *f[4] = {}, *save = NULL;
                size_t n = 0;
                for (char *w = strtok_r(l, " \t", &save); w && n < ELEMENTSOF(f); w = strtok_r(NULL, " \t", &save))
                        f[n++] = unoctal(w);
                if (n == 0 || f[0][0] == '#')
                        continue;
                r = fn(nd, f, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* /etc/fstab: spec file vfstype options; what local-fs.target mounts (and
 * what a user mounts by hand: noauto and nofail entries count too) */
static int fstab_entry(struct needs *nd, char **f, size_t n) {
        char what[224];
        if (n < 3 || not_block(f[2]) || (n > 3 && strstr(f[3], "bind")))
                return 0;
        snprintf(what, sizeof(what), "is in /etc/fstab for %s", streq(f[2], "swap") ? "swap" : f[1]);
        if (streq(f[2], "zfs"))
                return need_pool(nd, f[0], what);
        if (!is_device_spec(f[0]))
                return 0;
        char source[PATH_MAX];
        snprintf(source, sizeof(source), "/etc/fstab, %s", f[1]);
        int r = need_spec(nd, f[0], what, source);
        return r < 0 ? r : 0;
}

/* /etc/crypttab: name source [key [options]] */
static int crypttab_entry(struct needs *nd, char **f, size_t n) {
        char what[224], source[300];
        if (n < 2 || !is_device_spec(f[1]))
                return 0;
        snprintf(what, sizeof(what), "is in /etc/crypttab for %s", f[0]);
        snprintf(source, sizeof(source), "/etc/crypttab, %s", f[0]);
        int r = need_spec(nd, f[1], what, source);
        return r < 0 ? r : 0;
}

/* /proc/swaps: Filename Type Size Used Priority; a swap file's file system
 * is mounted (mountinfo) */
static int swaps_entry(struct needs *nd, char **f, size_t n) {
        if (n < 2 || f[0][0] != '/' || !streq(f[1], "partition"))
                return 0;
        int r = need_spec(nd, f[0], "is swap in use", "swap in use");
        return r < 0 ? r : 0;
}

/* btrfs: every device of a file system the host needs (the kernel lists a
 * mounted one's devices in /sys/fs/btrfs/FSID/devices) */
static int btrfs_members(struct needs *nd) {
        struct dirent *fs, *de;
        char p[PATH_MAX];
        int r = 0;
        DIR *d = opendir(SYSFS_FS_BTRFS);

        if (!d)
                return 0;
        while (r >= 0 && (fs = readdir(d))) {
                if (fs->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), SYSFS_FS_BTRFS "/%s/devices", fs->d_name);
                _cleanup_free_ struct blockdev *m = NULL;
                size_t nm = 0;
                DIR *dd = opendir(p);
                if (!dd)
                        continue;
                while ((de = readdir(dd))) {
                        const struct blockdev *b = find_name(nd->all, nd->n_all, de->d_name);
                        struct blockdev *g = b ? realloc(m, (nm + 1) * sizeof(*g)) : NULL;
                        if (b && !g) {
                                r = -ENOMEM;
                                break;
                        }
                        if (b)
                                (m = g)[nm++] = *b;
                }
                closedir(dd);
                /* the member that is a needed device, and that need (gcc 14
                 * cannot tell a second lookup finds it again) */
                const struct need *hit = NULL;
                const struct blockdev *via = NULL;
                for (size_t i = 0; i < nd->n && !via; i++)
                        if ((via = find_dev(m, nm, nd->v[i].dev)))
                                hit = &nd->v[i];
                if (!via || !hit || r < 0)
                        continue;
                _cleanup_free_ char *w = strdupf("is a device of the btrfs file system on %s, which %s", via->name,
                                                 hit->what);
                for (size_t i = 0; w && r >= 0 && i < nm; i++)
                        r = add_need(nd, m[i].dev, w, 0);
                if (!w)
                        r = -ENOMEM;
        }
        closedir(d);
        return r;
}

/* udev's ID_FS_TYPE and ID_FS_UUID of a block device (its database, under
 * the sysroot); -ENOENT when udev has not processed the device yet (no
 * database entry), -ENODATA when it found no file system there */
static int udev_fs(dev_t dev, char *type, char *uuid, size_t n) {
        _cleanup_free_ char *p = strdupf(RUN_UDEV_DATA "/b%u:%u", major(dev), minor(dev)), *rooted = NULL,
                            *t = NULL;
        if (!p || !(rooted = path_rooted(p)))
                return -ENOMEM;
        int r = read_file(rooted, 1024 * 1024, &t, NULL);
        if (r < 0)
                return r;
        *type = *uuid = 0;
        for (char *c = t, *l; (l = line_next(&c));)
                if (strncmp(l, "E:ID_FS_TYPE=", 13) == 0)
                        snprintf(type, n, "%s", l + 13);
                else if (strncmp(l, "E:ID_FS_UUID=", 13) == 0)
                        snprintf(uuid, n, "%s", l + 13);
        return *type && *uuid ? 0 : -ENODATA;
}

/* btrfs before it is mounted (the initramfs): every device udev found
 * holding the file system of a needed device. udev links one member for
 * the file system's UUID, and /sys/fs/btrfs lists nothing yet. */
static int btrfs_peers(struct needs *nd) {
        int r = 0;
        for (size_t i = 0, n = nd->n; i < n && r >= 0; i++) {
                const struct blockdev *via = find_dev(nd->all, nd->n_all, nd->v[i].dev);
                char type[64], uuid[64], t2[64], u2[64];
                if (!via || udev_fs(via->dev, type, uuid, sizeof(type)) < 0 || !streq(type, "btrfs"))
                        continue;
                _cleanup_free_ char *w = strdupf("is a device of the btrfs file system on %s, which %s", via->name,
                                                 nd->v[i].what);
                if (!w)
                        return -ENOMEM;
                for (size_t j = 0; r >= 0 && j < nd->n_all; j++) {
                        if (nd->all[j].dev == via->dev)
                                continue;
                        int k = udev_fs(nd->all[j].dev, t2, u2, sizeof(t2));
                        if (k == -ENOENT)
                                /* not probed yet: it may be another device
                                 * of this file system (cannot tell is not no) */
                                unresolved(nd, "%s: not probed by udev yet, it may be a device of the btrfs "
                                               "file system on %s", nd->all[j].name, via->name);
                        else if (k == 0 && streq(t2, type) && streq(u2, uuid))
                                r = add_need(nd, nd->all[j].dev, w, 0);
                }
        }
        return r;
}

/* mountinfo: id parent MAJ:MIN root mountpoint options ... - fstype source
 * superoptions. Sets *root when / is on something found. */
static int mounts(struct needs *nd, bool *root) {
        _cleanup_free_ char *t = NULL;
        int r = read_file(PROC_MOUNTINFO, 16 * 1024 * 1024, &t, NULL);
        if (r < 0)
                return r;
        for (char *c = t, *l; (l = line_next(&c));) {
                char majmin[32], mnt[401], fstype[64], source[PATH_MAX], what[600];
                const char *sep;
                dev_t dev;
                if (sscanf(l, "%*s %*s %31s %*s %400s", majmin, mnt) != 2 || parse_devnum(majmin, &dev) < 0 ||
                    !(sep = strstr(l, " - ")) || sscanf(sep + 3, "%63s %4095s", fstype, source) != 2)
                        continue;
                unoctal(mnt);
                unoctal(source);
                bool is_root = streq(mnt, "/");
                snprintf(what, sizeof(what), "is mounted on %s%s", mnt, is_root ? " (the root file system)" : "");
                if (streq(fstype, "zfs")) {
                        r = need_pool(nd, source, what);
                        *root |= is_root;
                } else if (streq(fstype, "btrfs") || major(dev) == 0) {
                        /* an anonymous device number: btrfs names one of its
                         * devices as the source; the rest are not on a block
                         * device */
                        if (not_block(fstype) || !is_device_spec(source))
                                continue;
                        char src[600];
                        snprintf(src, sizeof(src), "the %s file system mounted on %s", fstype, mnt);
                        r = need_spec(nd, source, what, src);
                        if (r > 0)
                                *root |= is_root;
                } else {
                        r = add_need(nd, dev, what, 0);
                        *root |= is_root;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The pools' devices, from `zpool status -P POOL` (run without a shell) */
static int zfs_pools(struct needs *nd) {
        const char *tools[] = { USR_SBIN_ZPOOL, SBIN_ZPOOL };
        _cleanup_free_ char *tool = NULL;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(tools) && !tool; i++) {
                tool = path_rooted(tools[i]);
                if (!tool)
                        return -ENOMEM;
                if (access(tool, X_OK) < 0) {
                        free(tool);
                        tool = NULL;
                }
        }
        /* in the initramfs no pool is imported yet, and zpool would load
         * the zfs module from a udev event: not run there */
        bool initrd = access(path_initrd_release(), F_OK) == 0;
        for (size_t i = 0; nd->pools && nd->pools[i]; i++) {
                const char *argv[] = { tool, "status", "-P", nd->pools[i], NULL };
                _cleanup_free_ char *out = NULL;
                char what[300];
                size_t found = 0;
                if (initrd) {
                        unresolved(nd, "ZFS pool %s (that %s): not imported in the initramfs", nd->pools[i],
                                   nd->pools_what[i]);
                        return 0;
                }
                if (!tool) {
                        unresolved(nd, "ZFS pool %s (that %s): no zpool tool to list its devices", nd->pools[i],
                                   nd->pools_what[i]);
                        return 0;
                }
                r = spawn_output(argv, 1024 * 1024, &out);
                if (r < 0 || !WIFEXITED(r) || WEXITSTATUS(r) != 0) {
                        unresolved(nd, "ZFS pool %s: %s status -P %s failed", nd->pools[i], tool, nd->pools[i]);
                        return 0;
                }
                snprintf(what, sizeof(what), "is in ZFS pool %s, which %s", nd->pools[i], nd->pools_what[i]);
                /* the config section: NAME STATE ...; vdevs are full paths */
                bool config = false;
                for (char *c = out, *l; (l = line_next(&c));) {
                        char first[PATH_MAX];
                        dev_t dev;
                        if (sscanf(l, "%4095s", first) != 1)
                                continue;
                        if (streq(first, "config:"))
                                config = true;
                        else if (streq(first, "errors:"))
                                config = false;
                        if (!config || strncmp(first, "/dev/", 5) != 0)
                                continue;
                        if (path_devnum(nd, first, &dev) < 0) {
                                unresolved(nd, "ZFS pool %s: device %s is no block device", nd->pools[i], first);
                                continue;
                        }
                        r = add_need(nd, dev, what, 0);
                        if (r < 0)
                                return r;
                        found++;
                }
                if (found == 0)
                        unresolved(nd, "ZFS pool %s: %s status -P %s lists no device", nd->pools[i], tool,
                                   nd->pools[i]);
        }
        return 0;
}

/* NAME= of the kernel command line: root=, resume= */
static const char *cmdline_value(char **params, const char *name) {
        int i = cmdline_find_last(params, name);
        const char *v = i >= 0 ? strchr(params[i], '=') : NULL;
        return v ? v + 1 : NULL;
}

static int load_needs(struct needs *nd) {
        _cleanup_strv_free_ char **params = NULL;
        bool root_mounted = false;
        const char *v;
        char what[224];
        int r;

        r = block_devices(NULL, &nd->all, &nd->n_all);
        if (r < 0)
                return r;
        r = host_cmdline(&params);
        if (r < 0)
                return r;
        r = mounts(nd, &root_mounted);
        if (r < 0)
                return r;
        if ((v = cmdline_value(params, "root"))) {
                snprintf(what, sizeof(what), "holds the root file system (root=%s)", v);
                dev_t dev;
                bool zfs = strncmp(v, "ZFS=", 4) == 0 || strncmp(v, "zfs:", 4) == 0;
                if (zfs && !streq(v + 4, "AUTO"))
                        r = need_pool(nd, v + 4, what);
                else if (!zfs && !is_device_spec(v))
                        r = 0; /* a network or live root: the network guard's */
                else if (!zfs && spec_devnum(nd, v, &dev) == 0)
                        r = add_need(nd, dev, what, 0);
                else if (!root_mounted)
                        /* a root that is mounted is the root: an unresolved
                         * root= is no blind spot then (the initramfs found it
                         * under a name that is gone now; zfs:AUTO) */
                        unresolved(nd, "%s (root=) names no block device", v);
                if (r < 0)
                        return r;
        }
        if ((v = cmdline_value(params, "resume")) && is_device_spec(v)) {
                snprintf(what, sizeof(what), "holds the hibernation image (resume=%s)", v);
                r = need_spec(nd, v, what, "resume=");
                if (r < 0)
                        return r;
        }
        r = each_line(path_fstab(), fstab_entry, nd);
        if (r < 0 && r != -ENOENT)
                return r;
        r = each_line(path_crypttab(), crypttab_entry, nd);
        if (r < 0 && r != -ENOENT)
                return r;
        r = each_line(PROC_SWAPS, swaps_entry, nd);
        if (r < 0 && r != -ENOENT)
                return r;
        r = btrfs_members(nd);
        if (r < 0)
                return r;
        r = btrfs_peers(nd);
        if (r < 0)
                return r;
        return zfs_pools(nd);
}

static struct needs *needs_get(int *error) {
        static struct needs nd;
        static int loaded; /* 0: not yet, 1: done, -errno */
        if (loaded == 0) {
                loaded = load_needs(&nd);
                loaded = loaded < 0 ? loaded : 1;
        }
        *error = loaded < 0 ? loaded : 0;
        return loaded < 0 ? NULL : &nd;
}

static bool has_driver(const char *pci_name) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/driver", pci_name);
        return access(p, F_OK) == 0;
}

int disk_guard(const char *pci_name, char *why, size_t n) {
        _cleanup_free_ struct blockdev *b = NULL;
        const struct blockdev *hit;
        const struct needs *nd;
        size_t nb = 0;
        int r;

        r = beneath(pci_name, &b, &nb);
        if (r < 0)
                return r;
        nd = needs_get(&r);
        if (!nd)
                return r;
        for (size_t i = 0; i < nd->n; i++)
                if ((hit = find_dev(b, nb, nd->v[i].dev))) {
                        snprintf(why, n, "%s %s", hit->name, nd->v[i].what);
                        return 1;
                }
        /* a holder (dm-*, md*) means an active LVM, RAID or crypt member */
        for (size_t i = 0; i < nb; i++) {
                char p[PATH_MAX];
                struct dirent *de;
                snprintf(p, sizeof(p), SYSFS_CLASS_BLOCK "/%s/holders", b[i].name);
                DIR *d = opendir(p);
                if (!d)
                        continue;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.') {
                                snprintf(why, n, "%s is an active member of %s (LVM, RAID or dm-crypt)", b[i].name,
                                         de->d_name);
                                closedir(d);
                                return 1;
                        }
                closedir(d);
        }
        if (*nd->unresolved) {
                snprintf(why, n, "cannot tell whether it holds a disk the host needs%s: %s",
                         has_driver(pci_name) ? "" : " (no driver bound yet: its disks are not known)",
                         nd->unresolved);
                return DISK_CANNOT_TELL;
        }
        return 0;
}
