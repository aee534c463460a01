/* SPDX-License-Identifier: MIT */
/*
 * One logging path for the daemon: syslog priorities, stderr or syslog as
 * the target, '<N>' priority prefixes when stderr is the journal.
 * Library code (lib/) logs at debug level only; the daemon decides what is
 * worth more.
 */
#ifndef PB_LOG_H
#define PB_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "pb-macro.h"

enum log_target {
        LOG_TARGET_STDERR,
        LOG_TARGET_SYSLOG,
};

void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_target(enum log_target target);

/* Parses "error", "warning", "notice", "info" or "debug".  Returns the level or -EINVAL. */
int log_level_from_string(const char *s);

/*
 * Logs a message at 'level'.  'error' is a negative errno or 0; when set, %m
 * in 'fmt' expands to its text.  Returns 'error' (so callers can
 * "return log_error_errno(r, ...)"), or 0.
 */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

static inline bool
log_enabled(int level)
{
        return level <= log_get_max_level();
}

#define log_full_errno(level, error, ...)                                     \
        ({                                                                    \
                int _l_ = (level), _e_ = (error);                             \
                log_enabled(_l_) ? log_internal(_l_, _e_, __VA_ARGS__) : _e_; \
        })

#define log_error(...)            log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_warning(...)          log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_notice(...)           log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_info(...)             log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_debug(...)            log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, e, __VA_ARGS__)

#endif
