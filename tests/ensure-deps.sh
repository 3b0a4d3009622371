#!/bin/sh
# Installs the Debian packages the build, the tests and the demo need, when
# something is missing (make deps does the installing). Quiet when all is there.
missing=""
for h in ini.h blkid/blkid.h libudev.h libkmod.h libmnl/libmnl.h yaml.h; do
	[ -e "/usr/include/$h" ] || missing="$missing $h"
done
for c in cc clang systemd-analyze mkfs.ext4 objdump shellcheck bc driverctl strace dpkg-buildpackage lintian rpmbuild rpmlint man col git pkg-config umockdev-run valgrind python3 qemu-system-x86_64 dracut mkinitramfs busybox cpio lspci depmod unshare mmdebstrap mkfs.vfat mcopy sfdisk qemu-img ansible-playbook netplan promtool; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -e /usr/lib/x86_64-linux-gnu/libumockdev-preload.so.0 ] || missing="$missing libumockdev-preload"
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || missing="$missing libFuzzer"
[ -e /usr/share/OVMF/OVMF_CODE_4M.fd ] || missing="$missing ovmf"
[ -e /usr/share/misc/pci.ids ] || missing="$missing pci.ids"
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$missing libc.a"
[ -z "$missing" ] && exit 0
echo "missing:$missing; installing with make deps" >&2
exec make -s deps
