#!/bin/bash
# make check's bounded fuzzing: each libFuzzer target for 20 s (make fuzz
# runs longer), the regressions replayed first.
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

test_fuzz_bounded() {
	local out
	out=$("$HERE/run.sh" "${FUZZ_TEST_SECONDS:-20}" 2>&1) || fail "$out"
	echo "$out" | sed 's/^/# /'
	[ "$(grep -c 'no crash' <<<"$out")" = 3 ] || fail "not every target ran: $out"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
