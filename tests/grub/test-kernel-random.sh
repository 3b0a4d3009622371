#!/bin/bash
# vfpt's judgement of the kernel's IOMMU, video= and list parameters against
# oracle.py's restatement of the kernel's handlers, on random command lines
# (fixed seeds: the same cases every run; KERNEL_RANDOM_COUNT for more).
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

test_kernel_semantics_random() {
	local out
	out=$(python3 "$HERE/kernel_random.py" "$VFPT" 25 "${KERNEL_RANDOM_COUNT:-300}" 2>&1) || fail "$out"
	echo "$out" | grep '^#'
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
