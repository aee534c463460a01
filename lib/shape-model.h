/* SPDX-License-Identifier: MIT */
/*
 * The frame scheduling model of the userspace link shaper (SPEC §6): what
 * netem would do to the frames of one direction of a link, without the
 * kernel.  Pure code: no I/O, no clock reads, no threads, no locks.  Times
 * are nanoseconds on a monotonic clock that the caller reads and passes in;
 * randomness comes from a PRNG of the queue's own (xoshiro256** seeded
 * through splitmix64), so a seed gives a reproducible run.
 *
 * The shaper thread uses it like this, for each direction of a link:
 *
 *      len = read(capture_port, scratch, sizeof(scratch));
 *      buf = pbl_shape_buf_get(pool, len);      (the frame's size, see below)
 *      memcpy(buf, scratch, len);
 *      pbl_shape_queue_push(q, now, buf, len, wire_len);   (steals 'buf')
 *      ...
 *      while ((buf = pbl_shape_queue_pop(q, now, &len))) {
 *              write(inject_port, buf, len);
 *              pbl_shape_buf_put(pool, buf);
 *      }
 *      sleep until min over the queues of pbl_shape_queue_next_due(q)
 *
 * Nothing here is thread-safe: a pool and the queues that use it belong to
 * one thread.  A condition change from the control loop must reach that
 * thread (a mailbox) and be applied there with pbl_shape_queue_set().
 */
#ifndef PBL_SHAPE_MODEL_H
#define PBL_SHAPE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "condition.h"

/* ---- Frame buffers ---------------------------------------------------- */

/*
 * Frames live in buffers from a pool, so that the steady state of the shaper
 * does no malloc()/free() per frame.  A buffer comes in one of three size
 * classes (its capacity is the smallest class that fits the request):
 *
 *      PBL_SHAPE_BUF_SMALL   an Ethernet frame of a 1500-byte MTU plus a
 *                            virtio-net header, with room to spare;
 *      PBL_SHAPE_BUF_MEDIUM  a 9000-byte jumbo frame;
 *      PBL_SHAPE_BUF_MAX     a GSO super-packet read from a port with
 *                            PACKET_VNET_HDR: 64 KiB of IP packet, the Ethernet
 *                            and virtio-net headers, and slack.
 *
 * Returned buffers wait on a free list of their class for the next get().
 * The bytes held idle on the free lists are bounded (max_idle_bytes): past
 * that, put() gives the memory back to the allocator.  The buffers in use
 * are bounded by the queues' limits (see pbl_shape_queue_push()), so the
 * memory of a shaper is bounded as a whole.
 *
 * Ask for the size of the frame, not the largest possible one: a queue may
 * hold thousands of frames, and 1514-byte frames in PBL_SHAPE_BUF_MAX
 * buffers would take 34 times the memory of PBL_SHAPE_BUF_SMALL ones.
 *
 * A pool is reference-counted and may be shared by any number of queues of
 * one thread; sharing one pool between the two directions of a link (or all
 * the links of a thread) lets a buffer popped from one queue be reused for
 * a frame read for another.  Buffers still out when the last reference goes
 * keep the pool alive: the last pbl_shape_buf_put() frees it.
 */
#define PBL_SHAPE_BUF_SMALL  2048u
#define PBL_SHAPE_BUF_MEDIUM 16384u
#define PBL_SHAPE_BUF_MAX    (65536u + 4096u)

/* Default bound of a pool's idle buffers. */
#define PBL_SHAPE_POOL_IDLE_DEFAULT (32u << 20)

struct pbl_shape_pool;

struct pbl_shape_pool_stats {
        uint64_t allocs;     /* malloc() calls since creation. */
        uint64_t frees;      /* free() calls since creation. */
        uint64_t gets;       /* pbl_shape_buf_get() calls that succeeded. */
        uint64_t out;        /* Buffers handed out and not yet put back. */
        uint64_t idle;       /* Buffers waiting on the free lists. */
        uint64_t idle_bytes; /* Their capacity. */
};

/*
 * Returns a new pool (one reference) that keeps at most 'max_idle_bytes' of
 * idle buffers (0: PBL_SHAPE_POOL_IDLE_DEFAULT), or NULL on ENOMEM.
 */
struct pbl_shape_pool *pbl_shape_pool_new(size_t max_idle_bytes);

/* Takes a reference on 'p' (may be NULL) and returns 'p'. */
struct pbl_shape_pool *pbl_shape_pool_ref(struct pbl_shape_pool *p);

/*
 * Drops a reference on 'p' (may be NULL): the last one frees the idle
 * buffers, and the pool itself once every buffer is back.  Returns NULL.
 */
struct pbl_shape_pool *pbl_shape_pool_unref(struct pbl_shape_pool *p);

/*
 * Returns a buffer of at least 'cap' bytes (uninitialised), owned by the
 * caller until it is put back or pushed into a queue of the same pool.
 * Returns NULL with errno EMSGSIZE if 'cap' > PBL_SHAPE_BUF_MAX, or ENOMEM.
 */
void *pbl_shape_buf_get(struct pbl_shape_pool *p, size_t cap);

/* Gives 'buf' (may be NULL), from pbl_shape_buf_get() on 'p', back to 'p'. */
void pbl_shape_buf_put(struct pbl_shape_pool *p, void *buf);

/* The capacity of 'buf', from pbl_shape_buf_get(): at least what was asked. */
size_t pbl_shape_buf_cap(const void *buf);

void pbl_shape_pool_stats(const struct pbl_shape_pool *p, struct pbl_shape_pool_stats *ret);

/* ---- Queues ------------------------------------------------------------ */

/*
 * The queue bound (tail drop past it, counted apart from the loss).  The
 * bytes are wire bytes (the 'wire_len' of pbl_shape_queue_push()):
 *
 *  - with a rate: 2 × rate × (latency + jitter), one bandwidth-delay product
 *    in flight on the delay line plus one as the bottleneck's buffer (the
 *    rule of thumb that lets a TCP flow keep the link busy), clamped to
 *    [PBL_SHAPE_LIMIT_BYTES_MIN, PBL_SHAPE_LIMIT_BYTES_MAX]: the shaper
 *    itself never drops below the configured rate, as netem's limit sized
 *    from rate × delay;
 *  - without a rate: PBL_SHAPE_LIMIT_BYTES_MAX, which still carries
 *    10 Gbit/s over 50 ms of latency.
 *
 * And in frames: PBL_SHAPE_LIMIT_FRAMES without a rate (4 Gbit/s of
 * 1514-byte frames over 50 ms; GSO super-packets meet the byte bound
 * first); with a rate, that or limit_bytes / 1024 if more, so that frames
 * of 1 KiB and more meet the byte bound first.  A queue thus holds at most
 * 64 Ki buffers of PBL_SHAPE_BUF_SMALL or about 64 MiB of larger ones.
 */
#define PBL_SHAPE_LIMIT_FRAMES    16384u
#define PBL_SHAPE_LIMIT_BYTES_MIN (1u << 20)
#define PBL_SHAPE_LIMIT_BYTES_MAX (64u << 20)

struct pbl_shape_queue;

struct pbl_shape_stats {
        uint64_t in;            /* Frames pushed. */
        uint64_t in_bytes;      /* Their wire bytes. */
        uint64_t out;           /* Frames popped (duplicates included). */
        uint64_t out_bytes;     /* Their wire bytes. */
        uint64_t dropped_loss;  /* Lost (loss_pct), copies included. */
        uint64_t dropped_limit; /* Tail-dropped at the queue bound. */
        uint64_t dropped_nomem; /* Frames or copies dropped for want of memory. */
        uint64_t duplicated;    /* Extra copies decided (duplicate_pct). */
        uint64_t corrupted;     /* Frames with a bit flipped (corrupt_pct). */
        uint64_t reordered;     /* Frames sent without the latency (reorder_pct). */
        uint64_t depth;         /* Frames queued now. */
        uint64_t depth_bytes;   /* Their wire bytes. */
        uint64_t limit;         /* The bound in frames, */
        uint64_t limit_bytes;   /* and in wire bytes. */
};

/*
 * Returns a new queue for condition 'c' (NULL: none) with PRNG seed 'seed',
 * taking its buffers from 'pool' (a new reference is taken; NULL: a private
 * pool with the default bound, see pbl_shape_queue_pool()).  Returns NULL
 * with errno EINVAL if 'c' is out of range (negative or non-finite fields,
 * percentages over 100, latency or jitter over an hour), or ENOMEM.
 */
struct pbl_shape_queue *pbl_shape_queue_new(const struct pbl_condition *c, uint64_t seed,
                                            struct pbl_shape_pool *pool);

/* Frees 'q' (may be NULL) and the frames still queued.  Returns NULL. */
struct pbl_shape_queue *pbl_shape_queue_free(struct pbl_shape_queue *q);

/* The pool of 'q' (a borrowed reference). */
struct pbl_shape_pool *pbl_shape_queue_pool(struct pbl_shape_queue *q);

/*
 * Changes the condition of 'q' (NULL: none) live.  The frames already queued
 * keep their due times; the next ones see the new condition.  A rate change
 * takes effect after the frame on the wire (the link stays busy until its
 * transmission ends); a queue over its new bound drains before it takes
 * frames again.  Returns 0, or -EINVAL (as pbl_shape_queue_new()) leaving
 * 'q' unchanged.
 */
int pbl_shape_queue_set(struct pbl_shape_queue *q, const struct pbl_condition *c);

/*
 * Offers a frame that arrived at 'now_ns': 'buf' (from the queue's pool)
 * holds 'len' bytes starting at the Ethernet header; 'wire_len' is what the
 * frame takes on the wire for the rate (for a GSO super-packet, the sum of
 * its segments' sizes; 0 means 'len').  Steals 'buf' in every case: it
 * comes back from pbl_shape_queue_pop(), or goes back to the pool.
 *
 * Per copy of the frame, as netem does it:
 *  - duplicate_pct: an extra copy is made first, of the whole buffer (so
 *    that bytes the caller keeps past 'len', such as a virtio-net header,
 *    are copied too); each copy then goes through what follows on its own
 *    (loss, corruption, delay);
 *  - loss_pct: Bernoulli loss;
 *  - the queue bound: tail drop;
 *  - corrupt_pct: one random bit is flipped at an offset >= 14 (after the
 *    Ethernet header), if 'len' > 14.  A checksum still to be computed
 *    (a virtio-net header with VIRTIO_NET_HDR_F_NEEDS_CSUM) would cover the
 *    flipped bit and hide it: netem computes it before corrupting, and so
 *    must the caller, for frames that it pushes with offloads pending;
 *  - rate_kbit: the link is busy for wire_len × 8 / rate; the copy leaves
 *    the rate stage at max(arrival, link free) + its transmission time;
 *  - reorder_pct (with a latency or jitter only): the copy leaves as soon
 *    as the rate stage lets it, overtaking the delayed ones;
 *  - otherwise latency_ms ± a uniform jitter_ms is added (a delay below
 *    zero is zero).  Under jitter frames may be reordered, as with netem;
 *    copies due at the same time leave in the order they were pushed.
 *
 * Returns the number of copies queued (0: dropped, 2: duplicated), or
 * -EINVAL ('len' 0 or larger than the buffer, or 'buf' NULL) or -ENOMEM
 * (the queue could not grow: the frame is dropped).  The counters add up:
 * in + duplicated = out + depth + dropped_loss + dropped_limit + dropped_nomem
 * (the frames refused with -EINVAL are not counted in).
 */
int pbl_shape_queue_push(struct pbl_shape_queue *q, uint64_t now_ns, void *buf, uint32_t len,
                         uint32_t wire_len);

/* The due time of the first frame of 'q', or UINT64_MAX if 'q' is empty. */
uint64_t pbl_shape_queue_next_due(const struct pbl_shape_queue *q);

/*
 * Takes the first frame of 'q' due at or before 'now_ns' (the earliest due
 * first, in push order for equal due times) and stores its length in
 * '*ret_len'.  Returns the buffer, owned by the caller, who gives it back
 * with pbl_shape_buf_put() on the queue's pool; or NULL if none is due.
 */
void *pbl_shape_queue_pop(struct pbl_shape_queue *q, uint64_t now_ns, uint32_t *ret_len);

/* The number of frames queued. */
size_t pbl_shape_queue_depth(const struct pbl_shape_queue *q);

void pbl_shape_queue_stats(const struct pbl_shape_queue *q, struct pbl_shape_stats *ret);

#endif
