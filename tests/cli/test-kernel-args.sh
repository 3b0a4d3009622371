#!/bin/bash
# kernel_args as the kernel will read them (issue 25): arguments that can
# never all be in effect are refused by check-config (exit 2, one FILE:LINE
# line) before grub apply could fail on them; a comma in a name separates
# two arguments (quiet,splash), one in a value is the argument's own option
# list; video= and initcall_blacklist= keep what the user wrote.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../fixture/host.sh"

fx_init "$TMP/h"
fx_dev 0000:00:00.0 8086:29c0 class=0x060000 group=0
CONF=$FX/root/etc/vfpt.conf
vfpt() { fx_run "$VFPT" "$@"; }
conf() { printf '%s\n' "$@" >"$CONF"; }
grubfile() { printf 'GRUB_CMDLINE_LINUX="%s"\n' "$1" >"$TMP/grub"; cp "$TMP/grub" "$TMP/grub.orig"; }

refused() { # LINE MESSAGE
	expect_rc 2 vfpt check-config
	[ "$(wc -l <<<"$ERR")" = 1 ] || fail "more than one line: $ERR"
	[[ $ERR == *"$CONF:$1: $2"* ]] || fail "check-config did not say '$CONF:$1: $2': $ERR"
	[ -z "$OUT" ] || fail "check-config printed a summary: $OUT"
	grubfile "quiet"
	expect_rc 2 "$VFPT" --config "$CONF" grub apply --no-update --file "$TMP/grub"
	cmp -s "$TMP/grub" "$TMP/grub.orig" || fail "grub apply wrote: $(cat "$TMP/grub")"
}

test_contradiction_refused() {
	conf "[global]" "kernel_args = intel_iommu=on iommu=off,pt"
	refused 2 "kernel_args: 'intel_iommu=on' and 'iommu=off,pt' cannot both be in effect"
	conf "[global]" "kernel_args = iommu=usedac,pt"
	refused 2 "kernel_args: 'iommu=usedac,pt' is not in effect as the kernel reads it"
	conf "[global]" "kernel_args = intel_iommu=on iommu=pt # for VFIO" "  intel_iommu=off"
	refused 3 "kernel_args: 'intel_iommu=on' and 'intel_iommu=off' cannot both be in effect"
}

# '#' starts a comment only after a blank: glued to an argument it is a
# typo, never a kernel parameter (it went into GRUB as intel_iommu=on#x)
test_hash_without_blank_refused() {
	conf "[global]" "kernel_args = intel_iommu=on iommu=pt#for VFIO"
	refused 2 "kernel_args: 'iommu=pt#for': '#' starts a comment only after a blank"
	conf "[global]" "kernel_args = intel_iommu=on iommu=pt # for VFIO"
	expect_rc 0 vfpt check-config
}

# vfpt=off in kernel_args would switch vfpt off for good; BOOT_IMAGE= and
# initrd= are the boot loader's own
test_one_off_refused() {
	conf "[global]" "kernel_args = intel_iommu=on iommu=pt vfpt=off"
	refused 2 "kernel_args: 'vfpt=off' is no argument to make permanent"
	conf "[global]" "kernel_args = intel_iommu=on" "  initrd=/boot/initrd.img iommu=pt"
	refused 3 "kernel_args: 'initrd=/boot/initrd.img' is no argument to make permanent"
}

test_adding_up_accepted() {
	conf "[global]" "kernel_args = intel_iommu=on intel_iommu=igfx_off iommu=pt iommu=force video=efifb:off video=vesafb:off"
	expect_rc 0 vfpt check-config
	grubfile "quiet video=HDMI-A-1:1920x1080@60 initcall_blacklist=foo_init"
	expect_rc 0 "$VFPT" --config "$CONF" grub apply --no-update --file "$TMP/grub"
	grep -qx 'GRUB_CMDLINE_LINUX="quiet video=HDMI-A-1:1920x1080@60 initcall_blacklist=foo_init intel_iommu=on intel_iommu=igfx_off iommu=pt iommu=force video=efifb:off video=vesafb:off"' "$TMP/grub" ||
		fail "$(cat "$TMP/grub")"
}

test_comma_in_name_separates() {
	conf "[global]" "kernel_args = intel_iommu=on,igfx_off quiet,iommu=pt"
	expect_rc 0 vfpt check-config
	[[ $OUT == *"kernel_args: intel_iommu=on,igfx_off quiet iommu=pt"$'\n'* ]] || fail "$OUT"
	grubfile ""
	expect_rc 0 "$VFPT" --config "$CONF" grub apply --no-update --file "$TMP/grub"
	grep -qx 'GRUB_CMDLINE_LINUX="intel_iommu=on,igfx_off quiet iommu=pt"' "$TMP/grub" || fail "$(cat "$TMP/grub")"
}

# the issue's cases, as grub apply edits them: every option that does not
# conflict stays, the ones the kernel lets win against what is wanted go
test_iommu_options_as_the_kernel_reads_them() {
	conf "[global]" "kernel_args = intel_iommu=on iommu=pt"
	grubfile "intel_iommu=on intel_iommu=igfx_off iommu=pt"
	expect_rc 0 "$VFPT" --config "$CONF" grub check --file "$TMP/grub"
	grubfile "intel_iommu=on iommu=off,pt"
	expect_rc 1 "$VFPT" --config "$CONF" grub check --file "$TMP/grub"
	expect_rc 0 "$VFPT" --config "$CONF" grub apply --no-update --file "$TMP/grub"
	grep -qx 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"' "$TMP/grub" || fail "off,pt: $(cat "$TMP/grub")"
	conf "[global]" "kernel_args = iommu=pt"
	grubfile "iommu=pt iommu=force"
	expect_rc 0 "$VFPT" --config "$CONF" grub check --file "$TMP/grub"
	# kernel_args = auto on AMD: amd_iommu=off leaves iommu=pt nothing to pass through
	printf 'processor\t: 0\nvendor_id\t: AuthenticAMD\n' >"$FX/proc/cpuinfo"
	conf "[global]" "kernel_args = auto"
	grubfile "amd_iommu=off,fullflush iommu=pt"
	expect_rc 1 vfpt grub check --file "$TMP/grub"
	expect_rc 0 vfpt grub apply --no-update --file "$TMP/grub"
	grep -qx 'GRUB_CMDLINE_LINUX="amd_iommu=fullflush iommu=pt"' "$TMP/grub" || fail "AMD: $(cat "$TMP/grub")"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\n' >"$FX/proc/cpuinfo"
}

# intel_iommu= acts on Intel's IOMMU only, amd_iommu= on AMD's: with
# kernel_args = auto (the CPU known) the other vendor's off switch takes
# nothing from iommu=pt and stays; with kernel_args naming the arguments
# (the CPU not judged) both still count
test_other_vendors_switch() {
	printf 'processor\t: 0\nvendor_id\t: AuthenticAMD\n' >"$FX/proc/cpuinfo"
	conf "[global]" "kernel_args = auto"
	grubfile "intel_iommu=off iommu=pt"
	expect_rc 0 vfpt grub check --file "$TMP/grub"
	[[ $OUT == *"iommu=pt in effect"* ]] || fail "AMD: $OUT"
	expect_rc 0 vfpt grub apply --no-update --file "$TMP/grub"
	cmp -s "$TMP/grub" "$TMP/grub.orig" || fail "AMD: rewritten: $(cat "$TMP/grub")"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\n' >"$FX/proc/cpuinfo"
	grubfile "amd_iommu=off intel_iommu=on iommu=pt"
	expect_rc 0 vfpt grub check --file "$TMP/grub"
	grubfile "intel_iommu=off iommu=pt"
	expect_rc 1 vfpt grub check --file "$TMP/grub"
	conf "[global]" "kernel_args = iommu=pt"
	grubfile "amd_iommu=off iommu=pt"
	expect_rc 1 vfpt grub check --file "$TMP/grub"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
