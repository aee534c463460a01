/* SPDX-License-Identifier: MIT */
/* pbctl: base64 (RFC 4648) for process output and input, byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pbctl.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
pbctl_base64_encode(const void *data, size_t len)
{
        const unsigned char *in = data;
        char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16;

                if (i + 1 < len)
                        v |= (uint32_t)in[i + 1] << 8;
                if (i + 2 < len)
                        v |= in[i + 2];
                *o++ = alphabet[v >> 18 & 63];
                *o++ = alphabet[v >> 12 & 63];
                *o++ = i + 1 < len ? alphabet[v >> 6 & 63] : '=';
                *o++ = i + 2 < len ? alphabet[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

void *
pbctl_base64_decode(const char *text, size_t *ret_len)
{
        size_t len = strlen(text), n = 0, bits = 0;
        unsigned char *out = malloc(len / 4 * 3 + 3);
        uint32_t acc = 0;

        if (!out)
                return NULL;
        for (const char *c = text; *c && *c != '='; c++) {
                const char *p = strchr(alphabet, *c);

                if (!p) {
                        free(out);
                        return NULL;
                }
                acc = acc << 6 | (uint32_t)(p - alphabet);
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (unsigned char)(acc >> bits);
                }
        }
        *ret_len = n;
        return out;
}
