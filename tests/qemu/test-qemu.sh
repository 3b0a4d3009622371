#!/bin/bash
# End to end on a real kernel: Debian's kernel and a dracut initramfs with
# vfpt's module boot in QEMU (TCG) on a q35 machine with an Intel IOMMU, an
# SR-IOV NVMe controller, a second NVMe controller, an e1000e, and an e1000
# and a pci-testdev sharing one IOMMU group behind a PCIe-to-PCI bridge.
# Every assertion is made inside the guest (tests/qemu/guest), which prints
# "VFPT-TEST ok|not ok" lines on the serial console and powers off.
# QEMU_TESTS="test_late_claim ..." runs only the scenarios named.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

PF=0000:01:00.0 VF0=0000:01:00.1 VF1=0000:01:00.2 NV2=0000:02:00.0 E1000E=0000:03:00.0
E1000=0000:05:01.0 TESTDEV=0000:05:02.0

if ! qemu_prepare; then
	echo "not ok qemu_prepare"
	echo "0 passed, 1 failed"
	exit 1
fi

# boot NAME [APPEND] [SMP]: config in $TMP/conf, expectations in $TMP/expect
boot() {
	qemu_boot "$1" "$TMP/conf" "$TMP/expect" "${2:-}" "${3:-2}"
	local rc=$? log=$QDIR/$1.txt
	echo "# $1: guest ran ${BOOT_SECONDS}s (smp ${3:-2}); serial log $log"
	grep -E '^VFPT-TEST (ok|not ok)' "$log" | sed 's/^VFPT-TEST /#   /'
	[ $rc = 0 ] || fail "qemu exited $rc"
	grep -q '^VFPT-TEST-END [1-9][0-9]* passed, 0 failed' "$log" || fail "guest: $(grep -E '^VFPT-TEST not ok|^VFPT-TEST-END' "$log" | tr '\n' ' ')"
}

sriov_conf() {
	cat >"$TMP/conf" <<-CONF
	[sriov $PF]
	num_vfs = 2
	vf_driver = vfio-pci
	[vfio]
	devices = $NV2
	ids = 8086:10d3
	owner = 65534
	group = 65534
	mode = 0660
	CONF
	cat >"$TMP/expect" <<-EXP
	driver $PF nvme
	numvfs $PF 2
	driver $VF0 vfio-pci
	driver $VF1 vfio-pci
	no_kmsg pci function ($VF0|$VF1)
	vfio_node $VF0
	vfio_node $VF1
	node_perms $VF0 65534 65534 660
	node_perms $NV2 65534 65534 660
	driver $NV2 vfio-pci
	no_kmsg pci function $NV2
	vfio_open $VF0
	vfio_open $VF1
	vfio_open $NV2
	kmsg vfpt: $PF: sriov_numvfs 0 -> 2
	driver $E1000E e1000e
	kmsg vfpt: $E1000E: deferred: cannot tell yet whether it carries the host's network
	status 1
	EXP
}

test_sriov_vfs_and_claims() {
	sriov_conf
	boot sriov
}

test_sriov_vfs_and_claims_1cpu() {
	sriov_conf
	boot sriov-1cpu "" 1
}

test_initramfs_tools() {
	# Debian's other framework: mkinitramfs with vfpt's hook and init-top script
	if ! qemu_prepare_itools; then
		fail "mkinitramfs: $(tail -3 "$QDIR/itools.log")"
		return
	fi
	sriov_conf
	BASE_INITRD=$ITOOLS_INITRD boot initramfs-tools
}

test_demo_ignores_this_machines_vfpt_state() {
	# make demo on a machine where vfpt is configured (issue 16). In a private
	# mount namespace (nothing of this machine changes, even if the test
	# dies) /etc gets what such a host has: a drop-in wanting 3 VFs of the
	# demo's PF, a modprobe.d that keeps nvme off, vfpt's udev rule masked.
	# The demo must give its own result, 2 VFs on vfio-pci, as if none of it
	# were there. The kernel is shared, the rest is built afresh in $TMP/q.
	local dropin=/etc/vfpt.conf.d/50-vfpt-qemu-test.conf rc
	mkdir -p "$TMP/etc-up" "$TMP/etc-work" "$TMP/q"
	ln -s "$QDIR/deb" "$TMP/q/deb"
	ln -s "$QDIR/kernel" "$TMP/q/kernel"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m bash -ec '
		mount -t overlay overlay -o lowerdir=/etc,upperdir="$1",workdir="$2" /etc
		mkdir -p /etc/vfpt.conf.d /etc/modprobe.d /etc/udev/rules.d
		printf "[sriov 0000:01:00.0]\nnum_vfs = 3\nvf_driver = host\n" >"$3"
		printf "blacklist nvme\ninstall nvme /bin/false\n" >/etc/modprobe.d/50-vfpt-qemu-test.conf
		: >/etc/udev/rules.d/70-vfpt.rules
		grep -q "num_vfs = 3" "$3"
		QDIR=$4 "$5/tests/demo.sh" "$6"
	' sh "$TMP/etc-up" "$TMP/etc-work" "$dropin" "$TMP/q" "$TOP" "$(dirname "$VFPT")" >"$TMP/demo.out" 2>&1
	rc=$?
	sed -n '/^== checks made in the guest/,$p' "$TMP/demo.out" | sed 's/^/# /'
	[ $rc = 0 ] || fail "make demo with this machine's vfpt state present exited $rc: $(grep -E 'not ok|qemu:' "$TMP/demo.out" | tr '\n' ' ')"
	grep -qx '  ok - 0000:01:00.0 sriov_numvfs=2' "$TMP/demo.out" || fail "the guest has not the demo's 2 VFs"
	[ ! -e "$dropin" ] || fail "$dropin is on this machine after the test"
}

test_late_claim() {
	# nvme loaded before udev (rd.driver.pre): it binds both controllers first
	sriov_conf
	sed -i '/^ids =/d' "$TMP/conf"
	cat >"$TMP/expect" <<-EXP
	kmsg pci function $NV2
	kmsg vfpt: $NV2: late claim: was bound to nvme, unbound
	driver $NV2 vfio-pci
	vfio_open $NV2
	driver $PF nvme
	numvfs $PF 2
	driver $VF0 vfio-pci
	driver $VF1 vfio-pci
	no_kmsg pci function ($VF0|$VF1)
	status 0
	EXP
	boot late-claim rd.driver.pre=nvme
}

test_pci_stub_claim() {
	# a claim driver other than vfio-pci: pci-stub holds the second NVMe
	# controller from the initramfs on (nvme never probes it); no /dev/vfio
	# node, so owner/mode are not looked at; the SR-IOV PF stays on nvme
	cat >"$TMP/conf" <<-CONF
	[vfio]
	devices = $NV2
	driver = pci-stub
	owner = 65534
	mode = 0600
	CONF
	cat >"$TMP/expect" <<-EXP
	driver $NV2 pci-stub
	override $NV2 pci-stub
	no_kmsg pci function $NV2
	kmsg pci-stub $NV2: claimed by stub
	kmsg vfpt: $NV2: claimed for pci-stub
	driver $PF nvme
	status 0
	EXP
	boot pci-stub
}

test_iommu_group_strict() {
	# e1000 shares the group of the pci-testdev; at the pre-udev claim it is
	# not bound yet, but its module will bind it moments later
	cat >"$TMP/conf" <<-CONF
	[global]
	iommu_group = strict
	[vfio]
	devices = $TESTDEV
	CONF
	cat >"$TMP/expect" <<-EXP
	driver $E1000 e1000
	driver $TESTDEV none
	override $TESTDEV (null)
	kmsg vfpt: $TESTDEV: IOMMU group [0-9]+ is not viable: $E1000 \(e1000, binds when its module loads\) is on a host driver
	status 1
	EXP
	boot group-strict
}

test_iommu_group_group() {
	cat >"$TMP/conf" <<-CONF
	[global]
	iommu_group = group
	[vfio]
	devices = $TESTDEV
	# a NIC: at boot, with nothing learnt, only force lets the group take it
	force = $E1000
	CONF
	cat >"$TMP/expect" <<-EXP
	driver $TESTDEV vfio-pci
	driver $E1000 vfio-pci
	kmsg vfpt: $E1000: in IOMMU group [0-9]+ of $TESTDEV
	kmsg vfpt: $TESTDEV: claimed for vfio-pci
	no_kmsg e1000 $E1000
	vfio_open $TESTDEV
	status 0
	EXP
	boot group-group
}

test_iommu_group_strict_bound_companion() {
	# e1000 loaded before udev (rd.driver.pre): bound when vfpt looks
	cat >"$TMP/conf" <<-CONF
	[vfio]
	devices = $TESTDEV
	CONF
	cat >"$TMP/expect" <<-EXP
	driver $E1000 e1000
	driver $TESTDEV none
	kmsg vfpt: $TESTDEV: IOMMU group [0-9]+ is not viable: $E1000 \(e1000\) is on a host driver
	EXP
	boot group-strict-bound rd.driver.pre=e1000
}

test_igb_vf_settings_qemu_backports() {
	# per-VF settings through rtnetlink on the 82576 PF's netdev: set in
	# the PF's bind event, set again after a driver reload (the netdev's
	# add event, then the bind event that recreates the VFs); link_state is
	# refused (igb has no ndo_set_vf_link_state) and the others still apply
	if ! qemu_backports; then
		fail "QEMU from bookworm-backports could not be had: $(tail -2 "$QDIR/bpo/apt.log")"
		return
	fi
	local pf=0000:01:00.0 vf0=0000:01:10.0 vf1=0000:01:10.2
	local vf0_re='vf 0 .*link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking off, link-state auto, trust on'
	local vf1_re='vf 1 .*link/ether 02:00:00:00:01:01 brd ff:ff:ff:ff:ff:ff, vlan 100, spoof checking off, link-state auto, trust on'
	cat >"$TMP/conf" <<-CONF
	[sriov 8086:10c9]
	num_vfs = 2
	vf_driver = vfio-pci
	spoofchk = off
	trust = on
	[sriov-vf 8086:10c9 1]
	mac = 02:00:00:00:01:01
	vlan = 100
	link_state = disable
	CONF
	cat >"$TMP/expect" <<-EXP
	driver $pf igb
	numvfs $pf 2
	driver $vf0 vfio-pci
	driver $vf1 vfio-pci
	iplink $pf $vf0_re
	iplink $pf $vf1_re
	kmsg vfpt: $pf: VF 1: cannot set state disable: Operation not supported
	kmsg vfpt: $pf: 1 of 7 VF settings could not be set on
	status 1
	run rmmod igb
	run modprobe igb
	wait $pf igb
	wait $vf0 vfio-pci
	wait $vf1 vfio-pci
	iplink $pf $vf0_re
	iplink $pf $vf1_re
	show
	EXP
	QEMU_BIN=$QEMU_BPO QEMU_DEVICES_OVERRIDE="-device intel-iommu,intremap=on -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4 -device igb,bus=rp1" \
		boot igb-vf-settings
	grep '^VFPT-IPLINK .* vf [01] ' "$QDIR/igb-vf-settings.txt" | sed 's/^/#   /'
}

test_igb_pf_selectors_in_initramfs_qemu_backports() {
	# The NIC of the classic passthrough guides (QEMU 8+ emulates it, from
	# bookworm-backports: tests/qemu/lib.sh qemu_backports), its VFs on
	# vfio-pci and never on igbvf, with the PFs selected by port
	# (igb-vf-settings selects by ID), in the initramfs, where interfaces have their, in the initramfs, where interfaces have their
	# kernel names: one 82576 by its permanent MAC, the other by the name the
	# up host gave it (eno7), learnt with its MAC at the address it had
	# before a card was added (/var/lib/vfpt/ports, as the dracut module
	# carries it)
	if ! qemu_backports; then
		fail "QEMU from bookworm-backports could not be had: $(tail -2 "$QDIR/bpo/apt.log")"
		return
	fi
	local p1=0000:01:00.0 p2=0000:02:00.0
	cat >"$TMP/conf" <<-CONF
	[sriov mac=52:54:00:12:34:02]
	num_vfs = 2
	vf_driver = vfio-pci
	[sriov eno7]
	num_vfs = 1
	vf_driver = vfio-pci
	CONF
	cat >"$TMP/expect" <<-EXP
	driver $p1 igb
	driver $p2 igb
	numvfs $p1 1
	numvfs $p2 2
	driver 0000:01:10.0 vfio-pci
	driver 0000:02:10.0 vfio-pci
	driver 0000:02:10.2 vfio-pci
	no_kmsg igbvf 0000:0[12]:10
	vfio_open 0000:01:10.0
	vfio_open 0000:02:10.2
	kmsg vfpt: $p1: sriov_numvfs 0 -> 1
	kmsg vfpt: $p2: sriov_numvfs 0 -> 2
	status 0
	EXP
	local ov=$TMP/ports-overlay
	mkdir -p "$ov/var/lib/vfpt"
	echo "port eno7 52:54:00:12:34:01 0000:09:00.0 8086:10c9" >"$ov/var/lib/vfpt/ports"
	QEMU_OVERLAY=$ov QEMU_BIN=$QEMU_BPO QEMU_DEVICES_OVERRIDE="-device intel-iommu,intremap=on \
-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4 -device igb,bus=rp1,mac=52:54:00:12:34:01 \
-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x5 -device igb,bus=rp2,mac=52:54:00:12:34:02" \
		boot igb-selectors
}

test_bad_config_boot_goes_on() {
	cat >"$TMP/conf" <<-CONF
	[sriov $PF]
	num_vfs = lots
	[vfio]
	devices = $NV2
	CONF
	cat >"$TMP/expect" <<-EXP
	kmsg vfpt: /etc/vfpt.conf:2: num_vfs: 'lots' is not a decimal number
	driver $PF nvme
	driver $NV2 nvme
	numvfs $PF 0
	EXP
	boot bad-config
}

# QEMU_TESTS="test_a test_b": only those
for t in ${QEMU_TESTS:-$(declare -F | awk '$3 ~ /^test_/ {print $3}')}; do run_test "$t"; done
finish
