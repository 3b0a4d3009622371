/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bootcfg.h"
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
        static const char *deb[] = { "/usr/sbin/update-grub", NULL };
        static const char *deb2[] = { "/usr/sbin/grub-mkconfig", "-o", "/boot/grub/grub.cfg", NULL };
        static const char *rh[] = { "/usr/sbin/grub2-mkconfig", "-o", "/boot/grub2/grub.cfg", NULL };

        if (exists(deb[0], S_IFREG))
                *ret = deb;
        else if (exists(deb2[0], S_IFREG) && exists("/boot/grub", S_IFDIR))
                *ret = deb2;
        else if (exists(rh[0], S_IFREG) && exists("/boot/grub2", S_IFDIR))
                *ret = rh;
        else
                return -ENOENT;
        return 0;
}

int bootcfg_regenerate(char **err) {
        const char *const *tool;
        char *argv[8] = {};
        int pipefd[2], status, r;
        pid_t pid;

        *err = NULL;
        r = bootcfg_tool(&tool);
        if (r < 0) {
                *err = strdup("no update-grub, grub-mkconfig or grub2-mkconfig found");
                return r;
        }
        /* the tool and its output path below the root */
        for (size_t i = 0; tool[i] && i < ELEMENTSOF(argv) - 1; i++)
                argv[i] = tool[i][0] == '/' ? path_rooted(tool[i]) : strdup(tool[i]);
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = -errno;
                goto out;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        r = -posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r < 0) {
                close(pipefd[0]);
                *err = strdupf("cannot run %s: %s", argv[0], strerror(-r));
                goto out;
        }
        char buf[4096];
        size_t len = 0;
        for (;;) {
                ssize_t k = read(pipefd[0], buf + len, sizeof(buf) - 1 - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                len += (size_t) k;
                if (len >= sizeof(buf) - 1) { /* keep the tail */
                        memmove(buf, buf + 2048, len - 2048);
                        len -= 2048;
                }
        }
        buf[len] = 0;
        close(pipefd[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                for (char *p = buf; *p; p++)
                        if (*p == '\n' && p[1])
                                *p = ' ';
                buf[strcspn(buf, "\n")] = 0;
                *err = strdupf("%s failed (%s %d): %s", argv[0], WIFEXITED(status) ? "exit" : "signal",
                               WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), buf);
                r = -EIO;
                goto out;
        }
        r = 0;
out:
        for (size_t i = 0; i < ELEMENTSOF(argv); i++)
                free(argv[i]);
        return r;
}

/* one file of lines; the first line starting with key (and a blank) gets want */
static int patch_keyed_line(const char *path, const char *key, char *const *want, bool dry, bool *uses_kernelopts) {
        _cleanup_free_ char *text = NULL, *patched = NULL, *out = NULL;
        size_t len, kl = strlen(key);
        int r;

        r = read_file(path, 1024 * 1024, &text, &len);
        if (r < 0)
                return r;
        for (char *l = text; l && *l;) {
                char *nl = strchr(l, '\n');
                size_t ll = nl ? (size_t) (nl - l) : strlen(l);
                if (strncmp(l, key, kl) == 0 && (l[kl] == ' ' || l[kl] == '\t')) {
                        _cleanup_free_ char *val = strndup(l + kl + 1, ll - kl - 1);
                        if (!val)
                                return -ENOMEM;
                        if (uses_kernelopts && strstr(val, "$kernelopts")) {
                                *uses_kernelopts = true;
                                return 0;
                        }
                        r = cmdline_string_patch(val, want, &patched);
                        if (r < 0)
                                return r;
                        if (!patched)
                                return 0;
                        if (dry)
                                return 1;
                        out = strdupf("%.*s%s %s%s", (int) (l - text), text, key, patched, l + ll);
                        if (!out)
                                return -ENOMEM;
                        r = atomic_replace(path, out, strlen(out), NULL);
                        return r < 0 ? r : 1;
                }
                l = nl ? nl + 1 : NULL;
        }
        return 0;
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

int bootcfg_patch_cmdlines(char *const *want, bool bls, bool dry, char ***changed, char **failed) {
        bool kernelopts = false;
        int total = 0, r;

        *failed = NULL;
        if (bls) {
                _cleanup_free_ char *dir = path_rooted("/boot/loader/entries");
                DIR *d = dir ? opendir(dir) : NULL;
                struct dirent *de;
                if (d) {
                        _cleanup_strv_free_ char **names = NULL;
                        while ((de = readdir(d)))
                                if (de->d_name[0] != '.' && strlen(de->d_name) > 5 &&
                                    streq(de->d_name + strlen(de->d_name) - 5, ".conf"))
                                        strv_extend(&names, de->d_name);
                        closedir(d);
                        for (char **n = names; n && *n; n++) {
                                _cleanup_free_ char *p = strdupf("%s/%s", dir, *n);
                                r = p ? patch_keyed_line(p, "options", want, dry, &kernelopts) : -ENOMEM;
                                if (r < 0) {
                                        *failed = TAKE_PTR(p);
                                        return r;
                                }
                                if (r > 0) {
                                        total++;
                                        strv_extend(changed, p);
                                }
                        }
                }
                if (kernelopts) {
                        _cleanup_free_ char *p = path_rooted("/boot/grub2/grubenv");
                        r = p ? patch_grubenv(p, want, dry) : -ENOMEM;
                        if (r < 0) {
                                *failed = TAKE_PTR(p);
                                return r;
                        }
                        if (r > 0) {
                                total++;
                                strv_extend(changed, p);
                        }
                }
        }
        /* kernel-install's command line for kernels installed later */
        _cleanup_free_ char *kc = path_rooted("/etc/kernel/cmdline");
        struct stat st;
        if (kc && stat(kc, &st) == 0) {
                _cleanup_free_ char *text = NULL, *patched = NULL;
                r = read_file(kc, 64 * 1024, &text, NULL);
                if (r >= 0) {
                        bool nl = strchr(text, '\n') != NULL;
                        text[strcspn(text, "\n")] = 0;
                        r = cmdline_string_patch(text, want, &patched);
                        if (r >= 0 && patched && !dry) {
                                _cleanup_free_ char *out = strdupf("%s%s", patched, nl ? "\n" : "");
                                r = out ? atomic_replace(kc, out, strlen(out), NULL) : -ENOMEM;
                        }
                }
                if (r < 0) {
                        *failed = TAKE_PTR(kc);
                        return r;
                }
                if (patched) {
                        total++;
                        strv_extend(changed, kc);
                }
        }
        return total;
}
