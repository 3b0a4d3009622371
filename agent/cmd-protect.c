/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt protected, vfpt initramfs-hook: the protected set, and what the
 * initramfs builders record. */
#include <stdio.h>

#include "bootstate.h"
#include "cmd-protect.h"
#include "commands.h"
#include "config.h"
#include "engine.h"
#include "iommu-predict.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "port.h"
#include "protect.h"

/* On an up host: record the protected set for the next boot's initramfs. */
void learn_protected(struct engine *e) {
        char why[512];
        struct protect *p = e->prot;
        _cleanup_protect_ struct protect *own = NULL;
        if (!p) {
                if (protect_open(e->late, &own) < 0)
                        return;
                p = own;
        }
        int r = protect_save(p, why, sizeof(why));
        if (r < 0)
                log_warning_errno(r, "%s: cannot record the protected set: %m", path_protected());
        else
                log_debug("protected set: %s", why);
        learn_ports(e->cfg);
}

/* On an up host: the ports behind the config's interface names, for the boot. */
void learn_ports(const struct config *c) {
        char why[512];
        if (!config_has_port_selectors(c))
                return;
        int r = ports_save(c, why, sizeof(why));
        if (r < 0)
                log_warning_errno(r, "%s: cannot record the interface names: %m", path_ports());
        else
                log_debug("interface names: %s", why);
}

static int on_save(void *userdata, int c, const char *arg _unused_) {
        if (c != 's')
                return -1;
        *(bool *) userdata = true;
        return 0;
}

static void json_entries(struct json *j, const char *name, const struct protect_entry *l, size_t n) {
        json_array_begin(j, name);
        for (size_t i = 0; i < n; i++) {
                char id[16];
                if (!l[i].protected)
                        continue;
                snprintf(id, sizeof(id), "%04x:%04x", l[i].id.vendor, l[i].id.device);
                json_object_begin(j, NULL);
                json_string(j, "device", l[i].name);
                json_string(j, "id", id);
                json_string(j, "serial", *l[i].dsn ? l[i].dsn : NULL);
                json_string(j, "reason", l[i].reason);
                json_object_end(j);
        }
        json_array_end(j);
}

static void print_entries(const struct protect_entry *l, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (l[i].protected)
                        printf("  %s %04x:%04x%s%s: %s\n", l[i].name, l[i].id.vendor, l[i].id.device,
                               *l[i].dsn ? " serial " : "", l[i].dsn, l[i].reason);
}

int cmd_protected(struct context *ctx, int argc, char **argv) {
        _cleanup_protect_ struct protect *p = NULL;
        _cleanup_free_ struct protect_entry *live = NULL;
        size_t n_live = 0, n_learnt = 0;
        bool save = false;
        char why[512] = "";
        int r;

        static const struct extra_option extra[] = { { "save", 0, 's' }, {} };
        r = parse_command_options(ctx, argc, argv,
                                  "vfpt protected [--save]\n"
                                  "The devices this host needs to boot and be reached (the disk holding /,\n"
                                  "/boot, swap; the NIC carrying the default route; the console GPU), as seen\n"
                                  "now, and the set learnt for the boot in /var/lib/vfpt/protected.\n"
                                  "  --save   record it now (an up host only; the initramfs hooks do this)\n",
                                  extra, on_save, &save);
        if (r == -1)
                return EXIT_OK;
        if (r < 0)
                return EXIT_USAGE;
        if (r < argc) {
                log_error("protected: unexpected argument '%s'", argv[r]);
                return EXIT_USAGE;
        }
        r = protect_open(false, &p);
        if (r < 0) {
                log_error_errno(r, "cannot load the protected set: %m");
                return EXIT_USAGE;
        }
        r = protect_scan(p, &live, &n_live);
        if (r < 0) {
                log_error_errno(r, "cannot enumerate PCI devices: %m");
                return EXIT_USAGE;
        }
        if (save) {
                r = protect_save(p, why, sizeof(why));
                if (r < 0) {
                        log_error_errno(r, "%s: cannot record the protected set: %m", path_protected());
                        command_teardown(NULL);
                        return EXIT_PARTIAL;
                }
        }
        /* reload: what the next boot will read */
        _cleanup_protect_ struct protect *q = NULL;
        if (protect_open(false, &q) < 0)
                q = NULL;
        const struct protect_entry *learnt = q ? protect_learnt_entries(q, &n_learnt) : NULL;
        const char *not = q ? protect_learnt_why_not(q) : "cannot load it";
        if (ctx->json) {
                struct json j;
                json_init(&j, stdout);
                json_object_begin(&j, NULL);
                json_bool(&j, "disk_guard_sees", protect_disk_sees(p));
                json_bool(&j, "network_guard_sees", protect_net_sees(p));
                json_entries(&j, "live", live, n_live);
                json_string(&j, "learnt_file", path_protected());
                if (not)
                        json_string(&j, "learnt_unusable", not);
                else
                        json_entries(&j, "learnt", learnt, n_learnt);
                if (save)
                        json_string(&j, "saved", why);
                json_object_end(&j);
                json_finish(&j);
        } else {
                printf("protected now (disk guard %s, network guard %s):\n", protect_disk_sees(p) ? "sees" : "blind",
                       protect_net_sees(p) ? "sees" : "blind: no default route");
                print_entries(live, n_live);
                if (not)
                        printf("learnt for the boot: none usable: %s\n", not);
                else {
                        printf("learnt for the boot (%s):\n", path_protected());
                        print_entries(learnt, n_learnt);
                }
                if (save)
                        printf("save: %s\n", why);
        }
        command_teardown(NULL);
        return EXIT_OK;
}

int cmd_initramfs_hook(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        _cleanup_protect_ struct protect *p = NULL;
        char digest[DIGEST_MAX], why[512];
        int r;

        r = parse_command_options(ctx, argc, argv,
                                  "vfpt initramfs-hook KVER TOOL\n"
                                  "Used by the dracut module and the initramfs-tools hook while they build the\n"
                                  "initramfs of kernel KVER: records which config it carries (for 'vfpt status')\n"
                                  "and, on an up host, the protected set it takes along.\n",
                                  NULL, NULL, NULL);
        if (r == -1)
                return EXIT_OK;
        if (r < 0)
                return EXIT_USAGE;
        if (argc - r != 2) {
                log_error("initramfs-hook: expected KVER TOOL");
                return EXIT_USAGE;
        }
        const char *kver = argv[r], *tool = argv[r + 1];
        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;
        r = config_digest(c, digest);
        if (r >= 0)
                r = bootstate_record_initramfs(kver, tool, digest);
        if (r < 0) {
                log_error_errno(r, "cannot record the initramfs of kernel %s: %m", kver);
                return r == -EINVAL ? EXIT_USAGE : EXIT_PARTIAL;
        }
        learn_ports(c);
        if (iommu_predict_learn(why, sizeof(why)) < 0) /* issue 32: checked by status after the reboot */
                log_warning("%s: cannot record the predicted IOMMU groups", path_groups_predicted());
        r = protect_open(false, &p);
        if (r >= 0)
                r = protect_save(p, why, sizeof(why));
        command_teardown(NULL);
        if (r < 0) {
                log_error_errno(r, "%s: cannot record the protected set: %m", path_protected());
                return EXIT_PARTIAL;
        }
        log_info("protected set: %s", why);
        return EXIT_OK;
}
