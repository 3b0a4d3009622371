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
scripts tests/cli tests/fixture tests/grub tests/fuzz
# the boots run alone, after the rest: TCG wants the CPU to itself
n=${#tests[@]}
scripts tests/qemu
# optional: directories whose tests may not exist yet
for t in tests/wholehost/test-*.sh; do tests+=("$t"); done
boots=("${tests[@]:n}")
tests=("${tests[@]:0:n}")
san=()
if [ -n "$SAN" ]; then
	# the same tests against the ASan+UBSan build (valgrind and QEMU need not run twice)
	unit_bins san "$SAN"
	for t in tests/cli/test-*.sh tests/fixture/test-*.sh tests/grub/test-*.sh; do
		case $t in *valgrind*) continue ;; esac
		tests+=("san:$t")
	done
	san=("${tests[@]:n}")
	tests=("${tests[@]:0:n}")
fi
shopt -u nullglob

# run_list TEST...: each one's lines, then "# tally PASSED FAILED"
run_list() {
	local t out rc tally p f passed=0 failed=0
	for t in "$@"; do
		if [ ! -x "${t#san:}" ]; then
			echo "# $t"
			echo "not ok $t: missing (or not executable)"
			failed=$((failed + 1))
			continue
		fi
		if [ "${t#san:}" != "$t" ]; then
			echo "# $t (ASan+UBSan)"
			out=$(VFPT=$PWD/$SAN/vfpt VFPT_SANITIZED=1 ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "${t#san:}" 2>&1)
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
	echo "# tally $passed $failed"
}

passed=0
failed=0
# add_up FILE: print a run_list's lines, add its tally
add_up() {
	local tally
	grep -v '^# tally ' "$1"
	tally=$(grep '^# tally ' "$1" | tail -1)
	set -- $tally
	passed=$((passed + ${3:-0}))
	failed=$((failed + ${4:-1}))
}

out=$(mktemp -d /tmp/vfpt-run.XXXXXX) || exit 2
trap 'rm -rf "$out"' EXIT
# the sanitizer pass runs beside the plain one on a machine with a second
# core (both are single-threaded: the wall time of the two is the longer)
if [ ${#san[@]} -gt 0 ] && [ "$(nproc 2>/dev/null || echo 1)" -gt 1 ]; then
	run_list "${san[@]}" >"$out/san" &
	run_list "${tests[@]}" >"$out/plain"
	wait
	add_up "$out/plain"
	add_up "$out/san"
else
	run_list "${tests[@]}" >"$out/plain"
	add_up "$out/plain"
	if [ ${#san[@]} -gt 0 ]; then
		run_list "${san[@]}" >"$out/san"
		add_up "$out/san"
	fi
fi
# the boots, printed as they go (they take minutes each)
run_list "${boots[@]}" | tee "$out/boots" | grep --line-buffered -v '^# tally '
add_up "$out/boots" >/dev/null
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
