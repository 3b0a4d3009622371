/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "pci.h"

/* What vfpt did to each device on this boot, so that `apply` can give back
 * what the config no longer wants, and only that: /run/vfpt/taken, written
 * by every run that acts (the initramfs's early apply included: /run is
 * carried into the real root), under the lock. One line a device:
 *
 *   vfpt-taken 1
 *   claim 0000:3b:00.0 8086:1521 from=igb override=vfio-pci
 *   vfs 0000:3b:00.0 8086:10c9 numvfs=4 autoprobe=1
 *   vfset 0000:3b:00.0 vf=1 spoofchk off
 *
 * claim: vfpt wrote driver_override=OVERRIDE, taking the device from FROM
 * ("-": it had no driver then). vfs: vfpt set sriov_numvfs=N on the PF, and
 * changed sriov_drivers_autoprobe from AUTOPROBE ("-": left as it was).
 * vfset: a per-VF setting vfpt set through rtnetlink, as `ip link set DEV
 * vf N` spells it (they go with the VFs). The file is read strictly: a line
 * that is not exactly one of these, a duplicate device, a missing final
 * newline (a write cut short) make the whole record untrusted. */

#define UNDO_DRIVER_MAX 65

struct undo_claim {
        char dev[PCI_ADDR_MAX];
        struct pci_id id;
        char from[UNDO_DRIVER_MAX]; /* "" when it had no driver */
        char override[UNDO_DRIVER_MAX];
};

struct undo_vfs {
        char pf[PCI_ADDR_MAX];
        struct pci_id id;
        unsigned numvfs;
        int autoprobe; /* the value before vfpt changed it, -1 if it did not */
};

struct undo_vfset {
        char pf[PCI_ADDR_MAX];
        unsigned vf;
        char setting[64]; /* "spoofchk off" */
};

struct undo_record {
        struct undo_claim *claims;
        size_t n_claims;
        struct undo_vfs *vfs;
        size_t n_vfs;
        struct undo_vfset *vfsets;
        size_t n_vfsets;
};

/* The record's path: /run/vfpt/taken (below $VFPT_ROOT) */
const char *undo_record_path(void);

/* Parses a record. -EBADMSG with why set ("line 3: unknown keyword 'foo'")
 * when it cannot be trusted; -ENOMEM. */
int undo_record_parse(const char *buf, size_t len, struct undo_record *ret, char *why, size_t n);
/* Loads undo_record_path(): an empty record when there is none; -EBADMSG
 * with why set as above; -errno when it cannot be read. */
int undo_record_load(struct undo_record *ret, char *why, size_t n);
/* The record as the file holds it, newly allocated; NULL on ENOMEM */
char *undo_record_format(const struct undo_record *r);
/* Replaces the file atomically (removes it when the record is empty). */
int undo_record_save(const struct undo_record *r);
void undo_record_free(struct undo_record *r);

struct undo_claim *undo_record_claim(struct undo_record *r, const char *dev);
struct undo_vfs *undo_record_vfs(struct undo_record *r, const char *pf);
/* Adds or updates: a device taken again keeps the driver it was first
 * taken from; a PF's VF count updated keeps its first autoprobe. */
int undo_record_add_claim(struct undo_record *r, const struct undo_claim *c);
int undo_record_add_vfs(struct undo_record *r, const struct undo_vfs *v);
int undo_record_add_vfset(struct undo_record *r, const struct undo_vfset *s);
void undo_record_drop_claim(struct undo_record *r, const char *dev);
/* drops the PF's VF count and its VFs' settings */
void undo_record_drop_vfs(struct undo_record *r, const char *pf);
