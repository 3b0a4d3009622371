/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

/* Other tools' YAML files (netplan's), read by libyaml: the library netplan
 * itself reads them with, so a file means to vfpt what it means to netplan.
 * libyaml is dlopen()ed on the first call, as libkmod is: the commands that
 * read netplan files load it, the udev path never does. */

/* Called for every scalar that is a value: path holds the mapping keys from
 * the root down ("-" for a sequence item), depth of them; line counts from 1. */
typedef int (*yaml_scalar_fn)(void *userdata, char *const *path, size_t depth, const char *value, unsigned line);

#define YAMLFILE_DEPTH 16 /* deeper values (and alias loops) are not walked */

/* Walks the first document of text (len bytes), as netplan reads only the
 * first. 0, what fn returned when it was negative, -EBADMSG when libyaml
 * cannot parse it (*error: "line N: what libyaml says"; free()), -ENOPKG
 * when libyaml is not installed, -ENOMEM. */
int yamlfile_walk(const char *text, size_t len, yaml_scalar_fn fn, void *userdata, char **error);
