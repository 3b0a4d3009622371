#!/bin/bash
# Part of make bench: in the QEMU guest, time from a PF's bind to both of its
# VFs on vfio-pci, with vfpt's udev rule, and with the hand-written udev rule
# and shell script of the published passthrough guides (tests/bench/guide-overlay).
set -u
cd "$(dirname "$0")/../.." || exit 2
. tests/qemu/lib.sh
qemu_prepare >/dev/null 2>&1 || { echo "QEMU guest: cannot prepare (see build/qemu/dracut.log)"; exit 1; }
tmp=$(mktemp -d /tmp/vfpt-bench-q.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf '[sriov 0000:01:00.0]\nnum_vfs = 2\nvf_driver = vfio-pci\n' >"$tmp/conf"
printf 'bench_rebind 0000:01:00.0 nvme 9 0000:01:00.1 0000:01:00.2\n' >"$tmp/expect"
median() { tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)] " ms (min " a[1] ", max " a[NR] ", n=" NR ")"}'; }
qemu_boot bench-vfpt "$tmp/conf" "$tmp/expect" >/dev/null 2>&1
v=$(grep '^VFPT-BENCH' "$QDIR/bench-vfpt.txt" | sed 's/.*ms://')
QEMU_OVERLAY=$PWD/tests/bench/guide-overlay qemu_boot bench-guide "$tmp/conf" "$tmp/expect" >/dev/null 2>&1
g=$(grep '^VFPT-BENCH' "$QDIR/bench-guide.txt" | sed 's/.*ms://')
echo "QEMU guest (TCG), PF bind -> 2 NVMe VFs on vfio-pci, 9 rebinds each:"
echo "  vfpt udev rule:                  $(echo "$v" | median)"
echo "  guide's udev rule + sh script:   $(echo "$g" | median)"
echo "  raw: vfpt:$v; guide:$g"
