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

/* What the IOMMU group prediction needs from a device's config space
 * (the sysfs "config" file: 64 bytes to users, 256 or 4096 to root). */
#define PCI_EXP_TYPE_ENDPOINT 0x0
#define PCI_EXP_TYPE_LEG_END 0x1
#define PCI_EXP_TYPE_ROOT_PORT 0x4
#define PCI_EXP_TYPE_UPSTREAM 0x5
#define PCI_EXP_TYPE_DOWNSTREAM 0x6
#define PCI_EXP_TYPE_PCI_BRIDGE 0x7 /* PCIe-to-PCI/PCI-X bridge */
#define PCI_EXP_TYPE_PCIE_BRIDGE 0x8 /* PCI/PCI-X-to-PCIe bridge */
#define PCI_EXP_TYPE_RC_END 0x9
#define PCI_EXP_TYPE_RC_EC 0xa
/* ACS capability and control bits (include/uapi/linux/pci_regs.h) */
#define PCI_ACS_SV 0x0001
#define PCI_ACS_TB 0x0002
#define PCI_ACS_RR 0x0004
#define PCI_ACS_CR 0x0008
#define PCI_ACS_UF 0x0010
#define PCI_ACS_EC 0x0020

struct pci_cfg {
        bool multifunction; /* header type bit 7 */
        bool bridge;        /* header type 1 */
        unsigned secondary; /* a bridge's secondary bus */
        bool pcie;          /* has a PCI Express capability */
        unsigned pcie_type; /* PCI_EXP_TYPE_* */
        bool flr;           /* Device Capabilities: Function Level Reset */
        bool ext_known;     /* the extended space was read (>= 4096 bytes) */
        bool acs;           /* has an ACS extended capability (ext_known) */
        uint16_t acs_cap, acs_ctrl;
};
/* Parses len bytes of config space; -EBADMSG if they are not one
 * (shorter than the header, vendor ffff, a capability list that loops). */
int pci_cfg_parse(const uint8_t *buf, size_t len, struct pci_cfg *ret);

/* reset_method values the kernel knows (drivers/pci/pci.c
 * pci_reset_fn_methods): [vfio] reset_method is checked against them */
bool pci_reset_method_valid(const char *m);
