#!/bin/bash
# The GRUB reader/patcher against an independent oracle (/bin/sh and the
# kernel's command line rules, tests/fuzz/differential.py): the GRUB corpus,
# the fuzz seeds and regressions (and, with ORACLE_SAMPLE=N, N of what the
# fuzzer found in build/fuzz/corpus-grub), within a time bound; and
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
	# What the fuzzer found this run differs from run to run, so make check
	# judges only the fixed inputs above; after `make fuzz`,
	# ORACLE_SAMPLE=200 tests/fuzz/test-oracle.sh judges a sample of its finds
	# (libFuzzer names inputs by hash: the first ones by name are a fair sample).
	for f in "$HERE"/../../build/fuzz/corpus-grub/*; do
		[ $n -lt "${ORACLE_SAMPLE:-0}" ] || break
		[ -f "$f" ] || continue
		files+=("$f")
		n=$((n + 1))
	done
	out=$(python3 "$HERE/differential.py" "$VFPT" "${ORACLE_SECONDS:-45}" "${files[@]}" 2>&1) || fail "$out"
	echo "$out" | grep '^#'
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
