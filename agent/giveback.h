/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "device.h"
#include "engine.h"
#include "undo-record.h"

/* Giving back what vfpt took and the config no longer wants, by its record
 * (undo-record.h): only what vfpt itself did, only when nothing uses it.
 *
 * After engine_all() (PLAN or APPLY) on the same engine: every device in
 * rec that the run did not concern (no account: the config no longer names
 * it) is given back, with its steps in the engine and an account of its
 * own (topic "giveback"): a claim's driver_override cleared, the device
 * unbound from its claim driver and reprobed so that its host driver binds;
 * a PF's VFs removed (sriov_numvfs=0) with sriov_drivers_autoprobe as it
 * was. Refused (a failed account: exit 3), the rest still done: a device
 * whose /dev/vfio/N (or /dev/vfio/devices/vfioM) a process holds open, a
 * PF one of whose VFs is held so or has an interface up with an address, a
 * device the config still wants another member of its IOMMU group claimed
 * with. Left alone and said: a device that holds another vendor:device
 * than recorded, a driver_override or VF count someone else changed since.
 * Entries given back or gone are dropped from rec. -ENOMEM only. */
int giveback_run(struct engine *e, struct undo_record *rec);

/* Adds to rec what the engine's APPLY run did (its successful steps):
 * claims (with the driver each was taken from), VF counts (with the
 * autoprobe they replaced), VF settings. 0 or -errno. */
int giveback_note_steps(const struct engine *e, struct undo_record *rec);

/* Would changing the PF's sriov_numvfs pull a VF from under its user? 1 with
 * "VF 0000:3b:10.1: /dev/vfio/21 is open by pid 4242 (qemu-system-x86)" in
 * why, 0 no, -errno cannot tell (why says what could not be read). */
int giveback_vfs_held(const struct pci_dev *pf, char *why, size_t n);
