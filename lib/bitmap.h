/* SPDX-License-Identifier: MIT */
/* A small allocator of integers in [lo, hi]: lowest free first. */
#ifndef PBL_BITMAP_H
#define PBL_BITMAP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

struct pbl_bitmap {
        uint64_t *words;
        int lo, hi; /* Inclusive range; hi < lo means empty. */
};

static inline int
pbl_bitmap_init(struct pbl_bitmap *b, int lo, int hi)
{
        size_t n = hi >= lo ? (size_t)(hi - lo) / 64 + 1 : 1;

        b->lo = lo;
        b->hi = hi;
        b->words = calloc(n, sizeof(uint64_t));
        return b->words ? 0 : -ENOMEM;
}

static inline void
pbl_bitmap_done(struct pbl_bitmap *b)
{
        free(b->words);
        b->words = NULL;
}

static inline bool
pbl_bitmap_test(const struct pbl_bitmap *b, int v)
{
        unsigned i;

        if (v < b->lo || v > b->hi)
                return false;
        i = (unsigned)(v - b->lo);
        return b->words[i / 64] >> (i % 64) & 1;
}

static inline void
pbl_bitmap_set(struct pbl_bitmap *b, int v, bool on)
{
        unsigned i;

        if (v < b->lo || v > b->hi)
                return;
        i = (unsigned)(v - b->lo);
        if (on)
                b->words[i / 64] |= UINT64_C(1) << (i % 64);
        else
                b->words[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/* Takes the lowest free value.  Returns it, or -ENOSPC. */
static inline int
pbl_bitmap_take(struct pbl_bitmap *b)
{
        for (int w = 0; b->lo + w * 64 <= b->hi; w++) {
                if (b->words[w] == UINT64_MAX)
                        continue;
                for (int bit = 0; bit < 64; bit++) {
                        int v = b->lo + w * 64 + bit;

                        if (v > b->hi)
                                return -ENOSPC;
                        if (!(b->words[w] >> bit & 1)) {
                                b->words[w] |= UINT64_C(1) << bit;
                                return v;
                        }
                }
        }
        return -ENOSPC;
}

#endif
