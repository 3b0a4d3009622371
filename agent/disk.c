/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <blkid.h>

#include "cmdline.h"
#include "disk.h"
#include "host.h"
#include "paths.h"
#include "util.h"

struct blockdev {
        char name[NAME_MAX + 1]; /* nvme0n1p2 */
        char dev[32];  /* 259:2 */
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

/* block devices (disks and partitions) whose sysfs path lies below the PCI
 * device, directly or as a path of an NVMe multipath disk */
static int beneath(const char *pci_name, struct blockdev **ret, size_t *n) {
        char base[PATH_MAX], p[PATH_MAX], real[PATH_MAX];
        struct dirent *de;
        DIR *d;

        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s", pci_name);
        if (!realpath(p, base))
                return errno == ENOENT ? 0 : -errno; /* not there (yet): nothing beneath it */
        strcat(base, "/");
        d = opendir(SYSFS_CLASS_BLOCK);
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), SYSFS_CLASS_BLOCK "/%s", de->d_name);
                if (!realpath(p, real) || (strncmp(real, base, strlen(base)) != 0 && !multipath_under(real, base)))
                        continue;
                struct blockdev b = {};
                _cleanup_free_ char *dev = NULL;
                snprintf(b.name, sizeof(b.name), "%s", de->d_name);
                snprintf(p, sizeof(p), SYSFS_CLASS_BLOCK "/%s/dev", de->d_name);
                if (read_one_line(p, &dev) == 0)
                        snprintf(b.dev, sizeof(b.dev), "%s", dev);
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

static const struct blockdev *find_dev(const struct blockdev *b, size_t n, const char *majmin) {
        for (size_t i = 0; i < n; i++)
                if (*b[i].dev && streq(b[i].dev, majmin))
                        return &b[i];
        return NULL;
}

static const struct blockdev *find_name(const struct blockdev *b, size_t n, const char *devname) {
        const char *base = strrchr(devname, '/');
        base = base ? base + 1 : devname;
        for (size_t i = 0; i < n; i++)
                if (streq(b[i].name, base))
                        return &b[i];
        return NULL;
}

/* a device spec (/dev/..., UUID=, LABEL=, PARTUUID=, PARTLABEL=) as a device name */
static char *spec_device(const char *spec) {
        if (strncmp(spec, "/dev/", 5) == 0)
                return strdup(spec);
        if (!strchr(spec, '='))
                return NULL;
        return blkid_evaluate_tag(spec, NULL, NULL);
}

/* NAME= of the kernel command line (root=, resume=), as a device name */
static char *cmdline_device(const char *name) {
        _cleanup_strv_free_ char **params = NULL;
        if (host_cmdline(&params) < 0)
                return NULL;
        int i = cmdline_find_last(params, name);
        if (i < 0 || !strchr(params[i], '='))
                return NULL;
        return spec_device(strchr(params[i], '=') + 1);
}

/* What /etc/fstab will mount or swap on (once local-fs.target is reached:
 * /boot, /boot/efi, /usr, swap), beneath the device. */
static int fstab_guard(const struct blockdev *b, size_t nb, char *why, size_t n) {
        _cleanup_free_ char *t = NULL;
        int r = read_file(path_fstab(), 1024 * 1024, &t, NULL);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        for (char *l = t; l && *l;) {
                char *nl = strchr(l, '\n');
                char spec[512], mnt[512];
                if (nl)
                        *nl = 0;
                if (sscanf(l, "%511s %511s", spec, mnt) == 2 && spec[0] != '#') {
                        _cleanup_free_ char *dev = spec_device(spec);
                        const struct blockdev *hit = dev ? find_name(b, nb, dev) : NULL;
                        if (hit) {
                                snprintf(why, n, "%s is in /etc/fstab for %s", hit->name, mnt);
                                return 1;
                        }
                }
                l = nl ? nl + 1 : NULL;
        }
        return 0;
}

int disk_guard(const char *pci_name, char *why, size_t n) {
        _cleanup_free_ struct blockdev *b = NULL;
        _cleanup_free_ char *mounts = NULL, *swaps = NULL, *root = NULL, *resume = NULL;
        const struct blockdev *hit;
        size_t nb = 0;
        int r;

        r = beneath(pci_name, &b, &nb);
        if (r < 0)
                return r;
        if (nb == 0)
                return 0;

        root = cmdline_device("root");
        if (root && (hit = find_name(b, nb, root))) {
                snprintf(why, n, "%s holds the root file system (root=%s)", hit->name, root);
                return 1;
        }
        resume = cmdline_device("resume");
        if (resume && (hit = find_name(b, nb, resume))) {
                snprintf(why, n, "%s holds the hibernation image (resume=%s)", hit->name, resume);
                return 1;
        }
        r = fstab_guard(b, nb, why, n);
        if (r != 0)
                return r;
        r = read_file(PROC_MOUNTINFO, 4 * 1024 * 1024, &mounts, NULL);
        if (r < 0)
                return r;
        /* mountinfo: id parent MAJ:MIN root mountpoint ... */
        for (char *l = mounts; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                char majmin[32], mnt[PATH_MAX];
                if (sscanf(l, "%*s %*s %31s %*s %4095s", majmin, mnt) == 2 && (hit = find_dev(b, nb, majmin))) {
                        snprintf(why, n, "%s is mounted on %s%s", hit->name, mnt,
                                 streq(mnt, "/") ? " (the root file system)" : "");
                        return 1;
                }
                l = nl ? nl + 1 : NULL;
        }
        r = read_file(PROC_SWAPS, 1024 * 1024, &swaps, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        for (char *l = swaps; l && *l;) {
                char *nl = strchr(l, '\n');
                if (nl)
                        *nl = 0;
                char dev[PATH_MAX];
                if (l[0] == '/' && sscanf(l, "%4095s", dev) == 1 && (hit = find_name(b, nb, dev))) {
                        snprintf(why, n, "%s is swap in use", hit->name);
                        return 1;
                }
                l = nl ? nl + 1 : NULL;
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
        return 0;
}
