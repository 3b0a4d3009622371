/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt check-config */
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>

#include "cmd-coexist.h"
#include "coexist.h"
#include "commands.h"
#include "device.h"
#include "engine.h"
#include "gpu.h"
#include "module.h"
#include "paths.h"
#include "port.h"
#include <sys/stat.h>
#include "json.h"
#include "log.h"

static void print_human(const struct config *c) {
        char buf[SELECTOR_MAX], a[PCI_ADDR_MAX];

        if (!c->files)
                printf("config: no file found, using defaults\n");
        for (char **f = c->files; f && *f; f++)
                printf("config: %s\n", *f);
        printf("kernel_args: ");
        if (c->kernel_args_auto)
                printf("auto (by CPU vendor)\n");
        else
                for (char **k = c->kernel_args; k && *k; k++)
                        printf("%s%s", *k, k[1] ? " " : "\n");
        printf("patch_grub: %s\n", c->patch_grub ? "yes" : "no");
        printf("iommu_group: %s\n", group_policy_to_string(c->iommu_group));
        for (size_t i = 0; i < c->n_sriov; i++)
                printf("sriov %s: num_vfs=%u vf_driver=%s\n", selector_format(&c->sriov[i].sel, buf, sizeof(buf)),
                       c->sriov[i].num_vfs, config_vf_driver_name(&c->sriov[i]));
        if (c->n_vfio_devices) {
                printf("vfio devices:");
                for (size_t i = 0; i < c->n_vfio_devices; i++)
                        printf(" %s", pci_addr_format(&c->vfio_devices[i].addr, a));
                printf("\n");
        }
        if (c->n_vfio_ids) {
                printf("vfio ids:");
                for (size_t i = 0; i < c->n_vfio_ids; i++)
                        printf(" %04x:%04x", c->vfio_ids[i].id.vendor, c->vfio_ids[i].id.device);
                printf("\n");
        }
        if (c->vfio_driver_origin || c->n_vfio_devices || c->n_vfio_ids)
                printf("vfio driver: %s\n", c->vfio_driver);
        if (c->vfio_owner || c->vfio_group || c->vfio_mode >= 0) {
                printf("vfio nodes:");
                if (c->vfio_owner)
                        printf(" owner=%s", c->vfio_owner);
                if (c->vfio_group)
                        printf(" group=%s", c->vfio_group);
                if (c->vfio_mode >= 0)
                        printf(" mode=%04o", (unsigned) c->vfio_mode);
                printf("\n");
        }
        /* provenance: which file (a drop-in?) set each key; unlisted keys are defaults */
        for (size_t i = 0; i < c->n_origins; i++)
                printf("set by %s: [%s] %s\n", c->origins[i].origin, c->origins[i].section, c->origins[i].key);
}

/* "FILE:LINE" as file and line */
static void json_origin(struct json *j, const struct config_origin *o) {
        const char *colon = strrchr(o->origin, ':');
        unsigned line = 0;
        _cleanup_free_ char *file = colon ? strndup(o->origin, (size_t) (colon - o->origin)) : NULL;
        json_object_begin(j, NULL);
        json_string(j, "section", o->section);
        json_string(j, "key", o->key);
        if (file && parse_decimal(colon + 1, &line) == 0) {
                json_string(j, "file", file);
                json_int(j, "line", line);
        } else {
                json_string(j, "file", o->origin);
                json_null(j, "line");
        }
        json_object_end(j);
}

static void print_json(const struct config *c, const char *const *errors, const struct coexist *co) {
        struct json j;
        char buf[SELECTOR_MAX], a[PCI_ADDR_MAX];

        json_init(&j, stdout);
        json_object_begin(&j, NULL);
        json_bool(&j, "valid", !errors);
        json_array_begin(&j, "files");
        for (char **f = c ? c->files : NULL; f && *f; f++)
                json_string(&j, NULL, *f);
        json_array_end(&j);
        json_array_begin(&j, "errors");
        for (const char *const *e = errors; e && *e; e++)
                json_string(&j, NULL, *e);
        json_array_end(&j);
        if (c && !errors) {
                json_object_begin(&j, "global");
                if (c->kernel_args_auto)
                        json_string(&j, "kernel_args", "auto");
                else {
                        json_array_begin(&j, "kernel_args");
                        for (char **k = c->kernel_args; k && *k; k++)
                                json_string(&j, NULL, *k);
                        json_array_end(&j);
                }
                json_bool(&j, "patch_grub", c->patch_grub);
                json_string(&j, "iommu_group", group_policy_to_string(c->iommu_group));
                json_object_end(&j);
                json_array_begin(&j, "sriov");
                for (size_t i = 0; i < c->n_sriov; i++) {
                        json_object_begin(&j, NULL);
                        json_string(&j, "selector", selector_format(&c->sriov[i].sel, buf, sizeof(buf)));
                        json_int(&j, "num_vfs", c->sriov[i].num_vfs);
                        json_string(&j, "vf_driver", config_vf_driver_name(&c->sriov[i]));
                        json_object_end(&j);
                }
                json_array_end(&j);
                json_object_begin(&j, "vfio");
                json_array_begin(&j, "devices");
                for (size_t i = 0; i < c->n_vfio_devices; i++)
                        json_string(&j, NULL, pci_addr_format(&c->vfio_devices[i].addr, a));
                json_array_end(&j);
                json_array_begin(&j, "ids");
                for (size_t i = 0; i < c->n_vfio_ids; i++) {
                        snprintf(buf, sizeof(buf), "%04x:%04x", c->vfio_ids[i].id.vendor, c->vfio_ids[i].id.device);
                        json_string(&j, NULL, buf);
                }
                json_array_end(&j);
                json_string(&j, "driver", c->vfio_driver);
                json_string(&j, "owner", c->vfio_owner);
                json_string(&j, "group", c->vfio_group);
                if (c->vfio_mode >= 0) {
                        snprintf(buf, sizeof(buf), "%04o", (unsigned) c->vfio_mode);
                        json_string(&j, "mode", buf);
                } else
                        json_null(&j, "mode");
                json_object_end(&j);
                json_array_begin(&j, "origins");
                for (size_t i = 0; i < c->n_origins; i++)
                        json_origin(&j, &c->origins[i]);
                json_array_end(&j);
        }
        coexistence_json(&j, co);
        json_object_end(&j);
        json_finish(&j);
}

/* A claim driver the config names (vf_driver, [vfio] driver) that the
 * running kernel has neither registered nor as a module: a warning, not an
 * error: the config may be written ahead of the kernel or the package that
 * brings the module (and the boot kernel may not be this one); the claim
 * itself fails then, "module NAME not found". */
static void check_driver(const char *origin, const char *key, const char *drv) {
        char release[65] = "";
        if (!origin || driver_registered(drv))
                return;
        int r = module_exists(drv, release, sizeof(release));
        _cleanup_free_ char *dir = path_rooted(LIB_MODULES "/");
        if (r == 0)
                log_warning("%s: %s %s: no module %s for the running kernel %s (in %s%s), nor built in; "
                            "its claims will fail until it is installed",
                            origin, key, drv, drv, release, dir ?: LIB_MODULES "/", release);
        else if (r < 0)
                log_warning_errno(r, "%s: %s %s: cannot tell whether the running kernel has module %s: %m", origin,
                                  key, drv, drv);
}

static int push_error(struct config *c, char *m) {
        if (!m || strv_push(&c->errors, m) < 0) {
                log_error("out of memory");
                return -ENOMEM;
        }
        return -EINVAL;
}

/* Provenance of a device apply would fail at: the file and line that
 * asked for it (a drop-in overriding the main file is where to look). ""
 * when no key names it (a group companion). */
static const char *account_origin(const struct config *c, const struct account *a, char *buf, size_t n) {
        char sel[SELECTOR_MAX], section[SELECTOR_MAX + 8];
        struct pci_addr addr;
        struct pci_dev d;
        const char *why;

        *buf = 0;
        if (a->rule) {
                snprintf(section, sizeof(section), "sriov %s", selector_format(&a->rule->sel, sel, sizeof(sel)));
                const char *o = config_origin(c, section, "num_vfs") ?: a->rule->origin;
                if (!a->message || !strstr(a->message, a->rule->origin)) /* not said already */
                        snprintf(buf, n, " ([%s] num_vfs set by %s)", section, o);
                return buf;
        }
        if (pci_addr_parse(a->name, &addr, &why) < 0)
                return buf;
        for (size_t k = 0; k < c->n_vfio_devices && !*buf; k++)
                if (pci_addr_eq(&c->vfio_devices[k].addr, &addr))
                        snprintf(buf, n, " (listed in [vfio] devices at %s)", c->vfio_devices[k].origin);
        for (size_t k = 0; k < c->n_vfio_ids && !*buf && device_read(a->name, &d, &why) == 0; k++)
                if (pci_id_eq(&c->vfio_ids[k].id, &d.id))
                        snprintf(buf, n, " (listed in [vfio] ids at %s)", c->vfio_ids[k].origin);
        return buf;
}

/* A rule that gives its VFs MACs (vf_mac_base, mac) and selects more than
 * one PF here (by ID, driver=...): the VFs of each would get the same MACs,
 * the duplicate vfpt.conf(5) forbids. -EINVAL with the errors added. */
static int check_shared_macs(const struct engine *e, struct config *c) {
        int r = 0;
        for (size_t i = 0; i < c->n_sriov; i++) {
                const struct sriov_rule *rule = &c->sriov[i];
                const char *first = NULL, *second = NULL;
                char sel[SELECTOR_MAX];
                bool macs = rule->has_mac_base;
                for (size_t k = 0; k < rule->n_vfs; k++)
                        macs = macs || (rule->vfs[k].s.set & VF_SET_MAC);
                if (!macs || selector_is_one(&rule->sel))
                        continue;
                for (size_t k = 0; k < e->n_acc && !second; k++) {
                        const struct account *a = e->acc[k];
                        if (a->role != ROLE_PF || a->rule != rule || !a->present)
                                continue;
                        if (!first)
                                first = a->name;
                        else
                                second = a->name;
                }
                if (second)
                        r = push_error(c, strdupf("%s: [sriov %s] gives its VFs MACs and selects %s and %s here: their "
                                                  "VFs would share them; select each PF by address",
                                                  rule->origin, selector_format(&rule->sel, sel, sizeof(sel)), first,
                                                  second));
                if (r == -ENOMEM)
                        return r;
        }
        return r;
}

/* An [sriov] rule by ID or driver= that selects devices here, none of them
 * with SR-IOV: apply sets num_vfs nowhere and says nothing (by address it
 * is an error, "has no SR-IOV capability"). A warning: the rule may be
 * meant for other hosts of a fleet. */
static void warn_rules_without_sriov(const struct engine *e, const struct config *c) {
        _cleanup_strv_free_ char **names = NULL;
        char sel[SELECTOR_MAX];

        if (device_enumerate(&names) < 0)
                return;
        for (size_t i = 0; i < c->n_sriov; i++) {
                const struct sriov_rule *rule = &c->sriov[i];
                const char *first = NULL;
                bool pf = false;
                if (selector_is_one(&rule->sel) || rule->vf_only)
                        continue;
                for (char **n = names; n && *n && !pf; n++) {
                        struct pci_dev d;
                        const char *bad;
                        if (device_read(*n, &d, &bad) < 0 || d.is_vf || sriov_rule_for(c, e->ports, &d) != rule)
                                continue;
                        pf = d.has_sriov;
                        first = first ?: *n;
                }
                if (first && !pf)
                        log_warning("%s: [sriov %s] selects %s here, which has no SR-IOV capability (no "
                                    "sriov_totalvfs), and no SR-IOV PF: num_vfs = %u is set nowhere",
                                    rule->origin, selector_format(&rule->sel, sel, sizeof(sel)), first,
                                    rule->num_vfs);
        }
}

/* [vfio] owner and group by name: unknown to this host, every /dev/vfio
 * node apply sets fails ("unknown [vfio] owner") */
static int check_accounts(struct config *c) {
        int r = 0;
        unsigned id;
        if (c->vfio_owner && parse_decimal(c->vfio_owner, &id) < 0 && !getpwnam(c->vfio_owner))
                r = push_error(c, strdupf("%s: [vfio] owner: no user '%s' on this host",
                                          config_origin(c, "vfio", "owner") ?: "[vfio]", c->vfio_owner));
        if (r != -ENOMEM && c->vfio_group && parse_decimal(c->vfio_group, &id) < 0 && !getgrnam(c->vfio_group))
                r = push_error(c, strdupf("%s: [vfio] group: no group '%s' on this host",
                                          config_origin(c, "vfio", "group") ?: "[vfio]", c->vfio_group));
        return r;
}

int cmd_check_config(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        _cleanup_(coexist_done) struct coexist co = {};
        int r;

        r = parse_command_options(ctx, argc, argv,
                                  "vfpt check-config\n"
                                  "Validate /etc/vfpt.conf and its drop-ins (or --config FILE and FILE.d/);\n"
                                  "print a summary (with the file and line that set each key), or with\n"
                                  "--json a document. Every mistake is reported as FILE:LINE: message; on a\n"
                                  "running host every device apply would fail at too (ADDR: why); exit 2\n"
                                  "if there is any.\n",
                                  NULL, NULL, NULL);
        if (r < 0)
                return r == -1 ? EXIT_OK : EXIT_USAGE;
        if (r < argc) {
                log_error("check-config: unexpected argument '%s'", argv[r]);
                return EXIT_USAGE;
        }

        r = config_load(ctx->config_path, &c);
        if (r == -ENOMEM) {
                log_error("out of memory");
                return EXIT_USAGE;
        }
        /* on a running host (kickstart %post, Ansible): the guards, before
         * the reboot that would hand the host's own disk or NIC to vfio */
        struct stat st;
        if (r >= 0 && stat(SYSFS_PCI_DEVICES, &st) == 0) {
                struct engine e;
                engine_init(&e, c, ENGINE_PLAN);
                if (engine_all(&e) >= 0) {
                        for (size_t i = 0; i < e.n_acc; i++) {
                                const struct account *a = e.acc[i];
                                /* what apply would fail at (a guard refusing a device
                                 * listed by address, num_vfs above sriov_totalvfs, a PF
                                 * without SR-IOV, a bridge, VF settings without a
                                 * netdev...) is a mistake in the config for this host */
                                if (a->failed) {
                                        char from[2 * PATH_MAX];
                                        char *m = strdupf("%s: %s%s", a->name, a->message ?: "apply would fail",
                                                          account_origin(c, a, from, sizeof(from)));
                                        if (!m || strv_push(&c->errors, m) < 0) {
                                                log_error("out of memory");
                                                r = -ENOMEM;
                                        } else if (r >= 0)
                                                r = -EINVAL;
                                } else if (a->refused || a->deferred)
                                        log_warning("%s: %s", a->name, a->message);
                        }
                        /* a device listed in [vfio] that an [sriov] rule selects
                         * otherwise (by ID, driver=, port) is among the failed
                         * accounts above: the engine fails it on every path */
                        warn_rules_without_sriov(&e, c);
                        int k = check_shared_macs(&e, c);
                        if (k < 0 && r != -ENOMEM)
                                r = k;
                        (void) gpu_framebuffer_warn(&e); /* issue 27 */
                        k = gpu_release_check(c);
                        if (k != 0 && r != -ENOMEM)
                                r = k < 0 ? k : -EINVAL;
                }
                coexistence_warn(&e, &co);
                command_teardown(&e);
        }
        if (r != -ENOMEM && c) {
                int k = check_accounts(c);
                if (k < 0 && r != -ENOMEM)
                        r = k;
        }
        if (r >= 0) {
                for (size_t i = 0; i < c->n_sriov; i++)
                        if (c->sriov[i].vf_driver == VF_DRIVER_VFIO)
                                check_driver(c->sriov[i].vf_driver_origin, "vf_driver", c->sriov[i].vf_claim);
                check_driver(c->vfio_driver_origin, "[vfio] driver", c->vfio_driver);
                command_teardown(NULL);
        }
        /* a drop-in that is not a regular file: the other commands skip it
         * (the boot goes on without it); here it is a mistake to fix */
        for (char **s = c ? c->skipped : NULL; s && *s && r != -ENOMEM; s++) {
                int k = push_error(c, strdupf("%s; refusing to read it (apply and the boot skip it)", *s));
                if (k < 0)
                        r = k;
        }
        for (char **e = c->errors; e && *e; e++)
                log_error("%s", *e);
        if (ctx->json)
                print_json(c, (const char *const *) c->errors, &co);
        else if (r >= 0)
                print_human(c);
        return r < 0 ? EXIT_USAGE : EXIT_OK;
}
