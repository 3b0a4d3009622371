/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

struct config;

/* Exit codes of the contract */
enum {
        EXIT_OK = 0,
        EXIT_DRIFT = 1,
        EXIT_USAGE = 2, /* also: bad config, malformed input; nothing changed */
        EXIT_PARTIAL = 3,
};

struct context {
        const char *config_path; /* NULL: /etc/vfpt.conf */
        bool json;
        const char *argv0;
};

/* Each returns an exit code. argv[0] is the command name. */
int cmd_check_config(struct context *ctx, int argc, char **argv);
int cmd_plan(struct context *ctx, int argc, char **argv);
int cmd_apply(struct context *ctx, int argc, char **argv);
int cmd_udev(struct context *ctx, int argc, char **argv);
int cmd_status(struct context *ctx, int argc, char **argv);
int cmd_metrics(struct context *ctx, int argc, char **argv);
int cmd_grub(struct context *ctx, int argc, char **argv);
int cmd_libvirt(struct context *ctx, int argc, char **argv);
int cmd_protected(struct context *ctx, int argc, char **argv);
int cmd_initramfs_hook(struct context *ctx, int argc, char **argv);
int cmd_groups(struct context *ctx, int argc, char **argv);

/* Shared by the commands: parse the options every command takes (--config,
 * --json, --verbose, --quiet, --help) plus extra ones; returns the index of
 * the first non-option, -1 after printing help (exit 0), or -2 on a usage
 * error (already reported). */
struct extra_option {
        const char *name;
        int has_arg;
        int val;
};
int parse_command_options(struct context *ctx, int argc, char **argv, const char *usage,
                          const struct extra_option *extra, int (*on_extra)(void *userdata, int val, const char *arg),
                          void *userdata);

/* -c/-j/-v/-q; true if c was one of them */
bool cli_common_option(struct context *ctx, int c, const char *arg);

/* Loads the config and prints every error; returns 0 or EXIT_USAGE. */
int load_config_or_report(struct context *ctx, struct config **ret);
/* One warning line per drop-in the config skipped (not a regular file) */
void log_skipped_dropins(const struct config *c);

/* The end of a command that looked at devices: the engine's accounts (e may
 * be NULL), then the libudev, libkmod and libmnl contexts of the process
 * (for a clean exit under valgrind; any may never have been opened). */
struct engine;
void command_teardown(struct engine *e);
