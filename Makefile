# vfpt — prepare Linux hosts for PCI passthrough at boot
VERSION    := 0.1.0
PREFIX     ?= /usr
SBINDIR    ?= $(PREFIX)/sbin
UDEVDIR    ?= $(PREFIX)/lib/udev
DRACUTDIR  ?= $(PREFIX)/lib/dracut
DOCDIR     ?= $(PREFIX)/share/doc/vfpt
UNITDIR    ?= $(PREFIX)/lib/systemd/system
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INITRAMFSDIR ?= $(PREFIX)/share/initramfs-tools
SYSCONFDIR ?= /etc

CC      ?= gcc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CPPFLAGS += -D_GNU_SOURCE -DVFPT_VERSION='"$(VERSION)"' $(shell pkg-config --cflags blkid)
# inih is linked statically (not in every initramfs); libudev, libmnl
# (Debian ships no libmnl.a), libkmod and libblkid are dlopen()ed when first
# needed (agent/device.c, netlink.c, module.c, disk.c): a PCI event that
# concerns no configured device loads none of them (README, Benchmarks).
LIBS_STATIC  := -Wl,-Bstatic -linih -Wl,-Bdynamic
LIBS_DYNAMIC := -ldl
LDFLAGS ?=

B ?= build
SRCS := $(wildcard agent/*.c)
OBJS := $(patsubst agent/%.c,$(B)/obj/%.o,$(SRCS))
LIB_OBJS := $(filter-out $(B)/obj/main.o,$(OBJS))
LIB := $(B)/libvfpt.a

TEST_SRCS := $(wildcard tests/unit/test-*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(TEST_SRCS))

.PHONY: all install install-enable deps check asan fuzz bench demo clean
all: $(B)/vfpt

$(B)/obj/%.o: agent/%.c $(wildcard agent/*.h) | $(B)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -std=gnu11 -c $< -o $@

$(B)/vfpt: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS_STATIC) $(LIBS_DYNAMIC)

$(LIB): $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

$(B)/tests/%: tests/unit/%.c tests/unit/tap.h $(LIB) | $(B)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes -std=gnu11 -Iagent -o $@ $< $(LIB) $(LIBS_STATIC) $(LIBS_DYNAMIC)

$(B)/obj $(B)/tests:
	mkdir -p $@

install: $(B)/vfpt
	install -Dm0755 $(B)/vfpt $(DESTDIR)$(SBINDIR)/vfpt
	install -d $(DESTDIR)$(SYSCONFDIR)/vfpt.conf.d
	install -d $(DESTDIR)$(UDEVDIR)/rules.d
	sed 's|@SBINDIR@|$(SBINDIR)|g' udev-rules/70-vfpt.rules >$(DESTDIR)$(UDEVDIR)/rules.d/70-vfpt.rules
	install -d $(DESTDIR)$(DRACUTDIR)/modules.d/90vfpt
	install -m0755 dracut-module/module-setup.sh dracut-module/vfpt-pre-udev.sh $(DESTDIR)$(DRACUTDIR)/modules.d/90vfpt/
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/vfpt.service >$(DESTDIR)$(UNITDIR)/vfpt.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/vfpt-late.service >$(DESTDIR)$(UNITDIR)/vfpt-late.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/vfpt-late-retry.service >$(DESTDIR)$(UNITDIR)/vfpt-late-retry.service
	install -m 0644 systemd/vfpt-late.timer $(DESTDIR)$(UNITDIR)/vfpt-late.timer
	sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/vfpt-metrics.service >$(DESTDIR)$(UNITDIR)/vfpt-metrics.service
	install -m 0644 systemd/vfpt-metrics.timer $(DESTDIR)$(UNITDIR)/vfpt-metrics.timer
	install -Dm0755 initramfs-tools/hook $(DESTDIR)$(INITRAMFSDIR)/hooks/vfpt
	install -Dm0755 initramfs-tools/script $(DESTDIR)$(INITRAMFSDIR)/scripts/init-top/vfpt
	install -Dm0644 man/vfpt.8 $(DESTDIR)$(MANDIR)/man8/vfpt.8
	install -Dm0644 man/vfpt.conf.5 $(DESTDIR)$(MANDIR)/man5/vfpt.conf.5
	install -Dm0644 completion/vfpt.bash $(DESTDIR)$(BASHCOMPDIR)/vfpt
	install -Dm0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -d $(DESTDIR)$(DOCDIR)/examples
	cd examples && find . -type f | LC_ALL=C sort | while read -r f; do \
		install -Dm0644 "$$f" "$(DESTDIR)$(DOCDIR)/examples/$${f#./}" || exit 1; done
	install -d $(DESTDIR)$(DOCDIR)/grub
	install -m0644 grub/* $(DESTDIR)$(DOCDIR)/grub/
	@echo
	@echo "vfpt is installed but not enabled: its boot units run the real-root apply and the claims"
	@echo "deferred until the network is up. Enable them (or run 'make install-enable'):"
	@echo "  systemctl $(if $(DESTDIR),--root=$(DESTDIR) )enable $(ENABLE_UNITS)"
	@echo "Optional, for node_exporter's textfile collector: systemctl enable --now vfpt-metrics.timer"

# The units a host needs enabled (vfpt.service's Also= names vfpt-late.service
# too); with DESTDIR, in that tree (systemctl --root), else on this system.
ENABLE_UNITS := vfpt.service vfpt-late.service
install-enable: install
	systemctl $(if $(DESTDIR),--root=$(DESTDIR) )enable $(ENABLE_UNITS)

# Debian 12 packages the build, the tests and the demo need.
DEB_BUILD := build-essential pkg-config libinih-dev libblkid-dev libudev-dev libkmod-dev libmnl-dev libyaml-dev
DEB_TEST  := umockdev libumockdev0 valgrind shellcheck python3 util-linux e2fsprogs clang libclang-rt-14-dev binutils bc driverctl strace \
             debhelper dpkg-dev fakeroot lintian rpm rpmlint man-db groff-base bsdextrautils git systemd netplan.io
DEB_DEMO  := qemu-system-x86 dracut-core initramfs-tools-core busybox cpio kmod pciutils pci.ids libc6-dev udev
# the whole-host tests (tests/wholehost): image build, disk, firmware, Ansible
DEB_WHOLEHOST := mmdebstrap ovmf mtools dosfstools fdisk qemu-utils ansible
# promtool: the metrics' and the example alert rules' checks (tests/fixture/test-metrics.sh)
DEB_METRICS := prometheus
deps:
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEB_BUILD) $(DEB_TEST) $(DEB_DEMO) $(DEB_WHOLEHOST) $(DEB_METRICS); \
	else \
		echo "run as root: apt-get install --no-install-recommends $(DEB_BUILD) $(DEB_TEST) $(DEB_DEMO) $(DEB_WHOLEHOST) $(DEB_METRICS)"; exit 1; \
	fi

# The same code built with AddressSanitizer and UndefinedBehaviorSanitizer;
# make check runs the unit, CLI, fixture and GRUB tests against it too.
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
asan:
	@$(MAKE) -s B=build-asan CFLAGS="$(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" build-asan/vfpt \
		$(patsubst tests/unit/%.c,build-asan/tests/%,$(TEST_SRCS))

# libFuzzer targets (clang), each for FUZZ_SECONDS; crashes land in build/fuzz/
FUZZ_SECONDS ?= 60
fuzz:
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

bench:
	@tests/ensure-deps.sh
	@$(MAKE) -s $(B)/vfpt
	@tests/bench/bench.sh $(B)

check:
	@tests/ensure-deps.sh
	@$(MAKE) -s $(B)/vfpt $(TEST_BINS)
	@$(MAKE) -s asan
	@tests/run-tests.sh $(B) build-asan

demo:
	@tests/ensure-deps.sh
	@$(MAKE) -s $(B)/vfpt
	@tests/demo.sh $(B)

clean:
	rm -rf build build-asan
