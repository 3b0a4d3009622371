/* The log_*_errno() helpers: %m is the error's text, the return value is
 * -errno whatever sign it was given, errno is left as it was, and a line
 * below the level is neither printed nor formatted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char captured[2048];

/* runs fn with stderr going to a file; its text in captured */
static int capture(int (*fn)(void)) {
        FILE *f = tmpfile();
        int saved = dup(STDERR_FILENO), r;
        size_t n;
        fflush(stderr);
        dup2(fileno(f), STDERR_FILENO);
        r = fn();
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(f);
        n = fread(captured, 1, sizeof(captured) - 1, f);
        captured[n] = 0;
        fclose(f);
        return r;
}

static int error_enoent(void) {
        errno = EBADF;
        int r = log_error_errno(-ENOENT, "%s: cannot read: %m", "/etc/x");
        return errno == EBADF ? r : 1000;
}
static int warning_positive(void) {
        return log_warning_errno(EACCES, "cannot take the lock in %s: %m; device left alone", "/run/vfpt");
}
static int debug_hidden(void) {
        return log_full_errno(LOG_DEBUG, -EIO, "hidden: %m");
}

static void test_errno_text(void) {
        CHECK(capture(error_enoent) == -ENOENT);
        CHECK_STR(captured, "vfpt: /etc/x: cannot read: No such file or directory\n");
        CHECK(capture(warning_positive) == -EACCES);
        CHECK_STR(captured, "vfpt: cannot take the lock in /run/vfpt: Permission denied; device left alone\n");
}

static void test_below_level(void) {
        CHECK(capture(debug_hidden) == -EIO);
        CHECK_STR(captured, "");
}

int main(void) {
        log_set_target(LOG_TARGET_STDERR);
        RUN(test_errno_text);
        RUN(test_below_level);
        TEST_MAIN_END();
}
