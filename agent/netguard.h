/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* The network guard: does a PCI device's network interface carry the
 * default route, or any route (an address the host uses, the subnet an admin
 * reaches it through)? Returns 1 with a one-line reason in why, 0 if not,
 * -errno if it cannot tell. */
int net_guard(const char *pci_name, char *why, size_t n);
