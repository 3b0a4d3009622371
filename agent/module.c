/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/utsname.h>

#include <dlfcn.h>
#include <libkmod.h>

#include "config.h"
#include "module.h"
#include "paths.h"
#include "util.h"

/* libkmod is opened when a module is to be loaded or looked up, not at
 * exec: linked, it brings libcrypto, liblzma and libzstd into every run
 * udev forks for a PCI event, and that costs more than the exec of
 * /bin/true itself (see README, Benchmarks). systemd loads it the same way. */
static void *kmod_dl;
static struct {
        struct kmod_ctx *(*new_)(const char *, const char *const *);
        struct kmod_ctx *(*unref)(struct kmod_ctx *);
        int (*new_from_lookup)(struct kmod_ctx *, const char *, struct kmod_list **);
        struct kmod_module *(*get_module)(const struct kmod_list *);
        struct kmod_list *(*list_next)(const struct kmod_list *, const struct kmod_list *);
        int (*get_initstate)(const struct kmod_module *);
        int (*probe_insert)(struct kmod_module *, unsigned, const char *,
                            int (*)(struct kmod_module *, const char *, const char *), const void *,
                            void (*)(struct kmod_module *, bool, void *));
        const char *(*get_name)(const struct kmod_module *);
        struct kmod_module *(*module_unref)(struct kmod_module *);
        int (*unref_list)(struct kmod_list *);
        int (*apply_filter)(const struct kmod_ctx *, enum kmod_filter, const struct kmod_list *, struct kmod_list **);
} kmod;

#define SYM(field, name)                                                        \
        do {                                                                    \
                *(void **) &kmod.field = dlsym(kmod_dl, name);                     \
                if (!kmod.field)                                                   \
                        goto fail;                                              \
        } while (0)

static int kmod_open(void) {
        if (kmod_dl)
                return 0;
        kmod_dl = dlopen("libkmod.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!kmod_dl)
                return -ENOPKG;
        SYM(new_, "kmod_new");
        SYM(unref, "kmod_unref");
        SYM(new_from_lookup, "kmod_module_new_from_lookup");
        SYM(get_module, "kmod_module_get_module");
        SYM(list_next, "kmod_list_next");
        SYM(get_initstate, "kmod_module_get_initstate");
        SYM(probe_insert, "kmod_module_probe_insert_module");
        SYM(get_name, "kmod_module_get_name");
        SYM(module_unref, "kmod_module_unref");
        SYM(unref_list, "kmod_module_unref_list");
        SYM(apply_filter, "kmod_module_apply_filter");
        return 0;
fail:
        dlclose(kmod_dl);
        kmod_dl = NULL;
        return -ENOPKG;
}

#define for_each_kmod(i, list) for ((i) = (list); (i); (i) = kmod.list_next((list), (i)))

static struct kmod_ctx *kctx;

static int ctx(void) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **conf = NULL;
        int r;

        if (kctx)
                return 0;
        r = kmod_open();
        if (r < 0)
                return r;
        if (*path_root()) {
                /* a sysroot: its modules and its modprobe.d, never the running system's */
                struct utsname u;
                if (uname(&u) < 0)
                        return -errno;
                if (!(dir = strdupf("%s" LIB_MODULES "/%s", path_root(), u.release)))
                        return -ENOMEM;
                for (const char *const *d = path_modprobe_dirs(); *d; d++)
                        if (strv_push(&conf, path_rooted(*d)) < 0)
                                return -ENOMEM;
        }
        kctx = kmod.new_(dir, (const char *const *) conf);
        return kctx ? 0 : -ENOENT;
}

void module_done(void) {
        if (kctx)
                kmod.unref(kctx);
        kctx = NULL;
        if (kmod_dl)
                dlclose(kmod_dl);
        kmod_dl = NULL;
}

int module_load(const char *name) {
        struct kmod_list *list = NULL, *i;
        int r;

        r = ctx();
        if (r < 0)
                return r;
        r = kmod.new_from_lookup(kctx, name, &list);
        if (r < 0)
                return r;
        if (!list)
                return -ENOENT;
        r = 1;
        for_each_kmod(i, list) {
                struct kmod_module *m = kmod.get_module(i);
                int state = kmod.get_initstate(m);
                if (state != KMOD_MODULE_BUILTIN && state != KMOD_MODULE_LIVE) {
                        int k = kmod.probe_insert(m, KMOD_PROBE_APPLY_BLACKLIST, NULL, NULL, NULL, NULL);
                        if (k > 0)
                                k = -EPERM; /* blacklisted */
                        if (k == -EEXIST)
                                k = 1;
                        if (r > 0 || k < 0)
                                r = k;
                }
                kmod.module_unref(m);
        }
        kmod.unref_list(list);
        return r;
}

int module_exists(const char *name, char *release_buf, size_t n) {
        struct kmod_list *list = NULL;
        struct utsname u;
        int r;

        if (uname(&u) < 0)
                return -errno;
        snprintf(release_buf, n, "%s", u.release);
        r = ctx();
        if (r < 0)
                return r;
        r = kmod.new_from_lookup(kctx, name, &list);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        r = list != NULL;
        kmod.unref_list(list);
        return r;
}

int module_host_driver_for(const char *modalias, char *buf, size_t n) {
        struct kmod_list *list = NULL, *allowed = NULL, *i;
        int r, found = 0;

        r = ctx();
        if (r < 0)
                return r;
        r = kmod.new_from_lookup(kctx, modalias, &list);
        if (r < 0)
                return r;
        /* as udev's kmod builtin loads them: a module blacklisted in
         * modprobe.d is not loaded for an alias, so it will not bind (a
         * built-in one binds all the same) */
        r = kmod.apply_filter(kctx, KMOD_FILTER_BLACKLIST, list, &allowed);
        if (r < 0)
                goto out;
        for_each_kmod(i, list) {
                struct kmod_module *m = kmod.get_module(i);
                const char *name = kmod.get_name(m);
                bool binds = kmod.get_initstate(m) == KMOD_MODULE_BUILTIN;
                for (struct kmod_list *k = allowed; !binds && k; k = kmod.list_next(allowed, k)) {
                        struct kmod_module *a = kmod.get_module(k);
                        binds = a == m;
                        kmod.module_unref(a);
                }
                if (!found && binds && name && !streq(name, "vfio_pci") && !streq(name, "pci_stub") &&
                    !driver_is_passthrough(name)) {
                        if ((size_t) snprintf(buf, n, "%s", name) >= n)
                                r = -ENAMETOOLONG;
                        found = 1;
                }
                kmod.module_unref(m);
        }
out:
        kmod.unref_list(allowed);
        kmod.unref_list(list);
        return r < 0 ? r : found;
}
