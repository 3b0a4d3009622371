/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>

#include "pci.h"
#include "util.h"

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        c = (char) tolower((unsigned char) c);
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* exactly n hex digits (n_min..n_max), returns chars consumed or -1 */
static int hexrun(const char *s, size_t n_min, size_t n_max, uint32_t *ret) {
        uint32_t v = 0;
        size_t i = 0;
        while (i < n_max && hexval(s[i]) >= 0)
                v = (v << 4) | (uint32_t) hexval(s[i++]);
        if (i < n_min || hexval(s[i]) >= 0)
                return -1;
        *ret = v;
        return (int) i;
}

int pci_addr_parse(const char *s, struct pci_addr *ret, const char **why) {
        uint32_t domain = 0, bus, dev, fn;
        const char *p = s;
        int n;

        *why = "not a PCI address, expected DOMAIN:BUS:DEVICE.FUNCTION such as 0000:3b:00.0";
        if (!s || !*s)
                return -EINVAL;
        /* with domain: hex{1,8} ':' hex{2} ':' hex{2} '.' digit */
        if (strchr(p, ':') != strrchr(p, ':')) {
                n = hexrun(p, 1, 8, &domain);
                if (n < 0 || p[n] != ':')
                        return -EINVAL;
                p += n + 1;
        }
        n = hexrun(p, 2, 2, &bus);
        if (n < 0 || p[n] != ':')
                return -EINVAL;
        p += n + 1;
        n = hexrun(p, 2, 2, &dev);
        if (n < 0)
                return -EINVAL;
        p += n;
        if (*p != '.') {
                *why = "PCI address lacks the function number (BUS:DEVICE.FUNCTION)";
                return -EINVAL;
        }
        p++;
        if (!isdigit((unsigned char) p[0]) || p[1]) {
                *why = "PCI function must be one digit 0-7";
                return -EINVAL;
        }
        fn = (uint32_t) (p[0] - '0');
        if (dev > 0x1f) {
                *why = "PCI device number must be 00-1f";
                return -EINVAL;
        }
        if (fn > 7) {
                *why = "PCI function must be 0-7";
                return -EINVAL;
        }
        *ret = (struct pci_addr) { domain, (uint8_t) bus, (uint8_t) dev, (uint8_t) fn };
        *why = NULL;
        return 0;
}

int pci_id_parse(const char *s, struct pci_id *ret, const char **why) {
        uint32_t v, d;
        int n;

        *why = "not a vendor:device ID, expected four hex digits each, such as 8086:1521";
        if (!s)
                return -EINVAL;
        n = hexrun(s, 4, 4, &v);
        if (n < 0 || s[n] != ':')
                return -EINVAL;
        n = hexrun(s + 5, 4, 4, &d);
        if (n < 0 || s[5 + n])
                return -EINVAL;
        if (v == 0xffff) {
                *why = "vendor ID ffff is not a device";
                return -EINVAL;
        }
        *ret = (struct pci_id) { (uint16_t) v, (uint16_t) d };
        *why = NULL;
        return 0;
}

const char *pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_MAX]) {
        snprintf(buf, PCI_ADDR_MAX, "%04x:%02x:%02x.%u", a->domain, a->bus, a->dev, a->fn);
        return buf;
}

bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b) {
        return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev && a->fn == b->fn;
}

bool pci_id_eq(const struct pci_id *a, const struct pci_id *b) {
        return a->vendor == b->vendor && a->device == b->device;
}

bool pci_driver_name_valid(const char *s) {
        if (!s || !*s || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && *s != '_' && *s != '-')
                        return false;
        return true;
}

int pci_addr_add_rid(const struct pci_addr *pf, unsigned delta, struct pci_addr *ret) {
        unsigned rid = ((unsigned) pf->bus << 8) | ((unsigned) pf->dev << 3) | pf->fn;
        rid += delta;
        if (rid > 0xffff)
                return -ERANGE;
        *ret = (struct pci_addr) { pf->domain, (uint8_t) (rid >> 8), (uint8_t) ((rid >> 3) & 0x1f),
                                   (uint8_t) (rid & 7) };
        return 0;
}

static unsigned cfg16(const uint8_t *b, size_t at) {
        return (unsigned) b[at] | ((unsigned) b[at + 1] << 8);
}

static uint32_t cfg32(const uint8_t *b, size_t at) {
        return (uint32_t) cfg16(b, at) | ((uint32_t) cfg16(b, at + 2) << 16);
}

int pci_cfg_parse(const uint8_t *buf, size_t len, struct pci_cfg *ret) {
        struct pci_cfg c = {};

        if (len < 64 || cfg16(buf, 0) == 0xffff)
                return -EBADMSG;
        c.multifunction = buf[0x0e] & 0x80;
        c.bridge = (buf[0x0e] & 0x7f) == 1;
        if (c.bridge)
                c.secondary = buf[0x19];
        /* the capability list (status bit 4), at most 48 entries */
        if (cfg16(buf, 0x06) & 0x10) {
                size_t pos = buf[0x34] & 0xfc;
                for (int i = 0; pos >= 0x40 && i < 48; i++) {
                        if (pos + 12 > len)
                                break; /* beyond what could be read: as if absent */
                        if (buf[pos] == 0x10) {
                                c.pcie = true;
                                c.pcie_type = (cfg16(buf, pos + 2) >> 4) & 0xf;
                                c.flr = cfg32(buf, pos + 4) & (1u << 28);
                                break;
                        }
                        pos = buf[pos + 1] & 0xfc;
                }
        }
        /* the extended capabilities, from 0x100 */
        if (c.pcie && len >= 4096) {
                size_t pos = 0x100;
                c.ext_known = true;
                for (int i = 0; pos >= 0x100 && pos + 8 <= len && i < 480; i++) {
                        uint32_t h = cfg32(buf, pos);
                        if (h == 0 || h == 0xffffffff)
                                break;
                        if ((h & 0xffff) == 0x000d) {
                                c.acs = true;
                                c.acs_cap = (uint16_t) cfg16(buf, pos + 4);
                                c.acs_ctrl = (uint16_t) cfg16(buf, pos + 6);
                                break;
                        }
                        pos = (h >> 20) & 0xffc;
                }
        }
        *ret = c;
        return 0;
}

bool pci_reset_method_valid(const char *m) {
        static const char *const known[] = { "device_specific", "acpi", "flr", "af_flr", "pm", "bus", "cxl_bus" };
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (streq(m, known[i]))
                        return true;
        return false;
}
