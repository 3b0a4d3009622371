/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A device's reset methods and what a bus reset takes with it (reset.h). */
#include <stdio.h>

#include "config.h"
#include "device.h"
#include "iommu-predict.h"
#include "paths.h"
#include "reset.h"

void reset_info_done(struct reset_info *r) {
        strv_free(r->methods);
        strv_free(r->bus_also);
        *r = (struct reset_info) {};
}

/* the other devices on name's bus, below the same bridge: a secondary bus
 * reset (vfio-pci's hot reset) resets them all */
static int bus_neighbours(const struct config *c, const char *name, struct reset_info *r) {
        _cleanup_strv_free_ char **names = NULL;
        int k = device_enumerate(&names);
        if (k < 0)
                return k;
        for (char **n = names; *n; n++) {
                char up[PCI_ADDR_MAX];
                struct pci_dev d;
                const char *bad;
                if (streq(*n, name) || iommu_upstream_bridge(*n, up) < 0 || !streq(up, r->bridge) ||
                    device_read(*n, &d, &bad) < 0)
                        continue;
                if (driver_is_passthrough(d.driver) || !*d.driver ||
                    (c && (config_vfio_wants(c, &d.addr, &d.id) || config_forced(c, &d.addr))))
                        continue; /* not the host's */
                k = strv_push(&r->bus_also, strdupf("%s (%s)", d.name, d.driver));
                if (k < 0)
                        return k;
        }
        return 0;
}

int reset_read(const struct config *c, const char *name, struct reset_info *ret) {
        _cleanup_free_ char *p = strdupf(SYSFS_PCI_DEVICES "/%s/reset_method", name), *text = NULL;
        _cleanup_free_ char *rp = strdupf(SYSFS_PCI_DEVICES "/%s/reset", name);
        struct reset_info r = {};
        int k;

        *ret = r;
        if (!p || !rp)
                return -ENOMEM;
        k = read_file(p, 4096, &text, NULL);
        if (k >= 0) {
                r.known = true;
                k = strv_split_ws(text, &r.methods);
                if (k < 0)
                        return k;
                for (char **m = r.methods; m && *m; m++)
                        r.flr = r.flr || streq(*m, "flr") || streq(*m, "af_flr");
        } else if (k == -ENOENT)
                /* 5.15+ hides reset_method when there is none; before 5.15
                 * there is no reset_method, but reset exists when it can */
                r.none = access(rp, F_OK) < 0 && errno == ENOENT;
        else
                return k;
        k = iommu_upstream_bridge(name, r.bridge);
        if (k >= 0 && *r.bridge)
                k = bus_neighbours(c, name, &r);
        if (k < 0) {
                reset_info_done(&r);
                return k;
        }
        *ret = r;
        return 0;
}

char *reset_warning(const struct reset_info *r) {
        _cleanup_free_ char *also = r->bus_also ? strv_join(r->bus_also, ", ") : NULL;
        if (r->flr)
                return NULL;
        if (r->bus_also && !also)
                return NULL;
        if (r->none)
                return strdupf("no reset method at all: a guest that uses it cannot be restarted cleanly%s%s",
                               also ? "; and a bus reset would also reset " : "", also ? also : "");
        if (!r->known)
                return also ? strdupf("its reset methods cannot be read (reset_method: kernel 5.15+); a bus reset of "
                                      "%s would also reset %s, which the host uses", r->bridge, also)
                            : NULL;
        _cleanup_free_ char *m = strv_join(r->methods, " ");
        if (!m)
                return NULL;
        if (also)
                return strdupf("no function-level reset (reset_method: %s): vfio-pci falls back to a bus reset of %s, "
                               "which also resets %s, which the host uses", *m ? m : "none", r->bridge, also);
        return strdupf("no function-level reset (reset_method: %s)%s", *m ? m : "none",
                       strv_contains(r->methods, "bus") || strv_contains(r->methods, "device_specific")
                               ? ""
                               : ": a guest that uses it may not restart cleanly");
}
