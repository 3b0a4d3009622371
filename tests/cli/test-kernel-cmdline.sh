#!/bin/bash
# /etc/kernel/cmdline is created only from what describes the installed
# system (issue 30): /usr/lib/kernel/cmdline, the default boot entry, or
# /proc/cmdline on that very system's normal boot, one-off parameters left
# out; in a sysroot, an installer's chroot or a recovery boot it is either
# right or refused (exit 2, one line), and nothing of the build machine or
# the installer leaks into it. vfpt grub apply runs only in sysroots of the
# test's own: under VFPT_ROOT, or chrooted into one in its own namespaces.
. "$(dirname "$0")/../lib.sh"
printf '[global]\nkernel_args = intel_iommu=on iommu=pt\n' >"$TMP/vfpt.conf"

# systemd-boot with kernel-install, no /etc/kernel/cmdline yet; ENTRY: the
# options of its one boot entry ("" for none)
sdboot_sysroot() { # ENTRY-OPTIONS
	R=$TMP/root
	rm -rf "$R"
	mkdir -p "$R/efi/loader/entries" "$R/etc/kernel" "$R/usr/bin" "$R/usr/lib/modules/6.8.5-301.fc40.x86_64" "$R/proc"
	local f
	for f in /bin/sh $( (ldd /bin/sh; ldd "$VFPT") | grep -o '/[^ ]*'); do
		cp -L --parents "$f" "$R"
	done
	cp "$VFPT" "$R/vfpt"
	cp "$TMP/vfpt.conf" "$R/vfpt.conf"
	printf 'timeout 3\n' >"$R/efi/loader/loader.conf"
	[ -n "$1" ] && printf 'title Fedora Linux 40\nversion 6.8.5-301.fc40.x86_64\noptions %s\nlinux /0123abcd/6.8.5-301.fc40.x86_64/linux\n' \
		"$1" >"$R/efi/loader/entries/0123abcd-6.8.5-301.fc40.x86_64.conf"
	: >"$R/usr/lib/modules/6.8.5-301.fc40.x86_64/vmlinuz"
	mkdir -p "$R/dev" && : >"$R/dev/null" # the tools' stdin
	printf '#!/bin/sh\necho "$0 $*" >>/tool.log\n' >"$R/usr/bin/kernel-install"
	chmod +x "$R/usr/bin/kernel-install"
}

# vfpt run as pid 1 of its own PID and mount namespaces, chrooted into $R
# with /proc/cmdline reading CMDLINE: the system's own boot
own_boot() { # CMDLINE vfpt-args...
	local line=$1
	shift
	echo "$line" >"$TMP/cmdline"
	unshare -m -p -f --kill-child sh -c 'r=$1 c=$2 && shift 2 && mount -t proc proc "$r/proc" && mount --bind "$c" "$r/proc/cmdline" &&
		exec chroot "$r" /vfpt --config /vfpt.conf "$@"' sh "$R" "$TMP/cmdline" "$@"
}

# an installer's %post: a chroot into the new system with the installer's
# /proc (and its command line) mounted in it
installer_chroot() { # CMDLINE vfpt-args...
	local line=$1
	shift
	echo "$line" >"$TMP/cmdline"
	unshare -m sh -c 'r=$1 c=$2 && shift 2 && mount -t proc proc "$r/proc" && mount --bind "$c" "$r/proc/cmdline" &&
		exec chroot "$r" /vfpt --config /vfpt.conf "$@"' sh "$R" "$TMP/cmdline" "$@"
}

test_sysroot_entry_not_build_machine() {
	sdboot_sysroot "root=UUID=5e4e0dd5 rw rhgb quiet"
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" grub apply
	[ "$(cat "$R/etc/kernel/cmdline")" = "root=UUID=5e4e0dd5 rw rhgb quiet intel_iommu=on iommu=pt" ] ||
		fail "cmdline: $(cat "$R/etc/kernel/cmdline")"
	[[ $OUT == *"$R/etc/kernel/cmdline: created: \"root=UUID=5e4e0dd5 rw rhgb quiet\" from $R/efi/loader/entries/0123abcd-6.8.5-301.fc40.x86_64.conf, \"intel_iommu=on iommu=pt\" from kernel_args"* ]] ||
		fail "report: $OUT"
	sdboot_sysroot "root=UUID=5e4e0dd5 rw rhgb quiet"
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" --json grub apply
	python3 -c '
import json, sys
c = json.loads(sys.argv[1])["created_from"]
assert c["source"].endswith("0123abcd-6.8.5-301.fc40.x86_64.conf") and c["line"] == "root=UUID=5e4e0dd5 rw rhgb quiet", c
assert c["from_kernel_args"] == ["intel_iommu=on", "iommu=pt"] and c["refused"] is None, c' "$OUT" || fail "json: $OUT"
}

test_sysroot_without_entry_refused() {
	# nothing in the sysroot says its command line: this machine's /proc/cmdline must not be taken
	sdboot_sysroot ""
	VFPT_ROOT=$R expect_rc 2 "$VFPT" --config "$TMP/vfpt.conf" grub apply
	[ ! -e "$R/etc/kernel/cmdline" ] || fail "created: $(cat "$R/etc/kernel/cmdline")"
	[ "$(wc -l <<<"$ERR")" = 1 ] || fail "more than one line: $ERR"
	[[ $ERR == *"$R/etc/kernel/cmdline: does not exist"*"write it by hand"*"intel_iommu=on iommu=pt"* ]] || fail "$ERR"
	[ ! -e "$R/tool.log" ] || fail "kernel-install ran"
	VFPT_ROOT=$R expect_rc 1 "$VFPT" --config "$TMP/vfpt.conf" grub check
	[[ $OUT == *"write it by hand"* ]] || fail "check: $OUT"
}

test_entry_one_off_left_out() {
	sdboot_sysroot "BOOT_IMAGE=/vmlinuz initrd=/initrd root=UUID=5e4e0dd5 rw quiet"
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" grub apply
	[ "$(cat "$R/etc/kernel/cmdline")" = "root=UUID=5e4e0dd5 rw quiet intel_iommu=on iommu=pt" ] ||
		fail "cmdline: $(cat "$R/etc/kernel/cmdline")"
	[[ $OUT == *"one-off parameters left out: BOOT_IMAGE=/vmlinuz initrd=/initrd"* ]] || fail "$OUT"
	# an entry written from a recovery boot is no source either
	sdboot_sysroot "root=UUID=5e4e0dd5 rw vfpt=off systemd.unit=rescue.target"
	VFPT_ROOT=$R expect_rc 2 "$VFPT" --config "$TMP/vfpt.conf" grub apply
	[ ! -e "$R/etc/kernel/cmdline" ] || fail "created: $(cat "$R/etc/kernel/cmdline")"
	[[ $ERR == *"has vfpt=off: not the system's normal boot"* ]] || fail "$ERR"
}

test_installer_chroot_refused() {
	if ! unshare -m true 2>/dev/null; then
		fail "cannot make a mount namespace here (unshare -m)"
		return
	fi
	sdboot_sysroot ""
	expect_rc 2 installer_chroot "initrd=initrd.img inst.stage2=hd:LABEL=Fedora inst.ks=http://10.0.0.1/ks.cfg ip=dhcp quiet" grub apply
	[ ! -e "$R/etc/kernel/cmdline" ] || fail "created: $(cat "$R/etc/kernel/cmdline")"
	[[ $ERR == *"chroot"*"write it by hand"* ]] || fail "$ERR"
	[ ! -e "$R/tool.log" ] || fail "kernel-install ran"
}

test_own_boot_proc_cmdline() {
	if ! unshare -m -p -f true 2>/dev/null; then
		fail "cannot make PID and mount namespaces here"
		return
	fi
	# the system's own normal boot: /proc/cmdline, less what the boot loader adds
	sdboot_sysroot ""
	expect_rc 0 own_boot "BOOT_IMAGE=/vmlinuz-6.8.5 initrd=/initrd root=UUID=5e4e0dd5 ro quiet" grub apply
	[ "$(cat "$R/etc/kernel/cmdline")" = "root=UUID=5e4e0dd5 ro quiet intel_iommu=on iommu=pt" ] ||
		fail "cmdline: $(cat "$R/etc/kernel/cmdline")"
	[[ $OUT == *"from /proc/cmdline (one-off parameters left out: BOOT_IMAGE=/vmlinuz-6.8.5 initrd=/initrd)"* ]] || fail "$OUT"
	# the man page's recovery: booted with vfpt=off into rescue.target
	for line in "root=UUID=5e4e0dd5 ro vfpt=off" "root=UUID=5e4e0dd5 ro systemd.unit=rescue.target" \
		"root=UUID=5e4e0dd5 ro single" "root=UUID=5e4e0dd5 ro rd.break" "root=UUID=5e4e0dd5 ro init=/bin/sh" \
		"root=UUID=5e4e0dd5 ro systemd.break=pre-switch-root" "root=UUID=5e4e0dd5 ro systemd.debug-shell"; do
		sdboot_sysroot ""
		expect_rc 2 own_boot "BOOT_IMAGE=/vmlinuz $line" grub apply
		[ ! -e "$R/etc/kernel/cmdline" ] || fail "$line: created: $(cat "$R/etc/kernel/cmdline")"
		[[ $ERR == *"not the system's normal boot"*"write it by hand"* ]] || fail "$line: $ERR"
	done
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
