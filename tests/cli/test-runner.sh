#!/bin/bash
# The test harness itself: in tests/run-tests.sh, what should run and is
# not there is a failure, an optional directory without tests is not; the
# CLI tests give the same answer on any machine.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fixture/host.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

# a scratch tree shaped like this one: the runner, one unit test source with
# its binary, one passing script in each directory the runner requires
scratch() {
	S=$TMP/tree
	rm -rf "$S"
	mkdir -p "$S/tests/unit" "$S/build/tests"
	cp "$TOP/tests/run-tests.sh" "$S/tests/"
	: >"$S/tests/unit/test-a.c"
	stub "$S/build/tests/test-a"
	for d in cli fixture grub fuzz qemu; do
		mkdir -p "$S/tests/$d"
		stub "$S/tests/$d/test-$d.sh"
	done
}
stub() {
	printf '#!/bin/sh\necho "ok %s"\necho "1 passed, 0 failed"\n' "${1##*/}" >"$1"
	chmod +x "$1"
}

test_all_present_passes() {
	scratch
	expect_rc 0 "$S/tests/run-tests.sh"
	[ "$(tail -1 <<<"$OUT")" = "6 passed, 0 failed" ] || fail "$OUT"
	# no tests under the optional tests/wholehost is not a failure
	mkdir -p "$S/tests/wholehost"
	expect_rc 0 "$S/tests/run-tests.sh"
	stub "$S/tests/wholehost/test-image.sh"
	expect_rc 0 "$S/tests/run-tests.sh"
	[ "$(tail -1 <<<"$OUT")" = "7 passed, 0 failed" ] || fail "wholehost test not run: $OUT"
}

# fails_with LINE [ARGS]: the runner (with ARGS) exits 1 and prints LINE
fails_with() {
	expect_rc 1 "$S/tests/run-tests.sh" "${@:2}"
	grep -qxF "$1" <<<"$OUT" || fail "wanted '$1': $OUT"
}

test_missing_tests_fail() {
	scratch
	rm "$S/build/tests/test-a"
	fails_with "not ok build/tests/test-a: missing (or not executable)"
	[ "$(tail -1 <<<"$OUT")" = "5 passed, 1 failed" ] || fail "$OUT"
	scratch
	rm "$S/tests/grub/test-grub.sh"
	fails_with "not ok tests/grub/test-*.sh: missing (or not executable)"
	scratch
	chmod -x "$S/tests/cli/test-cli.sh"
	fails_with "not ok tests/cli/test-cli.sh: missing (or not executable)"
}

test_sanitizer_pass_needs_its_binaries() {
	scratch
	mkdir -p "$S/build-asan/tests"
	stub "$S/build-asan/tests/test-a"
	expect_rc 0 "$S/tests/run-tests.sh" build build-asan
	[ "$(tail -1 <<<"$OUT")" = "10 passed, 0 failed" ] || fail "$OUT"
	rm "$S/build-asan/tests/test-a"
	fails_with "not ok san:build-asan/tests/test-a: missing (or not executable)" build build-asan
}

test_cli_tests_do_not_depend_on_this_machine() {
	# a machine as the tests meet it on many VMs: 0000:01:00.0 (the SR-IOV PF
	# of examples/vfpt.conf) holds the root disk, 0000:02:00.0 (its vfio
	# device) is the NIC of the default route. The CLI tests run with this
	# machine's /sys and /proc redirected to it, and must pass all the same.
	fx_init "$TMP/machine"
	fx_dev 0000:01:00.0 1b36:0010 driver=nvme group=3 totalvfs=4 offset=1 stride=1
	fx_disk 0000:01:00.0 nvme0n1 259:0 nvme0n1p1 259:1
	echo "22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw" >"$FX/proc/self/mountinfo"
	fx_dev 0000:02:00.0 1af4:1041 class=0x020000 driver=virtio-pci group=4
	fx_netdev 0000:02:00.0 enp2s0
	printf 'enp2s0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n' >>"$FX/proc/net/route"
	# the machine is what vfpt sees there: it refuses the example
	expect_rc 2 fx_run "$VFPT" --config examples/vfpt.conf check-config
	[[ $ERR == *"0000:02:00.0: refusing to claim: enp2s0 carries the default route"* ]] || fail "machine: $ERR"
	expect_rc 0 env UMOCKDEV_DIR="$FX" LD_PRELOAD=libumockdev-preload.so.0 "$TOP/tests/cli/test-cli.sh"
	[[ $OUT == *" passed, 0 failed" ]] || fail "$OUT"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
