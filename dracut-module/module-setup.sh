#!/bin/bash
# dracut module 90vfpt: claim configured PCI devices for vfio-pci before
# udev coldplug loads their host drivers, and carry vfpt's udev rules (SR-IOV
# on PF bind, hotplug) into the initramfs.
#
# VFPT_DESTDIR: take vfpt's files from a staged "make install DESTDIR=..."
# instead of / (packaging, and the QEMU tests).

vfpt_src() {
    printf '%s%s' "${VFPT_DESTDIR:-}" "$1"
}

# Include the module when vfpt is configured; otherwise only when asked (-a vfpt).
check() {
    [ -x "$(vfpt_src /usr/sbin/vfpt)" ] || return 1
    [ -e "${dracutsysrootdir:-}/etc/vfpt.conf" ] && return 0
    for f in "${dracutsysrootdir:-}"/etc/vfpt.conf.d/*.conf; do
        [ -e "$f" ] && return 0
    done
    return 255
}

depends() {
    echo udev-rules
    return 0
}

installkernel() {
    # vfio_pci_core exists from 5.16 on; instmods skips what the kernel lacks
    hostonly='' instmods vfio vfio_iommu_type1 vfio_pci vfio_pci_core vfio_virqfd
}

# moddir is set by dracut when it sources this file
# shellcheck disable=SC2154
install() {
    inst_binary "$(vfpt_src /usr/sbin/vfpt)" /usr/sbin/vfpt
    # vfpt opens libkmod with dlopen() when it loads vfio-pci (udevd's kmod
    # builtin needs it too; this says so explicitly)
    inst_libdir_file "libkmod.so.2*"
    inst_simple "$(vfpt_src /usr/lib/udev/rules.d/70-vfpt.rules)" /usr/lib/udev/rules.d/70-vfpt.rules
    [ -e "${dracutsysrootdir:-}/etc/vfpt.conf" ] && inst_simple /etc/vfpt.conf
    for f in "${dracutsysrootdir:-}"/etc/vfpt.conf.d/*.conf; do
        [ -e "$f" ] && inst_simple "${f#"${dracutsysrootdir:-}"}"
    done
    inst_hook pre-udev 30 "$moddir/vfpt-pre-udev.sh"
}
