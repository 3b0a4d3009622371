/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* The kernel's own IOMMU defaults, from its build configuration
 * (/boot/config-KVER below $VFPT_ROOT): an argument whose effect the kernel
 * has by default (intel_iommu=on with CONFIG_INTEL_IOMMU_DEFAULT_ON=y) is in
 * effect without being on the command line. A kernel whose config cannot be
 * read has no known default: "cannot tell" is never "in effect". */

/* Is arg ("intel_iommu=on", "amd_iommu=on", "iommu=pt", ...) the default
 * of kernel kver, and does no parameter of cmdline undo it
 * (intel_iommu=off)? false when kver's config is not there. */
bool kconfig_arg_default(const char *kver, const char *arg, char *const *cmdline);

/* The kernel the next boot most likely runs: the newest /boot/config-*
 * (by version order); -ENOENT if there is none. */
int kconfig_next_kernel(char *buf, size_t n);
