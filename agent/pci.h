/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* PCI addresses and IDs as users write them and as sysfs names them. */

struct pci_addr {
        uint32_t domain;
        uint8_t bus, dev, fn;
};

struct pci_id {
        uint16_t vendor, device;
};

#define PCI_ADDR_MAX 24 /* "ffffffff:ff:1f.7" + NUL, with room */

/* "0000:3b:00.0" or "3b:00.0" (domain 0000). -EINVAL with *why set. */
int pci_addr_parse(const char *s, struct pci_addr *ret, const char **why);
/* "8086:1521". -EINVAL with *why set. */
int pci_id_parse(const char *s, struct pci_id *ret, const char **why);
/* the sysfs name, "0000:3b:00.0" */
const char *pci_addr_format(const struct pci_addr *a, char buf[static PCI_ADDR_MAX]);
bool pci_addr_eq(const struct pci_addr *a, const struct pci_addr *b);
bool pci_id_eq(const struct pci_id *a, const struct pci_id *b);
/* a kernel driver name as it appears under /sys/bus/pci/drivers */
bool pci_driver_name_valid(const char *s);
/* Routing ID arithmetic for VF addresses: PF + offset + stride * i. */
int pci_addr_add_rid(const struct pci_addr *pf, unsigned delta, struct pci_addr *ret);
