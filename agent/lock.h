/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One lock under /run/vfpt/ serialises every run that writes to sysfs, so a
 * PF and its VFs, or two devices of one IOMMU group, are never configured by
 * two runs at once (udevd runs events of different devices in parallel).
 * Waits at most timeout_sec (no signals used). Returns an fd to close,
 * -ETIMEDOUT, or -errno. */
int lock_take(unsigned timeout_sec);
