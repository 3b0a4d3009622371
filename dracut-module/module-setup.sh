#!/bin/bash
# dracut module 90vfpt: claim configured PCI devices for vfio-pci before
# udev coldplug loads their host drivers, and carry vfpt's udev rules (SR-IOV
# on PF bind, hotplug) into the initramfs.
#
# VFPT_DESTDIR: take vfpt's files from a staged "make install DESTDIR=..."
# instead of / (packaging, and the QEMU tests).
# VFPT_ROOT: take the installed system's vfpt files (/etc/vfpt.conf,
# /etc/vfpt.conf.d/) from below this directory instead of the host's own /,
# as vfpt itself does (image builders, and the QEMU tests, which must never
# carry the build host's config). Like every path dracut installs, it is
# below dracut's --sysroot when one is given.

vfpt_src() {
    printf '%s%s' "${VFPT_DESTDIR:-}" "$1"
}

# the installed system's /etc as this build sees it
vfpt_etc() {
    printf '%s%s/etc' "${dracutsysrootdir:-}" "${VFPT_ROOT:-}"
}

# Include the module when vfpt is configured; otherwise only when asked (-a vfpt).
check() {
    local etc f
    [ -x "$(vfpt_src /usr/sbin/vfpt)" ] || return 1
    etc=$(vfpt_etc)
    for f in "$etc"/vfpt.conf "$etc"/vfpt.conf.d/*.conf; do
        [ -e "$f" ] && return 0
    done
    return 255
}

depends() {
    echo udev-rules
    return 0
}

# the vfio-pci variant drivers the config names (vf_driver, [vfio] driver)
vfpt_variants() {
    local etc
    etc=$(vfpt_etc)
    for f in "$etc"/vfpt.conf "$etc"/vfpt.conf.d/*.conf; do [ -f "$f" ] && cat "$f"; done 2>/dev/null |
        sed -n 's/^[[:space:]]*\(vf_\)\{0,1\}driver[[:space:]]*=[[:space:]]*\([a-z0-9_-]*[_-]vfio[_-]pci\)[[:space:]]*$/\2/p' |
        tr - _ | sort -u
}

installkernel() {
    # vfio_pci_core exists from 5.16 on; instmods skips what the kernel lacks.
    # pci_stub and the variants named in the config: the other claim drivers
    # shellcheck disable=SC2046
    hostonly='' instmods vfio vfio_iommu_type1 vfio_pci vfio_pci_core vfio_virqfd pci_stub $(vfpt_variants)
}

# moddir is set by dracut when it sources this file
# shellcheck disable=SC2154
install() {
    inst_binary "$(vfpt_src /usr/sbin/vfpt)" /usr/sbin/vfpt
    # vfpt opens libkmod with dlopen() when it loads vfio-pci (udevd's kmod
    # builtin needs it too; this says so explicitly), libudev when it reads
    # a device, libmnl for the per-VF settings and libblkid for the disk
    # guard's UUID=/LABEL= names: inst_binary cannot see them
    inst_libdir_file "libkmod.so.2*" "libudev.so.1*" "libmnl.so.0*" "libblkid.so.1*"
    inst_simple "$(vfpt_src /usr/lib/udev/rules.d/70-vfpt.rules)" /usr/lib/udev/rules.d/70-vfpt.rules
    local etc f
    etc=$(vfpt_etc)
    for f in "$etc"/vfpt.conf "$etc"/vfpt.conf.d/*.conf; do
        [ -f "$f" ] && inst_simple "${f#"${dracutsysrootdir:-}"}" "/etc${f#"$etc"}"
    done
    # On an up host, learn the protected set (the devices this host needs to
    # boot: at boot no block device or route exists yet) and the ports behind
    # [sriov IFNAME], and record which config, set and ports this initramfs
    # carries (vfpt status compares). vfpt prints the state files that are
    # current, and says on stderr why one could not be learnt: a set that is
    # not current is not carried (the boot then defers what it cannot judge).
    local state states root
    root="${dracutsysrootdir:-}${VFPT_ROOT:-}"
    # shellcheck disable=SC2154
    if ! states=$(VFPT_ROOT="$root" "$(vfpt_src /usr/sbin/vfpt)" initramfs-hook "$kernel" dracut); then
        dwarn "vfpt: 'vfpt initramfs-hook $kernel dracut' failed: the initramfs carries what it printed as current (${states:-nothing})"
    fi
    for state in $states; do
        case $state in
            protected | ports)
                [ -e "$root/var/lib/vfpt/$state" ] &&
                    inst_simple "${VFPT_ROOT:-}/var/lib/vfpt/$state" "/var/lib/vfpt/$state"
                ;;
        esac
    done
    # the host key of the protected set where the DMI UUID is a placeholder
    [ -e "$root/etc/machine-id" ] && inst_simple "${VFPT_ROOT:-}/etc/machine-id" /etc/machine-id
    inst_hook pre-udev 30 "$moddir/vfpt-pre-udev.sh"
}
