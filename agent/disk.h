/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* The disk guard: does a PCI device carry a block device the host is using
 * (the root file system, a mounted file system, swap in use, an active
 * RAID/LVM member)? The only module that includes blkid.h: libblkid
 * resolves root=UUID=/LABEL=/PARTUUID= from the kernel command line.
 * Returns 1 and a one-line reason in why, 0 if not, DISK_CANNOT_TELL with
 * why naming what could not be resolved, -errno if it cannot read what it
 * needs (the caller refuses then: not knowing is not safe).
 *
 * What the host needs is found once per process, by device number: what
 * is mounted (btrfs: every device of the file system, from
 * /sys/fs/btrfs/FSID/devices; ZFS: the pool's devices from `zpool status
 * -P`), root= and resume=, every /etc/fstab and /etc/crypttab source
 * (noauto and nofail too; not network or pseudo file systems), swap in
 * use, and the devices below each stacked one (dm, md: their slaves).
 * UUID=, LABEL=, PARTUUID= and PARTLABEL= are udev's /dev/disk/by-* links,
 * else libblkid's probe. When one of them resolves to no block device (its
 * controller's driver is not bound yet, a ZFS pool without the zpool
 * tool), no controller can be said to hold nothing the host needs:
 * DISK_CANNOT_TELL for every one that is not seen holding something. */
#define DISK_CANNOT_TELL 2
int disk_guard(const char *pci_name, char *why, size_t n);
