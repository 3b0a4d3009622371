#!/bin/sh
# Runs in the guest. Checks /etc/vfpt-test.expect, one expectation a line:
#   driver ADDR DRIVER       the device is bound to DRIVER (none: unbound)
#   override ADDR VALUE      driver_override
#   numvfs ADDR N            sriov_numvfs
#   vfio_node ADDR           /dev/vfio/<its group> exists
#   node_perms ADDR UID GID MODE   /dev/vfio/<its group> owner, group, octal mode
#   vfio_open ADDR           opened through VFIO (group, container, type1, device)
#   kmsg REGEX               the kernel log has a line matching REGEX
#   no_kmsg REGEX            ... has none
#   status N                 vfpt status exits N
#   show                     print vfpt status and lspci -nnk of the devices
#   iplink ADDR REGEX        "ip -d link show" of ADDR's network interface has a
#                            line matching REGEX (the output goes to the log)
#   run CMD...               run CMD (e.g. rmmod igb), then udevadm settle
#   wait ADDR DRIVER         the device is bound to DRIVER within 30 s
#   bench_rebind PF DRV N VF...  N times: unbind the PF from DRV, sriov_numvfs=0,
#                            bind it again, time until every VF is on vfio-pci
exp=/etc/vfpt-test.expect
pass=0
fail=0
ok() { echo "VFPT-TEST ok - $*"; pass=$((pass + 1)); }
nok() { echo "VFPT-TEST not ok - $*"; fail=$((fail + 1)); }
drv() {
    d=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null)
    if [ -n "$d" ]; then basename "$d"; else echo none; fi
}

echo "VFPT-TEST-BEGIN"
# udev has settled, but give bind events and module loads up to 30 s
i=0
while [ $i -lt 60 ]; do
    all=1
    while read -r kind a b; do
        [ "$kind" = driver ] || continue
        [ "$(drv "$a")" = "$b" ] || all=0
    done <"$exp"
    [ $all = 1 ] && break
    sleep 0.5
    i=$((i + 1))
done
udevadm settle >/dev/null 2>&1

while read -r kind rest; do
    set -- $rest
    case $kind in
    "" | "#"*) ;;
    driver)
        got=$(drv "$1")
        if [ "$got" = "$2" ]; then ok "$1 is on $2"; else nok "$1 is on $got, wanted $2"; fi ;;
    override)
        got=$(cat "/sys/bus/pci/devices/$1/driver_override")
        if [ "$got" = "$2" ]; then ok "$1 driver_override=$2"; else nok "$1 driver_override=$got, wanted $2"; fi ;;
    numvfs)
        got=$(cat "/sys/bus/pci/devices/$1/sriov_numvfs")
        if [ "$got" = "$2" ]; then ok "$1 sriov_numvfs=$2"; else nok "$1 sriov_numvfs=$got, wanted $2"; fi ;;
    vfio_node)
        g=$(basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")")
        if [ -c "/dev/vfio/$g" ]; then ok "/dev/vfio/$g exists for $1"; else nok "no /dev/vfio/$g for $1"; fi ;;
    node_perms)
        g=$(basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")")
        got=$(stat -c '%u %g %a' "/dev/vfio/$g")
        if [ "$got" = "$2 $3 $4" ]; then ok "/dev/vfio/$g is $got"; else nok "/dev/vfio/$g is $got, wanted $2 $3 $4"; fi ;;
    vfio_open)
        out=$(/usr/bin/vfio-open "$1")
        case $out in
        "VFIO-OPEN ok"*) ok "$out" ;;
        *) nok "$out" ;;
        esac ;;
    kmsg)
        if dmesg | grep -qE -- "$rest"; then ok "kernel log has /$rest/: $(dmesg | grep -E -- "$rest" | head -1 | sed 's/^\[[^]]*\] //')"
        else nok "kernel log lacks /$rest/"; fi ;;
    no_kmsg)
        if dmesg | grep -qE -- "$rest"; then nok "kernel log has /$rest/: $(dmesg | grep -E -- "$rest" | head -1)"
        else ok "kernel log never has /$rest/"; fi ;;
    iplink)
        pat=${rest#* }
        dev=$(ls "/sys/bus/pci/devices/$1/net" 2>/dev/null | head -1)
        out=$(ip -d link show dev "$dev" 2>&1)
        echo "$out" | sed "s/^/VFPT-IPLINK $1 /"
        if echo "$out" | grep -qE -- "$pat"; then ok "ip -d link show $dev has /$pat/"
        else nok "ip -d link show $dev lacks /$pat/"; fi ;;
    run)
        "$@" >/dev/null 2>&1
        got=$?
        udevadm settle >/dev/null 2>&1
        if [ "$got" = 0 ]; then ok "ran $rest"; else nok "$rest exited $got"; fi ;;
    wait)
        i=0
        while [ $i -lt 60 ] && [ "$(drv "$1")" != "$2" ]; do sleep 0.5; i=$((i + 1)); done
        udevadm settle >/dev/null 2>&1
        got=$(drv "$1")
        if [ "$got" = "$2" ]; then ok "$1 is on $2 again"; else nok "$1 is on $got, wanted $2"; fi ;;
    status)
        /usr/sbin/vfpt status >/dev/null 2>&1
        got=$?
        if [ "$got" = "$1" ]; then ok "vfpt status exits $1"; else nok "vfpt status exits $got, wanted $1"; fi ;;
    show)
        echo "VFPT-SHOW-BEGIN"
        echo "# vfpt status"
        /usr/sbin/vfpt status
        echo "# lspci -nnk"
        lspci -nnk
        echo "# kernel log, vfpt and vfio lines"
        dmesg | grep -E 'vfpt|vfio' | sed 's/^\[[^]]*\] //'
        echo "VFPT-SHOW-END" ;;
    bench_rebind)
        pf=$1 pdrv=$2 n=$3
        shift 3
        r=0
        times=""
        while [ $r -lt "$n" ]; do
            echo 0 >"/sys/bus/pci/devices/$pf/sriov_numvfs" 2>/dev/null
            echo "$pf" >"/sys/bus/pci/drivers/$pdrv/unbind"
            udevadm settle >/dev/null 2>&1
            t0=$(date +%s%N)
            echo "$pf" >"/sys/bus/pci/drivers/$pdrv/bind"
            i=0
            while [ $i -lt 3000 ]; do
                all=1
                for vf in "$@"; do [ "$(drv "$vf")" = vfio-pci ] || all=0; done
                [ $all = 1 ] && break
                i=$((i + 1))
            done
            t1=$(date +%s%N)
            if [ $all = 1 ]; then times="$times $(((t1 - t0) / 1000000))"; else times="$times timeout"; fi
            udevadm settle >/dev/null 2>&1
            r=$((r + 1))
        done
        echo "VFPT-BENCH $pf rebind-to-vfio ms:$times"
        case $times in *timeout*) nok "bench: VFs not on vfio-pci in time" ;; *) ok "bench ran: $times ms" ;; esac ;;
    *) nok "unknown expectation: $kind $rest" ;;
    esac
done <"$exp"
echo "VFPT-TEST-END $pass passed, $fail failed"
echo "VFPT-KMSG-BEGIN"
dmesg | grep -E 'vfpt|vfio|nvme|e1000|pci function' | sed 's/^/    /'
echo "VFPT-KMSG-END"
