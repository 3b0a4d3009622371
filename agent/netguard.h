/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The network guard: does a PCI device's network interface carry the
 * default route, or any route (an address the host uses, the subnet an admin
 * reaches it through)? Returns 1 with a one-line reason in why, 0 if not,
 * -errno if it cannot tell. Interfaces stacked on the device's (bond, bridge,
 * VLAN) count as the device's own. */
int net_guard(const char *pci_name, char *why, size_t n);
/* Does this host have a default route (IPv4 or IPv6, not on lo)? Until it
 * has, the network guard cannot tell the uplink from a spare port. */
bool net_routes_seen(void);
