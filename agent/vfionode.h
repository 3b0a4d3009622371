/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct config;

/* /dev/vfio/N of a claimed group gets [vfio] owner, group and mode (the
 * libvirt "Permission denied" on a group node that only root may open).
 * Returns 1 if it changed something (or would, with dry), 0 if the node is
 * already so or not there, -errno with *why for an unknown user or group. */
int vfio_node_apply(const struct config *c, int group, bool dry, const char **why);
