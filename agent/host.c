/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cmdline.h"
#include "config.h"
#include "host.h"
#include "paths.h"

/* "GenuineIntel", "AuthenticAMD", ... into buf; -ENOENT if none. */
static int host_cpu_vendor(char *buf, unsigned n) {
        _cleanup_free_ char *s = NULL;
        int r = read_file(PROC_CPUINFO, 16 * 1024 * 1024, &s, NULL);
        if (r < 0)
                return r;
        for (char *c = s, *l; (l = line_next(&c));) {
                if (strncmp(l, "vendor_id", 9) == 0) {
                        char *v = strchr(l, ':');
                        if (v) {
                                v++;
                                v += strspn(v, " \t");
                                snprintf(buf, n, "%s", v);
                                return 0;
                        }
                }
        }
        return -ENOENT;
}

int host_cmdline(char ***ret) {
        _cleanup_free_ char *s = NULL;
        int r = read_file(PROC_CMDLINE, 64 * 1024, &s, NULL);
        if (r < 0)
                return r;
        return cmdline_split(s, ret);
}

int host_kernel_args(const struct config *c, char ***ret) {
        char vendor[64] = "";
        if (c->kernel_args_auto && host_cpu_vendor(vendor, sizeof(vendor)) >= 0)
                /* the arguments are chosen for this CPU: judged for it too */
                cmdline_set_vendor(streq(vendor, "GenuineIntel")                                   ? CMDLINE_VENDOR_INTEL
                                   : streq(vendor, "AuthenticAMD") || streq(vendor, "HygonGenuine") ? CMDLINE_VENDOR_AMD
                                                                                                    : CMDLINE_VENDOR_ANY);
        return config_kernel_args(c, vendor, ret);
}

bool in_initrd(void) {
        return access(path_initrd_release(), F_OK) == 0;
}

int running_in_chroot(void) {
        struct stat a, b;
        if (stat(PROC_PID1_ROOT, &a) < 0 || stat("/", &b) < 0)
                return -errno;
        return a.st_dev != b.st_dev || a.st_ino != b.st_ino;
}

/* The kernel's initial PID namespace (PROC_PID_INIT_INO, since Linux 3.8) */
#define PID_NS_INIT "pid:[4026531836]"

int host_namespaces(char *why, size_t n) {
        static const char *const ns[] = { "mnt", "pid", "net" };
        static const char *const what[] = { "mount", "PID", "network" };
        for (size_t i = 0; i < ELEMENTSOF(ns); i++) {
                char a[64], b[64], pa[64], pb[64];
                ssize_t la, lb;
                snprintf(pa, sizeof(pa), PROC_PID1_NS "/%s", ns[i]);
                snprintf(pb, sizeof(pb), PROC_SELF_NS "/%s", ns[i]);
                if ((la = readlink(pa, a, sizeof(a) - 1)) < 0 || (lb = readlink(pb, b, sizeof(b) - 1)) < 0) {
                        int r = -errno;
                        snprintf(why, n, "cannot read %s: %s: cannot tell whether this is the host's own %s "
                                 "namespace; not learning", la < 0 ? pa : pb, strerror(-r), what[i]);
                        return r;
                }
                a[la] = b[lb] = 0;
                if (!streq(a, b)) {
                        snprintf(why, n, "in another %s namespace than PID 1 (%s, PID 1 %s: a container, "
                                 "'ip netns exec', nsenter?): not the host's own view; not learning", what[i], b, a);
                        return 0;
                }
                if (streq(ns[i], "pid") && !streq(b, PID_NS_INIT)) {
                        snprintf(why, n, "in a PID namespace of its own (%s, not the kernel's first: a container): "
                                 "not the host's own view; not learning", b);
                        return 0;
                }
        }
        return 1;
}

/* 8-4-4-4-12 lowercase hex */
static bool is_uuid(const char *s) {
        static const unsigned groups[] = { 8, 4, 4, 4, 12 };
        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                if (!hex_lower(s, groups[i]))
                        return false;
                s += groups[i];
                if (*s != (i + 1 < ELEMENTSOF(groups) ? '-' : 0))
                        return false;
                s++;
        }
        return true;
}

/* Product UUIDs that firmware ships on many boards alike ("To Be Filled By
 * O.E.M."): no host's own. Both byte orders of the SMBIOS encoding. */
static bool uuid_placeholder(const char *u) {
        static const char *const known[] = {
                "03000200-0400-0500-0006-000700080009", "00020003-0004-0005-0006-000700080009",
                "12345678-1234-5678-90ab-cddeefaabbcc", "78563412-3412-7856-90ab-cddeefaabbcc",
                "01234567-89ab-cdef-0123-456789abcdef", "67452301-ab89-efcd-0123-456789abcdef",
        };
        size_t same = 0, digits = 0;
        for (const char *c = u; *c; c++)
                if (*c != '-') {
                        digits++;
                        same += *c == u[0];
                }
        if (same == digits) /* 00000000-..., ffffffff-..., 11111111-... */
                return true;
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (streq(u, known[i]))
                        return true;
        return false;
}

/* "dmi:UUID" from the firmware, else "machine-id:ID" (/etc/machine-id, which
 * the initramfs must then carry), else "" with why */
void host_identity(char buf[static 80], char *why, size_t n) {
        _cleanup_free_ char *u = NULL, *mid = NULL, *path = NULL;
        const char *dmi_why = "there is no DMI product UUID";
        *buf = 0;
        if (read_one_line(SYSFS_DMI_PRODUCT_UUID, &u) >= 0 && strlen(u) < 64) {
                for (char *c = u; *c; c++)
                        *c = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
                if (!is_uuid(u))
                        dmi_why = "the DMI product UUID is not a UUID";
                else if (uuid_placeholder(u))
                        dmi_why = "the DMI product UUID is a placeholder many boards share";
                else {
                        snprintf(buf, 80, "dmi:%s", u);
                        return;
                }
        }
        path = path_rooted(ETC_MACHINE_ID);
        if (path && read_one_line(path, &mid) >= 0 && strlen(mid) == 32 && hex_lower(mid, 32) &&
            strspn(mid, "0") != 32) {
                snprintf(buf, 80, "machine-id:%s", mid);
                return;
        }
        snprintf(why, n, "%s and there is no usable " ETC_MACHINE_ID, dmi_why);
}

bool host_identity_valid(const char *s) {
        if (strncmp(s, "dmi:", 4) == 0)
                return is_uuid(s + 4) && !uuid_placeholder(s + 4);
        if (strncmp(s, "machine-id:", 11) == 0)
                return strlen(s + 11) == 32 && hex_lower(s + 11, 32);
        return false;
}

/* Does the kernel command line (or the firmware) ask for a network root,
 * so that the initramfs brings a NIC up for it? */
bool host_asks_netroot(void) {
        static const char *const roots[] = { "nfs", "/dev/nfs", "iscsi", "nbd", "cifs", "dhcp", "live:", "nvmf" };
        _cleanup_strv_free_ char **params = NULL;
        bool nbft = true;
        if (host_cmdline(&params) < 0)
                return false;
        int i = cmdline_find_last(params, "root");
        if (i >= 0) {
                const char *v = strchr(params[i], '=');
                for (size_t k = 0; v && k < ELEMENTSOF(roots); k++)
                        if (strncmp(v + 1, roots[k], strlen(roots[k])) == 0)
                                return true;
        }
        if ((i = cmdline_find_last(params, "ip")) >= 0) {
                const char *v = strchr(params[i], '=');
                if (v && !streq(v + 1, "off") && !streq(v + 1, "none"))
                        return true;
        }
        if ((i = cmdline_find_last(params, "rd.neednet")) >= 0 && cmdline_satisfies(params, "rd.neednet=1"))
                return true;
        if (cmdline_find_last(params, "netroot") >= 0 || cmdline_find_last(params, "rd.iscsi.firmware") >= 0 ||
            cmdline_find_last(params, "fcoe") >= 0)
                return true;
        /* NVMe over Fabrics: rd.nvmf.discover=... and friends, or the firmware's NBFT */
        for (char **a = params; *a && !streq(*a, "--"); a++) {
                if (strncmp(*a, "rd.nvmf.", 8) != 0)
                        continue;
                if (cmdline_names_equal(*a, "rd.nvmf.nonbft"))
                        nbft = false;
                else if (!cmdline_names_equal(*a, "rd.nvmf.nostatic"))
                        return true;
        }
        return nbft && access(SYSFS_ACPI_TABLES "/NBFT", F_OK) == 0;
}

bool may_learn(char *why, size_t n) {
        if (in_initrd()) {
                snprintf(why, n, "in the initramfs: nothing to learn before the host is up");
                return false;
        }
        int r = running_in_chroot();
        if (r != 0) {
                snprintf(why, n, "%s", r > 0 ? "in a chroot (an image build, an installer's %post): not the host that boots"
                                             : "cannot tell whether this is a chroot (/proc/1/root): not learning");
                return false;
        }
        return host_namespaces(why, n) > 0;
}
