#!/bin/bash
# The GRUB reader/patcher against an independent oracle (/bin/sh and the
# kernel's command line rules, tests/fuzz/differential.py): the GRUB corpus,
# the fuzz seeds and regressions, then a sample of what the fuzzer found
# (build/fuzz/corpus-grub, left by test-fuzz.sh), within a time bound; and
# the grub.d sequences of tests/grub/seq, judged as a whole.
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

test_grub_differential() {
	local out files=() f n=0
	for f in "$HERE"/../grub/corpus/*.grub "$HERE"/seeds-grub/* "$HERE"/regressions/grub-*; do
		[ -f "$f" ] && files+=("$f")
	done
	# sysroots: /etc/default/grub and its grub.d drop-ins, sourced in sequence
	for f in "$HERE"/../grub/seq/*/; do
		[ -d "$f" ] && files+=("$f")
	done
	# libFuzzer names its inputs by hash: the first ones by name are a fair sample
	for f in "$HERE"/../../build/fuzz/corpus-grub/*; do
		[ -f "$f" ] || continue
		files+=("$f")
		n=$((n + 1))
		[ $n -lt "${ORACLE_SAMPLE:-200}" ] || break
	done
	out=$(python3 "$HERE/differential.py" "$VFPT" "${ORACLE_SECONDS:-45}" "${files[@]}" 2>&1) || fail "$out"
	echo "$out" | grep '^#'
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
