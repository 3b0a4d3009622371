#!/bin/bash
# Runs every test program and script; prints each one's lines and one tally.
set -u
B=${1:-build}
cd "$(dirname "$0")/.." || exit 2
export VFPT=$PWD/$B/vfpt
passed=0
failed=0
for t in "$B"/tests/test-* tests/cli/test-*.sh tests/fixture/test-*.sh tests/grub/test-*.sh tests/qemu/test-*.sh; do
	[ -e "$t" ] || continue
	echo "# $t"
	out=$("$t" 2>&1)
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
