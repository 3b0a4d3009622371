/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "identity.h"
#include "paths.h"

static uint32_t le32(const unsigned char *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* 00-00-... and ff-ff-...: no serial (firmware that set none) */
bool identity_serial_is_none(const char *s) {
        return !*s || strspn(s, "0-") == strlen(s) || strspn(s, "fF-") == strlen(s);
}

void identity_read_config(const char *name, struct config_ident *ret) {
        char p[128];
        unsigned char cfg[4096];

        *ret = (struct config_ident) {};
        if ((size_t) snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/config", name) >= sizeof(p))
                return;
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t len = pread(fd, cfg, sizeof(cfg), 0);
        close(fd);
        if (len >= 0x30 && (cfg[0x0e] & 0x7f) == 0) {
                unsigned sv = cfg[0x2c] | cfg[0x2d] << 8, sd = cfg[0x2e] | cfg[0x2f] << 8;
                if ((sv || sd) && !(sv == 0xffff && sd == 0xffff))
                        snprintf(ret->subsys, sizeof(ret->subsys), "%04x:%04x", sv, sd);
        }
        for (unsigned off = 0x100, hops = 0; len >= 0 && off + 12 <= (size_t) len && hops < 64; hops++) {
                uint32_t h = le32(cfg + off);
                if (h == 0 || h == 0xffffffff)
                        return;
                if ((h & 0xffff) == 3) {
                        uint32_t lo = le32(cfg + off + 4), hi = le32(cfg + off + 8);
                        snprintf(ret->dsn, sizeof(ret->dsn), "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", hi >> 24,
                                 (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >> 24, (lo >> 16) & 0xff,
                                 (lo >> 8) & 0xff, lo & 0xff);
                        return;
                }
                if ((h >> 20) < 0x100 || (h >> 20) <= off)
                        return;
                off = h >> 20;
        }
}

void identity_of_device(const struct pci_dev *d, struct identity *ret) {
        struct config_ident ci;
        *ret = (struct identity) { .id = d->id, .class = d->class };
        identity_read_config(d->name, &ci);
        if (!identity_serial_is_none(ci.dsn))
                memcpy(ret->serial, ci.dsn, sizeof(ret->serial));
}

void identity_of_entry(const struct protect_entry *e, struct identity *ret) {
        *ret = (struct identity) { .id = e->id, .class = e->class };
        if (!identity_serial_is_none(e->dsn))
                snprintf(ret->serial, sizeof(ret->serial), "%s", e->dsn);
}

bool identity_same(const struct identity *a, const struct identity *b) {
        return pci_id_eq(&a->id, &b->id) && a->class == b->class && strcasecmp(a->serial, b->serial) == 0;
}

const char *identity_format(const struct identity *i, char *buf, size_t n) {
        snprintf(buf, n, "%04x:%04x class %06x%s%s", i->id.vendor, i->id.device, i->class,
                 *i->serial ? " serial " : "", i->serial);
        return buf;
}
