/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every path vfpt opens outside what the user names on the command line is
 * spelled here, and nowhere else.
 *
 * Kernel file systems (/sys, /proc, /dev) are used as they are: tests point
 * them at a fixture tree with umockdev's preload library, which redirects
 * them for libudev and for vfpt alike.
 *
 * Files of the installed system (/etc, /run, /boot, /lib/modules) are
 * looked up below $VFPT_ROOT when it is set (a sysroot for tests and for
 * image builders), else below /. */

#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"
#define SYSFS_PCI_DRIVERS "/sys/bus/pci/drivers"
#define SYSFS_PCI_DRIVERS_PROBE "/sys/bus/pci/drivers_probe"
#define SYSFS_IOMMU_GROUPS "/sys/kernel/iommu_groups"
#define PROC_CMDLINE "/proc/cmdline"
#define PROC_CPUINFO "/proc/cpuinfo"
#define PROC_MOUNTINFO "/proc/self/mountinfo"
#define PROC_SWAPS "/proc/swaps"
#define PROC_NET_ROUTE "/proc/net/route"
#define PROC_NET_IPV6_ROUTE "/proc/net/ipv6_route"
#define SYSFS_CLASS_BLOCK "/sys/class/block"
#define DEV_VFIO "/dev/vfio"
#define SYSFS_CLASS_NET "/sys/class/net"
#define SYSFS_CLASS_IOMMU "/sys/class/iommu"
#define SYSFS_DMI_PRODUCT_UUID "/sys/class/dmi/id/product_uuid"
#define PROC_PID1_ROOT "/proc/1/root"

const char *path_kmsg(void);

/* The following return a path below $VFPT_ROOT; the string stays valid
 * until the next call of the same function. */
const char *path_config_default(void);
const char *path_runtime_dir(void);
const char *path_grub_default(void);
/* /etc/initrd-release: present only in an initramfs */
const char *path_initrd_release(void);
/* /etc/fstab */
const char *path_fstab(void);
/* /var/lib/vfpt: what vfpt learnt on an up host, carried into the initramfs */
const char *path_state_dir(void);
/* /var/lib/vfpt/protected: the protected set */
const char *path_protected(void);
/* /var/lib/vfpt/ports: the interface names learnt for [sriov IFNAME] */
const char *path_ports(void);

/* Where other network managers keep what they apply to interfaces
 * (coexist.c): the directories each reads, in its own order of precedence,
 * NULL-terminated. These are the host's paths, as messages name them; open
 * them through path_rooted(). */
const char *const *path_networkmanager_dirs(void); /* keyfiles: *.nmconnection */
const char *const *path_systemd_network_dirs(void); /* *.link, *.network and their drop-ins */
const char *const *path_netplan_dirs(void);         /* *.yaml */

/* $VFPT_ROOT + p, newly allocated */
char *path_rooted(const char *p);
