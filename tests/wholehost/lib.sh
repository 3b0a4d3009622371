# shellcheck shell=bash source-path=SCRIPTDIR
# shellcheck disable=SC2034 # BOOT_SECONDS, WH_BOOT_ERR, WH_TREE...: for the scenario scripts
# The whole-host harness: a Debian 13 (or 12) system installed on a disk
# image, booted by QEMU (TCG) through OVMF and GRUB, like a real host.
#
# - base (base.sh): mmdebstrap's tree, cached in build/wholehost keyed by a
#   hash of base.sh; a "dracut" and an "itools" (initramfs-tools) variant.
# - layer (wh_layer): a copy of the base with vfpt installed from the working
#   tree as a user of that release does, plus the test unit (guest/), rebuilt
#   on every run: on Debian 13 the .deb dpkg-buildpackage made in the
#   trixie-build base (wh_deb), installed by dpkg -i; on Debian 12 "make
#   install DESTDIR=... PREFIX=/usr" of this machine's build.
# - kickstart steps (wh_chroot): commands in the tree's chroot as a
#   kickstart %post runs them (private mount namespace, a /proc, never this
#   machine's /sys). grub-probe cannot see a device behind a directory: while
#   a step runs, guest/grub-probe-shim is dpkg-diverted over it and answers
#   for the partition the image will have (the fixed UUID); update-grub and
#   vfpt's own regeneration are otherwise Debian's. In the booted guest the
#   real grub-probe runs.
# - disk (wh_image): ext4 by "mke2fs -d" with a fixed UUID, an ESP by
#   mkfs.vfat + mcopy holding GRUB (grub-mkstandalone, built in the base: it
#   finds the root file system by UUID and reads the /boot/grub/grub.cfg that
#   update-grub wrote), both put at their offsets of a GPT disk by sfdisk and
#   dd. No loop device, no mount. Each scenario boots a qcow2 overlay of it.
# - boot (wh_boot): QEMU 10 from bookworm-backports (qemu_backports of
#   tests/qemu/lib.sh), q35, Intel IOMMU, OVMF pflash. The boot's plan (a sh
#   script of guest/wh-check's checks and actions) goes in through fw_cfg;
#   vfpt-test.service runs it after multi-user.target, prints "VFPT-TEST"
#   lines on the serial console and powers off.

WH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../qemu/lib.sh
. "$WH_LIB_DIR/../qemu/lib.sh"
# shellcheck source=base.sh
. "$WH_LIB_DIR/base.sh"
WDIR=${WDIR:-$TOP/build/wholehost}
WH_TIMEOUT=${WH_TIMEOUT:-600}
WH_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
WH_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
WH_ROOT_SIZE=3G

wlog() { echo "wholehost: $*" >&2; }

# build vfpt and the guest's test tools, fetch QEMU 10
wh_prepare() {
	mkdir -p "$WDIR"
	make -s -C "$TOP" build/vfpt || { wlog "make build/vfpt failed"; return 1; }
	gcc -static -O2 -o "$WDIR/vfio-open" "$TOP/tests/qemu/guest/vfio-open.c" || return 1
	# shellcheck disable=SC2153 # QDIR: tests/qemu/lib.sh
	qemu_backports || { wlog "QEMU from bookworm-backports: $(tail -2 "$QDIR/bpo/apt.log" 2>/dev/null)"; return 1; }
	[ -r "$WH_OVMF_CODE" ] || { wlog "no OVMF ($WH_OVMF_CODE): apt-get install ovmf"; return 1; }
}

# wh_base_ready VARIANT: wh_base (base.sh) under a lock, so that a build
# started in the background (wh_prefetch) and a scenario that needs the same
# base wait for one another instead of building it twice
wh_base_ready() {
	local cache=${WH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfpt-wholehost} fd rc=0
	mkdir -p "$cache"
	exec {fd}>"$cache/.lock-$1"
	flock "$fd"
	wh_base "$1" || rc=$?
	exec {fd}>&-
	return $rc
}

# wh_prefetch VARIANT...: build those bases in the background, so that on a
# fresh machine the two mmdebstraps run side by side (and beside the first
# boots) rather than one after the other; a scenario needing one waits for it
wh_prefetch() {
	local v
	for v in "$@"; do
		(wh_base_ready "$v") </dev/null >/dev/null 2>&1 &
	done
}

# wh_src DIR: the working tree's source files (tracked and new, not ignored)
# as a clean clone of it would hold them
wh_src() {
	rm -rf "$1"
	mkdir -p "$1"
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$1"
}

# wh_deb SUITE: vfpt's .deb as a user of that Debian release builds it, by
# dpkg-buildpackage from the working tree: for trixie in the trixie-build
# base (Debian 13's gcc, headers and debhelper, nothing else: the build
# fails if debian/control lacks a Build-Depends), seen through an overlay so
# that the cached base stays as it was. Built again when the source changed;
# sets WH_DEB.
wh_deb() {
	local suite=$1 d=$WDIR/deb-$1 start=$SECONDS sum
	WH_DEB=$d/vfpt_0.1.0_amd64.deb
	wh_src "$WDIR/src-$suite/vfpt-0.1.0"
	sum=$(cd "$WDIR/src-$suite" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
	[ -e "$WH_DEB" ] && [ "$(cat "$d/done" 2>/dev/null)" = "$sum" ] && return 0
	wh_base_ready "$suite-build" || { wlog "the $suite-build base: $(tail -3 "$WDIR/base-$suite-build.log")"; return 1; }
	rm -rf "$d"
	mkdir -p "$d/up" "$d/work" "$d/tree"
	mv "$WDIR/src-$suite" "$d/build"
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m sh -ec '
		base=$1 d=$2
		mount -t overlay overlay -o lowerdir="$base",upperdir="$d/up",workdir="$d/work" "$d/tree"
		mount -t proc proc "$d/tree/proc"
		mount -t tmpfs -o mode=0755 tmpfs "$d/tree/dev"
		mknod -m 0666 "$d/tree/dev/null" c 1 3
		mknod -m 0666 "$d/tree/dev/zero" c 1 5
		mknod -m 0666 "$d/tree/dev/urandom" c 1 9
		mkdir -p "$d/tree/build"
		mount --bind "$d/build" "$d/tree/build"
		chroot "$d/tree" env -u TMPDIR sh -c "cd /build/vfpt-0.1.0 && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b"
	' sh "$WH_BASE/root" "$d" >"$d/build.log" 2>&1 || { wlog "dpkg-buildpackage in the $suite-build tree failed: $(tail -5 "$d/build.log")"; return 1; }
	mv "$d/build/vfpt_0.1.0_amd64.deb" "$WH_DEB" || return 1
	rm -rf "$d/up" "$d/work" "$d/tree" "$d/build"
	wlog "vfpt's .deb built in the $suite-build tree in $((SECONDS - start))s"
	echo "$sum" >"$d/done"
}

# wh_layer VARIANT NAME: the base plus vfpt as a user installs it, plus the
# test unit; sets WH_TREE. Debian 12 variants: "make install" of this
# machine's build (a Debian 12 one). Debian 13 (trixie-*): the .deb built
# on Debian 13 (wh_deb) installed by dpkg, whose maintainer scripts enable
# the unit.
wh_layer() {
	local variant=$1 name=$2
	# the .deb first: its build base is a WH_BASE too
	case $variant in
	trixie-*) wh_deb trixie || return 1 ;;
	esac
	wh_base_ready "$variant" || return 1
	wh_copy "$WH_BASE/root" "$name"
	case $variant in
	trixie-*)
		cp "$WH_DEB" "$WH_TREE/tmp/" || return 1
		wh_chroot "$WH_TREE" dpkg -i "/tmp/$(basename "$WH_DEB")" >"$WDIR/$name/dpkg.log" 2>&1 ||
			{ wlog "dpkg -i $(basename "$WH_DEB") failed: $(tail -5 "$WDIR/$name/dpkg.log")"; return 1; }
		rm -f "$WH_TREE/tmp/$(basename "$WH_DEB")"
		;;
	*) make -s -C "$TOP" install DESTDIR="$WH_TREE" PREFIX=/usr >/dev/null || { wlog "make install failed"; return 1; } ;;
	esac
	local t=$WH_TREE/usr/local
	install -D -m0755 "$WH_LIB_DIR/guest/wh-check" "$t/sbin/wh-check"
	install -D -m0644 "$TOP/tests/qemu/guest/99vfpttest/vfpttest-check.sh" "$t/share/vfpt-test/vfpttest-check.sh"
	install -D -m0755 "$WDIR/vfio-open" "$t/bin/vfio-open"
	mkdir -p "$WH_TREE/usr/bin"
	ln -sf /usr/local/bin/vfio-open "$WH_TREE/usr/bin/vfio-open"
	install -D -m0644 "$WH_LIB_DIR/guest/vfpt-test.service" "$WH_TREE/etc/systemd/system/vfpt-test.service"
	ln -sf /etc/systemd/system/vfpt-test.service "$WH_TREE/etc/systemd/system/multi-user.target.wants/vfpt-test.service"
	# a kernel that panics reboots, and QEMU (-no-reboot) ends at once;
	# no_timer_check: under TCG on a loaded machine the kernel's early check
	# of the timer through the interrupt-remapped IO-APIC can time out and
	# panic ("timer doesn't work through Interrupt-remapped IO-APIC", seen in
	# CI runs); nothing vfpt does depends on it
	sed -i 's/^GRUB_CMDLINE_LINUX="console=ttyS0,115200"$/GRUB_CMDLINE_LINUX="console=ttyS0,115200 panic=-1 no_timer_check"/' "$WH_TREE/etc/default/grub"
	# the serial console is the test's report: no getty hanging it up
	ln -sf /dev/null "$WH_TREE/etc/systemd/system/serial-getty@ttyS0.service"
	case $variant in
	trixie-*)
		# the package's postinst enabled the unit
		[ -L "$WH_TREE/etc/systemd/system/multi-user.target.wants/vfpt.service" ] ||
			{ wlog "dpkg -i: vfpt.service not enabled by the package"; return 1; }
		;;
	*)
		# what the package's postinst would do: the unit enabled
		wh_chroot "$WH_TREE" systemctl enable vfpt.service >/dev/null 2>&1 ||
			{ wlog "systemctl enable vfpt.service failed"; return 1; }
		;;
	esac
}

# wh_copy FROM NAME: a copy of a prepared tree for one scenario; sets WH_TREE
wh_copy() {
	WH_TREE=$WDIR/$2/root
	rm -rf "${WDIR:?}/$2"
	mkdir -p "$WDIR/$2"
	cp -a "$1" "$WH_TREE"
}

# wh_chroot TREE CMD...: CMD in the tree as a kickstart %post runs it: a
# private mount namespace, /proc (so vfpt can tell it is in a chroot), no
# /sys; GRUB's device probe answered by the shim for the image's layout.
# wh_chroot_env TREE CMD...: CMD on this machine (not chrooted) while the tree
# is prepared that way: for tools that chroot themselves (Ansible's chroot
# connection).
wh_chroot() { WH_IN_CHROOT=yes wh_chroot_env "$@"; }
wh_chroot_env() {
	local tree=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare -m sh -ec '
		tree=$1 shim=$2 uuid=$3 inchroot=$4
		shift 4
		mount -t proc proc "$tree/proc"
		mount -t tmpfs tmpfs "$tree/run"
		mkdir -p "$tree/dev/disk/by-uuid"
		: >"$tree/dev/disk/by-uuid/$uuid" # 10_linux writes root=UUID= when it exists
		chroot "$tree" dpkg-divert --quiet --local --rename --add /usr/sbin/grub-probe
		sed "s/@UUID@/$uuid/" "$shim" >"$tree/usr/sbin/grub-probe"
		chmod 0755 "$tree/usr/sbin/grub-probe"
		rc=0
		# this machine'"'"'s TMPDIR is no directory of the tree
		if [ "$inchroot" = yes ]; then chroot "$tree" env -u TMPDIR "$@" || rc=$?; else "$@" || rc=$?; fi
		rm -f "$tree/usr/sbin/grub-probe"
		chroot "$tree" dpkg-divert --quiet --local --rename --remove /usr/sbin/grub-probe
		rm -rf "$tree/dev/disk"
		exit $rc
	' sh "$tree" "$WH_LIB_DIR/guest/grub-probe-shim" "$WH_ROOT_UUID" "${WH_IN_CHROOT:-no}" "$@"
}

# GRUB for the ESP's removable path, from the image's own GRUB: all modules
# in its memdisk; it finds the root file system by UUID and reads the
# grub.cfg that update-grub wrote there
wh_grub_efi() {
	local tree=$1
	cat >"$tree/tmp/embed.cfg" <<-CFG
	insmod part_gpt
	insmod ext2
	if search --no-floppy --fs-uuid --set=root $WH_ROOT_UUID; then
	configfile (\$root)/boot/grub/grub.cfg
	fi
	echo "VFPT-WH-GRUB: no file system $WH_ROOT_UUID or no grub.cfg on it"
	halt
	CFG
	chroot "$tree" env -u TMPDIR grub-mkstandalone -O x86_64-efi -o /tmp/BOOTX64.EFI "boot/grub/grub.cfg=/tmp/embed.cfg" ||
		{ wlog "grub-mkstandalone failed"; return 1; }
	mv "$tree/tmp/BOOTX64.EFI" "$tree/../BOOTX64.EFI"
	rm -f "$tree/tmp/embed.cfg"
}

# wh_image TREE DISK: a GPT disk image (ESP with GRUB, ext4 root of TREE)
wh_image() {
	local tree=$1 disk=$2 work
	work=$(dirname "$disk")
	rm -f "$disk" "$work/esp.img" "$work/root.ext4"
	mkfs.vfat -C -n ESP "$work/esp.img" 32768 >/dev/null || return 1
	mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT || return 1
	wh_grub_efi "$tree" || return 1
	mcopy -i "$work/esp.img" "$tree/../BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI || return 1
	mke2fs -q -t ext4 -F -U "$WH_ROOT_UUID" -L root -E root_owner=0:0 -d "$tree" "$work/root.ext4" "$WH_ROOT_SIZE" >/dev/null ||
		{ wlog "mke2fs -d failed"; return 1; }
	local rootmb
	rootmb=$(($(stat -c %s "$work/root.ext4") / 1048576))
	truncate -s $((1 + 32 + rootmb + 1))M "$disk"
	sfdisk --quiet "$disk" <<-PART || return 1
	label: gpt
	start=1MiB, size=32MiB, type=uefi, name=ESP
	start=33MiB, size=${rootmb}MiB, type=linux, name=root
	PART
	dd if="$work/esp.img" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none || return 1
	dd if="$work/root.ext4" of="$disk" bs=1M seek=33 conv=notrunc,sparse status=none || return 1
	rm -f "$work/esp.img" "$work/root.ext4"
}

# wh_scenario NAME DISK: a scenario's own copy (qcow2 overlay, OVMF VARS)
wh_scenario() {
	local name=$1 disk=$2
	WH_SDIR=$WDIR/s-$name
	rm -rf "$WH_SDIR"
	mkdir -p "$WH_SDIR"
	qemu-img create -q -f qcow2 -b "$disk" -F raw "$WH_SDIR/disk.qcow2" || return 1
	cp "$WH_OVMF_VARS" "$WH_SDIR/vars.fd"
	WH_BOOTS=0
}

# the host's hardware: root disk on NVMe (00:04.0 behind rp1), an SR-IOV NVMe
# PF at 02:00.0, a spare NVMe controller at 03:00.0, the management NIC
# (virtio-net, static 192.0.2.10/24 in the guest) on an isolated hub
# shellcheck disable=SC2054 # commas are QEMU's
WH_DEVICES=(
	-device intel-iommu,intremap=on
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4
	-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x5
	-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x6
	-device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x7
	-device nvme,id=nvroot,serial=vfptroot,bus=rp1,drive=root,bootindex=0
	-drive driver=null-co,if=none,id=nullpf,size=67108864
	-drive driver=null-co,if=none,id=null2,size=67108864
	-device nvme-subsys,id=subsys0
	-device nvme,id=nvpf,serial=vfptpf,bus=rp2,subsys=subsys0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4
	-device nvme-ns,drive=nullpf,bus=nvpf,nsid=1
	-device nvme,id=nv2,serial=vfpt2,bus=rp3,drive=null2
	-netdev hubport,id=mgmt,hubid=0
	-device virtio-net-pci,netdev=mgmt,bus=rp4,mac=52:54:00:00:02:0a,romfile=
)
WH_UUID=8a6e2f4c-5d1b-4c3e-9f70-1234567890ab

# wh_boot NAME PLAN: boot the scenario's disk once with PLAN (a file) as the
# guest's plan; serial log in $WH_SDIR/NAME.log; sets BOOT_SECONDS and
# WH_BOOT_ERR (empty when the guest ran the plan and every check passed)
wh_boot() {
	local name=$1 plan=$2 log=$WH_SDIR/$1.log
	local start=$SECONDS rc=0
	WH_BOOTS=$((WH_BOOTS + 1))
	timeout "$WH_TIMEOUT" "$QEMU_BPO" -L "$QDIR/bpo/root/usr/share/qemu" \
		-machine q35,kernel-irqchip=split -accel tcg -smp 2 -m 1536 -uuid "$WH_UUID" \
		-display none -no-reboot -monitor none -serial "file:$log" \
		-drive if=pflash,format=raw,unit=0,readonly=on,file="$WH_OVMF_CODE" \
		-drive if=pflash,format=raw,unit=1,file="$WH_SDIR/vars.fd" \
		-drive if=none,id=root,format=qcow2,file="$WH_SDIR/disk.qcow2" \
		-fw_cfg name=opt/vfpt/plan,file="$plan" \
		"${WH_DEVICES[@]}" </dev/null >"$WH_SDIR/$name.qemu" 2>&1 || rc=$?
	BOOT_SECONDS=$((SECONDS - start))
	tr -d '\r' <"$log" >"$WH_SDIR/$name.txt"
	WH_BOOT_ERR=""
	if [ "$rc" = 124 ]; then
		WH_BOOT_ERR="no power-off in ${WH_TIMEOUT}s; serial log ends: $(tail -c 600 "$WH_SDIR/$name.txt" | tr '\n' '|')"
	elif [ "$rc" != 0 ]; then
		WH_BOOT_ERR="qemu exited $rc: $(tail -3 "$WH_SDIR/$name.qemu" | tr '\n' '|')"
	elif ! grep -q '^VFPT-WH-END' "$WH_SDIR/$name.txt"; then
		WH_BOOT_ERR="the guest never ran its plan; serial log ends: $(tail -c 600 "$WH_SDIR/$name.txt" | tr '\n' '|')"
	elif grep -q '^VFPT-TEST not ok' "$WH_SDIR/$name.txt"; then
		WH_BOOT_ERR="guest: $(grep '^VFPT-TEST not ok' "$WH_SDIR/$name.txt" | tr '\n' ' ')"
	elif ! grep -q '^VFPT-WH-END [1-9][0-9]* passed, 0 failed' "$WH_SDIR/$name.txt"; then
		WH_BOOT_ERR="guest: $(grep '^VFPT-WH-END' "$WH_SDIR/$name.txt")"
	fi
}

# wh_run NAME: wh_boot with the plan in $TMP/plan, the guest's checks shown as
# comments; a failed boot fails the current test with the reason
wh_run() {
	wh_boot "$1" "$TMP/plan"
	echo "# boot $1: ${BOOT_SECONDS}s (firmware, GRUB, kernel, systemd, checks, power-off); log $WH_SDIR/$1.txt"
	grep -E '^VFPT-TEST (ok|not ok)' "$WH_SDIR/$1.txt" | sed 's/^VFPT-TEST /#   /'
	[ -z "$WH_BOOT_ERR" ] || fail "boot $1: $WH_BOOT_ERR"
	[ -z "$WH_BOOT_ERR" ]
}
