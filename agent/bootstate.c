/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bootstate.h"
#include "cmdline.h"
#include "fileio.h"
#include "host.h"
#include "identity.h"
#include "port.h"
#include "paths.h"

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
        for (const unsigned char *c = p; n--; c++)
                h = (h ^ *c) * 1099511628211u;
        return h;
}

int config_digest(const struct config *c, char out[static DIGEST_MAX]) {
        uint64_t h = 1469598103934665603u;
        for (char **f = c->files; f && *f; f++) {
                _cleanup_free_ char *t = NULL;
                size_t len = 0;
                /* the name below $VFPT_ROOT, as the initramfs has it too */
                _cleanup_free_ char *root = path_rooted("");
                const char *name = *f;
                if (root && *root && strncmp(name, root, strlen(root)) == 0)
                        name += strlen(root);
                int r = read_file(*f, 16 * 1024 * 1024, &t, &len);
                if (r < 0)
                        return r;
                h = fnv(h, name, strlen(name) + 1);
                h = fnv(h, t, len);
                h = fnv(h, "", 1);
        }
        snprintf(out, DIGEST_MAX, "%016llx", (unsigned long long) h);
        return 0;
}

/* writes "content" to path, replacing it atomically; creates it first if needed */
static int put(const char *dir, const char *path, const char *content) {
        int r = mkdir_p(dir, 0755);
        if (r < 0)
                return r;
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != EEXIST)
                return -errno;
        if (fd >= 0)
                close(fd);
        return atomic_replace(path, content, strlen(content), NULL);
}

static int boot_path(char *buf, size_t n) {
        return (size_t) snprintf(buf, n, "%s/boot-config", path_runtime_dir()) >= n ? -ENAMETOOLONG : 0;
}

int bootstate_record_boot(const char *digest) {
        char p[4096], line[64];
        int r = boot_path(p, sizeof(p));
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "%s\n", digest);
        return put(path_runtime_dir(), p, line);
}

static int read_digest(const char *path, char out[static DIGEST_MAX], char *tool, size_t n) {
        _cleanup_free_ char *l = NULL;
        char d[DIGEST_MAX], t[32] = "";
        int r = read_one_line(path, &l);
        if (r < 0)
                return r;
        if (sscanf(l, "%16s %31s", d, t) < 1 || strlen(d) != 16 || strspn(d, "0123456789abcdef") != 16)
                return -EBADMSG;
        memcpy(out, d, DIGEST_MAX);
        if (tool)
                snprintf(tool, n, "%s", t);
        return 0;
}

int bootstate_read_boot(char out[static DIGEST_MAX]) {
        char p[4096];
        int r = boot_path(p, sizeof(p));
        return r < 0 ? r : read_digest(p, out, NULL, 0);
}

static int disabled_path(char *buf, size_t n) {
        return (size_t) snprintf(buf, n, "%s/disabled", path_runtime_dir()) >= n ? -ENAMETOOLONG : 0;
}

int bootstate_record_disabled(const char *param) {
        char p[4096], line[80];
        int r = disabled_path(p, sizeof(p));
        if (r < 0)
                return r;
        snprintf(line, sizeof(line), "%.64s\n", param);
        return put(path_runtime_dir(), p, line);
}

int bootstate_read_disabled(char *buf, size_t n) {
        _cleanup_free_ char *l = NULL;
        char p[4096];
        int r = disabled_path(p, sizeof(p));
        if (r >= 0)
                r = read_one_line(p, &l);
        if (r < 0)
                return r;
        snprintf(buf, n, "%s", l);
        return 0;
}

static int initramfs_path(const char *kver, char *buf, size_t n) {
        if (!*kver || strchr(kver, '/') || streq(kver, ".") || streq(kver, ".."))
                return -EINVAL;
        return (size_t) snprintf(buf, n, "%s/initramfs-%s", path_state_dir(), kver) >= n ? -ENAMETOOLONG : 0;
}

int bootstate_record_initramfs(const char *kver, const struct initramfs_record *rec) {
        char p[4096], line[192];
        int r = initramfs_path(kver, p, sizeof(p));
        if (r < 0)
                return r;
        if (strlen(rec->tool) > 31 || strpbrk(rec->tool, " \t\n") || !*rec->tool)
                return -EINVAL;
        snprintf(line, sizeof(line), "%s %s protected=%s ports=%s\n", rec->config, rec->tool,
                 *rec->protected ? rec->protected : "-", *rec->ports ? rec->ports : "-");
        return put(path_state_dir(), p, line);
}

/* "protected=HEX" or "protected=-" in a record line: 1 found, 0 not, -EBADMSG */
static int record_field(const char *line, const char *key, char out[static DIGEST_MAX]) {
        size_t k = strlen(key);
        for (const char *w = line; (w = strstr(w, key)); w += k) {
                if ((w != line && w[-1] != ' ') || w[k] != '=')
                        continue;
                const char *v = w + k + 1;
                size_t len = strcspn(v, " \n");
                *out = 0;
                if (len == 1 && *v == '-')
                        return 1;
                if (len != 16 || strspn(v, "0123456789abcdef") < 16)
                        return -EBADMSG;
                memcpy(out, v, 16);
                out[16] = 0;
                return 1;
        }
        return 0;
}

int bootstate_read_initramfs(const char *kver, struct initramfs_record *ret) {
        _cleanup_free_ char *l = NULL;
        char p[4096];
        int r = initramfs_path(kver, p, sizeof(p));
        *ret = (struct initramfs_record) {};
        if (r < 0 || (r = read_digest(p, ret->config, ret->tool, sizeof(ret->tool))) < 0)
                return r;
        if ((r = read_one_line(p, &l)) < 0)
                return r;
        int a = record_field(l, "protected", ret->protected), b = record_field(l, "ports", ret->ports);
        if (a < 0 || b < 0)
                return -EBADMSG;
        ret->has_sets = a && b;
        return 0;
}

static int by_name(const void *a, const void *b) {
        return strcmp(((const struct protect_entry *) a)->name, ((const struct protect_entry *) b)->name);
}

int protected_set_digest(const struct protect_entry *e, size_t n, char out[static DIGEST_MAX]) {
        _cleanup_free_ struct protect_entry *l = malloc((n ?: 1) * sizeof(*l));
        uint64_t h = 1469598103934665603u;

        if (!l)
                return -ENOMEM;
        if (n)
                memcpy(l, e, n * sizeof(*l));
        qsort(l, n, sizeof(*l), by_name);
        for (size_t i = 0; i < n; i++) {
                struct identity id;
                char line[160];
                identity_of_entry(&l[i], &id);
                int k = snprintf(line, sizeof(line), "%s %04x:%04x %06x %s %d\n", l[i].name, id.id.vendor,
                                 id.id.device, id.class, *id.serial ? id.serial : "-", l[i].protected);
                h = fnv(h, line, (size_t) k < sizeof(line) ? (size_t) k : sizeof(line) - 1);
        }
        snprintf(out, DIGEST_MAX, "%016llx", (unsigned long long) h);
        return 0;
}

int ports_digest(const struct config *c, char out[static DIGEST_MAX]) {
        _cleanup_strv_free_ char **names = NULL, **have = NULL;
        uint64_t h = 1469598103934665603u;
        int r;

        for (size_t i = 0; i < c->n_sriov; i++)
                if (c->sriov[i].sel.kind == SELECTOR_IFNAME && (r = strv_extend(&names, c->sriov[i].sel.ifname)) < 0)
                        return r;
        if (names) { /* "IFNAME MAC" of every PF's port now */
                _cleanup_strv_free_ char **devs = NULL;
                if ((r = device_enumerate(&devs)) < 0)
                        return r;
                for (char **d = devs; *d; d++) {
                        struct pf_port port = {};
                        char m[MAC_MAX];
                        if (device_is_vf(*d) || port_read(NULL, *d, &port) < 0)
                                continue;
                        r = port.has_mac && *port.ifname
                                    ? strv_push(&have, strdupf("%s %s", port.ifname, mac_format(port.mac, m)))
                                    : 0;
                        pf_port_done(&port);
                        if (r < 0)
                                return r;
                }
        }
        for (char **n = names; n && *n; n++) {
                const char *mac = "-";
                size_t k = strlen(*n);
                for (char **x = have; x && *x; x++)
                        if (strncmp(*x, *n, k) == 0 && (*x)[k] == ' ')
                                mac = *x + k + 1;
                h = fnv(h, *n, k + 1);
                h = fnv(h, mac, strlen(mac) + 1);
        }
        snprintf(out, DIGEST_MAX, "%016llx", (unsigned long long) h);
        return 0;
}

static bool off_value(const char *param) {
        const char *v = strchr(param, '=');
        return v && (streq(v + 1, "off") || streq(v + 1, "0") || streq(v + 1, "no") || streq(v + 1, "false"));
}

bool vfpt_disabled(bool initrd, char *buf, size_t n) {
        _cleanup_strv_free_ char **params = NULL;
        int i;
        if (host_cmdline(&params) < 0)
                return false;
        if ((i = cmdline_find_last(params, "vfpt")) >= 0 && off_value(params[i])) {
                snprintf(buf, n, "%s", params[i]);
                return true;
        }
        if (initrd && (i = cmdline_find_last(params, "rd.vfpt")) >= 0 && off_value(params[i])) {
                snprintf(buf, n, "%s", params[i]);
                return true;
        }
        return false;
}
