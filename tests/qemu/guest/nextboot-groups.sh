#!/bin/sh
# Runs in the guest (test_iommu_groups_as_predicted of test-qemu.sh, by its
# "run" expectation); prints on the console, one prefixed line each, what
# the host compares after both boots.
#   before  the IOMMU is off: there are no groups; vfpt records its
#           prediction as on an up host before its reboot (the initramfs
#           hook does, as dracut -f runs it), and plans the next boot
#   after   the IOMMU is on: the kernel's groups, and what vfpt status says
out=/dev/console
case $1 in
before)
    if [ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ]; then
        echo "VFPT-NB the kernel formed IOMMU groups with the IOMMU off" >$out
        exit 1
    fi
    # the up host: vfpt learns only outside the initramfs (may_learn)
    mv /etc/initrd-release /etc/initrd-release.nb || exit 1
    /usr/sbin/vfpt initramfs-hook "$(cat /proc/sys/kernel/osrelease)" dracut 2>&1 | sed 's/^/VFPT-HOOK /' >$out
    /usr/sbin/vfpt plan --json 2>/dev/null | tr -d '\n' | sed 's/^/VFPT-PLAN /' >$out
    echo >$out
    /usr/sbin/vfpt plan 2>&1 | sed 's/^/VFPT-PLANTEXT /' >$out
    mv /etc/initrd-release.nb /etc/initrd-release
    [ -s /var/lib/vfpt/iommu-groups-predicted ] || exit 1
    grep -v '^#' /var/lib/vfpt/iommu-groups-predicted | sed 's/^/VFPT-PREDICTED /' >$out
    ;;
after)
    n=0
    for g in /sys/kernel/iommu_groups/*; do
        [ -d "$g/devices" ] || continue
        m=""
        for d in "$g"/devices/*; do m="$m ${d##*/}"; done
        echo "VFPT-GROUP${m}" >$out
        n=$((n + 1))
    done
    /usr/sbin/vfpt status 2>&1 | sed 's/^/VFPT-STATUS /' >$out
    [ $n -gt 0 ]
    ;;
*) exit 2 ;;
esac
