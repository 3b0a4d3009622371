/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Kernel command line parameters judged by the kernel's rules: names match
 * whole (xintel_iommu is not intel_iommu), '-' and '_' are the same in names,
 * the last occurrence of a name is the one in force, and a value is a
 * comma-separated list of options (intel_iommu=on,sm_on satisfies
 * intel_iommu=on). Words after a lone "--" belong to init. */

/* Splits a command line the way the kernel does (blanks, double quotes). */
int cmdline_split(const char *s, char ***ret);
bool cmdline_names_equal(const char *a, const char *b);
/* Index of the occurrence in force of arg's name in params, or -1. */
int cmdline_find_last(char *const *params, const char *arg);
/* Does the occurrence in force satisfy arg? */
bool cmdline_satisfies(char *const *params, const char *arg);
