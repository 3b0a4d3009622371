/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every path vfpt opens outside what the user names on the command line is
 * spelled here, and nowhere else.
 *
 * Kernel file systems (/sys, /proc, /dev) are used as they are: tests point
 * them at a fixture tree with umockdev's preload library, which redirects
 * them for libudev and for vfpt alike.
 *
 * Files of the installed system (/etc, /run, /var, /boot, /usr,
 * /lib/modules) are looked up below $VFPT_ROOT when it is set (a sysroot for
 * tests and for image builders), else below /: paths.c alone reads
 * $VFPT_ROOT (path_root()). */

#define SYSFS_PCI_DEVICES "/sys/bus/pci/devices"
#define SYSFS_PCI_DRIVERS "/sys/bus/pci/drivers"
#define SYSFS_PCI_DRIVERS_PROBE "/sys/bus/pci/drivers_probe"
#define SYSFS_IOMMU_GROUPS "/sys/kernel/iommu_groups"
/* physical slots the firmware names: N/address is DOMAIN:BUS:DEV */
#define SYSFS_PCI_SLOTS "/sys/bus/pci/slots"
/* physical memory map: which driver holds which range (boot framebuffers) */
#define PROC_IOMEM "/proc/iomem"
/* kernel-install's configuration: layout=uki (unified kernel images) */
#define ETC_KERNEL_INSTALL_CONF "/etc/kernel/install.conf"
#define USR_LIB_KERNEL_INSTALL_CONF "/usr/lib/kernel/install.conf"
/* unified kernel images below an ESP (path_esp_dirs()) */
#define EFI_LINUX "/EFI/Linux"
/* the firmware's Secure Boot state: 4 bytes of attributes, then 0 or 1 */
#define SYSFS_EFIVAR_SECUREBOOT "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
/* loaded modules: /sys/module/NAME */
#define SYSFS_MODULE "/sys/module"
#define PROC_CMDLINE "/proc/cmdline"
/* every process: PID/fd/ (who holds /dev/vfio/N open), PID/comm; with
 * the slash, as umockdev's preload library redirects "/proc/..." alone */
#define PROC_DIR "/proc/"
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
/* the namespaces of PID 1 and of this process: mnt, pid, net below them */
#define PROC_PID1_NS "/proc/1/ns"
#define PROC_SELF_NS "/proc/self/ns"
/* ACPI tables: NBFT (NVMe-oF boot firmware table) among them */
#define SYSFS_ACPI_TABLES "/sys/firmware/acpi/tables"
/* the disk guard (disk.c): btrfs members, the
 * names the kernel and udev give block devices */
#define SYSFS_FS_BTRFS "/sys/fs/btrfs"
#define DEV_DISK_BY "/dev/disk/by-"
/* a descriptor's path, for calls that take no descriptor (fchmod and O_PATH) */
#define PROC_SELF_FD "/proc/self/fd"
/* the standard input of the external tools vfpt runs */
#define DEV_NULL "/dev/null"

/* Files and tools of the installed system as the host names them: messages
 * show these; open or run them through path_rooted() (below $VFPT_ROOT). */
#define ETC_DEFAULT_GRUB "/etc/default/grub"
/* its drop-ins, *.cfg (Debian's grub-mkconfig) */
#define ETC_DEFAULT_GRUB_D "/etc/default/grub.d"
/* the host's identity when its DMI product UUID is a placeholder */
#define ETC_MACHINE_ID "/etc/machine-id"
/* which distribution: ID= and ID_LIKE= */
#define ETC_OS_RELEASE "/etc/os-release"
/* kernel-install's and proxmox-boot-tool's kernel command line */
#define ETC_KERNEL_CMDLINE "/etc/kernel/cmdline"
/* kernel-install's fallback when there is no /etc/kernel/cmdline */
#define USR_LIB_KERNEL_CMDLINE "/usr/lib/kernel/cmdline"
/* the ESPs proxmox-boot-tool keeps in sync: non-empty when it is in use */
#define ETC_PROXMOX_BOOT_UUIDS "/etc/kernel/proxmox-boot-uuids"
/* Debian's GRUB: grub.cfg and grubenv below it */
/* the installed kernels' build configurations: /boot/config-KVER (kconfig.c) */
#define BOOT_CONFIG_PREFIX "/boot/config-"
#define BOOT_DIR "/boot"
#define BOOT_GRUB "/boot/grub"
#define BOOT_GRUB_CFG BOOT_GRUB "/grub.cfg"
#define BOOT_GRUB_ENV BOOT_GRUB "/grubenv"
/* RHEL's and Fedora's GRUB */
#define BOOT_GRUB2 "/boot/grub2"
#define BOOT_GRUB2_CFG BOOT_GRUB2 "/grub.cfg"
#define BOOT_GRUB2_ENV BOOT_GRUB2 "/grubenv"
/* Boot Loader Specification entries, below /boot or an ESP (path_esp_dirs()) */
#define LOADER_ENTRIES "/loader/entries"
#define BOOT_LOADER_ENTRIES "/boot" LOADER_ENTRIES
/* systemd-boot's, below an ESP: its configuration, its EFI directory */
#define LOADER_CONF "/loader/loader.conf"
#define EFI_SYSTEMD "/EFI/systemd"
/* the installed kernels' modules: RELEASE/ below (kernel-install: vmlinuz too) */
#define LIB_MODULES "/lib/modules"
#define USR_LIB_MODULES "/usr/lib/modules"
/* what vfpt learns on the up host (path_state_dir() and below) */
#define VAR_LIB_VFPT "/var/lib/vfpt"
#define VAR_LIB_VFPT_PROTECTED VAR_LIB_VFPT "/protected"
#define VAR_LIB_VFPT_PORTS VAR_LIB_VFPT "/ports"
/* the IOMMU groups predicted before the IOMMU was on (iommu-predict.c) */
#define VAR_LIB_VFPT_GROUPS VAR_LIB_VFPT "/iommu-groups-predicted"
/* the boot loader tools vfpt runs */
#define USR_SBIN_UPDATE_GRUB "/usr/sbin/update-grub"
#define USR_SBIN_GRUB_MKCONFIG "/usr/sbin/grub-mkconfig"
#define USR_SBIN_GRUB2_MKCONFIG "/usr/sbin/grub2-mkconfig"
#define USR_SBIN_PROXMOX_BOOT_TOOL "/usr/sbin/proxmox-boot-tool"
#define USR_BIN_KERNEL_INSTALL "/usr/bin/kernel-install"
/* which Open vSwitch bridge a port is on (the network guard) */
#define USR_BIN_OVS_VSCTL "/usr/bin/ovs-vsctl"
/* the disk guard: what cryptsetup opens at boot; ZFS's tool (the pools'
 * devices: zpool status -P), merged /usr or not */
#define ETC_CRYPTTAB "/etc/crypttab"
#define USR_SBIN_ZPOOL "/usr/sbin/zpool"
#define SBIN_ZPOOL "/sbin/zpool"

const char *path_kmsg(void);

/* The following return a path below $VFPT_ROOT; the string stays valid
 * until the next call of the same function. */
const char *path_config_default(void);
const char *path_runtime_dir(void);
/* /etc/initrd-release: present only in an initramfs */
const char *path_initrd_release(void);
/* /etc/fstab */
const char *path_fstab(void);
/* /etc/crypttab */
const char *path_crypttab(void);
/* /var/lib/vfpt: what vfpt learnt on an up host, carried into the initramfs */
const char *path_state_dir(void);
/* /var/lib/vfpt/protected: the protected set */
const char *path_protected(void);
/* /var/lib/vfpt/ports: the interface names learnt for [sriov IFNAME] */
const char *path_ports(void);
/* /var/lib/vfpt/iommu-groups-predicted */
const char *path_groups_predicted(void);

/* Where other network managers keep what they apply to interfaces
 * (coexist.c): the directories each reads, in its own order of precedence,
 * NULL-terminated. These are the host's paths, as messages name them; open
 * them through path_rooted(). */
const char *const *path_networkmanager_dirs(void); /* keyfiles: *.nmconnection */
const char *const *path_systemd_network_dirs(void); /* *.link, *.network and their drop-ins */
const char *const *path_netplan_dirs(void);         /* *.yaml */
/* systemd-networkd's state of each link it knows, by ifindex (NETWORK_FILE=:
 * the .network file it uses); a host path, as above */
#define RUN_NETWORKD_LINKS "/run/systemd/netif/links"
#define RUN_UDEV_DATA "/run/udev/data" /* udev's database: bMAJ:MIN, E:KEY=VALUE lines */
/* Where systemd-boot finds an ESP or XBOOTLDR: /efi, /boot, /boot/efi
 * (bootctl's order), NULL-terminated; host paths as above. */
const char *const *path_esp_dirs(void);
/* libkmod's modprobe.d directories, in its order, NULL-terminated; host
 * paths as above (module.c hands them to libkmod for a sysroot). */
const char *const *path_modprobe_dirs(void);

/* $VFPT_ROOT + p, newly allocated */
char *path_rooted(const char *p);
/* $VFPT_ROOT as the paths above use it: "" for the real root (unset, empty,
 * "/" or not absolute), else the sysroot's absolute path */
const char *path_root(void);
/* NULL when $VFPT_ROOT is unset or usable, else why not (main.c refuses to
 * run then): it must be an absolute path to a directory */
const char *path_root_problem(void);
