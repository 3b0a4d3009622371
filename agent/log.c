/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>

#include "log.h"
#include "paths.h"

static enum log_target target = LOG_TARGET_AUTO;
static int max_level = LOG_NOTICE;
static int kmsg_fd = -1;
static bool capture;
static char **captured;

void log_set_target(enum log_target t) { target = t; }
void log_set_max_level(int level) { max_level = level; }

void log_open(void) {
        /* VFPT_LOG_TARGET=console|kmsg overrides where "auto" would go */
        const char *env = getenv("VFPT_LOG_TARGET");
        if (target == LOG_TARGET_AUTO && env) {
                if (streq(env, "console"))
                        target = LOG_TARGET_STDERR;
                else if (streq(env, "kmsg"))
                        target = LOG_TARGET_KMSG;
        }
        if (target == LOG_TARGET_AUTO)
                target = isatty(STDERR_FILENO) ? LOG_TARGET_STDERR : LOG_TARGET_KMSG;
        /* /dev/kmsg is opened by the first line written: most udev events
         * say nothing */
}

static void kmsg_open(void) {
        if (kmsg_fd >= 0)
                return;
        kmsg_fd = open(path_kmsg(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (kmsg_fd < 0) /* no /dev/kmsg (container, early boot): stderr */
                target = LOG_TARGET_STDERR;
}

void log_capture_errors(void) { capture = true; }
char *const *log_captured_errors(void) { return captured; }

void log_close(void) {
        if (kmsg_fd >= 0)
                close(kmsg_fd);
        kmsg_fd = -1;
        captured = strv_free(captured);
}

int log_internal(int level, int err, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        int saved = errno;

        if (err < 0)
                err = -err;
        if (level > max_level && !(capture && level <= LOG_ERR))
                return -err;
        if (target == LOG_TARGET_AUTO)
                log_open();

        errno = err;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        /* one record is one line */
        for (char *p = msg; *p; p++)
                if (*p == '\n')
                        *p = ' ';
        if (capture && level <= LOG_ERR)
                (void) strv_extend(&captured, msg); /* out of memory: the line is still logged */
        if (level > max_level)
                goto out;

        if (target == LOG_TARGET_KMSG)
                kmsg_open();
        if (target == LOG_TARGET_KMSG) {
                char prefix[16];
                snprintf(prefix, sizeof(prefix), "<%d>", LOG_DAEMON | level);
                struct iovec iov[] = {
                        { prefix, strlen(prefix) },
                        { (char *) "vfpt: ", 6 },
                        { msg, strlen(msg) },
                        { (char *) "\n", 1 },
                };
                if (writev(kmsg_fd, iov, ELEMENTSOF(iov)) >= 0)
                        goto out;
        }
        fprintf(stderr, "vfpt: %s\n", msg);
out:
        errno = saved;
        return -err;
}
