/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* GPU hosts (issue 27), as the commands show them: a listed device's reset
 * methods and the boot framebuffer over its BARs (cmd-gpu.c). */

struct config;
struct json;

/* One line each, prefixed: "PREFIX0000:01:00.0: reset: ..." and
 * "PREFIX0000:01:00.0: boot framebuffer: ..."; returns the number of
 * warnings printed (no FLR, a framebuffer holding a BAR). */
unsigned gpu_print_device(const struct config *c, const char *name, const char *prefix);
/* The same as one JSON object {"device", "reset", "framebuffers"} */
void gpu_json_device(struct json *j, const struct config *c, const char *name);

/* status: the lines above for every configured device the engine claims or
 * would claim (ROLE_VFIO, present); JSON: a "gpu" array of the objects */
struct engine;
void gpu_status_print(const struct engine *e);
void gpu_status_json(struct json *j, const struct engine *e);
/* check-config and plan: a warning (stderr) for each boot framebuffer over
 * a BAR of a device the engine claims or would claim, naming the argument
 * that releases it; for the console GPU (boot_vga) that it is the host's
 * console too. The number of warnings. */
unsigned gpu_framebuffer_warn(const struct engine *e);
/* check-config: [vfio] release_framebuffer while the console GPU
 * (boot_vga=1) is not in [vfio] force: one error into c->errors
 * ("FILE:LINE: ..."); 1 when added, 0, -ENOMEM. */
int gpu_release_check(struct config *c);
/* [vfio] reset_method for each configured device the engine claims (or,
 * PLAN, would claim): APPLY writes it where it differs, PLAN prints (print:
 * not under --json) the write on stdout ("ADDR: would write reset_method = ..."); both warn when
 * device_specific is asked for and the vendor-reset module is not loaded
 * (an out-of-tree module). The number of writes that failed. */
unsigned gpu_reset_apply(const struct engine *e, bool write, bool print);
