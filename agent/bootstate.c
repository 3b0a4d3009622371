/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bootstate.h"
#include "cmdline.h"
#include "fileio.h"
#include "host.h"
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

int bootstate_record_initramfs(const char *kver, const char *tool, const char *digest) {
        char p[4096], line[128];
        int r = initramfs_path(kver, p, sizeof(p));
        if (r < 0)
                return r;
        if (strlen(tool) > 31 || strpbrk(tool, " \t\n"))
                return -EINVAL;
        snprintf(line, sizeof(line), "%s %s\n", digest, tool);
        return put(path_state_dir(), p, line);
}

int bootstate_read_initramfs(const char *kver, char digest[static DIGEST_MAX], char *tool, size_t n) {
        char p[4096];
        int r = initramfs_path(kver, p, sizeof(p));
        return r < 0 ? r : read_digest(p, digest, tool, n);
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
