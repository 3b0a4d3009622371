/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include <libudev.h>

#include "device.h"
#include "paths.h"

/* libudev is opened when a device is first read, never at exec: a PCI event
 * that concerns no configured device is decided from the event and the
 * config alone (see README, Benchmarks); libkmod and libmnl are opened the
 * same way (module.c, netlink.c). */
#define UDEV_FUNCS(X) \
        X(udev_new) \
        X(udev_unref) \
        X(udev_device_new_from_syspath) \
        X(udev_device_unref) \
        X(udev_device_get_driver) \
        X(udev_device_get_property_value) \
        X(udev_device_get_sysattr_value) \
        X(udev_device_get_syspath)

static struct {
#define UDEV_FIELD(f) __typeof__(f) *f;
        UDEV_FUNCS(UDEV_FIELD)
#undef UDEV_FIELD
} udev_dl;

static bool udev_load(void) {
        static int loaded; /* 1 loaded, -1 cannot be */
        void *h;
        if (loaded)
                return loaded > 0;
        loaded = -1;
        if (!(h = dlopen("libudev.so.1", RTLD_NOW | RTLD_GLOBAL)))
                return false;
#define UDEV_SYM(f)                                                     \
        if (!(*(void **) &udev_dl.f = dlsym(RTLD_DEFAULT, #f)))         \
                return false;
        UDEV_FUNCS(UDEV_SYM)
#undef UDEV_SYM
        loaded = 1;
        return true;
}

/* from here on, every udev_*() call goes through the table */
#define UDEV_CALL(f) (*udev_dl.f)
#define udev_new UDEV_CALL(udev_new)
#define udev_unref UDEV_CALL(udev_unref)
#define udev_device_new_from_syspath UDEV_CALL(udev_device_new_from_syspath)
#define udev_device_unref UDEV_CALL(udev_device_unref)
#define udev_device_get_driver UDEV_CALL(udev_device_get_driver)
#define udev_device_get_property_value UDEV_CALL(udev_device_get_property_value)
#define udev_device_get_sysattr_value UDEV_CALL(udev_device_get_sysattr_value)
#define udev_device_get_syspath UDEV_CALL(udev_device_get_syspath)

static struct udev *udev_ctx;

static struct udev *ctx(void) {
        if (!udev_ctx && udev_load())
                udev_ctx = udev_new();
        return udev_ctx;
}

void device_done(void) {
        if (udev_ctx)
                udev_ctx = udev_unref(udev_ctx);
}

static void udev_device_unrefp(struct udev_device **d) {
        if (*d)
                udev_device_unref(*d);
}

static struct udev_device *open_dev(const char *name) {
        char p[128];
        if (!ctx())
                return NULL;
        /* straight to the path: by subsystem and sysname, libudev would try
         * several directories first */
        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s", name);
        return udev_device_new_from_syspath(udev_ctx, p);
}

/* attribute as unsigned; -ENOENT if absent, -EBADMSG if garbage */
static int attr_uint(struct udev_device *d, const char *attr, unsigned *ret) {
        const char *v = udev_device_get_sysattr_value(d, attr);
        if (!v)
                return -ENOENT;
        return safe_atou(v, ret) < 0 ? -EBADMSG : 0;
}

static int link_basename(const char *dir, const char *link, char *buf, size_t n) {
        char p[512], target[512];
        snprintf(p, sizeof(p), "%s/%s", dir, link);
        ssize_t k = readlink(p, target, sizeof(target) - 1);
        if (k < 0)
                return -errno;
        target[k] = 0;
        const char *b = strrchr(target, '/');
        b = b ? b + 1 : target;
        if (strlen(b) >= n)
                return -ENAMETOOLONG;
        memcpy(buf, b, strlen(b) + 1);
        return 0;
}

int device_read(const char *name, struct pci_dev *ret, const char **bad) {
        _cleanup_(udev_device_unrefp) struct udev_device *d = open_dev(name);
        struct pci_dev p = { .group = -1, .autoprobe = -1 };
        const char *why, *v;
        unsigned u;
        int r;

        *bad = NULL;
        if (!d)
                return errno > 0 ? -errno : -ENODEV;
        if (pci_addr_parse(name, &p.addr, &why) < 0) {
                *bad = "name";
                return -EBADMSG;
        }
        pci_addr_format(&p.addr, p.name);

        if ((r = attr_uint(d, "vendor", &u)) < 0 || u > 0xffff) {
                *bad = "vendor";
                return r == -ENOENT ? -ENODEV : -EBADMSG;
        }
        p.id.vendor = (uint16_t) u;
        if ((r = attr_uint(d, "device", &u)) < 0 || u > 0xffff) {
                *bad = "device";
                return r == -ENOENT ? -ENODEV : -EBADMSG;
        }
        p.id.device = (uint16_t) u;
        if ((r = attr_uint(d, "class", &u)) == -EBADMSG) {
                *bad = "class";
                return r;
        }
        p.class = r < 0 ? 0 : u;

        v = udev_device_get_driver(d);
        if (v) {
                if (!pci_driver_name_valid(v)) {
                        *bad = "driver";
                        return -EBADMSG;
                }
                snprintf(p.driver, sizeof(p.driver), "%s", v);
        }
        v = udev_device_get_sysattr_value(d, "driver_override");
        if (v && *v && !streq(v, "(null)")) {
                if (!pci_driver_name_valid(v)) {
                        *bad = "driver_override";
                        return -EBADMSG;
                }
                snprintf(p.override, sizeof(p.override), "%s", v);
        }

        const char *syspath = udev_device_get_syspath(d);
        char g[32];
        if (link_basename(syspath, "iommu_group", g, sizeof(g)) == 0) {
                if (safe_atou(g, &u) < 0 || u > INT32_MAX) {
                        *bad = "iommu_group";
                        return -EBADMSG;
                }
                p.group = (int) u;
        }

        r = attr_uint(d, "sriov_totalvfs", &p.totalvfs);
        if (r == -EBADMSG) {
                *bad = "sriov_totalvfs";
                return r;
        }
        if (r == 0) {
                p.has_sriov = true;
                static const char *const attrs[] = { "sriov_numvfs", "sriov_offset", "sriov_stride" };
                unsigned *dst[] = { &p.numvfs, &p.offset, &p.stride };
                for (size_t i = 0; i < ELEMENTSOF(attrs); i++)
                        if (attr_uint(d, attrs[i], dst[i]) < 0) {
                                *bad = attrs[i];
                                return -EBADMSG;
                        }
                if (attr_uint(d, "sriov_drivers_autoprobe", &u) == 0)
                        p.autoprobe = u ? 1 : 0;
        }
        if (link_basename(syspath, "physfn", p.physfn, sizeof(p.physfn)) == 0)
                p.is_vf = true;

        *ret = p;
        return 0;
}

/* opendir/readdir, not scandir(): glibc's scandir calls its own opendir
 * internally, out of reach of the test fixtures' preload library */
static int names_sorted(const char *dir, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0, alloc = 0;
        DIR *d = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (n + 2 > alloc) { /* strv_extend is O(n) a call: thousands of VFs */
                        alloc = alloc ? alloc * 2 : 64;
                        char **m = realloc(l, alloc * sizeof(char *));
                        if (!m) {
                                r = -ENOMEM;
                                break;
                        }
                        l = m;
                }
                if (!(l[n] = strdup(de->d_name))) {
                        r = -ENOMEM;
                        break;
                }
                l[++n] = NULL;
        }
        closedir(d);
        if (r < 0)
                return r;
        if (!l && strv_split_ws("", &l) < 0)
                return -ENOMEM;
        qsort(l, n, sizeof(char *), (int (*)(const void *, const void *)) strcmp_ptr);
        *ret = TAKE_PTR(l);
        return 0;
}

bool device_is_vf(const char *name) {
        char p[128];
        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/physfn", name);
        return access(p, F_OK) == 0;
}

int device_modalias(const char *name, char *buf, size_t n) {
        _cleanup_(udev_device_unrefp) struct udev_device *d = open_dev(name);
        const char *v;
        if (!d)
                return -ENODEV;
        v = udev_device_get_sysattr_value(d, "modalias");
        if (!v)
                return -ENOENT;
        if (strlen(v) >= n || strncmp(v, "pci:", 4) != 0)
                return -EBADMSG;
        memcpy(buf, v, strlen(v) + 1);
        return 0;
}

int device_enumerate(char ***ret) {
        /* the names are all that is needed: /sys/bus/pci/devices lists them;
         * libudev's enumerator would build a device object for each */
        return names_sorted(SYSFS_PCI_DEVICES, ret);
}

int device_write(const char *name, const char *attr, const char *value) {
        char p[256];
        struct pci_addr a;
        const char *why;
        /* the name is a PCI address, never a path of its own */
        if (pci_addr_parse(name, &a, &why) < 0 || strchr(attr, '/'))
                return -EINVAL;
        snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/%s", name, attr);
        int r = write_string_file(p, value);
        return r == -ENOENT && access(p, F_OK) < 0 ? -ENODEV : r;
}

int device_virtfn(const char *pf, unsigned i, char ret[static PCI_ADDR_MAX]) {
        char dir[256], link[32];
        struct pci_addr a;
        const char *why;
        snprintf(dir, sizeof(dir), SYSFS_PCI_DEVICES "/%s", pf);
        snprintf(link, sizeof(link), "virtfn%u", i);
        int r = link_basename(dir, link, ret, PCI_ADDR_MAX);
        if (r < 0)
                return r;
        return pci_addr_parse(ret, &a, &why) < 0 ? -EBADMSG : 0;
}

int device_group_members(int group, char ***ret) {
        char dir[128];
        snprintf(dir, sizeof(dir), SYSFS_IOMMU_GROUPS "/%d/devices", group);
        return names_sorted(dir, ret);
}

bool device_iommu_active(void) {
        DIR *d = opendir(SYSFS_IOMMU_GROUPS);
        struct dirent *de;
        bool any = false;
        if (!d)
                return false;
        while (!any && (de = readdir(d)))
                any = de->d_name[0] != '.';
        closedir(d);
        return any;
}

bool driver_registered(const char *driver) {
        char p[256];
        struct stat st;
        snprintf(p, sizeof(p), SYSFS_PCI_DRIVERS "/%s", driver);
        return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int driver_unbind(const char *driver, const char *name) {
        char p[256];
        if (!pci_driver_name_valid(driver))
                return -EINVAL;
        snprintf(p, sizeof(p), SYSFS_PCI_DRIVERS "/%s/unbind", driver);
        return write_string_file(p, name);
}

int driver_probe(const char *name) {
        return write_string_file(SYSFS_PCI_DRIVERS_PROBE, name);
}

#define DIGITS "0123456789"

/* A switchdev representor hangs under the PF's PCI function too: the
 * kernel names its port "pf0vf1", "pf0sf2" or, on a multi-host NIC,
 * "c1pf0vf1" (and "pf0" for a PF's own representor), where the PF's
 * uplink itself is "p0" (net/core/devlink.c, __devlink_port_phys_port_name_get).
 * No phys_port_name (most drivers: -EOPNOTSUPP) is no representor. */
static bool netdev_is_representor(const char *dir, const char *ifname) {
        _cleanup_free_ char *ppn = NULL;
        char p[320];
        const char *s;

        snprintf(p, sizeof(p), "%s/%s/phys_port_name", dir, ifname);
        if (read_one_line(p, &ppn) < 0)
                return false;
        s = ppn;
        if (*s == 'c') {
                if (!isdigit((unsigned char) s[1]))
                        return false;
                s += 1 + strspn(s + 1, DIGITS);
        }
        if (strncmp(s, "pf", 2) != 0 || !isdigit((unsigned char) s[2]))
                return false;
        s += 2 + strspn(s + 2, DIGITS);
        if (*s == '\0')
                return true;
        if ((*s == 'v' || *s == 's') && s[1] == 'f' && isdigit((unsigned char) s[2]))
                return s[2 + strspn(s + 2, DIGITS)] == '\0';
        return false;
}

/* dev_port: the port of a function with several (mlx4 has two ports on
 * one function); absent or unreadable reads as port 0, as iproute2 and
 * udev's net_id take it */
static unsigned netdev_dev_port(const char *dir, const char *ifname) {
        _cleanup_free_ char *v = NULL;
        char p[320];
        unsigned u;

        snprintf(p, sizeof(p), "%s/%s/dev_port", dir, ifname);
        if (read_one_line(p, &v) < 0 || safe_atou(v, &u) < 0)
                return 0;
        return u;
}

/* The PF's own port among its function's interfaces: not a representor,
 * the lowest dev_port, then the name. Returns how many ports the function
 * has (callers say which one was taken when there are several), -ENOENT
 * without one. */
int device_netdev_ports(const char *name, char *ifname, size_t n, int *ifindex) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ char *idx = NULL;
        char dir[128], p[320];
        const char *best = NULL;
        unsigned i, best_port = 0;
        int r, ports = 0;

        snprintf(dir, sizeof(dir), SYSFS_PCI_DEVICES "/%s/net", name);
        r = names_sorted(dir, &l);
        if (r < 0)
                return r == -ENOTDIR ? -ENOENT : r;
        for (char **s = l; *s; s++) {
                unsigned port;
                if (netdev_is_representor(dir, *s))
                        continue;
                ports++;
                port = netdev_dev_port(dir, *s);
                if (!best || port < best_port) {
                        best = *s;
                        best_port = port;
                }
        }
        if (!best)
                return -ENOENT;
        snprintf(p, sizeof(p), "%s/%s/ifindex", dir, best);
        r = read_one_line(p, &idx);
        if (r < 0)
                return r;
        if (safe_atou(idx, &i) < 0 || i == 0 || i > INT32_MAX)
                return -EBADMSG;
        snprintf(ifname, n, "%s", best);
        *ifindex = (int) i;
        return ports;
}

int netdev_udev_property(const char *ifname, const char *key, char **ret) {
        _cleanup_(udev_device_unrefp) struct udev_device *d = NULL;
        char p[128];
        const char *v;

        *ret = NULL;
        if (!ctx())
                return -ENOMEM;
        snprintf(p, sizeof(p), SYSFS_CLASS_NET "/%s", ifname);
        d = udev_device_new_from_syspath(udev_ctx, p);
        if (!d)
                return errno > 0 ? -errno : -ENODEV;
        v = udev_device_get_property_value(d, key);
        if (!v || !*v)
                return 0;
        *ret = strdup(v);
        return *ret ? 1 : -ENOMEM;
}

int device_netdev(const char *name, char *ifname, size_t n, int *ifindex) {
        int r = device_netdev_ports(name, ifname, n, ifindex);
        return r < 0 ? r : 0;
}
