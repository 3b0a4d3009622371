/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

/* IOMMU groups as the kernel will form them when the IOMMU is on, predicted
 * before it is (the first install, before its reboot) from the PCIe
 * topology in sysfs and each device's config space, the way
 * drivers/iommu/iommu.c pci_device_group() forms them (6.1 to 6.12):
 *   - the DMA alias walk: a device behind a PCIe-to-PCI bridge or a
 *     conventional PCI bridge is in that bridge's group;
 *   - the ACS walk: upstream, every bridge whose path to the root complex
 *     lacks ACS source validation, request and completion redirect and
 *     upstream forwarding (REQ_ACS_FLAGS) takes its subordinates in;
 *   - functions of one slot that lack ACS (pci_acs_enabled(): a
 *     multifunction endpoint without ACS) share a group;
 *   - DMA alias quirks (Marvell SATA function 1) join their alias;
 *   - a representative part of drivers/pci/quirks.c pci_dev_acs_enabled[]
 *     (multifunction endpoints the vendors verified: Solarflare, Intel
 *     82576/82599/I350/X540, Emulex, Broadcom); for vendors whose quirks
 *     vfpt does not carry (Intel and AMD chipset ports, Zhaoxin, Cavium,
 *     Ampere, Loongson, Wangxun) a device without ACS is "cannot tell";
 *   - pcie_acs_override= on the next boot's command line (the ACS
 *     override patch of Proxmox VE's and linux-zen's kernels).
 * The kernel enables ACS on every port that has it when the IOMMU comes
 * up (pci_std_enable_acs): before that the control word may read 0, so
 * the capability is what counts. A device whose config space cannot be
 * read, or that the rules above cannot decide, is "cannot tell": never
 * predicted alone. */

struct iommu_prediction;

/* Predicts the groups of every PCI device; cmdline: the next boot's
 * parameters (pcie_acs_override=), may be NULL. */
int iommu_predict(char *const *cmdline, struct iommu_prediction **ret);
struct iommu_prediction *iommu_prediction_free(struct iommu_prediction *p);
static inline void iommu_prediction_freep(struct iommu_prediction **p) { iommu_prediction_free(*p); }
#define _cleanup_prediction_ _cleanup_(iommu_prediction_freep)

/* The predicted group of device name: its number (>= 0, vfpt's own, not
 * the kernel's), its members (sorted, name included), and *why when vfpt
 * cannot tell whether the group holds more ("0000:02:00.0: config space
 * unreadable"), else NULL. -ENOENT if name is not known. */
int iommu_prediction_group(const struct iommu_prediction *p, const char *name, char ***members, const char **why);

/* /var/lib/vfpt/iommu-groups-predicted: one line a group, its members.
 * Written where vfpt learns (apply, the initramfs build) on an up host
 * whose IOMMU is not on yet. 1 written, 0 unchanged, -errno. */
int iommu_prediction_save(const struct iommu_prediction *p);
/* Where vfpt learns (apply on the up host, the initramfs build): while the
 * IOMMU is off, the prediction for the next boot's command line is
 * recorded; 1 written, 0 not (why says why), -errno. */
int iommu_predict_learn(char *why, size_t n);
/* After the reboot, with the IOMMU on: each predicted group that the
 * kernel formed otherwise, one line ("predicted 0000:01:00.0 0000:01:00.1
 * together, the kernel's group 14 holds 0000:01:00.0 only"); *ret NULL
 * when they agree. -ENOENT when nothing was predicted. */
int iommu_prediction_compare(char ***ret);

/* Where isolation breaks in the predicted group of device name: the
 * places that put its members together. */
enum iommu_break_kind {
        IOMMU_BREAK_NO_ACS,        /* a port or bridge without ACS above members */
        IOMMU_BREAK_PCI_BRIDGE,    /* a conventional PCI or PCIe-to-PCI bridge: one requester ID */
        IOMMU_BREAK_MULTIFUNCTION, /* functions of one slot without ACS */
        IOMMU_BREAK_UNKNOWN,       /* vfpt cannot tell */
};
struct iommu_break {
        enum iommu_break_kind kind;
        char at[PCI_ADDR_MAX]; /* the bridge, port or (first) function */
        char text[320];        /* one clause naming it and what it does */
};
const char *iommu_break_kind_to_string(enum iommu_break_kind k);
/* *ret: an array of *n (malloc'ed; NULL and 0 when nothing breaks it).
 * -ENOENT if name is not known. */
int iommu_prediction_explain(const struct iommu_prediction *p, const char *name, struct iommu_break **ret,
                             size_t *n);

/* Root and switch downstream ports whose path to the root complex has ACS
 * all the way: a device in a slot below one of them is in a group of its
 * own (with its functions, where they lack ACS between them). */
struct iommu_port {
        char name[PCI_ADDR_MAX];
        const char *type; /* "root port", "switch downstream port" */
        char slot[64];    /* the firmware's slot name (/sys/bus/pci/slots), "" if none */
        char **below;     /* the devices on its secondary bus; NULL: empty */
};
int iommu_prediction_isolating_ports(const struct iommu_prediction *p, struct iommu_port **ret, size_t *n);
void iommu_ports_free(struct iommu_port *ports, size_t n);

/* The bridge above device name, from its place in /sys/devices: "" on a
 * root bus. 0 or -errno. */
int iommu_upstream_bridge(const char *name, char parent[static PCI_ADDR_MAX]);
