#!/bin/bash
# make demo: the main job for real. Boots Debian's kernel in QEMU (q35, Intel
# IOMMU, SR-IOV NVMe) from a dracut initramfs holding vfpt and
# examples/vfpt.conf, and shows from inside the guest what vfpt made of it.
# Nothing of this machine's vfpt state (its /etc/vfpt.conf*, its devices) is
# read: check-config runs on a fixture host shaped like the guest, the guest's
# initramfs holds the example only (tests/qemu/lib.sh).
set -u
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
. tests/qemu/lib.sh
. tests/fixture/host.sh
. tests/fixture/demo-host.sh
tmp=$(mktemp -d /tmp/vfpt-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "== examples/vfpt.conf"
grep -v '^#' examples/vfpt.conf | sed '/^$/d'
echo
echo "== vfpt check-config, on a host shaped like the guest"
demo_host "$tmp/host"
fx_run "$B/vfpt" --config examples/vfpt.conf check-config || exit 2
echo
qemu_prepare || exit 1
cat >"$tmp/expect" <<'EXP'
driver 0000:01:00.0 nvme
numvfs 0000:01:00.0 2
driver 0000:01:00.1 vfio-pci
driver 0000:01:00.2 vfio-pci
driver 0000:02:00.0 vfio-pci
no_kmsg pci function (0000:01:00.1|0000:01:00.2|0000:02:00.0)
vfio_open 0000:01:00.1
vfio_open 0000:01:00.2
vfio_open 0000:02:00.0
show
EXP
echo "== booting the guest (QEMU, TCG, kernel $KVER)"
qemu_boot demo examples/vfpt.conf "$tmp/expect"
rc=$?
log=$QDIR/demo.txt
echo "== from inside the guest, ${BOOT_SECONDS}s after power-on:"
sed -n '/^VFPT-SHOW-BEGIN/,/^VFPT-SHOW-END/p' "$log" | sed '1d;$d' |
	awk '/^# lspci/ {l=1; print; next} /^# / {l=0} l && /^[0-9a-f][0-9a-f]:/ {show = ($1 ~ /^0[12]:00/)} !l || show'
echo
echo "== checks made in the guest"
grep -E '^VFPT-TEST (ok|not ok)' "$log" | sed 's/^VFPT-TEST /  /'
grep '^VFPT-TEST-END' "$log" | sed 's/^VFPT-TEST-END/  /'
[ $rc = 0 ] && grep -q '^VFPT-TEST-END [0-9]* passed, 0 failed' "$log"
