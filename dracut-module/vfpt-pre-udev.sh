#!/bin/sh
# Sourced by dracut's init before udevd starts: claim the devices listed in
# /etc/vfpt.conf for vfio-pci now, before udev coldplug loads any host
# driver module. PFs get their VFs later, from their bind events (udev rule).
# vfpt logs to the kernel log; whatever happens, the boot goes on.
if [ -x /usr/sbin/vfpt ]; then
    VFPT_LOG_TARGET=kmsg /usr/sbin/vfpt apply --early >/dev/null 2>&1 || :
fi
