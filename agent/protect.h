/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "device.h"

/* The protected set: the PCI devices this host needs to boot and be reached
 * (the controllers beneath /, /usr, /boot, swap and resume=, and what
 * /etc/fstab will mount; the NICs carrying a default route or an address in
 * use, and the ports beneath a bond, bridge or VLAN that does; the console
 * GPU). The live guards see them on an up host; at boot, before block
 * devices and routes exist, what was learnt on the up host and carried into
 * the initramfs (/var/lib/vfpt/protected) stands in for them.
 *
 * Learnt devices are keyed by address, vendor:device and, where the device
 * has one, its PCI Device Serial Number; the file is keyed to the host by
 * its DMI product UUID. A learnt device found at another address by its
 * serial is still protected; an address whose device no longer matches, or
 * devices of one vendor:device no longer where they were, make the verdict
 * "cannot tell", never "not protected". */

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

/* What can be seen now: block devices and mounts (not in the initramfs),
 * routes (a default route exists, or late). */
bool protect_disk_sees(const struct protect *p);
bool protect_net_sees(const struct protect *p);

/* Learns the protected set from the live guards and records it in
 * /var/lib/vfpt/protected when this is an up host (not the initramfs, not
 * a chroot, routes seen). Returns 1 if written, 0 if not (why says why:
 * unchanged, or why nothing could be learnt), -errno on failure. */
int protect_save(struct protect *p, char *why, size_t n);

/* One device as learnt (or as the live guards see it now). */
struct protect_entry {
        char name[PCI_ADDR_MAX];
        struct pci_id id;
        unsigned class;
        char dsn[24];   /* "52-54-00-..." or "" */
        bool protected;
        char reason[256];
};
/* The live view of every device that is not a VF, as protect_save would
 * record it; *ret freed by the caller. */
int protect_scan(struct protect *p, struct protect_entry **ret, size_t *n);
/* The learnt set as loaded, and why there is none (NULL when there is). */
const struct protect_entry *protect_learnt_entries(const struct protect *p, size_t *n);
const char *protect_learnt_why_not(const struct protect *p);

/* Is this the host that boots, up: not the initramfs, not a chroot? false
 * with the reason in why. */
bool may_learn(char *why, size_t n);
/* Is this process in a chroot (its / is not PID 1's)? -errno if it cannot tell. */
int running_in_chroot(void);
/* In the initramfs (/etc/initrd-release)? */
bool in_initrd(void);
