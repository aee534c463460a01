/* SPDX-License-Identifier: MIT */
/*
 * The userspace shaper's frame model (lib/shape-model.c) and the condition
 * presets (SPEC §6), without a kernel or a clock: every time is made up, and
 * every PRNG seed is fixed, so each run sees the same frames.
 *
 * Rates are checked against the 99% interval of a binomial count by the
 * normal approximation, n p ± 2.576 sqrt(n p (1 - p)); with n = 100000 and
 * p >= 0.01, n p (1 - p) >= 990, far into where the approximation holds.
 * A correct model fails one of these checks with probability 1% per check
 * and seed; the seeds below pass, and a wrong model fails them.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "condition.h"
#include "shape-model.h"
#include "suites.h"

#define MS   UINT64_C(1000000)
#define US   UINT64_C(1000)
#define T0   (UINT64_C(1000) * 1000 * MS) /* An arbitrary start, 1000 s into the clock. */
#define FLEN 1500u

/*
 * Check's ck_assert_*() report every success to the runner, a write(2) per
 * check: too slow for loops over a million frames.  These call into Check
 * only on failure.
 */
#define expect(x)                                                  \
        do {                                                       \
                if (!(x))                                          \
                        ck_abort_msg("Assertion '%s' failed", #x); \
        } while (0)
#define expect_uint(a, op, b)                                                                  \
        do {                                                                                   \
                uint64_t a_ = (a), b_ = (b);                                                   \
                if (!(a_ op b_))                                                               \
                        ck_abort_msg("Assertion '%s %s %s' failed: %llu %s %llu", #a, #op, #b, \
                                     (unsigned long long)a_, #op, (unsigned long long)b_);     \
        } while (0)
#define expect_int(a, op, b)                                                                   \
        do {                                                                                   \
                int64_t a_ = (a), b_ = (b);                                                    \
                if (!(a_ op b_))                                                               \
                        ck_abort_msg("Assertion '%s %s %s' failed: %lld %s %lld", #a, #op, #b, \
                                     (long long)a_, #op, (long long)b_);                       \
        } while (0)

static const double pcts[] = { 1, 5, 50 };

/* ---- Frames ------------------------------------------------------------ */

/* Frame 'idx' of 'len' bytes: its index in the first 8 bytes (never corrupted), then a pattern. */
static void *
frame_new(struct pbl_shape_queue *q, uint64_t idx, uint32_t len)
{
        uint8_t *b = pbl_shape_buf_get(pbl_shape_queue_pool(q), len);

        expect(b);
        memset(b, 0, len < 8 ? len : 8);
        memcpy(b, &idx, len < 8 ? len : 8);
        for (uint32_t i = 8; i < len; i++)
                b[i] = (uint8_t)(idx * 31 + i * 7);
        return b;
}

static uint64_t
frame_idx(const void *buf)
{
        uint64_t idx;

        memcpy(&idx, buf, sizeof(idx));
        return idx;
}

/* The number of bits by which frame 'buf' differs from frame 'idx'; the first one in '*ret_off'. */
static int
frame_diff_bits(const uint8_t *buf, uint64_t idx, uint32_t len, uint32_t *ret_off)
{
        int bits = 0;

        for (uint32_t i = 8; i < len; i++) {
                uint8_t d = buf[i] ^ (uint8_t)(idx * 31 + i * 7);

                if (d && bits == 0)
                        *ret_off = i;
                bits += __builtin_popcount(d);
        }
        return bits;
}

/* Pops the first frame at its due time: returns it, its due in '*ret_due'. */
static void *
pop_next(struct pbl_shape_queue *q, uint64_t *ret_due, uint32_t *ret_len)
{
        uint64_t due = pbl_shape_queue_next_due(q);
        void *buf;

        expect_uint(due, !=, UINT64_MAX);
        /* Nothing comes out before its time. */
        expect(pbl_shape_queue_pop(q, due - 1, ret_len) == NULL);
        buf = pbl_shape_queue_pop(q, due, ret_len);
        expect(buf);
        *ret_due = due;
        return buf;
}

static void
put(struct pbl_shape_queue *q, void *buf)
{
        pbl_shape_buf_put(pbl_shape_queue_pool(q), buf);
}

/* 'k' successes out of 'n' trials must lie in the 99% interval of Binomial(n, p). */
static void
assert_binomial(uint64_t k, uint64_t n, double p)
{
        double mean = (double)n * p, half = 2.576 * sqrt((double)n * p * (1 - p));

        ck_assert_msg(fabs((double)k - mean) <= half,
                      "%llu of %llu: outside the 99%% interval %.1f ± %.1f (p = %g)",
                      (unsigned long long)k, (unsigned long long)n, mean, half, p);
}

static void
assert_balanced(struct pbl_shape_queue *q)
{
        struct pbl_shape_stats st;

        pbl_shape_queue_stats(q, &st);
        expect_uint(st.in + st.duplicated, ==,
                    st.out + st.depth + st.dropped_loss + st.dropped_limit + st.dropped_nomem);
}

/* ---- Conditions -------------------------------------------------------- */

START_TEST(presets_of_spec)
{
        static const struct {
                const char *name;
                double latency, jitter, loss;
                uint32_t rate;
        } spec[] = {
                { "lan", 0, 0, 0, 0 },
                { "wifi", 5, 2, 0.1, 0 },
                { "wifi-bad", 40, 15, 2, 20000 },
                { "mobile-4g", 25, 8, 0.5, 0 },
                { "mobile-3g", 100, 30, 2, 2000 },
                { "satellite", 40, 7, 1, 0 },
                { "satellite-geo", 300, 20, 0.5, 25000 },
        };
        struct pbl_condition c, d;

        for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
                memset(&c, 0xff, sizeof(c));
                expect_int(pbl_condition_preset(spec[i].name, &c), ==, 0);
                ck_assert_msg(c.latency_ms == spec[i].latency && c.jitter_ms == spec[i].jitter &&
                                      c.loss_pct == spec[i].loss && c.rate_kbit == spec[i].rate &&
                                      c.reorder_pct == 0 && c.duplicate_pct == 0 &&
                                      c.corrupt_pct == 0,
                              "preset %s", spec[i].name);
                expect(pbl_condition_is_null(&c) == (i == 0));
                expect(!pbl_condition_rate_only(&c));
                expect(pbl_condition_equal(&c, &c));
        }
        expect_int(pbl_condition_preset("wifi-good", &c), ==, -ENOENT);
        expect_int(pbl_condition_preset("", &c), ==, -ENOENT);
        expect_int(pbl_condition_preset(NULL, &c), ==, -ENOENT);

        c = (struct pbl_condition){ .rate_kbit = 1000 };
        expect(pbl_condition_rate_only(&c));
        expect(!pbl_condition_is_null(&c));
        d = c;
        d.corrupt_pct = 0.5;
        expect(!pbl_condition_rate_only(&d));
        expect(!pbl_condition_equal(&c, &d));
        expect(pbl_condition_is_null(NULL));
}
END_TEST

START_TEST(condition_out_of_range)
{
        const struct pbl_condition bad[] = {
                { .loss_pct = 100.5 },      { .loss_pct = -1 },      { .duplicate_pct = NAN },
                { .corrupt_pct = 1000 },    { .reorder_pct = -0.1 }, { .latency_ms = -5 },
                { .latency_ms = INFINITY }, { .jitter_ms = 4e6 },
        };
        const struct pbl_condition ok = { .latency_ms = 10 };
        struct pbl_shape_queue *q;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                errno = 0;
                expect(pbl_shape_queue_new(&bad[i], 1, NULL) == NULL);
                expect_int(errno, ==, EINVAL);
        }
        q = pbl_shape_queue_new(&ok, 1, NULL);
        expect(q);
        expect_int(pbl_shape_queue_set(q, &bad[0]), ==, -EINVAL);
        /* Unchanged: still 10 ms. */
        expect_int(pbl_shape_queue_push(q, T0, frame_new(q, 0, 60), 60, 0), ==, 1);
        expect_uint(pbl_shape_queue_next_due(q), ==, T0 + 10 * MS);
        expect(pbl_shape_queue_free(q) == NULL);
}
END_TEST

/* ---- Timing ------------------------------------------------------------ */

START_TEST(no_condition_fifo)
{
        const struct pbl_condition lan = { 0 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&lan, 1, NULL);
        uint64_t now = T0, arrival[1000];

        expect_uint(pbl_shape_queue_next_due(q), ==, UINT64_MAX);
        expect(pbl_shape_queue_pop(q, UINT64_MAX, NULL) == NULL);
        /* Bursts of frames at the same instant, then gaps. */
        for (uint64_t i = 0; i < 1000; i++) {
                if (i % 7 == 0)
                        now += (i % 3) * US;
                arrival[i] = now;
                expect_int(pbl_shape_queue_push(q, now, frame_new(q, i, 64 + i), 64 + i, 0), ==, 1);
        }
        expect_uint(pbl_shape_queue_depth(q), ==, 1000);
        for (uint64_t i = 0; i < 1000; i++) {
                uint64_t due;
                uint32_t len;
                void *b = pop_next(q, &due, &len);

                expect_uint(frame_idx(b), ==, i);
                expect_uint(len, ==, 64 + i);
                expect_uint(due, ==, arrival[i]);
                put(q, b);
        }
        expect_uint(pbl_shape_queue_next_due(q), ==, UINT64_MAX);
        assert_balanced(q);
        q = pbl_shape_queue_free(q);

        /* A NULL condition is no condition. */
        q = pbl_shape_queue_new(NULL, 1, NULL);
        expect_int(pbl_shape_queue_push(q, T0, frame_new(q, 0, 60), 60, 0), ==, 1);
        expect_uint(pbl_shape_queue_next_due(q), ==, T0);
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(latency_exact_in_order)
{
        const struct pbl_condition c = { .latency_ms = 25 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 2, NULL);
        uint64_t now = T0, arrival[5000], seed = 7;

        for (uint64_t i = 0; i < 5000; i++) {
                seed = seed * 6364136223846793005u + 1442695040888963407u;
                now += (seed >> 60) < 4 ? 0 : (seed >> 40) % (50 * US); /* Ties too. */
                arrival[i] = now;
                expect_int(pbl_shape_queue_push(q, now, frame_new(q, i, FLEN), FLEN, 0), ==, 1);
        }
        for (uint64_t i = 0; i < 5000; i++) {
                uint64_t due;
                uint32_t len;
                void *b = pop_next(q, &due, &len);

                expect_uint(frame_idx(b), ==, i);
                expect_uint(due, ==, arrival[i] + 25 * MS);
                put(q, b);
        }
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(jitter_bounds_and_mean)
{
        const struct pbl_condition c = { .latency_ms = 25, .jitter_ms = 8 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 3, NULL);
        const uint64_t n = 10000, gap = 100 * US;
        uint64_t lo = UINT64_MAX, hi = 0, last_idx = 0;
        double sum = 0;
        int overtaken = 0;

        for (uint64_t i = 0; i < n; i++)
                expect_int(pbl_shape_queue_push(q, T0 + i * gap, frame_new(q, i, FLEN), FLEN, 0),
                           ==, 1);
        for (uint64_t i = 0; i < n; i++) {
                uint64_t due, idx, d;
                uint32_t len;
                void *b = pop_next(q, &due, &len);

                idx = frame_idx(b);
                d = due - (T0 + idx * gap);
                expect_uint(d, >=, 17 * MS);
                expect_uint(d, <=, 33 * MS);
                lo = d < lo ? d : lo;
                hi = d > hi ? d : hi;
                sum += (double)d;
                if (i > 0 && idx < last_idx)
                        overtaken++;
                last_idx = idx;
                put(q, b);
        }
        ck_assert_msg(fabs(sum / n - 25e6) <= 0.5e6, "mean delay %.0f ns", sum / n);
        /* The jitter is really there: the delays spread over the range, and frames reorder. */
        expect_uint(lo, <, 17 * MS + 100 * US);
        expect_uint(hi, >, 33 * MS - 100 * US);
        expect_int(overtaken, >, 100);
        pbl_shape_queue_free(q);
}
END_TEST

/* Jitter larger than the latency: the delay is floored at 0, never wraps. */
START_TEST(jitter_floor)
{
        const struct pbl_condition c = { .latency_ms = 1, .jitter_ms = 5 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 4, NULL);
        int zero = 0;

        for (uint64_t i = 0; i < 1000; i++)
                pbl_shape_queue_push(q, T0 + i * MS, frame_new(q, i, 60), 60, 0);
        for (uint64_t i = 0; i < 1000; i++) {
                uint64_t due;
                uint32_t len;
                void *b = pop_next(q, &due, &len);
                uint64_t arrival = T0 + frame_idx(b) * MS;

                expect_uint(due, >=, arrival);
                expect_uint(due, <=, arrival + 6 * MS);
                zero += due == arrival;
                put(q, b);
        }
        expect_int(zero, >, 350); /* P(delay <= 0) = 4/10: 400 ± 40 at 99%. */
        pbl_shape_queue_free(q);
}
END_TEST

/* ---- Loss, duplication, corruption, reordering -------------------------- */

#define N_STAT 100000u

START_TEST(loss_rate)
{
        struct pbl_condition c = { .loss_pct = pcts[_i] };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 100 + _i, NULL);
        struct pbl_shape_stats st;
        uint64_t delivered = 0;

        for (uint64_t i = 0; i < N_STAT; i++) {
                uint32_t len;
                void *b;
                int r = pbl_shape_queue_push(q, T0 + i * US, frame_new(q, i, 100), 100, 0);

                expect_int(r, >=, 0);
                expect_int(r, <=, 1);
                while ((b = pbl_shape_queue_pop(q, T0 + i * US, &len))) {
                        expect_uint(frame_idx(b), ==, i);
                        delivered++;
                        put(q, b);
                }
        }
        assert_binomial(delivered, N_STAT, 1 - pcts[_i] / 100);
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.dropped_loss, ==, N_STAT - delivered);
        expect_uint(st.out, ==, delivered);
        expect_uint(st.in, ==, N_STAT);
        expect_uint(st.in_bytes, ==, N_STAT * 100);
        assert_balanced(q);
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(duplicate_rate)
{
        struct pbl_condition c = { .duplicate_pct = pcts[_i] };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 200 + _i, NULL);
        struct pbl_shape_stats st;
        uint64_t extra = 0;

        for (uint64_t i = 0; i < N_STAT; i++) {
                uint32_t len;
                void *b;
                int r = pbl_shape_queue_push(q, T0 + i * US, frame_new(q, i, 100), 100, 0), got = 0;

                while ((b = pbl_shape_queue_pop(q, T0 + i * US, &len))) {
                        uint32_t off;

                        /* Each copy is the frame itself. */
                        expect_uint(frame_idx(b), ==, i);
                        expect_uint(len, ==, 100);
                        expect_int(frame_diff_bits(b, i, len, &off), ==, 0);
                        got++;
                        put(q, b);
                }
                expect_int(got, ==, r);
                expect(r == 1 || r == 2);
                extra += r - 1;
        }
        assert_binomial(extra, N_STAT, pcts[_i] / 100);
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.duplicated, ==, extra);
        expect_uint(st.out, ==, N_STAT + extra);
        assert_balanced(q);
        pbl_shape_queue_free(q);
}
END_TEST

/* A copy carries what the caller keeps past the frame (the shaper thread: a virtio-net header). */
START_TEST(duplicate_keeps_trailer)
{
        const struct pbl_condition c = { .duplicate_pct = 100 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 240, NULL);
        const uint8_t vnet[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
        uint32_t lens[] = { 60, 2036, 9000, 65536 + 14 };

        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                uint8_t *b = pbl_shape_buf_get(pbl_shape_queue_pool(q), lens[i] + sizeof(vnet));
                uint32_t len, off;

                expect(b);
                memset(b, 0, lens[i]);
                memcpy(b, &i, sizeof(i));
                for (uint32_t k = 8; k < lens[i]; k++)
                        b[k] = (uint8_t)(i * 31 + k * 7);
                memcpy(b + lens[i], vnet, sizeof(vnet));
                expect_int(pbl_shape_queue_push(q, T0, b, lens[i], 0), ==, 2);
                for (int copy = 0; copy < 2; copy++) {
                        b = pbl_shape_queue_pop(q, T0, &len);
                        expect(b);
                        expect_uint(len, ==, lens[i]);
                        expect_int(frame_diff_bits(b, i, len, &off), ==, 0);
                        ck_assert_mem_eq(b + len, vnet, sizeof(vnet));
                        put(q, b);
                }
        }
        pbl_shape_queue_free(q);
}
END_TEST

/* Duplicates and losses are independent: each copy may be lost on its own. */
START_TEST(duplicate_and_loss)
{
        const struct pbl_condition c = { .duplicate_pct = 50, .loss_pct = 50 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 250, NULL);
        uint64_t out = 0;

        for (uint64_t i = 0; i < N_STAT; i++) {
                uint32_t len;
                void *b;

                pbl_shape_queue_push(q, T0 + i * US, frame_new(q, i, 100), 100, 0);
                while ((b = pbl_shape_queue_pop(q, T0 + i * US, &len))) {
                        out++;
                        put(q, b);
                }
        }
        /* E[copies out] = (1 + 0.5) × 0.5 = 0.75 per frame; the variance is 0.4375. */
        ck_assert_msg(fabs((double)out - 0.75 * N_STAT) <= 2.576 * sqrt(0.4375 * N_STAT),
                      "%llu out", (unsigned long long)out);
        assert_balanced(q);
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(corrupt_rate_one_bit)
{
        struct pbl_condition c = { .corrupt_pct = pcts[_i] };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 300 + _i, NULL);
        struct pbl_shape_stats st;
        uint64_t corrupted = 0, first = 0, last = 0;
        unsigned flipped = 0; /* The bit positions seen flipped. */

        for (uint64_t i = 0; i < N_STAT; i++) {
                uint32_t len, want = 15 + i % 200, off = 0;
                void *b;
                int bits;

                expect_int(pbl_shape_queue_push(q, T0 + i * US, frame_new(q, i, want), want, 0), ==,
                           1);
                b = pbl_shape_queue_pop(q, T0 + i * US, &len);
                expect(b);
                expect_uint(frame_idx(b), ==, i);
                expect_uint(len, ==, want);
                bits = frame_diff_bits(b, i, len, &off);
                expect_int(bits, <=, 1);
                if (bits == 1) {
                        expect_uint(off, >=, 14);
                        expect_uint(off, <, len);
                        first += off == 14;
                        last += off == len - 1;
                        flipped |= ((const uint8_t *)b)[off] ^ (uint8_t)(i * 31 + off * 7);
                        corrupted++;
                }
                put(q, b);
        }
        assert_binomial(corrupted, N_STAT, pcts[_i] / 100);
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.corrupted, ==, corrupted);
        /* The flips cover the whole payload, its first and last bytes included, and every bit. */
        if (_i == 2) {
                expect_uint(first, >, 1000); /* About 1470: sum of 1 / (len - 14). */
                expect_uint(last, >, 1000);
                expect_uint(flipped, ==, 0xff);
        }
        pbl_shape_queue_free(q);
}
END_TEST

/* Frames of 14 bytes or less have no payload to corrupt. */
START_TEST(corrupt_spares_header)
{
        const struct pbl_condition c = { .corrupt_pct = 100 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 5, NULL);
        uint8_t *b;
        uint32_t len, off = 0;

        for (uint32_t l = 1; l <= 14; l++) {
                b = pbl_shape_buf_get(pbl_shape_queue_pool(q), l);
                memset(b, 0xa5, l);
                expect_int(pbl_shape_queue_push(q, T0, b, l, 0), ==, 1);
                b = pbl_shape_queue_pop(q, T0, &len);
                expect_uint(len, ==, l);
                for (uint32_t i = 0; i < l; i++)
                        expect_uint(b[i], ==, 0xa5);
                put(q, b);
        }
        /* And at 100%, every longer frame has exactly one bit flipped. */
        for (uint64_t i = 0; i < 100; i++) {
                pbl_shape_queue_push(q, T0, frame_new(q, i, 15), 15, 0);
                b = pbl_shape_queue_pop(q, T0, &len);
                expect_int(frame_diff_bits(b, i, len, &off), ==, 1);
                expect_uint(off, ==, 14);
                put(q, b);
        }
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(reorder_rate)
{
        struct pbl_condition c = { .latency_ms = 10, .reorder_pct = pcts[_i] };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 400 + _i, NULL);
        struct pbl_shape_stats st;
        uint64_t reordered = 0, overtook = 0, last_idx = 0, n = 0;
        const uint64_t gap = 10 * US;

        for (uint64_t i = 0; i < N_STAT; i++) {
                uint64_t now = T0 + i * gap;
                uint32_t len;
                void *b;

                expect_int(pbl_shape_queue_push(q, now, frame_new(q, i, 100), 100, 0), ==, 1);
                while ((b = pbl_shape_queue_pop(q, now, &len))) {
                        uint64_t idx = frame_idx(b), arrival = T0 + idx * gap;

                        /* Either at once (it arrived now) or after exactly the latency. */
                        if (idx == i) {
                                reordered++;
                        } else {
                                expect_uint(now, ==, arrival + 10 * MS);
                        }
                        if (n++ > 0 && idx > last_idx + 1)
                                overtook++;
                        last_idx = idx;
                        put(q, b);
                }
        }
        assert_binomial(reordered, N_STAT, pcts[_i] / 100);
        /* A reordered frame leaves before the ones sent in the 10 ms before it. */
        expect_uint(overtook, >=, reordered / 2);
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.reordered, ==, reordered);
        pbl_shape_queue_free(q);
}
END_TEST

/* Without latency there is nothing to overtake: reorder does nothing. */
START_TEST(reorder_needs_latency)
{
        const struct pbl_condition c = { .reorder_pct = 50 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 6, NULL);
        struct pbl_shape_stats st;

        for (uint64_t i = 0; i < 1000; i++)
                pbl_shape_queue_push(q, T0, frame_new(q, i, 60), 60, 0);
        for (uint64_t i = 0; i < 1000; i++) {
                uint32_t len;
                void *b = pbl_shape_queue_pop(q, T0, &len);

                expect_uint(frame_idx(b), ==, i);
                put(q, b);
        }
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.reordered, ==, 0);
        pbl_shape_queue_free(q);
}
END_TEST

/* ---- Rate ---------------------------------------------------------------- */

static const uint32_t rates[] = { 500, 2000, 20000 };

/* Transmission time of 'bytes' at 'kbit', in ns (exact for the values used here). */
static uint64_t
tx_ns(uint64_t bytes, uint32_t kbit)
{
        return bytes * 8 * 1000000 / kbit;
}

START_TEST(rate_back_to_back)
{
        struct pbl_condition c = { .rate_kbit = rates[_i] };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 500 + _i, NULL);
        const uint64_t n = 600; /* 900 kB: within the 1 MiB bound. */
        uint64_t first = 0, last = 0, prev_due = 0;
        double rate;

        /* Back to back: one every microsecond, far faster than the rate. */
        for (uint64_t i = 0; i < n; i++)
                expect_int(pbl_shape_queue_push(q, T0 + i * US, frame_new(q, i, FLEN), FLEN, 0), ==,
                           1);
        for (uint64_t i = 0; i < n; i++) {
                uint64_t due;
                uint32_t len;
                void *b = pop_next(q, &due, &len);

                expect_uint(frame_idx(b), ==, i);
                if (i == 0) {
                        first = due;
                        /* The first one has the link to itself: its own transmission time. */
                        expect_uint(due, ==, T0 + tx_ns(FLEN, rates[_i]));
                } else {
                        expect_uint(due, >, prev_due);
                }
                prev_due = last = due;
                put(q, b);
        }
        rate = (double)(n - 1) * FLEN * 8 / ((double)(last - first) / 1e9);
        ck_assert_msg(fabs(rate / (rates[_i] * 1000.0) - 1) <= 0.005, "%.0f bit/s for %u kbit",
                      rate, rates[_i]);
        pbl_shape_queue_free(q);
}
END_TEST

/* A rate that does not divide the transmission time evenly: the remainder is carried. */
START_TEST(rate_no_rounding_drift)
{
        const struct pbl_condition c = { .rate_kbit = 3 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 7, NULL);
        uint64_t due = 0;
        uint32_t len;

        /* 1000 frames of 100 bytes at 3 kbit: 800000 bits in 266.666... s. */
        for (uint64_t i = 0; i < 1000; i++)
                expect_int(pbl_shape_queue_push(q, T0, frame_new(q, i, 100), 100, 0), ==, 1);
        for (uint64_t i = 0; i < 1000; i++)
                put(q, pop_next(q, &due, &len));
        expect_uint(due, ==, T0 + UINT64_C(800000) * 1000000000 / 3000);
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(rate_slow_arrivals_not_queued)
{
        struct pbl_condition c = { .rate_kbit = rates[_i] };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 600 + _i, NULL);
        const uint64_t tx = tx_ns(FLEN, rates[_i]);

        /* One frame every 1.5 transmission times: the link is idle when each arrives. */
        for (uint64_t i = 0; i < 200; i++) {
                uint64_t arrival = T0 + i * (tx + tx / 2), due;
                uint32_t len;

                expect_int(pbl_shape_queue_push(q, arrival, frame_new(q, i, FLEN), FLEN, 0), ==, 1);
                put(q, pop_next(q, &due, &len));
                expect_uint(due, ==, arrival + tx); /* Its own transmission, no wait. */
        }
        pbl_shape_queue_free(q);
}
END_TEST

/* The rate is charged on the wire bytes: a GSO super-packet as its segments. */
START_TEST(rate_on_wire_len)
{
        const struct pbl_condition c = { .rate_kbit = 20000 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 8, NULL);
        uint64_t due;
        uint32_t len;
        void *b;

        expect_int(pbl_shape_queue_push(q, T0, frame_new(q, 0, 200), 200, 65000), ==, 1);
        expect_int(pbl_shape_queue_push(q, T0, frame_new(q, 1, 200), 200, 0), ==, 1);
        b = pop_next(q, &due, &len);
        expect_uint(due, ==, T0 + tx_ns(65000, 20000));
        expect_uint(len, ==, 200);
        put(q, b);
        b = pop_next(q, &due, &len);
        expect_uint(due, ==, T0 + tx_ns(65200, 20000));
        put(q, b);
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(latency_and_rate_stack)
{
        const struct pbl_condition c = { .rate_kbit = 2000, .latency_ms = 100 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 9, NULL);
        const uint64_t tx = tx_ns(FLEN, 2000); /* 6 ms */

        for (uint64_t i = 0; i < 300; i++)
                expect_int(pbl_shape_queue_push(q, T0 + i * US, frame_new(q, i, FLEN), FLEN, 0), ==,
                           1);
        /* A late frame after the link went idle again. */
        expect_int(pbl_shape_queue_push(q, T0 + 10000 * MS, frame_new(q, 300, FLEN), FLEN, 0), ==,
                   1);
        for (uint64_t i = 0; i < 300; i++) {
                uint64_t due;
                uint32_t len;
                void *b = pop_next(q, &due, &len);

                expect_uint(frame_idx(b), ==, i);
                expect_uint(due, ==, T0 + (i + 1) * tx + 100 * MS);
                put(q, b);
        }
        {
                uint64_t due;
                uint32_t len;

                put(q, pop_next(q, &due, &len));
                expect_uint(due, ==, T0 + 10000 * MS + tx + 100 * MS);
        }
        pbl_shape_queue_free(q);
}
END_TEST

/* Reordered frames skip the latency, not the rate. */
START_TEST(reorder_with_rate)
{
        const struct pbl_condition c = { .rate_kbit = 2000, .latency_ms = 100, .reorder_pct = 100 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 10, NULL);
        const uint64_t tx = tx_ns(FLEN, 2000);

        for (uint64_t i = 0; i < 10; i++)
                pbl_shape_queue_push(q, T0, frame_new(q, i, FLEN), FLEN, 0);
        for (uint64_t i = 0; i < 10; i++) {
                uint64_t due;
                uint32_t len;

                put(q, pop_next(q, &due, &len));
                expect_uint(due, ==, T0 + (i + 1) * tx);
        }
        pbl_shape_queue_free(q);
}
END_TEST

/* ---- Queue bound ----------------------------------------------------------- */

START_TEST(bound_frames_without_rate)
{
        const struct pbl_condition c = { .latency_ms = 100 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 11, NULL);
        struct pbl_shape_stats st;
        uint64_t queued = 0;
        uint32_t len;
        void *b;

        pbl_shape_queue_stats(q, &st);
        expect_uint(st.limit, ==, PBL_SHAPE_LIMIT_FRAMES);
        expect_uint(st.limit_bytes, ==, PBL_SHAPE_LIMIT_BYTES_MAX);
        for (uint64_t i = 0; i < PBL_SHAPE_LIMIT_FRAMES + 100; i++)
                queued += pbl_shape_queue_push(q, T0 + i, frame_new(q, i, 64), 64, 0);
        expect_uint(queued, ==, PBL_SHAPE_LIMIT_FRAMES);
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.dropped_limit, ==, 100);
        expect_uint(st.dropped_loss, ==, 0);
        expect_uint(st.depth, ==, PBL_SHAPE_LIMIT_FRAMES);
        expect_uint(st.depth_bytes, ==, PBL_SHAPE_LIMIT_FRAMES * 64);
        assert_balanced(q);
        /* The tail went: the first frames are all there. */
        b = pbl_shape_queue_pop(q, UINT64_MAX, &len);
        expect_uint(frame_idx(b), ==, 0);
        put(q, b);
        /* Room for one again. */
        expect_int(pbl_shape_queue_push(q, T0 + MS, frame_new(q, 0, 64), 64, 0), ==, 1);
        expect_int(pbl_shape_queue_push(q, T0 + MS, frame_new(q, 0, 64), 64, 0), ==, 0);
        pbl_shape_queue_free(q); /* With 16k frames in: ASan's leak check sees them freed. */
}
END_TEST

START_TEST(bound_bytes_with_rate)
{
        const struct pbl_condition c = { .rate_kbit = 500, .latency_ms = 40 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 12, NULL);
        struct pbl_shape_stats st;
        uint64_t queued = 0, due;
        uint32_t len;

        pbl_shape_queue_stats(q, &st);
        expect_uint(st.limit_bytes, ==, PBL_SHAPE_LIMIT_BYTES_MIN);
        for (uint64_t i = 0; i < 1000; i++)
                queued += pbl_shape_queue_push(q, T0, frame_new(q, i, FLEN), FLEN, 0);
        expect_uint(queued, ==, (1u << 20) / FLEN); /* 699 */
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.dropped_limit, ==, 1000 - queued);
        expect_uint(st.depth_bytes, <=, st.limit_bytes);
        /* The frames let in leave at the rate regardless. */
        put(q, pop_next(q, &due, &len));
        expect_uint(due, ==, T0 + tx_ns(FLEN, 500) + 40 * MS);
        expect_int(pbl_shape_queue_push(q, T0, frame_new(q, 0, FLEN), FLEN, 0), ==, 1);
        pbl_shape_queue_free(q);
}
END_TEST

START_TEST(bound_sized_from_bdp)
{
        struct pbl_condition c;
        struct pbl_shape_queue *q;
        struct pbl_shape_stats st;

        expect_int(pbl_condition_preset("satellite-geo", &c), ==, 0);
        q = pbl_shape_queue_new(&c, 13, NULL);
        pbl_shape_queue_stats(q, &st);
        /* 25000 kbit × (300 + 20) ms = 1 MB in flight: twice that. */
        expect_uint(st.limit_bytes, ==, 2000000);
        expect_uint(st.limit, ==, PBL_SHAPE_LIMIT_FRAMES);
        /* A fast link with a long delay hits the ceiling, and the frame bound follows. */
        c = (struct pbl_condition){ .rate_kbit = 1000000, .latency_ms = 500 };
        expect_int(pbl_shape_queue_set(q, &c), ==, 0);
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.limit_bytes, ==, PBL_SHAPE_LIMIT_BYTES_MAX);
        expect_uint(st.limit, ==, PBL_SHAPE_LIMIT_BYTES_MAX / 1024);
        pbl_shape_queue_free(q);
}
END_TEST

/* ---- Live change --------------------------------------------------------- */

START_TEST(live_change)
{
        struct pbl_condition c = { .latency_ms = 50 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 14, NULL);
        uint64_t due;
        uint32_t len;
        void *b;

        expect_int(pbl_shape_queue_push(q, T0, frame_new(q, 0, 100), 100, 0), ==, 1);
        c.latency_ms = 10;
        expect_int(pbl_shape_queue_set(q, &c), ==, 0);
        expect_int(pbl_shape_queue_push(q, T0 + MS, frame_new(q, 1, 100), 100, 0), ==, 1);
        /* The new frame overtakes the old one, which keeps its due time. */
        b = pop_next(q, &due, &len);
        expect_uint(frame_idx(b), ==, 1);
        expect_uint(due, ==, T0 + 11 * MS);
        put(q, b);
        b = pop_next(q, &due, &len);
        expect_uint(frame_idx(b), ==, 0);
        expect_uint(due, ==, T0 + 50 * MS);
        put(q, b);

        /* Everything lost, then nothing at all. */
        c.loss_pct = 100;
        expect_int(pbl_shape_queue_set(q, &c), ==, 0);
        for (uint64_t i = 0; i < 100; i++)
                expect_int(pbl_shape_queue_push(q, T0, frame_new(q, i, 100), 100, 0), ==, 0);
        expect_int(pbl_shape_queue_set(q, NULL), ==, 0);
        expect_int(pbl_shape_queue_push(q, T0 + 2 * MS, frame_new(q, 2, 100), 100, 0), ==, 1);
        expect_uint(pbl_shape_queue_next_due(q), ==, T0 + 2 * MS);
        put(q, pbl_shape_queue_pop(q, T0 + 2 * MS, &len));

        /* A rate change mid-train: the frames already on the link keep their times. */
        c = (struct pbl_condition){ .rate_kbit = 2000 };
        expect_int(pbl_shape_queue_set(q, &c), ==, 0);
        pbl_shape_queue_push(q, T0 + 10 * MS, frame_new(q, 10, FLEN), FLEN, 0); /* 6 ms */
        c.rate_kbit = 4000;
        expect_int(pbl_shape_queue_set(q, &c), ==, 0);
        pbl_shape_queue_push(q, T0 + 10 * MS, frame_new(q, 11, FLEN), FLEN, 0); /* 3 ms */
        put(q, pop_next(q, &due, &len));
        expect_uint(due, ==, T0 + 16 * MS);
        put(q, pop_next(q, &due, &len));
        expect_uint(due, ==, T0 + 19 * MS);

        /* A smaller bound does not drop what is queued: the queue drains first. */
        c = (struct pbl_condition){ .latency_ms = 1000 };
        expect_int(pbl_shape_queue_set(q, &c), ==, 0);
        for (uint64_t i = 0; i < 1000; i++)
                expect_int(pbl_shape_queue_push(q, T0 + 20 * MS, frame_new(q, i, FLEN), FLEN, 0),
                           ==, 1);
        c = (struct pbl_condition){ .latency_ms = 1000, .rate_kbit = 1000 }; /* 1 MiB */
        expect_int(pbl_shape_queue_set(q, &c), ==, 0);
        expect_uint(pbl_shape_queue_depth(q), ==, 1000);
        expect_int(pbl_shape_queue_push(q, T0 + 20 * MS, frame_new(q, 0, FLEN), FLEN, 0), ==, 0);
        assert_balanced(q);
        pbl_shape_queue_free(q);
}
END_TEST

/* ---- Determinism and errors ------------------------------------------------ */

static uint64_t
run_fingerprint(uint64_t seed)
{
        const struct pbl_condition c = { .latency_ms = 20,
                                         .jitter_ms = 5,
                                         .loss_pct = 10,
                                         .duplicate_pct = 10,
                                         .corrupt_pct = 10,
                                         .reorder_pct = 10,
                                         .rate_kbit = 100000 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, seed, NULL);
        uint64_t h = 1469598103934665603u, due;
        uint32_t len;

        for (uint64_t i = 0; i < 2000; i++)
                pbl_shape_queue_push(q, T0 + i * 50 * US, frame_new(q, i, 200), 200, 0);
        while (pbl_shape_queue_depth(q)) {
                uint8_t *b = pop_next(q, &due, &len);

                for (uint32_t k = 0; k < len; k++)
                        h = (h ^ b[k]) * 1099511628211u;
                h = (h ^ due) * 1099511628211u;
                put(q, b);
        }
        pbl_shape_queue_free(q);
        return h;
}

START_TEST(seeded_determinism)
{
        expect_uint(run_fingerprint(42), ==, run_fingerprint(42));
        expect_uint(run_fingerprint(42), !=, run_fingerprint(43));
}
END_TEST

START_TEST(push_invalid)
{
        struct pbl_shape_queue *q = pbl_shape_queue_new(NULL, 15, NULL);
        struct pbl_shape_pool *p = pbl_shape_queue_pool(q);
        struct pbl_shape_pool_stats ps;
        struct pbl_shape_stats st;

        expect_int(pbl_shape_queue_push(q, T0, NULL, 10, 0), ==, -EINVAL);
        expect_int(pbl_shape_queue_push(q, T0, pbl_shape_buf_get(p, 100), 0, 0), ==, -EINVAL);
        expect_int(pbl_shape_queue_push(q, T0, pbl_shape_buf_get(p, 100), 2049, 0), ==, -EINVAL);
        /* The buffers went back all the same. */
        pbl_shape_pool_stats(p, &ps);
        expect_uint(ps.out, ==, 0);
        pbl_shape_queue_stats(q, &st);
        expect_uint(st.in, ==, 0);
        pbl_shape_queue_free(q);
}
END_TEST

/* ---- Pool ------------------------------------------------------------------- */

START_TEST(pool_classes)
{
        struct pbl_shape_pool *p = pbl_shape_pool_new(4096);
        struct pbl_shape_pool_stats ps;
        void *a, *b, *c, *big;

        a = pbl_shape_buf_get(p, 1514);
        expect_uint(pbl_shape_buf_cap(a), ==, PBL_SHAPE_BUF_SMALL);
        expect_uint((uintptr_t)a % 16, ==, 0);
        b = pbl_shape_buf_get(p, 9000);
        expect_uint(pbl_shape_buf_cap(b), ==, PBL_SHAPE_BUF_MEDIUM);
        big = pbl_shape_buf_get(p, 65536 + 14 + 12);
        expect_uint(pbl_shape_buf_cap(big), >=, 65536 + 14 + 12);
        memset(big, 0, pbl_shape_buf_cap(big)); /* ASan checks the size. */
        errno = 0;
        expect(pbl_shape_buf_get(p, PBL_SHAPE_BUF_MAX + 1) == NULL);
        expect_int(errno, ==, EMSGSIZE);
        pbl_shape_buf_put(p, NULL);

        /* Reuse: the same buffer comes back. */
        pbl_shape_buf_put(p, a);
        c = pbl_shape_buf_get(p, 60);
        expect(c == a);
        pbl_shape_pool_stats(p, &ps);
        expect_uint(ps.allocs, ==, 3);
        expect_uint(ps.out, ==, 3);

        /* Idle memory is bounded: 4096 bytes keep two small buffers, not the big ones. */
        a = pbl_shape_buf_get(p, 100);
        pbl_shape_buf_put(p, big);
        pbl_shape_buf_put(p, b);
        pbl_shape_buf_put(p, a);
        pbl_shape_buf_put(p, c);
        pbl_shape_pool_stats(p, &ps);
        expect_uint(ps.out, ==, 0);
        expect_uint(ps.idle, ==, 2);
        expect_uint(ps.idle_bytes, ==, 4096);
        expect_uint(ps.frees, ==, 2);
        expect(pbl_shape_pool_unref(p) == NULL);
        expect(pbl_shape_pool_unref(NULL) == NULL);
}
END_TEST

/* Buffers out when the last reference goes keep the pool alive (ASan sees any misuse). */
START_TEST(pool_outlives_buffers)
{
        struct pbl_shape_pool *p = pbl_shape_pool_new(0);
        struct pbl_shape_queue *q1 = pbl_shape_queue_new(NULL, 16, p);
        struct pbl_shape_queue *q2 = pbl_shape_queue_new(NULL, 17, p);
        uint32_t len;
        void *a, *b;

        expect(pbl_shape_queue_pool(q1) == p);
        pbl_shape_pool_unref(p); /* The queues hold it. */
        expect_int(pbl_shape_queue_push(q1, T0, frame_new(q1, 1, 100), 100, 0), ==, 1);
        expect_int(pbl_shape_queue_push(q2, T0, frame_new(q2, 2, 100), 100, 0), ==, 1);
        a = pbl_shape_queue_pop(q1, T0, &len);
        b = pbl_shape_queue_pop(q2, T0, &len);
        /* A buffer of one queue may go back through the other: one pool. */
        pbl_shape_buf_put(pbl_shape_queue_pool(q2), a);
        expect(pbl_shape_queue_free(q1) == NULL);
        expect(pbl_shape_queue_free(q2) == NULL);
        expect(pbl_shape_queue_free(NULL) == NULL);
        pbl_shape_buf_put(p, b); /* The last one frees the pool. */
}
END_TEST

START_TEST(pool_reuse_no_growth)
{
        const struct pbl_condition c = { .latency_ms = 5,
                                         .jitter_ms = 1,
                                         .loss_pct = 1,
                                         .duplicate_pct = 1,
                                         .corrupt_pct = 1,
                                         .reorder_pct = 1 };
        struct pbl_shape_queue *q = pbl_shape_queue_new(&c, 18, NULL);
        struct pbl_shape_pool *p = pbl_shape_queue_pool(q);
        struct pbl_shape_pool_stats warm, end;
        struct pbl_shape_stats st;
        const uint64_t warmup = 100000, n = 1000000;
        uint64_t popped = 0;

        /* 1 Mframe/s for 1.1 s: about 5000 frames in flight. */
        for (uint64_t i = 0; i < warmup + n; i++) {
                uint64_t now = T0 + i * US;
                uint32_t len, want = i % 16 == 0 ? 9000 : 60 + (uint32_t)(i % 1455);
                void *b;

                if (i == warmup)
                        pbl_shape_pool_stats(p, &warm);
                while ((b = pbl_shape_queue_pop(q, now, &len))) {
                        popped++;
                        pbl_shape_buf_put(p, b);
                }
                b = pbl_shape_buf_get(p, want);
                expect(b);
                memset(b, (int)i, 16);
                expect_int(pbl_shape_queue_push(q, now, b, want, 0), >=, 0);
        }
        pbl_shape_pool_stats(p, &end);
        pbl_shape_queue_stats(q, &st);
        expect_uint(popped, >, n);
        expect_uint(end.out, ==, st.depth);
        /* Only a new peak of frames in flight can make the pool allocate: a handful. */
        ck_assert_msg(
                end.allocs - warm.allocs <= 64, "%llu allocations after warm-up (%llu before)",
                (unsigned long long)(end.allocs - warm.allocs), (unsigned long long)warm.allocs);
        expect_uint(end.allocs, <, 8000);
        expect_uint(end.frees, ==, 0);
        expect_uint(end.idle_bytes, <=, PBL_SHAPE_POOL_IDLE_DEFAULT);
        assert_balanced(q);
        pbl_shape_queue_free(q);
}
END_TEST

Suite *
make_shape_suite(void)
{
        Suite *s = suite_create("shape");
        TCase *tc;

        tc = tcase_create("condition");
        tcase_add_test(tc, presets_of_spec);
        tcase_add_test(tc, condition_out_of_range);
        suite_add_tcase(s, tc);

        tc = tcase_create("timing");
        tcase_add_test(tc, no_condition_fifo);
        tcase_add_test(tc, latency_exact_in_order);
        tcase_add_test(tc, jitter_bounds_and_mean);
        tcase_add_test(tc, jitter_floor);
        suite_add_tcase(s, tc);

        tc = tcase_create("random");
        tcase_add_loop_test(tc, loss_rate, 0, 3);
        tcase_add_loop_test(tc, duplicate_rate, 0, 3);
        tcase_add_test(tc, duplicate_keeps_trailer);
        tcase_add_test(tc, duplicate_and_loss);
        tcase_add_loop_test(tc, corrupt_rate_one_bit, 0, 3);
        tcase_add_test(tc, corrupt_spares_header);
        tcase_add_loop_test(tc, reorder_rate, 0, 3);
        tcase_add_test(tc, reorder_needs_latency);
        tcase_add_test(tc, seeded_determinism);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);

        tc = tcase_create("rate");
        tcase_add_loop_test(tc, rate_back_to_back, 0, 3);
        tcase_add_test(tc, rate_no_rounding_drift);
        tcase_add_loop_test(tc, rate_slow_arrivals_not_queued, 0, 3);
        tcase_add_test(tc, rate_on_wire_len);
        tcase_add_test(tc, latency_and_rate_stack);
        tcase_add_test(tc, reorder_with_rate);
        suite_add_tcase(s, tc);

        tc = tcase_create("bound");
        tcase_add_test(tc, bound_frames_without_rate);
        tcase_add_test(tc, bound_bytes_with_rate);
        tcase_add_test(tc, bound_sized_from_bdp);
        tcase_add_test(tc, live_change);
        tcase_add_test(tc, push_invalid);
        suite_add_tcase(s, tc);

        tc = tcase_create("pool");
        tcase_add_test(tc, pool_classes);
        tcase_add_test(tc, pool_outlives_buffers);
        tcase_add_test(tc, pool_reuse_no_growth);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        return s;
}
