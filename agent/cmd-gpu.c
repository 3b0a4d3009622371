/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GPU hosts (issue 27): reset methods and boot framebuffers of the devices
 * the config claims, as vfpt groups and status show them (gpu.h). */
#include <stdio.h>

#include "config.h"
#include "device.h"
#include "engine.h"
#include "framebuffer.h"
#include "gpu.h"
#include "json.h"
#include "log.h"
#include "module.h"
#include "paths.h"
#include "reset.h"
#include "uki.h"

unsigned gpu_print_device(const struct config *c, const char *name, const char *prefix) {
        struct reset_info ri;
        struct fb_hold *h = NULL;
        size_t n = 0;
        unsigned warnings = 0;
        int r = reset_read(c, name, &ri);

        if (r < 0)
                printf("%s%s: reset: cannot read its reset methods: %s\n", prefix, name, strerror(-r));
        else {
                _cleanup_free_ char *m = ri.methods ? strv_join(ri.methods, " ") : NULL;
                _cleanup_free_ char *w = reset_warning(&ri);
                if (w) {
                        printf("%s%s: reset: WARNING: %s\n", prefix, name, w);
                        warnings++;
                } else if (ri.known)
                        printf("%s%s: reset: %s\n", prefix, name, m ? m : "");
                else
                        printf("%s%s: reset: cannot tell (no reset_method: kernel before 5.15)\n", prefix, name);
                reset_info_done(&ri);
        }
        r = framebuffer_holders(name, &h, &n);
        if (r < 0 && r != -ENOENT)
                printf("%s%s: boot framebuffer: cannot tell (%s, %s: %s)\n", prefix, name, "/proc/iomem", "resource",
                       strerror(-r));
        for (size_t i = 0; i < n; i++, warnings++)
                printf("%s%s: boot framebuffer: %s holds BAR %d (%#llx-%#llx): vfio-pci cannot reserve it; "
                       "%s releases it at the next boot: %s\n",
                       prefix, name, h[i].holder, h[i].bar, h[i].start, h[i].end, h[i].arg, h[i].what);
        free(h);
        return warnings;
}

void gpu_json_device(struct json *j, const struct config *c, const char *name) {
        struct reset_info ri;
        struct fb_hold *h = NULL;
        size_t n = 0;
        int r = reset_read(c, name, &ri);

        json_object_begin(j, NULL);
        json_string(j, "device", name);
        json_object_begin(j, "reset");
        if (r >= 0) {
                _cleanup_free_ char *w = reset_warning(&ri);
                json_bool(j, "known", ri.known);
                json_array_begin(j, "methods");
                for (char **m = ri.methods; m && *m; m++)
                        json_string(j, NULL, *m);
                json_array_end(j);
                json_bool(j, "flr", ri.flr);
                json_string(j, "bus_reset_by", *ri.bridge ? ri.bridge : NULL);
                json_array_begin(j, "bus_reset_also");
                for (char **m = ri.bus_also; m && *m; m++)
                        json_string(j, NULL, *m);
                json_array_end(j);
                json_string(j, "warning", w);
                reset_info_done(&ri);
        } else
                json_string(j, "error", strerror(-r));
        json_object_end(j);
        r = framebuffer_holders(name, &h, &n);
        json_array_begin(j, "framebuffers");
        for (size_t i = 0; i < n; i++) {
                char range[64];
                json_object_begin(j, NULL);
                json_string(j, "holder", h[i].holder);
                json_int(j, "bar", h[i].bar);
                snprintf(range, sizeof(range), "%#llx-%#llx", h[i].start, h[i].end);
                json_string(j, "range", range);
                json_string(j, "release_arg", h[i].arg);
                json_string(j, "release_does", h[i].what);
                json_object_end(j);
        }
        json_array_end(j);
        json_string(j, "framebuffers_error", r < 0 && r != -ENOENT ? strerror(-r) : NULL);
        free(h);
        json_object_end(j);
}

static bool shown(const struct account *a) {
        return a->present && a->role == ROLE_VFIO;
}

static char *uki_line(void) {
        struct uki_state u;
        if (uki_detect(&u) < 0)
                return NULL;
        char *v = uki_verdict(&u);
        uki_state_done(&u);
        return v;
}

void gpu_status_print(const struct engine *e) {
        _cleanup_free_ char *uki = uki_line();
        if (uki)
                printf("boot: %s\n", uki);
        for (size_t i = 0; i < e->n_acc; i++)
                if (shown(e->acc[i]))
                        (void) gpu_print_device(e->cfg, e->acc[i]->name, "");
}

void gpu_status_json(struct json *j, const struct engine *e) {
        _cleanup_free_ char *uki = uki_line();
        json_string(j, "uki", uki);
        json_array_begin(j, "gpu");
        for (size_t i = 0; i < e->n_acc; i++)
                if (shown(e->acc[i]))
                        gpu_json_device(j, e->cfg, e->acc[i]->name);
        json_array_end(j);
}

static bool boot_vga(const char *name) {
        _cleanup_free_ char *p = strdupf(SYSFS_PCI_DEVICES "/%s/boot_vga", name), *v = NULL;
        return p && read_one_line(p, &v) >= 0 && streq(v, "1");
}

unsigned gpu_framebuffer_warn(const struct engine *e) {
        unsigned warnings = 0;
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                struct fb_hold *h = NULL;
                size_t n = 0;
                if (!shown(a) || a->refused || framebuffer_holders(a->name, &h, &n) < 0)
                        continue;
                bool console = n > 0 && boot_vga(a->name);
                for (size_t k = 0; k < n; k++, warnings++)
                        log_warning("%s: boot framebuffer %s holds BAR %d (%#llx-%#llx): vfio-pci cannot reserve it "
                                    "(\"BAR %d: can't reserve\"); %s releases it at the next boot (%s)%s",
                                    a->name, h[k].holder, h[k].bar, h[k].start, h[k].end, h[k].bar, h[k].arg,
                                    h[k].what,
                                    console ? "; it is the host's console GPU (boot_vga=1): the host has no "
                                              "console on it after that"
                                            : "");
                free(h);
        }
        return warnings;
}

int gpu_release_check(struct config *c) {
        _cleanup_strv_free_ char **names = NULL;
        if (!c->release_framebuffer || device_enumerate(&names) < 0)
                return 0;
        for (char **n = names; *n; n++) {
                struct pci_addr a;
                const char *why;
                if (!boot_vga(*n) || pci_addr_parse(*n, &a, &why) < 0 || config_forced(c, &a))
                        continue;
                int r = strv_push(&c->errors,
                                  strdupf("%s: release_framebuffer: %s is the host's console GPU (boot_vga=1) and not "
                                          "in [vfio] force: releasing its boot framebuffer leaves the host without "
                                          "its console; list it in [vfio] force if that is meant",
                                          c->release_framebuffer_origin, *n));
                return r < 0 ? r : 1;
        }
        return 0;
}

/* vendor-reset (github.com/gnif/vendor-reset) registers its device-specific
 * resets for AMD GPUs through a kernel hook: module vendor_reset */
static void vendor_reset_check(const char *name) {
        char release[128] = "";
        if (access(SYSFS_MODULE "/vendor_reset", F_OK) == 0) {
                log_notice("%s: reset_method device_specific: vendor-reset is loaded; it is an out-of-tree module "
                           "(it taints the kernel, and with Secure Boot it loads only when signed with a key the "
                           "kernel trusts)", name);
                return;
        }
        int k = module_exists("vendor_reset", release, sizeof(release));
        log_warning("%s: reset_method device_specific: the vendor-reset module (vendor_reset) is not loaded%s; "
                    "without it the kernel has no device-specific reset for most GPUs. It is an out-of-tree module: "
                    "it taints the kernel, and with Secure Boot on it loads only when signed with a key the kernel "
                    "trusts (a MOK)",
                    name, k > 0 ? " (installed: load it at boot, modules-load.d)" : k == 0 ? " and not installed for this kernel" : "");
}

unsigned gpu_reset_apply(const struct engine *e, bool write, bool print) {
        unsigned failed = 0;
        for (size_t i = 0; i < e->cfg->n_reset; i++) {
                const struct reset_setting *s = &e->cfg->reset[i];
                char name[PCI_ADDR_MAX];
                pci_addr_format(&s->addr, name);
                const struct account *a = engine_account((struct engine *) e, name);
                if (!a || !shown(a) || a->refused || a->failed)
                        continue; /* not claimed: the host's device keeps its methods */
                if (strstr(s->methods, "device_specific"))
                        vendor_reset_check(name);
                _cleanup_free_ char *p = strdupf(SYSFS_PCI_DEVICES "/%s/reset_method", name), *now = NULL;
                if (!p || read_one_line(p, &now) < 0) {
                        if (write) {
                                log_error("%s: cannot set reset_method = %s: no reset_method (kernel 5.15 or later, "
                                          "and a device with a reset method)", name, s->methods);
                                failed++;
                        } else if (print)
                                printf("%s: reset_method = %s cannot be written: no reset_method (kernel 5.15 or "
                                       "later)\n", name, s->methods);
                        continue;
                }
                if (streq(now, s->methods))
                        continue;
                if (!write) {
                        if (print)
                                printf("%s: would write reset_method = %s (now %s)\n", name, s->methods, now);
                        continue;
                }
                int r = device_write(name, "reset_method", s->methods);
                if (r < 0) {
                        log_error_errno(r, "%s: cannot set reset_method = %s (%s): %m", name, s->methods, s->origin);
                        failed++;
                } else
                        log_info("%s: reset_method = %s (was %s)", name, s->methods, now);
        }
        return failed;
}
