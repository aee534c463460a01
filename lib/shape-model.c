/* SPDX-License-Identifier: MIT */
/*
 * The userspace shaper's scheduling model: a buffer pool, a PRNG and a
 * binary min-heap of frames keyed by (due time, push sequence).  See
 * shape-model.h for the semantics; this file only adds how.
 */
#include "shape-model.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"

/* ---- Buffer pool ------------------------------------------------------- */

/*
 * Each buffer is preceded by a 16-byte header (which keeps the frame bytes
 * 16-byte aligned): the free-list link while the buffer is idle, its size
 * class, and a tag that catches a buffer put back twice or not from a pool.
 */
struct buf_hdr {
        union {
                struct buf_hdr *next;
                uint64_t pad;
        };
        uint32_t cls;
        uint32_t tag;
};

_Static_assert(sizeof(struct buf_hdr) == 16, "the frame bytes must stay 16-byte aligned");

#define TAG_OUT  0x50425346u /* "PBSF": handed out. */
#define TAG_IDLE 0x69646c65u /* On a free list. */

static const uint32_t class_cap[] = { PBL_SHAPE_BUF_SMALL, PBL_SHAPE_BUF_MEDIUM,
                                      PBL_SHAPE_BUF_MAX };

#define N_CLASSES ELEMENTSOF(class_cap)

struct pbl_shape_pool {
        unsigned n_ref;
        size_t max_idle_bytes;
        struct buf_hdr *idle[N_CLASSES];
        struct pbl_shape_pool_stats st;
};

struct pbl_shape_pool *
pbl_shape_pool_new(size_t max_idle_bytes)
{
        struct pbl_shape_pool *p = calloc(1, sizeof(*p));

        if (!p)
                return NULL;
        p->n_ref = 1;
        p->max_idle_bytes = max_idle_bytes ? max_idle_bytes : PBL_SHAPE_POOL_IDLE_DEFAULT;
        return p;
}

struct pbl_shape_pool *
pbl_shape_pool_ref(struct pbl_shape_pool *p)
{
        if (p)
                p->n_ref++;
        return p;
}

static void
pool_drain(struct pbl_shape_pool *p)
{
        for (size_t c = 0; c < N_CLASSES; c++) {
                while (p->idle[c]) {
                        struct buf_hdr *h = p->idle[c];

                        p->idle[c] = h->next;
                        free(h);
                        p->st.frees++;
                }
        }
        p->st.idle = 0;
        p->st.idle_bytes = 0;
}

struct pbl_shape_pool *
pbl_shape_pool_unref(struct pbl_shape_pool *p)
{
        if (!p || --p->n_ref > 0)
                return NULL;
        pool_drain(p);
        /* Buffers still out keep the pool: the last pbl_shape_buf_put() frees it. */
        if (p->st.out == 0)
                free(p);
        return NULL;
}

void *
pbl_shape_buf_get(struct pbl_shape_pool *p, size_t cap)
{
        struct buf_hdr *h;
        uint32_t c = 0;

        if (cap > PBL_SHAPE_BUF_MAX) {
                errno = EMSGSIZE;
                return NULL;
        }
        while (class_cap[c] < cap)
                c++;
        h = p->idle[c];
        if (h) {
                p->idle[c] = h->next;
                p->st.idle--;
                p->st.idle_bytes -= class_cap[c];
        } else {
                h = malloc(sizeof(*h) + class_cap[c]);
                if (!h)
                        return NULL; /* errno is ENOMEM. */
                p->st.allocs++;
                h->cls = c;
        }
        h->tag = TAG_OUT;
        p->st.gets++;
        p->st.out++;
        return h + 1;
}

static struct buf_hdr *
buf_hdr(const void *buf)
{
        struct buf_hdr *h = (struct buf_hdr *)buf - 1;

        /* A double put or a foreign pointer would corrupt the heap later, far from the bug. */
        if (h->tag != TAG_OUT || h->cls >= N_CLASSES)
                abort();
        return h;
}

size_t
pbl_shape_buf_cap(const void *buf)
{
        return class_cap[buf_hdr(buf)->cls];
}

void
pbl_shape_buf_put(struct pbl_shape_pool *p, void *buf)
{
        struct buf_hdr *h;
        uint32_t cap;

        if (!buf)
                return;
        h = buf_hdr(buf);
        cap = class_cap[h->cls];
        p->st.out--;
        if (p->n_ref > 0 && p->st.idle_bytes + cap <= p->max_idle_bytes) {
                h->tag = TAG_IDLE;
                h->next = p->idle[h->cls];
                p->idle[h->cls] = h;
                p->st.idle++;
                p->st.idle_bytes += cap;
                return;
        }
        h->tag = 0;
        free(h);
        p->st.frees++;
        if (p->n_ref == 0 && p->st.out == 0)
                free(p);
}

void
pbl_shape_pool_stats(const struct pbl_shape_pool *p, struct pbl_shape_pool_stats *ret)
{
        *ret = p->st;
}

/* ---- PRNG: xoshiro256** (Blackman & Vigna), seeded through splitmix64 --- */

static uint64_t
splitmix64(uint64_t *x)
{
        uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        return z ^ (z >> 31);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
        return (x << k) | (x >> (64 - k));
}

static inline uint64_t
rng_next(uint64_t s[4])
{
        uint64_t result = rotl(s[1] * 5, 7) * 9;
        uint64_t t = s[1] << 17;

        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
}

/* Uniform in [0, n), by Lemire's multiply-shift (the bias is below n / 2^64). */
static inline uint64_t
rng_below(uint64_t s[4], uint64_t n)
{
        return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

/* ---- Queue ------------------------------------------------------------- */

/* A probability p is kept as p × 2^64, saturated: 0 never, UINT64_MAX always. */
#define P_ALWAYS UINT64_MAX

/* The condition in the model's units. */
struct params {
        uint64_t latency_ns, jitter_ns;
        uint64_t p_loss, p_dup, p_corrupt, p_reorder;
        uint32_t rate_kbit;
        uint64_t limit, limit_bytes;
};

struct entry {
        uint64_t due;
        uint64_t seq; /* Push order: FIFO among equal due times. */
        void *buf;
        uint32_t len;
        uint32_t wire_len;
};

struct pbl_shape_queue {
        struct pbl_shape_pool *pool;
        uint64_t rng[4];
        struct params pm;
        uint64_t link_free; /* When the frame on the wire has been sent. */
        uint64_t link_frac; /* And the fraction of a ns, in 1/rate_kbit ns. */
        struct entry *heap; /* Binary min-heap on (due, seq). */
        size_t n, cap;
        uint64_t seq;
        struct pbl_shape_stats st;
};

#define ETH_HLEN_ 14
#define MS_MAX    3.6e6 /* An hour: beyond it is a mistake, and ns would overflow soon. */

static bool
pct_ok(double v)
{
        return v >= 0 && v <= 100; /* False for NaN. */
}

static uint64_t
prob_of_pct(double pct)
{
        double x = pct / 100 * 18446744073709551616.0;

        return x >= 18446744073709551615.0 ? P_ALWAYS : (uint64_t)x;
}

static int
params_of_condition(const struct pbl_condition *c, struct params *ret)
{
        static const struct pbl_condition none;
        struct params pm = { 0 };

        if (!c)
                c = &none;
        if (!(c->latency_ms >= 0 && c->latency_ms <= MS_MAX) ||
            !(c->jitter_ms >= 0 && c->jitter_ms <= MS_MAX) || !pct_ok(c->loss_pct) ||
            !pct_ok(c->reorder_pct) || !pct_ok(c->duplicate_pct) || !pct_ok(c->corrupt_pct))
                return -EINVAL;

        pm.latency_ns = (uint64_t)(c->latency_ms * 1e6 + 0.5);
        pm.jitter_ns = (uint64_t)(c->jitter_ms * 1e6 + 0.5);
        pm.p_loss = prob_of_pct(c->loss_pct);
        pm.p_dup = prob_of_pct(c->duplicate_pct);
        pm.p_corrupt = prob_of_pct(c->corrupt_pct);
        pm.p_reorder = prob_of_pct(c->reorder_pct);
        pm.rate_kbit = c->rate_kbit;
        if (pm.rate_kbit) {
                /* Twice the bandwidth-delay product: see the header. */
                double bdp = pm.rate_kbit * 125.0 * (double)(pm.latency_ns + pm.jitter_ns) / 1e9;
                double lim = 2 * bdp;

                if (lim < PBL_SHAPE_LIMIT_BYTES_MIN)
                        lim = PBL_SHAPE_LIMIT_BYTES_MIN;
                if (lim > PBL_SHAPE_LIMIT_BYTES_MAX)
                        lim = PBL_SHAPE_LIMIT_BYTES_MAX;
                pm.limit_bytes = (uint64_t)lim;
                pm.limit = MAX((uint64_t)PBL_SHAPE_LIMIT_FRAMES, pm.limit_bytes / 1024);
        } else {
                pm.limit_bytes = PBL_SHAPE_LIMIT_BYTES_MAX;
                pm.limit = PBL_SHAPE_LIMIT_FRAMES;
        }
        *ret = pm;
        return 0;
}

static void
apply_params(struct pbl_shape_queue *q, const struct params *pm)
{
        if (pm->rate_kbit != q->pm.rate_kbit)
                q->link_frac = 0; /* In units of the old rate. */
        q->pm = *pm;
        q->st.limit = pm->limit;
        q->st.limit_bytes = pm->limit_bytes;
}

struct pbl_shape_queue *
pbl_shape_queue_new(const struct pbl_condition *c, uint64_t seed, struct pbl_shape_pool *pool)
{
        struct pbl_shape_queue *q;
        struct params pm;
        int r;

        r = params_of_condition(c, &pm);
        if (r < 0) {
                errno = -r;
                return NULL;
        }
        q = calloc(1, sizeof(*q));
        if (!q)
                return NULL;
        q->pool = pool ? pbl_shape_pool_ref(pool) : pbl_shape_pool_new(0);
        if (!q->pool) {
                free(q);
                errno = ENOMEM;
                return NULL;
        }
        for (size_t i = 0; i < ELEMENTSOF(q->rng); i++)
                q->rng[i] = splitmix64(&seed);
        if (!(q->rng[0] | q->rng[1] | q->rng[2] | q->rng[3]))
                q->rng[0] = 1; /* xoshiro's one forbidden state. */
        apply_params(q, &pm);
        return q;
}

struct pbl_shape_queue *
pbl_shape_queue_free(struct pbl_shape_queue *q)
{
        if (!q)
                return NULL;
        for (size_t i = 0; i < q->n; i++)
                pbl_shape_buf_put(q->pool, q->heap[i].buf);
        free(q->heap);
        pbl_shape_pool_unref(q->pool);
        free(q);
        return NULL;
}

struct pbl_shape_pool *
pbl_shape_queue_pool(struct pbl_shape_queue *q)
{
        return q->pool;
}

int
pbl_shape_queue_set(struct pbl_shape_queue *q, const struct pbl_condition *c)
{
        struct params pm;
        int r;

        r = params_of_condition(c, &pm);
        if (r < 0)
                return r;
        apply_params(q, &pm);
        return 0;
}

static inline bool
chance(struct pbl_shape_queue *q, uint64_t p)
{
        if (p == 0)
                return false;
        return p == P_ALWAYS || rng_next(q->rng) < p;
}

static inline bool
before(const struct entry *a, const struct entry *b)
{
        return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

/* Makes room for 'extra' more entries.  The queue bound caps the growth. */
static int
heap_reserve(struct pbl_shape_queue *q, size_t extra)
{
        struct entry *h;
        size_t cap;

        if (q->n + extra <= q->cap)
                return 0;
        cap = MAX(q->cap * 2, (size_t)64);
        cap = MAX(cap, q->n + extra);
        h = realloc(q->heap, cap * sizeof(*h));
        if (!h)
                return -ENOMEM;
        q->heap = h;
        q->cap = cap;
        return 0;
}

static void
heap_insert(struct pbl_shape_queue *q, const struct entry *e)
{
        size_t i = q->n++;

        while (i > 0) {
                size_t parent = (i - 1) / 2;

                if (!before(e, &q->heap[parent]))
                        break;
                q->heap[i] = q->heap[parent];
                i = parent;
        }
        q->heap[i] = *e;
}

static void
heap_remove_top(struct pbl_shape_queue *q)
{
        struct entry last = q->heap[--q->n];
        size_t i = 0, n = q->n;

        if (n == 0)
                return;
        for (;;) {
                size_t child = 2 * i + 1;

                if (child >= n)
                        break;
                if (child + 1 < n && before(&q->heap[child + 1], &q->heap[child]))
                        child++;
                if (!before(&q->heap[child], &last))
                        break;
                q->heap[i] = q->heap[child];
                i = child;
        }
        q->heap[i] = last;
}

/* When the rate stage lets a frame of 'wire_len' bytes arriving at 'now' go. */
static uint64_t
rate_stage(struct pbl_shape_queue *q, uint64_t now, uint32_t wire_len)
{
        uint64_t start, num;

        if (!q->pm.rate_kbit)
                return now;
        if (now >= q->link_free) {
                start = now; /* The link was idle. */
                q->link_frac = 0;
        } else {
                start = q->link_free;
        }
        /*
         * wire_len × 8 bits at rate_kbit × 1000 bit/s take wire_len × 8e6 /
         * rate_kbit ns; the remainder is carried, so a long train of frames
         * leaves at exactly the rate.  No overflow: 2^32 × 8e6 < 2^64.
         */
        num = (uint64_t)wire_len * 8000000u + q->link_frac;
        q->link_free = start + num / q->pm.rate_kbit;
        q->link_frac = num % q->pm.rate_kbit;
        return q->link_free;
}

static uint64_t
delay(struct pbl_shape_queue *q)
{
        int64_t d;

        if (!q->pm.jitter_ns)
                return q->pm.latency_ns;
        /* Uniform over [latency - jitter, latency + jitter], floored at 0. */
        d = (int64_t)q->pm.latency_ns - (int64_t)q->pm.jitter_ns +
            (int64_t)rng_below(q->rng, 2 * q->pm.jitter_ns + 1);
        return d > 0 ? (uint64_t)d : 0;
}

/* Takes one copy through loss, bound, corruption, rate and delay.  Steals 'buf'. */
static int
enqueue_copy(struct pbl_shape_queue *q, uint64_t now, void *buf, uint32_t len, uint32_t wire_len)
{
        struct entry e;
        uint64_t depart;

        if (chance(q, q->pm.p_loss)) {
                q->st.dropped_loss++;
                pbl_shape_buf_put(q->pool, buf);
                return 0;
        }
        if (q->n >= q->pm.limit || q->st.depth_bytes + wire_len > q->pm.limit_bytes) {
                q->st.dropped_limit++;
                pbl_shape_buf_put(q->pool, buf);
                return 0;
        }
        if (len > ETH_HLEN_ && chance(q, q->pm.p_corrupt)) {
                uint64_t bit = rng_below(q->rng, (uint64_t)(len - ETH_HLEN_) * 8);

                ((uint8_t *)buf)[ETH_HLEN_ + bit / 8] ^= (uint8_t)(1u << (bit % 8));
                q->st.corrupted++;
        }

        depart = rate_stage(q, now, wire_len);
        if (!q->pm.latency_ns && !q->pm.jitter_ns) {
                e.due = depart;
        } else if (chance(q, q->pm.p_reorder)) {
                e.due = depart; /* Skips the delay line, overtaking the frames on it. */
                q->st.reordered++;
        } else {
                e.due = depart + delay(q);
        }
        e.seq = q->seq++;
        e.buf = buf;
        e.len = len;
        e.wire_len = wire_len;
        heap_insert(q, &e); /* Room was reserved by the caller. */
        q->st.depth_bytes += wire_len;
        return 1;
}

int
pbl_shape_queue_push(struct pbl_shape_queue *q, uint64_t now_ns, void *buf, uint32_t len,
                     uint32_t wire_len)
{
        int copies = 1, queued = 0, r;

        if (!buf)
                return -EINVAL;
        if (len == 0 || len > pbl_shape_buf_cap(buf)) {
                pbl_shape_buf_put(q->pool, buf);
                return -EINVAL;
        }
        if (wire_len == 0)
                wire_len = len;
        q->st.in++;
        q->st.in_bytes += wire_len;

        r = heap_reserve(q, 2);
        if (r < 0) {
                q->st.dropped_nomem++;
                pbl_shape_buf_put(q->pool, buf);
                return r;
        }
        if (chance(q, q->pm.p_dup)) {
                copies = 2;
                q->st.duplicated++;
        }
        /*
         * The copies are made before anything touches 'buf'; the last copy is
         * 'buf' itself.  A copy takes the whole buffer, not only 'len' bytes:
         * the caller may keep what it needs for the write past the frame (the
         * shaper thread keeps the virtio-net header there).
         */
        for (int i = 0; i < copies; i++) {
                void *f = buf;

                if (i < copies - 1) {
                        size_t cap = pbl_shape_buf_cap(buf);

                        f = pbl_shape_buf_get(q->pool, cap);
                        if (!f) {
                                q->st.dropped_nomem++;
                                continue;
                        }
                        memcpy(f, buf, cap);
                }
                queued += enqueue_copy(q, now_ns, f, len, wire_len);
        }
        return queued;
}

uint64_t
pbl_shape_queue_next_due(const struct pbl_shape_queue *q)
{
        return q->n ? q->heap[0].due : UINT64_MAX;
}

void *
pbl_shape_queue_pop(struct pbl_shape_queue *q, uint64_t now_ns, uint32_t *ret_len)
{
        struct entry *top;
        void *buf;

        if (!q->n || q->heap[0].due > now_ns)
                return NULL;
        top = &q->heap[0];
        buf = top->buf;
        if (ret_len)
                *ret_len = top->len;
        q->st.out++;
        q->st.out_bytes += top->wire_len;
        q->st.depth_bytes -= top->wire_len;
        heap_remove_top(q);
        return buf;
}

size_t
pbl_shape_queue_depth(const struct pbl_shape_queue *q)
{
        return q->n;
}

void
pbl_shape_queue_stats(const struct pbl_shape_queue *q, struct pbl_shape_stats *ret)
{
        *ret = q->st;
        ret->depth = q->n;
}
