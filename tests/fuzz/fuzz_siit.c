/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the NAT64 translator (lib/siit.c).  Every input goes both
 * ways, IPv6 to IPv4 and IPv4 to IPv6, into an output buffer of exactly
 * the room the translator may use, then into one that is too small; the
 * first byte chooses whether the client mapping answers.  The translator
 * must never read or write outside its buffers (ASan), and whatever it
 * calls a translation must be a packet of the other family whose length
 * field is the length it returned.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "siit.h"

static bool answer;

static int
to4(void *ctx, const uint8_t v6[16], uint8_t v4[4])
{
        (void)ctx;
        if (!answer || v6[15] == 0)
                return -1;
        v4[0] = 192, v4[1] = 0, v4[2] = 2, v4[3] = v6[15];
        return 0;
}

static int
to6(void *ctx, const uint8_t v4[4], uint8_t v6[16])
{
        (void)ctx;
        if (!answer || v4[0] != 192 || v4[1] != 0 || v4[2] != 2)
                return -1;
        memset(v6, 0, 16);
        v6[0] = 0xfd;
        v6[15] = v4[3];
        return 0;
}

static void
check(bool six, const uint8_t *out, size_t n)
{
        if (six) {
                if (n < 40 || (out[0] >> 4) != 6 || (size_t)(out[4] << 8 | out[5]) + 40 != n)
                        abort();
        } else {
                if (n < 20 || out[0] != 0x45 || (size_t)(out[2] << 8 | out[3]) != n)
                        abort();
        }
}

static void
one(const uint8_t *in, size_t len, size_t cap, bool to_v4)
{
        uint8_t *out = malloc(cap ? cap : 1);
        enum pbl_siit_verdict v;
        size_t n = 0;

        if (!out)
                return;
        v = to_v4 ? pbl_siit_6to4(&(struct pbl_siit_clients){ to4, to6, NULL }, in, len, out, cap,
                                  &n)
                  : pbl_siit_4to6(&(struct pbl_siit_clients){ to4, to6, NULL }, in, len, out, cap,
                                  &n);
        if (v == PBL_SIIT_OK) {
                if (n > cap)
                        abort();
                check(!to_v4, out, n);
        } else if ((unsigned)v >= _PBL_SIIT_VERDICT_MAX) {
                abort();
        }
        free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *in;
        size_t len;

        if (size < 1)
                return 0;
        answer = data[0] & 1;
        len = size - 1;
        /* A buffer of exactly the packet's size, so ASan sees every overread. */
        in = malloc(len ? len : 1);
        if (!in)
                return 0;
        memcpy(in, data + 1, len);
        for (int to_v4 = 0; to_v4 < 2; to_v4++) {
                one(in, len, len + PBL_SIIT_GROWTH, to_v4);
                one(in, len, len / 2, to_v4);
        }
        free(in);
        return 0;
}
