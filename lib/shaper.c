/* SPDX-License-Identifier: MIT */
#include "shaper.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/uio.h>

#include "pb-macro.h"

/* Frames read from one TAP per wake-up before the others get their turn. */
#define READ_BURST  64
#define EVENTS      64
#define VNET_HDR    sizeof(struct virtio_net_hdr)
#define SCRATCH_MAX PBL_SHAPE_BUF_MAX

struct link {
        uint32_t id;
        int cap_fd, inj_fd;
        bool vnet, dead;
        struct pbl_shape_queue *q;
        uint64_t read_errors, write_errors;
};

enum cmd_type { CMD_ADD, CMD_UPDATE, CMD_REMOVE, CMD_STATS, CMD_STOP };

/* One request from the control side; it waits until 'done'. */
struct cmd {
        enum cmd_type type;
        uint32_t id;
        int cap_fd, inj_fd;
        bool vnet;
        struct pbl_condition cond;
        struct pbl_shaper_stats *stats;
        int result;
        bool done;
};

struct pbl_shaper {
        pthread_t thread;
        int epfd, evfd;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct cmd *cmd;   /* Under 'lock'. */
        unsigned n_public; /* The control side's count of links. */

        /* The thread's own. */
        struct link **links;
        unsigned n_links, cap_links;
        uint32_t next_id;
        struct pbl_shape_pool *pool;
        uint8_t *scratch;
};

static uint64_t
now_ns(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
                (void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->cap_fd, NULL);
        safe_close(l->cap_fd);
        safe_close(l->inj_fd);
        pbl_shape_queue_free(l->q);
        free(l);
}

/* Reads what the capture TAP has, up to a burst. */
static void
link_read(struct pbl_shaper *s, struct link *l)
{
        for (unsigned n = 0; n < READ_BURST; n++) {
                struct virtio_net_hdr h;
                struct iovec iov[2] = {
                        { &h, VNET_HDR },
                        { s->scratch, SCRATCH_MAX },
                };
                ssize_t got = l->vnet ? readv(l->cap_fd, iov, 2) : readv(l->cap_fd, iov + 1, 1);
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
                                (void)epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->cap_fd, NULL);
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
                (void)pbl_shape_queue_push(l->q, now_ns(), buf, len,
                                           wire_len(l->vnet ? &h : NULL, len));
        }
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

                if (!links)
                        return -ENOMEM;
                s->links = links;
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
        ev.data.ptr = l;
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, l->cap_fd, &ev) < 0) {
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
do_cmd(struct pbl_shaper *s, struct cmd *c)
{
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

/* Runs the pending command, if any.  Returns false when told to stop. */
static bool
take_cmd(struct pbl_shaper *s)
{
        uint64_t v;
        bool go_on = true;

        if (read(s->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                return true;
        pthread_mutex_lock(&s->lock);
        if (s->cmd && !s->cmd->done) {
                if (s->cmd->type == CMD_STOP)
                        go_on = false;
                else
                        s->cmd->result = do_cmd(s, s->cmd);
                s->cmd->done = true;
                pthread_cond_broadcast(&s->cond);
        }
        pthread_mutex_unlock(&s->lock);
        return go_on;
}

static void *
thread_main(void *arg)
{
        struct pbl_shaper *s = arg;
        struct epoll_event events[EVENTS];

        /* Sleeps end when asked, not up to 50 µs later. */
        (void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        for (;;) {
                uint64_t now = now_ns(), next = UINT64_MAX;
                struct timespec ts, *tsp = NULL;
                bool cmd = false;
                int n;

                for (unsigned i = 0; i < s->n_links; i++)
                        next = MIN(next, pbl_shape_queue_next_due(s->links[i]->q));
                if (next != UINT64_MAX) {
                        uint64_t wait = next > now ? next - now : 0;

                        ts = (struct timespec){ .tv_sec = (time_t)(wait / 1000000000u),
                                                .tv_nsec = (long)(wait % 1000000000u) };
                        tsp = &ts;
                }
                n = epoll_pwait2(s->epfd, events, EVENTS, tsp, NULL);
                if (n < 0 && errno != EINTR)
                        break;
                /* Frames first; a command may free a link named in 'events'. */
                for (int i = 0; i < n; i++) {
                        if (!events[i].data.ptr)
                                cmd = true;
                        else
                                link_read(s, events[i].data.ptr);
                }
                now = now_ns();
                for (unsigned i = 0; i < s->n_links; i++)
                        link_flush(s, s->links[i], now);
                if (cmd && !take_cmd(s))
                        break;
        }
        return NULL;
}

/* Hands 'c' to the thread and waits for it. */
static int
call(struct pbl_shaper *s, struct cmd *c)
{
        uint64_t one = 1;

        pthread_mutex_lock(&s->lock);
        s->cmd = c;
        if (write(s->evfd, &one, sizeof(one)) < 0) {
                s->cmd = NULL;
                pthread_mutex_unlock(&s->lock);
                return -errno;
        }
        while (!c->done)
                pthread_cond_wait(&s->cond, &s->lock);
        s->cmd = NULL;
        pthread_mutex_unlock(&s->lock);
        return c->result;
}

int
pbl_shaper_new(struct pbl_shaper **ret)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
        struct pbl_shaper *s;
        sigset_t all, old;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->epfd = s->evfd = -EBADF;
        if (pthread_mutex_init(&s->lock, NULL) || pthread_cond_init(&s->cond, NULL)) {
                free(s);
                return -ENOMEM;
        }
        s->pool = pbl_shape_pool_new(0);
        s->scratch = malloc(SCRATCH_MAX);
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        s->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (!s->pool || !s->scratch) {
                r = -ENOMEM;
                goto fail;
        }
        if (s->epfd < 0 || s->evfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &ev) < 0) {
                r = -errno;
                goto fail;
        }
        /* Signals are the control loop's business. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = -pthread_create(&s->thread, NULL, thread_main, s);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                goto fail;
        (void)pthread_setname_np(s->thread, "pb-shaper");
        *ret = s;
        return 0;
fail:
        safe_close(s->epfd);
        safe_close(s->evfd);
        free(s->scratch);
        pbl_shape_pool_unref(s->pool);
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return r;
}

struct pbl_shaper *
pbl_shaper_free(struct pbl_shaper *s)
{
        struct cmd c = { .type = CMD_STOP };

        if (!s)
                return NULL;
        if (call(s, &c) >= 0)
                (void)pthread_join(s->thread, NULL);
        for (unsigned i = 0; i < s->n_links; i++)
                link_free(s, s->links[i]);
        free(s->links);
        safe_close(s->epfd);
        safe_close(s->evfd);
        free(s->scratch);
        pbl_shape_pool_unref(s->pool);
        pthread_cond_destroy(&s->cond);
        pthread_mutex_destroy(&s->lock);
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
        int r = call(s, &cmd);

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

        return call(s, &cmd);
}

int
pbl_shaper_remove(struct pbl_shaper *s, uint32_t id)
{
        struct cmd c = { .type = CMD_REMOVE, .id = id };
        int r = call(s, &c);

        if (r >= 0)
                s->n_public--;
        return r;
}

int
pbl_shaper_stats(struct pbl_shaper *s, uint32_t id, struct pbl_shaper_stats *ret)
{
        struct cmd c = { .type = CMD_STATS, .id = id, .stats = ret };

        return call(s, &c);
}

unsigned
pbl_shaper_links(const struct pbl_shaper *s)
{
        return s ? s->n_public : 0;
}
