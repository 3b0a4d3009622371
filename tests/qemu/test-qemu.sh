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
	if ! qemu_backports || ! qemu_backports_kernel; then
		fail "QEMU or the kernel from bookworm-backports could not be had: $(tail -2 "$QDIR/bpo/apt.log")"
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
	run grep -q version.$KVER_BPO /proc/version
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
	# on bookworm-backports' kernel: a kernel newer than the headers vfpt
	# was built with sends rtnetlink attributes those headers do not know
	KERNEL=$KERNEL_BPO BASE_INITRD=$BASE_INITRD_BPO QEMU_BIN=$QEMU_BPO \
		QEMU_DEVICES_OVERRIDE="-device intel-iommu,intremap=on -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4 -device igb,bus=rp1" \
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
	if ! qemu_backports || ! qemu_backports_kernel; then
		fail "QEMU or the kernel from bookworm-backports could not be had: $(tail -2 "$QDIR/bpo/apt.log")"
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
	run grep -q version.$KVER_BPO /proc/version
	status 0
	EXP
	local ov=$TMP/ports-overlay
	mkdir -p "$ov/var/lib/vfpt"
	echo "port eno7 52:54:00:12:34:01 0000:09:00.0 8086:10c9" >"$ov/var/lib/vfpt/ports"
	KERNEL=$KERNEL_BPO BASE_INITRD=$BASE_INITRD_BPO QEMU_OVERLAY=$ov QEMU_BIN=$QEMU_BPO QEMU_DEVICES_OVERRIDE="-device intel-iommu,intremap=on \
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

test_iommu_groups_as_predicted() {
	# Issue 32: one host booted twice. First without the IOMMU (no
	# intel-iommu device, no intel_iommu=): no groups, so vfpt predicts
	# them, as its initramfs hook records them before the reboot that
	# turns the IOMMU on, and plans the next boot. Then with the IOMMU on:
	# the kernel's groups must be the predicted ones, and vfpt status must
	# say so. The topology: a root port with ACS and one endpoint behind it
	# (alone); a multifunction endpoint without ACS behind a root port (its
	# two functions together); a PCIe-to-PCI bridge with two conventional
	# devices (the bridge's group); the two functions of a multifunction
	# root port (ACS: apart); a multifunction integrated device on the root
	# complex and q35's own ICH9 functions (together); a switch whose
	# downstream ports lack ACS in QEMU 7.2 (each port with what is below
	# it, a multifunction endpoint included).
	local rng=0000:01:00.0 mf0=0000:02:00.0 mf1=0000:02:00.1 br=0000:03:00.0 e1000=0000:04:01.0
	local testdev=0000:04:02.0 d b1 b2 t0=$SECONDS
	local topo="-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4 -device virtio-rng-pci,bus=rp1 \
-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x5 \
-device virtio-rng-pci,bus=rp2,addr=0x0.0,multifunction=on -device virtio-rng-pci,bus=rp2,addr=0x0.1 \
-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x6 -device pcie-pci-bridge,id=br3,bus=rp3 \
-device e1000,bus=br3,addr=0x1 -device pci-testdev,bus=br3,addr=0x2 \
-device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x7.0,multifunction=on \
-device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x7.1 -device virtio-rng-pci,bus=rp5 \
-device virtio-rng-pci,bus=pcie.0,addr=0x9.0,multifunction=on -device virtio-rng-pci,bus=pcie.0,addr=0x9.1 \
-device pcie-root-port,id=rp6,bus=pcie.0,chassis=6,addr=0x8 -device x3130-upstream,id=up6,bus=rp6 \
-device xio3130-downstream,id=dn1,bus=up6,addr=0x0,chassis=7 -device virtio-rng-pci,bus=dn1 \
-device xio3130-downstream,id=dn2,bus=up6,addr=0x1,chassis=8 \
-device virtio-rng-pci,bus=dn2,addr=0x0.0,multifunction=on -device virtio-rng-pci,bus=dn2,addr=0x0.1"
	local ov=$TMP/nb-overlay
	mkdir -p "$ov/etc"
	cp "$TOP/tests/qemu/guest/nextboot-groups.sh" "$ov/etc/nextboot-groups.sh"
	cat >"$TMP/conf" <<-CONF
	[vfio]
	devices = $rng $mf0 $testdev
	CONF
	cat >"$TMP/expect" <<-EXP
	run sh /etc/nextboot-groups.sh before
	EXP
	b1=$QDIR/nextboot-1.txt b2=$QDIR/nextboot-2.txt
	QEMU_OVERLAY=$ov QEMU_IOMMU_ARGS="" QEMU_DEVICES_OVERRIDE="$topo" boot nextboot-1
	grep '^VFPT-PLANTEXT ' "$b1" | sed 's/^VFPT-PLANTEXT /#   plan: /'
	grep '^VFPT-PREDICTED ' "$b1" | sed 's/^VFPT-PREDICTED /#   predicted: /'
	grep -q '^VFPT-PREDICTED ' "$b1" || { fail "no prediction recorded before the IOMMU was on: $(grep -E '^VFPT-(NB|HOOK)' "$b1" | tr '\n' ' ')"; return; }
	# the second boot: the same host with the IOMMU on, the prediction in
	# /var/lib/vfpt as the up host kept it
	mkdir -p "$ov/var/lib/vfpt"
	sed -n 's/^VFPT-PREDICTED //p' "$b1" >"$ov/var/lib/vfpt/iommu-groups-predicted"
	cat >"$TMP/expect" <<-EXP
	run sh /etc/nextboot-groups.sh after
	EXP
	QEMU_OVERLAY=$ov QEMU_DEVICES_OVERRIDE="-device intel-iommu,intremap=on $topo" boot nextboot-2
	grep '^VFPT-GROUP ' "$b2" | sed 's/^VFPT-GROUP /#   kernel group: /'
	grep '^VFPT-STATUS .*IOMMU groups' "$b2" | sed 's/^VFPT-STATUS /#   status: /'
	# groups as sets of members, one a line, sorted
	sets() { sed -n "s/^$1 //p" "$2" | while read -r -a m; do printf '%s\n' "${m[@]}" | sort | tr '\n' ' '; echo; done | sort; }
	sets VFPT-PREDICTED "$b1" >"$TMP/nb-predicted"
	sets VFPT-GROUP "$b2" >"$TMP/nb-kernel"
	[ -s "$TMP/nb-kernel" ] || fail "the kernel formed no IOMMU group with the IOMMU on"
	diff "$TMP/nb-predicted" "$TMP/nb-kernel" >"$TMP/nb-diff" ||
		fail "the kernel's groups are not the predicted ones: $(tr '\n' ' ' <"$TMP/nb-diff")"
	# the cases the topology is for, in the kernel's groups
	for d in "$rng " "0000:00:04.0 " "$mf0 $mf1 " "$br $e1000 $testdev " "0000:00:07.0 " "0000:00:07.1 " \
		"0000:00:09.0 0000:00:09.1 " "0000:08:00.0 0000:09:00.0 " "0000:08:01.0 0000:0a:00.0 0000:0a:00.1 "; do
		grep -qx -- "$d" "$TMP/nb-kernel" || fail "no kernel group of exactly: $d"
	done
	# plan before the reboot showed, for each listed device, the group it
	# would be in (predicted), and that group is the kernel's
	sed -n 's/^VFPT-PLAN //p' "$b1" >"$TMP/nb-plan.json"
	python3 - "$TMP/nb-kernel" "$TMP/nb-plan.json" "$rng" "$mf0" "$testdev" >"$TMP/nb-plan" 2>&1 <<-'PY' ||
	import json, sys
	kernel = {tuple(sorted(l.split())) for l in open(sys.argv[1])}
	devs = {d["device"]: d for d in json.load(open(sys.argv[2]))["devices"]}
	bad = []
	for name in sys.argv[3:]:
	    nb = (devs.get(name) or {}).get("next_boot") or {}
	    m = tuple(sorted(nb.get("group_members") or []))
	    if not nb.get("predicted") or m not in kernel:
	        bad.append("%s: next_boot %s" % (name, json.dumps(nb)))
	print("; ".join(bad))
	sys.exit(1 if bad else 0)
	PY
		fail "plan --json before the reboot: $(cat "$TMP/nb-plan")"
	grep -q '^VFPT-STATUS IOMMU groups: as predicted' "$b2" ||
		fail "vfpt status with the IOMMU on does not say the groups are as predicted: $(grep -E '^VFPT-STATUS .*(IOMMU|predicted)' "$b2" | tr '\n' ' ')"
	! grep -q '^VFPT-STATUS IOMMU groups: NOT as predicted' "$b2" || fail "vfpt status reports a misprediction"
	echo "# the two boots took $((SECONDS - t0)) s"
}

# QEMU_TESTS="test_a test_b": only those
for t in ${QEMU_TESTS:-$(declare -F | awk '$3 ~ /^test_/ {print $3}')}; do run_test "$t"; done
finish
