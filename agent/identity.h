/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "protect.h"

/* What a PCI device is, as far as config space tells before any driver
 * binds: vendor:device, class, and the PCIe Device Serial Number. An
 * address the config names ([vfio] devices and force, [sriov ADDR]) keeps
 * the identity learnt there on the up host (the protected set) and the one
 * the config pins there (ADDR@VENDOR:DEVICE): another device found at the
 * address (a card added in front renumbers the buses) is refused. */

#define SERIAL_MAX 24

struct identity {
        struct pci_id id;
        unsigned class;
        char serial[SERIAL_MAX]; /* "52-54-00-..."; "" when none (00...00 and ff...ff are none) */
};

/* The PCIe Device Serial Number of a device from its config space
 * (extended capability 3); "" when it has none or it reads 00..00/ff..ff. */
void identity_read_serial(const char *name, char serial[static SERIAL_MAX]);
void identity_of_device(const struct pci_dev *d, struct identity *ret);
void identity_of_entry(const struct protect_entry *e, struct identity *ret);
bool identity_same(const struct identity *a, const struct identity *b);
/* "10de:1db6 class 030000 serial 52-54-..." */
const char *identity_format(const struct identity *i, char *buf, size_t n);
