#!/bin/bash
# Test-only dracut module for the QEMU end-to-end tests: no root file
# system; after udev has settled the guest checks the expectations in
# /etc/vfpt-test.expect, prints the results on the serial console and
# powers off. Lives only in the tests' private dracut copy.
check() { return 255; }
depends() { echo vfpt; return 0; }
# moddir is set by dracut when it sources this file
# shellcheck disable=SC2154
install() {
    inst_multiple cat grep readlink basename sleep dmesg lspci udevadm sed tr head ls stat date ip rmmod modprobe
    inst_simple /usr/share/misc/pci.ids
    inst_simple "$moddir/vfio-open" /usr/bin/vfio-open
    inst_simple "$moddir/vfpttest-check.sh" /usr/bin/vfpttest-check
    inst_hook cmdline 99 "$moddir/vfpttest-root.sh"
    inst_hook pre-mount 99 "$moddir/vfpttest-run.sh"
}
