#!/bin/bash
# Runs every test program and script; prints each one's lines and one tally.
set -u
B=${1:-build}
SAN=${2:-}
cd "$(dirname "$0")/.." || exit 2
export VFPT=$PWD/$B/vfpt
passed=0
failed=0
tests=("$B"/tests/test-* tests/cli/test-*.sh tests/fixture/test-*.sh tests/grub/test-*.sh tests/fuzz/test-*.sh tests/qemu/test-*.sh)
if [ -n "$SAN" ]; then
	# the same tests against the ASan+UBSan build (valgrind and QEMU need not run twice)
	for t in "$SAN"/tests/test-* tests/cli/test-*.sh tests/fixture/test-*.sh tests/grub/test-*.sh; do
		case $t in *valgrind*) continue ;; esac
		tests+=("san:$t")
	done
fi
for t in "${tests[@]}"; do
	[ -e "${t#san:}" ] || continue
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
