/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Making kernel arguments effective for the next boot: the boot loader's
 * generated configuration and the places that hold a command line of their
 * own (BLS entries, grubenv kernelopts, /etc/kernel/cmdline). Paths are
 * below $VFPT_ROOT (tests, image builders). External tools run with an
 * argv, never through a shell. */

/* The tool that regenerates grub.cfg here, as an argv (NULL-terminated,
 * static storage). -ENOENT if there is none. */
int bootcfg_tool(const char *const **ret_argv);
/* Runs it; on failure *err holds its stderr (or why it could not run). */
int bootcfg_regenerate(char **err);

/* BLS entries' options lines (or grubenv kernelopts where they use
 * $kernelopts) and /etc/kernel/cmdline get want. dry: count only. Returns
 * the number of files changed (or that would be), -errno with *failed set
 * to the file concerned. */
int bootcfg_patch_cmdlines(char *const *want, bool bls, bool dry, char ***changed, char **failed);

/* systemd-boot and other kernel-install users: the type #1 entries below
 * /efi, /boot and /boot/efi (loader/entries/ *.conf) get want. As above. */
int bootcfg_patch_loader_entries(char *const *want, bool dry, char ***changed, char **failed);

/* The boot loader in use, told from what is installed below $VFPT_ROOT. */
enum bootloader_kind {
        BOOTLOADER_GRUB,            /* files: /etc/default/grub [+ grub.d drop-ins] */
        BOOTLOADER_PROXMOX_GRUB,    /* the same, ESPs refreshed by proxmox-boot-tool */
        BOOTLOADER_PROXMOX,         /* files: /etc/kernel/cmdline; proxmox-boot-tool refresh */
        BOOTLOADER_KERNEL_INSTALL,  /* files: /etc/kernel/cmdline; kernel-install add per kernel */
};

struct bootloader {
        enum bootloader_kind kind;
        const char *name;  /* for people: "GRUB", "systemd-boot (kernel-install)", ... */
        char *evidence;    /* what it was told from (or, on failure, why it could not be) */
        bool grub_d;       /* grub-mkconfig sources /etc/default/grub.d/ *.cfg after /etc/default/grub */
        char **files;      /* what it reads, in order (rooted paths) */
};

struct bootloader *bootloader_free(struct bootloader *b);
static inline void bootloader_freep(struct bootloader **b) { bootloader_free(*b); }

/* 0; -ENOENT when no known boot loader is installed, -ENOTUNIQ when
 * several are and nothing says which one boots (*ret then holds only
 * evidence saying so); -errno. */
int bootcfg_detect(struct bootloader **ret);

/* Runs the boot loader's refresh tool (update-grub and friends, kernel-install
 * add for each installed kernel, proxmox-boot-tool refresh), chrooted into
 * $VFPT_ROOT when set; *tool names it; on failure *err holds its output. */
int bootcfg_refresh(const struct bootloader *b, char **err, const char **tool);

/* What the boot configuration gives the kernel at the next boot: GRUB's
 * generated grub.cfg, its default entry's linux line (BLS: the default
 * entry's options, $kernelopts from grubenv); systemd-boot's newest entry;
 * else /etc/kernel/cmdline (UKIs, proxmox-boot-tool's ESPs). *source names
 * the file. -ENOENT when there is nothing to read. */
int bootcfg_next_boot(char ***ret, char **source);

/* The IOMMUs the kernel registered (/sys/class/iommu: dmar0, ivhd0, ...). */
int bootcfg_iommu_units(char ***ret);
