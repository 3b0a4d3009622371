# shellcheck shell=bash
# Helpers for the shell tests: each test is a function; `check` records a
# failure without stopping; the file ends with `finish`, which prints the
# tally line the runner adds up.
T_PASSED=0
T_FAILED=0
T_CUR_FAILED=0
VFPT=${VFPT:-$PWD/build/vfpt}
TMP=$(mktemp -d /tmp/vfpt-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

fail() {
	echo "  $T_NAME: $*" >&2
	T_CUR_FAILED=1
}

# check DESCRIPTION COMMAND...: the command must succeed
check() {
	local what=$1
	shift
	"$@" || fail "$what"
}

# expect_rc N COMMAND...: run, keep stdout in $OUT and stderr in $ERR
expect_rc() {
	local want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	local rc=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
	[ "$rc" = "$want" ] || fail "exit $rc, wanted $want: $* ; stderr: $ERR"
}

run_test() {
	T_NAME=$1
	T_CUR_FAILED=0
	"$1"
	if [ $T_CUR_FAILED = 0 ]; then
		T_PASSED=$((T_PASSED + 1))
		echo "ok $1"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $1"
	fi
}

finish() {
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" = 0 ]
}
