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

/* What config space says a device is, readable before any driver binds: the
 * PCI Express Device Serial Number (extended capability 3) as it reads,
 * 00..00 and ff..ff included, "" when the device has none; and the subsystem
 * IDs of a type 0 header, "" when none are set. */
struct config_ident {
        char dsn[SERIAL_MAX];
        char subsys[10];
};
void identity_read_config(const char *name, struct config_ident *ret);
/* No serial: "", or 00-00-... or ff-ff-... (what firmware writes when it has none) */
bool identity_serial_is_none(const char *s);
void identity_of_device(const struct pci_dev *d, struct identity *ret);
void identity_of_entry(const struct protect_entry *e, struct identity *ret);
bool identity_same(const struct identity *a, const struct identity *b);
/* "10de:1db6 class 030000 serial 52-54-..." */
const char *identity_format(const struct identity *i, char *buf, size_t n);
