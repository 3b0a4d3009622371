/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt libvirt: libvirt definitions for what vfpt claims */
#include <stdio.h>

#include "commands.h"
#include "device.h"
#include "engine.h"
#include "log.h"
#include "port.h"

/* an attribute value: & < > ' " escaped */
static void xml_attr(const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '&': fputs("&amp;", stdout); break;
                case '<': fputs("&lt;", stdout); break;
                case '>': fputs("&gt;", stdout); break;
                case '\'': fputs("&apos;", stdout); break;
                case '"': fputs("&quot;", stdout); break;
                default: putchar(*s);
                }
}

/* comments hold no "--" */
static void xml_comment(const char *indent, const char *s) {
        printf("%s<!-- ", indent);
        for (; *s; s++)
                putchar(*s == '-' && s[1] == '-' ? '_' : *s);
        printf(" -->\n");
}

static void address(const char *indent, const struct pci_addr *a) {
        printf("%s<address type='pci' domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n", indent,
               a->domain, a->bus, a->dev, a->fn);
}

static void hostdev(const char *indent, const struct pci_addr *a) {
        printf("%s<hostdev mode='subsystem' type='pci' managed='no'>\n", indent);
        printf("%s  <source>\n", indent);
        printf("%s    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n", indent, a->domain,
               a->bus, a->dev, a->fn);
        printf("%s  </source>\n", indent);
        printf("%s</hostdev>\n", indent);
}

/* The network of a PF whose VFs vfpt claims: the VF pool. Named after
 * the PF's interface (vfpt-eth0), or its address without one; <pf dev=>
 * when it has an interface (libvirt follows its virtfn links), else the
 * VFs' addresses as the config makes them. */
static void network(const char *indent, const struct pci_dev *pf, const struct sriov_rule *rule) {
        char ifname[64] = "", name[PCI_ADDR_MAX + 64];
        int ifindex;

        if (device_netdev(pf->name, ifname, sizeof(ifname), &ifindex) < 0)
                *ifname = 0;
        snprintf(name, sizeof(name), "vfpt-%s", *ifname ? ifname : pf->name);
        for (char *p = name; *p; p++)
                if (*p == ':')
                        *p = '-';
        printf("%s<network>\n%s  <name>", indent, indent);
        xml_attr(name);
        printf("</name>\n%s  <forward mode='hostdev' managed='no'>\n", indent);
        if (*ifname) {
                printf("%s    <pf dev='", indent);
                xml_attr(ifname);
                printf("'/>\n");
        } else
                for (unsigned i = 0; i < rule->num_vfs; i++) {
                        struct pci_addr va;
                        char deeper[16];
                        if (pci_addr_add_rid(&pf->addr, pf->offset + i * pf->stride, &va) < 0)
                                break;
                        snprintf(deeper, sizeof(deeper), "%s    ", indent);
                        address(deeper, &va);
                }
        printf("%s  </forward>\n%s</network>\n", indent, indent);
}

/* Does the account concern `want` (a PF's address or interface, a device's address)? */
static bool selected(const char *want, const struct pci_dev *d) {
        char ifname[64];
        int ifindex;
        if (!want)
                return true;
        if (streq(want, d->name))
                return true;
        return d->has_sriov && device_netdev(d->name, ifname, sizeof(ifname), &ifindex) == 0 && streq(want, ifname);
}

int cmd_libvirt(struct context *ctx, int argc, char **argv) {
        _cleanup_config_ struct config *c = NULL;
        struct engine e;
        const char *want = NULL;
        unsigned found = 0;
        int r;

        r = parse_command_options(ctx, argc, argv,
                                  "vfpt libvirt [PF|DEVICE]\n"
                                  "Print libvirt definitions for what the config claims: a <network> with\n"
                                  "forward mode='hostdev' (the VF pool) per PF whose VFs go to a vfio driver,\n"
                                  "and a <hostdev> per claimed device, managed='no' (vfpt owns the binding),\n"
                                  "in one <vfpt-libvirt> document. With a PF (address or interface) or a\n"
                                  "device address: that <network> or <hostdev> alone, for virsh net-define\n"
                                  "or attach-device. Reads sysfs; writes nothing.\n",
                                  NULL, NULL, NULL);
        if (r < 0)
                return r == -1 ? EXIT_OK : EXIT_USAGE;
        if (r < argc)
                want = argv[r++];
        if (r < argc) {
                log_error("libvirt: unexpected argument '%s'", argv[r]);
                return EXIT_USAGE;
        }
        r = load_config_or_report(ctx, &c);
        if (r != 0)
                return r;

        engine_init(&e, c, ENGINE_PLAN);
        r = engine_all(&e);
        if (r < 0) {
                log_error_errno(r, "cannot enumerate PCI devices: %m");
                command_teardown(&e);
                return EXIT_USAGE;
        }
        const char *in = want ? "" : "  ";
        if (!want)
                printf("<vfpt-libvirt>\n");
        _cleanup_strv_free_ char **done = NULL;
        for (size_t i = 0; i < e.n_acc; i++) {
                const struct account *a = e.acc[i];
                struct pci_dev d;
                const char *bad;
                char line[1024], vf[PCI_ADDR_MAX];

                if (a->refused || a->deferred || !a->present || device_read(a->name, &d, &bad) < 0)
                        continue; /* not claimed (the guards keep it for the host), or not on this machine */
                if (a->failed) {
                        /* what apply could not do (a group that is not viable...): said, not listed */
                        if (!want || streq(want, a->name)) {
                                found++;
                                snprintf(line, sizeof(line), "%s: not listed: %s", a->name, a->message ?: "apply fails");
                                xml_comment(in, line);
                        }
                        continue;
                }
                if (a->role == ROLE_PF) {
                        const struct sriov_rule *rule = sriov_rule_for(c, e.ports, &d);
                        if (!rule || rule->vf_driver != VF_DRIVER_VFIO || rule->num_vfs == 0)
                                continue;
                        const char *drv = config_vf_driver_name(rule);
                        bool pf = selected(want, &d);
                        if (pf) {
                                found++;
                                if (driver_is_vfio(drv))
                                        network(in, &d, rule);
                                else {
                                        snprintf(line, sizeof(line),
                                                 "%s: its VFs are on %s, which gives no VFIO node: no network", a->name,
                                                 drv);
                                        xml_comment(in, line);
                                }
                                if (want)
                                        continue; /* the network alone */
                        }
                        /* its VFs, where the kernel puts them (planned ones too) */
                        for (unsigned k = 0; k < rule->num_vfs && driver_is_vfio(drv); k++) {
                                struct pci_addr va;
                                if (pci_addr_add_rid(&d.addr, d.offset + k * d.stride, &va) < 0)
                                        break;
                                pci_addr_format(&va, vf);
                                if ((want && !streq(want, vf)) || strv_contains(done, vf) ||
                                    config_vfio_wants(c, &va, NULL))
                                        continue; /* listed in [vfio]: its own entry */
                                found++;
                                hostdev(in, &va);
                                if (strv_extend(&done, vf) < 0)
                                        break;
                        }
                        continue;
                }
                /* [vfio] devices and ids, and what iommu_group = group adds */
                if ((want && !streq(want, a->name)) || strv_contains(done, a->name))
                        continue;
                if (a->role == ROLE_VF && !config_vfio_wants(c, &d.addr, &d.id))
                        continue; /* a VF of a PF above */
                const char *drv = config_vfio_wants(c, &d.addr, &d.id) ? c->vfio_driver
                                  : driver_is_passthrough(a->override) ? a->override
                                                                        : "vfio-pci";
                found++;
                if (strv_extend(&done, a->name) < 0)
                        break;
                if (!driver_is_vfio(drv)) {
                        snprintf(line, sizeof(line), "%s: claimed for %s, which gives no VFIO node: no hostdev",
                                 a->name, drv);
                        xml_comment(in, line);
                        continue;
                }
                hostdev(in, &d.addr);
        }
        if (!want)
                printf("</vfpt-libvirt>\n");
        command_teardown(&e);
        if (want && !found) {
                log_error("libvirt: %s is not a PF whose VFs vfpt claims, nor a device it claims", want);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}
