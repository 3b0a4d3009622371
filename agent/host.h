/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Facts about the running host: /proc, the firmware (DMI, ACPI), where this
 * process runs (the initramfs, a chroot, namespaces). */

#include <stdbool.h>
#include <stddef.h>

/* The running kernel's parameters (/proc/cmdline), split. */
int host_cmdline(char ***ret);
/* kernel_args of the config as this CPU needs them ("auto" resolved). */
struct config;
int host_kernel_args(const struct config *c, char ***ret);

/* Is this the host that boots, up: not the initramfs, not a chroot, in PID
 * 1's mount, PID and network namespaces, and that PID namespace the
 * kernel's first? false with the reason in why. */
bool may_learn(char *why, size_t n);
/* Are this process's mnt, pid and net namespaces PID 1's, and the PID
 * namespace the kernel's initial one? 1 yes, 0 no (why), -errno when
 * /proc/1/ns cannot be read (why). */
int host_namespaces(char *why, size_t n);
/* Is this process in a chroot (its / is not PID 1's)? -errno if it cannot tell. */
int running_in_chroot(void);
/* In the initramfs (/etc/initrd-release)? */
bool in_initrd(void);

/* The host identity a learnt protected set is tied to: "dmi:UUID" from the
 * firmware, else "machine-id:ID" (/etc/machine-id, which the initramfs must
 * then carry), else "" with why. */
void host_identity(char buf[static 80], char *why, size_t n);
/* Is s a host identity host_identity could have written? */
bool host_identity_valid(const char *s);
/* Does the kernel command line (or the firmware's NBFT) ask for a network
 * root, so that the initramfs brings a NIC up for it? */
bool host_asks_netroot(void);
