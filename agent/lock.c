/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "lock.h"
#include "paths.h"
#include "util.h"

static void on_alarm(int sig _unused_) {}

int lock_take(unsigned timeout_sec) {
        const char *dir = path_runtime_dir();
        char p[4200];
        struct sigaction sa = { .sa_handler = on_alarm }, old;
        int r;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        snprintf(p, sizeof(p), "%s/lock", dir);
        _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        /* no SA_RESTART: the alarm interrupts flock() */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, &old);
        alarm(timeout_sec);
        r = flock(fd, LOCK_EX) < 0 ? -errno : 0;
        alarm(0);
        sigaction(SIGALRM, &old, NULL);
        if (r == -EINTR)
                r = -ETIMEDOUT;
        return r < 0 ? r : TAKE_FD(fd);
}
