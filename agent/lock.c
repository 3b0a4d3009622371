/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "lock.h"
#include "paths.h"
#include "util.h"

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A timed wait without signals: LOCK_NB tries against a monotonic deadline,
 * with short sleeps between them (1 ms, doubling up to 50 ms). Nothing can be
 * lost, as with an alarm() that fires before flock() starts waiting, and the
 * caller's signal dispositions, mask and alarm are left alone. */
int lock_take(unsigned timeout_sec) {
        const char *dir = path_runtime_dir();
        _cleanup_free_ char *p = strdupf("%s/lock", dir);
        long long deadline = now_ms() + (long long) timeout_sec * 1000;
        long sleep_ms = 1;

        if (!p)
                return -ENOMEM;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return TAKE_FD(fd);
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                long long left = deadline - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                long ms = sleep_ms < left ? sleep_ms : (long) left;
                struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
                nanosleep(&ts, NULL); /* a signal only shortens one sleep */
                if (sleep_ms < 50)
                        sleep_ms *= 2;
        }
}
