/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "json.h"
#include "log.h"
#include "paths.h"

#ifndef VFPT_VERSION
#define VFPT_VERSION "0.0.0"
#endif

static int cmd_version(struct context *ctx, int argc, char **argv);

static const char *environment_problem(void) {
        const char *t = getenv("VFPT_LOG_TARGET");
        if (t && *t && !streq(t, "console") && !streq(t, "kmsg"))
                return "VFPT_LOG_TARGET must be console or kmsg";
        return path_root_problem();
}
static int cmd_help(struct context *ctx, int argc, char **argv);

static const struct command {
        const char *name;
        int (*fn)(struct context *ctx, int argc, char **argv);
        const char *help;
} commands[] = {
        { "check-config", cmd_check_config, "validate the config (and, on a running host, its safety)" },
        { "plan", cmd_plan, "print what `apply` would do; writes nothing" },
        { "apply", cmd_apply, "bring every configured device to its desired state now (coldplug)" },
        { "udev", cmd_udev, "handle the one uevent described by the environment; used by the rules" },
        { "status", cmd_status, "kernel arguments, IOMMU state, each configured device: now vs wanted" },
        { "metrics", cmd_metrics, "[--output FILE]: status as Prometheus text (node_exporter textfile collector)" },
        { "grub", cmd_grub, "grub check|apply [--file PATH] [--no-update]: kernel_args where the boot loader reads them" },
        { "bootloader", cmd_grub, "the same as grub (GRUB, systemd-boot, kernel-install, proxmox-boot-tool)" },
        { "groups", cmd_groups, "the IOMMU group of each configured device: members, blockers, where isolation breaks" },
        { "protected", cmd_protected, "the devices the host needs (never claimed), now and as learnt for the boot" },
        { "initramfs-hook", cmd_initramfs_hook, "KVER TOOL: used by the initramfs builders' hooks" },
        { "libvirt", cmd_libvirt, "[PF|DEVICE]: libvirt <network>/<hostdev> definitions for what vfpt claims" },
        { "version", cmd_version, "print the version" },
        { "help", cmd_help, "this text" },
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: vfpt [--config FILE] [--json] [--verbose|--quiet] COMMAND [ARGS]\n"
                "Prepare PCI devices for VFIO passthrough: SR-IOV VFs, vfio-pci claims, IOMMU\n"
                "kernel arguments.\n\nCommands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
        fprintf(f, "\nOptions:\n"
                   "  -c, --config FILE  read FILE and FILE.d/*.conf instead of /etc/vfpt.conf\n"
                   "  -j, --json         one JSON document on stdout, on errors too\n"
                   "  -v, --verbose      more log output (repeat for debug)\n"
                   "  -q, --quiet        errors only on stderr (no warnings); stdout as ever\n"
                   "  -h, --help         this text; COMMAND --help for a command's own\n"
                   "\nExit status: 0 done/matches, 1 drift, 2 usage or bad input, 3 apply incomplete.\n");
}

static int cmd_version(struct context *ctx, int argc, char **argv) {
        int r = parse_command_options(ctx, argc, argv, "vfpt version\nPrint the version.\n", NULL, NULL, NULL);
        if (r < 0)
                return r == -1 ? EXIT_OK : EXIT_USAGE;
        if (r < argc) {
                log_error("version: unexpected argument '%s'", argv[r]);
                return EXIT_USAGE;
        }
        if (ctx->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j, NULL);
                json_string(&j, "version", VFPT_VERSION);
                json_object_end(&j);
                json_finish(&j);
        } else
                printf("vfpt %s\n", VFPT_VERSION);
        return EXIT_OK;
}

/* --json: a command that printed no document (bad usage, a bad config, a
 * failure before its output) prints this one, so a JSON consumer always has
 * one: {"command": "plan", "exit": 2, "errors": ["..."]}. Not for udev and
 * initramfs-hook (their callers read no stdout) nor for --help texts. */
static void json_error_document(const struct context *ctx, const char *command, int rc) {
        struct json j;
        if (!ctx->json || json_stdout_used() || streq_ptr(command, "udev") || streq_ptr(command, "initramfs-hook"))
                return;
        json_init(&j, stdout);
        json_object_begin(&j, NULL);
        json_string(&j, "command", command);
        json_int(&j, "exit", rc);
        json_array_begin(&j, "errors");
        for (char *const *e = log_captured_errors(); e && *e; e++)
                json_string(&j, NULL, *e);
        json_array_end(&j);
        json_object_end(&j);
        json_finish(&j);
}

/* Like util-linux's close_stdout(): output that could not be written (a
 * full disk, an I/O error) is a failure, not
 * success. Exit 3 for the commands that change things (apply, grub apply:
 * what was done is not known to the caller), else 2 (nothing was changed);
 * udev keeps its 0. */
static int close_stdout(int r, int argc, char **argv) {
        bool changes = false;
        int e = fflush(stdout) < 0 ? errno : ferror(stdout) ? EIO : 0;

        /* EPIPE: the reader went away on purpose (| head), as util-linux has it */
        if (e == 0 || e == EPIPE || (argc > 0 && streq(argv[0], "udev")))
                return r;
        for (int i = 0; i < argc; i++)
                changes = changes || streq(argv[i], "apply");
        log_error("write error on standard output: %s", strerror(e));
        return r == EXIT_PARTIAL || changes ? EXIT_PARTIAL : EXIT_USAGE;
}

static int cmd_help(struct context *ctx _unused_, int argc _unused_, char **argv _unused_) {
        usage(stdout);
        return EXIT_OK;
}

int main(int argc, char **argv) {
        struct context ctx = { .argv0 = argv[0] };
        static const struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, 'j' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c, r;

        /* a terminal, or "vfpt ... 2>file" from a script: stderr; the udev
         * command switches to the kernel log itself */
        log_set_target(LOG_TARGET_STDERR);
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+c:jvqh", opts, NULL)) >= 0) {
                if (c == 'h') {
                        usage(stdout);
                        return close_stdout(EXIT_OK, 0, NULL);
                }
                if (c == 'V') {
                        printf("vfpt %s\n", VFPT_VERSION);
                        return close_stdout(EXIT_OK, 0, NULL);
                }
                if (c == '?' || c == ':') {
                        log_error("unknown option or missing argument '%s'", argv[optind - 1]);
                        usage(stderr);
                        json_error_document(&ctx, NULL, EXIT_USAGE);
                        return close_stdout(EXIT_USAGE, 0, NULL);
                }
                cli_common_option(&ctx, c, optarg);
        }
        if (optind >= argc) {
                log_error("no command given");
                usage(stderr);
                json_error_document(&ctx, NULL, EXIT_USAGE);
                return close_stdout(EXIT_USAGE, 0, NULL);
        }
        /* bad environment: one line and exit 2, except for udev, which
         * never fails an event (it logs and goes on with the defaults) */
        const char *why = environment_problem();
        if (why) {
                log_error("%s", why);
                if (!streq(argv[optind], "udev")) {
                        json_error_document(&ctx, argv[optind], EXIT_USAGE);
                        return close_stdout(EXIT_USAGE, 0, NULL);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[optind], commands[i].name)) {
                        r = commands[i].fn(&ctx, argc - optind, argv + optind);
                        if (r != EXIT_OK && !streq(commands[i].name, "help"))
                                json_error_document(&ctx, commands[i].name, r);
                        r = close_stdout(r, argc - optind, argv + optind);
                        log_close();
                        return r;
                }
        log_error("unknown command '%s'; 'vfpt help' lists them", argv[optind]);
        json_error_document(&ctx, argv[optind], EXIT_USAGE);
        return close_stdout(EXIT_USAGE, 0, NULL);
}
