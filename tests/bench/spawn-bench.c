/* Runs a command N times (posix_spawn, wait4) and prints
 * "median_us p10_us p90_us max_rss_kb" of the whole fork/exec/exit, as udev
 * pays it for a RUN program. Usage: spawn-bench N CMD [ARGS...]
 * $SPAWN_BENCH_RESET, if set, is a shell command run before each run and not
 * timed: it puts the fixture back in the state the row measures (a device
 * unclaimed again). Exits 4 if a run exited non-zero, 3 if one could not be
 * spawned. */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        if (argc < 3)
                return 2;
        int n = atoi(argv[1]), failed = 0;
        const char *reset = getenv("SPAWN_BENCH_RESET");
        double *t = calloc((size_t) n, sizeof(double));
        long maxrss = 0;
        posix_spawn_file_actions_t fa; /* the program's output is not the measurement's */
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        for (int i = 0; i < n; i++) {
                struct timespec a, b;
                struct rusage ru;
                pid_t pid;
                int status;
                if (reset && system(reset) != 0) {
                        fprintf(stderr, "spawn-bench: SPAWN_BENCH_RESET failed: %s\n", reset);
                        return 3;
                }
                clock_gettime(CLOCK_MONOTONIC, &a);
                if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0)
                        return 3;
                if (wait4(pid, &status, 0, &ru) < 0)
                        return 3;
                clock_gettime(CLOCK_MONOTONIC, &b);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed++;
                t[i] = (double) (b.tv_sec - a.tv_sec) * 1e6 + (double) (b.tv_nsec - a.tv_nsec) / 1e3;
                if (ru.ru_maxrss > maxrss)
                        maxrss = ru.ru_maxrss;
        }
        qsort(t, (size_t) n, sizeof(double), cmp);
        printf("%.0f %.0f %.0f %ld\n", t[n / 2], t[n / 10], t[n * 9 / 10], maxrss);
        if (failed)
                fprintf(stderr, "spawn-bench: %d of %d runs of %s exited non-zero\n", failed, n, argv[2]);
        return failed ? 4 : 0;
}
