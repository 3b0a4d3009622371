#!/bin/bash
# What make install ships: every file where the contract says, shell that
# shellcheck passes, the udev rule pointing at the installed binary.
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

test_install_layout() {
	expect_rc 0 make -s -C "$TOP" install DESTDIR="$TMP/stage" PREFIX=/usr
	for f in usr/sbin/vfpt usr/lib/udev/rules.d/70-vfpt.rules \
		usr/lib/dracut/modules.d/90vfpt/module-setup.sh usr/lib/dracut/modules.d/90vfpt/vfpt-pre-udev.sh \
		usr/lib/systemd/system/vfpt.service usr/share/initramfs-tools/hooks/vfpt \
		usr/share/initramfs-tools/scripts/init-top/vfpt usr/share/doc/vfpt/README.md; do
		[ -e "$TMP/stage/$f" ] || fail "not installed: /$f"
	done
	[ -x "$TMP/stage/usr/sbin/vfpt" ] || fail "binary not executable"
	grep -q 'RUN+="/usr/sbin/vfpt udev"' "$TMP/stage/usr/lib/udev/rules.d/70-vfpt.rules" || fail "rule's binary path"
	grep -q '^ExecStart=/usr/sbin/vfpt apply$' "$TMP/stage/usr/lib/systemd/system/vfpt.service" || fail "unit's binary path"
	expect_rc 0 make -s -C "$TOP" install DESTDIR="$TMP/stage2" PREFIX=/opt/vfpt
	grep -q 'RUN+="/opt/vfpt/sbin/vfpt udev"' "$TMP/stage2/opt/vfpt/lib/udev/rules.d/70-vfpt.rules" || fail "PREFIX not honoured"
}

test_rule_runs_only_for_pci_add_bind() {
	local rule="$TOP/udev-rules/70-vfpt.rules"
	[ "$(grep -c '^[^#]*RUN+=' "$rule")" = 3 ] || fail "RUN count"
	grep -q '^SUBSYSTEM=="pci", ACTION=="add|bind", RUN+=' "$rule" || fail "PCI RUN not limited to add|bind"
	# a PCI device's network interface coming (back): the VF settings again
	grep -q '^SUBSYSTEM=="net", ACTION=="add", DEVPATH=="/devices/pci\*/net/\*", RUN+=' "$rule" || fail "net RUN not limited"
	grep -q '^SUBSYSTEM=="vfio", ACTION=="add", KERNEL!="vfio", RUN+=' "$rule" || fail "vfio RUN not limited"
	! grep -v '^#' "$rule" | grep 'RUN+=' | grep -v 'SUBSYSTEM==' || fail "a RUN without a subsystem match"
}

test_linked_as_the_brief_says() {
	# inih static; libudev, libmnl (Debian ships no static archive of it),
	# libkmod and libblkid opened at run time (dlopen) when first needed:
	# an exec for an event of no configured device loads none
	local needed lib
	needed=$(objdump -p "$VFPT" | awk '/NEEDED/ {print $2}' | tr '\n' ' ')
	[[ $needed != *libinih* && $needed != *libblkid* && $needed != *libkmod* && $needed != *libudev* &&
		$needed != *libmnl* ]] || fail "needed: $needed"
	nm "$VFPT" 2>/dev/null | grep -q ' ini_parse_stream$' || fail "inih not linked in"
	! nm "$VFPT" 2>/dev/null | grep -q ' T blkid_evaluate_tag$' || fail "libblkid linked in"
	for lib in libkmod.so.2 libudev.so.1 libmnl.so.0 libblkid.so.1; do
		grep -q "$lib" "$VFPT" || fail "no dlopen of $lib"
	done
}

test_systemd_unit_verifies() {
	# installed under a prefix whose binary and man pages exist, so that
	# systemd-analyze checks ExecStart= and Documentation= for real
	command -v systemd-analyze >/dev/null || { fail "systemd-analyze missing"; return; }
	expect_rc 0 make -s -C "$TOP" install DESTDIR= PREFIX="$TMP/sv/usr"
	MANPATH=$TMP/sv/usr/share/man expect_rc 0 systemd-analyze verify "$TMP/sv/usr/lib/systemd/system/vfpt.service"
	local u="$TMP/sv/usr/lib/systemd/system/vfpt.service"
	grep -q '^After=.*systemd-udev-trigger.service' "$u" || fail "not after udev coldplug"
	grep -q '^Before=.*network-pre.target.*libvirtd.service' "$u" || fail "not before network-pre and libvirtd"
	grep -q '^ConditionPathExists=|/etc/vfpt.conf' "$u" || fail "runs without a config"
}

test_shellcheck() {
	command -v shellcheck >/dev/null || { fail "shellcheck not installed"; return; }
	shellcheck -s sh "$TOP/dracut-module/vfpt-pre-udev.sh" "$TOP/initramfs-tools/hook" "$TOP/initramfs-tools/script" ||
		fail "POSIX sh hooks"
	shellcheck -s bash "$TOP/dracut-module/module-setup.sh" || fail "module-setup.sh"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
