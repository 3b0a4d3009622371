/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"
#include "util.h"

/* The validated in-memory model of /etc/vfpt.conf and its drop-ins. */

enum group_policy {
        GROUP_STRICT,
        GROUP_GROUP,
        GROUP_WARN,
};

enum vf_driver {
        VF_DRIVER_HOST,
        VF_DRIVER_VFIO,
};

/* in precedence order: an address beats a port (its permanent MAC, then
 * its interface name), a port beats an ID, an ID beats a driver */
enum selector_kind {
        SELECTOR_ADDR,
        SELECTOR_MAC,    /* mac=3c:fd:fe:12:34:56: the PF netdev's permanent MAC */
        SELECTOR_IFNAME, /* eno49: the name the host gives the PF's interface */
        SELECTOR_ID,
        SELECTOR_DRIVER,
};

/* IFNAMSIZ less the NUL */
#define IFNAME_MAX 15

/* ADDR@VENDOR:DEVICE: the identity the config pins at an address ([vfio]
 * devices and force, [sriov ADDR]); a device of another vendor:device found
 * there is never claimed nor given VFs, whatever [vfio] force says. */
struct pin {
        bool set;
        struct pci_id id;
};

struct selector {
        enum selector_kind kind;
        struct pci_addr addr;
        struct pin pin; /* SELECTOR_ADDR only */
        struct pci_id id;
        char driver[65];
        uint8_t mac[6];
        char ifname[IFNAME_MAX + 1];
};

/* Does the selector name one port (an address, a MAC, an interface name)
 * rather than every device of a kind? */
static inline bool selector_is_one(const struct selector *s) {
        return s->kind == SELECTOR_ADDR || s->kind == SELECTOR_MAC || s->kind == SELECTOR_IFNAME;
}

/* What a PF's network port is known by, for the MAC and name selectors:
 * the permanent MAC of its netdev, the name its interface has now, and the
 * names learnt for that MAC on the up host (the initramfs has not renamed
 * the interface yet; a new card renumbers the buses and so the names). */
struct pf_port {
        bool has_mac;
        uint8_t mac[6];
        char ifname[IFNAME_MAX + 1]; /* "" when it has no interface (yet) */
        char **learnt;               /* NULL-terminated, may be NULL */
};

/* Per-VF settings, applied through rtnetlink on the PF's netdev. Each
 * VF_SET_* bit is one setting the kernel takes in one request: VLAN is
 * vlan, qos and vlan_proto together; RATE is min and max together. */
enum {
        VF_SET_MAC = 1 << 0,
        VF_SET_VLAN = 1 << 1,
        VF_SET_SPOOFCHK = 1 << 2,
        VF_SET_TRUST = 1 << 3,
        VF_SET_LINK_STATE = 1 << 4,
        VF_SET_RATE = 1 << 5,
        VF_SET_QUERY_RSS = 1 << 6,
        VF_SET_ALL = (1 << 7) - 1,
};

#define VLAN_PROTO_8021Q 0x8100
#define VLAN_PROTO_8021AD 0x88a8

enum vf_link_state { /* as IFLA_VF_LINK_STATE_* */
        VF_LINK_AUTO = 0,
        VF_LINK_ENABLE = 1,
        VF_LINK_DISABLE = 2,
};

struct vf_settings {
        unsigned set; /* VF_SET_* bits: the settings given */
        uint8_t mac[6];
        unsigned vlan, qos;  /* vlan 0: none */
        unsigned vlan_proto; /* VLAN_PROTO_* */
        bool spoofchk, trust, query_rss;
        enum vf_link_state link_state;
        unsigned min_tx_rate, max_tx_rate; /* Mbit/s, 0: no limit */
};

/* [sriov-vf SELECTOR INDEX] */
struct vf_rule {
        unsigned index;
        struct vf_settings s;
        char *origin;
};

struct sriov_rule {
        struct selector sel;
        unsigned num_vfs;
        enum vf_driver vf_driver;
        char vf_claim[65];       /* VF_DRIVER_VFIO: the driver that claims the VFs (vfio-pci, pci-stub, a variant) */
        char *vf_driver_origin;  /* "FILE:LINE" of vf_driver, NULL if not given */
        char *origin; /* "FILE:LINE" of the section header that created it */
        struct vf_settings all; /* for every VF (keys in [sriov SELECTOR]) */
        bool has_mac_base;      /* vf_mac_base: VF i gets base + i */
        uint8_t mac_base[6];
        struct vf_rule *vfs; /* [sriov-vf SELECTOR INDEX], in the order read */
        size_t n_vfs;
        bool vf_only; /* only [sriov-vf] sections name it so far (an error) */
};

struct vfio_device {
        struct pci_addr addr;
        char *origin;
        struct pin pin;
};

struct reset_setting {
        struct pci_addr addr;
        char methods[128]; /* as the kernel takes them: "device_specific bus" */
        char *origin;
};

struct vfio_id {
        struct pci_id id;
        char *origin;
};

/* Where a key got its value: the last file and line that set it */
struct config_origin {
        char *section; /* as normalised: "global", "sriov 0000:3b:00.0", "sriov-vf 8086:1521 2", "vfio" */
        char *key;
        char *origin; /* "FILE:LINE" */
};

struct config {
        char **kernel_args; /* tokens; empty when kernel_args_auto */
        bool kernel_args_auto;
        bool patch_grub;
        enum group_policy iommu_group;

        struct sriov_rule *sriov;
        size_t n_sriov;

        struct vfio_device *vfio_devices;
        size_t n_vfio_devices;
        struct vfio_id *vfio_ids;
        size_t n_vfio_ids;
        struct vfio_device *force; /* [vfio] force: claimed despite the disk and network guards */
        size_t n_force;
        char *vfio_owner, *vfio_group; /* NULL: leave as the kernel/udev made it */
        int vfio_mode;                 /* -1: leave */
        char vfio_driver[65];          /* [vfio] driver: claims [vfio] devices and ids (vfio-pci) */
        char *vfio_driver_origin;      /* "FILE:LINE" of [vfio] driver, NULL if not given */
        /* [vfio] release_framebuffer: the boot framebuffers whose release
         * arguments join kernel_args (GPU hosts): "efifb", "vesafb", "sysfb" */
        char **release_framebuffer;
        char *release_framebuffer_origin;
        /* [vfio] reset_method = ADDR=METHOD[,METHOD]...: written to the
         * device's reset_method when vfpt claims it */
        struct reset_setting *reset;
        size_t n_reset;

        struct config_origin *origins; /* every key given, in the order first given */
        size_t n_origins;

        char **files;  /* the files that were read, in order */
        char **errors; /* "FILE:LINE: message", one per mistake */
        /* "FILE: is a FIFO, not a regular file": drop-ins not read. The
         * commands warn and go on without them (the boot must neither
         * block nor fail on one); check-config makes each an error. */
        char **skipped;
};

/* Longest line the INI parser takes (inih's INI_MAX_LINE less "\r\n\0"). */
#define CONFIG_MAX_LINE 197

/* Reads path (NULL: the default /etc/vfpt.conf) and path.d/\*.conf.
 * Returns 0 and a config, or -EINVAL and a config whose errors list says
 * why (the caller prints them), or -ENOMEM. A missing default file means
 * defaults; a missing file named explicitly is an error. */
int config_load(const char *path, struct config **ret);
/* Same for an in-memory text, named "name" in messages (tests, fuzzing). */
int config_load_string(const char *name, const char *text, struct config **ret);
struct config *config_free(struct config *c);
static inline void config_freep(struct config **c) { config_free(*c); }
#define _cleanup_config_ _cleanup_(config_freep)

/* "FILE:LINE" that set key in section (normalised), NULL: the default */
const char *config_origin(const struct config *c, const char *section, const char *key);

/* The rule for a device, by precedence, or NULL. port may be NULL (the
 * device's port is unknown: the MAC and name selectors match nothing). */
const struct sriov_rule *config_sriov_for(const struct config *c, const struct pci_addr *addr,
                                          const struct pci_id *id, const char *driver,
                                          const struct pf_port *port);
/* Has the config [sriov mac=...] or [sriov IFNAME] sections? */
bool config_has_port_selectors(const struct config *c);
/* A valid interface name as the kernel takes one (dev_valid_name) */
bool ifname_valid(const char *s);
/* Is the device named in [vfio] force? */
bool config_forced(const struct config *c, const struct pci_addr *addr);
/* Does the config name the address itself ([vfio] devices or force,
 * [sriov ADDR])? With the identity it pins there, if any (pin may be
 * NULL), and where (origin: "FILE:LINE", may be NULL). */
bool config_names_address(const struct config *c, const struct pci_addr *addr, struct pin *pin, const char **origin);
/* "ADDR@VENDOR:DEVICE" or "ADDR": 0, or -EINVAL with *why */
int pinned_addr_parse(const char *s, struct pci_addr *addr, struct pin *pin, const char **why);
/* Is the device listed in [vfio] devices or ids? */
bool config_vfio_wants(const struct config *c, const struct pci_addr *addr, const struct pci_id *id);

/* What the config wants for VF index i of the rule's PF: [sriov-vf]
 * settings over [sriov] ones over vf_mac_base. */
void config_vf_settings(const struct sriov_rule *r, unsigned i, struct vf_settings *ret);
/* Does the rule set anything on any VF? */
bool config_sriov_has_vf_settings(const struct sriov_rule *r);

/* "02:00:00:00:00:01" and back; parse: -EINVAL with *why */
int mac_parse(const char *s, uint8_t ret[static 6], const char **why);
#define MAC_MAX 18
const char *mac_format(const uint8_t mac[static 6], char buf[static MAC_MAX]);
const char *vf_link_state_to_string(enum vf_link_state l);
const char *vlan_proto_to_string(unsigned p);

const char *group_policy_to_string(enum group_policy p);
/* The rule's vf_driver as the config names it: "host" or the claim driver */
const char *config_vf_driver_name(const struct sriov_rule *r);
/* A driver vfpt claims devices for: "vfio-pci" or "vfio_pci" (-> "vfio-pci"),
 * "pci-stub" or "pci_stub" (-> "pci-stub"), or a vfio-pci variant driver,
 * NAME_vfio_pci (dashes -> underscores: the kernel's variant drivers
 * register their PCI driver under their module name). The result is both
 * the sysfs driver name (driver_override) and the module to load.
 * 0 and the canonical name in buf, -EINVAL with *why. */
int claim_driver_parse(const char *s, char buf[static 65], const char **why);
/* A driver that keeps a device away from the host: vfio-pci, pci-stub, a variant */
bool driver_is_passthrough(const char *name);
/* ...and gives its IOMMU group a /dev/vfio node (not pci-stub) */
bool driver_is_vfio(const char *name);
/* The driver that claims a device the config wants: [vfio] driver for a
 * device listed in [vfio] (address or ID), else the PF rule's vf_driver
 * (rule may be NULL: vfio-pci) */
const char *config_claim_driver(const struct config *c, const struct pci_addr *addr, const struct pci_id *id,
                                const struct sriov_rule *rule);
/* "driver=" and a 64-byte name, or an address, ID, MAC or name, and the NUL */
#define SELECTOR_MAX (7 + 64 + 1)
const char *selector_format(const struct selector *s, char *buf, size_t n);
/* The kernel argument that releases a boot framebuffer named in [vfio]
 * release_framebuffer (efifb: video=efifb:off, vesafb: video=vesafb:off,
 * sysfb: initcall_blacklist=sysfb_init); NULL for another name */
const char *config_framebuffer_arg(const char *name);
/* kernel_args resolved: "auto" looks at the CPU vendor (Intel or AMD); and
 * the release_framebuffer arguments after them */
int config_kernel_args(const struct config *c, const char *cpu_vendor, char ***ret);
