/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Other network managers that also set the VF count of a PF vfpt manages
 * (or configure its VFs): NetworkManager keyfiles with an [sriov] setting,
 * systemd .link files that udev's net_setup_link applies
 * (SR-IOVVirtualFunctions=, [SR-IOV]), systemd-networkd .network files
 * with [SR-IOV] sections, and netplan (virtual-function-count:, VFs
 * declared with link:). Each tool's files are read from its own
 * directories (below $VFPT_ROOT) and matched against each PF the way that
 * tool matches interfaces. Logs nothing: the commands say what it found. */

enum coexist_manager {
        COEXIST_NETWORKMANAGER,
        COEXIST_UDEV,     /* a .link file: systemd-udevd applies it */
        COEXIST_NETWORKD, /* a .network file */
        COEXIST_NETPLAN,
};

/* A PF vfpt manages, as it is now. A PF without a network interface is
 * nothing these tools act on. */
struct coexist_pf {
        const char *name;   /* PCI address, "0000:3b:00.0" */
        const char *ifname; /* its network interface, "" if none */
        const char *mac;    /* that interface's address as sysfs reads, "" if unknown */
        const char *perm_mac; /* its permanent address (port.h), "" if unknown */
        const char *driver; /* the bound driver, "" if none */
        int ifindex;        /* that interface's, 0 if none */
        /* the .link file udev applied to the interface (ID_NET_LINK_FILE in
         * the udev database), NULL if udev has not said */
        const char *link_file;
};

/* how a finding was found */
enum coexist_found {
        COEXIST_MATCHED,  /* vfpt matched the file the way the tool matches */
        COEXIST_TOOL_SAID, /* the tool's own answer: the .link file udev applied,
                            * the .network file networkd uses (NETWORK_FILE= in
                            * its state of the link) */
};

struct coexist_finding {
        char *pf;                     /* the PF's PCI address */
        enum coexist_manager manager;
        char *file;                   /* as the host names it: /etc/systemd/network/10-eno1.link */
        unsigned line;                /* where the setting is, from 1 */
        char *setting;                /* what it sets there: "SR-IOVVirtualFunctions=4" */
        bool numvfs;                  /* it writes sriov_numvfs; else it configures the VFs vfpt makes */
        enum coexist_found found;
};

struct coexist {
        struct coexist_finding *findings; /* PF by PF, in the order given */
        size_t n_findings;
        char **unreadable; /* "FILE: reason": files (or directories) there that could not be read */
};

/* Fills ret (coexist_done() frees it, also after a failure). 0 or -ENOMEM;
 * a file that cannot be read is left out and named in ret->unreadable. */
int coexist_scan(const struct coexist_pf *pfs, size_t n_pfs, struct coexist *ret);
void coexist_done(struct coexist *c);
/* "NetworkManager", "systemd-udevd", "systemd-networkd", "netplan" */
const char *coexist_manager_to_string(enum coexist_manager m);
