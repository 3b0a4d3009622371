/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "pci.h"
#include "util.h"

/* PCI devices in sysfs, through libudev: the only module that includes
 * libudev.h. Every read is fresh (libudev caches attribute values per
 * udev_device, and the kernel changes them under us). */

struct pci_dev {
        char name[PCI_ADDR_MAX]; /* sysfs name, "0000:3b:00.0" */
        struct pci_addr addr;
        struct pci_id id;
        unsigned class;      /* 24-bit class code */
        char driver[65];     /* "" when unbound */
        char override[65];   /* "" when no driver_override */
        int group;           /* IOMMU group number, -1 without IOMMU */
        bool has_sriov;
        unsigned totalvfs, numvfs, offset, stride;
        int autoprobe; /* sriov_drivers_autoprobe, -1 if absent */
        bool is_vf;
        char physfn[PCI_ADDR_MAX]; /* "" when not a VF or the link is not there yet */
};

static inline bool pci_dev_is_bridge(const struct pci_dev *d) {
        return (d->class >> 8) == 0x0604 || (d->class >> 8) == 0x0600 || (d->class >> 16) == 0x06;
}

/* -ENODEV if the device is not (or no longer) there; -EBADMSG with *bad
 * set to the attribute whose content is not what the kernel writes. */
int device_read(const char *name, struct pci_dev *ret, const char **bad);
/* Has the device a physfn link (is it an SR-IOV VF)? One access(). */
bool device_is_vf(const char *name);
/* The device's modalias attribute. */
int device_modalias(const char *name, char *buf, size_t n);
/* All PCI device names, sorted. */
int device_enumerate(char ***ret);
/* Writes one attribute of a device. -errno as the kernel returned it. */
int device_write(const char *name, const char *attr, const char *value);
/* The VF behind the PF's virtfnI link; -ENOENT if not there. */
int device_virtfn(const char *pf, unsigned i, char ret[static PCI_ADDR_MAX]);
/* Device names in IOMMU group N, sorted. */
int device_group_members(int group, char ***ret);
/* Does any IOMMU group exist (the IOMMU is active on this boot)? */
bool device_iommu_active(void);
/* /sys/bus/pci/drivers/DRIVER exists: its module is loaded or built in. */
bool driver_registered(const char *driver);
int driver_unbind(const char *driver, const char *name);
/* /sys/bus/pci/drivers_probe: let the driver core bind the device again */
int driver_probe(const char *name);
/* The first network interface of the device (its net/ directory) and its
 * ifindex. -ENOENT when it has none (yet). */
/* the PF's own network port (not a switchdev representor; the lowest
 * dev_port): 0, or (device_netdev_ports) how many ports the function has */
int device_netdev(const char *name, char *ifname, size_t n, int *ifindex);
int device_netdev_ports(const char *name, char *ifname, size_t n, int *ifindex);
/* a udev property of a network interface (ID_NET_LINK_FILE: the .link file
 * udev applied to it): 1 and *ret (free()), 0 if it has none (udev has not
 * seen it yet), -errno */
int netdev_udev_property(const char *ifname, const char *key, char **ret);
/* libudev context release, for a clean exit under valgrind */
void device_done(void);
