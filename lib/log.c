/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int max_level = LOG_INFO;
static enum log_target target = LOG_TARGET_STDERR;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit",
        [LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
        [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

void
log_set_max_level(int level)
{
        max_level = level;
}

int
log_get_max_level(void)
{
        return max_level;
}

void
log_set_target(enum log_target t)
{
        if (t == LOG_TARGET_SYSLOG && target != LOG_TARGET_SYSLOG)
                openlog("patchbayd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
        target = t;
}

int
log_level_from_string(const char *s)
{
        for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
                if (strcmp(s, level_names[i]) == 0)
                        return i;
        if (strcmp(s, "warn") == 0)
                return LOG_WARNING;
        return -EINVAL;
}

int
log_internal(int level, int error, const char *fmt, ...)
{
        int saved = errno;
        char msg[1024];
        va_list ap;

        /* %m reads errno: make it the error being reported. */
        errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        if (target == LOG_TARGET_SYSLOG)
                syslog(level, "%s", msg);
        else if (getenv("JOURNAL_STREAM"))
                fprintf(stderr, "<%d>%s\n", level, msg);
        else
                fprintf(stderr, "patchbayd: %s: %s\n", level_names[level & 7], msg);
        errno = saved;
        return error;
}
