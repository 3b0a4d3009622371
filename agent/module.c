/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/utsname.h>

#include <libkmod.h>

#include "module.h"
#include "paths.h"
#include "util.h"

static struct kmod_ctx *kctx;

static int ctx(void) {
        if (kctx)
                return 0;
        _cleanup_free_ char *dir = NULL;
        if (getenv("VFPT_ROOT")) {
                /* a sysroot: its modules, never the running kernel's */
                struct utsname u;
                if (uname(&u) < 0)
                        return -errno;
                dir = path_rooted("/lib/modules/");
                if (!dir)
                        return -ENOMEM;
                char *d = strdupf("%s%s", dir, u.release);
                free(dir);
                dir = d;
                if (!dir)
                        return -ENOMEM;
        }
        kctx = kmod_new(dir, NULL);
        return kctx ? 0 : -ENOENT;
}

void module_done(void) {
        if (kctx)
                kmod_unref(kctx);
        kctx = NULL;
}

int module_load(const char *name) {
        struct kmod_list *list = NULL, *i;
        int r;

        r = ctx();
        if (r < 0)
                return r;
        r = kmod_module_new_from_lookup(kctx, name, &list);
        if (r < 0)
                return r;
        if (!list)
                return -ENOENT;
        r = 1;
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);
                int state = kmod_module_get_initstate(m);
                if (state != KMOD_MODULE_BUILTIN && state != KMOD_MODULE_LIVE) {
                        int k = kmod_module_probe_insert_module(m, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
                        if (k > 0)
                                k = -EPERM; /* blacklisted */
                        if (k == -EEXIST)
                                k = 1;
                        if (r > 0 || k < 0)
                                r = k;
                }
                kmod_module_unref(m);
        }
        kmod_module_unref_list(list);
        return r;
}

int module_host_driver_for(const char *modalias, char *buf, size_t n) {
        struct kmod_list *list = NULL, *i;
        int r, found = 0;

        r = ctx();
        if (r < 0)
                return r;
        r = kmod_module_new_from_lookup(kctx, modalias, &list);
        if (r < 0)
                return r;
        kmod_list_foreach(i, list) {
                struct kmod_module *m = kmod_module_get_module(i);
                const char *name = kmod_module_get_name(m);
                if (!found && name && !streq(name, "vfio_pci") && !streq(name, "pci_stub")) {
                        snprintf(buf, n, "%s", name);
                        found = 1;
                }
                kmod_module_unref(m);
        }
        kmod_module_unref_list(list);
        return found;
}
