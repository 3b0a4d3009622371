/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What vfpt records about boots, so that `status` can tell whether the
 * initramfs carries the config now in /etc and whether a reboot is due:
 *   /var/lib/vfpt/initramfs-KVER  "DIGEST TOOL": written by the dracut module
 *                                 and the initramfs-tools hook at build time
 *   /run/vfpt/boot-config         "DIGEST": written by the early run in the
 *                                 initramfs (systemd keeps /run across the
 *                                 switch to the real root)
 * DIGEST is FNV-1a 64 over each config file's name and content, in the
 * order they are read: a change of any drop-in changes it. */

#define DIGEST_MAX 17

int config_digest(const struct config *c, char out[static DIGEST_MAX]);

int bootstate_record_boot(const char *digest);
/* -ENOENT when the initramfs did not run vfpt this boot */
int bootstate_read_boot(char out[static DIGEST_MAX]);

/* /run/vfpt/disabled: the initramfs part of this boot was off (rd.vfpt=0) */
int bootstate_record_disabled(const char *param);
int bootstate_read_disabled(char *buf, size_t n);

/* What an initramfs carries, recorded by its build (vfpt initramfs-hook) in
 * /var/lib/vfpt/initramfs-KVER as "CONFIG TOOL protected=SET ports=PORTS":
 * SET and PORTS are digests (protected_set_digest, ports_digest) of the
 * protected set and the learnt interface names it carries, "-" when it
 * carries none because they could not be learnt at build time (a chroot,
 * no default route: the boot then defers what it cannot judge). */
struct initramfs_record {
        char config[DIGEST_MAX];
        char tool[32];
        bool has_sets;              /* the record names them (older builds did not) */
        char protected[DIGEST_MAX]; /* "" when none is carried */
        char ports[DIGEST_MAX];     /* "" when none is carried */
};

/* kver: a kernel release (no '/'); tool: "dracut" or "initramfs-tools" */
int bootstate_record_initramfs(const char *kver, const struct initramfs_record *rec);
int bootstate_read_initramfs(const char *kver, struct initramfs_record *ret);

/* The digest of a protected set (address, vendor:device, class, serial and
 * verdict of each device; not the reasons' words), in any order: the
 * learnt one, or the live view protect_scan() gives. */
struct protect_entry;
int protected_set_digest(const struct protect_entry *e, size_t n, char out[static DIGEST_MAX]);
/* The digest of the interface names the config selects by ([sriov IFNAME])
 * and the permanent MAC of the port that has each now ("-" for a name no
 * port has now): what /var/lib/vfpt/ports learns on the up host. */
int ports_digest(const struct config *c, char out[static DIGEST_MAX]);

/* vfpt=off (every part of this boot) or rd.vfpt=0 (the initramfs only): the
 * way back. Returns true with the parameter in force in buf. */
bool vfpt_disabled(bool initrd, char *buf, size_t n);
