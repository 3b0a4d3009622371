/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>

#include "config.h"
#include "paths.h"
#include "util.h"
#include "vfionode.h"

/* a name, or a decimal number as the config takes it (the initramfs'
 * /etc/passwd may know only root) */
static int lookup_id(const char *s, bool user, unsigned *ret) {
        if (parse_decimal(s, ret) == 0)
                return 0;
        if (user) {
                struct passwd *p = getpwnam(s);
                if (!p)
                        return -ESRCH;
                *ret = p->pw_uid;
        } else {
                struct group *g = getgrnam(s);
                if (!g)
                        return -ESRCH;
                *ret = g->gr_gid;
        }
        return 0;
}

int vfio_node_apply(const struct config *c, int group, bool dry, const char **why) {
        char path[64];
        unsigned uid = (unsigned) -1, gid = (unsigned) -1;
        struct stat st;
        int changed = 0;

        *why = NULL;
        if (!c->vfio_owner && !c->vfio_group && c->vfio_mode < 0)
                return 0;
        if (c->vfio_owner && lookup_id(c->vfio_owner, true, &uid) < 0) {
                *why = "unknown [vfio] owner";
                return -ESRCH;
        }
        if (c->vfio_group && lookup_id(c->vfio_group, false, &gid) < 0) {
                *why = "unknown [vfio] group";
                return -ESRCH;
        }
        snprintf(path, sizeof(path), DEV_VFIO "/%d", group);
        _cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISCHR(st.st_mode)) {
                *why = "not a character device";
                return -EINVAL;
        }
        if ((uid != (unsigned) -1 && st.st_uid != uid) || (gid != (unsigned) -1 && st.st_gid != gid)) {
                if (!dry && fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
                        return -errno;
                changed = 1;
        }
        if (c->vfio_mode >= 0 && (st.st_mode & 07777) != (unsigned) c->vfio_mode) {
                /* fchmod does not take O_PATH descriptors: the node, by its /proc/self/fd name */
                char p[64];
                snprintf(p, sizeof(p), PROC_SELF_FD "/%d", fd);
                if (!dry && chmod(p, (mode_t) c->vfio_mode) < 0)
                        return -errno;
                changed = 1;
        }
        return changed;
}
