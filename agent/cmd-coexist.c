/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* check-config and status: other network managers that also manage a PF
 * the config manages (coexist.c), said one warning line each and kept for
 * --json. They change no exit status. */
#include <net/if.h>
#include <stdio.h>

#include "cmd-coexist.h"
#include "coexist.h"
#include "commands.h"
#include "device.h"
#include "engine.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "port.h"

struct pf_netdev {
        char ifname[IFNAMSIZ];
        char mac[64];
        char perm[MAC_MAX];
        char *link_file;
};

/* where the finding came from, as the warning says it */
static const char *found_how(const struct coexist_finding *f) {
        if (f->found == COEXIST_TOOL_SAID)
                return f->manager == COEXIST_UDEV ? " (the .link file udev applied: ID_NET_LINK_FILE)"
                                                  : " (the .network file networkd uses: NETWORK_FILE)";
        if (f->manager == COEXIST_UDEV)
                return " (matched as udev matches: the interface has no ID_NET_LINK_FILE yet)";
        if (f->manager == COEXIST_NETWORKD)
                return " (matched as networkd matches: networkd has no state of the interface)";
        return "";
}

void coexistence_warn(const struct engine *e, struct coexist *ret) {
        _cleanup_free_ struct coexist_pf *pfs = calloc(e->n_acc + 1, sizeof(*pfs));
        _cleanup_free_ struct pf_netdev *nd = calloc(e->n_acc + 1, sizeof(*nd));
        size_t n = 0;
        int r;

        *ret = (struct coexist) {};
        if (!pfs || !nd) {
                log_error("out of memory");
                return;
        }
        /* the PFs vfpt manages: the engine's PF accounts of present devices */
        for (size_t i = 0; i < e->n_acc; i++) {
                const struct account *a = e->acc[i];
                int ifindex = 0;
                if (a->role != ROLE_PF || !a->present)
                        continue;
                if (device_netdev(a->name, nd[n].ifname, sizeof(nd[n].ifname), &ifindex) >= 0) {
                        _cleanup_free_ char *p = strdupf(SYSFS_CLASS_NET "/%s/address", nd[n].ifname), *mac = NULL;
                        if (p && read_one_line(p, &mac) >= 0)
                                snprintf(nd[n].mac, sizeof(nd[n].mac), "%s", mac);
                        /* what udev applied; unreadable is as unknown: then vfpt matches */
                        (void) netdev_udev_property(nd[n].ifname, "ID_NET_LINK_FILE", &nd[n].link_file);
                }
                struct pf_port port = {};
                if (port_read(NULL, a->name, &port) == 0 && port.has_mac)
                        mac_format(port.mac, nd[n].perm);
                pf_port_done(&port);
                pfs[n] = (struct coexist_pf) { a->name,   nd[n].ifname, nd[n].mac,
                                               nd[n].perm, a->driver,    ifindex, nd[n].link_file };
                n++;
        }
        r = coexist_scan(pfs, n, ret);
        for (size_t i = 0; i < n; i++)
                free(nd[i].link_file);
        if (r < 0) {
                log_warning_errno(r, "cannot look for other network managers' SR-IOV settings: %m");
                coexist_done(ret);
                return;
        }
        for (char **u = ret->unreadable; u && *u; u++)
                log_notice("cannot read %s; other network managers' settings there are not checked", *u);
        for (size_t i = 0; i < ret->n_findings; i++) {
                const struct coexist_finding *f = &ret->findings[i];
                log_warning("%s: also managed by %s: %s:%u sets %s%s; the two will fight over %s", f->pf,
                            coexist_manager_to_string(f->manager), f->file, f->line, f->setting, found_how(f),
                            f->numvfs ? "sriov_numvfs" : "the VFs' settings");
        }
}

/* "coexistence": [{"pf", "manager", "file", "line", "setting"}] */
void coexistence_json(struct json *j, const struct coexist *c) {
        json_array_begin(j, "coexistence");
        for (size_t i = 0; i < c->n_findings; i++) {
                const struct coexist_finding *f = &c->findings[i];
                json_object_begin(j, NULL);
                json_string(j, "pf", f->pf);
                json_string(j, "manager", coexist_manager_to_string(f->manager));
                json_string(j, "file", f->file);
                json_int(j, "line", f->line);
                json_string(j, "setting", f->setting);
                json_string(j, "found", f->found == COEXIST_TOOL_SAID ? "tool" : "matched");
                json_object_end(j);
        }
        json_array_end(j);
}
