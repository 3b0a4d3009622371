/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfpt libvirt: libvirt definitions for what vfpt claims */
#include <stdio.h>

#include "commands.h"
#include "device.h"
#include "engine.h"
#include "json.h"
#include "log.h"
#include "port.h"

/* Where the XML goes: stdout, or (--json) one definition's buffer */
static FILE *out;

/* Bytes XML 1.0 cannot carry at all, escaped or not: C0 controls but tab,
 * newline and CR, DEL (allowed, but never meant), and bytes that are not
 * UTF-8. Interface names may hold any of them (the kernel refuses only
 * '/', ':', blanks and NUL). */
static size_t xml_char_len(const char *s, size_t left) {
        unsigned char c = (unsigned char) *s;
        if (c < 0x20 || c == 0x7f)
                return 0;
        return utf8_char_len(s, left);
}

static bool xml_safe(const char *s) {
        for (size_t left = strlen(s), k; left; s += k, left -= k)
                if (!(k = xml_char_len(s, left)))
                        return false;
        return true;
}

/* an attribute value or text: & < > ' " escaped; a byte XML cannot carry
 * becomes U+FFFD (callers keep such names out of attributes: xml_safe) */
static void xml_attr(const char *s) {
        for (size_t left = strlen(s), k; left; s += k, left -= k) {
                k = xml_char_len(s, left);
                if (!k) {
                        fputs("\xef\xbf\xbd", out);
                        k = 1;
                        continue;
                }
                switch (*s) {
                case '&': fputs("&amp;", out); break;
                case '<': fputs("&lt;", out); break;
                case '>': fputs("&gt;", out); break;
                case '\'': fputs("&apos;", out); break;
                case '"': fputs("&quot;", out); break;
                default: fwrite(s, 1, k, out);
                }
        }
}

/* comments hold no "--" and end in no '-'; a byte XML cannot carry is
 * written as \xNN */
static void xml_comment(const char *indent, const char *s) {
        fprintf(out, "%s<!-- ", indent);
        for (size_t left = strlen(s), k; left; s += k, left -= k) {
                k = xml_char_len(s, left);
                if (!k) {
                        fprintf(out, "\\x%02x", (unsigned char) *s);
                        k = 1;
                } else if (*s == '-' && (s[1] == '-' || !s[1]))
                        fputc('_', out);
                else
                        fwrite(s, 1, k, out);
        }
        fprintf(out, " -->\n");
}

static void address(const char *indent, const struct pci_addr *a) {
        fprintf(out, "%s<address type='pci' domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n", indent,
                a->domain, a->bus, a->dev, a->fn);
}

static void hostdev(const char *indent, const struct pci_addr *a) {
        fprintf(out, "%s<hostdev mode='subsystem' type='pci' managed='no'>\n", indent);
        fprintf(out, "%s  <source>\n", indent);
        fprintf(out, "%s    <address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>\n", indent,
                a->domain, a->bus, a->dev, a->fn);
        fprintf(out, "%s  </source>\n", indent);
        fprintf(out, "%s</hostdev>\n", indent);
}

/* VF i of the PF: where its virtfnI link points, as the engine reads it;
 * a VF not created yet (i at or past sriov_numvfs): where the kernel will
 * put it, from sriov_offset and sriov_stride, as plan says */
static int vf_address(const struct pci_dev *pf, unsigned i, struct pci_addr *ret) {
        char name[PCI_ADDR_MAX];
        const char *why;
        int r = device_virtfn(pf->name, i, name);
        if (r == -ENOENT && i >= pf->numvfs)
                return pci_addr_add_rid(&pf->addr, pf->offset + i * pf->stride, ret);
        if (r < 0)
                return r;
        return pci_addr_parse(name, ret, &why) < 0 ? -EBADMSG : 0;
}

/* The network of a PF whose VFs vfpt claims: the VF pool. Named after
 * the PF's interface (vfpt-eth0), or its address without one; <pf dev=>
 * when it has an interface (libvirt follows its virtfn links), else the
 * VFs' addresses. An interface name XML cannot carry (control bytes, not
 * UTF-8) is not used: the address names it, the VFs are listed, and a
 * comment says why. */
static void network(const char *indent, const struct pci_dev *pf, const struct sriov_rule *rule) {
        char ifname[64] = "", name[PCI_ADDR_MAX + 64];
        int ifindex;

        if (device_netdev(pf->name, ifname, sizeof(ifname), &ifindex) < 0)
                *ifname = 0;
        if (*ifname && !xml_safe(ifname)) {
                char says[PCI_ADDR_MAX + sizeof(ifname) + 64];
                snprintf(says, sizeof(says), "%s: interface name '%s' has bytes XML cannot hold: named by address",
                         pf->name, ifname);
                xml_comment(indent, says);
                *ifname = 0;
        }
        snprintf(name, sizeof(name), "vfpt-%s", *ifname ? ifname : pf->name);
        for (char *p = name; *p; p++)
                if (*p == ':')
                        *p = '-';
        fprintf(out, "%s<network>\n%s  <name>", indent, indent);
        xml_attr(name);
        fprintf(out, "</name>\n%s  <forward mode='hostdev' managed='no'>\n", indent);
        if (*ifname) {
                fprintf(out, "%s    <pf dev='", indent);
                xml_attr(ifname);
                fprintf(out, "'/>\n");
        } else
                for (unsigned i = 0; i < rule->num_vfs; i++) {
                        struct pci_addr va;
                        char deeper[16];
                        if (vf_address(pf, i, &va) < 0)
                                break;
                        snprintf(deeper, sizeof(deeper), "%s    ", indent);
                        address(deeper, &va);
                }
        fprintf(out, "%s  </forward>\n%s</network>\n", indent, indent);
}

/* One definition: straight to stdout, or with --json into a buffer that
 * becomes one member of "definitions" */
struct def {
        struct json *j; /* NULL: XML on stdout */
        char *buf;
        size_t len;
};

static int def_begin(struct def *d) {
        if (!d->j) {
                out = stdout;
                return 0;
        }
        out = open_memstream(&d->buf, &d->len);
        return out ? 0 : -ENOMEM;
}

static void def_end(struct def *d, const char *kind, const char *device) {
        if (!d->j)
                return;
        fclose(out);
        out = stdout;
        json_object_begin(d->j, NULL);
        json_string(d->j, "kind", kind);
        json_string(d->j, "device", device);
        json_string(d->j, "xml", d->buf);
        json_object_end(d->j);
        free(d->buf);
        d->buf = NULL;
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
        /* --json: {"definitions": [{"kind", "device", "xml"}...]}, each xml
         * one element (or comment) as the XML output has it */
        struct json j;
        struct def def = { .j = ctx->json ? &j : NULL };
        out = stdout;
        if (ctx->json) {
                json_init(&j, stdout);
                json_object_begin(&j, NULL);
                json_array_begin(&j, "definitions");
        }
        const char *in = want || ctx->json ? "" : "  ";
        if (!want && !ctx->json)
                printf("<vfpt-libvirt>\n");
        _cleanup_strv_free_ char **done = NULL;
        for (size_t i = 0; i < e.n_acc && r >= 0; i++) {
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
                                if ((r = def_begin(&def)) < 0)
                                        break;
                                xml_comment(in, line);
                                def_end(&def, "comment", a->name);
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
                                if ((r = def_begin(&def)) < 0)
                                        break;
                                if (driver_is_vfio(drv))
                                        network(in, &d, rule);
                                else {
                                        snprintf(line, sizeof(line),
                                                 "%s: its VFs are on %s, which gives no VFIO node: no network", a->name,
                                                 drv);
                                        xml_comment(in, line);
                                }
                                def_end(&def, driver_is_vfio(drv) ? "network" : "comment", a->name);
                                if (want)
                                        continue; /* the network alone */
                        }
                        /* its VFs, where the kernel put them (virtfn links), planned ones where it will */
                        for (unsigned k = 0; k < rule->num_vfs && driver_is_vfio(drv); k++) {
                                struct pci_addr va;
                                if (vf_address(&d, k, &va) < 0)
                                        break;
                                pci_addr_format(&va, vf);
                                if ((want && !streq(want, vf)) || strv_contains(done, vf) ||
                                    config_vfio_wants(c, &va, NULL))
                                        continue; /* listed in [vfio]: its own entry */
                                found++;
                                if ((r = def_begin(&def)) < 0)
                                        break;
                                hostdev(in, &va);
                                def_end(&def, "hostdev", vf);
                                if ((r = strv_extend(&done, vf)) < 0)
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
                if ((r = strv_extend(&done, a->name)) < 0 || (r = def_begin(&def)) < 0)
                        break;
                if (!driver_is_vfio(drv)) {
                        snprintf(line, sizeof(line), "%s: claimed for %s, which gives no VFIO node: no hostdev",
                                 a->name, drv);
                        xml_comment(in, line);
                        def_end(&def, "comment", a->name);
                        continue;
                }
                hostdev(in, &d.addr);
                def_end(&def, "hostdev", a->name);
        }
        if (ctx->json) {
                json_array_end(&j);
                json_object_end(&j);
                json_finish(&j);
        } else if (!want)
                printf("</vfpt-libvirt>\n");
        command_teardown(&e);
        if (r < 0) {
                log_error("out of memory");
                return EXIT_USAGE;
        }
        if (want && !found) {
                log_error("libvirt: %s is not a PF whose VFs vfpt claims, nor a device it claims", want);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}
