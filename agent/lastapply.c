/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /run/vfpt/last-apply: what the last vfpt apply of this boot did. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "lastapply.h"
#include "paths.h"
#include "util.h"

static int last_apply_path(char *buf, size_t n) {
        return (size_t) snprintf(buf, n, "%s/last-apply", path_runtime_dir()) >= n ? -ENAMETOOLONG : 0;
}

int last_apply_record(const struct last_apply *a) {
        char p[4096], line[128];
        int r = last_apply_path(p, sizeof(p));
        if (r < 0)
                return r;
        r = mkdir_p(path_runtime_dir(), 0755);
        if (r < 0)
                return r;
        int n = snprintf(line, sizeof(line), "%lld %d %u %u %s\n", a->time, a->exit_code, a->changes, a->failures,
                         *a->mode ? a->mode : "default");
        return atomic_write(p, line, (size_t) n, 0644);
}

int last_apply_read(struct last_apply *ret) {
        _cleanup_free_ char *l = NULL;
        char p[4096];
        struct last_apply a = {};
        int end = 0;
        int r = last_apply_path(p, sizeof(p));
        if (r >= 0)
                r = read_one_line(p, &l);
        if (r < 0)
                return r;
        if (sscanf(l, "%lld %d %u %u %15s%n", &a.time, &a.exit_code, &a.changes, &a.failures, a.mode, &end) != 5 ||
            l[end] || a.time < 0 || a.exit_code < 0 || a.exit_code > 255)
                return -EBADMSG;
        *ret = a;
        return 0;
}
