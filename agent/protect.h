/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "host.h"

/* The protected set: the PCI devices this host needs to boot and be reached
 * (the controllers beneath /, /usr, /boot, swap and resume=, and what
 * /etc/fstab will mount; the NICs carrying a default route or an address in
 * use, and the ports beneath a bond, bridge or VLAN that does; the console
 * GPU). The live guards see them on an up host; at boot, before block
 * devices and routes exist, what was learnt on the up host and carried into
 * the initramfs (/var/lib/vfpt/protected) stands in for them.
 *
 * Learnt devices are recorded by address, vendor:device, subsystem IDs,
 * class and, where the device has one, its PCI Express Device Serial Number;
 * the file is keyed to the host by its DMI product UUID (or /etc/machine-id
 * where the firmware's UUID is a placeholder), carries a format version and a
 * checksum, and must be root's and writable by no one else. At boot a device
 * is identified by its serial together with its function number, vendor:device
 * and subsystem IDs, when exactly one learnt device had that key (every
 * function of a multi-function device reports function 0's serial; zero and
 * all-ones serials identify nothing); otherwise by its position, only where
 * that is proof: no twin of one vendor:device could have taken the place of
 * a protected device. Anything else is "cannot tell", never "not
 * protected". */

enum protect_verdict {
        PROTECT_NO,      /* the host does not need it, as far as can be seen now */
        PROTECT_YES,     /* the host needs it */
        PROTECT_UNKNOWN, /* cannot be told at this moment (boot, nothing learnt) */
};

struct protect;

/* late (vfpt-late.service): the learnt uplink up with its address is evidence
 * of the network as well as a default route */
int protect_open(bool late, struct protect **ret);
struct protect *protect_free(struct protect *p);
static inline void protect_freep(struct protect **p) { protect_free(*p); }
#define _cleanup_protect_ _cleanup_(protect_freep)

/* The verdict for d, with a one-line reason in why for YES and UNKNOWN. */
enum protect_verdict protect_check(struct protect *p, const struct pci_dev *d, char *why, size_t n);

/* How the learnt set knows a device at boot. */
enum protect_basis {
        PROTECT_BASIS_NONE,     /* it cannot tell (why says why) */
        PROTECT_BASIS_SERIAL,   /* its serial number, function and IDs: one learnt device had them */
        PROTECT_BASIS_POSITION, /* its address: no twin could have taken the place of a protected device */
};
/* The learnt set's verdict for d alone, as the boot sees it before the live
 * guards can, with its basis; why is the reason (YES), or why it cannot
 * tell (UNKNOWN), or how it knows (NO). */
enum protect_verdict protect_learnt_verdict(struct protect *p, const struct pci_dev *d, enum protect_basis *basis,
                                            char *why, size_t n);
/* The present devices that are not VFs, as read for the verdicts. */
int protect_present(struct protect *p, const struct pci_dev **ret, size_t *n);
/* Is the class one whose claim defers when nothing can tell (storage,
 * including SD/eMMC hosts; network, InfiniBand)? */
bool protect_class_defers(unsigned class);

/* What can be seen now: block devices and mounts (not in the initramfs),
 * routes (a default route exists, or late). */
bool protect_disk_sees(const struct protect *p);
bool protect_net_sees(const struct protect *p);

/* Learns the protected set from the live guards and records it in
 * /var/lib/vfpt/protected when this is an up host (not the initramfs, not
 * a chroot nor another mount, PID or network namespace than PID 1's, routes
 * seen, a host identity). Returns 1 if written, 2 if the file held it
 * already, 0 if nothing could be learnt (why says why), -errno on failure.
 * A file that is not trusted (owner, mode, not a regular file) is replaced. */
int protect_save(struct protect *p, char *why, size_t n);

/* One device as learnt (or as the live guards see it now). */
struct protect_entry {
        char name[PCI_ADDR_MAX];
        struct pci_id id;
        unsigned class;
        char dsn[24];   /* "52-54-00-..." or "" */
        char subsys[10]; /* subsystem vendor:device, "" where none */
        bool protected;
        char reason[256];
};
/* The live view of every device that is not a VF, as protect_save would
 * record it; *ret freed by the caller. */
int protect_scan(struct protect *p, struct protect_entry **ret, size_t *n);
/* The learnt set as loaded, and why there is none (NULL when there is). */
const struct protect_entry *protect_learnt_entries(const struct protect *p, size_t *n);
const char *protect_learnt_why_not(const struct protect *p);
/* The host identity the set is tied to ("dmi:UUID", "machine-id:ID"), "" if none. */
const char *protect_host_key(const struct protect *p);
