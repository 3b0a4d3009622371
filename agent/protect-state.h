/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "protect.h"

/* The state file /var/lib/vfpt/protected: the protected set as learnt on the
 * up host (protect.h says what it holds and why). Its format: a comment
 * header, "vfpt-protected 2", one host line, the device lines in address
 * order, and the CRC-32 of all that. It is read strictly: any line out of
 * place, any field not as vfpt writes it, a wrong checksum, a file not root's
 * or writable by others, and nothing of it is used. */

/* The learnt set for this host (host: its identity, "" when it has none, and
 * host_why why not). 1 with *ret (freed by the caller) and *n; 0 when the file
 * is not used, with the one-line reason in why; -ENOMEM. */
int protect_state_load(const char *host, const char *host_why, struct protect_entry **ret, size_t *n, char *why,
                       size_t why_n);
/* Records l[0..n) for host; a file that is not trusted is replaced.
 * 1 written, 0 unchanged (it held that already), -errno. */
int protect_state_save(const char *host, const struct protect_entry *l, size_t n);
