/* SPDX-License-Identifier: MIT */
#include "pb-frame.h"

#include <errno.h>
#include <string.h>

ssize_t
pb_frame_next_max(const char *buf, size_t len, size_t *scanned, size_t max)
{
        size_t from = *scanned;
        size_t limit = len;
        const char *nl;

        /* A frame may hold 'max' payload bytes plus '\r' and '\n'. */
        if (limit > max + 2)
                limit = max + 2;
        if (from < limit) {
                nl = memchr(buf + from, '\n', limit - from);
                if (nl) {
                        size_t n = (size_t)(nl - buf) + 1;

                        *scanned = 0;
                        if (pb_frame_payload_len(buf, n) > max)
                                return -EMSGSIZE;
                        return (ssize_t)n;
                }
                *scanned = limit;
        }
        if (len >= max + 2)
                return -EMSGSIZE;
        return 0;
}

ssize_t
pb_frame_next(const char *buf, size_t len, size_t *scanned)
{
        return pb_frame_next_max(buf, len, scanned, PB_FRAME_MAX);
}

size_t
pb_frame_payload_len(const char *frame, size_t n)
{
        if (n > 0 && frame[n - 1] == '\n')
                n--;
        if (n > 0 && frame[n - 1] == '\r')
                n--;
        return n;
}

int
pb_frame_is_blank(const char *payload, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!strchr(" \t\r\n", payload[i]) || payload[i] == '\0')
                        return 0;
        return 1;
}
