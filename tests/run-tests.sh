#!/bin/bash
# Runs every test program and script; prints each one's lines and one tally.
# A test that should be there and is not (a unit test source without its
# binary, a test directory without tests, a file that vanished) is a failure;
# only directories listed as optional may hold no tests yet.
set -u
B=${1:-build}
SAN=${2:-}
cd "$(dirname "$0")/.." || exit 2
export VFPT=$PWD/$B/vfpt
passed=0
failed=0
shopt -s nullglob

tests=()
# unit/test-NAME.c builds to BUILD/tests/test-NAME: the sources say what must exist
unit_bins() {
	local src
	for src in tests/unit/test-*.c; do
		src=${src##*/}
		tests+=("$1${1:+:}$2/tests/${src%.c}")
	done
}
# scripts DIR...: DIR/test-*.sh, each directory must hold at least one
scripts() {
	local d f found
	for d in "$@"; do
		found=0
		for f in "$d"/test-*.sh; do
			tests+=("$f")
			found=1
		done
		[ $found = 1 ] || tests+=("$d/test-*.sh")
	done
}
unit_bins "" "$B"
scripts tests/cli tests/fixture tests/grub tests/fuzz tests/qemu
# optional: directories whose tests may not exist yet
for t in tests/wholehost/test-*.sh; do tests+=("$t"); done
if [ -n "$SAN" ]; then
	# the same tests against the ASan+UBSan build (valgrind and QEMU need not run twice)
	unit_bins san "$SAN"
	for t in tests/cli/test-*.sh tests/fixture/test-*.sh tests/grub/test-*.sh; do
		case $t in *valgrind*) continue ;; esac
		tests+=("san:$t")
	done
fi
shopt -u nullglob

for t in "${tests[@]}"; do
	if [ ! -x "${t#san:}" ]; then
		echo "# $t"
		echo "not ok $t: missing (or not executable)"
		failed=$((failed + 1))
		continue
	fi
	if [ "${t#san:}" != "$t" ]; then
		echo "# $t (ASan+UBSan)"
		out=$(VFPT=$PWD/$SAN/vfpt ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "${t#san:}" 2>&1)
	else
		echo "# $t"
		out=$("$t" 2>&1)
	fi
	rc=$?
	echo "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	tally=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [ -z "$tally" ]; then
		echo "not ok $t: exited $rc without a tally"
		failed=$((failed + 1))
		continue
	fi
	p=${tally%% passed*}
	f=${tally#*, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok $t: exited $rc"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
