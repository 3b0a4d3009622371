#!/bin/sh
# Create the VFs, then hand each to vfio-pci: driver_override, unbind from
# whatever took it, drivers_probe. (The guides' script, made correct.)
pf=/sys/bus/pci/devices/$1
modprobe vfio-pci
echo 0 >"$pf/sriov_drivers_autoprobe"
echo 2 >"$pf/sriov_numvfs"
for v in "$pf"/virtfn*; do
	d=$(basename "$(readlink "$v")")
	echo vfio-pci >"/sys/bus/pci/devices/$d/driver_override"
	if [ -e "/sys/bus/pci/devices/$d/driver" ]; then
		echo "$d" >"/sys/bus/pci/devices/$d/driver/unbind"
	fi
	echo "$d" >/sys/bus/pci/drivers_probe
done
