/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* check-config, status: other network managers that also manage a PF the
 * config manages (coexist.c), as the engine's PF accounts say which: one
 * warning line each; ret for coexistence_json(), coexist_done() frees it.
 * (cmd-coexist.c) */

struct coexist;
struct engine;
struct json;

void coexistence_warn(const struct engine *e, struct coexist *ret);
void coexistence_json(struct json *j, const struct coexist *c);
