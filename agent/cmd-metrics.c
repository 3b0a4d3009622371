/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt metrics: status's evaluation (cmd-status.h) in the Prometheus text
 * exposition format, for node_exporter's textfile collector. */
#include <stdio.h>
#include <time.h>

#include "commands.h"
#include "cmd-status.h"
#include "config.h"
#include "device.h"
#include "fileio.h"
#include "lastapply.h"
#include "log.h"
#include "util.h"

#ifndef VFPT_VERSION
#define VFPT_VERSION "0.0.0"
#endif

/* a label value: backslash, double quote and line feed escaped; a byte
 * that is not UTF-8 as U+FFFD (the format is UTF-8) */
static void label_value(FILE *f, const char *s) {
        size_t left = strlen(s);
        while (left > 0) {
                size_t k = utf8_char_len(s, left);
                if (k == 0) {
                        fputs("\xef\xbf\xbd", f);
                        k = 1;
                } else if (*s == '\\')
                        fputs("\\\\", f);
                else if (*s == '"')
                        fputs("\\\"", f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fwrite(s, 1, k, f);
                s += k;
                left -= k;
        }
}

/* "# HELP" and "# TYPE" lines: every family is written in one piece */
static void family(FILE *f, const char *name, const char *type, const char *help) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k1="v1",k2="v2"} value; labels: NULL-terminated pairs */
static void sample(FILE *f, const char *name, const char *const *labels, long long value) {
        fputs(name, f);
        for (size_t i = 0; labels && labels[i]; i += 2) {
                fprintf(f, "%s%s=\"", i == 0 ? "{" : ",", labels[i]);
                label_value(f, labels[i + 1] ?: "");
                fputc('"', f);
        }
        fprintf(f, "%s %lld\n", labels && labels[0] ? "}" : "", value);
}

static void gauge(FILE *f, const char *name, const char *help, long long value) {
        family(f, name, "gauge", help);
        sample(f, name, NULL, value);
}

/* the driver the config wants on the device: a passthrough driver's name,
 * or "host" for the host's own (a PF; VFs left to the host) */
static const char *wanted_driver(struct status_view *v, const struct account *a) {
        struct pci_dev d = {};
        const char *bad;
        if (a->role == ROLE_PF)
                return "host";
        if (device_read(a->name, &d, &bad) < 0 && pci_addr_parse(a->name, &d.addr, &bad) < 0)
                return "";
        if (a->role == ROLE_VFIO)
                return config_claim_driver(v->e.cfg, &d.addr, &d.id, NULL);
        const struct account *pf = *d.physfn ? engine_account(&v->e, d.physfn) : NULL;
        const struct sriov_rule *rule = pf ? pf->rule : NULL;
        if (config_vfio_wants(v->e.cfg, &d.addr, &d.id) || (rule && rule->vf_driver == VF_DRIVER_VFIO))
                return config_claim_driver(v->e.cfg, &d.addr, &d.id, rule);
        return "host";
}

static bool driver_matches(const char *driver, const char *wanted) {
        if (streq(wanted, "host"))
                return *driver && !driver_is_passthrough(driver);
        return streq(driver, wanted);
}

/* status's verdict on the device, one of device_states */
static const char *const device_states[] = { "ok", "drift", "failed", "refused", "deferred", "protected", "absent" };
static const char *device_state(const struct account *a) {
        return !a->present             ? "absent"
               : a->failed && a->refused ? "refused"
               : a->failed             ? "failed"
               : a->deferred           ? "deferred"
               : a->refused            ? "protected"
               : a->changed            ? "drift"
                                       : "ok";
}

#define DEV(a) "device", (a)->name, "role", role_to_string((a)->role)

static void write_devices(FILE *f, struct status_view *v) {
        const struct engine *e = &v->e;

        family(f, "vfpt_device_state", "gauge",
               "Each configured device against the config, as vfpt status says it: 1 for its state.");
        for (size_t i = 0; i < e->n_acc; i++)
                for (size_t s = 0; s < ELEMENTSOF(device_states); s++)
                        sample(f, "vfpt_device_state",
                               (const char *const[]) { DEV(e->acc[i]), "state", device_states[s], NULL },
                               streq(device_state(e->acc[i]), device_states[s]));

        family(f, "vfpt_device_driver_info", "gauge",
               "The driver bound to each configured device now and the one the config wants (host: the host's own).");
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                sample(f, "vfpt_device_driver_info",
                       (const char *const[]) { DEV(a), "driver", a->driver, "override", a->override, "wanted",
                                               wanted_driver(v, a), NULL },
                       1);
        }
        family(f, "vfpt_device_driver_as_wanted", "gauge",
               "1 when the device is bound to the driver the config wants, else 0.");
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                sample(f, "vfpt_device_driver_as_wanted", (const char *const[]) { DEV(a), NULL },
                       a->present && driver_matches(a->driver, wanted_driver(v, a)));
        }
        family(f, "vfpt_device_iommu_group_viable", "gauge",
               "1 when every device of the IOMMU group can go to VFIO together, 0 when not (unknown: no sample).");
        for (size_t i = 0; i < e->n_acc; i++)
                if (e->acc[i]->viable >= 0)
                        sample(f, "vfpt_device_iommu_group_viable", (const char *const[]) { DEV(e->acc[i]), NULL },
                               e->acc[i]->viable);

        family(f, "vfpt_sriov_numvfs", "gauge", "The VFs an SR-IOV PF has now (sriov_numvfs).");
        for (size_t i = 0; i < e->n_acc; i++)
                if (e->acc[i]->role == ROLE_PF && e->acc[i]->present)
                        sample(f, "vfpt_sriov_numvfs", (const char *const[]) { "device", e->acc[i]->name, NULL },
                               e->acc[i]->numvfs);
        family(f, "vfpt_sriov_numvfs_wanted", "gauge", "The VFs the config wants on an SR-IOV PF (num_vfs).");
        for (size_t i = 0; i < e->n_acc; i++)
                if (e->acc[i]->role == ROLE_PF)
                        sample(f, "vfpt_sriov_numvfs_wanted", (const char *const[]) { "device", e->acc[i]->name, NULL },
                               e->acc[i]->want_vfs);

        family(f, "vfpt_vf_settings_drift", "gauge",
               "The configured VF settings (mac, vlan, spoofchk, ...) of a PF's VFs that differ from the config.");
        for (size_t i = 0; i < e->n_acc; i++)
                if (e->acc[i]->n_vfs)
                        sample(f, "vfpt_vf_settings_drift", (const char *const[]) { "device", e->acc[i]->name, NULL },
                               e->acc[i]->vf_drift);
        family(f, "vfpt_vf_setting_drift", "gauge",
               "1 when one configured setting of one VF differs from the config, else 0.");
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                for (size_t k = 0; k < a->n_vfs; k++) {
                        const struct vf_net *n = &a->vfs[k];
                        char vf[16];
                        snprintf(vf, sizeof(vf), "%u", n->vf);
                        for (unsigned bit = 1; bit & VF_SET_ALL; bit <<= 1)
                                if (n->want.set & bit && vf_setting_key(bit))
                                        sample(f, "vfpt_vf_setting_drift",
                                               (const char *const[]) { "device", a->name, "netdev", a->netdev, "vf", vf,
                                                                       "setting", vf_setting_key(bit), NULL },
                                               !!(n->drift & bit));
                }
        }
}

static void write_last_apply(FILE *f) {
        struct last_apply a;
        bool have = last_apply_read(&a) >= 0;
        gauge(f, "vfpt_last_apply_recorded", "1 when a vfpt apply ran on this boot (recorded in /run/vfpt/last-apply).",
              have);
        if (!have)
                return;
        family(f, "vfpt_last_apply_timestamp_seconds", "gauge",
               "When the last vfpt apply of this boot ended; mode: early (initramfs), late (vfpt-late.service), default.");
        sample(f, "vfpt_last_apply_timestamp_seconds", (const char *const[]) { "mode", a.mode, NULL }, a.time);
        gauge(f, "vfpt_last_apply_exit_code", "The exit status of the last vfpt apply (0 done, 3 incomplete).",
              a.exit_code);
        gauge(f, "vfpt_last_apply_success", "1 when the last vfpt apply did everything, else 0.", a.exit_code == 0);
        gauge(f, "vfpt_last_apply_changes", "The writes and module loads the last vfpt apply made.", a.changes);
        gauge(f, "vfpt_last_apply_failures", "The devices the last vfpt apply could not bring to the config.",
              a.failures);
}

/* the whole document; v NULL: the config or the host could not be read */
static void write_metrics(FILE *f, struct status_view *v, bool config_valid) {
        family(f, "vfpt_info", "gauge", "vfpt's version.");
        sample(f, "vfpt_info", (const char *const[]) { "version", VFPT_VERSION, NULL }, 1);
        gauge(f, "vfpt_config_valid", "1 when the config loads without errors (vfpt check-config), else 0.",
              config_valid);
        gauge(f, "vfpt_up", "1 when vfpt could judge the host against the config, else 0.", v != NULL);
        write_last_apply(f);
        if (!v)
                return;
        gauge(f, "vfpt_drift", "1 when the host does not match the config (vfpt status exits 1), else 0.", v->drift);
        gauge(f, "vfpt_disabled", "1 when vfpt=off or rd.vfpt=0 was on this boot's kernel command line, else 0.",
              *v->bv.disabled != 0);
        family(f, "vfpt_kernel_arg_in_effect", "gauge",
               "1 when a kernel argument of kernel_args is in force on this boot (command line or kernel config), else 0.");
        for (size_t i = 0; v->want[i]; i++)
                sample(f, "vfpt_kernel_arg_in_effect", (const char *const[]) { "arg", v->want[i], NULL },
                       status_arg_in_effect(v, i));
        gauge(f, "vfpt_iommu_active", "1 when the IOMMU is active on this boot, else 0.", v->iommu);
        family(f, "vfpt_initramfs_stale", "gauge",
               "1 when the running kernel's initramfs must be rebuilt (another config, protected set or ports), else 0.");
        sample(f, "vfpt_initramfs_stale", (const char *const[]) { "kernel", v->bv.kver, NULL },
               v->bv.rebuild || v->bv.stale);
        family(f, "vfpt_initramfs_recorded", "gauge",
               "1 when the running kernel's initramfs was built with vfpt's hook, else 0.");
        sample(f, "vfpt_initramfs_recorded", (const char *const[]) { "kernel", v->bv.kver, NULL }, v->bv.recorded);
        gauge(f, "vfpt_reboot_required", "1 when a reboot is needed for the config to take effect, else 0.",
              v->bv.reboot || v->nb.reboot);
        write_devices(f, v);
}

struct metrics_options {
        const char *output;
};

static int on_metrics_option(void *userdata, int c, const char *arg) {
        struct metrics_options *o = userdata;
        if (c != 'o')
                return -1;
        o->output = arg;
        return 0;
}

int cmd_metrics(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        _cleanup_free_ char *text = NULL;
        struct metrics_options o = {};
        struct status_view v;
        size_t len = 0;
        int r, exit_code = EXIT_OK;

        static const struct extra_option extra[] = { { "output", 1, 'o' }, {} };
        r = parse_command_options(ctx, argc, argv,
                                  "vfpt metrics [--output FILE]\n"
                                  "What vfpt status judges, in the Prometheus text format for node_exporter's\n"
                                  "textfile collector: each configured device's state, driver and VFs, kernel\n"
                                  "arguments, IOMMU, initramfs, reboot required, the last apply. Exit 0 also\n"
                                  "when the host drifts (vfpt_drift says it); 2 when the config or the host\n"
                                  "cannot be read (the file then says vfpt_up 0).\n"
                                  "  --output FILE   replace FILE atomically (mode 0644) instead of writing stdout\n",
                                  extra, on_metrics_option, &o);
        if (r == -1)
                return EXIT_OK;
        if (r < 0)
                return EXIT_USAGE;
        if (r < argc) {
                log_error("metrics: unexpected argument '%s'", argv[r]);
                return EXIT_USAGE;
        }
        if (ctx->json) {
                log_error("metrics: --json does not apply: the output is Prometheus' text format");
                return EXIT_USAGE;
        }
        if (o.output && !*o.output) {
                log_error("metrics: --output needs a file name");
                return EXIT_USAGE;
        }

        bool evaluated = false, valid = false;
        r = load_config_or_report(ctx, &c);
        if (r == 0) {
                valid = true;
                r = status_evaluate(c, &v);
                evaluated = r == 0;
        }
        if (r != 0)
                exit_code = r;

        FILE *f = open_memstream(&text, &len);
        if (!f) {
                log_error("out of memory");
                if (evaluated)
                        status_view_done(&v);
                return EXIT_USAGE;
        }
        write_metrics(f, evaluated ? &v : NULL, valid);
        if (evaluated)
                status_view_done(&v);
        if (fclose(f) != 0 || !text) {
                log_error("out of memory");
                return EXIT_USAGE;
        }
        if (!o.output) {
                fwrite(text, 1, len, stdout);
                return exit_code;
        }
        r = atomic_write(o.output, text, len, 0644);
        if (r < 0) {
                log_error_errno(r, "%s: cannot write: %m", o.output);
                return EXIT_USAGE;
        }
        return exit_code;
}
