/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "device.h"

/* A PF's network port, for [sriov mac=...] and [sriov IFNAME]: what its
 * netdev is known by, and the interface names learnt for it on the up host.
 *
 * The permanent MAC is read from the netdev (sysfs address while the kernel
 * says it is the permanent one, addr_assign_type 0; else IFLA_PERM_ADDRESS),
 * which exists from the moment the PF's driver binds: the PF's bind event is
 * where vfpt acts on it, in the initramfs too.
 *
 * An interface name is the host's (udev's net_id, a .link file, an
 * installer's rename): in the initramfs the interface may still have its
 * kernel name, and a new card renumbers the buses that enpXsY names are made
 * of. So each name the config selects by is learnt, on the up host, with the
 * permanent MAC of the port that has it, in /var/lib/vfpt/ports, and carried
 * into the initramfs: a port answers to the name it has now and to the names
 * learnt for its MAC, unless another interface has that name now. */

struct ports;

/* Loads the learnt names (none if the file is absent). */
int ports_open(struct ports **ret);
struct ports *ports_free(struct ports *p);
static inline void ports_freep(struct ports **p) { ports_free(*p); }
#define _cleanup_ports_ _cleanup_(ports_freep)

/* The port of PCI device name (a PF): its interface, permanent MAC and
 * learnt names. A device without an interface gives an empty port (0). The
 * learnt list is owned by the caller: pf_port_done(). */
int port_read(const struct ports *p, const char *name, struct pf_port *ret);
void pf_port_done(struct pf_port *port);

/* The [sriov] rule for device d, by precedence: its port is read only
 * when the config selects by MAC or name. p may be NULL (nothing learnt). */
const struct sriov_rule *sriov_rule_for(const struct config *c, const struct ports *p, const struct pci_dev *d);

/* Records, for each [sriov IFNAME] of the config, the port that has that
 * name now, keeping what was learnt for names not seen now. Only on an up
 * host (not the initramfs, not a chroot). 1 if written, 0 if not (why says
 * why), -errno. */
int ports_save(const struct config *c, char *why, size_t n);

