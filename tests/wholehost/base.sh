# shellcheck shell=bash
# shellcheck disable=SC2034 # WH_BASE, WH_ROOT_UUID: for lib.sh
# The cached base of the whole-host images: a Debian 12 root file system made
# by mmdebstrap from the Debian archive this machine's apt uses (see
# tests/apt-mirror.sh). Its cache key is a hash of what goes into it (the
# package lists, the code of the functions below, the variant, the archive):
# change any of that and the next run rebuilds; comments do not count. vfpt
# itself is never in the base (see lib.sh, wh_layer).
#
#   wh_base VARIANT     VARIANT dracut | itools (Debian 12), trixie-dracut |
#                       trixie-itools (Debian 13, the same packages), or
#                       trixie-build (Debian 13's build-essential and
#                       debian/control's Build-Depends: where the .deb a
#                       Debian 13 user installs is built, see lib.sh wh_deb);
#                       sets WH_BASE (a directory holding root/, the tree)

# shellcheck source=SCRIPTDIR/../apt-mirror.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt-mirror.sh"

WH_ROOT_UUID=5f0e33a1-1c4b-4d39-9a53-0a1b2c3d4e5f

# what a small installed Debian 12 EFI host with vfpt's dependencies holds
WH_PACKAGES="systemd systemd-sysv udev kmod iproute2 linux-image-amd64 grub-efi-amd64 python3 pciutils"
wh_variant_packages() {
	case $1 in
	dracut | trixie-dracut) echo dracut ;;
	itools | trixie-itools) echo initramfs-tools ;;
	trixie-build) echo build-essential; wh_build_depends ;;
	*) return 1 ;;
	esac
}
# debian/control's Build-Depends, one package a line (the first of each
# alternative, no version; debhelper-compat is debhelper's)
wh_build_depends() {
	sed -n '/^Build-Depends:/,/^[^ \t]/{/^Build-Depends:/{s/^Build-Depends://;p;};/^[ \t]/p;}' \
		"$(dirname "${BASH_SOURCE[0]}")/../../debian/control" |
		tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/\[.*\]//' -e 's/<.*>//' -e 's/[[:space:]]//g' |
		sed -e 's/^debhelper-compat$/debhelper/' | grep . | sort -u
}
# the Debian release of a variant: trixie-* Debian 13, the others Debian 12
wh_variant_suite() {
	case $1 in
	trixie-*) echo trixie ;;
	*) echo bookworm ;;
	esac
}

# steps inside the new tree ($1), before it is cached
wh_base_customize() {
	local r=$1
	case $2 in
	*-build)
		rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*_Packages
		return 0
		;;
	esac
	cat >"$r/etc/fstab" <<-FSTAB
	UUID=$WH_ROOT_UUID / ext4 errors=remount-ro 0 1
	FSTAB
	echo vfpt-host >"$r/etc/hostname"
	printf '127.0.0.1 localhost\n127.0.1.1 vfpt-host\n' >"$r/etc/hosts"
	chroot "$r" passwd -d root >/dev/null
	# the management NIC: static, on an isolated QEMU hub (documentation range)
	mkdir -p "$r/etc/systemd/network"
	cat >"$r/etc/systemd/network/10-mgmt.network" <<-NET
	[Match]
	MACAddress=52:54:00:00:02:0a
	[Network]
	Address=192.0.2.10/24
	Gateway=192.0.2.1
	NET
	chroot "$r" systemctl enable systemd-networkd.service >/dev/null 2>&1
	# GRUB on the serial console, no menu delay (the rest is Debian's default file)
	sed -i -e 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=0/' \
		-e 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="console=ttyS0,115200"/' "$r/etc/default/grub"
	printf 'GRUB_TERMINAL=serial\nGRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"\n' >>"$r/etc/default/grub"
	# dracut in a chroot cannot see the host it builds for: generic images
	if [ -d "$r/etc/dracut.conf.d" ]; then
		printf 'hostonly="no"\ncompress="gzip"\n' >"$r/etc/dracut.conf.d/10-wholehost.conf"
	fi
	# the installer leaves an initramfs behind (mmdebstrap ran with INITRD=No);
	# for dracut the layer builds it with vfpt's module, this one is made here
	if [ -x "$r/usr/sbin/update-initramfs" ]; then
		# shellcheck disable=SC2016 # expanded by the inner sh
		unshare -m sh -ec 'mount -t proc proc "$1/proc"; chroot "$1" update-initramfs -c -k all' sh "$r" || return 1
	fi
	rm -rf "$r/var/cache/apt/archives/"*.deb "$r/var/lib/apt/lists/"*_Packages
}

wh_base() {
	local variant=$1 key dir log mirror security
	mirror=$(apt_mirror archive 2>&1) || { wlog "$mirror"; return 1; }
	security=$(apt_mirror security 2>&1) || { wlog "$security"; return 1; }
	key=$( {
		declare -f wh_base wh_base_customize wh_variant_packages wh_variant_suite
		echo "$WH_PACKAGES|$variant|$(wh_variant_packages "$variant" | tr '\n' ' ')|$WH_ROOT_UUID|$mirror|$security"
	} | sha256sum | cut -c1-16)
	# kept outside the work tree: a fresh clone on the same machine (CI) reuses
	# it; the key says when it must be built again
	local cache=${WH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vfpt-wholehost}
	dir=$cache/base-$variant-$key
	WH_BASE=$dir
	[ -e "$dir/done" ] && return 0
	rm -rf "$cache"/base-"$variant"-*
	mkdir -p "$dir" "$WDIR"
	log=$WDIR/base-$variant.log
	wlog "building the $variant base image with mmdebstrap (cached as $dir)"
	local pkgs suite
	pkgs=$(wh_variant_packages "$variant") || return 1
	pkgs=${pkgs//$'\n'/ }
	# a build tree holds no host: no kernel, GRUB or network
	case $variant in *-build) ;; *) pkgs="$WH_PACKAGES $pkgs" ;; esac
	suite=$(wh_variant_suite "$variant")
	# no /sys of this machine in the chroot, ever; no initramfs yet (the
	# layer builds it with vfpt's hook: INITRD=No skips the kernel hooks)
	# this machine's apt proxy, if any (not in the key: the tree is the same)
	local proxy=() opt
	while IFS= read -r opt; do proxy+=("--aptopt=$opt"); done < <(apt_proxy_opts)
	INITRD=No mmdebstrap --mode=root --variant=minbase --skip=chroot/mount/sys \
		--aptopt='Apt::Install-Recommends "false"' "${proxy[@]}" \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--include="${pkgs// /,}" "$suite" "$dir/root" \
		"deb $mirror $suite main" "deb $mirror $suite-updates main" \
		"deb $security $suite-security main" </dev/null >"$log" 2>&1 ||
		{ wlog "mmdebstrap failed: $(tail -5 "$log")"; return 1; }
	wh_base_customize "$dir/root" "$variant" >>"$log" 2>&1 || { wlog "customizing the base failed: $(tail -5 "$log")"; return 1; }
	touch "$dir/done"
}
