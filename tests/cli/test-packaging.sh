#!/bin/bash
# What a sysadmin installs: man pages that render cleanly, bash completion,
# a .deb that lintian accepts and that installs where the contract says and
# purges cleanly (in a copy-on-write clone of this machine, never on it), the
# RPM spec built and linted.
. "$(dirname "$0")/../lib.sh"
TOP=$(cd "$(dirname "$0")/../.." && pwd)

tree() { # a copy of the tracked tree, as a clean clone would have it
	mkdir -p "$1"
	(cd "$TOP" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$1"
}

test_man_pages_render_cleanly() {
	local m out
	for m in "$TOP/man/vfpt.8" "$TOP/man/vfpt.conf.5"; do
		out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$m" 2>&1 >/dev/null)
		[ -z "$out" ] || fail "$(basename "$m"): $out"
	done
	out=$(MANWIDTH=80 man -l "$TOP/man/vfpt.8" 2>/dev/null | col -b)
	for w in check-config plan apply udev status "grub check" "grub apply" version --config --json --early \
		"EXIT STATUS" "BOOT SEQUENCE" VFPT_LOG_TARGET /etc/vfpt.conf.d 70-vfpt.rules 90vfpt vfpt.service; do
		grep -qF -- "$w" <<<"$out" || fail "vfpt(8) lacks $w"
	done
	out=$(MANWIDTH=80 man -l "$TOP/man/vfpt.conf.5" 2>/dev/null | col -b)
	for w in kernel_args patch_grub iommu_group num_vfs vf_driver devices ids force owner group mode driver=; do
		grep -qF -- "$w" <<<"$out" || fail "vfpt.conf(5) lacks $w"
	done
}

test_bash_completion() {
	local out
	out=$(bash -c '
		_init_completion() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
		_filedir() { COMPREPLY=(FILE); }
		. "$1"
		c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vfpt; echo "${COMPREPLY[*]}"; }
		c vfpt ch; c vfpt grub ""; c vfpt grub apply --n; c vfpt --config x pl; c vfpt apply --e; c vfpt --c' \
		sh "$TOP/completion/vfpt.bash")
	[ "$out" = "check-config
check apply
--no-update
plan
--early
--config" ] || fail "completion: $out"
}

# in_clone CMD...: CMD in a private mount namespace where $TMP/clone is a
# copy-on-write view of this machine's root file system (an overlay whose
# changes land in $TMP/clone-up; no /proc, /sys, /run of this machine, a
# /dev with null only): a chroot holding this machine's packages, in which
# the .deb installs with its dependencies met. Nothing reaches this machine:
# vfpt's udev rule is never live here.
in_clone() {
	mkdir -p "$TMP/clone" "$TMP/clone-up" "$TMP/clone-work"
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -ec '
		c=$1
		shift
		mount -t overlay overlay -o lowerdir=/,upperdir="$c-up",workdir="$c-work" "$c"
		mount -t tmpfs -o mode=0755 tmpfs "$c/dev"
		mknod -m 0666 "$c/dev/null" c 1 3
		"$@"' sh "$TMP/clone" "$@"
}
DEB_FILES=(/usr/sbin/vfpt /usr/lib/udev/rules.d/70-vfpt.rules /usr/lib/dracut/modules.d/90vfpt/module-setup.sh
	/usr/lib/dracut/modules.d/90vfpt/vfpt-pre-udev.sh /usr/lib/systemd/system/vfpt.service
	/usr/share/man/man8/vfpt.8.gz /usr/share/man/man5/vfpt.conf.5.gz /usr/share/bash-completion/completions/vfpt
	/usr/share/initramfs-tools/hooks/vfpt /usr/share/initramfs-tools/scripts/init-top/vfpt /usr/share/doc/vfpt/copyright)
# in_clone_present: which of DEB_FILES (and vfpt's directories) the clone has
in_clone_present() {
	# shellcheck disable=SC2016
	in_clone sh -c 'c=$1; shift; for f; do [ -e "$c$f" ] && echo "$f"; done; exit 0' sh "$TMP/clone" \
		"${DEB_FILES[@]}" /usr/lib/dracut/modules.d/90vfpt /usr/share/doc/vfpt
}

# shellcheck disable=SC2016 # dpkg-query's ${Status}
test_deb_builds_lints_installs() {
	for c in dpkg-buildpackage lintian unshare; do command -v $c >/dev/null || { fail "$c missing"; return; }; done
	tree "$TMP/deb/vfpt-0.1.0"
	(cd "$TMP/deb/vfpt-0.1.0" && dpkg-buildpackage -us -uc -b >"$TMP/deb/build.log" 2>&1) || { fail "dpkg-buildpackage: $(tail -5 "$TMP/deb/build.log")"; return; }
	local deb=$TMP/deb/vfpt_0.1.0_amd64.deb here f
	lintian --fail-on error "$deb" >"$TMP/deb/lintian.log" 2>&1 || fail "lintian: $(grep -E '^E:' "$TMP/deb/lintian.log")"
	here=$(dpkg-query -W -f='${Status}\n' vfpt 2>&1; ls -l /usr/lib/udev/rules.d/70-vfpt.rules /usr/sbin/vfpt 2>&1)
	in_clone dpkg --root="$TMP/clone" -i "$deb" >"$TMP/deb/install.log" 2>&1 || { fail "dpkg -i: $(tail -3 "$TMP/deb/install.log")"; return; }
	in_clone_present >"$TMP/deb/present"
	for f in "${DEB_FILES[@]}"; do
		grep -qxF "$f" "$TMP/deb/present" || fail "not installed: $f"
	done
	[ "$(in_clone chroot "$TMP/clone" dpkg-query -W -f='${Status}' vfpt)" = "install ok installed" ] || fail "not installed in dpkg's database"
	[ "$(in_clone chroot "$TMP/clone" /usr/sbin/vfpt version)" = "vfpt 0.1.0" ] || fail "installed binary"
	# the package enables the boot-time units (never starts them) and leaves
	# the metrics timer to the admin
	in_clone sh -c 'ls "$1"/etc/systemd/system/*.wants/ 2>/dev/null' sh "$TMP/clone" >"$TMP/deb/wants"
	grep -qx vfpt.service "$TMP/deb/wants" && grep -qx vfpt-late.service "$TMP/deb/wants" ||
		fail "units not enabled by the .deb: $(tr '\n' ' ' <"$TMP/deb/wants")"
	! grep -q vfpt-metrics "$TMP/deb/wants" || fail "metrics timer enabled by the .deb"
	in_clone dpkg --root="$TMP/clone" -P vfpt >"$TMP/deb/purge.log" 2>&1 || fail "dpkg -P: $(tail -3 "$TMP/deb/purge.log")"
	in_clone_present >"$TMP/deb/present"
	[ ! -s "$TMP/deb/present" ] || fail "left after purge: $(tr '\n' ' ' <"$TMP/deb/present")"
	in_clone chroot "$TMP/clone" dpkg-query -W -f='${Status}' vfpt >"$TMP/deb/status" 2>&1
	grep -q 'no packages found matching vfpt\|not-installed' "$TMP/deb/status" || fail "dpkg still knows vfpt: $(cat "$TMP/deb/status")"
	# and this machine is as it was
	[ "$(dpkg-query -W -f='${Status}\n' vfpt 2>&1; ls -l /usr/lib/udev/rules.d/70-vfpt.rules /usr/sbin/vfpt 2>&1)" = "$here" ] ||
		fail "this machine's vfpt changed"
}

test_rpm_spec_builds_and_lints() {
	for c in rpmbuild rpmlint; do command -v $c >/dev/null || { fail "$c missing"; return; }; done
	mkdir -p "$TMP/rpm"/{SOURCES,BUILD,RPMS,SRPMS}
	tree "$TMP/rpm/src/vfpt-0.1.0"
	tar -C "$TMP/rpm/src" -czf "$TMP/rpm/SOURCES/vfpt-0.1.0.tar.gz" vfpt-0.1.0
	# Debian's rpm has no systemd macros: define them for this build
	rpmbuild --define "_topdir $TMP/rpm" --define "_unitdir /usr/lib/systemd/system" \
		--define "systemd_post() %{nil}" --define "systemd_preun() %{nil}" --define "systemd_postun() %{nil}" \
		--nodeps -bb "$TOP/rpm/vfpt.spec" >"$TMP/rpm/build.log" 2>&1 || { fail "rpmbuild: $(tail -5 "$TMP/rpm/build.log")"; return; }
	local rpm
	rpm=$(find "$TMP/rpm/RPMS" -name 'vfpt-0.1.0-*.rpm')
	rpm -qlp "$rpm" 2>/dev/null | grep -qx /usr/lib/udev/rules.d/70-vfpt.rules || fail "rpm lacks the udev rule"
	rpm -qlp "$rpm" 2>/dev/null | grep -qx /usr/sbin/vfpt || fail "rpm lacks the binary"
	rpmlint -r "$TOP/rpm/vfpt.rpmlintrc" "$TOP/rpm/vfpt.spec" "$rpm" >"$TMP/rpm/lint.log" 2>&1
	grep -q ' 0 errors' "$TMP/rpm/lint.log" || fail "rpmlint: $(grep -E ' E: ' "$TMP/rpm/lint.log")"
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
