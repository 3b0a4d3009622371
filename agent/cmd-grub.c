/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt grub check|apply: kernel_args in GRUB_CMDLINE_LINUX, as /bin/sh reads it. */
#include <stdio.h>
#include <sys/stat.h>

#include "bootcfg.h"
#include "cmdline.h"
#include "commands.h"
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

/* one check or apply of one file */
struct grub_run {
        const char *file;
        char **want, **params, **entries; /* entries: boot entries changed (apply) or stale (check) */
        struct grub_file *g;
        char *patched;
        size_t plen;
        bool bls, satisfied, regenerated;
        const char *tool;
};

static void grub_run_done(struct grub_run *run) {
        strv_free(run->want);
        strv_free(run->params);
        strv_free(run->entries);
        grub_free(run->g);
        free(run->patched);
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

/* Reads and judges the file; an exit code, errors said. */
static int grub_load(const struct config *c, const char *file, struct grub_run *run) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        *run = (struct grub_run) { .file = file };
        r = host_kernel_args(c, &run->want);
        if (r < 0) {
                log_error("kernel_args = auto: cannot tell Intel from AMD in /proc/cpuinfo; set kernel_args");
                return EXIT_USAGE;
        }
        r = read_file(file, 1024 * 1024, &text, &len);
        if (r < 0) {
                log_error("%s: cannot read: %s", file, strerror(-r));
                return EXIT_USAGE;
        }
        r = grub_parse(text, len, &run->g);
        if (r == -EINVAL) {
                log_error("%s:%u: %s", file, run->g->error_line, run->g->error);
                return EXIT_USAGE;
        }
        if (r < 0 || (r = grub_cmdline(run->g, &run->params)) < 0) {
                if (r == -EINVAL)
                        log_error("%s:%u: the kernel command line depends on a command substitution; vfpt "
                                  "cannot see through it", file, grub_unknown_line(run->g));
                else
                        log_error("%s: %s", file, strerror(-r));
                return EXIT_USAGE;
        }
        run->bls = bls_enabled(run->g);
        run->satisfied = true;
        for (char **w = run->want; *w; w++)
                run->satisfied = run->satisfied && cmdline_satisfies(run->params, *w);
        return EXIT_OK;
}

static int grub_check(struct grub_run *run) {
        _cleanup_free_ char *failed = NULL;
        /* BLS systems: the entries hold their own copies */
        int k = bootcfg_patch_cmdlines(run->want, run->bls, true, &run->entries, &failed);
        if (k < 0) {
                log_error("%s: %s", failed ?: "boot entries", strerror(-k));
                return EXIT_USAGE;
        }
        run->satisfied = run->satisfied && k == 0;
        return EXIT_OK;
}

static int grub_apply(struct grub_run *run, bool no_update) {
        _cleanup_free_ char *failed = NULL, *tool_err = NULL;
        const char *why = NULL, *file = run->file;
        int r;

        if (!run->satisfied) {
                /* grub_patch verifies its edit: it reads back, has every
                 * argument in force, and changes no other variable */
                r = grub_patch(run->g, run->want, &run->patched, &run->plen, &why);
                if (r < 0) {
                        log_error("%s: cannot edit safely: %s; the file is unchanged", file, why ?: strerror(-r));
                        return EXIT_USAGE;
                }
                bool replaced;
                r = atomic_replace_full(file, run->patched, run->plen, BACKUP_SUFFIX, &replaced);
                if (r < 0 && replaced) {
                        log_error("%s: written (previous content in %s%s), but syncing its directory failed: %s; "
                                  "the change may not survive a crash", file, file, BACKUP_SUFFIX, strerror(-r));
                        return EXIT_PARTIAL;
                }
                if (r < 0) {
                        log_error("%s: cannot write: %s; the file is unchanged", file, strerror(-r));
                        return EXIT_PARTIAL;
                }
                log_info("%s: kernel_args added; previous content in %s%s", file, file, BACKUP_SUFFIX);
        }
        /* --no-update: this file only; otherwise the boot entries' own copies too */
        int k = no_update ? 0 : bootcfg_patch_cmdlines(run->want, run->bls, false, &run->entries, &failed);
        if (k < 0) {
                log_error("%s: cannot patch: %s", failed ?: "boot entries", strerror(-k));
                return EXIT_PARTIAL;
        }
        if (!no_update && (run->patched || k > 0)) {
                const char *const *tool;
                r = bootcfg_regenerate(&tool_err);
                if (r < 0) {
                        log_error("%s: %s%s", file,
                                  run->patched ? "edited, but the boot configuration was not regenerated: " : "",
                                  tool_err ?: strerror(-r));
                        return EXIT_PARTIAL;
                }
                run->regenerated = true;
                if (bootcfg_tool(&tool) >= 0)
                        run->tool = tool[0];
        }
        return EXIT_OK;
}

static void json_members_check(struct json *j, const struct grub_run *run) {
        json_string(j, "file", run->file);
        json_bool(j, "satisfied", run->satisfied);
        json_bool(j, "changed", false);
        json_array_begin(j, "args");
        for (char **w = run->want; *w; w++) {
                int i = cmdline_find_last(run->params, *w);
                json_object_begin(j, NULL);
                json_string(j, "arg", *w);
                json_bool(j, "in_effect", cmdline_satisfies(run->params, *w));
                json_string(j, "found", i >= 0 ? run->params[i] : NULL);
                json_object_end(j);
        }
        json_array_end(j);
        json_array_begin(j, "stale_boot_entries");
        for (char **f = run->entries; f && *f; f++)
                json_string(j, NULL, *f);
        json_array_end(j);
}

static void json_members_apply(struct json *j, const struct grub_run *run) {
        _cleanup_free_ char *backup = strdupf("%s%s", run->file, BACKUP_SUFFIX);
        json_string(j, "file", run->file);
        json_bool(j, "changed", run->patched || run->entries);
        json_string(j, "backup", run->patched ? backup : NULL);
        json_array_begin(j, "boot_entries_changed");
        for (char **f = run->entries; f && *f; f++)
                json_string(j, NULL, *f);
        json_array_end(j);
        json_string(j, "regenerated_with", run->tool);
}

static void print_check(const struct grub_run *run) {
        for (char **w = run->want; *w; w++) {
                int i = cmdline_find_last(run->params, *w);
                if (cmdline_satisfies(run->params, *w))
                        printf("%s: %s in effect\n", run->file, *w);
                else if (i >= 0)
                        printf("%s: %s MISSING: %s is in force\n", run->file, *w, run->params[i]);
                else
                        printf("%s: %s MISSING\n", run->file, *w);
        }
        for (char **f = run->entries; f && *f; f++)
                printf("%s: lacks kernel_args\n", *f);
}

static void print_apply(const struct grub_run *run) {
        if (run->patched)
                printf("%s: updated (backup: %s%s)\n", run->file, run->file, BACKUP_SUFFIX);
        else
                printf("%s: already has the kernel arguments, left as it is\n", run->file);
        for (char **f = run->entries; f && *f; f++)
                printf("%s: updated\n", *f);
        if (run->regenerated && run->tool)
                printf("boot configuration regenerated with %s\n", run->tool);
}

int grub_apply_for_apply(const struct config *c, struct json *j) {
        struct grub_run run;
        int r = grub_load(c, path_grub_default(), &run);
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
                "vfpt grub check [--file PATH]\n"
                "vfpt grub apply [--file PATH] [--no-update]\n"
                "check: are kernel_args in force in GRUB_CMDLINE_LINUX (and _DEFAULT), judged\n"
                "as grub-mkconfig reads the file (sourced by /bin/sh) and as the kernel parses\n"
                "its command line? Exit 0 yes, 1 no, 2 the file cannot be understood.\n"
                "apply: make them so with the smallest edit (atomic rewrite, one backup beside\n"
                "the file as FILE" BACKUP_SUFFIX "), then regenerate the boot configuration\n"
                "(update-grub, grub-mkconfig or grub2-mkconfig; BLS entries, grubenv\n"
                "kernelopts, /etc/kernel/cmdline) unless --no-update. A file that already\n"
                "satisfies the config is left byte for byte alone.\n"
                "  --file PATH   instead of /etc/default/grub\n"
                "  --no-update   only edit the file\n";
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
                log_error("grub: expected 'check' or 'apply'");
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
                log_error("grub: unexpected argument '%s'", argv[verb + k2]);
                return EXIT_USAGE;
        }

        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;
        r = grub_load(c, o.file ?: path_grub_default(), &run);
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
