/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "paths.h"
#include "spawn.h"
#include "util.h"

extern char **environ;

int spawn_output(const char *const *argv, size_t max, char **ret) {
        _cleanup_close_ int rd = -1, wr = -1;
        _cleanup_free_ char *out = NULL;
        posix_spawn_file_actions_t fa;
        int fds[2], status, r;
        pid_t pid;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        rd = fds[0], wr = fds[1];
        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        /* the child's descriptors: dup2 clears O_CLOEXEC on the copies */
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, DEV_NULL, O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, DEV_NULL, O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, wr, STDOUT_FILENO);
        if (r == 0)
                r = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *) argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return -r;
        close(TAKE_FD(wr));
        size_t len = 0;
        r = read_fd(rd, max, &out, &len);
        close(TAKE_FD(rd)); /* a tool still writing gets EPIPE, not a hang */
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (r < 0)
                return r;
        *ret = TAKE_PTR(out);
        return status;
}
