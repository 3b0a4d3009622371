#!/bin/bash
# Whole-host scenarios (issue 11): a Debian host installed on a disk image
# boots through OVMF and GRUB in QEMU (TCG); every assertion is made inside the
# guest (guest/wh-check) and reported on the serial console. See lib.sh for
# how the image is made and tests/README.md for how to add a scenario.
# The scenarios run on Debian 13 (trixie: kernel 6.12, systemd 257, dracut
# 106, initramfs-tools 0.148) with vfpt's .deb built on Debian 13 (issue 24).
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOTDISK=0000:01:00.0 PF=0000:02:00.0 VF0=0000:02:00.1 VF1=0000:02:00.2 VF2=0000:02:00.3 NV2=0000:03:00.0

if ! wh_prepare; then
	echo "not ok wh_prepare - cannot build vfpt, the guest tools or fetch QEMU 10 (see above)"
	echo "0 passed, 1 failed"
	exit 1
fi
# the Debian 13 build tree (the .deb) and the initramfs-tools base build while
# the dracut base does and the dracut scenarios run (a fresh machine)
wh_prefetch trixie-build trixie-itools

# boot NAME: boot the current scenario's disk with the plan in $TMP/plan
boot() { wh_run "$1"; }

# post NAME CMD...: a kickstart %post step in the current tree, logged
post() {
	local name=$1
	shift
	wh_chroot "$WH_TREE" sh -ec "$*" >"$WDIR/$name.log" 2>&1 && return 0
	fail "%post ($*): $(tail -5 "$WDIR/$name.log" | tr '\n' '|')"
	return 1
}

# the kickstart config: VFs of the NVMe PF on vfio-pci, the spare NVMe claimed
install_conf() {
	cat >"$WH_TREE/etc/vfpt.conf" <<-CONF
	[sriov $PF]
	num_vfs = 2
	vf_driver = vfio-pci
	[vfio]
	devices = $NV2
	owner = root
	group = kvm
	mode = 0660
	CONF
	chmod 0644 "$WH_TREE/etc/vfpt.conf"
	KVM_GID=$(awk -F: '$1 == "kvm" {print $3}' "$WH_TREE/etc/group")
}

# the device state install_conf asks for, in the guest's plan language
plan_devices() {
	cat <<-EXP
	cmdline 'intel_iommu=on'
	cmdline 'iommu=pt'
	cmdline 'root=UUID=$WH_ROOT_UUID'
	iommu_on
	devices <<'DEV'
	driver $ROOTDISK nvme
	driver $PF nvme
	numvfs $PF 2
	driver $VF0 vfio-pci
	driver $VF1 vfio-pci
	no_kmsg pci function ($VF0|$VF1)
	driver $NV2 vfio-pci
	no_kmsg pci function $NV2
	node_perms $VF0 0 $KVM_GID 660
	node_perms $NV2 0 $KVM_GID 660
	vfio_open $VF0
	vfio_open $NV2
	kmsg vfpt: $PF: sriov_numvfs 0 -> 2
	DEV
	rc 1 vfpt status
	says 'initramfs stale: rebuild with (dracut -f|update-initramfs -u), then reboot .*it carries no protected set'
	EXP
}

# installed [VARIANT]: the installed host (Debian 13 with dracut, or VARIANT),
# made once per run and variant and copied by the scenarios (its tree in
# $INSTALLED): vfpt installed, the config, the first steps of %post, and a
# grub.cfg naming the initramfs (as the installer's update-grub writes it)
declare -A INSTALLED_TREE=()
installed() {
	local variant=${1:-trixie-dracut}
	INSTALLED=${INSTALLED_TREE[$variant]:-}
	[ -n "$INSTALLED" ] && return 0
	wh_layer "$variant" "installed-$variant" || { fail "image: $(tail -3 "$WDIR/base-$variant.log")"; return 1; }
	install_conf
	local kver
	kver=$(basename "$(ls -d "$WH_TREE"/lib/modules/*)")
	# dracut on the running host builds for that host (hostonly); in the
	# chroot nothing can be seen of the host, so %post builds a generic one
	printf 'hostonly="yes"\n' >"$WH_TREE/etc/dracut.conf.d/20-hostonly.conf"
	post "installed-$variant/post" "vfpt check-config; dracut -f --no-hostonly --kver $kver; update-grub" || return 1
	INSTALLED=$WH_TREE
	INSTALLED_TREE[$variant]=$WH_TREE
}

# the kickstart host's 82576 (issue 14), behind a root port in slot 9, or
# "renumbered": a new card's root port in slot 8 before it moves it from bus
# 5 to bus 6, and its predictable name from enp5s0 to enp6s0
IGB_MAC=52:54:00:00:05:01
# shellcheck disable=SC2054 # commas are QEMU's
igb_devices() {
	WH_DEVICES=("${WH_BASE_DEVICES[@]}")
	[ "${1:-}" = renumbered ] && WH_DEVICES+=(-device pcie-root-port,id=rpnew,bus=pcie.0,chassis=6,addr=0x8)
	WH_DEVICES+=(-device pcie-root-port,id=rp5,bus=pcie.0,chassis=5,addr=0x9 -device "igb,bus=rp5,mac=$IGB_MAC")
}
WH_BASE_DEVICES=("${WH_DEVICES[@]}")

# Scenario 1 (kickstart %post in the image's chroot, first boot) with, on the
# same disk and boot, scenario 4 (the installed system's own boot path), then
# scenario 3 (config management adds a drop-in; rebuild; reboot). The drop-in
# also selects the 82576 PF by the name the host gives it ([sriov enp5s0],
# issue 14): learnt on the running host with the port's MAC, carried by the
# rebuild, and the reboot comes with a card added in an earlier slot.
test_kickstart_install() {
	installed || return
	wh_copy "$INSTALLED" kickstart
	post kickstart/post "vfpt check-config; vfpt grub apply" || return
	grep -q 'intel_iommu=on iommu=pt' "$WH_TREE/boot/grub/grub.cfg" || { fail "%post: update-grub did not put the args into grub.cfg"; return; }
	wh_image "$WH_TREE" "$WDIR/kickstart/disk.raw" || { fail "disk image"; return; }
	wh_scenario kickstart "$WDIR/kickstart/disk.raw" || { fail "overlay"; return; }
	igb_devices
	{
		plan_devices
		# scenario 4: udev coldplug and vfpt.service in the real root undid and redid nothing
		cat <<-EXP
		unit_ok vfpt.service
		before vfpt.service network-pre.target
		before vfpt.service systemd-networkd.service
		count_kmsg 1 'vfpt: .*sriov_numvfs'
		count_kmsg 1 'vfpt: $NV2: claimed for vfio-pci'
		count_kmsg 0 'vfpt: .*(late claim|unbound)'
		journal 'Finished vfpt.service|Finished Prepare PCI devices'
		rc 0 sh -c 'ip route show default | grep "via 192.0.2.1"'
		rc 0 sh -c 'ip -4 addr show | grep 192.0.2.10/24'
		EXP
		# scenario 3, on the running host: config management adds a drop-in
		cat <<-EXP
		devices <<'DEV'
		driver 0000:05:00.0 igb
		numvfs 0000:05:00.0 0
		DEV
		rc 0 test -e /sys/class/net/enp5s0
		act sh -c 'mkdir -p /etc/vfpt.conf.d && printf "[sriov $PF]\\nnum_vfs = 3\\n[sriov enp5s0]\\nnum_vfs = 2\\nvf_driver = vfio-pci\\n" >/etc/vfpt.conf.d/50-cm.conf'
		rc 1 vfpt status
		says 'initramfs'
		says 'dracut -f'
		act dracut -f
		rc 0 grep -x 'port enp5s0 $IGB_MAC 0000:05:00.0 8086:10c9' /var/lib/vfpt/ports
		EXP
	} >"$TMP/plan"
	boot kickstart-1
	local rc=$?
	WH_DEVICES=("${WH_BASE_DEVICES[@]}")
	[ $rc = 0 ] || return
	KICKSTART_BOOTED=1
}

# Scenario 3, second half: after the rebuild and a reboot the drop-in holds
test_config_change_later() {
	[ -n "${KICKSTART_BOOTED:-}" ] || { fail "needs the host of test_kickstart_install, which did not boot"; return; }
	cat >"$TMP/plan" <<-EXP
	devices <<'DEV'
	numvfs $PF 3
	driver $VF0 vfio-pci
	driver $VF1 vfio-pci
	driver $VF2 vfio-pci
	no_kmsg pci function ($VF0|$VF1|$VF2)
	driver $NV2 vfio-pci
	kmsg vfpt: $PF: sriov_numvfs 0 -> 3
	driver 0000:06:00.0 igb
	numvfs 0000:06:00.0 2
	driver 0000:06:10.0 vfio-pci
	driver 0000:06:10.2 vfio-pci
	no_kmsg igbvf 0000:06:10
	kmsg vfpt: 0000:06:00.0: sriov_numvfs 0 -> 2
	DEV
	rc 1 test -e /sys/class/net/enp5s0
	rc 0 test -e /sys/class/net/enp6s0
	rc 1 vfpt status
	says 'initramfs stale: rebuild with dracut -f, then reboot'
	says '^0000:06:00.0 sriov-pf: driver=igb sriov_numvfs=2/2 iommu_group=[0-9]+ ok$'
	no_says 'enp5s0|not present'
	EXP
	igb_devices renumbered
	boot kickstart-2
	WH_DEVICES=("${WH_BASE_DEVICES[@]}")
}

# Scenario 2: a host booted through GRUB without the IOMMU arguments
test_grub_life_cycle() {
	installed || return
	wh_copy "$INSTALLED" grub
	# issue 13: /etc/default/grub carries the arguments (vfpt grub apply in
	# %post), then a cloud drop-in turns the IOMMU off again, as grub-mkconfig
	# reads it: the first boot comes up with intel_iommu=off last
	post grub/post "vfpt grub apply --no-update
		printf '%s\n' '# cloud provider tuning' 'GRUB_CMDLINE_LINUX=\"\$GRUB_CMDLINE_LINUX intel_iommu=off\"' >/etc/default/grub.d/99-cloud.cfg
		update-grub" || return
	grep -q 'GRUB_CMDLINE_LINUX=.*intel_iommu=on' "$WH_TREE/etc/default/grub" || { fail "%post: vfpt grub apply did not patch /etc/default/grub"; return; }
	grep -q 'linux.*/vmlinuz.*intel_iommu=on iommu=pt intel_iommu=off' "$WH_TREE/boot/grub/grub.cfg" ||
		{ fail "%post: update-grub did not take the drop-in: $(grep -m1 'linux.*/vmlinuz' "$WH_TREE/boot/grub/grub.cfg")"; return; }
	wh_image "$WH_TREE" "$WDIR/grub/disk.raw" || { fail "disk image"; return; }
	wh_scenario grub "$WDIR/grub/disk.raw" || { fail "overlay"; return; }
	cat >"$TMP/plan" <<-EXP
	cmdline 'intel_iommu=on iommu=pt intel_iommu=off'
	rc 1 vfpt status
	says 'intel_iommu=on \(MISSING'
	rc 1 vfpt grub check
	says '/etc/default/grub.d/99-cloud.cfg: intel_iommu=on MISSING: intel_iommu=off is in force'
	snap /boot/grub/grub.cfg
	act vfpt grub apply
	rc 0 vfpt grub check
	rc 0 grep -x 'GRUB_CMDLINE_LINUX="\\\$GRUB_CMDLINE_LINUX"' /etc/default/grub.d/99-cloud.cfg
	rc 0 test -e /etc/default/grub.d/99-cloud.cfg.vfpt.bak
	rc 0 grep 'linux.*/vmlinuz.*intel_iommu=on iommu=pt' /boot/grub/grub.cfg
	rc 1 grep 'linux.*/vmlinuz.*intel_iommu=off' /boot/grub/grub.cfg
	rc 1 vfpt status
	says 'reboot required: the next boot adds intel_iommu=on'
	rc 0 sh -c 'vfpt plan; true'
	says 'IOMMU groups predicted'
	says '$NV2: next boot: claimed .*\(predicted IOMMU group [0-9]+: $NV2\)'
	no_says 'will have NONE'
	rc 0 test -s /var/lib/vfpt/iommu-groups-predicted
	EXP
	boot grub-1 || return
	{
		plan_devices
		cat <<-EXP
		rc 1 vfpt status
		says 'IOMMU groups: as predicted before the IOMMU was on'
		no_says 'NOT as predicted'
		no_cmdline 'intel_iommu=off'
		rc 0 vfpt grub check
		snap /etc/default/grub /etc/default/grub.d/99-cloud.cfg /etc/default/grub.d/99-cloud.cfg.vfpt.bak
		rc 0 vfpt --json grub apply
		says '"changed": ?false'
		unchanged /etc/default/grub /etc/default/grub.d/99-cloud.cfg /etc/default/grub.d/99-cloud.cfg.vfpt.bak
		EXP
	} >"$TMP/plan"
	boot grub-2
}

# Scenario 5: the same install on initramfs-tools (Debian's default)
test_initramfs_tools() {
	wh_layer trixie-itools itools || { fail "image: $(tail -3 "$WDIR/base-trixie-itools.log")"; return; }
	install_conf
	post itools/post "update-grub; vfpt check-config; vfpt grub apply; update-initramfs -u" || return
	wh_image "$WH_TREE" "$WDIR/itools/disk.raw" || { fail "disk image"; return; }
	wh_scenario itools "$WDIR/itools/disk.raw" || { fail "overlay"; return; }
	{
		plan_devices
		cat <<-EXP
		unit_ok vfpt.service
		count_kmsg 0 'vfpt: .*(late claim|unbound)'
		EXP
	} >"$TMP/plan"
	boot itools-1
}

# Scenario 6: examples/ansible/site.yml (the vfpt role) for real (Debian's ansible),
# twice, against the installed image through Ansible's chroot connection
# (community.general.chroot: Ansible against an image, as before a first boot).
# The one scenario on Debian 12 (dracut 059, Python 3.11, the binary built on
# this Debian 12 machine by make install): no boot, and its base is the one
# test-guards.sh boots.
test_ansible_example() {
	installed dracut || return
	wh_copy "$INSTALLED" ansible
	# installed by kickstart: the arguments are in GRUB already (the
	# playbook's reboot handler has no host to reboot in a chroot)
	post ansible/post "vfpt grub apply" || return
	local a=$WDIR/ansible initrd sum0 sum1 sum2
	cat >"$a/hosts" <<-INV
	[kvm_hosts]
	image ansible_host=$WH_TREE ansible_connection=community.general.chroot ansible_python_interpreter=/usr/bin/python3 vfpt_package=''
	INV
	initrd=$(ls "$WH_TREE"/boot/initrd.img-*)
	sum0=$(sha256sum <"$initrd")
	local -x ANSIBLE_HOME=$a/home ANSIBLE_LOCAL_TEMP=$a/tmp ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0
	local run
	for run in 1 2; do
		local start=$SECONDS
		wh_chroot_env "$WH_TREE" ansible-playbook -i "$a/hosts" "$TOP/examples/ansible/site.yml" >"$a/run$run.log" 2>&1 ||
			{ fail "run $run: ansible-playbook failed: $(grep -E 'fatal|FAILED|msg' "$a/run$run.log" | head -5 | tr '\n' '|')"; return; }
		echo "# ansible run $run: $((SECONDS - start))s; $(grep -E '^image +:' "$a/run$run.log" | tr -s ' ')"
		[ $run = 1 ] && sum1=$(sha256sum <"$initrd")
	done
	grep -qE '^image +: ok=[0-9]+ +changed=[1-9]' "$a/run1.log" || fail "run 1 changed nothing"
	grep -q 'RUNNING HANDLER \[vfpt : Rebuild the initramfs\]' "$a/run1.log" || fail "run 1: the initramfs was not rebuilt after the config changed"
	[ -e "$WH_TREE/etc/vfpt.conf.d/50-ansible.conf" ] || fail "run 1: no drop-in"
	[ -L "$WH_TREE/etc/systemd/system/multi-user.target.wants/vfpt.service" ] || fail "run 1: vfpt.service not enabled"
	[ "$sum0" != "$sum1" ] || fail "run 1: initramfs unchanged"
	grep -qE '^image +: ok=[0-9]+ +changed=0 ' "$a/run2.log" || fail "run 2 reports changes: $(grep -E '^(changed|image)' "$a/run2.log" | tr '\n' '|')"
	grep -q 'RUNNING HANDLER' "$a/run2.log" && fail "run 2 ran a handler"
	sum2=$(sha256sum <"$initrd")
	[ "$sum1" = "$sum2" ] || fail "run 2 regenerated the initramfs"
}

# vfpt's units as the package installed them, by the release's own
# systemd-analyze verify (systemd 257 on Debian 13): no warning at all (the
# tree has no man pages: minbase, so the Documentation= links are not opened)
test_units_verify() {
	installed || return
	local out
	# shellcheck disable=SC2016 # expanded by the inner sh
	out=$(wh_chroot "$INSTALLED" sh -c 'systemd-analyze --version | head -1; cd /usr/lib/systemd/system &&
		systemd-analyze verify --man=no vfpt.service vfpt-late.service vfpt-late-retry.service vfpt-late.timer 2>&1; echo "rc=$?"')
	echo "# $(head -1 <<<"$out")"
	[ "$(tail -n +2 <<<"$out")" = "rc=0" ] || fail "systemd-analyze verify: $(tail -n +2 <<<"$out" | tr '\n' '|')"
}

# WH_ONLY="test_a test_b": only those (while developing; make check runs all)
for t in test_kickstart_install test_config_change_later test_units_verify test_grub_life_cycle test_initramfs_tools test_ansible_example; do
	case " ${WH_ONLY:-$t} " in *" $t "*) run_test "$t" ;; esac
done
echo "# test-wholehost.sh: ${SECONDS}s in all"
finish
