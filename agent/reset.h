/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "pci.h"

/* How a device can be reset for a guest (GPU hosts): the kernel's
 * reset_method (sysfs, 5.15+) and what a bus reset would take with it. */

struct config;

struct reset_info {
        bool known;      /* reset_method was read (kernel 5.15+, and the device has one) */
        bool none;       /* the kernel offers no reset method at all (no reset file) */
        char **methods;  /* in the kernel's order: flr, af_flr, pm, bus, device_specific, acpi, cxl_bus */
        bool flr;        /* a function-level reset: flr or af_flr */
        char bridge[PCI_ADDR_MAX]; /* whose secondary bus reset resets it; "" on a root bus */
        char **bus_also; /* the host's devices that reset resets too: "0000:01:00.1 (snd_hda_intel)" */
};

/* Reads device name's reset methods; c (may be NULL): the config, whose
 * listed devices do not count as the host's. 0 or -errno. */
int reset_read(const struct config *c, const char *name, struct reset_info *ret);
void reset_info_done(struct reset_info *r);
/* The warning for a device without a function-level reset, one clause
 * without the device's name; NULL when it has one. Newly allocated. */
char *reset_warning(const struct reset_info *r);
