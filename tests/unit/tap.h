/* A tiny test harness: each TEST() prints "ok"/"not ok" lines, the file's
 * main ends with the tally the runner adds up. */
#pragma once
#include <stdio.h>
#include <string.h>

static int t_failed_checks, t_passed, t_failed;
static const char *t_current;

#define CHECK(cond)                                                                        \
        do {                                                                               \
                if (!(cond)) {                                                             \
                        fprintf(stderr, "  %s:%d: %s: check failed: %s\n", __FILE__,       \
                                __LINE__, t_current, #cond);                               \
                        t_failed_checks++;                                                 \
                }                                                                          \
        } while (0)

#define CHECK_STR(a, b)                                                                     \
        do {                                                                                \
                const char *_a = (a), *_b = (b);                                            \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                    \
                        fprintf(stderr, "  %s:%d: %s: '%s' != '%s'\n", __FILE__, __LINE__, \
                                t_current, _a ? _a : "(null)", _b ? _b : "(null)");         \
                        t_failed_checks++;                                                  \
                }                                                                           \
        } while (0)

#define RUN(fn)                                                        \
        do {                                                           \
                int _before = t_failed_checks;                         \
                t_current = #fn;                                       \
                fn();                                                  \
                if (t_failed_checks == _before) {                      \
                        t_passed++;                                    \
                        printf("ok %s\n", #fn);                        \
                } else {                                               \
                        t_failed++;                                    \
                        printf("not ok %s\n", #fn);                    \
                }                                                      \
        } while (0)

#define TEST_MAIN_END()                                          \
        do {                                                     \
                printf("%d passed, %d failed\n", t_passed, t_failed); \
                return t_failed ? 1 : 0;                         \
        } while (0)
