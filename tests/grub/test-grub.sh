#!/bin/bash
# vfpt grub check|apply: every file of the corpus judged by the oracle (the
# file sourced by /bin/sh before and after), bad inputs left untouched,
# atomicity, permissions, symlinks, BLS entries, grubenv, update tools.
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
WANT=(intel_iommu=on iommu=pt)
printf '[global]\nkernel_args = intel_iommu=on iommu=pt\n' >"$TMP/vfpt.conf"
grub() { "$VFPT" --config "$TMP/vfpt.conf" grub "$@"; }

# a corpus file may name its own kernel_args in a first-line comment
# ("# kernel_args: iommu=pt iommu=force"), else WANT
corpus_want() {
	local k
	k=$(sed -n '1s/^# kernel_args: //p' "$1")
	[ -n "$k" ] && echo "$k" || echo "${WANT[*]}"
}

test_corpus_oracle() {
	local f name want
	for f in "$HERE"/corpus/*.grub; do
		name=$(basename "$f")
		want=$(corpus_want "$f")
		printf '[global]\nkernel_args = %s\n' "$want" >"$TMP/corpus.conf"
		grub() { "$VFPT" --config "$TMP/corpus.conf" grub "$@"; }
		cp "$f" "$TMP/$name"
		expect_rc "$(grep -q satisfied <<<"$name" && echo 0 || echo 1)" grub check --file "$TMP/$name"
		expect_rc 0 grub apply --no-update --file "$TMP/$name"
		# shellcheck disable=SC2086
		python3 "$HERE/oracle.py" "$f" "$TMP/$name" $want || fail "$name: oracle"
		expect_rc 0 grub check --file "$TMP/$name"
		# idempotent: a second apply changes nothing, byte for byte, and writes no backup
		cp "$TMP/$name" "$TMP/$name.after"
		rm -f "$TMP/$name.vfpt.bak.seen"
		[ -e "$TMP/$name.vfpt.bak" ] && mv "$TMP/$name.vfpt.bak" "$TMP/$name.vfpt.bak.seen"
		expect_rc 0 "$VFPT" --config "$TMP/corpus.conf" --json grub apply --no-update --file "$TMP/$name"
		[[ $OUT == *'"changed":false'* ]] || fail "$name: second apply says changed: $OUT"
		cmp -s "$TMP/$name" "$TMP/$name.after" || fail "$name: second apply rewrote the file"
		[ ! -e "$TMP/$name.vfpt.bak" ] || fail "$name: second apply wrote a backup"
		if ! grep -q satisfied <<<"$name"; then
			cmp -s "$TMP/$name.vfpt.bak.seen" "$f" || fail "$name: backup is not the old content"
		fi
	done
	grub() { "$VFPT" --config "$TMP/vfpt.conf" grub "$@"; }
}

test_exact_edits() {
	cp "$HERE/corpus/hand-conflict-later.grub" "$TMP/g"
	expect_rc 1 grub check --file "$TMP/g"
	[[ $OUT == *"intel_iommu=on MISSING: intel_iommu=off is in force"* ]] || fail "check: $OUT"
	expect_rc 0 grub apply --no-update --file "$TMP/g"
	[ "$(cat "$TMP/g")" = 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt quiet"
GRUB_CMDLINE_LINUX_DEFAULT="splash"' ] || fail "conflict: $(cat "$TMP/g")"
	cp "$HERE/corpus/hand-iommu-soft.grub" "$TMP/g"
	expect_rc 0 grub apply --no-update --file "$TMP/g"
	# iommu=soft does not undo iommu=pt (options add up): kept, iommu=pt added
	[ "$(cat "$TMP/g")" = 'GRUB_CMDLINE_LINUX="iommu=soft quiet xintel_iommu=on intel_iommu=on iommu=pt"' ] || fail "soft: $(cat "$TMP/g")"
}

test_vendor_auto() {
	printf '[global]\nkernel_args = auto\n' >"$TMP/auto.conf"
	cp "$HERE/corpus/debian12.grub" "$TMP/g"
	mkdir -p "$TMP/amd/proc" "$TMP/amd/sys"
	printf 'processor\t: 0\nvendor_id\t: AuthenticAMD\n' >"$TMP/amd/proc/cpuinfo"
	echo fixture >"$TMP/amd/sys/vfpt-fixture"
	UMOCKDEV_DIR=$TMP/amd LD_PRELOAD=libumockdev-preload.so.0 \
		expect_rc 0 "$VFPT" --config "$TMP/auto.conf" grub apply --no-update --file "$TMP/g"
	grep -qx 'GRUB_CMDLINE_LINUX="iommu=pt"' "$TMP/g" || fail "AMD: $(grep CMDLINE_LINUX= "$TMP/g")"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\n' >"$TMP/amd/proc/cpuinfo"
	UMOCKDEV_DIR=$TMP/amd LD_PRELOAD=libumockdev-preload.so.0 \
		expect_rc 0 "$VFPT" --config "$TMP/auto.conf" grub apply --no-update --file "$TMP/g"
	grep -qx 'GRUB_CMDLINE_LINUX="iommu=pt intel_iommu=on"' "$TMP/g" || fail "Intel: $(grep CMDLINE_LINUX= "$TMP/g")"
}

test_bad_inputs_untouched() {
	local f name
	for f in "$HERE"/bad/*.grub; do
		name=$(basename "$f")
		cp "$f" "$TMP/$name"
		expect_rc 2 grub apply --no-update --file "$TMP/$name"
		grep -qE "^vfpt: $TMP/$name:[0-9]+: " <<<"$ERR" || fail "$name: no FILE:LINE: error: $ERR"
		[ "$(wc -l <<<"$ERR")" = 1 ] || fail "$name: more than one line: $ERR"
		cmp -s "$f" "$TMP/$name" || fail "$name: modified"
		[ -z "$(find "$TMP" -maxdepth 1 -name ".$name*" -o -maxdepth 1 -name "$name.vfpt.bak")" ] || fail "$name: left files"
		expect_rc 2 grub check --file "$TMP/$name"
	done
	expect_rc 2 grub check --file "$TMP/does-not-exist"
}

test_mode_owner_symlink() {
	mkdir -p "$TMP/etc/default" "$TMP/store"
	cp "$HERE/corpus/debian12.grub" "$TMP/store/grub"
	chmod 0640 "$TMP/store/grub"
	chown 1234:5678 "$TMP/store/grub"
	ln -s ../../store/grub "$TMP/etc/default/grub"
	expect_rc 0 grub apply --no-update --file "$TMP/etc/default/grub"
	[ -L "$TMP/etc/default/grub" ] || fail "symlink replaced by a file"
	grep -q 'intel_iommu=on' "$TMP/store/grub" || fail "target not edited"
	[ "$(stat -c '%a %u %g' "$TMP/store/grub")" = "640 1234 5678" ] || fail "mode/owner: $(stat -c '%a %u %g' "$TMP/store/grub")"
	[ "$(stat -c '%a %u %g' "$TMP/store/grub.vfpt.bak")" = "640 1234 5678" ] || fail "backup mode/owner"
	[ -z "$(find "$TMP/store" -name '.grub.vfpt-*')" ] || fail "temp file left"
}

test_read_only_directory() {
	# root ignores mode bits: a read-only bind mount in a private mount namespace
	mkdir -p "$TMP/ro"
	cp "$HERE/corpus/debian12.grub" "$TMP/ro/grub"
	if ! unshare -m true 2>/dev/null; then
		fail "cannot make a mount namespace here (unshare -m)"
		return
	fi
	expect_rc 3 unshare -m sh -c 'mount --bind -o ro "$1" "$1" && exec "$2" --config "$3" grub apply --no-update --file "$1/grub"' \
		sh "$TMP/ro" "$VFPT" "$TMP/vfpt.conf"
	[[ $ERR == *"cannot write"*"unchanged"* ]] || fail "$ERR"
	cmp -s "$HERE/corpus/debian12.grub" "$TMP/ro/grub" || fail "modified"
}

# a sysroot with boot loader tools that record how they were called; vfpt
# runs them chrooted into it, so it holds a /bin/sh (this machine's, with its
# libraries) and a marker the tools look for: run outside, they refuse
sysroot() {
	R=$TMP/root
	rm -rf "$R"
	mkdir -p "$R/etc/default" "$R/usr/sbin"
	cp "$HERE/corpus/$1" "$R/etc/default/grub"
	local f
	for f in /bin/sh $(ldd /bin/sh | grep -o '/[^ ]*'); do
		cp -L --parents "$f" "$R"
	done
	: >"$R/vfpt-sysroot"
}
fake_tool() { # NAME [exit-code]
	cat >"$R/usr/sbin/$1" <<-SH
	#!/bin/sh
	[ -e /vfpt-sysroot ] || { echo "run outside the sysroot" >&2; exit 9; }
	echo "\$0 \$*" >>/tool.log
	[ "${2:-0}" = 0 ] || { echo "error: /boot is full" >&2; exit ${2:-0}; }
	SH
	chmod +x "$R/usr/sbin/$1"
}

test_debian_update_grub() {
	sysroot debian12.grub
	fake_tool update-grub
	VFPT_ROOT=$R expect_rc 0 grub apply
	grep -q intel_iommu=on "$R/etc/default/grub" || fail "not edited"
	[ "$(cat "$R/tool.log")" = "/usr/sbin/update-grub " ] || fail "tool: $(cat "$R/tool.log")"
	# a second run: nothing to do, no tool run
	VFPT_ROOT=$R expect_rc 0 grub apply
	[ "$(wc -l <"$R/tool.log")" = 1 ] || fail "tool ran again"
}

test_update_tool_failure_exit_3() {
	sysroot debian12.grub
	fake_tool update-grub 1
	VFPT_ROOT=$R expect_rc 3 grub apply
	[[ $ERR == *"update-grub failed (exit 1): error: /boot is full"* ]] || fail "$ERR"
	# --file names a GRUB file: that file alone, nothing regenerated (test_file_alone)
	sysroot debian12.grub
	VFPT_ROOT=$R expect_rc 0 grub apply --file "$R/etc/default/grub"
	[[ $ERR != *"no update-grub"* ]] || fail "$ERR"
}

# no boot loader to be seen: it says so and changes nothing (exit 2)
test_unknown_boot_loader_changes_nothing() {
	sysroot debian12.grub
	cp "$R/etc/default/grub" "$TMP/before"
	VFPT_ROOT=$R expect_rc 2 grub apply
	[ "$ERR" = "vfpt: cannot tell which boot loader is in use: no update-grub, grub-mkconfig, grub2-mkconfig, systemd-boot (loader/loader.conf on /efi, /boot or /boot/efi), kernel-install with /etc/kernel/cmdline, or proxmox-boot-tool; nothing changed" ] || fail "$ERR"
	cmp -s "$TMP/before" "$R/etc/default/grub" || fail "edited"
	[ ! -e "$R/etc/default/grub.vfpt.bak" ] || fail "backup written"
	VFPT_ROOT=$R expect_rc 2 grub check
	# GRUB and systemd-boot both installed, nothing says which boots
	fake_tool update-grub
	mkdir -p "$R/efi/loader" && : >"$R/efi/loader/loader.conf"
	VFPT_ROOT=$R expect_rc 2 grub apply
	[[ $ERR == *"cannot tell which boot loader is in use: both GRUB (/usr/sbin/update-grub) and systemd-boot (/efi/loader/loader.conf) are installed; nothing changed"* ]] || fail "$ERR"
	cmp -s "$TMP/before" "$R/etc/default/grub" || fail "edited"
	[ ! -e "$R/tool.log" ] || fail "tool ran"
}

test_rhel9_bls_entries() {
	sysroot rhel9-bls.grub
	fake_tool grub2-mkconfig
	mkdir -p "$R/boot/grub2" "$R/boot/loader/entries" "$R/etc/kernel"
	for k in 5.14.0-362 5.14.0-427; do
		printf 'title Red Hat Enterprise Linux (%s)\nversion %s\nlinux /vmlinuz-%s\ninitrd /initramfs-%s.img\noptions root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M rhgb quiet\ngrub_users $grub_users\n' \
			$k $k $k $k >"$R/boot/loader/entries/abc-$k.conf"
	done
	echo "root=/dev/mapper/rhel-root ro rhgb quiet" >"$R/etc/kernel/cmdline"
	VFPT_ROOT=$R expect_rc 1 grub check
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" --json grub apply
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["changed"] and len(d["boot_entries_changed"])==3, d' "$OUT" || fail "json: $OUT"
	for e in "$R"/boot/loader/entries/*.conf; do
		grep -qx 'options root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M rhgb quiet intel_iommu=on iommu=pt' "$e" ||
			fail "entry $(basename "$e"): $(grep options "$e")"
		grep -qx 'grub_users $grub_users' "$e" || fail "other lines changed"
	done
	grep -qx 'root=/dev/mapper/rhel-root ro rhgb quiet intel_iommu=on iommu=pt' "$R/etc/kernel/cmdline" || fail "kernel/cmdline"
	[ "$(cat "$R/tool.log")" = "/usr/sbin/grub2-mkconfig -o /boot/grub2/grub.cfg" ] || fail "tool: $(cat "$R/tool.log")"
	VFPT_ROOT=$R expect_rc 0 grub check
}

test_rhel8_grubenv_kernelopts() {
	sysroot rhel8-bls.grub
	fake_tool grub2-mkconfig
	mkdir -p "$R/boot/grub2" "$R/boot/loader/entries"
	printf 'title RHEL 8\nlinux /vmlinuz-4.18.0\noptions $kernelopts $tuned_params\n' >"$R/boot/loader/entries/x-4.18.0.conf"
	{
		printf '# GRUB Environment Block\nsaved_entry=x-4.18.0\nkernelopts=root=/dev/mapper/rhel-root ro crashkernel=auto rhgb quiet \nboot_success=0\n'
	} >"$R/boot/grub2/grubenv"
	size=$(stat -c %s "$R/boot/grub2/grubenv")
	head -c $((1024 - size)) /dev/zero | tr '\0' '#' >>"$R/boot/grub2/grubenv"
	cp "$R/boot/loader/entries/x-4.18.0.conf" "$TMP/entry.before"
	VFPT_ROOT=$R expect_rc 0 grub apply
	[ "$(stat -c %s "$R/boot/grub2/grubenv")" = 1024 ] || fail "grubenv size"
	grep -q '^kernelopts=root=/dev/mapper/rhel-root ro crashkernel=auto rhgb quiet intel_iommu=on iommu=pt$' "$R/boot/grub2/grubenv" ||
		fail "kernelopts: $(grep -a kernelopts "$R/boot/grub2/grubenv")"
	grep -qa '^saved_entry=x-4.18.0$' "$R/boot/grub2/grubenv" || fail "other grubenv keys"
	cmp -s "$TMP/entry.before" "$R/boot/loader/entries/x-4.18.0.conf" || fail "entry with \$kernelopts edited"
}

# names of any length, as sh reads them: ${A*127} is set, $A*300 is not
test_long_variable_name() {
	local a
	a=$(printf 'A%.0s' $(seq 300))
	printf '%s="intel_iommu=on iommu=pt "\nGRUB_CMDLINE_LINUX="$%s"\n' "${a:0:127}" "$a" >"$TMP/long"
	expect_rc 1 grub check --file "$TMP/long"
	[[ $OUT == *"intel_iommu=on MISSING"* ]] || fail "check: $OUT"
	printf '%s="intel_iommu=on iommu=pt"\nGRUB_CMDLINE_LINUX="${%s}"\n' "$a" "$a" >"$TMP/long"
	expect_rc 0 grub check --file "$TMP/long"
}

# --json: a file name that is not UTF-8 still gives valid UTF-8 (U+FFFD per bad byte)
test_json_non_utf8_path() {
	local d=$TMP/$'bad\xff\xc3'
	mkdir -p "$d"
	cp "$HERE/corpus/debian12.grub" "$d/grub"
	expect_rc 1 "$VFPT" --config "$TMP/vfpt.conf" --json grub check --file "$d/grub"
	python3 -c 'import json,sys; d=json.loads(sys.stdin.buffer.read().decode("utf-8", "strict")); assert d["file"].endswith("/bad\ufffd\ufffd/grub"), d' <"$TMP/out" ||
		fail "not valid UTF-8 JSON: $(od -c "$TMP/out" | head -3)"
}

# VFPT_ROOT: the sysroot's tool runs chrooted into it; the host's never runs
test_sysroot_tool_runs_inside() {
	sysroot debian12.grub
	fake_tool update-grub
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" --json grub apply
	[ "$(cat "$R/tool.log" 2>/dev/null)" = "/usr/sbin/update-grub " ] || fail "tool: $(cat "$R/tool.log" 2>&1) $ERR"
	python3 -c 'import json,sys; json.loads(sys.argv[1])' "$OUT" || fail "tool output in the document: $OUT"
	# cannot chroot (here: no shell inside): exit 3, the edit said, nothing run outside
	sysroot debian12.grub
	fake_tool update-grub
	rm -rf "$R/bin" "$R/lib" "$R/lib64" "$R/usr/lib"
	VFPT_ROOT=$R expect_rc 3 grub apply
	[[ $ERR == *"edited, but the boot configuration was not regenerated: cannot run /usr/sbin/update-grub in $R: "* ]] || fail "$ERR"
	[ ! -e "$R/tool.log" ] || fail "tool ran"
}

# BLS entries with several options lines: judged joined, as the loader does
test_bls_several_options_lines() {
	sysroot rhel9-bls.grub
	fake_tool grub2-mkconfig
	mkdir -p "$R/boot/grub2" "$R/boot/loader/entries"
	printf 'title A\nlinux /vmlinuz\noptions root=/dev/sda1 intel_iommu=on iommu=pt\noptions quiet intel_iommu=off\n' >"$R/boot/loader/entries/a.conf"
	printf 'title B\noptions root=/dev/sda1 intel_iommu=on\noptions iommu=pt\n' >"$R/boot/loader/entries/b.conf"
	sed -i 's/^GRUB_CMDLINE_LINUX="/GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt /' "$R/etc/default/grub"
	VFPT_ROOT=$R expect_rc 1 grub check
	[[ $OUT == *"a.conf: lacks kernel_args"* && $OUT != *"b.conf"* ]] || fail "check: $OUT"
	VFPT_ROOT=$R expect_rc 0 grub apply
	# (the kernel's rules: intel_iommu=off goes, the intel_iommu=on before it stays)
	[ "$(cat "$R/boot/loader/entries/a.conf")" = $'title A\nlinux /vmlinuz\noptions root=/dev/sda1 intel_iommu=on iommu=pt quiet' ] ||
		fail "a: $(cat "$R/boot/loader/entries/a.conf")"
	[ "$(cat "$R/boot/loader/entries/b.conf")" = $'title B\noptions root=/dev/sda1 intel_iommu=on\noptions iommu=pt' ] ||
		fail "b: $(cat "$R/boot/loader/entries/b.conf")"
}

# A Debian sysroot from tests/grub/seq/NAME: its /etc/default/grub and
# grub.d, the stand-in grub-mkconfig (sources both, writes grub.cfg) and
# update-grub calling it, as on Debian
seq_sysroot() {
	sysroot debian12.grub
	cp -a "$HERE/seq/$1/etc/default/." "$R/etc/default/"
	cp "$HERE/fake-grub-mkconfig" "$R/usr/sbin/grub-mkconfig"
	printf '#!/bin/sh\nexec grub-mkconfig -o /boot/grub/grub.cfg "$@"\n' >"$R/usr/sbin/update-grub"
	chmod +x "$R/usr/sbin/update-grub"
	mkdir -p "$R/boot/grub" "$R/dev"
	: >"$R/dev/null" # debian12.grub's GRUB_DISTRIBUTOR writes there
	printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n' >"$R/etc/os-release"
}

# every sequence of the corpus: check as sh sees the whole sequence, apply
# judged by the oracle sourcing the same sequence, grub.cfg regenerated with
# the arguments, nothing written the second time
test_dropin_sequences_oracle() {
	local d name want_rc
	for d in "$HERE"/seq/*/; do
		name=$(basename "$d")
		seq_sysroot "$name"
		want_rc=1
		[[ $name == *satisfied* ]] && want_rc=0
		VFPT_ROOT=$R expect_rc $want_rc grub check
		VFPT_ROOT=$R expect_rc 0 grub apply
		python3 "$HERE/oracle.py" "$d" "$R" "${WANT[@]}" || fail "$name: oracle"
		VFPT_ROOT=$R expect_rc 0 grub check
		if [ $want_rc = 0 ]; then
			[ ! -e "$R/tool.log" ] || fail "$name: satisfied, yet update-grub ran"
			diff -r --no-dereference "$d/etc/default" "$R/etc/default" >/dev/null || fail "$name: satisfied, yet rewritten"
			continue
		fi
		[ -z "$(find "$R/etc/default/grub.d" -name '*.vfpt.bak' -newer "$R/vfpt-sysroot" -name '*.cfg')" ] || fail "$name: a backup grub-mkconfig would source"
		# what the next boot gets: the default entry of the regenerated grub.cfg
		python3 -c '
import sys; sys.path.insert(0, sys.argv[1]); import oracle
line = next(l for l in open(sys.argv[2]) if l.strip().startswith("linux"))
words = oracle.kernel_split(line.split(None, 2)[2])
sys.exit(0 if all(oracle.satisfies(words, w) for w in sys.argv[3:]) else print(name, words) or 1)' "$HERE" "$R/boot/grub/grub.cfg" "${WANT[@]}" ||
			fail "$name: grub.cfg: $(grep -m1 linux "$R/boot/grub/grub.cfg")"
		cp -a "$R/etc/default" "$TMP/after"
		rm -f "$R/tool.log"
		VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" --json grub apply
		[[ $OUT == *'"changed":false'* ]] || fail "$name: second apply: $OUT"
		diff -r --no-dereference "$TMP/after" "$R/etc/default" >/dev/null || fail "$name: second apply rewrote"
		[ ! -e "$R/tool.log" ] || fail "$name: second apply ran update-grub"
		rm -rf "$TMP/after"
	done
}

# the issue's case: /etc/default/grub has the arguments, a drop-in turns
# the IOMMU off; check names the drop-in, apply edits it alone
test_dropin_iommu_off_exact() {
	seq_sysroot dropin-iommu-off
	VFPT_ROOT=$R expect_rc 1 grub check
	[[ $OUT == *"$R/etc/default/grub.d/99-cloud.cfg: intel_iommu=on MISSING: intel_iommu=off is in force"* ]] || fail "check: $OUT"
	# iommu=pt is written in /etc/default/grub, but passes nothing through with the Intel IOMMU off
	[[ $OUT == *"$R/etc/default/grub.d/99-cloud.cfg: iommu=pt MISSING: intel_iommu=off is in force"* ]] || fail "check: $OUT"
	cp "$R/etc/default/grub" "$TMP/grub.before"
	VFPT_ROOT=$R expect_rc 0 grub apply
	[ "$OUT" = "$R/etc/default/grub.d/99-cloud.cfg: updated (backup: $R/etc/default/grub.d/99-cloud.cfg.vfpt.bak)
boot configuration regenerated with /usr/sbin/update-grub" ] || fail "apply: $OUT"
	[ "$(cat "$R/etc/default/grub.d/99-cloud.cfg")" = '# cloud provider tuning
GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX"' ] || fail "drop-in: $(cat "$R/etc/default/grub.d/99-cloud.cfg")"
	cmp -s "$TMP/grub.before" "$R/etc/default/grub" || fail "/etc/default/grub changed"
	grep -q 'ro intel_iommu=on iommu=pt *quiet$' "$R/boot/grub/grub.cfg" || fail "grub.cfg: $(grep -m1 linux "$R/boot/grub/grub.cfg")"
}

# a drop-in that replaces the command line: the missing arguments go to its
# assignment (the one in force), not to /etc/default/grub where they do nothing
test_dropin_replaces_exact() {
	seq_sysroot dropin-replaces
	VFPT_ROOT=$R expect_rc 1 grub check
	[[ $OUT == *"$R/etc/default/grub.d/90-serial.cfg: intel_iommu=on MISSING"* ]] || fail "check: $OUT"
	VFPT_ROOT=$R expect_rc 0 grub apply
	grep -qx 'GRUB_CMDLINE_LINUX="console=tty0 console=ttyS1,115200n8 intel_iommu=on iommu=pt"' "$R/etc/default/grub.d/90-serial.cfg" ||
		fail "drop-in: $(cat "$R/etc/default/grub.d/90-serial.cfg")"
	cmp -s "$HERE/seq/dropin-replaces/etc/default/grub" "$R/etc/default/grub" || fail "/etc/default/grub changed"
}

# cloud images set GRUB_CMDLINE_LINUX_DEFAULT in a drop-in: the arguments go
# to /etc/default/grub's GRUB_CMDLINE_LINUX, the drop-in stays as it is
test_cloudimg_default_dropin() {
	seq_sysroot ubuntu-cloudimg
	VFPT_ROOT=$R expect_rc 0 grub apply
	cmp -s "$HERE/seq/ubuntu-cloudimg/etc/default/grub.d/50-cloudimg-settings.cfg" "$R/etc/default/grub.d/50-cloudimg-settings.cfg" || fail "drop-in edited"
	grep -qx 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"' "$R/etc/default/grub" || fail "grub: $(grep CMDLINE "$R/etc/default/grub")"
	grep -q 'ro intel_iommu=on iommu=pt console=tty1 console=ttyS0$' "$R/boot/grub/grub.cfg" || fail "grub.cfg: $(grep -m1 linux "$R/boot/grub/grub.cfg")"
}

# RHEL's grub2-mkconfig does not source grub.d: a file there changes nothing
test_rhel_ignores_grub_d() {
	sysroot rhel9-bls.grub
	fake_tool grub2-mkconfig
	mkdir -p "$R/boot/grub2" "$R/etc/default/grub.d"
	sed -i 's/^GRUB_CMDLINE_LINUX="/GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt /' "$R/etc/default/grub"
	printf 'GRUB_CMDLINE_LINUX="intel_iommu=off"\n' >"$R/etc/default/grub.d/99-x.cfg"
	VFPT_ROOT=$R expect_rc 0 grub check
	# the Debian family with no script to read: /etc/os-release says
	seq_sysroot dropin-iommu-off
	rm "$R/usr/sbin/grub-mkconfig"
	printf '#!/bin/sh\necho "$0" >>/tool.log\n' >"$R/usr/sbin/update-grub"
	printf 'ID=ubuntu\nID_LIKE=debian\n' >"$R/etc/os-release"
	VFPT_ROOT=$R expect_rc 1 grub check
	printf 'ID="rocky"\nID_LIKE="rhel centos fedora"\n' >"$R/etc/os-release"
	VFPT_ROOT=$R expect_rc 0 grub check
}

# RHEL 9.2 and 9.4 layouts: 9.2's grub2-mkconfig rewrites every BLS entry's
# options from GRUB_CMDLINE_LINUX, 9.3 and later leave them alone unless given
# --update-bls-cmdline; after grub apply the entries carry the arguments on
# both, read as grubby --info=ALL reads them
rhel_sysroot() { # 9.2|9.4
	sysroot rhel9-bls.grub
	mkdir -p "$R/boot/grub2" "$R/boot/loader/entries" "$R/etc/kernel"
	local k
	for k in 5.14.0-284.11.1.el9_2.x86_64 5.14.0-427.13.1.el9_4.x86_64; do
		printf 'title Red Hat Enterprise Linux (%s) 9\nversion %s\nlinux /vmlinuz-%s\ninitrd /initramfs-%s.img $tuned_initrd\noptions root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap\ngrub_users $grub_users\ngrub_arg --unrestricted\ngrub_class rhel\n' \
			"$k" "$k" "$k" "$k" >"$R/boot/loader/entries/0123abcd-$k.conf"
	done
	echo "root=/dev/mapper/rhel-root ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rhel-swap rd.lvm.lv=rhel/root rd.lvm.lv=rhel/swap" >"$R/etc/kernel/cmdline"
	if [ "$1" = 9.2 ]; then
		# 9.2: 10_linux puts GRUB_CMDLINE_LINUX into every entry's options
		cat >"$R/usr/sbin/grub2-mkconfig" <<-'SH'
		#!/bin/sh
		[ -e /vfpt-sysroot ] || exit 9
		echo "$0 $*" >>/tool.log
		. /etc/default/grub
		for e in /boot/loader/entries/*.conf; do
			text=
			while IFS= read -r l; do
				case $l in options*) l="options root=/dev/mapper/rhel-root ro $GRUB_CMDLINE_LINUX" ;; esac
				text="$text$l
		"
			done <"$e"
			printf '%s' "$text" >"$e"
		done
		SH
	else
		# 9.3 and later: entries left alone unless --update-bls-cmdline
		cat >"$R/usr/sbin/grub2-mkconfig" <<-'SH'
		#!/bin/sh
		[ -e /vfpt-sysroot ] || exit 9
		echo "$0 $*" >>/tool.log
		case " $* " in *" --update-bls-cmdline "*) echo "rewrote every entry's options" >>/tool.log ;; esac
		SH
	fi
	chmod +x "$R/usr/sbin/grub2-mkconfig"
}

# grubby --info=ALL: args="..." of each entry, $kernelopts from grubenv
grubby_args() {
	python3 - "$R" <<-'PY'
	import glob, os, sys
	root = sys.argv[1]
	env = {}
	p = os.path.join(root, "boot/grub2/grubenv")
	if os.path.exists(p):
	    env = dict(l.split("=", 1) for l in open(p).read().split("\n") if "=" in l and not l.startswith("#"))
	for e in sorted(glob.glob(os.path.join(root, "boot/loader/entries/*.conf"))):
	    opts = " ".join(l.split(None, 1)[1] for l in open(e) if l.startswith("options "))
	    opts = opts.replace("$kernelopts", env.get("kernelopts", ""))
	    print(f'args="{opts}"')
	PY
}

test_rhel92_and_94_same_result() {
	local v out92 out94
	for v in 9.2 9.4; do
		rhel_sysroot $v
		# an argument grubby gave one kernel only
		sed -i 's/^options .*/& mitigations=off/' "$R/boot/loader/entries/0123abcd-5.14.0-427.13.1.el9_4.x86_64.conf"
		VFPT_ROOT=$R expect_rc 1 grub check
		VFPT_ROOT=$R expect_rc 0 grub apply
		[ "$(head -1 "$R/tool.log")" = "/usr/sbin/grub2-mkconfig -o /boot/grub2/grub.cfg" ] || fail "$v: tool: $(cat "$R/tool.log")"
		[ "$(grubby_args | grep -c 'intel_iommu=on iommu=pt')" = 2 ] || fail "$v: grubby: $(grubby_args)"
		grep -qx 'root=/dev/mapper/rhel-root .* intel_iommu=on iommu=pt' "$R/etc/kernel/cmdline" || fail "$v: kernel/cmdline"
		VFPT_ROOT=$R expect_rc 0 grub check
		eval "out${v/./}=\$(grubby_args | sed 's/ mitigations=off//')"
	done
	[ "$out92" = "$out94" ] || fail "9.2 and 9.4 differ: $out92 / $out94"
	# 9.4: what grubby set on one kernel stays (no --update-bls-cmdline)
	grep -q 'intel_iommu=on iommu=pt mitigations=off$\|mitigations=off intel_iommu=on iommu=pt$' "$R/boot/loader/entries/0123abcd-5.14.0-427.13.1.el9_4.x86_64.conf" ||
		fail "per-entry argument lost: $(grep options "$R/boot/loader/entries/0123abcd-5.14.0-427.13.1.el9_4.x86_64.conf")"
	! grep -q "rewrote" "$R/tool.log" || fail "--update-bls-cmdline passed"
}

# systemd-boot with kernel-install: /etc/kernel/cmdline, the ESP's entries,
# kernel-install add for each installed kernel
sdboot_sysroot() { # [kernel-install exit code]
	sysroot debian12.grub
	rm -f "$R/etc/default/grub"
	mkdir -p "$R/efi/loader/entries" "$R/etc/kernel" "$R/usr/bin" "$R/usr/lib/modules/6.8.5-301.fc40.x86_64"
	printf 'timeout 3\n' >"$R/efi/loader/loader.conf"
	printf 'title      Fedora Linux 40\nversion    6.8.5-301.fc40.x86_64\nmachine-id 0123abcd\noptions    root=UUID=5e4e0dd5 rw rhgb quiet\nlinux      /0123abcd/6.8.5-301.fc40.x86_64/linux\ninitrd     /0123abcd/6.8.5-301.fc40.x86_64/initrd\n' \
		>"$R/efi/loader/entries/0123abcd-6.8.5-301.fc40.x86_64.conf"
	echo "root=UUID=5e4e0dd5 rw rhgb quiet" >"$R/etc/kernel/cmdline"
	: >"$R/usr/lib/modules/6.8.5-301.fc40.x86_64/vmlinuz"
	cat >"$R/usr/bin/kernel-install" <<-SH
	#!/bin/sh
	[ -e /vfpt-sysroot ] || exit 9
	echo "\$0 \$*" >>/tool.log
	[ "${1:-0}" = 0 ] || { echo "dracut: cannot write /efi: No space left on device" >&2; exit ${1:-0}; }
	SH
	chmod +x "$R/usr/bin/kernel-install"
}

test_systemd_boot_kernel_install() {
	sdboot_sysroot
	VFPT_ROOT=$R expect_rc 1 grub check
	[[ $OUT == *"$R/etc/kernel/cmdline: intel_iommu=on MISSING"* && $OUT == *"0123abcd-6.8.5-301.fc40.x86_64.conf: lacks kernel_args"* ]] || fail "check: $OUT"
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" bootloader apply
	[ "$(cat "$R/etc/kernel/cmdline")" = "root=UUID=5e4e0dd5 rw rhgb quiet intel_iommu=on iommu=pt" ] || fail "cmdline: $(cat "$R/etc/kernel/cmdline")"
	[ "$(cat "$R/etc/kernel/cmdline.vfpt.bak")" = "root=UUID=5e4e0dd5 rw rhgb quiet" ] || fail "backup"
	grep -qx 'options    root=UUID=5e4e0dd5 rw rhgb quiet intel_iommu=on iommu=pt' "$R/efi/loader/entries/0123abcd-6.8.5-301.fc40.x86_64.conf" || fail "entry"
	[ "$(cat "$R/tool.log")" = "/usr/bin/kernel-install add 6.8.5-301.fc40.x86_64 /usr/lib/modules/6.8.5-301.fc40.x86_64/vmlinuz" ] || fail "tool: $(cat "$R/tool.log")"
	[[ $OUT == *"boot configuration regenerated with /usr/bin/kernel-install"* ]] || fail "apply: $OUT"
	VFPT_ROOT=$R expect_rc 0 grub check
	# satisfied: nothing written, no tool run
	cp "$R/etc/kernel/cmdline" "$TMP/cmdline.after"
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" --json grub apply
	[[ $OUT == *'"changed":false'* && $OUT == *'"boot_loader":"systemd-boot (kernel-install)"'* ]] || fail "second: $OUT"
	[ "$(wc -l <"$R/tool.log")" = 1 ] || fail "tool ran again"
	cmp -s "$TMP/cmdline.after" "$R/etc/kernel/cmdline" || fail "rewritten"
}

test_kernel_install_failure_exit_3() {
	sdboot_sysroot 1
	VFPT_ROOT=$R expect_rc 3 grub apply
	[[ $ERR == *"$R/etc/kernel/cmdline: edited, but the boot configuration was not regenerated: /usr/bin/kernel-install failed (exit 1): dracut: cannot write /efi: No space left on device"* ]] || fail "$ERR"
}

# Proxmox VE: proxmox-boot-tool keeps the ESPs; systemd-boot ones read
# /etc/kernel/cmdline, GRUB ones /etc/default/grub; refresh writes them
pve_sysroot() { # [tool exit code]
	sysroot debian12.grub
	fake_tool update-grub
	fake_tool proxmox-boot-tool "${1:-0}"
	mkdir -p "$R/etc/kernel"
	echo "5B2A-9F1C" >"$R/etc/kernel/proxmox-boot-uuids"
}

test_proxmox_boot_tool() {
	pve_sysroot
	echo "root=ZFS=rpool/ROOT/pve-1 boot=zfs" >"$R/etc/kernel/cmdline"
	cp "$R/etc/default/grub" "$TMP/grub.before"
	VFPT_ROOT=$R expect_rc 1 grub check
	[[ $OUT == *"$R/etc/kernel/cmdline: intel_iommu=on MISSING"* ]] || fail "check: $OUT"
	VFPT_ROOT=$R expect_rc 0 grub apply
	[ "$(cat "$R/etc/kernel/cmdline")" = "root=ZFS=rpool/ROOT/pve-1 boot=zfs intel_iommu=on iommu=pt" ] || fail "cmdline: $(cat "$R/etc/kernel/cmdline")"
	[ "$(cat "$R/tool.log")" = "/usr/sbin/proxmox-boot-tool refresh" ] || fail "tool: $(cat "$R/tool.log")"
	cmp -s "$TMP/grub.before" "$R/etc/default/grub" || fail "/etc/default/grub edited"
	VFPT_ROOT=$R expect_rc 0 grub apply
	[ "$(wc -l <"$R/tool.log")" = 1 ] || fail "tool ran again"
	# GRUB ESPs (no /etc/kernel/cmdline): /etc/default/grub, then refresh
	pve_sysroot
	VFPT_ROOT=$R expect_rc 0 grub apply
	grep -qx 'GRUB_CMDLINE_LINUX="intel_iommu=on iommu=pt"' "$R/etc/default/grub" || fail "grub: $(grep CMDLINE "$R/etc/default/grub")"
	[ "$(cat "$R/tool.log")" = "/usr/sbin/proxmox-boot-tool refresh" ] || fail "tool: $(cat "$R/tool.log")"
	# the refresh fails: exit 3, its stderr said
	pve_sysroot 1
	echo "root=ZFS=rpool/ROOT/pve-1 boot=zfs" >"$R/etc/kernel/cmdline"
	VFPT_ROOT=$R expect_rc 3 grub apply
	[[ $ERR == *"/usr/sbin/proxmox-boot-tool failed (exit 1): error: /boot is full"* ]] || fail "$ERR"
}

# status: what the regenerated boot configuration gives at the next boot
# against /proc/cmdline; and an IOMMU still off with the arguments in force
status_json_check() { # PYTHON-EXPR on d (the document; a repeated member fails)
	python3 -c '
import json, sys
def once(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), keys
    return dict(pairs)
d = json.loads(sys.argv[1], object_pairs_hook=once)
assert eval(sys.argv[2]), d' "$OUT" "$1"
}

test_status_reboot_required() {
	. "$HERE/../fixture/host.sh"
	fx_init "$TMP/fx"
	echo "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=0b8e5d6c ro quiet" >"$FX/proc/cmdline"
	rmdir "$FX/sys/kernel/iommu_groups" && mkdir "$FX/sys/kernel/iommu_groups"
	seq_sysroot dropin-iommu-off
	st() { UMOCKDEV_DIR=$FX LD_PRELOAD=libumockdev-preload.so.0 VFPT_ROOT=$R "$VFPT" --config "$TMP/vfpt.conf" "$@" status; }
	# grub.cfg as update-grub left it before vfpt: the drop-in's intel_iommu=off
	chroot "$R" /usr/sbin/update-grub || fail "update-grub in the sysroot"
	expect_rc 1 st
	# (/etc/default/grub's iommu=pt is in it, but the drop-in's intel_iommu=off
	# leaves it nothing to pass through: neither is in effect)
	[[ $OUT != *"reboot required"* ]] || fail "before: $OUT"
	[[ $OUT == *"the next boot lacks intel_iommu=on iommu=pt too ($R/boot/grub/grub.cfg): run 'vfpt grub apply'"* ]] || fail "before: $OUT"
	expect_rc 1 st --json
	status_json_check 'd["next_boot"]["adds"] == [] and d["next_boot"]["lacks"] == ["intel_iommu=on", "iommu=pt"]' || fail "json before: $OUT"
	VFPT_ROOT=$R expect_rc 0 grub apply
	expect_rc 1 st
	[[ $OUT == *"reboot required: the next boot adds intel_iommu=on iommu=pt ($R/boot/grub/grub.cfg)"* ]] || fail "after apply: $OUT"
	expect_rc 1 st --json
	status_json_check 'd["reboot_required"] is True and d["next_boot"]["adds"] == ["intel_iommu=on", "iommu=pt"]' || fail "json after: $OUT"
	# rebooted with the arguments, yet no IOMMU: the firmware's switch
	echo "BOOT_IMAGE=/boot/vmlinuz-6.1.0-18-amd64 root=UUID=0b8e5d6c ro intel_iommu=on iommu=pt quiet" >"$FX/proc/cmdline"
	expect_rc 1 st
	[[ $OUT == *"IOMMU: no IOMMU registered (/sys/class/iommu is empty) although the arguments are on the command line: firmware VT-d/AMD-Vi disabled?"* ]] || fail "firmware: $OUT"
	[[ $OUT != *"reboot required"* ]] || fail "firmware: $OUT"
	expect_rc 1 st --json
	status_json_check 'd["reboot_required"] is False and "VT-d" in d["iommu_hint"]' || fail "json firmware: $OUT"
	# an IOMMU registered but no groups
	mkdir -p "$FX/sys/class/iommu/dmar0"
	expect_rc 1 st
	[[ $OUT == *"IOMMU: dmar0 registered but no IOMMU groups"* ]] || fail "dmar0: $OUT"
}

# systemd-boot: the newest entry is what boots next
test_status_next_boot_systemd_boot() {
	. "$HERE/../fixture/host.sh"
	fx_init "$TMP/fx"
	echo "initrd=/0123abcd/6.8.5-301.fc40.x86_64/initrd root=UUID=5e4e0dd5 rw rhgb quiet" >"$FX/proc/cmdline"
	sdboot_sysroot
	VFPT_ROOT=$R expect_rc 0 grub apply
	UMOCKDEV_DIR=$FX LD_PRELOAD=libumockdev-preload.so.0 VFPT_ROOT=$R expect_rc 1 "$VFPT" --config "$TMP/vfpt.conf" status
	[[ $OUT == *"reboot required: the next boot adds intel_iommu=on iommu=pt ($R/efi/loader/entries/0123abcd-6.8.5-301.fc40.x86_64.conf)"* ]] || fail "$OUT"
}

# CentOS 7 on legacy BIOS: grub.cfg boots with linux16; its arguments are read too
test_status_next_boot_linux16() {
	. "$HERE/../fixture/host.sh"
	fx_init "$TMP/fx"
	echo "BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro rhgb quiet" >"$FX/proc/cmdline"
	sysroot centos7.grub
	fake_tool grub2-mkconfig
	mkdir -p "$R/boot/grub2"
	printf "set default=\"\${saved_entry}\"\nmenuentry 'CentOS Linux (3.10.0-1160.el7.x86_64) 7 (Core)' {\n\tlinux16 /vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro rhgb quiet intel_iommu=on iommu=pt\n\tinitrd16 /initramfs-3.10.0-1160.el7.x86_64.img\n}\n" >"$R/boot/grub2/grub.cfg"
	UMOCKDEV_DIR=$FX LD_PRELOAD=libumockdev-preload.so.0 VFPT_ROOT=$R expect_rc 1 "$VFPT" --config "$TMP/vfpt.conf" status
	[[ $OUT == *"reboot required: the next boot adds intel_iommu=on iommu=pt ($R/boot/grub2/grub.cfg)"* ]] || fail "$OUT"
}

# --file is that file alone: no BLS entry, /etc/kernel/cmdline or grubenv
# edited, nothing regenerated; under VFPT_ROOT it says whether it is inside
test_file_alone() {
	sysroot rhel9-bls.grub
	fake_tool grub2-mkconfig
	mkdir -p "$R/boot/grub2" "$R/boot/loader/entries" "$R/etc/kernel"
	printf 'title A\nlinux /vmlinuz\noptions root=/dev/sda1 quiet\n' >"$R/boot/loader/entries/a.conf"
	echo "root=/dev/sda1 quiet" >"$R/etc/kernel/cmdline"
	cp -a "$R/boot" "$TMP/boot.before"
	cp "$R/etc/kernel/cmdline" "$TMP/cmdline.before"
	VFPT_ROOT=$R expect_rc 0 grub apply --file "$R/etc/default/grub"
	grep -q 'intel_iommu=on iommu=pt' "$R/etc/default/grub" || fail "file not edited"
	diff -r "$TMP/boot.before" "$R/boot" >/dev/null || fail "boot entries edited"
	cmp -s "$TMP/cmdline.before" "$R/etc/kernel/cmdline" || fail "/etc/kernel/cmdline edited: $(cat "$R/etc/kernel/cmdline")"
	[ ! -e "$R/tool.log" ] || fail "regenerated: $(cat "$R/tool.log")"
	[[ $ERR == *"$R/etc/default/grub: inside VFPT_ROOT $R"* ]] || fail "inside: $ERR"
	cp "$HERE/corpus/debian12.grub" "$TMP/elsewhere.grub"
	VFPT_ROOT=$R expect_rc 1 grub check --file "$TMP/elsewhere.grub"
	[[ $ERR == *"$TMP/elsewhere.grub: OUTSIDE VFPT_ROOT $R"* ]] || fail "outside: $ERR"
	[[ $OUT != *"lacks kernel_args"* ]] || fail "check --file judged the entries: $OUT"
}

# under VFPT_ROOT, --file says whether it is inside the sysroot, where both
# really are: a trailing slash, a symlinked sysroot, a relative path, a file
# not there yet, a path that leaves by ".."
test_file_inside_sysroot_told() {
	sysroot debian12.grub
	ln -sfn root "$TMP/root-link"
	VFPT_ROOT=$R/ expect_rc 1 grub check --file "$R/etc/default/grub"
	[[ $ERR == *"$R/etc/default/grub: inside VFPT_ROOT $R/ "* ]] || fail "trailing slash: $ERR"
	VFPT_ROOT=$TMP/root-link expect_rc 1 grub check --file "$TMP/root-link/etc/default/grub"
	[[ $ERR == *": inside VFPT_ROOT $TMP/root-link "* ]] || fail "symlinked sysroot: $ERR"
	(cd "$R/etc" && VFPT_ROOT=$R expect_rc 1 grub check --file default/grub && [[ $ERR == *"default/grub: inside VFPT_ROOT $R (--file is used as given, relative to the working directory"* ]]) || fail "relative: $ERR"
	VFPT_ROOT=$R expect_rc 2 grub check --file "$R/etc/default/grub.new"
	[[ $ERR == *"$R/etc/default/grub.new: inside VFPT_ROOT $R "* ]] || fail "not there yet: $ERR"
	cp "$HERE/corpus/debian12.grub" "$TMP/elsewhere.grub"
	VFPT_ROOT=$R expect_rc 1 grub check --file "$R/../elsewhere.grub"
	[[ $ERR == *"$R/../elsewhere.grub: OUTSIDE VFPT_ROOT $R "* ]] || fail "..: $ERR"
	[ "$(grep -c 'VFPT_ROOT' <<<"$ERR")" = 1 ] || fail "not one line: $ERR"
}

# a symlinked /etc/default/grub: its backup is where the file really is, and
# JSON names every backup made
test_backups_real_path() {
	sysroot debian12.grub
	fake_tool update-grub
	mkdir -p "$R/store" "$R/etc/default/grub.d"
	printf 'GRUB_CMDLINE_LINUX="quiet"\n' >"$R/store/grub"
	ln -sf ../../store/grub "$R/etc/default/grub"
	printf 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX intel_iommu=off"\n' >"$R/etc/default/grub.d/50-off.cfg"
	printf 'PRETTY_NAME="Debian"\nID=debian\n' >"$R/etc/os-release"
	VFPT_ROOT=$R expect_rc 0 grub apply --no-update
	[[ $OUT == *"$R/etc/default/grub: updated (backup: $R/store/grub.vfpt.bak)"* ]] || fail "text: $OUT"
	[ -e "$R/store/grub.vfpt.bak" ] && [ ! -e "$R/etc/default/grub.vfpt.bak" ] || fail "backup not beside the real file"
	cp "$R/store/grub.vfpt.bak" "$R/store/grub"
	cp "$R/etc/default/grub.d/50-off.cfg.vfpt.bak" "$R/etc/default/grub.d/50-off.cfg"
	VFPT_ROOT=$R expect_rc 0 "$VFPT" --config "$TMP/vfpt.conf" --json grub apply --no-update
	python3 -c '
import json, sys
d = json.loads(sys.argv[1]); r = sys.argv[2]
assert sorted(d["backups"]) == sorted([r + "/store/grub.vfpt.bak", r + "/etc/default/grub.d/50-off.cfg.vfpt.bak"]), d
assert d["backup"] in d["backups"], d' "$OUT" "$R" || fail "json: $OUT"
}

# a drop-in symlinked to another is one file sourced twice: edited once, its
# backup the original, and the sequence read back is the one verified
test_dropin_symlink_edited_once() {
	seq_sysroot dropin-iommu-off
	ln -s 99-cloud.cfg "$R/etc/default/grub.d/99-zz-again.cfg"
	cp "$R/etc/default/grub.d/99-cloud.cfg" "$TMP/cloud.before"
	VFPT_ROOT=$R expect_rc 0 grub apply
	cmp -s "$TMP/cloud.before" "$R/etc/default/grub.d/99-cloud.cfg.vfpt.bak" || fail "backup is not the original: $(cat "$R/etc/default/grub.d/99-cloud.cfg.vfpt.bak")"
	[ "$(grep -c updated <<<"$OUT")" = 1 ] || fail "edited more than once: $OUT"
	[ -L "$R/etc/default/grub.d/99-zz-again.cfg" ] || fail "link replaced"
	python3 "$HERE/oracle.py" "$HERE/seq/dropin-iommu-off" "$R" "${WANT[@]}" 2>&1 | grep -v 'files added' | grep . && fail "oracle"
	VFPT_ROOT=$R expect_rc 0 grub check
}

# a drop-in symlinked to another where only the later name is in force: the
# edit made there is what both names read, written once, verified as both
# read it; one that would change another variable when read twice is refused
test_dropin_symlink_later_name_edited() {
	sysroot debian12.grub
	fake_tool update-grub
	printf 'PRETTY_NAME="Debian"\nID=debian\n' >"$R/etc/os-release"
	mkdir -p "$R/etc/default/grub.d"
	printf 'GRUB_CMDLINE_LINUX="console=ttyS0"\n' >"$R/etc/default/grub.d/50-a.cfg"
	ln -s 50-a.cfg "$R/etc/default/grub.d/60-b.cfg"
	VFPT_ROOT=$R expect_rc 0 grub apply --no-update
	[ "$(cat "$R/etc/default/grub.d/50-a.cfg")" = 'GRUB_CMDLINE_LINUX="console=ttyS0 intel_iommu=on iommu=pt"' ] || fail "$(cat "$R/etc/default/grub.d/50-a.cfg"); $ERR"
	[ "$(cat "$R/etc/default/grub.d/50-a.cfg.vfpt.bak" 2>&1)" = 'GRUB_CMDLINE_LINUX="console=ttyS0"' ] || fail "backup: $(cat "$R/etc/default/grub.d/50-a.cfg.vfpt.bak" 2>&1)"
	[ "$(grep -c updated <<<"$OUT")" = 1 ] && [ -L "$R/etc/default/grub.d/60-b.cfg" ] || fail "$OUT"
	VFPT_ROOT=$R expect_rc 0 grub check
	# read twice, X would take the new arguments the second time
	printf 'X="$GRUB_CMDLINE_LINUX"\nGRUB_CMDLINE_LINUX="console=ttyS0"\n' >"$R/etc/default/grub.d/50-a.cfg"
	cp "$R/etc/default/grub.d/50-a.cfg" "$TMP/a.before"
	rm -f "$R/etc/default/grub.d/50-a.cfg.vfpt.bak"
	VFPT_ROOT=$R expect_rc 2 grub apply --no-update
	[[ $ERR == *"sourced twice"*"nothing changed"* ]] || fail "$ERR"
	cmp -s "$TMP/a.before" "$R/etc/default/grub.d/50-a.cfg" && [ ! -e "$R/etc/default/grub.d/50-a.cfg.vfpt.bak" ] || fail "changed"
}

# an immutable file: apply fails, the file and its previous backup stay, no stray backup
test_immutable_no_stray_backup() {
	cp "$HERE/corpus/debian12.grub" "$TMP/imm"
	echo "previous backup" >"$TMP/imm.vfpt.bak"
	if ! chattr +i "$TMP/imm" 2>/dev/null; then
		fail "chattr +i not supported on $TMP"
		return
	fi
	expect_rc 3 grub apply --no-update --file "$TMP/imm"
	chattr -i "$TMP/imm"
	[[ $ERR == *"cannot write"*"unchanged"* ]] || fail "$ERR"
	cmp -s "$HERE/corpus/debian12.grub" "$TMP/imm" || fail "modified"
	[ "$(cat "$TMP/imm.vfpt.bak")" = "previous backup" ] || fail "previous backup replaced"
	[ -z "$(find "$TMP" -maxdepth 1 -name '.imm*')" ] || fail "temporary left"
	rm -f "$TMP/imm.vfpt.bak"
	cp "$HERE/corpus/debian12.grub" "$TMP/imm"
	chattr +i "$TMP/imm"
	expect_rc 3 grub apply --no-update --file "$TMP/imm"
	chattr -i "$TMP/imm"
	[ ! -e "$TMP/imm.vfpt.bak" ] || fail "stray backup left"
}

# a FIFO among the drop-ins (grub-mkconfig would hang sourcing it): every
# grub command refuses it at once, exit 2, naming it; nothing written
test_dropin_fifo_refused() {
	seq_sysroot dropin-iommu-off
	mkfifo "$R/etc/default/grub.d/50-fifo.cfg"
	cp -a "$R/etc/default" "$TMP/before"
	VFPT_ROOT=$R expect_rc 2 timeout 20 "$VFPT" --config "$TMP/vfpt.conf" grub check
	[[ $ERR == *"$R/etc/default/grub.d/50-fifo.cfg"*"not a regular file"* ]] || fail "check: $ERR"
	VFPT_ROOT=$R expect_rc 2 timeout 20 "$VFPT" --config "$TMP/vfpt.conf" grub apply
	# (diff calls two FIFOs different: the FIFO is left out of the comparison)
	rm "$R/etc/default/grub.d/50-fifo.cfg" "$TMP/before/grub.d/50-fifo.cfg"
	diff -r --no-dereference "$TMP/before" "$R/etc/default" >/dev/null || fail "apply wrote"
	rm -rf "$TMP/before"
}

# a POSIX ACL set or read as the kernel stores it (setfacl/getfacl need the
# acl package): acl PATH set|get [default]
acl() {
	python3 - "$@" <<-'PY'
	import os, struct, sys
	path, op = sys.argv[1], sys.argv[2]
	name = "system.posix_acl_" + ("default" if sys.argv[3:] == ["default"] else "access")
	if op == "set":  # user::rw- user:nobody(65534):rw- group::r-- mask::rw- other::r--
	    e = [(1, 6, 0xffffffff), (2, 6, 65534), (4, 4, 0xffffffff), (0x10, 6, 0xffffffff), (0x20, 4, 0xffffffff)]
	    os.setxattr(path, name, struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *x) for x in e))
	else:
	    try:
	        print(os.getxattr(path, name).hex())
	    except OSError:
	        print("none")
	PY
}

# the atomic rewrite keeps the file's extended attributes exactly: user.*
# and an ACL of its own kept (on the backup too), an ACL the directory's
# default ACL would give the new file not added
test_xattrs_and_acl_exact() {
	local d=$TMP/xa
	mkdir -p "$d"
	cp "$HERE/corpus/debian12.grub" "$d/grub"
	if ! python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.vfpt", b"bootloader_etc_t")' "$d/grub" 2>/dev/null ||
		! acl "$d/grub" set 2>/dev/null; then
		echo "# skip test_xattrs_and_acl_exact: $(df --output=fstype "$d" | tail -1) at $d holds no user.* attributes or POSIX ACLs"
		return
	fi
	local before
	before=$(acl "$d/grub" get)
	expect_rc 0 grub apply --file "$d/grub"
	for f in "$d/grub" "$d/grub.vfpt.bak"; do
		[ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.vfpt").decode())' "$f")" = bootloader_etc_t ] || fail "$f: user.vfpt lost"
		[ "$(acl "$f" get)" = "$before" ] || fail "$f: ACL $(acl "$f" get), was $before"
	done
	grep -q 'intel_iommu=on iommu=pt' "$d/grub" || fail "not edited"
	# no ACL of its own, in a directory with a default ACL
	rm -f "$d"/*
	acl "$d" set default
	cp "$HERE/corpus/debian12.grub" "$d/grub"
	python3 -c 'import os,sys; os.removexattr(sys.argv[1], "system.posix_acl_access")' "$d/grub" 2>/dev/null
	[ "$(acl "$d/grub" get)" = none ] || fail "fixture"
	expect_rc 0 grub apply --file "$d/grub"
	[ "$(acl "$d/grub" get)" = none ] || fail "an ACL was added: $(acl "$d/grub" get)"
	[ "$(acl "$d/grub.vfpt.bak" get)" = none ] || fail "an ACL was added to the backup"
}

# an attribute that cannot be set on the new file: refused in one line
# naming it, the file and the previous backup as they were
test_xattr_not_kept_refused() {
	local d=$TMP/xr
	mkdir -p "$d"
	cp "$HERE/corpus/debian12.grub" "$d/grub"
	echo "previous backup" >"$d/grub.vfpt.bak"
	if ! python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.vfpt_deny", b"x")' "$d/grub" 2>/dev/null; then
		echo "# skip test_xattr_not_kept_refused: no user.* attributes at $d"
		return
	fi
	# a policy that refuses the label on new files, as SELinux may
	printf '%s\n' '#define _GNU_SOURCE' '#include <dlfcn.h>' '#include <errno.h>' '#include <string.h>' \
		'#include <sys/types.h>' \
		'int fsetxattr(int fd, const char *n, const void *v, size_t s, int f) {' \
		'	if (strcmp(n, "user.vfpt_deny") == 0) { errno = EACCES; return -1; }' \
		'	int (*real)(int, const char *, const void *, size_t, int) = (int (*)(int, const char *, const void *, size_t, int)) dlsym(RTLD_NEXT, "fsetxattr");' \
		'	return real(fd, n, v, s, f);' '}' >"$TMP/deny.c"
	cc -shared -fPIC -o "$TMP/deny.so" "$TMP/deny.c" -ldl || { fail "cc"; return; }
	LD_PRELOAD=$TMP/deny.so expect_rc 3 grub apply --file "$d/grub"
	[ "$(wc -l <<<"$ERR")" = 1 ] && [[ $ERR == *"$d/grub: cannot keep its extended attribute user.vfpt_deny"*"nothing changed"* ]] || fail "$ERR"
	cmp -s "$HERE/corpus/debian12.grub" "$d/grub" || fail "file changed"
	[ "$(cat "$d/grub.vfpt.bak")" = "previous backup" ] || fail "backup replaced"
	[ -z "$(find "$d" -name '.grub*')" ] || fail "temporary left: $(ls -a "$d")"
}

# an immutable previous backup: nothing is written (before, the file was
# replaced and its old content kept nowhere)
test_immutable_backup_file_unchanged() {
	cp "$HERE/corpus/debian12.grub" "$TMP/ib"
	echo "previous backup" >"$TMP/ib.vfpt.bak"
	chattr +i "$TMP/ib.vfpt.bak" || { fail "chattr +i not supported on $TMP"; return; }
	expect_rc 3 grub apply --no-update --file "$TMP/ib"
	chattr -i "$TMP/ib.vfpt.bak"
	[[ $ERR == *"$TMP/ib: cannot write"*"the file is unchanged"* ]] || fail "$ERR"
	cmp -s "$HERE/corpus/debian12.grub" "$TMP/ib" || fail "file changed: $(grep CMDLINE "$TMP/ib")"
	[ "$(cat "$TMP/ib.vfpt.bak")" = "previous backup" ] || fail "backup replaced"
	[ -z "$(find "$TMP" -maxdepth 1 -name '.ib*')" ] || fail "temporary left"
}

# the sequence is written whole or not at all: a drop-in that cannot be
# written (immutable) leaves /etc/default/grub, written before it, as it was
test_sequence_all_or_nothing() {
	sysroot debian12.grub
	fake_tool update-grub
	printf 'PRETTY_NAME="Debian"\nID=debian\n' >"$R/etc/os-release"
	mkdir -p "$R/etc/default/grub.d"
	printf 'GRUB_CMDLINE_LINUX="intel_iommu=off"\n' >"$R/etc/default/grub"
	printf 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX iommu=off"\n' >"$R/etc/default/grub.d/50-off.cfg"
	echo "previous backup" >"$R/etc/default/grub.vfpt.bak"
	cp -a "$R/etc/default" "$TMP/default.before"
	chattr +i "$R/etc/default/grub.d/50-off.cfg" || { fail "chattr +i not supported"; return; }
	VFPT_ROOT=$R expect_rc 3 grub apply --no-update
	chattr -i "$R/etc/default/grub.d/50-off.cfg"
	[[ $ERR == *"50-off.cfg: cannot write"*"every file is unchanged"* ]] || fail "$ERR"
	diff -r "$TMP/default.before" "$R/etc/default" >&2 || fail "changed"
	VFPT_ROOT=$R expect_rc 0 grub apply --no-update
	[ "$(cat "$R/etc/default/grub.vfpt.bak")" = 'GRUB_CMDLINE_LINUX="intel_iommu=off"' ] || fail "backup"
	VFPT_ROOT=$R expect_rc 0 grub check
}

for t in $(declare -F | awk '$3 ~ /^test_/ {print $3}'); do run_test "$t"; done
finish
