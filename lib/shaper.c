/* SPDX-License-Identifier: MIT */
#include "shaper.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "closer.h"
#include "pb-macro.h"
#include "worker.h"

/* Frames read from one port per wake-up before the others get their turn. */
#define READ_BURST  64
#define VNET_HDR    sizeof(struct virtio_net_hdr)
#define SCRATCH_MAX PBL_SHAPE_BUF_MAX

struct link {
        uint32_t id;
        int cap_fd, inj_fd;
        bool vnet, dead;
        bool stamped;     /* The kernel stamps the capture port's frames (SO_TIMESTAMPNS). */
        uint64_t last_in; /* The last frame's arrival, so that arrivals never go back. */
        unsigned active;  /* Its place in the shaper's 'active' + 1; 0 while its queue is empty. */
        struct pbl_shape_queue *q;
        uint64_t read_errors, write_errors;
};

enum cmd_type { CMD_ADD, CMD_UPDATE, CMD_REMOVE, CMD_STATS };

/* One request from the control side (through the worker's queue). */
struct cmd {
        enum cmd_type type;
        uint32_t id;
        int cap_fd, inj_fd;
        bool vnet;
        struct pbl_condition cond;
        struct pbl_shaper_stats *stats;
};

struct pbl_shaper {
        struct pbl_worker w; /* The thread, its epoll set and command queue. */
        unsigned n_public;   /* The control side's count of links. */

        /* The thread's own. */
        struct link **links;
        unsigned n_links, cap_links;
        /*
         * The links whose queues hold frames, the only ones a wake-up looks
         * at: the cost of a wake-up follows the busy links, not all links.
         */
        struct link **active;
        unsigned n_active;
        uint32_t next_id;
        struct pbl_shape_pool *pool;
        uint8_t *scratch;
        struct pbl_closer *closer; /* Closes the links' packet sockets (slow: see closer.h). */
};

/* Nanoseconds of a clock. */
static uint64_t
clock_ns(clockid_t id)
{
        struct timespec ts;

        if (clock_gettime(id, &ts) < 0)
                abort(); /* Cannot happen with CLOCK_MONOTONIC / CLOCK_REALTIME. */
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t
now_ns(void)
{
        return clock_ns(CLOCK_MONOTONIC);
}

/*
 * What a frame takes on the wire: a GSO super-packet becomes segments of
 * gso_size payload, each with its own copy of the headers.
 */
static uint32_t
wire_len(const struct virtio_net_hdr *h, uint32_t len)
{
        uint32_t hdr, payload, segs;

        if (!h || h->gso_type == VIRTIO_NET_HDR_GSO_NONE || !h->gso_size)
                return len;
        hdr = h->hdr_len && h->hdr_len < len ? h->hdr_len : MIN(len, 66u);
        payload = len - hdr;
        segs = (payload + h->gso_size - 1) / h->gso_size;
        return segs > 1 ? len + (segs - 1) * hdr : len;
}

static struct link *
link_find(struct pbl_shaper *s, uint32_t id, unsigned *ret_idx)
{
        for (unsigned i = 0; i < s->n_links; i++)
                if (s->links[i]->id == id) {
                        if (ret_idx)
                                *ret_idx = i;
                        return s->links[i];
                }
        return NULL;
}

static void
link_free(struct pbl_shaper *s, struct link *l)
{
        if (l->cap_fd >= 0 && !l->dead)
                (void)epoll_ctl(s->w.epfd, EPOLL_CTL_DEL, l->cap_fd, NULL);
        pbl_closer_close(s->closer, l->cap_fd);
        pbl_closer_close(s->closer, l->inj_fd);
        pbl_shape_queue_free(l->q);
        free(l);
}

/*
 * When the kernel took the frame in, on our monotonic clock: its
 * SO_TIMESTAMPNS stamp (real time) less 'rt_offset' (real minus monotonic
 * time).  So a late wake-up of this thread does not add to the frame's
 * delay, as netem stamps a frame when it is enqueued.  'now' when there is
 * no stamp, or one that cannot be right (the real-time clock was stepped):
 * in the future or more than a second old.
 */
static uint64_t
arrival_ns(struct msghdr *m, uint64_t now, uint64_t rt_offset)
{
        struct cmsghdr *c;

        for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                        struct timespec ts;
                        uint64_t t;

                        memcpy(&ts, CMSG_DATA(c), sizeof(ts));
                        t = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec - rt_offset;
                        return t <= now && now - t < 1000000000u ? t : now;
                }
        return now;
}

/* Reads what the capture port has, up to a burst. */
static void
link_read(struct pbl_shaper *s, struct link *l)
{
        uint64_t now = now_ns();
        uint64_t rt_offset = l->stamped ? clock_ns(CLOCK_REALTIME) - now : 0;

        for (unsigned n = 0; n < READ_BURST; n++) {
                struct virtio_net_hdr h;
                struct iovec iov[2] = {
                        { &h, VNET_HDR },
                        { s->scratch, SCRATCH_MAX },
                };
                union {
                        char buf[CMSG_SPACE(sizeof(struct timespec))];
                        struct cmsghdr align;
                } control;
                struct msghdr m = {
                        .msg_iov = l->vnet ? iov : iov + 1,
                        .msg_iovlen = l->vnet ? 2 : 1,
                        .msg_control = l->stamped ? control.buf : NULL,
                        .msg_controllen = l->stamped ? sizeof(control.buf) : 0,
                };
                ssize_t got = recvmsg(l->cap_fd, &m, 0);
                uint64_t t;
                uint32_t len;
                uint8_t *buf;

                if (got < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == ENETDOWN) { /* Reported once; the port lives on. */
                                l->read_errors++;
                                continue;
                        }
                        if (errno != EAGAIN) {
                                /* The port is gone: stop watching it. */
                                l->read_errors++;
                                (void)epoll_ctl(s->w.epfd, EPOLL_CTL_DEL, l->cap_fd, NULL);
                                l->dead = true;
                        }
                        return;
                }
                if (l->vnet && (size_t)got <= VNET_HDR)
                        continue;
                len = (uint32_t)(l->vnet ? (size_t)got - VNET_HDR : (size_t)got);
                /* The frame, then (vnet) its header, kept for the write. */
                buf = pbl_shape_buf_get(s->pool, len + (l->vnet ? VNET_HDR : 0));
                if (!buf) {
                        l->read_errors++;
                        continue;
                }
                memcpy(buf, s->scratch, len);
                if (l->vnet)
                        memcpy(buf + len, &h, VNET_HDR);
                t = l->stamped ? arrival_ns(&m, now, rt_offset) : now;
                l->last_in = t = MAX(t, l->last_in);
                (void)pbl_shape_queue_push(l->q, t, buf, len, wire_len(l->vnet ? &h : NULL, len));
        }
}

/* Puts 'l' among the active links if its queue holds frames. */
static void
activate(struct pbl_shaper *s, struct link *l)
{
        if (l->active || pbl_shape_queue_next_due(l->q) == UINT64_MAX)
                return;
        s->active[s->n_active] = l;
        l->active = ++s->n_active;
}

static void
deactivate(struct pbl_shaper *s, struct link *l)
{
        struct link *last;

        if (!l->active)
                return;
        last = s->active[--s->n_active];
        s->active[l->active - 1] = last;
        last->active = l->active;
        l->active = 0;
}

/* Writes every frame that is due. */
static void
link_flush(struct pbl_shaper *s, struct link *l, uint64_t now)
{
        uint8_t *buf;
        uint32_t len;

        while ((buf = pbl_shape_queue_pop(l->q, now, &len))) {
                struct iovec iov[2] = {
                        { buf + len, VNET_HDR },
                        { buf, len },
                };
                ssize_t r = l->vnet ? writev(l->inj_fd, iov, 2) : writev(l->inj_fd, iov + 1, 1);

                if (r < 0)
                        l->write_errors++;
                pbl_shape_buf_put(s->pool, buf);
        }
}

static uint64_t
random_seed(void)
{
        uint64_t seed;

        if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
                seed = now_ns() ^ (uint64_t)getpid() << 32;
        return seed;
}

static int
do_add(struct pbl_shaper *s, struct cmd *c)
{
        struct epoll_event ev = { .events = EPOLLIN };
        struct link *l;
        int r;

        if (s->n_links == s->cap_links) {
                unsigned cap = s->cap_links ? s->cap_links * 2 : 16;
                struct link **links = reallocarray(s->links, cap, sizeof(*links));
                struct link **active;

                if (!links)
                        return -ENOMEM;
                s->links = links;
                active = reallocarray(s->active, cap, sizeof(*active));
                if (!active)
                        return -ENOMEM;
                s->active = active;
                s->cap_links = cap;
        }
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->cap_fd = TAKE_FD(c->cap_fd);
        l->inj_fd = TAKE_FD(c->inj_fd);
        l->vnet = c->vnet;
        l->q = pbl_shape_queue_new(&c->cond, random_seed(), s->pool);
        if (!l->q) {
                r = -errno;
                l->dead = true;
                link_free(s, l);
                return r;
        }
        /* Without the kernel's stamps, frames are stamped when read. */
        l->stamped =
                setsockopt(l->cap_fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){ 1 }, sizeof(int)) == 0;
        ev.data.ptr = l;
        if (epoll_ctl(s->w.epfd, EPOLL_CTL_ADD, l->cap_fd, &ev) < 0) {
                r = -errno;

                l->dead = true;
                link_free(s, l);
                return r;
        }
        do
                l->id = ++s->next_id;
        while (!l->id || link_find(s, l->id, NULL));
        s->links[s->n_links++] = l;
        c->id = l->id;
        return 0;
}

static int
do_cmd(void *ctx, void *cmd)
{
        struct pbl_shaper *s = ctx;
        struct cmd *c = cmd;
        unsigned idx;
        struct link *l;

        if (c->type == CMD_ADD)
                return do_add(s, c);
        l = link_find(s, c->id, &idx);
        if (!l)
                return -ENOENT;
        switch (c->type) {
        case CMD_UPDATE: return pbl_shape_queue_set(l->q, &c->cond);
        case CMD_REMOVE:
                deactivate(s, l);
                s->links[idx] = s->links[--s->n_links];
                link_free(s, l);
                return 0;
        case CMD_STATS:
                pbl_shape_queue_stats(l->q, &c->stats->model);
                c->stats->read_errors = l->read_errors;
                c->stats->write_errors = l->write_errors;
                return 0;
        default: return -EINVAL;
        }
}

static void
serve(void *ctx, void *link)
{
        link_read(ctx, link);
        activate(ctx, link);
}

static void *
thread_main(void *arg)
{
        struct pbl_shaper *s = arg;

        /* Sleeps end when asked, not up to 50 µs later. */
        (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        for (;;) {
                uint64_t now = now_ns(), next = UINT64_MAX;
                struct timespec ts, *tsp = NULL;

                for (unsigned i = 0; i < s->n_active; i++)
                        next = MIN(next, pbl_shape_queue_next_due(s->active[i]->q));
                if (next != UINT64_MAX) {
                        uint64_t wait = next > now ? next - now : 0;

                        ts = (struct timespec){ .tv_sec = (time_t)(wait / 1000000000u),
                                                .tv_nsec = (long)(wait % 1000000000u) };
                        tsp = &ts;
                }
                /* Reads, then the command; then whatever is due. */
                if (!pbl_worker_turn(&s->w, tsp, serve))
                        break;
                now = now_ns();
                /* Backwards: a link whose queue empties leaves the array in place. */
                for (unsigned i = s->n_active; i-- > 0;) {
                        struct link *l = s->active[i];

                        link_flush(s, l, now);
                        if (pbl_shape_queue_next_due(l->q) == UINT64_MAX)
                                deactivate(s, l);
                }
        }
        return NULL;
}

int
pbl_shaper_new(struct pbl_shaper **ret)
{
        struct pbl_shaper *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->pool = pbl_shape_pool_new(0);
        s->scratch = malloc(SCRATCH_MAX);
        if (!s->pool || !s->scratch) {
                r = -ENOMEM;
                goto fail;
        }
        r = pbl_closer_new(&s->closer);
        if (r < 0)
                goto fail;
        r = pbl_worker_start(&s->w, "pb-shaper", thread_main, do_cmd, s);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;
fail:
        s->closer = pbl_closer_free(s->closer);
        free(s->scratch);
        pbl_shape_pool_unref(s->pool);
        free(s);
        return r;
}

struct pbl_shaper *
pbl_shaper_free(struct pbl_shaper *s)
{
        if (!s)
                return NULL;
        pbl_worker_stop(&s->w);
        for (unsigned i = 0; i < s->n_links; i++)
                link_free(s, s->links[i]);
        s->closer = pbl_closer_free(s->closer);
        free(s->links);
        free(s->active);
        free(s->scratch);
        pbl_shape_pool_unref(s->pool);
        free(s);
        return NULL;
}

int
pbl_shaper_add(struct pbl_shaper *s, int cap_fd, int inj_fd, bool vnet,
               const struct pbl_condition *c, uint32_t *ret_id)
{
        struct cmd cmd = {
                .type = CMD_ADD, .cap_fd = cap_fd, .inj_fd = inj_fd, .vnet = vnet, .cond = *c
        };
        int r = pbl_worker_call(&s->w, &cmd);

        /* Whatever the thread did not take is closed here. */
        safe_close(cmd.cap_fd);
        safe_close(cmd.inj_fd);
        if (r >= 0) {
                *ret_id = cmd.id;
                s->n_public++;
        }
        return r;
}

int
pbl_shaper_update(struct pbl_shaper *s, uint32_t id, const struct pbl_condition *c)
{
        struct cmd cmd = { .type = CMD_UPDATE, .id = id, .cond = *c };

        return pbl_worker_call(&s->w, &cmd);
}

int
pbl_shaper_remove(struct pbl_shaper *s, uint32_t id)
{
        struct cmd c = { .type = CMD_REMOVE, .id = id };
        int r = pbl_worker_call(&s->w, &c);

        if (r >= 0)
                s->n_public--;
        return r;
}

int
pbl_shaper_stats(struct pbl_shaper *s, uint32_t id, struct pbl_shaper_stats *ret)
{
        struct cmd c = { .type = CMD_STATS, .id = id, .stats = ret };

        return pbl_worker_call(&s->w, &c);
}

unsigned
pbl_shaper_links(const struct pbl_shaper *s)
{
        return s ? s->n_public : 0;
}
