/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "commands.h"
#include "log.h"

static int not_yet(struct context *ctx, int argc, char **argv) {
        int r = parse_command_options(ctx, argc, argv, "not implemented yet\n", NULL, NULL, NULL);
        if (r == -1)
                return EXIT_OK;
        log_error("%s: not implemented yet", argv[0]);
        return EXIT_USAGE;
}
int cmd_plan(struct context *ctx, int argc, char **argv) { return not_yet(ctx, argc, argv); }
int cmd_apply(struct context *ctx, int argc, char **argv) { return not_yet(ctx, argc, argv); }
int cmd_udev(struct context *ctx _unused_, int argc _unused_, char **argv _unused_) { return 0; }
int cmd_status(struct context *ctx, int argc, char **argv) { return not_yet(ctx, argc, argv); }
int cmd_grub(struct context *ctx, int argc, char **argv) { return not_yet(ctx, argc, argv); }
