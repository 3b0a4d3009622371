/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* The disk guard: does a PCI device carry a block device the host is using
 * (the root file system, a mounted file system, swap in use, an active
 * RAID/LVM member)? The only module that includes blkid.h: libblkid
 * resolves root=UUID=/LABEL=/PARTUUID= from the kernel command line.
 * Returns 1 and a one-line reason in why, 0 if not, -errno if it cannot
 * tell (the caller refuses then: not knowing is not safe). */
int disk_guard(const char *pci_name, char *why, size_t n);
