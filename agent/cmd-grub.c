/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt grub|bootloader check|apply: kernel_args where the boot loader in use
 * reads them: GRUB's /etc/default/grub (and grub.d) as /bin/sh reads them,
 * /etc/kernel/cmdline for systemd-boot, kernel-install, proxmox-boot-tool. */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "bootcfg.h"
#include "cmd-grub.h"
#include "cmdline.h"
#include "commands.h"
#include "config.h"
#include "fileio.h"
#include "grub.h"
#include "host.h"
#include "json.h"
#include "log.h"
#include "paths.h"

#define BACKUP_SUFFIX ".vfpt.bak"

struct grub_opts {
        const char *file;
        bool no_update;
};

/* one check or apply: the files the boot loader reads */
struct grub_run {
        const char *file;          /* the main one: /etc/default/grub, /etc/kernel/cmdline or --file */
        struct bootloader *bl;     /* what was detected; NULL with --file (GRUB, that file alone) */
        char **want, **params, **entries; /* entries: boot entries changed (apply) or stale (check) */
        int *src;                  /* GRUB: the file (idx) each of params is written in, -1 if several */
        struct grub_file *g;       /* GRUB: the sequence as sh sources it */
        char *line;                /* kernel command line file: its line */
        bool created;              /* ... which does not exist yet */
        char *base_source;         /* ... its line then taken from this file */
        char **dropped;            /* ... less these one-off parameters */
        char *no_source;           /* ... or why nothing will do */
        char **changed;            /* files rewritten, each with its backup */
        char **backups;            /* ... at their real path, in the same order (none for a created file) */
        bool cmdline_mode, bls, satisfied, regenerated;
        const char *tool;
};

static void grub_run_done(struct grub_run *run) {
        strv_free(run->want);
        strv_free(run->params);
        strv_free(run->entries);
        strv_free(run->changed);
        strv_free(run->backups);
        free(run->src);
        free(run->line);
        free(run->base_source);
        strv_free(run->dropped);
        free(run->no_source);
        grub_free(run->g);
        bootloader_free(run->bl);
}

/* Is path (as given: relative to the working directory) inside the
 * directory root? Both taken where they really are (symlinks, "..", a
 * trailing slash); a file not there yet by its directory. 1 yes, 0 no,
 * -errno when it cannot be told. */
static int path_inside(const char *path, const char *root) {
        char rroot[PATH_MAX], real[PATH_MAX];
        if (!realpath(root, rroot))
                return -errno;
        if (!realpath(path, real)) {
                if (errno != ENOENT)
                        return -errno;
                _cleanup_free_ char *d = strdup(path), *b = strdup(path);
                if (!d || !b)
                        return -ENOMEM;
                const char *base = basename(b);
                if (!realpath(dirname(d), real))
                        return -errno;
                if (streq(base, "..") || streq(base, ".") ||
                    strlen(real) + 1 + strlen(base) >= sizeof(real))
                        return -EINVAL;
                strcat(streq(real, "/") ? real : strcat(real, "/"), base);
        }
        size_t rl = strlen(rroot);
        if (streq(rroot, "/"))
                return 1;
        return strncmp(real, rroot, rl) == 0 && (!real[rl] || real[rl] == '/');
}

static int on_option(void *userdata, int c, const char *arg) {
        struct grub_opts *o = userdata;
        if (c == 'f')
                o->file = arg;
        else if (c == 'n')
                o->no_update = true;
        else
                return -1;
        return 0;
}

/* Is the BLS switch on in this file? */
static bool bls_enabled(const struct grub_file *g) {
        _cleanup_free_ char *v = grub_value(g, "GRUB_ENABLE_BLSCFG", NULL);
        return v && streq(v, "true");
}

/* the files of the sequence sourced in order; an exit code, errors said */
static int load_grub_files(struct grub_run *run, char *const *files) {
        for (char *const *f = files; *f; f++) {
                _cleanup_free_ char *text = NULL;
                struct grub_file *n = NULL;
                size_t len;
                int r = read_file(*f, 1024 * 1024, &text, &len);
                if (r < 0) {
                        log_error("%s: cannot read: %s", *f, read_strerror(r));
                        return EXIT_USAGE;
                }
                r = grub_parse_next(TAKE_PTR(run->g), *f, text, len, &n);
                run->g = n;
                if (r == -EINVAL) {
                        log_error("%s:%u: %s", *f, n->error_line, n->error);
                        return EXIT_USAGE;
                }
                if (r < 0) {
                        log_error_errno(r, "%s: %m", *f);
                        return EXIT_USAGE;
                }
        }
        int r = grub_cmdline_src(run->g, &run->params, &run->src);
        if (r < 0) {
                const struct grub_file *in = NULL;
                unsigned line = grub_unknown_at(run->g, &in);
                if (r == -EINVAL)
                        log_error("%s:%u: the kernel command line depends on a command substitution; vfpt "
                                  "cannot see through it", in ? in->path : run->file, line);
                else
                        log_error_errno(r, "%s: %m", run->file);
                return EXIT_USAGE;
        }
        run->bls = bls_enabled(run->g);
        return EXIT_OK;
}

/* Does vfpt run on the normal boot of the system it configures? Not under
 * $VFPT_ROOT (an image build: /proc is the build machine's), not in a
 * chroot (an installer's %post: / is not pid 1's), not in the initramfs.
 * NULL if so, else why not. */
static const char *not_this_boot(void) {
        struct stat root, init;
        if (*path_root())
                return "VFPT_ROOT is a sysroot: " PROC_CMDLINE " is this machine's, not the sysroot's";
        if (stat("/", &root) < 0 || stat(PROC_PID1_ROOT, &init) < 0)
                return "cannot tell whether this is a chroot (" PROC_PID1_ROOT " unreadable)";
        if (root.st_dev != init.st_dev || root.st_ino != init.st_ino)
                return "in a chroot: " PROC_CMDLINE " is the outer system's";
        if (access(path_initrd_release(), F_OK) == 0)
                return "in the initramfs";
        return NULL;
}

/* line without its one-off parameters; those go to *dropped */
static int strip_oneoff(char *const *params, char **line, char ***dropped) {
        _cleanup_strv_free_ char **keep = NULL;
        int r;
        for (char *const *w = params; *w; w++)
                if ((r = strv_extend(cmdline_is_oneoff(*w) ? dropped : &keep, *w)) < 0)
                        return r;
        *line = strv_join(keep, " ");
        return *line ? 0 : -ENOMEM;
}

/* What /etc/kernel/cmdline starts from when it does not exist: a source
 * that describes the installed system, one-off parameters dropped:
 * /usr/lib/kernel/cmdline (kernel-install's own fallback), the default
 * boot entry's options, or /proc/cmdline on this system's own normal boot.
 * 0 with run->line/base_source set; -ENOENT with *why when none will do. */
static int default_kernel_cmdline(struct grub_run *run, char **why) {
        _cleanup_free_ char *lib = path_rooted(USR_LIB_KERNEL_CMDLINE), *text = NULL, *src = NULL;
        _cleanup_strv_free_ char **params = NULL;
        const char *bad, *no;
        int r;

        if (!lib)
                return -ENOMEM;
        if (read_one_line(lib, &text) >= 0) {
                src = TAKE_PTR(lib);
                r = cmdline_split(text, &params);
        } else if (bootcfg_next_boot(&params, &src) >= 0 && src) {
                r = 0;
        } else if ((no = not_this_boot())) {
                *why = strdupf("no boot entry to take it from, and %s", no);
                return *why ? -ENOENT : -ENOMEM;
        } else {
                r = host_cmdline(&params);
                src = strdup(PROC_CMDLINE);
                if (r >= 0 && !src)
                        r = -ENOMEM;
        }
        if (r < 0)
                return r;
        if ((bad = cmdline_not_normal(params))) {
                *why = strdupf("%s has %s: not the system's normal boot", src, bad);
                return *why ? -ENOENT : -ENOMEM;
        }
        r = strip_oneoff(params, &run->line, &run->dropped);
        if (r < 0)
                return r;
        run->base_source = TAKE_PTR(src);
        return 0;
}

/* /etc/kernel/cmdline: one line of kernel parameters */
static int load_cmdline_file(struct grub_run *run) {
        _cleanup_free_ char *text = NULL;
        int r = read_file(run->file, 64 * 1024, &text, NULL);
        if (r == -ENOENT) {
                run->created = true;
                r = default_kernel_cmdline(run, &run->no_source);
                if (r == -ENOENT)
                        r = strv_split_ws("", &run->params);
                if (r >= 0 && !run->params)
                        r = cmdline_split(run->line, &run->params);
                if (r < 0) {
                        log_error_errno(r, "%s: %m", run->file);
                        return EXIT_USAGE;
                }
                return EXIT_OK;
        }
        if (r < 0) {
                log_error_errno(r, "%s: cannot read: %m", run->file);
                return EXIT_USAGE;
        }
        char *nl = strchr(text, '\n');
        if (nl && nl[1 + strspn(nl + 1, " \t\n")]) {
                log_error("%s:2: more than one line (proxmox-boot-tool takes the file as it is); make it one line",
                          run->file);
                return EXIT_USAGE;
        }
        if (nl)
                *nl = 0;
        run->line = TAKE_PTR(text);
        r = cmdline_split(run->line, &run->params);
        if (r < 0) {
                log_error_errno(r, "%s: %m", run->file);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}

/* Reads and judges what the boot loader reads; an exit code, errors said. */
static int grub_load(const struct config *c, const char *file, struct grub_run *run) {
        int r;

        *run = (struct grub_run) { .file = file };
        r = host_kernel_args(c, &run->want);
        if (r < 0) {
                log_error("kernel_args = auto: cannot tell Intel from AMD in /proc/cpuinfo; set kernel_args");
                return EXIT_USAGE;
        }
        if (file) {
                char *const files[] = { (char *) file, NULL };
                r = load_grub_files(run, files);
        } else {
                r = bootcfg_detect(&run->bl);
                if (r == -ENOENT || r == -ENOTUNIQ) {
                        log_error("cannot tell which boot loader is in use: %s; nothing changed", run->bl->evidence);
                        return EXIT_USAGE;
                }
                if (r < 0) {
                        log_error_errno(r, "cannot tell which boot loader is in use: %m");
                        return EXIT_USAGE;
                }
                log_debug("boot loader: %s (%s)", run->bl->name, run->bl->evidence);
                run->file = run->bl->files[0];
                run->cmdline_mode = run->bl->kind == BOOTLOADER_PROXMOX || run->bl->kind == BOOTLOADER_KERNEL_INSTALL;
                r = run->cmdline_mode ? load_cmdline_file(run) : load_grub_files(run, run->bl->files);
        }
        if (r != EXIT_OK)
                return r;
        run->satisfied = !run->created;
        for (char **w = run->want; *w; w++)
                run->satisfied = run->satisfied && cmdline_satisfies(run->params, *w);
        return EXIT_OK;
}

/* The boot entries that hold copies of their own: GRUB's BLS entries,
 * grubenv and /etc/kernel/cmdline; systemd-boot's entries. proxmox-boot-tool
 * writes its entries on ESPs that are not mounted: its refresh does it. */
static int patch_entries(struct grub_run *run, bool dry, char **failed) {
        if (!run->cmdline_mode)
                return bootcfg_patch_cmdlines(run->want, run->bls, dry, &run->entries, failed);
        if (run->bl->kind == BOOTLOADER_KERNEL_INSTALL)
                return bootcfg_patch_loader_entries(run->want, dry, &run->entries, failed);
        *failed = NULL;
        return 0;
}

static int grub_check(struct grub_run *run) {
        _cleanup_free_ char *failed = NULL;
        /* --file: that file alone */
        int k = run->bl ? patch_entries(run, true, &failed) : 0;
        if (k < 0) {
                log_error_errno(k, "%s: %m", failed ?: "boot entries");
                return EXIT_USAGE;
        }
        run->satisfied = run->satisfied && k == 0;
        return EXIT_OK;
}

/* a new /etc/kernel/cmdline: nothing to back up; an exit code, errors said */
static int create_one(struct grub_run *run, const char *file, const char *text, size_t len) {
        _cleanup_free_ char *dir = strdup(file);
        int fd = -1, r;

        r = dir ? mkdir_p(dirname(dir), 0755) : -ENOMEM;
        if (r >= 0 && (fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0)
                r = -errno;
        if (fd >= 0)
                close(fd);
        if (r >= 0)
                r = atomic_replace(file, text, len, NULL);
        if (r < 0) {
                log_error_errno(r, "%s: cannot create: %m", file);
                return EXIT_PARTIAL;
        }
        log_info("%s: created from %s with kernel_args", file, run->base_source);
        return strv_extend(&run->changed, file) < 0 ? EXIT_PARTIAL : EXIT_OK;
}

/* The n files rewritten together, each with its backup beside the real
 * file (a symlink is edited where it points): all of them, or none (a
 * failure on one undoes those before it). An exit code, errors said. */
static int write_files(struct grub_run *run, const char *const *files, char *const *texts, const size_t *lens,
                       size_t n) {
        _cleanup_(atomic_set_freep) struct atomic_set *set = NULL;
        struct atomic_result res = {};
        size_t failed = 0;
        int r = atomic_set_new(&set);

        for (size_t i = 0; i < n && r >= 0; i++)
                if ((r = atomic_set_add(set, files[i], texts[i], lens[i], BACKUP_SUFFIX, &res)) < 0)
                        failed = i;
        if (r < 0 && *res.xattr) {
                log_error_errno(r, "%s: cannot keep its extended attribute %s on the rewritten file: %m; "
                                "nothing changed", files[failed], res.xattr);
                return EXIT_PARTIAL;
        }
        if (r >= 0)
                r = atomic_set_commit(set, &failed, &res);
        if (r < 0 && res.replaced) {
                log_error_errno(r, "%s: written, but the sync of its directory (or putting the files back) "
                                "failed: %m; the change may not survive a crash", files[failed]);
                return EXIT_PARTIAL;
        }
        if (r < 0) {
                log_error_errno(r, "%s: cannot write%s: %m; %s unchanged", files[failed],
                                r == -EPERM ? " (immutable or append-only, the file or its backup? lsattr says)" : "",
                                n > 1 ? "every file is" : "the file is");
                return EXIT_PARTIAL;
        }
        for (size_t i = 0; i < n; i++) {
                char *b = strdup(atomic_set_backup(set, i));
                log_info("%s: kernel_args added; previous content in %s", files[i], b ?: "?");
                if (!b || strv_extend(&run->changed, files[i]) < 0 || strv_push(&run->backups, b) < 0)
                        return EXIT_PARTIAL;
        }
        return EXIT_OK;
}

/* Each file of the sequence: the first of its names (alias[i] == i), or
 * the earlier name of the same real file (a drop-in symlinked to another,
 * a hard link: the same device and inode where the links lead). */
static int real_files(const struct grub_run *run, unsigned *alias) {
        size_t n = run->g->idx + 1;
        _cleanup_free_ struct stat *st = calloc(n, sizeof(*st));
        _cleanup_free_ bool *ok = calloc(n, sizeof(*ok));
        if (!st || !ok)
                return -ENOMEM;
        for (unsigned i = 0; i < n; i++) {
                alias[i] = i;
                ok[i] = stat(grub_nth(run->g, i)->path, &st[i]) == 0;
                for (unsigned k = 0; ok[i] && k < i && alias[i] == i; k++)
                        if (ok[k] && st[k].st_dev == st[i].st_dev && st[k].st_ino == st[i].st_ino)
                                alias[i] = alias[k];
        }
        return 0;
}

/* A real file sourced under several names is written once, and every name
 * reads what is written: the edit made for one name goes to all of them,
 * and the sequence read that way is verified again. Two names needing
 * different edits cannot be made. An exit code, errors said. */
static int merge_same_files(const struct grub_run *run, const unsigned *alias, char **texts, size_t *lens) {
        const char *why = NULL, *spread = NULL; /* a file whose edit now shows under another name too */

        for (unsigned i = 0; i <= run->g->idx; i++) {
                unsigned a = alias[i];
                if (a == i || !texts[i])
                        continue;
                if (texts[a] && (lens[a] != lens[i] || memcmp(texts[a], texts[i], lens[i]) != 0)) {
                        log_error("%s: the same file as %s (a link), sourced twice; the edit it needs differs "
                                  "between the two: edit it by hand, or make it a file of its own; nothing changed",
                                  grub_nth(run->g, i)->path, grub_nth(run->g, a)->path);
                        return EXIT_USAGE;
                }
                if (!texts[a]) {
                        if (!(texts[a] = strndup(texts[i], lens[i])))
                                return EXIT_PARTIAL;
                        lens[a] = lens[i];
                        spread = spread ?: grub_nth(run->g, i)->path;
                }
        }
        for (unsigned i = 0; i <= run->g->idx; i++) {
                unsigned a = alias[i];
                if (a == i || !texts[a] || texts[i])
                        continue;
                if (!(texts[i] = strndup(texts[a], lens[a])))
                        return EXIT_PARTIAL;
                lens[i] = lens[a];
                spread = spread ?: grub_nth(run->g, i)->path;
        }
        if (spread && grub_verify_seq(run->g, texts, lens, run->want, &why) < 0) {
                log_error("%s: a file sourced twice (a link): its edit, read under both names, does not verify "
                          "(%s): edit it by hand, or make it a file of its own; nothing changed",
                          spread, why ?: "cannot tell");
                return EXIT_USAGE;
        }
        return EXIT_OK;
}

/* the edit of what the boot loader reads, each changed file written */
static int edit_files(struct grub_run *run) {
        const char *why = NULL;
        int r;

        if (run->cmdline_mode && run->created && !run->base_source) {
                _cleanup_free_ char *args = strv_join(run->want, " ");
                log_error("%s: does not exist, and nothing tells this system's own kernel command line (%s); "
                          "write it by hand: one line with the installed system's root= and other parameters "
                          "and %s, then run vfpt grub apply again; nothing changed",
                          run->file, run->no_source ?: "no source", args ?: "kernel_args");
                return EXIT_USAGE;
        }
        if (run->cmdline_mode) {
                _cleanup_free_ char *patched = NULL, *out = NULL;
                r = cmdline_string_patch(run->line, run->want, &patched);
                if (r < 0) {
                        log_error("%s: cannot edit safely: %s; the file is unchanged", run->file,
                                  r == -EINVAL ? "quotes, backslashes or $ in it; edit it by hand" : strerror(-r));
                        return EXIT_USAGE;
                }
                out = strdupf("%s\n", patched ?: run->line);
                if (!out)
                        return EXIT_PARTIAL;
                size_t len = strlen(out);
                return run->created ? create_one(run, run->file, out, len)
                                    : write_files(run, (const char *[]) { run->file }, &out, &len, 1);
        }
        /* grub_patch_seq verifies its edit: the whole sequence reads back, has
         * every argument in force, and no other variable changes */
        char **texts = NULL;
        _cleanup_free_ size_t *lens = NULL;
        r = grub_patch_seq(run->g, run->want, &texts, &lens, &why);
        if (r < 0) {
                log_error("%s: cannot edit safely: %s; the file is unchanged", run->file, why ?: strerror(-r));
                return EXIT_USAGE;
        }
        /* a file sourced twice (a drop-in symlinked to another): one real
         * file, edited once, backed up once, the sequence as it will read verified */
        _cleanup_free_ unsigned *alias = calloc(run->g->idx + 1, sizeof(*alias));
        r = !alias || real_files(run, alias) < 0 ? EXIT_PARTIAL : merge_same_files(run, alias, texts, lens);
        /* the files to write, each real file once under its first name */
        _cleanup_free_ const char **names = calloc(run->g->idx + 1, sizeof(*names));
        _cleanup_free_ char **w = calloc(run->g->idx + 1, sizeof(*w));
        _cleanup_free_ size_t *wl = calloc(run->g->idx + 1, sizeof(*wl));
        size_t n = 0;
        if (r == EXIT_OK && (!names || !w || !wl))
                r = EXIT_PARTIAL;
        for (unsigned i = 0; i <= run->g->idx && r == EXIT_OK; i++)
                if (texts[i] && alias[i] == i) {
                        names[n] = grub_nth(run->g, i)->path;
                        w[n] = texts[i];
                        wl[n++] = lens[i];
                }
        if (r == EXIT_OK && n > 0)
                r = write_files(run, names, w, wl, n);
        grub_texts_free(texts, run->g->idx + 1);
        return r;
}

static int grub_apply(struct grub_run *run, bool no_update) {
        _cleanup_free_ char *failed = NULL, *tool_err = NULL;
        int r;

        if (!run->satisfied) {
                r = edit_files(run);
                if (r != EXIT_OK)
                        return r;
        }
        /* --no-update: these files only; otherwise the boot entries' own copies too */
        /* --file: that file alone, nothing else edited, nothing regenerated */
        if (!run->bl)
                no_update = true;
        int k = no_update ? 0 : patch_entries(run, false, &failed);
        if (k < 0) {
                log_error_errno(k, "%s: cannot patch: %m", failed ?: "boot entries");
                return EXIT_PARTIAL;
        }
        if (!no_update && (run->changed || k > 0)) {
                const char *tool = NULL;
                if (run->bl)
                        r = bootcfg_refresh(run->bl, &tool_err, &tool);
                else {
                        const char *const *argv;
                        r = bootcfg_regenerate(&tool_err);
                        tool = bootcfg_tool(&argv) >= 0 ? argv[0] : NULL;
                }
                if (r < 0) {
                        log_error("%s: %s%s", run->file,
                                  run->changed ? "edited, but the boot configuration was not regenerated: " : "",
                                  tool_err ?: strerror(-r));
                        return EXIT_PARTIAL;
                }
                run->regenerated = true;
                run->tool = tool;
        }
        return EXIT_OK;
}

/* where the occurrence in force of arg is written; for a missing one, the
 * file that sets GRUB_CMDLINE_LINUX last */
static const char *arg_file(const struct grub_run *run, int i) {
        if (!run->g)
                return run->file;
        if (i >= 0 && run->src[i] >= 0)
                return grub_nth(run->g, (unsigned) run->src[i])->path;
        const struct grub_file *f = grub_assigned_in(run->g, "GRUB_CMDLINE_LINUX");
        return i < 0 && f ? f->path : run->file;
}

static void json_bootloader(struct json *j, const struct grub_run *run) {
        json_string(j, "boot_loader", run->bl ? run->bl->name : NULL);
        json_array_begin(j, "files");
        if (run->g)
                for (unsigned i = 0; i <= run->g->idx; i++)
                        json_string(j, NULL, grub_nth(run->g, i)->path);
        else
                json_string(j, NULL, run->file);
        json_array_end(j);
}

static void json_created_from(struct json *j, const struct grub_run *run);

/* key: [the strings of l] */
static void json_strv(struct json *j, const char *key, char *const *l) {
        json_array_begin(j, key);
        for (char *const *f = l; f && *f; f++)
                json_string(j, NULL, *f);
        json_array_end(j);
}

static void json_members_check(struct json *j, const struct grub_run *run) {
        json_string(j, "file", run->file);
        json_bootloader(j, run);
        json_bool(j, "satisfied", run->satisfied);
        json_bool(j, "changed", false);
        json_array_begin(j, "args");
        for (char **w = run->want; *w; w++) {
                int i = cmdline_conflict(run->params, *w);
                json_object_begin(j, NULL);
                json_string(j, "arg", *w);
                json_bool(j, "in_effect", cmdline_satisfies(run->params, *w));
                json_string(j, "found", i >= 0 ? run->params[i] : NULL);
                json_string(j, "found_in", i >= 0 ? arg_file(run, i) : NULL);
                json_object_end(j);
        }
        json_array_end(j);
        json_created_from(j, run);
        json_strv(j, "stale_boot_entries", run->entries);
}

/* where a new /etc/kernel/cmdline took each part from */
static void json_created_from(struct json *j, const struct grub_run *run) {
        if (!run->created) {
                json_null(j, "created_from");
                return;
        }
        json_object_begin(j, "created_from");
        json_string(j, "source", run->base_source);
        json_string(j, "line", run->base_source ? run->line : NULL);
        json_strv(j, "one_off_left_out", run->dropped);
        json_strv(j, "from_kernel_args", run->want);
        json_string(j, "refused", run->no_source);
        json_object_end(j);
}

static void json_members_apply(struct json *j, const struct grub_run *run) {
        json_string(j, "file", run->file);
        json_bootloader(j, run);
        json_bool(j, "changed", run->changed || run->entries);
        json_string(j, "backup", run->backups ? run->backups[0] : NULL);
        json_strv(j, "backups", run->backups);
        json_strv(j, "files_changed", run->changed);
        json_strv(j, "boot_entries_changed", run->entries);
        json_string(j, "regenerated_with", run->tool);
        json_created_from(j, run);
}

static void print_check(const struct grub_run *run) {
        for (char **w = run->want; *w; w++) {
                int i = cmdline_conflict(run->params, *w);
                if (cmdline_satisfies(run->params, *w) && !run->created)
                        printf("%s: %s in effect\n", arg_file(run, cmdline_find_last(run->params, *w)), *w);
                else if (run->created && run->base_source)
                        printf("%s: %s MISSING: the file does not exist (apply creates it from %s)\n", run->file,
                               *w, run->base_source);
                else if (run->created)
                        printf("%s: %s MISSING: the file does not exist, and nothing tells what else it should "
                               "hold (%s): write it by hand\n", run->file, *w, run->no_source);
                else if (i >= 0)
                        printf("%s: %s MISSING: %s is in force\n", arg_file(run, i), *w, run->params[i]);
                else
                        printf("%s: %s MISSING\n", arg_file(run, i), *w);
        }
        for (char **f = run->entries; f && *f; f++)
                printf("%s: lacks kernel_args\n", *f);
}

static void print_apply(const struct grub_run *run) {
        for (size_t i = 0; run->changed && run->changed[i]; i++) {
                char *const *f = run->changed + i;
                if (run->created) {
                        _cleanup_free_ char *args = strv_join(run->want, " "), *drop = strv_join(run->dropped, " ");
                        printf("%s: created: \"%s\" from %s%s%s%s, \"%s\" from kernel_args\n", *f, run->line,
                               run->base_source, run->dropped ? " (one-off parameters left out: " : "",
                               run->dropped ? drop : "", run->dropped ? ")" : "", args ?: "");
                } else
                        printf("%s: updated (backup: %s)\n", *f, run->backups[i]);
        }
        if (!run->changed)
                printf("%s: already has the kernel arguments, left as it is\n", run->file);
        for (char **e = run->entries; e && *e; e++)
                printf("%s: updated\n", *e);
        if (run->regenerated && run->tool)
                printf("boot configuration regenerated with %s\n", run->tool);
}

int grub_apply_for_apply(const struct config *c, struct json *j) {
        struct grub_run run;
        int r = grub_load(c, NULL, &run);
        if (r == EXIT_OK)
                r = grub_apply(&run, false);
        if (j) {
                json_object_begin(j, "grub");
                if (r == EXIT_OK)
                        json_members_apply(j, &run);
                else
                        json_bool(j, "failed", true);
                json_object_end(j);
        } else if (r == EXIT_OK)
                print_apply(&run);
        grub_run_done(&run);
        return r;
}

int cmd_grub(struct context *ctx, int argc, char **argv) {
        static const struct extra_option extra[] = {
                { "file", 1, 'f' },
                { "no-update", 0, 'n' },
                {},
        };
        static const char help[] =
                "vfpt grub|bootloader check [--file PATH]\n"
                "vfpt grub|bootloader apply [--file PATH] [--no-update]\n"
                "check: are kernel_args in force in what the boot loader in use reads? GRUB:\n"
                "GRUB_CMDLINE_LINUX (and _DEFAULT) as grub-mkconfig sources /etc/default/grub\n"
                "(and /etc/default/grub.d/*.cfg where it reads them) with /bin/sh;\n"
                "systemd-boot, kernel-install, proxmox-boot-tool: /etc/kernel/cmdline; judged\n"
                "as the kernel parses its command line. Exit 0 yes, 1 no, 2 the files cannot\n"
                "be understood or the boot loader cannot be told.\n"
                "apply: make them so with the smallest edit (atomic rewrite keeping mode, owner\n"
                "and extended attributes; every file changed or none; one backup beside each\n"
                "file changed as FILE" BACKUP_SUFFIX "), then regenerate the boot configuration\n"
                "(update-grub, grub-mkconfig or grub2-mkconfig and BLS entries, grubenv\n"
                "kernelopts, /etc/kernel/cmdline; kernel-install add; proxmox-boot-tool\n"
                "refresh) unless --no-update. What already satisfies the config is left byte\n"
                "for byte alone.\n"
                "  --file PATH   this GRUB file alone instead of what the boot loader reads:\n"
                "                nothing else judged or edited, nothing regenerated\n"
                "  --no-update   only edit the files\n";
        struct grub_opts o = {};
        _cleanup_config_ struct config *c = NULL;
        struct grub_run run = {};
        bool apply;
        int r;

        r = parse_command_options(ctx, argc, argv, help, extra, on_option, &o);
        if (r == -1)
                return EXIT_OK;
        if (r < 0)
                return EXIT_USAGE;
        if (r >= argc || (!streq(argv[r], "check") && !streq(argv[r], "apply"))) {
                log_error("%s: expected 'check' or 'apply'", argv[0]);
                fputs(help, stderr);
                return EXIT_USAGE;
        }
        apply = streq(argv[r], "apply");
        /* options may follow the verb too */
        int verb = r, k2 = parse_command_options(ctx, argc - verb, argv + verb, help, extra, on_option, &o);
        if (k2 == -1)
                return EXIT_OK;
        if (k2 < 0)
                return EXIT_USAGE;
        if (k2 < argc - verb) {
                log_error("%s: unexpected argument '%s'", argv[0], argv[verb + k2]);
                return EXIT_USAGE;
        }

        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;
        if (o.file && *path_root()) {
                /* under VFPT_ROOT, --file is taken as given, not below the sysroot: say which it is */
                int in = path_inside(o.file, path_root());
                log_notice("%s: %s VFPT_ROOT %s (--file is used as given%s, not below it)", o.file,
                           in > 0 ? "inside" : in == 0 ? "OUTSIDE" : "cannot tell whether it is inside",
                           path_root(), o.file[0] == '/' ? "" : ", relative to the working directory");
        }
        r = grub_load(c, o.file, &run);
        if (r == EXIT_OK)
                r = apply ? grub_apply(&run, o.no_update) : grub_check(&run);
        if (r == EXIT_OK) {
                if (ctx->json) {
                        struct json j;
                        json_init(&j, stdout);
                        json_object_begin(&j, NULL);
                        if (apply)
                                json_members_apply(&j, &run);
                        else
                                json_members_check(&j, &run);
                        json_object_end(&j);
                        json_finish(&j);
                } else if (apply)
                        print_apply(&run);
                else
                        print_check(&run);
                if (!apply && !run.satisfied)
                        r = EXIT_DRIFT;
        }
        grub_run_done(&run);
        return r;
}

void next_boot_judge(char *const *want, char *const *have, bool iommu, struct next_boot *nb) {
        _cleanup_strv_free_ char **next = NULL, **units = NULL;
        bool all = true;

        *nb = (struct next_boot) {};
        for (char *const *w = want; *w; w++)
                all = all && cmdline_satisfies(have, *w);
        if (all && !iommu) {
                /* the kernel was told, yet no IOMMU: the firmware's switch, or the kernel's own refusal */
                int r = bootcfg_iommu_units(&units);
                if (r >= 0 && !units)
                        nb->iommu_hint = strdup("no IOMMU registered (/sys/class/iommu is empty) although the "
                                                "arguments are on the command line: firmware VT-d/AMD-Vi "
                                                "disabled? The kernel log says why: dmesg | grep -i -e DMAR -e "
                                                "AMD-Vi -e IOMMU");
                else if (r >= 0)
                        nb->iommu_hint = strdupf("%s registered but no IOMMU groups: translation is off (iommu=off, "
                                                 "or the firmware's DMAR table refused)? dmesg | grep -i -e DMAR "
                                                 "-e AMD-Vi -e IOMMU", units[0]);
        }
        if (all || bootcfg_next_boot(&next, &nb->source) < 0)
                return;
        for (char *const *w = want; *w; w++)
                if (!cmdline_satisfies(have, *w))
                        (void) strv_extend(cmdline_satisfies(next, *w) ? &nb->adds : &nb->lacks, *w);
        nb->reboot = nb->adds != NULL;
}

void next_boot_print(const struct next_boot *nb) {
        if (nb->iommu_hint)
                printf("IOMMU: %s\n", nb->iommu_hint);
        if (nb->adds) {
                printf("reboot required: the next boot adds");
                for (char **a = nb->adds; *a; a++)
                        printf(" %s", *a);
                printf(" (%s)\n", nb->source);
        }
        if (nb->lacks) {
                printf("the next boot lacks");
                for (char **a = nb->lacks; *a; a++)
                        printf(" %s", *a);
                printf(" too (%s): run 'vfpt grub apply'\n", nb->source);
        }
}

void next_boot_json(struct json *j, const struct next_boot *nb) {
        json_object_begin(j, "next_boot");
        json_string(j, "source", nb->source);
        json_array_begin(j, "adds");
        for (char **a = nb->adds; a && *a; a++)
                json_string(j, NULL, *a);
        json_array_end(j);
        json_array_begin(j, "lacks");
        for (char **a = nb->lacks; a && *a; a++)
                json_string(j, NULL, *a);
        json_array_end(j);
        json_object_end(j);
        json_string(j, "iommu_hint", nb->iommu_hint);
}

void next_boot_done(struct next_boot *nb) {
        free(nb->source);
        strv_free(nb->adds);
        strv_free(nb->lacks);
        free(nb->iommu_hint);
}
