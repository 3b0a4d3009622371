/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Option parsing and config loading shared by the commands. */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "config.h"
#include "device.h"
#include "engine.h"
#include "log.h"
#include "module.h"
#include "netlink.h"

static int verbosity_level = LOG_NOTICE;

bool cli_common_option(struct context *ctx, int c, const char *arg) {
        switch (c) {
        case 'c':
                ctx->config_path = arg;
                return true;
        case 'j':
                ctx->json = true;
                log_capture_errors(); /* for the error document (main.c) */
                return true;
        case 'v':
                verbosity_level = verbosity_level < LOG_INFO ? LOG_INFO : LOG_DEBUG;
                log_set_max_level(verbosity_level);
                return true;
        case 'q':
                verbosity_level = LOG_ERR;
                log_set_max_level(verbosity_level);
                return true;
        }
        return false;
}

int parse_command_options(struct context *ctx, int argc, char **argv, const char *usage_text,
                          const struct extra_option *extra, int (*on_extra)(void *, int, const char *),
                          void *userdata) {
        struct option opts[16] = {
                { "config", required_argument, NULL, 'c' },
                { "json", no_argument, NULL, 'j' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
        };
        size_t n = 5;
        int c;

        for (; extra && extra->name && n < ELEMENTSOF(opts) - 1; extra++, n++)
                opts[n] = (struct option) { extra->name, extra->has_arg, NULL, extra->val };

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+c:jvqh", opts, NULL)) >= 0) {
                if (c == 'h') {
                        fputs(usage_text, stdout);
                        return -1;
                }
                if (c == '?' || c == ':') {
                        if (optopt)
                                log_error("%s: unknown option '-%c'", argv[0], optopt);
                        else
                                log_error("%s: unknown option or missing argument '%s'", argv[0],
                                          argv[optind - 1]);
                        fprintf(stderr, "%s", usage_text);
                        return -2;
                }
                if (cli_common_option(ctx, c, optarg))
                        continue;
                if (!on_extra || on_extra(userdata, c, optarg) < 0)
                        return -2;
        }
        return optind;
}

int load_config_or_report(struct context *ctx, struct config **ret) {
        struct config *c = NULL;
        int r = config_load(ctx->config_path, &c);
        if (r == -ENOMEM) {
                log_error("out of memory");
                config_free(c);
                return EXIT_USAGE;
        }
        if (r < 0) {
                for (char **e = c->errors; e && *e; e++)
                        log_error("%s", *e);
                config_free(c);
                return EXIT_USAGE;
        }
        log_skipped_dropins(c);
        *ret = c;
        return 0;
}

void log_skipped_dropins(const struct config *c) {
        for (char **s = c->skipped; s && *s; s++)
                log_warning("%s; skipped it ('vfpt check-config' calls it an error)", *s);
}


void command_teardown(struct engine *e) {
        if (e)
                engine_done(e);
        device_done();
        module_done();
        netlink_done();
}
