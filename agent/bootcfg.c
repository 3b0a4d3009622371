/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bootcfg.h"
#include "cmdline.h"
#include "fileio.h"
#include "grub.h"
#include "paths.h"
#include "util.h"

extern char **environ;

#define GRUBENV_SIZE 1024

static bool exists(const char *rel, mode_t type) {
        _cleanup_free_ char *p = path_rooted(rel);
        struct stat st;
        return p && stat(p, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

int bootcfg_tool(const char *const **ret) {
        /* Debian/Ubuntu: update-grub is grub-mkconfig -o /boot/grub/grub.cfg.
         * RHEL/Fedora: /boot/grub2/grub.cfg, never the EFI stub grub.cfg that
         * RHEL 9+ keeps on the ESP (it only points at this one). */
        static const char *deb[] = { USR_SBIN_UPDATE_GRUB, NULL };
        static const char *deb2[] = { USR_SBIN_GRUB_MKCONFIG, "-o", BOOT_GRUB_CFG, NULL };
        static const char *rh[] = { USR_SBIN_GRUB2_MKCONFIG, "-o", BOOT_GRUB2_CFG, NULL };

        if (exists(deb[0], S_IFREG))
                *ret = deb;
        else if (exists(deb2[0], S_IFREG) && exists(BOOT_GRUB, S_IFDIR))
                *ret = deb2;
        else if (exists(rh[0], S_IFREG) && exists(BOOT_GRUB2, S_IFDIR))
                *ret = rh;
        else
                return -ENOENT;
        return 0;
}

/* The tool's stdout and stderr, the tail if long, on one line. */
static void read_output(int fd, char *buf, size_t size) {
        size_t len = 0;
        for (;;) {
                ssize_t k = read(fd, buf + len, size - 1 - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t) k;
                if (len >= size - 1) { /* keep the tail */
                        memmove(buf, buf + size / 2, len - size / 2);
                        len -= size / 2;
                }
        }
        buf[len] = 0;
        for (char *p = buf; *p; p++)
                if (*p == '\n' && p[1])
                        *p = ' ';
        buf[strcspn(buf, "\n")] = 0;
}

/* Runs argv, inside root when it is not "" (chroot: the tool, its
 * configuration and what it writes are all the sysroot's). Returns its wait
 * status, or -errno with *err set when it could not be run. */
static int run_tool(const char *root, const char *const *argv, char *out, size_t size, char **err) {
        _cleanup_close_ int devnull = -1, out_r = -1, out_w = -1, err_r = -1, err_w = -1;
        int fds[2], status, e = 0;
        pid_t pid;

        devnull = open(DEV_NULL, O_RDONLY | O_CLOEXEC);
        if (devnull < 0)
                return -errno;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        out_r = fds[0], out_w = fds[1];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        err_r = fds[0], err_w = fds[1];
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* only async-signal-safe calls here; errno back through err_w */
                if (dup2(devnull, STDIN_FILENO) < 0 || dup2(out_w, STDOUT_FILENO) < 0 ||
                    dup2(out_w, STDERR_FILENO) < 0 || (*root && (chroot(root) < 0 || chdir("/") < 0)))
                        e = errno;
                else {
                        execve(argv[0], (char *const *) argv, environ);
                        e = errno;
                }
                (void) !write(err_w, &e, sizeof(e));
                _exit(127);
        }
        close(TAKE_FD(out_w));
        close(TAKE_FD(err_w));
        read_output(out_r, out, size);
        ssize_t k;
        while ((k = read(err_r, &e, sizeof(e))) < 0 && errno == EINTR)
                ;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (k == (ssize_t) sizeof(e)) {
                *err = *root ? strdupf("cannot run %s in %s: %s", argv[0], root, strerror(e))
                             : strdupf("cannot run %s: %s", argv[0], strerror(e));
                return -e;
        }
        return status;
}

static int run_checked(const char *root, const char *const *argv, char **err);

int bootcfg_regenerate(char **err) {
        const char *const *tool;
        _cleanup_free_ char *root = path_rooted("");
        int r;

        *err = NULL;
        if (!root)
                return -ENOMEM;
        r = bootcfg_tool(&tool);
        if (r < 0) {
                *err = strdup("no update-grub, grub-mkconfig or grub2-mkconfig found");
                return r;
        }
        /* in a sysroot ($VFPT_ROOT), the sysroot's tool chrooted into it: the
         * host's own tools and boot configuration are never touched */
        return run_checked(root, tool, err);
}

/* A BLS entry's "options" lines, as the loader reads them: GRUB's blscfg
 * and systemd-boot join them all with blanks (the Boot Loader
 * Specification allows the key more than once). One line is edited in
 * place; several that need an edit are merged into one, at the first one's
 * place. *uses_kernelopts when a line takes $kernelopts from grubenv. */
static int patch_bls_entry(const char *path, char *const *want, bool dry, bool *uses_kernelopts) {
        static const char key[] = "options";
        const size_t kl = strlen(key);
        _cleanup_free_ char *text = NULL, *joined = NULL, *patched = NULL, *out = NULL;
        _cleanup_free_ size_t *spans = NULL; /* start and end (with its newline) of each options line */
        size_t len, n = 0, outlen = 0;
        int r;

        r = read_file(path, 1024 * 1024, &text, &len);
        if (r < 0)
                return r;
        for (char *l = text; l && *l;) {
                char *nl = strchr(l, '\n');
                size_t ll = nl ? (size_t) (nl - l) : strlen(l);
                if (strncmp(l, key, kl) == 0 && (l[kl] == ' ' || l[kl] == '\t')) {
                        size_t *m = realloc(spans, (n + 1) * 2 * sizeof(*m));
                        if (!m)
                                return -ENOMEM;
                        spans = m;
                        spans[2 * n] = (size_t) (l - text);
                        spans[2 * n + 1] = (size_t) (l - text) + ll + (nl ? 1 : 0);
                        n++;
                        char *j = strdupf("%s%s%.*s", joined ?: "", joined ? " " : "", (int) (ll - kl - 1), l + kl + 1);
                        if (!j)
                                return -ENOMEM;
                        free(joined);
                        joined = j;
                }
                l = nl ? nl + 1 : NULL;
        }
        if (n == 0)
                return 0;
        if (strstr(joined, "$kernelopts")) {
                *uses_kernelopts = true;
                return 0;
        }
        r = cmdline_string_patch(joined, want, &patched);
        if (r < 0 || !patched)
                return r;
        if (dry)
                return 1;
        out = malloc(len + strlen(patched) + kl + 3);
        if (!out)
                return -ENOMEM;
        /* the first options line becomes "options PATCHED", the others go */
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
                memcpy(out + outlen, text + pos, spans[2 * i] - pos);
                outlen += spans[2 * i] - pos;
                pos = spans[2 * i + 1];
                if (i == 0)
                        outlen += (size_t) sprintf(out + outlen, "%s %s%s", key, patched,
                                                   text[pos - 1] == '\n' ? "\n" : "");
        }
        memcpy(out + outlen, text + pos, len - pos);
        outlen += len - pos;
        r = atomic_replace(path, out, outlen, NULL);
        return r < 0 ? r : 1;
}

/* grubenv: a 1024-byte block of key=value lines padded with '#' */
static int patch_grubenv(const char *path, char *const *want, bool dry) {
        _cleanup_free_ char *text = NULL, *patched = NULL, *out = NULL;
        size_t len;
        int r = read_file(path, GRUBENV_SIZE * 4, &text, &len);
        if (r < 0)
                return r;
        if (len != GRUBENV_SIZE || strncmp(text, "# GRUB Environment Block\n", 25) != 0)
                return -EBADMSG;
        char *k = strstr(text, "\nkernelopts=");
        if (!k)
                return -ENOENT;
        k += 12;
        size_t vl = strcspn(k, "\n");
        _cleanup_free_ char *val = strndup(k, vl);
        if (!val)
                return -ENOMEM;
        r = cmdline_string_patch(val, want, &patched);
        if (r < 0 || !patched)
                return r;
        if (dry)
                return 1;
        /* rebuild: everything up to the padding, then '#' to 1024 bytes */
        size_t body = len;
        while (body > 0 && text[body - 1] == '#')
                body--;
        out = calloc(1, GRUBENV_SIZE + 1);
        if (!out)
                return -ENOMEM;
        int n = snprintf(out, GRUBENV_SIZE + 1, "%.*s%s%.*s", (int) (k - text), text, patched,
                         (int) (body - (size_t) (k - text) - vl), k + vl);
        if (n < 0 || n > GRUBENV_SIZE)
                return -ENOSPC;
        memset(out + n, '#', GRUBENV_SIZE - (size_t) n);
        r = atomic_replace(path, out, GRUBENV_SIZE, NULL);
        return r < 0 ? r : 1;
}

/* one file of the set: counted and listed when it changed (or would) */
static int patch_one(int (*fn)(const char *path, char *const *want, bool dry, bool *flag), char *path,
                     char *const *want, bool dry, bool *flag, char ***changed, char **failed) {
        _cleanup_free_ char *p = path;
        int r;

        if (!p)
                return -ENOMEM;
        r = fn(p, want, dry, flag);
        if (r > 0 && (r = strv_extend(changed, p)) >= 0)
                r = 1;
        if (r < 0)
                *failed = TAKE_PTR(p);
        return r;
}

static int patch_grubenv_fn(const char *path, char *const *want, bool dry, bool *flag _unused_) {
        return patch_grubenv(path, want, dry);
}

/* kernel-install's command line for kernels installed later: one line */
static int patch_kernel_cmdline(const char *path, char *const *want, bool dry, bool *flag _unused_) {
        _cleanup_free_ char *text = NULL, *patched = NULL, *out = NULL;
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        r = read_file(path, 64 * 1024, &text, NULL);
        if (r < 0)
                return r;
        bool nl = strchr(text, '\n') != NULL;
        text[strcspn(text, "\n")] = 0;
        r = cmdline_string_patch(text, want, &patched);
        if (r < 0 || !patched)
                return r;
        if (dry)
                return 1;
        out = strdupf("%s%s", patched, nl ? "\n" : "");
        if (!out)
                return -ENOMEM;
        r = atomic_replace(path, out, strlen(out), NULL);
        return r < 0 ? r : 1;
}

static int cmp_dirent_bytes(const void *a, const void *b) {
        return strcmp((*(const struct dirent *const *) a)->d_name, (*(const struct dirent *const *) b)->d_name);
}

static int is_conf(const struct dirent *d) {
        size_t n = strlen(d->d_name);
        return d->d_name[0] != '.' && n > 5 && streq(d->d_name + n - 5, ".conf");
}

/* every *.conf entry of dir (below the root); total counts the changed */
static int patch_entry_dir(const char *rel, char *const *want, bool dry, bool *kernelopts, char ***changed,
                           char **failed, int *total) {
        _cleanup_free_ char *dir = path_rooted(rel);
        struct dirent **ents = NULL;
        int n, r = 0;

        if (!dir)
                return -ENOMEM;
        n = scandir(dir, &ents, is_conf, alphasort);
        if (n < 0 && errno != ENOENT) {
                r = -errno;
                *failed = TAKE_PTR(dir);
                return r;
        }
        for (int i = 0; i < n; i++) {
                if (r >= 0) {
                        r = patch_one(patch_bls_entry, strdupf("%s/%s", dir, ents[i]->d_name), want, dry, kernelopts,
                                      changed, failed);
                        *total += r > 0;
                }
                free(ents[i]);
        }
        free(ents);
        return r < 0 ? r : 0;
}

int bootcfg_patch_cmdlines(char *const *want, bool bls, bool dry, char ***changed, char **failed) {
        bool kernelopts = false;
        int total = 0, r = 0;

        *failed = NULL;
        if (bls) {
                r = patch_entry_dir(BOOT_LOADER_ENTRIES, want, dry, &kernelopts, changed, failed, &total);
                if (r < 0)
                        return r;
                if (kernelopts) {
                        r = patch_one(patch_grubenv_fn, path_rooted(BOOT_GRUB2_ENV), want, dry, NULL, changed,
                                      failed);
                        if (r < 0)
                                return r;
                        total += r;
                }
        }
        r = patch_one(patch_kernel_cmdline, path_rooted(ETC_KERNEL_CMDLINE), want, dry, NULL, changed, failed);
        if (r < 0)
                return r;
        return total + r;
}

int bootcfg_patch_loader_entries(char *const *want, bool dry, char ***changed, char **failed) {
        bool kernelopts = false;
        int total = 0;

        *failed = NULL;
        /* systemd-boot's type #1 entries, on the ESP and XBOOTLDR */
        for (const char *const *d = path_esp_dirs(); *d; d++) {
                _cleanup_free_ char *rel = strdupf("%s" LOADER_ENTRIES, *d);
                int r = rel ? patch_entry_dir(rel, want, dry, &kernelopts, changed, failed, &total) : -ENOMEM;
                if (r < 0)
                        return r;
        }
        return total;
}

/* ---- which boot loader reads what ---- */

static bool nonempty_file(const char *rel) {
        _cleanup_free_ char *p = path_rooted(rel);
        struct stat st;
        return p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

/* Does the installed grub-mkconfig source /etc/default/grub.d/ *.cfg? Its
 * own text says (Debian's loop: for x in ${sysconfdir}/default/grub.d/ *.cfg);
 * with no script to read, /etc/os-release: the Debian family does. */
static bool grub_reads_dropins(const char **why) {
        static const char *const scripts[] = { USR_SBIN_GRUB_MKCONFIG, USR_SBIN_GRUB2_MKCONFIG, NULL };
        static const char loop[] = "/default/grub.d/*.cfg";

        for (const char *const *s = scripts; *s; s++) {
                _cleanup_free_ char *p = path_rooted(*s), *text = NULL;
                size_t len;
                if (!p || read_file(p, 4 * 1024 * 1024, &text, &len) < 0)
                        continue;
                bool yes = memmem(text, len, loop, strlen(loop)) != NULL;
                *why = yes ? (s == scripts ? "grub-mkconfig sources " ETC_DEFAULT_GRUB_D "/*.cfg"
                                           : "grub2-mkconfig sources " ETC_DEFAULT_GRUB_D "/*.cfg")
                           : (s == scripts ? "grub-mkconfig reads " ETC_DEFAULT_GRUB " only"
                                           : "grub2-mkconfig reads " ETC_DEFAULT_GRUB " only");
                return yes;
        }
        _cleanup_free_ char *p = path_rooted(ETC_OS_RELEASE), *text = NULL;
        if (!p || read_file(p, 64 * 1024, &text, NULL) < 0) {
                *why = "no grub-mkconfig script or " ETC_OS_RELEASE " to tell: " ETC_DEFAULT_GRUB " only";
                return false;
        }
        for (char *l = text, *nl; l; l = nl) {
                if ((nl = strchr(l, '\n')))
                        *nl++ = 0;
                if (strncmp(l, "ID=", 3) != 0 && strncmp(l, "ID_LIKE=", 8) != 0)
                        continue;
                char *save = NULL;
                for (char *w = strtok_r(strchr(l, '=') + 1, " \"'", &save); w; w = strtok_r(NULL, " \"'", &save))
                        if (streq(w, "debian") || streq(w, "ubuntu")) {
                                *why = ETC_OS_RELEASE ": the Debian family sources " ETC_DEFAULT_GRUB_D "/*.cfg";
                                return true;
                        }
        }
        *why = ETC_OS_RELEASE ": not the Debian family: " ETC_DEFAULT_GRUB " only";
        return false;
}

static bool any_esp_has(const char *what, mode_t type, char **where) {
        for (const char *const *d = path_esp_dirs(); *d; d++) {
                _cleanup_free_ char *rel = strdupf("%s%s", *d, what);
                if (rel && exists(rel, type)) {
                        *where = TAKE_PTR(rel);
                        return true;
                }
        }
        return false;
}

struct bootloader *bootloader_free(struct bootloader *b) {
        if (!b)
                return NULL;
        strv_free(b->files);
        free(b->evidence);
        free(b);
        return NULL;
}

static int files_add(struct bootloader *b, const char *rel) {
        char *p = path_rooted(rel);
        return p ? strv_push(&b->files, p) : -ENOMEM;
}

/* /etc/default/grub, then its drop-ins when grub-mkconfig reads them: in
 * the order sh's glob gives them (byte order, as dash sorts), skipping
 * hidden ones (the glob does not match them) and dangling links ([ -e ]) */
static int grub_files(struct bootloader *b) {
        int r = files_add(b, ETC_DEFAULT_GRUB);
        if (r < 0 || !b->grub_d)
                return r;
        _cleanup_free_ char *dir = path_rooted(ETC_DEFAULT_GRUB_D);
        struct dirent **ents = NULL;
        if (!dir)
                return -ENOMEM;
        int n = scandir(dir, &ents, NULL, NULL);
        if (n < 0)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        qsort(ents, (size_t) n, sizeof(*ents), cmp_dirent_bytes);
        for (int i = 0; i < n; i++) {
                const char *name = ents[i]->d_name;
                size_t l = strlen(name);
                struct stat st;
                _cleanup_free_ char *p = strdupf("%s/%s", dir, name);
                if (r >= 0 && !p)
                        r = -ENOMEM;
                if (r >= 0 && name[0] != '.' && l > 4 && streq(name + l - 4, ".cfg") && stat(p, &st) == 0)
                        r = strv_push(&b->files, TAKE_PTR(p));
                free(ents[i]);
        }
        free(ents);
        return r;
}

int bootcfg_detect(struct bootloader **ret) {
        _cleanup_(bootloader_freep) struct bootloader *b = calloc(1, sizeof(*b));
        _cleanup_free_ char *esp = NULL;
        const char *const *tool, *why = NULL;
        int r;

        if (!b)
                return -ENOMEM;
        bool pve = exists(USR_SBIN_PROXMOX_BOOT_TOOL, S_IFREG) && nonempty_file(ETC_PROXMOX_BOOT_UUIDS);
        bool grub = bootcfg_tool(&tool) >= 0;
        bool sdboot = any_esp_has(LOADER_CONF, S_IFREG, &esp) || any_esp_has(EFI_SYSTEMD, S_IFDIR, &esp);
        bool kinstall = exists(USR_BIN_KERNEL_INSTALL, S_IFREG);
        bool kcmdline = exists(ETC_KERNEL_CMDLINE, S_IFREG);

        if (pve && kcmdline) {
                /* proxmox-boot-tool: systemd-boot ESPs take /etc/kernel/cmdline */
                b->kind = BOOTLOADER_PROXMOX;
                b->name = "proxmox-boot-tool (systemd-boot)";
                b->evidence = strdup(ETC_PROXMOX_BOOT_UUIDS " and " ETC_KERNEL_CMDLINE);
                r = files_add(b, ETC_KERNEL_CMDLINE);
        } else if (pve) {
                /* GRUB ESPs kept in sync by proxmox-boot-tool: /etc/default/grub */
                b->kind = BOOTLOADER_PROXMOX_GRUB;
                b->name = "proxmox-boot-tool (GRUB)";
                b->grub_d = grub_reads_dropins(&why);
                b->evidence = strdupf(ETC_PROXMOX_BOOT_UUIDS ", no " ETC_KERNEL_CMDLINE "; %s", why);
                r = grub_files(b);
        } else if (grub && sdboot) {
                b->evidence = strdupf("both GRUB (%s) and systemd-boot (%s) are installed", tool[0], esp);
                *ret = TAKE_PTR(b);
                return -ENOTUNIQ;
        } else if (grub) {
                b->kind = BOOTLOADER_GRUB;
                b->name = "GRUB";
                b->grub_d = grub_reads_dropins(&why);
                b->evidence = strdupf("%s; %s", tool[0], why);
                r = grub_files(b);
        } else if ((sdboot && (kinstall || kcmdline)) || (kinstall && kcmdline)) {
                b->kind = BOOTLOADER_KERNEL_INSTALL;
                b->name = sdboot ? "systemd-boot (kernel-install)" : "kernel-install";
                b->evidence = sdboot ? strdupf("%s", esp) : strdup(USR_BIN_KERNEL_INSTALL " and " ETC_KERNEL_CMDLINE);
                r = files_add(b, ETC_KERNEL_CMDLINE);
        } else {
                b->evidence = strdup("no update-grub, grub-mkconfig, grub2-mkconfig, systemd-boot "
                                     "(loader/loader.conf on /efi, /boot or /boot/efi), kernel-install with "
                                     ETC_KERNEL_CMDLINE ", or proxmox-boot-tool");
                *ret = TAKE_PTR(b);
                return -ENOENT;
        }
        if (r < 0)
                return r;
        if (!b->evidence)
                return -ENOMEM;
        *ret = TAKE_PTR(b);
        return 0;
}

/* the kernels kernel-install knows: /usr/lib/modules/KVER/vmlinuz */
static int installed_kernels(char ***ret) {
        _cleanup_free_ char *dir = path_rooted(USR_LIB_MODULES);
        struct dirent **ents = NULL;
        int n, r = 0;

        if (!dir)
                return -ENOMEM;
        n = scandir(dir, &ents, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *rel = strdupf(USR_LIB_MODULES "/%s/vmlinuz", ents[i]->d_name);
                if (r >= 0 && !rel)
                        r = -ENOMEM;
                if (r >= 0 && ents[i]->d_name[0] != '.' && exists(rel, S_IFREG))
                        r = strv_extend(ret, ents[i]->d_name);
                free(ents[i]);
        }
        free(ents);
        return r;
}

static int run_checked(const char *root, const char *const *argv, char **err) {
        char buf[4096];
        int r = run_tool(root, argv, buf, sizeof(buf), err);
        if (r < 0)
                return r;
        if (!WIFEXITED(r) || WEXITSTATUS(r) != 0) {
                *err = strdupf("%s failed (%s %d): %s", argv[0], WIFEXITED(r) ? "exit" : "signal",
                               WIFEXITED(r) ? WEXITSTATUS(r) : WTERMSIG(r), buf);
                return -EIO;
        }
        return 0;
}

int bootcfg_refresh(const struct bootloader *b, char **err, const char **ret_tool) {
        static const char *const pve[] = { USR_SBIN_PROXMOX_BOOT_TOOL, "refresh", NULL };
        _cleanup_free_ char *root = path_rooted("");
        int r;

        *err = NULL;
        if (!root)
                return -ENOMEM;
        switch (b->kind) {
        case BOOTLOADER_GRUB:
                r = bootcfg_regenerate(err);
                if (r >= 0) {
                        const char *const *tool;
                        *ret_tool = bootcfg_tool(&tool) >= 0 ? tool[0] : NULL;
                }
                return r;
        case BOOTLOADER_PROXMOX:
        case BOOTLOADER_PROXMOX_GRUB:
                *ret_tool = pve[0];
                return run_checked(root, pve, err);
        case BOOTLOADER_KERNEL_INSTALL: {
                /* each installed kernel again: its entry (or UKI) takes the new /etc/kernel/cmdline */
                _cleanup_strv_free_ char **kernels = NULL;
                *ret_tool = USR_BIN_KERNEL_INSTALL;
                r = installed_kernels(&kernels);
                if (r < 0) {
                        *err = strdupf("%s" USR_LIB_MODULES ": %s", root, strerror(-r));
                        return r;
                }
                for (char **k = kernels; k && *k; k++) {
                        _cleanup_free_ char *image = strdupf(USR_LIB_MODULES "/%s/vmlinuz", *k);
                        const char *argv[] = { *ret_tool, "add", *k, image, NULL };
                        if (!image)
                                return -ENOMEM;
                        r = run_checked(root, argv, err);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        }
        return -EINVAL;
}

/* ---- what the next boot will get ---- */

static int read_rooted(const char *rel, char **ret) {
        _cleanup_free_ char *p = path_rooted(rel);
        return p ? read_file(p, 16 * 1024 * 1024, ret, NULL) : -ENOMEM;
}

/* key's value in a grubenv block, NULL if none */
static char *grubenv_get(const char *rel, const char *key) {
        _cleanup_free_ char *text = NULL;
        if (read_rooted(rel, &text) < 0)
                return NULL;
        size_t kl = strlen(key);
        for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, key, kl) == 0 && l[kl] == '=')
                        return strndup(l + kl + 1, strcspn(l + kl + 1, "\n"));
        return NULL;
}

/* the joined options lines of an entry ($kernelopts from grubenv) */
static int entry_options(const char *path, const char *grubenv, char ***ret) {
        _cleanup_free_ char *text = NULL, *joined = NULL;
        int r = read_file(path, 1024 * 1024, &text, NULL);
        if (r < 0)
                return r;
        for (char *l = text, *nl; l && *l; l = nl) {
                if ((nl = strchr(l, '\n')))
                        *nl++ = 0;
                if (strncmp(l, "options", 7) != 0 || (l[7] != ' ' && l[7] != '\t'))
                        continue;
                char *j = strdupf("%s%s%s", joined ?: "", joined ? " " : "", l + 8);
                if (!j)
                        return -ENOMEM;
                free(joined);
                joined = j;
        }
        if (joined && grubenv && strstr(joined, "$kernelopts")) {
                _cleanup_free_ char *ko = grubenv_get(grubenv, "kernelopts");
                char *k = strstr(joined, "$kernelopts");
                char *j = strdupf("%.*s%s%s", (int) (k - joined), joined, ko ?: "", k + 11);
                if (!j)
                        return -ENOMEM;
                free(joined);
                joined = j;
        }
        return cmdline_split(joined ?: "", ret);
}

static int cmp_version(const struct dirent **a, const struct dirent **b) {
        return strverscmp((*a)->d_name, (*b)->d_name);
}

/* The entry the loader boots by default: saved_entry when it names one,
 * else the newest (blscfg and systemd-boot sort by version, newest first). */
static int default_entry(const char *rel_dir, const char *saved, char **ret) {
        _cleanup_free_ char *dir = path_rooted(rel_dir);
        struct dirent **ents = NULL;
        int n;
        if (!dir)
                return -ENOMEM;
        n = scandir(dir, &ents, is_conf, cmp_version);
        if (n < 0)
                return -errno;
        bool matched = false, nomem = false;
        *ret = NULL;
        for (int i = 0; i < n; i++) {
                size_t l = strlen(ents[i]->d_name);
                bool m = saved && strlen(saved) + 5 == l && strncmp(ents[i]->d_name, saved, l - 5) == 0;
                if (m || !matched) {
                        free(*ret);
                        *ret = strdupf("%s/%s", dir, ents[i]->d_name);
                        nomem = nomem || !*ret;
                }
                matched = matched || m;
                free(ents[i]);
        }
        free(ents);
        if (nomem) {
                free(*ret);
                *ret = NULL;
                return -ENOMEM;
        }
        return *ret ? 0 : n == 0 ? -ENOENT : -ENOMEM;
}

/* grub.cfg's default menu entry's linux line: `set default` as a number or
 * an entry's title or id (saved_entry from grubenv for "${saved_entry}"),
 * else the first entry */
static int grub_cfg_linux(const char *rel, const char *grubenv, char ***ret, char **source) {
        _cleanup_free_ char *text = NULL, *def = NULL, *line = NULL;
        int r = read_rooted(rel, &text);
        if (r < 0)
                return r;
        if (strstr(text, "\nblscfg") || strstr(text, "\n  blscfg") || strstr(text, "\tblscfg"))
                return -EOPNOTSUPP; /* the BLS entries decide */
        /* Debian's 00_header sets default="${next_entry}" when grub-reboot
         * left one in grubenv, else default="0": the first setting that
         * applies is the one in force */
        for (char *d = strstr(text, "set default="); d && !def; d = strstr(d, "set default=")) {
                d += 12;
                d += *d == '"' || *d == '\'';
                def = strndup(d, strcspn(d, "\"'\n"));
                if (def && streq(def, "${next_entry}")) {
                        free(def);
                        def = grubenv_get(grubenv, "next_entry");
                        if (def && !*def) {
                                free(def);
                                def = NULL;
                        }
                } else if (def && streq(def, "${saved_entry}")) {
                        free(def);
                        def = grubenv_get(grubenv, "saved_entry");
                }
        }
        char *end = NULL;
        unsigned long want_n = def && *def ? strtoul(def, &end, 10) : 0;
        bool by_number = !def || !*def || (end && !*end);
        unsigned long k = 0;
        int depth = 0;
        bool in_default = false, found = false;
        for (char *l = text, *nl; l && *l && !found; l = nl) {
                if ((nl = strchr(l, '\n')))
                        *nl++ = 0;
                l += strspn(l, " \t");
                if (strncmp(l, "menuentry ", 10) == 0 || strncmp(l, "submenu ", 8) == 0) {
                        if (depth == 0) {
                                in_default = by_number ? k == want_n : strstr(l, def) != NULL;
                                k++;
                        }
                        depth += strchr(l, '{') != NULL;
                } else if (l[0] == '}') {
                        depth -= depth > 0;
                } else if (in_default && strncmp(l, "linux", 5) == 0 &&
                           (l[5] == ' ' || l[5] == '\t' || strncmp(l + 5, "efi", 3) == 0 ||
                            strncmp(l + 5, "16", 2) == 0)) { /* linuxefi (EFI), linux16 (legacy BIOS, EL7) */
                        char *a = l + strcspn(l, " \t");
                        a += strspn(a, " \t");
                        a += strcspn(a, " \t"); /* the kernel image */
                        line = strdup(a);
                        found = true;
                }
        }
        if (!found)
                return -ENOENT;
        if (!line)
                return -ENOMEM;
        *source = path_rooted(rel);
        return *source ? cmdline_split(line, ret) : -ENOMEM;
}

int bootcfg_next_boot(char ***ret, char **source) {
        _cleanup_(bootloader_freep) struct bootloader *b = NULL;
        _cleanup_free_ char *entry = NULL, *saved = NULL;
        int r = bootcfg_detect(&b);
        if (r < 0)
                return r;
        *source = NULL;
        if (b->kind == BOOTLOADER_GRUB || b->kind == BOOTLOADER_PROXMOX_GRUB) {
                static const char *const cfgs[][2] = { { BOOT_GRUB_CFG, BOOT_GRUB_ENV },
                                                       { BOOT_GRUB2_CFG, BOOT_GRUB2_ENV } };
                for (size_t i = 0; i < ELEMENTSOF(cfgs); i++) {
                        r = grub_cfg_linux(cfgs[i][0], cfgs[i][1], ret, source);
                        if (r == -EOPNOTSUPP) { /* BLS: the default entry */
                                saved = grubenv_get(cfgs[i][1], "saved_entry");
                                r = default_entry(BOOT_LOADER_ENTRIES, saved, &entry);
                                if (r < 0)
                                        return r;
                                r = entry_options(entry, cfgs[i][1], ret);
                                if (r >= 0)
                                        *source = TAKE_PTR(entry);
                                return r;
                        }
                        if (r != -ENOENT)
                                return r;
                }
                return -ENOENT;
        }
        if (b->kind == BOOTLOADER_KERNEL_INSTALL)
                for (const char *const *d = path_esp_dirs(); *d; d++) {
                        _cleanup_free_ char *rel = strdupf("%s" LOADER_ENTRIES, *d);
                        if (!rel)
                                return -ENOMEM;
                        if (default_entry(rel, NULL, &entry) < 0)
                                continue;
                        r = entry_options(entry, NULL, ret);
                        if (r >= 0)
                                *source = TAKE_PTR(entry);
                        return r;
                }
        /* UKIs built from it, proxmox-boot-tool's ESPs (not mounted) */
        _cleanup_free_ char *line = NULL;
        r = read_one_line(b->files[0], &line);
        if (r < 0)
                return r;
        *source = strdup(b->files[0]);
        return *source ? cmdline_split(line, ret) : -ENOMEM;
}

int bootcfg_iommu_units(char ***ret) {
        DIR *d = opendir(SYSFS_CLASS_IOMMU);
        struct dirent *de;
        int r = 0;
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while (r >= 0 && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        r = strv_extend(ret, de->d_name);
        closedir(d);
        return r < 0 ? r : 0;
}
