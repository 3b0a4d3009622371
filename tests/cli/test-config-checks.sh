#!/bin/bash
# check-config and plan judge the config against the host that is there and
# exit as apply would; the config's own rules (comments, FIFOs, provenance,
# [vfio] nodes) as a user meets them on the command line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fixture/host.sh"

# a host with an SR-IOV NIC (4 VFs at most), a NIC without SR-IOV, a bridge,
# and a second SR-IOV NIC with no network interface
fx_init "$TMP/h"
fx_driver vfio-pci
fx_dev 0000:00:00.0 8086:29c0 class=0x060000 group=0
fx_dev 0000:00:01.0 1b36:000c class=0x060400 driver=pcieport group=1
fx_dev 0000:01:00.0 8086:1521 class=0x020000 driver=igb group=3 totalvfs=4 offset=1 stride=1
fx_dev 0000:02:00.0 8086:1533 class=0x020000 driver=igb group=4
fx_dev 0000:03:00.0 8086:1528 class=0x020000 driver=ixgbe group=5 totalvfs=4 offset=1 stride=1
CONF=$FX/root/etc/vfpt.conf
vfpt() { fx_run "$VFPT" "$@"; }
conf() { printf '%s\n' "$@" >"$CONF"; rm -rf "$CONF.d"; }

# each config apply would certainly fail at: check-config exit 2 naming the
# device and the cause, plan exit 3 (as apply) and never "nothing to write"
# over a FAILED line
judged() { # WHAT ADDR EXPECTED-MESSAGE
	local addr=$2
	set -- "$1" "$2: $3" "$3"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"$2"* ]] || fail "$1: check-config did not say '$2': $ERR"
	[ -z "$OUT" ] || fail "$1: check-config printed a summary for a failing config: $OUT"
	expect_rc 2 vfpt --json check-config
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert not d["valid"] and any(sys.argv[1] in e for e in d["errors"])' "$2" <<<"$OUT" ||
		fail "$1: --json check-config: $OUT"
	expect_rc 3 vfpt plan
	[[ $OUT == *"# $addr: FAILED: $3"* ]] || fail "$1: plan lacks the FAILED line: $OUT"
	[[ $OUT != *"nothing to write: every present configured device is as configured"* ]] ||
		fail "$1: plan said nothing to write over a FAILED line: $OUT"
	expect_rc 3 vfpt --json plan
}

test_num_vfs_above_totalvfs() {
	conf "[sriov 0000:01:00.0]" "num_vfs = 8"
	judged totalvfs 0000:01:00.0 "cannot set sriov_numvfs=8: only 4 VFs supported"
}

# which file asked for what apply would fail at: a drop-in over the main file
test_failure_names_the_file_that_asked() {
	conf "[sriov 0000:01:00.0]" "num_vfs = 2" "[vfio]" "ids = 1b36:000c"
	mkdir -p "$CONF.d"
	printf '[sriov 0000:01:00.0]\nnum_vfs = 8\n' >"$CONF.d/50-more.conf"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"0000:01:00.0: cannot set sriov_numvfs=8: only 4 VFs supported ([sriov 0000:01:00.0] num_vfs set by $CONF.d/50-more.conf:2)"* ]] ||
		fail "$ERR"
	[[ $ERR == *"0000:00:01.0: is a PCI bridge; vfio-pci does not take bridges (listed in [vfio] ids at $CONF:4)"* ]] ||
		fail "$ERR"
	rm -rf "$CONF.d"
}

test_pf_without_sriov() {
	conf "[sriov 0000:02:00.0]" "num_vfs = 2"
	judged no-sriov 0000:02:00.0 "has no SR-IOV capability"
}

# by ID, a device without SR-IOV is not a PF to fail: apply sets nothing, and
# check-config says so (a warning: the rule may be meant for other hosts)
test_id_rule_selecting_no_sriov_pf() {
	conf "[sriov 8086:1533]" "num_vfs = 2"
	expect_rc 0 vfpt check-config
	[[ $ERR == *"vfpt.conf:1: [sriov 8086:1533] selects 0000:02:00.0 here, which has no SR-IOV capability"*"num_vfs = 2 is set nowhere"* ]] ||
		fail "$ERR"
	conf "[sriov 8086:1521]" "num_vfs = 2"
	expect_rc 0 vfpt check-config
	[[ $ERR != *"set nowhere"* ]] || fail "a rule selecting an SR-IOV PF: $ERR"
}

test_bridge_in_devices() {
	conf "[vfio]" "devices = 0000:00:01.0"
	judged bridge 0000:00:01.0 "is a PCI bridge"
}

test_vf_settings_without_netdev() {
	conf "[sriov 0000:03:00.0]" "num_vfs = 2" "spoofchk = off"
	judged no-netdev 0000:03:00.0 "VF settings: no network interface"
}

test_good_config_passes() {
	conf "[sriov 0000:01:00.0]" "num_vfs = 4" "vf_driver = vfio-pci"
	expect_rc 0 vfpt check-config
	expect_rc 0 vfpt plan
}

# vfpt.conf(5): listed in [vfio] and selected as an SR-IOV PF is an error,
# however each names it (here: by ID, and by address); and the same on every
# path: plan and apply fail it (exit 3), the udev add event at boot does not
# claim it, apply gives it no VFs (it was claimed at boot, given VFs by hand)
test_pf_by_id_and_in_vfio_devices() {
	local pf=0000:01:00.0
	conf "[sriov 8086:1521]" "num_vfs = 2" "[vfio]" "devices = $pf"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"$pf: listed in [vfio] devices at "*"vfpt.conf:4, and [sriov 8086:1521] at "*"vfpt.conf:1 selects it as an SR-IOV PF"* ]] ||
		fail "$ERR"
	expect_rc 3 vfpt plan
	[[ $OUT == *"# $pf: FAILED: listed in [vfio] devices"* && $OUT != *"sriov_numvfs"* ]] || fail "plan: $OUT"
	expect_rc 3 vfpt apply
	[ "$(fx_attr $pf sriov_numvfs)" = 0 ] && [ "$(fx_driver_of $pf)" = igb ] || fail "apply changed $pf: $ERR"
	fx_unbind $pf
	expect_rc 0 fx_run env VFPT_LOG_TARGET=console ACTION=add SUBSYSTEM=pci DEVPATH=/devices/pci0000:00/$pf \
		PCI_SLOT_NAME=$pf PCI_ID=8086:1521 "$VFPT" udev
	[ -z "$(fx_driver_of $pf)" ] || fail "the add event claimed $pf for $(fx_driver_of $pf)"
	[[ $ERR == *"$pf: listed in [vfio] devices"* ]] || fail "udev said: $ERR"
	fx_bind $pf igb
	conf "[sriov $pf]" "num_vfs = 2" "[vfio]" "ids = 8086:1521"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"$pf: listed in [vfio] ids at "*", and [sriov $pf] at "*"selects it as an SR-IOV PF"* ]] || fail "$ERR"
	echo 0 >"$FX/sys/devices/pci0000:00/$pf/sriov_numvfs" # as it was, whatever apply did
}

test_unknown_owner_and_group() {
	conf "[vfio]" "owner = nosuchuser" "group = nosuchgroup" "mode = 0660"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"vfpt.conf:2: [vfio] owner: no user 'nosuchuser' on this host"* ]] || fail "owner: $ERR"
	[[ $ERR == *"vfpt.conf:3: [vfio] group: no group 'nosuchgroup' on this host"* ]] || fail "group: $ERR"
	conf "[vfio]" "owner = root" "group = 0" "mode = 0660"
	expect_rc 0 vfpt check-config
}

test_world_writable_mode() {
	conf "[vfio]" "mode = 0777"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"vfpt.conf:2: mode: 0777 lets every user open /dev/vfio/N"* ]] || fail "$ERR"
}

# check-config says which file set each value (a drop-in overriding the main file)
test_provenance() {
	conf "[global]" "iommu_group = warn" "[sriov 0000:01:00.0]" "num_vfs = 2"
	mkdir -p "$CONF.d"
	printf '[sriov 0000:01:00.0]\n# more\nnum_vfs = 4\n' >"$CONF.d/50-more.conf"
	expect_rc 0 vfpt check-config
	[[ $OUT == *"set by $CONF.d/50-more.conf:3: [sriov 0000:01:00.0] num_vfs"* ]] || fail "drop-in: $OUT"
	[[ $OUT == *"set by $CONF:2: [global] iommu_group"* ]] || fail "main: $OUT"
	expect_rc 0 vfpt --json check-config
	python3 -c '
import json,sys
d=json.load(sys.stdin)
o={(x["section"],x["key"]):(x["file"],x["line"]) for x in d["origins"]}
assert o[("sriov 0000:01:00.0","num_vfs")]==(sys.argv[1]+".d/50-more.conf",3), o
assert o[("global","iommu_group")]==(sys.argv[1],2), o' "$CONF" <<<"$OUT" || fail "json: $OUT"
}

# a '# comment' after kernel_args is no kernel argument (it went into GRUB)
test_kernel_args_comment() {
	conf "[global]" "kernel_args = intel_iommu=on iommu=pt # required for VFIO"
	expect_rc 0 vfpt check-config
	[[ $OUT == *"kernel_args: intel_iommu=on iommu=pt"$'\n'* ]] || fail "$OUT"
	[[ $OUT != *"required"* ]] || fail "the comment is in kernel_args: $OUT"
}

# a FIFO among the drop-ins: one clear line, at once (it hung every vfpt)
test_fifo_dropin() {
	conf "[global]" "iommu_group = warn"
	mkdir -p "$CONF.d"
	mkfifo "$CONF.d/10-fifo.conf"
	expect_rc 2 timeout 10 "$VFPT" --config "$CONF" check-config
	[[ $ERR == *"10-fifo.conf: is a FIFO, not a regular file; refusing to read it"* ]] || fail "$ERR"
}

# ...and at boot (the udev event, apply) the FIFO drop-in is skipped with one
# warning line: the rest of the config is applied, nothing blocks or fails
test_fifo_dropin_skipped_at_boot() {
	local dev=0000:05:00.0 w
	fx_dev $dev 10ee:7038 class=0x118000 group=7
	conf "[vfio]" "devices = $dev"
	mkdir -p "$CONF.d"
	mkfifo "$CONF.d/10-fifo.conf"
	w="$CONF.d/10-fifo.conf: is a FIFO, not a regular file; skipped it"
	expect_rc 0 fx_run env VFPT_LOG_TARGET=console ACTION=add SUBSYSTEM=pci DEVPATH=/devices/pci0000:00/$dev \
		PCI_SLOT_NAME=$dev PCI_ID=10EE:7038 timeout 10 "$VFPT" udev
	[ "$(fx_driver_of $dev)" = vfio-pci ] || fail "udev did not claim $dev: $ERR"
	[ "$(grep -c "10-fifo.conf" <<<"$ERR")" = 1 ] && [[ $ERR == *"$w"* ]] || fail "udev: not one warning line: $ERR"
	fx_unbind $dev
	echo "(null)" >"$FX/sys/devices/pci0000:00/$dev/driver_override"
	expect_rc 0 fx_run timeout 10 "$VFPT" apply
	[ "$(fx_driver_of $dev)" = vfio-pci ] || fail "apply did not claim $dev: $ERR"
	[ "$(grep -c "10-fifo.conf" <<<"$ERR")" = 1 ] && [[ $ERR == *"$w"* ]] || fail "apply: not one warning line: $ERR"
	expect_rc 0 vfpt plan
	[[ $ERR == *"$w"* ]] || fail "plan: $ERR"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"10-fifo.conf: is a FIFO, not a regular file; refusing to read it"* ]] || fail "check-config: $ERR"
	rm -rf "$CONF.d" "$FX/sys/devices/pci0000:00/$dev" "$FX/sys/bus/pci/devices/$dev" "$FX/sys/kernel/iommu_groups/7" \
		"$FX/sys/bus/pci/drivers/vfio-pci/$dev"
}

# the dracut module reads and carries the regular drop-ins only (cat or cp
# of a FIFO blocked the initramfs build); its vfpt is a stub here
test_dracut_module_skips_fifo_dropins() {
	local top
	top=$(cd "$(dirname "$0")/../.." && pwd)
	conf "[vfio]" "driver = mlx5_vfio_pci"
	mkdir -p "$CONF.d" "$TMP/stage/usr/sbin"
	mkfifo "$CONF.d/10-fifo.conf"
	printf '[vfio]\ndriver = foo_vfio_pci\n' >"$CONF.d/20-more.conf"
	printf '#!/bin/sh\nexit 0\n' >"$TMP/stage/usr/sbin/vfpt"
	chmod +x "$TMP/stage/usr/sbin/vfpt"
	# shellcheck disable=SC2016 # expanded by the inner shell
	expect_rc 0 timeout 10 env VFPT_ROOT="$FX/root" VFPT_DESTDIR="$TMP/stage" dracutsysrootdir= kernel=0 \
		moddir=/nonexistent top="$top" bash -c '
		inst_binary() { :; }
		inst_libdir_file() { :; }
		inst_hook() { :; }
		dwarn() { echo "dwarn: $*"; }
		inst_simple() { echo "inst $1"; }
		instmods() { echo "instmods $*"; }
		. "$top/dracut-module/module-setup.sh"
		installkernel
		install'
	[[ $OUT == *"foo_vfio_pci"* && $OUT == *"vfpt.conf.d/20-more.conf"* && $OUT != *"10-fifo"* ]] ||
		fail "$OUT"
	rm -rf "$CONF.d"
}

test_crlf_bom() {
	printf '\xef\xbb\xbf[global]\r\niommu_group = warn\r\n[sriov 0000:01:00.0]\r\nnum_vfs = 2\r\n' >"$CONF"
	rm -rf "$CONF.d"
	expect_rc 0 vfpt check-config
	[[ $OUT == *"iommu_group: warn"* && $OUT == *"sriov 0000:01:00.0: num_vfs=2"* ]] || fail "$OUT"
}

# what inih does not take is named, not hidden behind "text after section header"
test_cr_and_bom_named() {
	printf '[global]\riommu_group = warn\r' >"$CONF"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"vfpt.conf:1: carriage return (CR, \r) inside the line"* ]] || fail "CR: $ERR"
	printf '[global]\n\xef\xbb\xbfiommu_group = warn\n' >"$CONF"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"vfpt.conf:2: UTF-8 byte order mark (U+FEFF) inside the file"* ]] || fail "BOM: $ERR"
	printf '[global]\niommu_group = warn\xc2\xa0\n' >"$CONF"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"vfpt.conf:2: line holds U+00A0 (a no-break space)"* ]] || fail "NBSP: $ERR"
}


# --json: one JSON document on stdout whatever happens, errors too
test_json_on_errors() {
	local cmd
	conf "[global]" "iommu_group = loose"
	for cmd in check-config plan status "grub check" libvirt frobnicate; do
		# shellcheck disable=SC2086 # "grub check" is two words
		expect_rc 2 vfpt --json $cmd
		python3 -c 'import json,sys; d=json.load(sys.stdin); assert any("iommu_group" in e or "frobnicate" in e for e in d["errors"]), d' <<<"$OUT" ||
			fail "--json $cmd: not a JSON document with the error: '$OUT' ($ERR)"
	done
	expect_rc 2 vfpt --json
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["exit"] == 2 and d["errors"]' <<<"$OUT" || fail "no command: $OUT"
	expect_rc 0 vfpt --json version
	python3 -c 'import json,sys; assert json.load(sys.stdin)["version"]' <<<"$OUT" || fail "version: $OUT"
}

# -q: errors only on stderr (warnings are not said); stdout is the command's output
test_quiet() {
	conf "[vfio]" "driver = nosuch_vfio_pci" "devices = 0000:01:00.0"
	expect_rc 0 vfpt check-config
	[[ $ERR == *"warning"* || $ERR == *"no module nosuch_vfio_pci"* ]] || fail "no warning to quiet: $ERR"
	expect_rc 0 vfpt -q check-config
	[ -z "$ERR" ] || fail "-q said: $ERR"
	expect_rc 0 vfpt check-config -q
	[ -z "$ERR" ] || fail "check-config -q said: $ERR"
	conf "[global]" "iommu_group = loose"
	expect_rc 2 vfpt -q check-config
	[[ $ERR == *"iommu_group: 'loose'"* ]] || fail "-q hid an error: $ERR"
}

# one [sriov 8086:1521] with vf_mac_base over two PFs of that ID: the VFs of
# both would get the same MACs
test_id_rule_macs_on_two_pfs() {
	fx_dev 0000:04:00.0 8086:1521 class=0x020000 driver=igb group=6 totalvfs=4 offset=1 stride=1
	fx_netdev 0000:01:00.0 eth1 11
	fx_netdev 0000:04:00.0 eth4 14
	conf "[sriov 8086:1521]" "num_vfs = 2" "vf_mac_base = 02:00:00:00:01:00"
	expect_rc 2 vfpt check-config
	[[ $ERR == *"vfpt.conf:1: [sriov 8086:1521] gives its VFs MACs and selects 0000:01:00.0 and 0000:04:00.0 here"* ]] ||
		fail "$ERR"
	rm -rf "$FX/sys/devices/pci0000:00/0000:04:00.0" "$FX/sys/bus/pci/devices/0000:04:00.0" \
		"$FX/sys/devices/pci0000:00/0000:01:00.0/net" "$FX/sys/devices/pci0000:00/0000:04:00.0/net" \
		"$FX/sys/class/net/eth1" "$FX/sys/class/net/eth4" "$FX/sys/kernel/iommu_groups/6"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do
	run_test "$t"
done
finish
