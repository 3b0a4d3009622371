#!/bin/bash
# The command line of the contract: exit codes, --help, --json, errors.
# Every run is on a fixture host shaped like examples/vfpt.conf's (PCI
# devices, /proc and /etc of its own, tests/fixture/demo-host.sh): check-config
# judges the devices too, and the answer must not depend on this machine's.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fixture/host.sh"
. "$(dirname "$0")/../fixture/demo-host.sh"
demo_host "$TMP/host"
# vfpt ARGS: on the fixture host; its /etc unless the caller sets VFPT_ROOT
vfpt() { fx_run env VFPT_ROOT="${VFPT_ROOT-$FX/root}" "$VFPT" "$@"; }

test_version() {
	expect_rc 0 vfpt version
	[[ $OUT =~ ^vfpt\ [0-9]+\.[0-9]+ ]] || fail "version output: $OUT"
	expect_rc 0 vfpt --version
}

test_help_per_command() {
	for c in check-config plan apply udev status grub version; do
		expect_rc 0 vfpt "$c" --help
		[ -n "$OUT" ] || fail "$c --help printed nothing"
	done
	expect_rc 0 vfpt --help
	[[ $OUT == *check-config* && $OUT == *"grub"* ]] || fail "--help lacks commands"
}

test_usage_errors() {
	expect_rc 2 vfpt
	expect_rc 2 vfpt frobnicate
	[[ $ERR == *"unknown command 'frobnicate'"* ]] || fail "unknown command message: $ERR"
	expect_rc 2 vfpt --bogus check-config
	expect_rc 2 vfpt check-config --bogus
	expect_rc 2 vfpt check-config extra-arg
	# no prefix abbreviations of commands
	expect_rc 2 vfpt check
}

test_check_config_example() {
	expect_rc 0 vfpt --config examples/vfpt.conf check-config
	[[ $OUT == *"sriov 0000:01:00.0: num_vfs=2 vf_driver=vfio-pci"* ]] || fail "summary: $OUT"
	expect_rc 0 vfpt --config examples/vfpt.conf --json check-config
	echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["valid"] and d["sriov"][0]["num_vfs"]==2 and d["vfio"]["devices"]==["0000:02:00.0"]' ||
		fail "json: $OUT"
	# options after the command work too
	expect_rc 0 vfpt check-config --config examples/vfpt.conf --json
}

test_five_mistakes() {
	cat >"$TMP/bad.conf" <<-'CONF'
	[global]
	iommu_group = loose
	[sriov 0000:3b:00.8]
	num_vfs = 4
	[sriov 8086:1521]
	num_vfs = -3
	[vfio]
	ids = zzzz:1521
	colour = blue
	CONF
	expect_rc 2 vfpt --config "$TMP/bad.conf" check-config
	n=$(grep -cE "^vfpt: $TMP/bad.conf:[0-9]+: " <<<"$ERR")
	[ "$n" = 5 ] || fail "wanted 5 FILE:LINE: errors, got $n: $ERR"
	for l in 2 3 6 8 9; do
		grep -q "bad.conf:$l: " <<<"$ERR" || fail "no error on line $l"
	done
	[ -z "$OUT" ] || fail "bad config printed a summary"
	expect_rc 2 vfpt --config "$TMP/bad.conf" --json check-config
	echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert not d["valid"] and len(d["errors"])==5' ||
		fail "json errors: $OUT"
}

test_missing_config() {
	expect_rc 2 vfpt --config "$TMP/nope.conf" check-config
	[[ $ERR == *"nope.conf: cannot read"* ]] || fail "$ERR"
	# the default file absent: defaults (VFPT_ROOT is an empty tree)
	mkdir -p "$TMP/root"
	VFPT_ROOT=$TMP/root expect_rc 0 vfpt check-config
	[[ $OUT == *"no file found, using defaults"* ]] || fail "$OUT"
}

test_config_trust() {
	# like sshd's StrictModes: root's, and writable by no one else
	printf '[vfio]\ndevices = 0000:3b:00.0\n' >"$TMP/t.conf"
	chmod 0666 "$TMP/t.conf"
	expect_rc 2 vfpt --config "$TMP/t.conf" check-config
	[[ $ERR == *"t.conf: is writable by group or others (uid 0, mode 0666); refusing to use it"* ]] || fail "$ERR"
	chmod 0644 "$TMP/t.conf"
	chown 4242 "$TMP/t.conf"
	expect_rc 2 vfpt --config "$TMP/t.conf" check-config
	[[ $ERR == *"t.conf: is owned by another user (uid 4242"* ]] || fail "$ERR"
	chown 0 "$TMP/t.conf"
	mkdir -p "$TMP/t.conf.d"
	chmod 0777 "$TMP/t.conf.d"
	expect_rc 2 vfpt --config "$TMP/t.conf" check-config
	[[ $ERR == *"t.conf.d: is writable by group or others"*"refusing its drop-ins"* ]] || fail "$ERR"
	chmod 0755 "$TMP/t.conf.d"
	expect_rc 0 vfpt --config "$TMP/t.conf" check-config
}

test_bad_environment() {
	VFPT_LOG_TARGET=syslog expect_rc 2 vfpt --config examples/vfpt.conf check-config
	[ "$ERR" = "vfpt: VFPT_LOG_TARGET must be console or kmsg" ] || fail "$ERR"
	VFPT_ROOT=relative/root expect_rc 2 vfpt check-config
	[[ $ERR == *"VFPT_ROOT must be an absolute path"* ]] || fail "$ERR"
	VFPT_ROOT=/nonexistent-vfpt-root expect_rc 2 vfpt check-config
	[[ $ERR == *"VFPT_ROOT is not a directory"* ]] || fail "$ERR"
	# udev never fails an event
	VFPT_ROOT=relative ACTION=add SUBSYSTEM=net expect_rc 0 vfpt udev
}

test_no_path_from_config_value() {
	# an address like ../../ never becomes a sysfs path: it is not an address
	printf '[vfio]\ndevices = ../../../etc\n[sriov ../../x]\nnum_vfs = 1\n' >"$TMP/p.conf"
	expect_rc 2 vfpt --config "$TMP/p.conf" check-config
	[ "$(grep -c 'p.conf:[0-9]*: ' <<<"$ERR")" = 2 ] || fail "$ERR"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
