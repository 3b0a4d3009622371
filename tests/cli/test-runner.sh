#!/bin/bash
# tests/run-tests.sh itself: what should run and is not there is a failure,
# an optional directory without tests is not.
. "$(dirname "$0")/../lib.sh"
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

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
