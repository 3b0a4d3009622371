/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Kernel command line parameters judged by the kernel's rules: names match
 * whole (xintel_iommu is not intel_iommu), '-' and '_' are the same in names,
 * and a value is a comma-separated list of options. Words after a lone "--"
 * belong to init.
 *
 * Most parameters are "last one wins". The x86 IOMMU switches are not: the
 * kernel runs their handlers once per occurrence, option by option, and the
 * flags add up (drivers/iommu/intel/iommu.c intel_iommu_setup(),
 * drivers/iommu/amd/init.c parse_amd_iommu_options(),
 * arch/x86/kernel/pci-dma.c iommu_setup(), 6.1 to 6.12):
 * - intel_iommu=: on/off and sm_on/sm_off: the last one; the other options
 *   (igfx_off, strict, ...) stay once given. Options match by prefix, in the
 *   kernel's order (on before off).
 * - iommu=: off is for good (no_iommu); pt/nopt the last one (iommu.passthrough=
 *   too); force (also merge, biomerge, forcesac) / noforce the last one;
 *   usedac ends the occurrence (what follows it in that value is ignored).
 * - amd_iommu=: off anywhere in a value (6.1 scans every position) is for good.
 * - iommu=off turns every IOMMU off; intel_iommu=off and amd_iommu=off their
 *   vendor's, which iommu=pt (passthrough of an IOMMU) then cannot have.
 * - initcall_blacklist=, modprobe.blacklist=, rd.driver.blacklist=,
 *   rd.driver.pre=, rd.driver.post=: every occurrence's items add up, none
 *   conflicts (init/main.c initcall_blacklist(), kmod, dracut).
 * video= is "last one wins" per NAME: video=efifb:off and
 * video=HDMI-A-1:1920x1080 are two parameters to the kernel, video=MODE (no
 * ':') a third (drivers/video/cmdline.c, 6.6 to 6.12; fb_cmdline.c in 6.1);
 * console= per device (console=tty0 console=ttyS0,115200: two consoles). */

/* The CPU the command line is for. intel_iommu= acts on Intel's IOMMU only
 * and amd_iommu= on AMD's (drivers/iommu/intel, drivers/iommu/amd: each
 * detects its own hardware), so intel_iommu=off takes nothing from iommu=pt
 * on AMD, nor amd_iommu=off on Intel. ANY (the default, when vfpt cannot
 * tell): both vendors' off switches count. Set when kernel_args = auto has
 * read the vendor (host.c): vfpt then judges for that CPU. */
enum cmdline_vendor { CMDLINE_VENDOR_ANY, CMDLINE_VENDOR_INTEL, CMDLINE_VENDOR_AMD };
void cmdline_set_vendor(enum cmdline_vendor v);

/* Splits a command line the way the kernel does (blanks, double quotes). */
int cmdline_split(const char *s, char ***ret);
bool cmdline_names_equal(const char *a, const char *b);
/* The same parameter to the kernel: the same name, and for video= the same
 * NAME: (or both global), for console= the same device. */
bool cmdline_same_param(const char *a, const char *b);
/* Index of the last occurrence of arg's parameter in params, or -1. */
int cmdline_find_last(char *const *params, const char *arg);
/* Is arg in effect after the kernel read params? */
bool cmdline_satisfies(char *const *params, const char *arg);
/* The occurrence that stands against arg: for the IOMMU switches the last
 * one with a conflicting option (iommu=off,pt against intel_iommu=on), -1
 * if none stands against it (intel_iommu=igfx_off does not: intel_iommu=on
 * is just missing); for others the last of arg's name, -1 if none. */
int cmdline_conflict(char *const *params, const char *arg);
/* Is arg's name one of those whose occurrences add up (intel_iommu, iommu,
 * amd_iommu)? */
bool cmdline_accumulates(const char *arg);

/* Can the arguments of args all be in effect together, as the kernel reads
 * them (iommu=off,pt cannot; nor intel_iommu=on iommu=off; nor foo=1 foo=2)?
 * -1 if they can, else the index of the first that cannot, with *against
 * the index of the one that stands against it (itself for iommu=off,pt). */
int cmdline_contradiction(char *const *args, int *against);

/* Makes want (not in effect) so in work, a command line changed in place:
 * conflicting options are taken out of every occurrence (an occurrence left
 * with none becomes ""), and the options wanted go where the conflict was
 * in occurrence kept (an index of want's name, or -1); every other option
 * the user wrote stays. *append: want must still be added as a new word.
 * 0 or -ENOMEM. */
int cmdline_fix(char **work, const char *want, int kept, bool *append);

/* One-off parameters: what the boot loader adds for this boot (BOOT_IMAGE=,
 * initrd=), and what a person types at the boot prompt for one boot
 * (vfpt=off, rd.vfpt=0, systemd.unit=, single, emergency, rescue,
 * rd.break, init=, ...), never to be made permanent. */
bool cmdline_is_oneoff(const char *param);
/* The parameter that says this boot is not the system's normal one (a
 * recovery or single-user boot, an installer or a live image), NULL if none. */
const char *cmdline_not_normal(char *const *params);
