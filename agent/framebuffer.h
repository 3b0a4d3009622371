/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Boot framebuffers over a device's BARs (GPU hosts): the firmware's
 * framebuffer (efifb, vesafb, the kernel's sysfb "BOOTFB" with simpledrm
 * or simplefb on it) holds part of the BAR the firmware drew into, and
 * vfio-pci then logs "BAR N: can't reserve". Read from /proc/iomem (the
 * ranges and their holders, nested) against sysfs "resource" (the BARs). */

struct fb_hold {
        char holder[64];              /* as /proc/iomem names it: "efifb", "BOOTFB", "simpledrm" */
        int bar;                      /* 0-5 */
        unsigned long long start, end; /* the range it holds */
        const char *arg;              /* the kernel argument that releases it */
        const char *what;             /* what that argument does, per kernel version */
};

/* The framebuffers holding part of device name's BARs: *ret an array of
 * *n (NULL, 0: none). -errno when /proc/iomem or the resource file cannot
 * be read (a range of zeros, /proc/iomem to non-root: -EPERM). */
int framebuffer_holders(const char *name, struct fb_hold **ret, size_t *n);
/* Is the name one of a boot framebuffer's in /proc/iomem? Its release
 * argument and what it does, or NULL. */
const char *framebuffer_release_arg(const char *holder, const char **what);
