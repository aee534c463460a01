/* SPDX-License-Identifier: MIT */
#include "pb-utf8.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed sequence at 's' (at most 'n' bytes), or 0. */
static size_t
sequence_len(const unsigned char *s, size_t n)
{
        uint32_t cp;
        size_t len;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF. */
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

bool
pb_utf8_valid(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;

        for (size_t i = 0; i < n;) {
                size_t len = sequence_len(p + i, n - i);

                if (len == 0)
                        return false;
                i += len;
        }
        return true;
}

void
pb_utf8_sanitize(char *s)
{
        unsigned char *p = (unsigned char *)s;
        size_t n = strlen(s);

        for (size_t i = 0; i < n;) {
                size_t len = sequence_len(p + i, n - i);

                if (len == 0) {
                        p[i++] = '?';
                        continue;
                }
                i += len;
        }
}
