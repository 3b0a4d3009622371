/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <syslog.h>

#include "util.h"

enum log_target {
        LOG_TARGET_AUTO,   /* stderr on a terminal, else the kernel log */
        LOG_TARGET_STDERR,
        LOG_TARGET_KMSG,
};

void log_set_target(enum log_target t);
void log_set_max_level(int level);
void log_open(void);
void log_close(void);
/* Keep a copy of every error line from now on (--json: the error document
 * lists them); the copies, NULL-terminated, or NULL if none */
void log_capture_errors(void);
char *const *log_captured_errors(void);

/* Logs one line "vfpt: ..." at syslog priority level. Returns -abs(err) so
 * callers can "return log_error_errno(r, ...)". With err, %m in fmt is its
 * text (strerror), as glibc's printf gives it for errno; errno itself is left
 * as it was. A line below the level is not even formatted. */
int log_internal(int level, int err, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, err, ...) log_internal((level), (err), __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(err, ...) log_internal(LOG_WARNING, (err), __VA_ARGS__)
#define log_error_errno(err, ...) log_internal(LOG_ERR, (err), __VA_ARGS__)
