/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The network guard, from what the kernel says through rtnetlink (links,
 * addresses, routes of every table, policy rules): does a PCI device's
 * network interface, or one of its VFs', carry a global address (IPv4 /32
 * included, IPv6 global), a route in any table (the default route, a VRF's
 * or a policy table's), or a policy rule? Interfaces stacked on it (bridge,
 * bond, team, VLAN, macvlan, ipvlan) count as its own; a VRF does not (its
 * ports are separate interfaces); an Open vSwitch port counts the internal
 * ports of its bridge (ovs-vsctl), or of every bridge when ovs-vsctl cannot
 * tell. Returns 1 with a one-line reason in why, 0 if not, -errno if it
 * cannot tell. */
int net_guard(const char *pci_name, char *why, size_t n);
/* Evidence that the host's network is up: a default route in any table
 * (not on lo, not unreachable or blackhole). 1 with what it is in why
 * ("default route via 192.0.2.1 dev eno1"), 0 if none, -errno. */
int net_default_route(char *why, size_t n);
/* net_default_route() > 0: until then the network guard cannot tell the
 * uplink from a spare port. */
bool net_routes_seen(void);
/* Is the PCI device's interface up with a global address (on itself or on
 * the bond or bridge it is a port of)? 1, 0, -errno. */
int net_up_with_address(const char *pci_name);
