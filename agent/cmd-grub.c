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
        _cleanup_strv_free_ char **want = NULL, **params = NULL, **changed_files = NULL;
        _cleanup_grub_ struct grub_file *g = NULL;
        _cleanup_free_ char *text = NULL, *patched = NULL, *tool_err = NULL, *failed = NULL;
        size_t len, plen = 0;
        const char *why = NULL;
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
        const char *file = o.file ?: path_grub_default();

        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;
        r = host_kernel_args(c, &want);
        if (r < 0) {
                log_error("kernel_args = auto: cannot tell Intel from AMD in /proc/cpuinfo; set kernel_args");
                return EXIT_USAGE;
        }
        r = read_file(file, 1024 * 1024, &text, &len);
        if (r < 0) {
                log_error("%s: cannot read: %s", file, strerror(-r));
                return EXIT_USAGE;
        }
        r = grub_parse(text, len, &g);
        if (r == -EINVAL) {
                log_error("%s:%u: %s", file, g->error_line, g->error);
                return EXIT_USAGE;
        }
        if (r < 0 || (r = grub_cmdline(g, &params)) < 0) {
                if (r == -EINVAL)
                        log_error("%s:%u: the kernel command line depends on a command substitution; vfpt "
                                  "cannot see through it", file, grub_unknown_line(g));
                else
                        log_error("%s: %s", file, strerror(-r));
                return EXIT_USAGE;
        }
        bool bls = bls_enabled(g);
        bool satisfied = true;
        for (char **w = want; *w; w++)
                satisfied = satisfied && cmdline_satisfies(params, *w);

        if (!apply) {
                /* BLS systems: the entries hold their own copies */
                int k = bootcfg_patch_cmdlines(want, bls, true, &changed_files, &failed);
                if (k < 0) {
                        log_error("%s: %s", failed ?: "boot entries", strerror(-k));
                        return EXIT_USAGE;
                }
                if (ctx->json) {
                        struct json j;
                        json_init(&j, stdout);
                        json_object_begin(&j, NULL);
                        json_string(&j, "file", file);
                        json_bool(&j, "satisfied", satisfied && k == 0);
                        json_bool(&j, "changed", false);
                        json_array_begin(&j, "args");
                        for (char **w = want; *w; w++) {
                                int i = cmdline_find_last(params, *w);
                                json_object_begin(&j, NULL);
                                json_string(&j, "arg", *w);
                                json_bool(&j, "in_effect", cmdline_satisfies(params, *w));
                                json_string(&j, "found", i >= 0 ? params[i] : NULL);
                                json_object_end(&j);
                        }
                        json_array_end(&j);
                        json_array_begin(&j, "stale_boot_entries");
                        for (char **f = changed_files; f && *f; f++)
                                json_string(&j, NULL, *f);
                        json_array_end(&j);
                        json_object_end(&j);
                        json_finish(&j);
                } else {
                        for (char **w = want; *w; w++) {
                                int i = cmdline_find_last(params, *w);
                                if (cmdline_satisfies(params, *w))
                                        printf("%s: %s in effect\n", file, *w);
                                else if (i >= 0)
                                        printf("%s: %s MISSING: %s is in force\n", file, *w, params[i]);
                                else
                                        printf("%s: %s MISSING\n", file, *w);
                        }
                        for (char **f = changed_files; f && *f; f++)
                                printf("%s: lacks kernel_args\n", *f);
                }
                return satisfied && k == 0 ? EXIT_OK : EXIT_DRIFT;
        }

        if (!satisfied) {
                /* grub_patch verifies its edit: it reads back, has every
                 * argument in force, and changes no other variable */
                r = grub_patch(g, want, &patched, &plen, &why);
                if (r < 0) {
                        log_error("%s: cannot edit safely: %s; the file is unchanged", file, why ?: strerror(-r));
                        return EXIT_USAGE;
                }
                r = atomic_replace(file, patched, plen, BACKUP_SUFFIX);
                if (r < 0) {
                        log_error("%s: cannot write: %s; the file is unchanged", file, strerror(-r));
                        return EXIT_PARTIAL;
                }
                log_info("%s: kernel_args added; previous content in %s%s", file, file, BACKUP_SUFFIX);
        }
        /* --no-update: this file only; otherwise the boot entries' own copies too */
        int k = o.no_update ? 0 : bootcfg_patch_cmdlines(want, bls, false, &changed_files, &failed);
        if (k < 0) {
                log_error("%s: cannot patch: %s", failed ?: "boot entries", strerror(-k));
                return EXIT_PARTIAL;
        }
        const char *const *tool = NULL;
        bool regenerated = false;
        if (!o.no_update && (patched || k > 0)) {
                r = bootcfg_regenerate(&tool_err);
                if (r < 0) {
                        log_error("%s: %s%s", file, patched ? "edited, but the boot configuration was not regenerated: " : "",
                                  tool_err ?: strerror(-r));
                        return EXIT_PARTIAL;
                }
                regenerated = true;
                bootcfg_tool(&tool);
        }
        bool changed = patched || k > 0;
        if (ctx->json) {
                struct json j;
                _cleanup_free_ char *backup = strdupf("%s%s", file, BACKUP_SUFFIX);
                json_init(&j, stdout);
                json_object_begin(&j, NULL);
                json_string(&j, "file", file);
                json_bool(&j, "changed", changed);
                json_string(&j, "backup", patched ? backup : NULL);
                json_array_begin(&j, "boot_entries_changed");
                for (char **f = changed_files; f && *f; f++)
                        json_string(&j, NULL, *f);
                json_array_end(&j);
                json_string(&j, "regenerated_with", regenerated && tool ? tool[0] : NULL);
                json_object_end(&j);
                json_finish(&j);
        } else {
                if (patched)
                        printf("%s: updated (backup: %s%s)\n", file, file, BACKUP_SUFFIX);
                else
                        printf("%s: already has the kernel arguments, left as it is\n", file);
                for (char **f = changed_files; f && *f; f++)
                        printf("%s: updated\n", *f);
                if (regenerated && tool)
                        printf("boot configuration regenerated with %s\n", tool[0]);
        }
        return EXIT_OK;
}
