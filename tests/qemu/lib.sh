# shellcheck shell=bash
# shellcheck disable=SC2034 # KERNEL, BOOT_SECONDS, ITOOLS_INITRD...: for the scripts that source this
# The QEMU end-to-end harness: Debian's kernel (unpacked, never installed),
# an initramfs built by dracut from a private copy of dracut holding vfpt's
# module as "make install DESTDIR=" put it, and a q35 guest with an emulated
# Intel IOMMU and SR-IOV NVMe under TCG. Nothing of this machine's /boot,
# /lib/modules or /usr/lib/dracut changes, and nothing of its vfpt state is
# read: the modules take vfpt's config from an empty tree of the harness's own
# ($VFPT_ROOT, build/qemu/root) and each scenario lays its config over the
# initramfs; dracut runs without host-only files, so this machine's
# /etc/modprobe.d and /etc/udev/rules.d stay out; mkinitramfs (which copies
# both) sees empty ones. The guest is the same whatever this machine has.
#
#   qemu_prepare              kernel, staged install, base initramfs (cached in build/qemu)
#   qemu_boot NAME CONF EXPECT [APPEND] [SMP] [MACHINE]
#                             boot with CONF as /etc/vfpt.conf and EXPECT as the
#                             guest's expectations; serial log in $QDIR/NAME.log
#                             (QEMU_IOMMU_ARGS: the IOMMU arguments, "intel_iommu=on iommu=pt" if unset)

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=SCRIPTDIR/../apt-mirror.sh
. "$TOP/tests/apt-mirror.sh"
QDIR=${QDIR:-$TOP/build/qemu}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}

qlog() { echo "qemu: $*" >&2; }

qemu_kernel() {
	mkdir -p "$QDIR/deb"
	local pkg deb
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	if [ -z "$pkg" ]; then
		apt-get update -q >/dev/null 2>&1 || true
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	fi
	[ -n "$pkg" ] || { qlog "cannot resolve linux-image-amd64"; return 1; }
	deb=$(find "$QDIR/deb" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
	if [ -z "$deb" ]; then
		qlog "downloading $pkg"
		(cd "$QDIR/deb" && apt-get download "$pkg" >/dev/null 2>&1) || { qlog "apt-get download $pkg failed"; return 1; }
		deb=$(find "$QDIR/deb" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
	fi
	KVER=${pkg#linux-image-}
	KROOT=$QDIR/kernel
	if [ ! -e "$KROOT/boot/vmlinuz-$KVER" ]; then
		rm -rf "$KROOT"
		dpkg-deb -x "$deb" "$KROOT"
		depmod -b "$KROOT" "$KVER"
	fi
	KERNEL=$KROOT/boot/vmlinuz-$KVER
}

qemu_prepare() {
	qemu_kernel || return 1
	make -s -C "$TOP" build/vfpt || return 1
	local stage=$QDIR/stage dracut=$QDIR/dracut
	rm -rf "$stage"
	make -s -C "$TOP" install DESTDIR="$stage" PREFIX=/usr >/dev/null || return 1
	# the private dracut: Debian's, plus vfpt's module as installed (not
	# this machine's, if it has one), plus the test module
	rm -rf "$dracut"
	cp -a /usr/lib/dracut "$dracut"
	rm -rf "$dracut/modules.d/90vfpt"
	cp -a "$stage/usr/lib/dracut/modules.d/90vfpt" "$dracut/modules.d/"
	cp -a "$TOP/tests/qemu/guest/99vfpttest" "$dracut/modules.d/"
	gcc -static -O2 -o "$dracut/modules.d/99vfpttest/vfio-open" "$TOP/tests/qemu/guest/vfio-open.c" || return 1
	mkdir -p "$QDIR/empty-conf.d"
	# the installed system whose vfpt config goes into the base initramfs:
	# none (each scenario's comes in its overlay), never this machine's /etc
	rm -rf "$QDIR/root"
	mkdir -p "$QDIR/root/etc"
	BASE_INITRD=$QDIR/initrd-base.img
	qemu_dracut "$KVER" "$KROOT" "$BASE_INITRD"
}

# qemu_dracut KVER KROOT OUT: the base initramfs for the kernel unpacked in
# KROOT, with vfpt's module as staged by qemu_prepare (and the test module)
qemu_dracut() {
	local kver=$1 kroot=$2 out=$3 log=$QDIR/dracut-$1.log
	qlog "building the initramfs (dracut, kernel $kver)"
	VFPT_ROOT=$QDIR/root VFPT_DESTDIR=$QDIR/stage dracutbasedir=$QDIR/dracut dracut --force --quiet --no-hostonly --no-hostonly-cmdline \
		--conf /dev/null --confdir "$QDIR/empty-conf.d" --kver "$kver" --kmoddir "$kroot/lib/modules/$kver" \
		--modules "base udev-rules kernel-modules vfpt vfpttest" \
		--drivers "nvme e1000e e1000 igb igbvf vfio vfio_iommu_type1 vfio_pci pci_stub" \
		--no-early-microcode --compress cat --tmpdir "$QDIR" "$out" >"$log" 2>&1 ||
		{ qlog "dracut failed: $(tail -5 "$log")"; return 1; }
}

# the guest's hardware: q35, Intel IOMMU, an SR-IOV NVMe PF at 01:00.0, a
# second NVMe controller at 02:00.0, an e1000e at 03:00.0, and behind a
# PCIe-to-PCI bridge (one IOMMU group) an e1000 and a pci-testdev
# shellcheck disable=SC2054 # QEMU's options hold commas
QEMU_DEVICES=(
	-device intel-iommu,intremap=on
	-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4
	-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x5
	-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x6
	-device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x7
	-drive driver=null-co,if=none,id=nullpf,size=67108864
	-drive driver=null-co,if=none,id=null2,size=67108864
	-device nvme-subsys,id=subsys0
	-device nvme,id=nvpf,serial=vfptpf,bus=rp1,subsys=subsys0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4
	-device nvme-ns,drive=nullpf,bus=nvpf,nsid=1
	-device nvme,id=nv2,serial=vfpt2,bus=rp2,drive=null2
	-device e1000e,bus=rp3
	-device pcie-pci-bridge,id=br4,bus=rp4
	-device e1000,bus=br4,addr=0x1
	-device pci-testdev,bus=br4,addr=0x2
)

# QEMU 8+ from Debian's bookworm-backports for the 82576 (-device igb), with
# private apt lists and unpacked into build/qemu/bpo: nothing of this
# machine's apt state or installed QEMU changes. The archive is the one
# this machine's apt uses (tests/apt-mirror.sh); apt's other settings (a
# proxy) apply as they are. Sets QEMU_BPO.
qemu_backports() {
	local b=$QDIR/bpo
	QEMU_BPO=$b/root/usr/bin/qemu-system-x86_64
	[ -x "$QEMU_BPO" ] && return 0
	mkdir -p "$b/lists/partial" "$b/cache/archives/partial"
	local mirror
	mirror=$(apt_mirror archive 2>"$b/apt.log") || return 1
	echo "deb $mirror bookworm-backports main" >"$b/sources.list"
	local apt=(-o Dir::Etc::SourceList="$b/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o Dir::State::Lists="$b/lists" -o Dir::Cache="$b/cache")
	apt-get "${apt[@]}" update >"$b/apt.log" 2>&1 || return 1
	(cd "$b" && apt-get "${apt[@]}" download qemu-system-x86 qemu-system-common qemu-system-data >>"$b/apt.log" 2>&1) || return 1
	rm -rf "$b/root"
	for d in "$b"/*.deb; do dpkg-deb -x "$d" "$b/root" || return 1; done
	"$QEMU_BPO" --version >/dev/null 2>&1
}

# bookworm-backports' kernel (6.12: newer than the headers the Debian 12
# build of vfpt saw, the Proxmox VE 8 shape), fetched through the same
# private apt lists as qemu_backports and unpacked into build/qemu/kernel-bpo,
# with its own base initramfs. Needs qemu_prepare and qemu_backports first.
# Sets KERNEL_BPO, BASE_INITRD_BPO, KVER_BPO.
qemu_backports_kernel() {
	local b=$QDIR/bpo pkg deb
	local apt=(-o Dir::Etc::SourceList="$b/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o Dir::State::Lists="$b/lists" -o Dir::Cache="$b/cache")
	pkg=$(apt-cache "${apt[@]}" depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
	[ -n "$pkg" ] || { qlog "cannot resolve bookworm-backports' linux-image-amd64"; return 1; }
	KVER_BPO=${pkg#linux-image-}
	local k=$QDIR/kernel-bpo
	KERNEL_BPO=$k/boot/vmlinuz-$KVER_BPO
	BASE_INITRD_BPO=$QDIR/initrd-base-bpo.img
	if [ ! -e "$KERNEL_BPO" ]; then
		(cd "$b" && apt-get "${apt[@]}" download "$pkg" >>"$b/apt.log" 2>&1) || { qlog "apt-get download $pkg failed"; return 1; }
		deb=$(find "$b" -maxdepth 1 -name "${pkg}_*.deb" | head -1)
		rm -rf "$k"
		dpkg-deb -x "$deb" "$k" && depmod -b "$k" "$KVER_BPO" || return 1
		rm -f "$BASE_INITRD_BPO"
	fi
	[ -e "$BASE_INITRD_BPO" ] && [ "$BASE_INITRD_BPO" -nt "$BASE_INITRD" ] && return 0
	qemu_dracut "$KVER_BPO" "$k" "$BASE_INITRD_BPO"
}

qemu_boot() {
	local name=$1 conf=$2 expect=$3 append=${4:-} smp=${5:-2}
	local dir=$QDIR/$name
	rm -rf "$dir"
	mkdir -p "$dir/root/etc"
	cp "$conf" "$dir/root/etc/vfpt.conf"
	cp "$expect" "$dir/root/etc/vfpt-test.expect"
	# QEMU_OVERLAY: a directory whose files are laid over the initramfs too
	[ -n "${QEMU_OVERLAY:-}" ] && cp -a "$QEMU_OVERLAY/." "$dir/root/"
	(cd "$dir/root" && find . | cpio -o -H newc --quiet) >"$dir/overlay.cpio"
	# the kernel takes an uncompressed archive after a compressed one only at a
	# 4-byte boundary: zero padding in between, which it skips
	cp "$BASE_INITRD" "$dir/initrd.img"
	local size pad
	size=$(stat -c %s "$dir/initrd.img")
	pad=$(((512 - size % 512) % 512))
	head -c "$pad" /dev/zero >>"$dir/initrd.img"
	cat "$dir/overlay.cpio" >>"$dir/initrd.img"
	local start=$SECONDS
	local devices=("${QEMU_DEVICES[@]}")
	[ -n "${QEMU_DEVICES_OVERRIDE:-}" ] && read -r -a devices <<<"$QEMU_DEVICES_OVERRIDE"
	# no_timer_check: under TCG on a loaded machine the kernel's early check
	# of the timer through the interrupt-remapped IO-APIC can time out and
	# panic (seen in CI runs); nothing vfpt does depends on it
	timeout "$QEMU_TIMEOUT" "${QEMU_BIN:-qemu-system-x86_64}" -machine q35,kernel-irqchip=split -accel tcg -smp "$smp" -m 1024 \
		-nographic -no-reboot -nic none -monitor none -serial stdio \
		"${devices[@]}" \
		-kernel "$KERNEL" -initrd "$dir/initrd.img" \
		-append "console=ttyS0 quiet loglevel=4 ${QEMU_IOMMU_ARGS-intel_iommu=on iommu=pt} panic=-1 no_timer_check rd.shell=0 rd.emergency=poweroff $append" \
		</dev/null >"$QDIR/$name.log" 2>&1
	local rc=$?
	BOOT_SECONDS=$((SECONDS - start))
	tr -d '\r' <"$QDIR/$name.log" >"$QDIR/$name.txt"
	return $rc
}

# An initramfs built by initramfs-tools' mkinitramfs (Debian's other
# framework) with vfpt's hook and init-top script as installed. mkinitramfs
# reads /usr, /etc and /lib/modules of this machine; it runs in a private
# mount namespace with overlays that add the staged install and the unpacked
# kernel's modules, and empty /etc/modprobe.d and /etc/udev/rules.d (which it
# copies), so nothing of this machine changes or reaches the guest; vfpt's
# hook takes its config from $VFPT_ROOT.
# Sets ITOOLS_INITRD. Needs qemu_prepare first.
qemu_prepare_itools() {
	local n=$QDIR/itools
	rm -rf "$n"
	mkdir -p "$n"/{usr-up,usr-work,root/etc,conf/scripts,conf/hooks,conf/conf.d}
	cp -a "$QDIR/stage/usr/." "$n/usr-up/"
	mkdir -p "$n/usr-up/lib/modules/$KVER" "$n/usr-up/bin" "$n/usr-up/share/vfpttest" \
		"$n/usr-up/share/initramfs-tools/scripts/init-premount"
	gcc -static -O2 -o "$n/usr-up/bin/vfio-open" "$TOP/tests/qemu/guest/vfio-open.c" || return 1
	cp "$TOP/tests/qemu/guest/99vfpttest/vfpttest-check.sh" "$n/usr-up/share/vfpttest/"
	cp "$TOP/tests/qemu/guest/itools/hook-vfpttest" "$n/usr-up/share/initramfs-tools/hooks/vfpttest"
	cp "$TOP/tests/qemu/guest/itools/script-vfpttest" "$n/usr-up/share/initramfs-tools/scripts/init-premount/vfpttest"
	printf '[vfio]\n' >"$n/root/etc/vfpt.conf" # the hook includes vfpt when configured; scenarios lay theirs over
	printf 'MODULES=list\nBUSYBOX=y\nCOMPRESS=gzip\n' >"$n/conf/initramfs.conf"
	printf 'nvme\ne1000e\ne1000\n' >"$n/conf/modules"
	ITOOLS_INITRD=$n/initrd-itools.img
	# shellcheck disable=SC2016 # expanded by the inner shell
	unshare -m sh -ec '
		n=$1 kroot=$2 kver=$3
		mount -t overlay overlay -o lowerdir=/usr,upperdir="$n/usr-up",workdir="$n/usr-work" /usr
		for d in /etc/modprobe.d /etc/udev/rules.d; do
			if [ -d "$d" ]; then mount -t tmpfs -o mode=0755 tmpfs "$d"; fi
		done
		mount --bind "$kroot/lib/modules/$kver" "/usr/lib/modules/$kver"
		mount --bind "$kroot/boot" /boot
		VFPT_ROOT=$n/root mkinitramfs -d "$n/conf" -o "$n/initrd-itools.img" "$kver"
	' sh "$n" "$KROOT" "$KVER" >"$QDIR/itools.log" 2>&1 || { qlog "mkinitramfs failed: $(tail -5 "$QDIR/itools.log")"; return 1; }
}
