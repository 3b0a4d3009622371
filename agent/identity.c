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
static bool serial_is_none(const char *s) {
        return !*s || strspn(s, "0-") == strlen(s) || strspn(s, "fF-") == strlen(s);
}

void identity_read_serial(const char *name, char serial[static SERIAL_MAX]) {
        char p[128];
        unsigned char cfg[4096];

        *serial = 0;
        if ((size_t) snprintf(p, sizeof(p), SYSFS_PCI_DEVICES "/%s/config", name) >= sizeof(p))
                return;
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        ssize_t len = pread(fd, cfg, sizeof(cfg), 0);
        close(fd);
        for (unsigned off = 0x100, hops = 0; len >= 0 && off + 12 <= (size_t) len && hops < 64; hops++) {
                uint32_t h = le32(cfg + off);
                if (h == 0 || h == 0xffffffff)
                        return;
                if ((h & 0xffff) == 3) {
                        uint32_t lo = le32(cfg + off + 4), hi = le32(cfg + off + 8);
                        snprintf(serial, SERIAL_MAX, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", hi >> 24,
                                 (hi >> 16) & 0xff, (hi >> 8) & 0xff, hi & 0xff, lo >> 24, (lo >> 16) & 0xff,
                                 (lo >> 8) & 0xff, lo & 0xff);
                        if (serial_is_none(serial))
                                *serial = 0;
                        return;
                }
                if ((h >> 20) < 0x100 || (h >> 20) <= off)
                        return;
                off = h >> 20;
        }
}

void identity_of_device(const struct pci_dev *d, struct identity *ret) {
        *ret = (struct identity) { .id = d->id, .class = d->class };
        identity_read_serial(d->name, ret->serial);
}

void identity_of_entry(const struct protect_entry *e, struct identity *ret) {
        *ret = (struct identity) { .id = e->id, .class = e->class };
        if (!serial_is_none(e->dsn))
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
