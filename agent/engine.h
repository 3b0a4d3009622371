/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "device.h"
#include "protect.h"

/* The device engine: brings configured PCI devices to their desired state
 * (SR-IOV VFs, vfio-pci claims), for one uevent or the whole machine. In
 * PLAN mode it reads everything and writes nothing, recording the writes it
 * would make; in APPLY mode it makes them as it goes, because each step
 * depends on what the kernel did with the previous one (VFs appear when
 * sriov_numvfs is written). */

enum engine_mode {
        ENGINE_PLAN,
        ENGINE_APPLY,
};

struct step {
        char *path;  /* sysfs file written; NULL for a module load; the PF for netlink */
        char *value; /* value written, or the module's name; for netlink, what
                      * "ip link set" would say: "dev eth0 vf 1 spoofchk off" */
        int result;  /* APPLY: 0 or -errno */
        bool netlink; /* an RTM_SETLINK of one VF setting on the PF's netdev */
};

/* One VF's settings on the PF's netdev against the config (status). */
struct vf_net {
        unsigned vf;
        struct vf_settings want; /* .set: the settings the config gives */
        struct vf_settings have; /* .set: the settings the kernel reports */
        unsigned drift;          /* VF_SET_* bits that differ (before apply) */
        unsigned failed;         /* APPLY: bits the kernel refused */
};

enum role {
        ROLE_PF,
        ROLE_VF,
        ROLE_VFIO,
};

/* One thing vfpt did, would do, or did not do to a device, and why. The
 * account keeps them in order; the commands render them: as text (the
 * failures if there are any, else all of them, joined by "; ") and as
 * --json "results". */
enum result_kind {
        RESULT_DONE,      /* a change made (APPLY) or needed (PLAN) */
        RESULT_INFO,      /* nothing to change, and why: not present, pending, in a group */
        RESULT_WARNING,   /* done or left as it is, but not all is well */
        RESULT_DEFERRED,  /* left for later: cannot tell yet whether the host needs it */
        RESULT_PROTECTED, /* not done: the host needs it (matched by ID: not a failure) */
        RESULT_FAILED,    /* could not be done, or refused although the config names it */
};

enum result_topic {
        TOPIC_DEVICE,      /* the device itself: present, readable */
        TOPIC_GUARD,       /* the protected set: disk, default route, console GPU */
        TOPIC_IDENTITY,    /* a named address holds another device than learnt or pinned */
        TOPIC_GROUP,       /* its IOMMU group */
        TOPIC_CLAIM,       /* driver_override, unbind, the bind to the claim driver */
        TOPIC_VFIO_NODE,   /* /dev/vfio/N: owner, group, mode */
        TOPIC_SRIOV,       /* sriov_numvfs, sriov_drivers_autoprobe, its VFs */
        TOPIC_VF_SETTINGS, /* per-VF MAC, VLAN, spoofchk... through rtnetlink */
        TOPIC_GIVEBACK,    /* given back: a device or VFs vfpt took that the config no longer wants */
};

struct result {
        enum result_kind kind;
        enum result_topic topic;
        char *text;   /* one clause: "late claim: was bound to e1000e, unbound" */
        char *reason; /* the cause alone, when there is one: "nvme0n1p2 is mounted on /", NULL */
};

const char *result_kind_to_string(enum result_kind k);
const char *result_topic_to_string(enum result_topic t);

/* What happened to, or would happen to, one device: the per-device account
 * of apply and plan, and the rows of status. The flags failed, refused and
 * deferred follow from the results. */
struct account {
        char name[SELECTOR_MAX]; /* a PCI address; the selector of a PF rule that matched no device */
        const struct sriov_rule *rule; /* PF: the rule it follows */
        enum role role;
        char driver[65], override[65];
        int group;
        int viable;  /* group viability: 1, 0, -1 unknown */
        int numvfs, want_vfs; /* PF only, else -1 */
        bool present;
        bool changed; /* writes were made (APPLY) or are needed (PLAN) */
        bool failed;  /* a RESULT_FAILED */
        bool refused; /* a guard's RESULT_FAILED or RESULT_PROTECTED: the host needs it; an identity refusal */
        bool deferred; /* a RESULT_DEFERRED */
        bool handled; /* taken care of in this run */
        bool late;    /* was bound to a host driver and had to be taken from it */
        struct result *results;
        size_t n_results;
        char *message;        /* the results as text; NULL if there are none */
        char netdev[16];      /* PF: its network interface, "" if none */
        struct vf_net *vfs;   /* PF with VF settings: one a VF */
        size_t n_vfs;
        unsigned vf_drift;    /* settings that differ(ed) from the config, all VFs */
        /* the next boot, before the IOMMU is on (engine.predict): group is
         * the predicted one, its members, and why it cannot be told whether
         * the group holds more (NULL when it can) */
        bool group_predicted;
        char **group_members;
        const char *group_unknown;
};

struct engine {
        const struct config *cfg;
        enum engine_mode mode;
        struct step *steps;
        size_t n_steps;
        struct account **acc; /* each allocated alone: pointers stay valid as the list grows */
        size_t n_acc;
        bool early;           /* initramfs before udev: an unbound PF is pending, not a failure */
        bool late;            /* vfpt-late.service: the network is up, the network guard sees */
        bool event;           /* one uevent (vfpt udev), not the whole machine */
        struct protect *prot; /* the protected set, opened on first use */
        struct ports *ports;  /* interface names learnt for [sriov IFNAME], if the config has any */
        int prot_error;
        char **registered;    /* claim drivers that are (or, in PLAN, will be) registered */
        struct account **index; /* open addressing by name: lookups stay O(1) on 4096 VFs */
        size_t index_size;
        /* vf_rule()'s last PF and its rule: a PF's 64 VFs read it once, not 64
         * times; forgotten when that PF itself is claimed (its driver changes) */
        char rule_pf[PCI_ADDR_MAX];
        const struct sriov_rule *rule_pf_rule;
        /* PLAN for the next boot while the IOMMU is off: groups as predicted
         * (iommu-predict.h), not the kernel's; the caller's, not freed */
        struct iommu_prediction *predict;
        /* PLAN for a next boot without an IOMMU although it is on now (issue
         * 32): why ("intel_iommu=off on its command line"); no claim there */
        const char *no_iommu;
};

void engine_init(struct engine *e, const struct config *cfg, enum engine_mode mode);
void engine_done(struct engine *e);

/* The whole machine (coldplug). Returns -errno only if it could not even
 * enumerate; per-device failures are in the accounts. */
int engine_all(struct engine *e);
/* One uevent: ACTION=add or bind for PCI device NAME (DRIVER on bind). */
int engine_uevent(struct engine *e, const char *action, const char *name, const char *driver);
/* A network interface of PCI device NAME appeared (ACTION=add, SUBSYSTEM=net):
 * the VF settings of its PF again (a driver reload loses them). */
int engine_netdev(struct engine *e, const char *name);
/* Might a netdev of PCI device NAME concern the config? From the config
 * alone when every PF with VF settings is selected by address. */
bool engine_netdev_relevant(const struct config *cfg, const char *name);
/* A /dev/vfio/N node appeared: [vfio] owner/group/mode if it is a group
 * vfpt claims. */
int engine_vfio_node(struct engine *e, int group);
/* Decides from the uevent's own properties whether the event may concern
 * the config, without touching sysfs: the fast path for every PCI device. */
bool engine_uevent_relevant(const struct config *cfg, const char *action, const char *name,
                            const char *pci_id, const char *driver);

/* A netlink step's setting as "ip link set" spells it ("spoofchk off"),
 * and its VF; NULL if s is not a netlink step. */
const char *step_netlink_setting(const struct step *s, unsigned *vf);

/* The account of device name, NULL if it has none. */
struct account *engine_account(struct engine *e, const char *name);

/* For giveback.c, which gives back what the config no longer wants in the
 * same run and account: a device's account (made if it has none), a result
 * on it (text: one clause), and the writes as the engine makes them (in PLAN
 * mode recorded only). */
struct account *engine_account_add(struct engine *e, const char *name, enum role role, const struct pci_dev *d);
void engine_note(struct account *a, enum result_kind kind, enum result_topic topic, const char *reason,
                 const char *text);
int engine_write(struct engine *e, const char *dev, const char *attr, const char *value);
int engine_unbind(struct engine *e, const char *dev, const char *driver);
int engine_probe(struct engine *e, const char *dev);
/* loads a driver's module unless it is registered: 0, -errno */
int engine_load(struct engine *e, const char *driver);

unsigned engine_failures(const struct engine *e);
unsigned engine_deferred(const struct engine *e);
/* Accounts refused because their address holds another device (TOPIC_IDENTITY) */
unsigned engine_identity_refusals(const struct engine *e);
const char *role_to_string(enum role r);
