#!/bin/bash
# make bench: what vfpt costs, side by side with the floor (exec of
# /bin/true) and with driverctl, on fixture hosts (umockdev; this machine's
# /sys is never touched). Prints a table; see README "Benchmarks".
set -u
B=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
. tests/fixture/host.sh
VFPT=$PWD/$B/vfpt
N=${BENCH_RUNS:-300}
# the fixtures in memory when there is a tmpfs, as sysfs is: on a disk, the
# fake kernel's and the resets' file writes add the disk's latency to a claim
tmpdir=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && tmpdir=/dev/shm
tmp=$(mktemp -d "$tmpdir/vfpt-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# beside the binary: a tmpfs may be noexec
SB=$PWD/$B/spawn-bench
gcc -O2 -o "$SB" tests/bench/spawn-bench.c || exit 2
export VFPT_LOG_TARGET=console
# the fixture's driver core (tests/fixture/fake-kernel.c) ahead of umockdev,
# as fx_run has it: a claim binds and is read back, as on a real host
_fx_fake_kernel
PRELOAD="$FX_FAKE_KERNEL libumockdev-preload.so.0"
ERRORS=0

# host: a PF with 64 VFs (steady: already created), a listed unbound NVMe,
# an unrelated NIC; vfio-pci loaded
host() {
	fx_init "$1"
	fx_driver vfio-pci
	fx_driver igb
	fx_dev 0000:3b:00.0 8086:1521 driver=igb group=1 totalvfs=64 offset=128 stride=1
	fx_vfs 0000:3b:00.0 64 group_base=100
	fx_dev 0000:5e:00.0 1b36:0010 group=2
	fx_dev 0000:77:00.0 8086:10d3 group=3 driver=e1000e
	mkdir -p "$FX/sys/module/vfio-pci" "$FX/sys/module/vfio_pci"
	printf '[sriov 0000:3b:00.0]\nnum_vfs = 64\nvf_driver = vfio-pci\n[vfio]\ndevices = 0000:5e:00.0\n' >"$FX/root/etc/vfpt.conf"
}
host "$tmp/h"
H=$FX

# check NAME CMD...: one run of CMD on the fixture, before it is timed: a row
# whose command fails, or whose vfpt (always -q) says anything, measures an
# error path and not what it is named for: reported, and make bench fails
check() {
	local name=$1 out
	shift
	out=$(UMOCKDEV_DIR=$H LD_PRELOAD=$PRELOAD VFPT_ROOT=$H/root "$@" 2>&1 >/dev/null)
	local rc=$?
	[[ " $* " == *" $VFPT "* ]] || out=""
	if [ "$rc" != 0 ] || [ -n "$out" ]; then
		printf '%-44s ERROR: exit %s: %s\n' "$name" "$rc" "$(echo "$out" | head -3 | tr '\n' ' ')"
		ERRORS=$((ERRORS + 1))
		return 1
	fi
}
row() { # NAME RUNS CMD...: median p10 p90 rss
	local name=$1 runs=$2
	shift 2
	local r
	if [ -n "${RESET:-}" ]; then $RESET || exit 2; fi
	check "$name" "$@" || return
	r=$(UMOCKDEV_DIR=$H LD_PRELOAD=$PRELOAD VFPT_ROOT=$H/root SPAWN_BENCH_RESET=${RESET:-} \
		"$SB" "$runs" "$@") || {
		printf '%-44s failed\n' "$name"
		ERRORS=$((ERRORS + 1))
		return
	}
	read -r med p10 p90 rss <<<"$r"
	printf '%-44s %8s %8s %8s %8s' "$name" "$med" "$p10" "$p90" "$rss"
	[ -n "${FLOOR:-}" ] && printf ' %7.1fx' "$(echo "$med / $FLOOR" | bc -l)"
	echo
	LAST=$med
}
ev() { # ACTION ADDR PCI_ID [DRIVER]
	echo /usr/bin/env ACTION="$1" SUBSYSTEM=pci DEVPATH="/devices/pci0000:00/$2" PCI_SLOT_NAME="$2" PCI_ID="$3" ${4:+DRIVER=$4} "$VFPT" -q udev
}

echo "vfpt $("$VFPT" version | cut -d' ' -f2), $(nproc) cores, $N runs a row (fewer for the heavy ones); times in microseconds"
printf '%-44s %8s %8s %8s %8s %8s\n' "what" "median" "p10" "p90" "rss KB" "x floor"
FLOOR=
row "floor: exec /bin/true" "$N" /bin/true
FLOOR=$LAST
# shellcheck disable=SC2046
row "vfpt udev, add of a device it ignores" "$N" $(ev add 0000:77:00.0 8086:10D3)
# each run claims the device afresh: the reset (not timed) unbinds it and
# clears its driver_override, as it is when its add event comes
unclaim() { # NAME ADDR...: a bash script that leaves each ADDR unbound, without override; prints its command
	local f=$tmp/$1.sh a
	shift
	{
		printf '. %q/tests/fixture/host.sh\nFX=%q\n' "$PWD" "$H"
		for a in "$@"; do
			printf 'fx_unbind %s\necho "(null)" >"$FX/sys/devices/pci0000:00/%s/driver_override"\n' "$a" "$a"
		done
	} >"$f"
	echo "bash $f"
}
RESET=$(unclaim unclaim-nvme 0000:5e:00.0)
# shellcheck disable=SC2046
row "vfpt udev, add of a listed device (claim)" "$N" $(ev add 0000:5e:00.0 1B36:0010)
RESET=
# the preload intercepts every libc call of vfpt's and few of /bin/true's: the
# same ignored event with a config that lets vfpt decide from the event's
# own properties, which touches no /sys at all, needs no preload (and its
# /etc and /run are an empty tree's, not this machine's)
printf '[vfio]\ndevices = 0000:5e:00.0\n' >"$tmp/plain.conf"
mkdir -p "$tmp/plain-root"
r0=$("$SB" "$N" /bin/true)
r1=$(env VFPT_ROOT="$tmp/plain-root" ACTION=add SUBSYSTEM=pci PCI_SLOT_NAME=0000:77:00.0 PCI_ID=8086:10D3 "$SB" "$N" "$VFPT" --config "$tmp/plain.conf" udev)
read -r m0 _ _ _ <<<"$r0"
read -r m1 a1 b1 rss1 <<<"$r1"
printf '%-44s %8s %8s %8s %8s %7.1fx  (floor without preload: %s)\n' "same, without preload (no /sys access)" "$m1" "$a1" "$b1" "$rss1" "$(echo "$m1 / $m0" | bc -l)" "$m0"
CLAIM=$LAST
# the PF's bind at boot: its 64 VFs exist (created by the sriov_numvfs
# write) and are all claimed in this event; then the same event again, with
# every VF on vfio-pci already (a rebind of the PF's driver)
vfs=$(for l in "$H/sys/devices/pci0000:00/0000:3b:00.0"/virtfn*; do l=$(readlink "$l") && printf '%s ' "${l##*/}"; done)
# shellcheck disable=SC2086
RESET=$(unclaim unclaim-vfs $vfs)
# shellcheck disable=SC2046
row "vfpt udev, bind of a PF, 64 VFs claimed" 30 $(ev bind 0000:3b:00.0 8086:1521 igb)
RESET=
# shellcheck disable=SC2046
row "same, the 64 VFs on vfio-pci already" 50 $(ev bind 0000:3b:00.0 8086:1521 igb)
# driverctl writes the same override; the device is left on vfio-pci in the
# fixture so that its own check after probing passes
rm -f "$H/sys/devices/pci0000:00/0000:5e:00.0/driver"
fx_bind 0000:5e:00.0 vfio-pci
row "driverctl --nosave set-override (same device)" 50 /usr/sbin/driverctl --nosave set-override 0000:5e:00.0 vfio-pci
DC=$LAST
printf '%-44s %8.1fx\n' "driverctl / vfpt claim" "$(echo "$DC / $CLAIM" | bc -l)"

# the netlink step per VF: the PF netdev's add event with 64 VFs, the
# kernel's side played by tests/fixture/fake-mnl.c (preloaded with umockdev)
echo
echo "per-VF settings, PF netdev add event, 64 VFs (rtnetlink answered by the fake, fake-mnl.c):"
VFPT=$VFPT _fx_fake_mnl
host "$tmp/n"
fx_netdev 0000:3b:00.0 eth7 9001
fx_vf_net 9001 64 spoof=0 trust=1
N_HOST=$FX
nl_row() { # NAME RUNS CONF: the add event's run, median and per VF
	printf '%s' "$3" >"$N_HOST/root/etc/vfpt.conf"
	local r
	r=$(UMOCKDEV_DIR=$N_HOST LD_PRELOAD="$PRELOAD $FX_FAKE_MNL" VFPT_ROOT=$N_HOST/root \
		VFPT_FAKE_NETLINK=$N_HOST/netlink ACTION=add SUBSYSTEM=net DEVPATH=/devices/pci0000:00/0000:3b:00.0/net/eth7 \
		"$SB" "$2" "$VFPT" -q udev) || { printf '%-44s failed\n' "$1"; ERRORS=$((ERRORS + 1)); return; }
	read -r med p10 p90 rss <<<"$r"
	printf '%-44s %8s %8s %8s %8s\n' "$1" "$med" "$p10" "$p90" "$rss"
	LAST=$med
}
base='[sriov 0000:3b:00.0]\nnum_vfs = 64\nvf_driver = vfio-pci\n'
nl_row "no VF settings (no netlink)" 100 "$(printf "$base")"
T0=$LAST
nl_row "64 VFs as configured (GETLINK, compare)" 100 "$(printf "$base"'spoofchk = off\ntrust = on\n')"
T1=$LAST
# every request refused: each run sends all 128 again (the fake keeps no state then)
for i in $(seq 0 63); do echo "9001 $i spoofchk 95"; echo "9001 $i trust 95"; done >"$N_HOST/netlink/refuse"
nl_row "128 SETLINKs (2 a VF), each refused" 30 "$(printf "$base"'spoofchk = on\ntrust = off\n')"
T2=$LAST
printf '  per VF: read and compare %.1f us; per SETLINK request %.1f us (of which the fake'"'"'s file I/O is a part)\n' \
	"$(echo "($T1 - $T0) / 64" | bc -l)" "$(echo "($T2 - $T1) / 128" | bc -l)"
if command -v valgrind >/dev/null; then
	# the as-configured run: vfpt's side of reading and comparing 64 VFs, by
	# self cost in netlink.c, vf_net() and its helpers and libmnl's parsing
	# (the fake builds its answer with libmnl's mnl_attr_put/nest: not counted)
	: >"$N_HOST/netlink/refuse"
	printf "$base"'spoofchk = off\ntrust = on\n' >"$N_HOST/root/etc/vfpt.conf"
	UMOCKDEV_DIR=$N_HOST LD_PRELOAD="$PRELOAD $FX_FAKE_MNL" VFPT_ROOT=$N_HOST/root \
		VFPT_FAKE_NETLINK=$N_HOST/netlink ACTION=add SUBSYSTEM=net DEVPATH=/devices/pci0000:00/0000:3b:00.0/net/eth7 \
		valgrind --tool=callgrind --callgrind-out-file="$tmp/nl.out" "$VFPT" udev >/dev/null 2>&1
	own=$(callgrind_annotate --auto=no --threshold=100 "$tmp/nl.out" 2>/dev/null | sed 's/,//g' |
		awk '/agent\/netlink\.c:|:vf_net |:vf_diff |:record_netlink |:config_vf_settings |:vf_setting_format |libmnl/ && !/mnl_attr_put|mnl_attr_nest|mnl_nlmsg_put/ {s+=$1} END {print s+0}')
	printf '  instructions, 64 VFs read and compared (netlink.c, vf_net() and libmnl parsing): %s, %d a VF\n' "$own" $((own / 64))
fi

# apply over 64 PFs x 64 VFs
echo
echo "vfpt apply over 64 PFs x 64 VFs (4160 PCI devices):"
fx_init "$tmp/big"
fx_driver vfio-pci
fx_driver igb
: >"$FX/root/etc/vfpt.conf"
for i in $(seq 1 64); do
	pf=$(printf '0000:%02x:00.0' $((i + 16)))
	fx_dev "$pf" 8086:1521 driver=igb group=$i totalvfs=64 offset=1 stride=1 >/dev/null
	fx_vfs "$pf" 64 group_base=$((1000 + i * 100))
	printf '[sriov %s]\nnum_vfs = 64\nvf_driver = vfio-pci\n' "$pf" >>"$FX/root/etc/vfpt.conf"
done
BIG=$FX
# the first run sets 64 sriov_numvfs and claims 4096 VFs (each bind is the
# fake kernel's file work, under the preload); then the steady runs, where
# everything is as configured already
t0=$(date +%s%N)
UMOCKDEV_DIR=$BIG LD_PRELOAD=$PRELOAD VFPT_ROOT=$BIG/root "$VFPT" -q apply >/dev/null 2>"$tmp/apply.err"
rc=$?
t1=$(date +%s%N)
if [ "$rc" != 0 ] || [ -s "$tmp/apply.err" ]; then
	printf '  first run: ERROR: exit %s: %s\n' "$rc" "$(head -3 "$tmp/apply.err" | tr '\n' ' ')"
	ERRORS=$((ERRORS + 1))
fi
printf '  first run (4096 claims): %d ms wall (umockdev preload and fake kernel included)\n' $(((t1 - t0) / 1000000))
r=$(UMOCKDEV_DIR=$BIG LD_PRELOAD=$PRELOAD VFPT_ROOT=$BIG/root "$SB" 5 "$VFPT" -q apply) || ERRORS=$((ERRORS + 1))
read -r med p10 p90 rss <<<"$r"
printf '  as configured already: median %d ms (p10 %d, p90 %d), rss %s KB\n' \
	$((med / 1000)) $((p10 / 1000)) $((p90 / 1000)) "$rss"
if command -v valgrind >/dev/null; then
	UMOCKDEV_DIR=$BIG LD_PRELOAD=$PRELOAD VFPT_ROOT=$BIG/root \
		valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$VFPT" -q apply >/dev/null 2>"$tmp/cg.log"
	total=$(grep -E '^summary:|^totals:' "$tmp/cg.out" | head -1 | awk '{print $2}')
	own=$(callgrind_annotate "$tmp/cg.out" 2>/dev/null | grep -E 'vfpt|agent/' | awk '{gsub(",","",$1); s+=$1} END {print s+0}')
	printf '  instructions (callgrind, whole process incl. libudev and the preload): %s, by object:\n' "$total"
	callgrind_annotate "$tmp/cg.out" 2>/dev/null | grep -E '^ *[0-9,]+ ' | sed 's/,//g' |
		awk '/\[/ && !/PROGRAM TOTALS/ {n=$1; match($0,/\[[^]]*\]/); o=substr($0,RSTART+1,RLENGTH-2); sub(/.*\//,"",o); s[o]+=n} END {for (k in s) printf "    %12d  %s\n", s[k], k}' |
		sort -rn | head -5
fi

echo
cp "$VFPT" "$tmp/vfpt.stripped"
strip "$tmp/vfpt.stripped"
printf 'binary: %d bytes stripped (%d unstripped); dynamic: %s\n' "$(stat -c %s "$tmp/vfpt.stripped")" \
	"$(stat -c %s "$VFPT")" "$(objdump -p "$VFPT" | awk '/NEEDED/ {printf "%s ", $2}')"

echo
# BENCH_QEMU=0: the fixture rows alone (the guest boots twice, minutes)
[ "${BENCH_QEMU:-1}" = 0 ] || tests/bench/bench-qemu.sh
if [ "$ERRORS" != 0 ]; then
	echo "bench: $ERRORS row(s) measured an error, not what they are named for (see ERROR above)" >&2
	exit 1
fi
