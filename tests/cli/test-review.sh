#!/bin/bash
# Review regressions (issue 15) at the command line: a failed write to
# standard output is a failure, as util-linux's close_stdout makes it.
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")/.." && pwd)
printf '[global]\nkernel_args = intel_iommu=on iommu=pt\n' >"$TMP/vfpt.conf"

# to_full WANT CMD...: CMD with stdout on /dev/full must exit WANT and say so
to_full() {
	local want=$1 rc
	shift
	"$@" >/dev/full 2>"$TMP/err"
	rc=$?
	[ "$rc" = "$want" ] || fail "exit $rc, wanted $want: $* >/dev/full"
	grep -q "^vfpt: write error on standard output: No space left on device" "$TMP/err" ||
		fail "no error line: $* >/dev/full: $(cat "$TMP/err")"
}

# nothing changed: exit 2
test_stdout_full_read_only() {
	to_full 2 "$VFPT" version
	to_full 2 "$VFPT" --version
	to_full 2 "$VFPT" --help
	cp "$HERE/grub/corpus/debian12.grub" "$TMP/g"
	to_full 2 "$VFPT" --config "$TMP/vfpt.conf" grub check --file "$TMP/g"
	to_full 2 "$VFPT" --config "$TMP/vfpt.conf" --json grub check --file "$TMP/g"
}

# a command that changes things and whose report is lost: exit 3, as for an
# incomplete apply (what was done is not known to the caller)
test_stdout_full_after_change() {
	cp "$HERE/grub/corpus/debian12.grub" "$TMP/g"
	to_full 3 "$VFPT" --config "$TMP/vfpt.conf" grub apply --no-update --file "$TMP/g"
	grep -q intel_iommu=on "$TMP/g" || fail "file not edited"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
