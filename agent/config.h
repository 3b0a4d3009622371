/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

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

/* in precedence order: an address beats an ID, an ID beats a driver */
enum selector_kind {
        SELECTOR_ADDR,
        SELECTOR_ID,
        SELECTOR_DRIVER,
};

struct selector {
        enum selector_kind kind;
        struct pci_addr addr;
        struct pci_id id;
        char driver[65];
};

struct sriov_rule {
        struct selector sel;
        unsigned num_vfs;
        enum vf_driver vf_driver;
        char *origin; /* "FILE:LINE" of the section header that created it */
};

struct vfio_device {
        struct pci_addr addr;
        char *origin;
};

struct vfio_id {
        struct pci_id id;
        char *origin;
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

        char **files;  /* the files that were read, in order */
        char **errors; /* "FILE:LINE: message", one per mistake */
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

/* The rule for a device, by precedence, or NULL. */
const struct sriov_rule *config_sriov_for(const struct config *c, const struct pci_addr *addr,
                                          const struct pci_id *id, const char *driver);
/* Is the device named in [vfio] force? */
bool config_forced(const struct config *c, const struct pci_addr *addr);
/* Is the device listed in [vfio] devices or ids? */
bool config_vfio_wants(const struct config *c, const struct pci_addr *addr, const struct pci_id *id);

const char *group_policy_to_string(enum group_policy p);
const char *vf_driver_to_string(enum vf_driver d);
/* "driver=" and a 64-byte name, or an address or ID, and the NUL */
#define SELECTOR_MAX (7 + 64 + 1)
const char *selector_format(const struct selector *s, char *buf, size_t n);
/* kernel_args resolved: "auto" looks at the CPU vendor (Intel or AMD) */
int config_kernel_args(const struct config *c, const char *cpu_vendor, char ***ret);
