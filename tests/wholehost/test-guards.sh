#!/bin/bash
# Whole-host proof of the boot-time guards (issues 12, 22, 23): a host whose
# root NVMe, /var NVMe (named in fstab by /dev/disk/by-uuid/) and management
# NIC share their vendor:device IDs with spares, and a config that claims
# those IDs ([vfio] ids), as the passthrough guides' vfio-pci.ids does.
# Across seven boots of one disk: the generic initramfs of the image build
# (nothing learnt), the initramfs rebuilt on the running host (the protected
# set learnt), the root NVMe and the uplink swapped with their spares' slots,
# networkd without wait-online and an uplink that comes up only after
# vfpt-late.service, vfpt=off, rd.vfpt=0, and the root NVMe moved to another
# root port. The host must come back every time with its root file system,
# /var and its default route, and the spares go to vfio-pci.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOTDISK=0000:01:00.0 SPARE1=0000:02:00.0 SPARE2=0000:03:00.0 UPLINK=0000:04:00.0 SPARENIC=0000:05:00.0
MOVED=0000:06:00.0 VARDISK=0000:07:00.0
VAR_UUID=2b9f61d0-7a4e-4c55-8e1a-3f0d9c7b5a21

if ! wh_prepare; then
	echo "not ok wh_prepare - cannot build vfpt, the guest tools or fetch QEMU 10 (see above)"
	echo "0 passed, 1 failed"
	exit 1
fi
# test-wholehost.sh's Debian 13 bases build while these boots run (a fresh
# machine), one after the other: the dracut host, then the .deb's build tree
(wh_base_ready trixie-dracut && wh_base_ready trixie-build) </dev/null >/dev/null 2>&1 &

# root NVMe and two spare NVMe controllers (all 1b36:0010); the management
# NIC and a spare of the same model (virtio-net, modern: 1af4:1041)
# shellcheck disable=SC2054 # commas are QEMU's
guards_devices() { # [moved]: the root NVMe behind another root port; [swapped]: root NVMe and uplink in their spares' slots
	local rootport=rp1 spareport=rp2 uplinkport=rp4 spareportnic=rp5
	[ "${1:-}" = moved ] && rootport=rp6
	[ "${1:-}" = swapped ] && rootport=rp2 spareport=rp1 uplinkport=rp5 spareportnic=rp4
	WH_DEVICES=(
		-device intel-iommu,intremap=on
		-device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=0x4
		-device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,addr=0x5
		-device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,addr=0x6
		-device pcie-root-port,id=rp4,bus=pcie.0,chassis=4,addr=0x7
		-device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x8
		-device pcie-root-port,id=rp6,bus=pcie.0,chassis=6,addr=0x9
		-device pcie-root-port,id=rp7,bus=pcie.0,chassis=7,addr=0xa
		-device "nvme,id=nvroot,serial=vfptroot,bus=$rootport,drive=root,bootindex=0"
		-drive driver=null-co,if=none,id=null1,size=67108864
		-drive driver=null-co,if=none,id=null2,size=67108864
		-device "nvme,id=nv1,serial=vfptspare1,bus=$spareport,drive=null1"
		-device nvme,id=nv2,serial=vfptspare2,bus=rp3,drive=null2
		-drive "if=none,id=var,format=qcow2,file=$WH_SDIR/var.qcow2"
		-device nvme,id=nvvar,serial=vfptvar,bus=rp7,drive=var
		-netdev hubport,id=mgmt,hubid=0
		-device "virtio-net-pci,netdev=mgmt,bus=$uplinkport,mac=52:54:00:00:02:0a,disable-legacy=on,romfile="
		-netdev hubport,id=spare,hubid=1
		-device "virtio-net-pci,netdev=spare,bus=$spareportnic,mac=52:54:00:00:02:0b,disable-legacy=on,romfile="
	)
}

boot() { wh_run "$1"; }

# what every boot must give: the host came back with its root, its /var
# (the NVMe fstab names by /dev/disk/by-uuid/) and its uplink
host_survived() { # ROOTDISK [UPLINK]
	cat <<-EXP
	rc 0 findmnt -n -o SOURCE /
	says '^/dev/nvme'
	rc 0 findmnt -n -o SOURCE /var
	says '^/dev/nvme'
	rc 0 sh -c 'ip route show default | grep "via 192.0.2.1"'
	devices <<'DEV'
	driver $1 nvme
	driver $VARDISK nvme
	driver ${2:-$UPLINK} virtio-pci
	DEV
	EXP
}

# the next boot's kernel command line: GRUB_CMDLINE_LINUX plus WORDS, by update-grub
next_cmdline() {
	echo "act sed -i -e 's/vfpt=off //' -e 's/rd.vfpt=0 //' -e 's/^GRUB_CMDLINE_LINUX=\"/&${1:+$1 }/' /etc/default/grub"
	echo "act update-grub"
}

test_guards_keep_root_and_uplink() {
	wh_layer dracut guards || { fail "image: $(tail -3 "$WDIR/base-dracut.log")"; return; }
	# kickstart %post: the config as the guides write it, GRUB, an initramfs
	# built in the installer's chroot: nothing can be learnt there
	printf '[vfio]\nids = 1b36:0010 1af4:1041\n' >"$WH_TREE/etc/vfpt.conf"
	local kver
	kver=$(basename "$(ls -d "$WH_TREE"/lib/modules/*)")
	# the installed host's own dracut -f builds for that host (hostonly, as
	# Fedora and RHEL do by default); the chroot sees nothing of it: generic
	printf 'hostonly="yes"\n' >"$WH_TREE/etc/dracut.conf.d/20-hostonly.conf"
	wh_chroot "$WH_TREE" sh -ec "sed -i s/quiet/loglevel=6/ /etc/default/grub; dracut -f --no-hostonly --kver $kver; update-grub; vfpt grub apply" >"$WDIR/guards/post.log" 2>&1 ||
		{ fail "%post: $(tail -5 "$WDIR/guards/post.log" | tr '\n' '|')"; return; }
	[ -e "$WH_TREE/var/lib/vfpt/protected" ] && { fail "%post learnt a protected set in the chroot"; return; }
	# /var on a second NVMe, named as Ubuntu's installer names it (issue 23)
	mke2fs -q -t ext4 -F -U "$VAR_UUID" -L var -E root_owner=0:0 -d "$WH_TREE/var" "$WDIR/guards/var.raw" 256M ||
		{ fail "mke2fs /var"; return; }
	find "$WH_TREE/var" -mindepth 1 -delete
	echo "/dev/disk/by-uuid/$VAR_UUID /var ext4 defaults 0 2" >>"$WH_TREE/etc/fstab"
	# for the late-network boot (issue 23): the uplink's link, left down by
	# networkd (ActivationPolicy=manual), comes up only after vfpt-late.service,
	# as with a slow DHCP, STP or LACP when no wait-online service holds
	# network-online.target back
	install -D -m0755 /dev/stdin "$WH_TREE/usr/local/sbin/wh-link-up" <<-'SH'
	#!/bin/sh
	for i in /sys/class/net/*; do
		[ "$(cat "$i/address")" = 52:54:00:00:02:0a ] && ip link set dev "${i##*/}" up
	done
	exit 0
	SH
	printf '[Link]\nActivationPolicy=manual\n' | install -D -m0644 /dev/stdin "$WH_TREE/usr/local/share/wh/manual.conf"
	printf '%s\n' '[Unit]' 'Description=The uplink comes up after vfpt-late.service (whole-host test)' \
		'After=vfpt-late.service' '[Service]' 'Type=oneshot' 'ExecStart=/usr/local/sbin/wh-link-up' \
		'[Install]' 'WantedBy=multi-user.target' >"$WH_TREE/etc/systemd/system/wh-link-late.service"
	wh_image "$WH_TREE" "$WDIR/guards/disk.raw" || { fail "disk image"; return; }
	wh_scenario guards "$WDIR/guards/disk.raw" || { fail "overlay"; return; }
	qemu-img create -q -f qcow2 -b "$WDIR/guards/var.raw" -F raw "$WH_SDIR/var.qcow2" || { fail "/var overlay"; return; }
	guards_devices

	# 1: nothing learnt. The ID claims of storage and network devices wait
	# until the guards can see: spares claimed late, root and uplink kept.
	{
		host_survived $ROOTDISK
		cat <<-EXP
		devices <<'DEV'
		driver $SPARE1 vfio-pci
		driver $SPARE2 vfio-pci
		driver $SPARENIC vfio-pci
		kmsg vfpt: $ROOTDISK: deferred: cannot tell yet
		kmsg vfpt: $UPLINK: deferred: cannot tell yet
		kmsg vfpt: $VARDISK: deferred: cannot tell yet
		no_kmsg vfpt: $VARDISK: claimed
		DEV
		journal '$SPARE1: late claim: was bound to nvme'
		journal '$SPARENIC: late claim: was bound to virtio-pci'
		journal '$UPLINK: protected, not claimed: .*carries the default route'
		unit_ok vfpt-late.service
		rc 1 vfpt status
		says '$ROOTDISK vfio: .*PROTECTED'
		says 'initramfs stale: rebuild with dracut -f, then reboot .*it carries no protected set'
		rc 0 grep -E '^device $ROOTDISK 1b36:0010 010802 - protected' /var/lib/vfpt/protected
		rc 0 grep -E '^device $UPLINK 1af4:1041 020000 - protected' /var/lib/vfpt/protected
		rc 0 grep -E '^device $VARDISK 1b36:0010 010802 - protected' /var/lib/vfpt/protected
		act dracut -f
		EXP
	} >"$TMP/plan"
	boot guards-1-generic || return

	# 2: the protected set learnt on the running host is in the initramfs.
	# QEMU's NVMe and virtio-net have no PCIe serial: the root NVMe and its
	# spares (and the uplink and its spare) are twins that could have swapped
	# slots, so the initramfs cannot tell them apart by position (issue 22)
	# and defers them all; the installed system keeps root and uplink and
	# takes the spares late (the price vfpt(8) documents for twins)
	{
		host_survived $ROOTDISK
		cat <<-EXP
		devices <<'DEV'
		driver $SPARE1 vfio-pci
		driver $SPARE2 vfio-pci
		driver $SPARENIC vfio-pci
		kmsg vfpt: $ROOTDISK: deferred: .*nothing that tells them apart
		kmsg vfpt: $SPARE1: deferred: .*nothing that tells them apart
		kmsg vfpt: $VARDISK: deferred: .*nothing that tells them apart
		kmsg vfpt: $UPLINK: deferred: 
		no_kmsg vfpt: ($ROOTDISK|$VARDISK|$UPLINK): claimed
		DEV
		journal '$SPARE1: late claim: was bound to nvme'
		journal '$UPLINK: protected, not claimed: .*carries the default route'
		rc 0 vfpt status
		EXP
	} >"$TMP/plan"
	boot guards-2-learnt || return

	# 3: the set learnt and in the initramfs, then the root NVMe and its
	# spare, and the uplink and its spare, swap slots (issue 22): the same
	# IDs at the same addresses, no serial to tell them apart. The initramfs
	# defers all twins; the installed system keeps root, /var and the uplink
	# where they are now and takes the spares in the slots they left; status
	# says the initramfs's set is stale
	guards_devices swapped
	{
		host_survived $SPARE1 $SPARENIC
		cat <<-EXP
		devices <<'DEV'
		driver $ROOTDISK vfio-pci
		driver $SPARE2 vfio-pci
		driver $UPLINK vfio-pci
		kmsg vfpt: $ROOTDISK: deferred: .*nothing that tells them apart
		kmsg vfpt: $SPARE1: deferred: .*nothing that tells them apart
		kmsg vfpt: $UPLINK: deferred: .*nothing that tells them apart
		kmsg vfpt: $SPARENIC: deferred: .*nothing that tells them apart
		no_kmsg vfpt: ($SPARE1|$VARDISK|$SPARENIC): claimed
		DEV
		journal '$ROOTDISK: late claim: was bound to nvme'
		journal '$UPLINK: late claim: was bound to virtio-pci'
		journal '$SPARENIC: protected, not claimed: .*carries the default route'
		no_journal '($SPARE1|$VARDISK|$SPARENIC): (late claim|claimed)'
		rc 1 vfpt status
		says 'initramfs stale: .*the root disk or the uplink moved'
		act systemctl mask systemd-networkd-wait-online.service
		act install -D -m0644 /usr/local/share/wh/manual.conf /etc/systemd/network/10-mgmt.network.d/manual.conf
		act systemctl enable wh-link-late.service
		EXP
	} >"$TMP/plan"
	boot guards-3-swapped || return

	# 4: networkd without its wait-online service (masked): network-online.target
	# holds nothing back, and the uplink's link comes up only after
	# vfpt-late.service (issue 23). The late run has no evidence that the
	# network is up (no default route, the learnt uplink not up with its
	# address): it keeps the NIC claims deferred and learns nothing;
	# vfpt-late.timer's retry, once the route exists, keeps the uplink and
	# takes the spare
	guards_devices
	{
		cat <<-EXP
		rc 0 sh -c 'journalctl -b -o cat -u vfpt-late.service | grep -E "$UPLINK: deferred: .*no default route yet in any table"'
		rc 0 sh -c 'journalctl -b -o cat -u vfpt-late.service | grep -E "$SPARENIC: deferred: "'
		unit_ok vfpt-late.timer
		act sh -c 'i=0; while [ -e /run/vfpt/deferred ]; do i=\$((i + 1)); [ \$i -lt 200 ] || exit 1; sleep 1; done'
		rc 0 sh -c 'journalctl -b -o cat -u vfpt-late-retry.service | grep -E "$SPARENIC: late claim: was bound to virtio-pci"'
		EXP
		host_survived $ROOTDISK
		cat <<-EXP
		devices <<'DEV'
		driver $SPARE1 vfio-pci
		driver $SPARE2 vfio-pci
		driver $SPARENIC vfio-pci
		DEV
		no_journal '$UPLINK: (late claim|claimed)'
		rc 0 grep -E '^device $UPLINK 1af4:1041 020000 - protected' /var/lib/vfpt/protected
		rc 0 grep -E '^device $SPARENIC 1af4:1041 020000 - ' /var/lib/vfpt/protected
		no_says 'protected'
		act systemctl unmask systemd-networkd-wait-online.service
		act rm -r /etc/systemd/network/10-mgmt.network.d
		act systemctl disable wh-link-late.service
		$(next_cmdline vfpt=off)
		EXP
	} >"$TMP/plan"
	boot guards-4-late-network || return

	# 5: vfpt=off, the way back: nothing claimed anywhere
	{
		host_survived $ROOTDISK
		cat <<-EXP
		cmdline 'vfpt=off'
		devices <<'DEV'
		driver $SPARE1 nvme
		driver $SPARENIC virtio-pci
		kmsg vfpt: vfpt=off on the kernel command line: changing nothing on this boot
		DEV
		rc 1 vfpt status
		says 'DISABLED on this boot \\(vfpt=off'
		$(next_cmdline rd.vfpt=0)
		EXP
	} >"$TMP/plan"
	boot guards-5-vfpt-off || return

	# 6: rd.vfpt=0: the initramfs claims nothing, the installed system does
	{
		host_survived $ROOTDISK
		cat <<-EXP
		cmdline 'rd.vfpt=0'
		devices <<'DEV'
		kmsg pci function $SPARE1
		driver $SPARE1 vfio-pci
		DEV
		journal '$SPARE1: late claim: was bound to nvme'
		rc 0 vfpt status
		says 'DISABLED on this boot \\(rd.vfpt=0 .* in the initramfs'
		$(next_cmdline "")
		EXP
	} >"$TMP/plan"
	boot guards-6-rd-vfpt-0 || return

	# 7: the root NVMe moved to another root port: the twins are not where
	# they were learnt and have no serial, so the initramfs cannot tell them
	# apart and waits; the installed system keeps the root and takes the spares
	guards_devices moved
	{
		host_survived $MOVED
		cat <<-EXP
		devices <<'DEV'
		kmsg vfpt: $SPARE1: deferred: .*not where they were
		kmsg vfpt: $MOVED: (deferred|protected, not claimed)
		driver $SPARE1 vfio-pci
		driver $SPARE2 vfio-pci
		driver $SPARENIC vfio-pci
		no_kmsg vfpt: $MOVED: claimed
		DEV
		EXP
	} >"$TMP/plan"
	boot guards-7-renumbered
}

run_test test_guards_keep_root_and_uplink
echo "# test-guards.sh: ${SECONDS}s in all"
finish
