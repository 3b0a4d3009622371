#!/bin/bash
# What a sysadmin installs: man pages that render cleanly, bash completion,
# a .deb that lintian accepts and that installs where the contract says,
# the RPM spec built and linted.
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

test_deb_builds_lints_installs() {
	for c in dpkg-buildpackage lintian; do command -v $c >/dev/null || { fail "$c missing"; return; }; done
	dpkg -s vfpt >/dev/null 2>&1 && { fail "a vfpt package is already installed here; not touching it"; return; }
	tree "$TMP/deb/vfpt-0.1.0"
	(cd "$TMP/deb/vfpt-0.1.0" && dpkg-buildpackage -us -uc -b >"$TMP/deb/build.log" 2>&1) || { fail "dpkg-buildpackage: $(tail -5 "$TMP/deb/build.log")"; return; }
	local deb=$TMP/deb/vfpt_0.1.0_amd64.deb
	lintian --fail-on error "$deb" >"$TMP/deb/lintian.log" 2>&1 || fail "lintian: $(grep -E '^E:' "$TMP/deb/lintian.log")"
	dpkg -i "$deb" >"$TMP/deb/install.log" 2>&1 || { fail "dpkg -i: $(tail -3 "$TMP/deb/install.log")"; return; }
	for f in /usr/sbin/vfpt /usr/lib/udev/rules.d/70-vfpt.rules /usr/lib/dracut/modules.d/90vfpt/module-setup.sh \
		/usr/lib/systemd/system/vfpt.service /usr/share/man/man8/vfpt.8.gz /usr/share/man/man5/vfpt.conf.5.gz \
		/usr/share/bash-completion/completions/vfpt /usr/share/initramfs-tools/hooks/vfpt; do
		[ -e "$f" ] || fail "not installed: $f"
	done
	/usr/sbin/vfpt version | grep -q '^vfpt 0.1.0$' || fail "installed binary"
	dpkg -P vfpt >/dev/null 2>&1 || fail "dpkg -P"
	[ ! -e /usr/sbin/vfpt ] || fail "not removed"
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
