/* SPDX-License-Identifier: MIT */
/* Process output as JSON strings: UTF-8 with U+FFFD for invalid bytes, and base64. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/*
 * Length of the well-formed UTF-8 sequence (RFC 3629) at 's', 0 if the
 * bytes are invalid, or -1 if they are a valid start cut short by 'n'.
 */
static int
utf8_seq(const unsigned char *s, size_t n)
{
        unsigned c = s[0];
        int len;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2;
        else if (c >= 0xe0 && c <= 0xef)
                len = 3;
        else if (c >= 0xf0 && c <= 0xf4)
                len = 4;
        else
                return 0;
        for (int i = 1; i < len; i++) {
                unsigned lo = 0x80, hi = 0xbf;

                if ((size_t)i >= n)
                        return -1;
                if (i == 1) {
                        /* No overlongs, no surrogates, nothing above U+10FFFF. */
                        if (c == 0xe0)
                                lo = 0xa0;
                        else if (c == 0xed)
                                hi = 0x9f;
                        else if (c == 0xf0)
                                lo = 0x90;
                        else if (c == 0xf4)
                                hi = 0x8f;
                }
                if (s[i] < lo || s[i] > hi)
                        return 0;
        }
        return len;
}

char *
pbd_text_from_bytes(const char *src, size_t n, bool final, size_t *ret_consumed, size_t *ret_len)
{
        const unsigned char *s = (const unsigned char *)src;
        char *out = malloc(n * 3 + 1), *o = out;
        size_t i = 0;

        if (!out)
                return NULL;
        while (i < n) {
                int k = utf8_seq(s + i, n - i);

                if (k < 0 && !final)
                        break; /* The rest of the character is still to come. */
                if (k > 0) {
                        memcpy(o, s + i, (size_t)k);
                        o += k;
                        i += (size_t)k;
                } else {
                        memcpy(o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                }
        }
        *o = '\0';
        *ret_consumed = i;
        *ret_len = (size_t)(o - out);
        return out;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
pbd_base64_encode(const char *src, size_t n, size_t *ret_len)
{
        const unsigned char *s = (const unsigned char *)src;
        char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t)s[i] << 16;

                if (i + 1 < n)
                        v |= (uint32_t)s[i + 1] << 8;
                if (i + 2 < n)
                        v |= s[i + 2];
                *o++ = b64[v >> 18 & 63];
                *o++ = b64[v >> 12 & 63];
                *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? b64[v & 63] : '=';
        }
        *o = '\0';
        *ret_len = (size_t)(o - out);
        return out;
}

static int
b64_value(char c)
{
        const char *p = c ? strchr(b64, c) : NULL;

        return p ? (int)(p - b64) : -1;
}

int
pbd_base64_decode(const char *src, size_t n, char **ret, size_t *ret_len)
{
        unsigned char *out, *o;
        uint32_t acc = 0;
        int bits = 0;

        /* Padding is optional, but only at the end and only as much as fits. */
        while (n > 0 && src[n - 1] == '=')
                n--;
        if (n % 4 == 1)
                return -EINVAL;
        out = malloc(n / 4 * 3 + 3);
        if (!out)
                return -ENOMEM;
        o = out;
        for (size_t i = 0; i < n; i++) {
                int v = b64_value(src[i]);

                if (v < 0) {
                        free(out);
                        return -EINVAL;
                }
                acc = acc << 6 | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        *o++ = (unsigned char)(acc >> bits);
                }
        }
        *ret = (char *)out;
        *ret_len = (size_t)(o - out);
        return 0;
}
