/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Kernel modules through libkmod: the only module that includes libkmod.h.
 * Loads NAME the way systemd does: look it up (aliases too), skip it when
 * built in or already live, else probe-insert it with the blacklist applied.
 * Returns 1 if it was already there, 0 if loaded now, -ENOENT if no such
 * module, -EPERM if blacklisted, other -errno from the kernel. */
int module_load(const char *name);
/* Is there a driver (module or built in) other than vfio-pci and pci-stub
 * whose aliases match MODALIAS, i.e. will a host driver bind the device?
 * A module blacklisted in modprobe.d will not (udev's kmod builtin loads
 * with the blacklist applied); a built-in driver will all the same. Under
 * $VFPT_ROOT, its modules and modprobe.d directories are the ones read.
 * 1 yes (its name in buf), 0 no, -errno. */
int module_host_driver_for(const char *modalias, char *buf, size_t n);
/* Is there a module NAME for the running kernel (under $VFPT_ROOT's
 * /lib/modules/RELEASE when set), loadable or built in? The release in
 * release_buf. 1 yes, 0 no, -errno (-ENOPKG: no libkmod). */
int module_exists(const char *name, char *release_buf, size_t n);
void module_done(void);
