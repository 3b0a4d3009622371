/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Runs argv[0] (a full path) with argv, no shell, stdin from /dev/null,
 * stderr discarded, and collects its standard output (at most max bytes,
 * NUL-terminated; more is an error). Returns its wait status (>= 0), or
 * -errno when it could not be run or read. */
int spawn_output(const char *const *argv, size_t max, char **ret);
