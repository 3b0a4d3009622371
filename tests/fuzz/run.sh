#!/bin/bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for
# SECONDS (default 60) on a copy of its seed corpus. Prints, per target, the
# executions that ran clean; a crash leaves its input in build/fuzz/ and
# fails. Inputs in tests/fuzz/regressions/TARGET-* are replayed first.
set -u
SECONDS_EACH=${1:-60}
cd "$(dirname "$0")/../.." || exit 2
OUT=build/fuzz
mkdir -p "$OUT"
# each target's sources and libraries
SRC="agent/config.c agent/util.c agent/pci.c agent/paths.c agent/grub.c agent/cmdline.c"
LIBS="-Wl,-Bstatic -linih -Wl,-Bdynamic"
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -Iagent"
rc=0
for t in ${FUZZ_TARGETS:-config grub netlink}; do
	src=$SRC libs=$LIBS
	[ "$t" = netlink ] && src="agent/netlink.c agent/util.c" libs=-lmnl
	# shellcheck disable=SC2086 # word lists
	clang $FLAGS -o "$OUT/fuzz-$t" "tests/fuzz/fuzz-$t.c" $src $libs || exit 2
	for reg in tests/fuzz/regressions/"$t"-*; do
		[ -e "$reg" ] || continue
		"$OUT/fuzz-$t" "$reg" >/dev/null 2>&1 || { echo "fuzz-$t: regression $reg fails"; rc=1; }
	done
	rm -rf "$OUT/corpus-$t"
	cp -r "tests/fuzz/seeds-$t" "$OUT/corpus-$t"
	log=$OUT/fuzz-$t.log
	if "$OUT/fuzz-$t" -max_total_time="$SECONDS_EACH" -max_len=4096 -artifact_prefix="$OUT/crash-$t-" \
		-print_final_stats=1 "$OUT/corpus-$t" >"$log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
		echo "fuzz-$t: ${runs:-?} executions in ${SECONDS_EACH}s, no crash"
	else
		echo "fuzz-$t: CRASH, input in $(ls "$OUT"/crash-"$t"-* 2>/dev/null | head -1); see $log"
		rc=1
	fi
done
exit $rc
