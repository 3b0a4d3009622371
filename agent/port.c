/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A PF's network port: its permanent MAC and the interface names learnt
 * for it (port.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "device.h"
#include "fileio.h"
#include "netlink.h"
#include "paths.h"
#include "port.h"
#include "protect.h"

/* A name the config selects by, as learnt: its MAC, address and ID then. */
struct port_entry {
        char ifname[IFNAME_MAX + 1];
        uint8_t mac[6];
        char addr[PCI_ADDR_MAX];
        struct pci_id id;
};

struct ports {
        struct port_entry *e;
        size_t n;
};

/* "IFNAME MAC ADDRESS VENDOR:DEVICE" */
static int parse_line(const char *l, struct port_entry *ret) {
        char name[64], mac[32], addr[32], id[32];
        struct pci_addr a;
        const char *why;

        if (sscanf(l, "port %63s %31s %31s %31s", name, mac, addr, id) != 4 || !ifname_valid(name) ||
            mac_parse(mac, ret->mac, &why) < 0 || pci_addr_parse(addr, &a, &why) < 0 ||
            pci_id_parse(id, &ret->id, &why) < 0)
                return -EBADMSG;
        snprintf(ret->ifname, sizeof(ret->ifname), "%.15s", name); /* valid: at most 15 */
        pci_addr_format(&a, ret->addr);
        return 0;
}

static int load(const char *path, struct ports *p) {
        _cleanup_free_ char *text = NULL;
        int r = read_file(path, 1024 * 1024, &text, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (char *c = text, *l; (l = line_next(&c));) {
                struct port_entry e = {};
                if (strncmp(l, "port ", 5) != 0 || parse_line(l, &e) < 0)
                        continue; /* comments; a line this version cannot read counts as not learnt */
                struct port_entry *m = realloc(p->e, (p->n + 1) * sizeof(*m));
                if (!m)
                        return -ENOMEM;
                p->e = m;
                p->e[p->n++] = e;
        }
        return 0;
}

int ports_open(struct ports **ret) {
        struct ports *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        int r = load(path_ports(), p);
        if (r < 0) {
                ports_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

struct ports *ports_free(struct ports *p) {
        if (p)
                free(p->e);
        free(p);
        return NULL;
}

/* The PCI device that has interface ifname now: 0, -ENOENT */
static int port_device(const char *ifname, char ret[static PCI_ADDR_MAX]) {
        char p[PATH_MAX], real[PATH_MAX];
        struct pci_addr a;
        const char *why;

        if (!ifname_valid(ifname))
                return -EINVAL;
        snprintf(p, sizeof(p), SYSFS_CLASS_NET "/%s", ifname);
        if (!realpath(p, real))
                return -errno;
        /* .../0000:3b:00.0/net/IFNAME */
        char *s = strrchr(real, '/');
        if (!s || s - real < 4 || strncmp(s - 4, "/net", 4) != 0)
                return -ENOENT;
        s[-4] = 0;
        s = strrchr(real, '/');
        if (!s || pci_addr_parse(s + 1, &a, &why) < 0)
                return -ENOENT; /* not a PCI function's own interface */
        pci_addr_format(&a, ret);
        return 0;
}

/* The netdev's permanent MAC: sysfs address while addr_assign_type says it
 * is the permanent one (NET_ADDR_PERM); else the kernel's IFLA_PERM_ADDRESS
 * (a bond port, an address set by hand). */
static int perm_mac(const char *ifname, int ifindex, uint8_t ret[static 6]) {
        _cleanup_free_ char *type = NULL, *addr = NULL;
        char p[PATH_MAX];
        const char *why;
        int r;

        snprintf(p, sizeof(p), SYSFS_CLASS_NET "/%s/addr_assign_type", ifname);
        r = read_one_line(p, &type);
        if (r >= 0 && streq(type, "0")) {
                snprintf(p, sizeof(p), SYSFS_CLASS_NET "/%s/address", ifname);
                r = read_one_line(p, &addr);
                if (r < 0)
                        return r;
                return mac_parse(addr, ret, &why) < 0 ? -EBADMSG : 0;
        }
        return netlink_perm_addr(ifindex, ret);
}

int port_read(const struct ports *p, const char *name, struct pf_port *ret) {
        struct pf_port port = {};
        char dev[PCI_ADDR_MAX];
        int ifindex, r;

        r = device_netdev(name, port.ifname, sizeof(port.ifname), &ifindex);
        if (r == -ENOENT) {
                *ret = port;
                return 0;
        }
        if (r < 0)
                return r;
        if (perm_mac(port.ifname, ifindex, port.mac) == 0)
                port.has_mac = true;
        for (size_t i = 0; p && port.has_mac && i < p->n; i++) {
                const struct port_entry *e = &p->e[i];
                if (memcmp(e->mac, port.mac, 6) != 0 || streq(e->ifname, port.ifname))
                        continue;
                /* another interface has the name now: the name is its */
                if (port_device(e->ifname, dev) == 0 && !streq(dev, name))
                        continue;
                r = strv_extend(&port.learnt, e->ifname);
                if (r < 0) {
                        pf_port_done(&port);
                        return r;
                }
        }
        *ret = port;
        return 0;
}

void pf_port_done(struct pf_port *port) {
        port->learnt = strv_free(port->learnt);
}

int ports_save(const struct config *c, char *why, size_t n) {
        _cleanup_ports_ struct ports *old = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0, k = 0;
        FILE *f;
        int r;

        if (!may_learn(why, n))
                return 0;
        r = ports_open(&old);
        if (r < 0)
                return r;
        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, "# vfpt: the interface names [sriov IFNAME] selects by, and the port that had\n"
                   "# each (vfpt.conf(5), [sriov SELECTOR]). Written by vfpt on the up host; carried into the\n"
                   "# initramfs. port IFNAME PERMANENT-MAC ADDRESS VENDOR:DEVICE\n");
        for (size_t i = 0; i < c->n_sriov; i++) {
                const struct selector *s = &c->sriov[i].sel;
                struct port_entry e = {};
                struct pf_port port = {};
                struct pci_dev d;
                const char *bad;

                if (s->kind != SELECTOR_IFNAME)
                        continue;
                if (port_device(s->ifname, e.addr) == 0 && device_read(e.addr, &d, &bad) == 0 &&
                    port_read(NULL, e.addr, &port) == 0 && port.has_mac && streq(port.ifname, s->ifname)) {
                        memcpy(e.mac, port.mac, 6);
                        e.id = d.id;
                        snprintf(e.ifname, sizeof(e.ifname), "%s", s->ifname);
                } else /* not here now: what was learnt stands */
                        for (size_t j = 0; old && j < old->n; j++)
                                if (streq(old->e[j].ifname, s->ifname))
                                        e = old->e[j];
                pf_port_done(&port);
                if (!*e.ifname)
                        continue;
                char m[MAC_MAX];
                fprintf(f, "port %s %s %s %04x:%04x\n", e.ifname, mac_format(e.mac, m), e.addr, e.id.vendor,
                        e.id.device);
                k++;
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        if (k == 0 && (!old || old->n == 0)) {
                snprintf(why, n, "no interface name to learn");
                return 0;
        }
        r = mkdir_p(path_state_dir(), 0755);
        if (r < 0)
                return r;
        r = atomic_update(path_ports(), text, len, 0644);
        if (r <= 0) {
                snprintf(why, n, "unchanged");
                return r;
        }
        snprintf(why, n, "%zu interface name%s recorded in %s", k, k == 1 ? "" : "s", path_ports());
        return 1;
}

const struct sriov_rule *sriov_rule_for(const struct config *c, const struct ports *p, const struct pci_dev *d) {
        struct pf_port port = {};
        bool have = config_has_port_selectors(c) && !d->is_vf && port_read(p, d->name, &port) == 0;
        const struct sriov_rule *r = config_sriov_for(c, &d->addr, &d->id, d->driver, have ? &port : NULL);
        pf_port_done(&port);
        return r;
}
