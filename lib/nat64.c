/* SPDX-License-Identifier: MIT */
#include "nat64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/if_ether.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "lab.h"
#include "node.h"
#include "pb-macro.h"
#include "port.h"
#include "rtnl.h"
#include "worker.h"

#define BURST      64 /* Frames read from one router per wake-up. */
#define FRAME_MAX  (ETH_HLEN + 65535)
#define POOL_HOSTS 254 /* 192.0.2.1 .. 192.0.2.254 */

static const uint8_t pool_net[3] = { 192, 0, 2 };

struct client {
        bool used;
        uint8_t v6[16];
        uint64_t last; /* When last translated (monotonic seconds). */
};

/* One router's translator: the thread's own. */
struct xlat {
        uint32_t id;
        int fd;
        uint8_t mac[6]; /* Of the router's nat64 interface: where frames go. */
        bool dead;
        uint64_t now;
        unsigned last_hit;                     /* The last client found (a cache). */
        struct client clients[POOL_HOSTS + 1]; /* By host number; [0] unused. */
        struct pbl_nat64_stats st;
};

enum cmd_type { CMD_ADD, CMD_REMOVE, CMD_STATS };

struct cmd {
        enum cmd_type type;
        uint32_t id;
        int fd;
        uint8_t mac[6];
        struct pbl_nat64_stats *stats;
};

static struct {
        bool started;
        struct pbl_worker w;
        /* The thread's. */
        struct xlat **x;
        unsigned n, cap;
        uint32_t next_id;
        uint8_t *in, *out;
        /* The control side's. */
        unsigned serial;
} T;

static uint64_t
now_s(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (uint64_t)ts.tv_sec;
}

/* --- the client table ------------------------------------------------------ */

static unsigned
client_find(struct xlat *x, const uint8_t v6[16])
{
        struct client *c = &x->clients[x->last_hit];

        if (x->last_hit && c->used && memcmp(c->v6, v6, 16) == 0)
                return x->last_hit;
        for (unsigned h = 1; h <= POOL_HOSTS; h++)
                if (x->clients[h].used && memcmp(x->clients[h].v6, v6, 16) == 0)
                        return x->last_hit = h;
        return 0;
}

/* A free address, else the least recently used one idle for long enough; 0: none. */
static unsigned
client_new(struct xlat *x, const uint8_t v6[16])
{
        unsigned h, lru = 0;

        for (h = 1; h <= POOL_HOSTS; h++) {
                if (!x->clients[h].used)
                        break;
                if (!lru || x->clients[h].last < x->clients[lru].last)
                        lru = h;
        }
        if (h > POOL_HOSTS) {
                if (x->now - x->clients[lru].last < PBL_NAT64_IDLE_S)
                        return 0;
                h = lru;
        } else {
                x->st.clients++;
        }
        x->clients[h].used = true;
        memcpy(x->clients[h].v6, v6, 16);
        return x->last_hit = h;
}

static int
to4(void *ctx, const uint8_t v6[16], uint8_t ret_v4[4])
{
        struct xlat *x = ctx;
        unsigned h = client_find(x, v6);

        if (!h && !(h = client_new(x, v6)))
                return -1;
        x->clients[h].last = x->now;
        memcpy(ret_v4, pool_net, 3);
        ret_v4[3] = (uint8_t)h;
        return 0;
}

static int
to6(void *ctx, const uint8_t v4[4], uint8_t ret_v6[16])
{
        struct xlat *x = ctx;
        unsigned h = v4[3];

        if (memcmp(v4, pool_net, 3) != 0 || h == 0 || h > POOL_HOSTS || !x->clients[h].used)
                return -1;
        x->clients[h].last = x->now;
        memcpy(ret_v6, x->clients[h].v6, 16);
        return 0;
}

/* --- the thread ------------------------------------------------------------ */

/* Translates one frame and writes the translation back. */
static void
translate(struct xlat *x, size_t len)
{
        const struct pbl_siit_clients m = { .to4 = to4, .to6 = to6, .ctx = x };
        uint16_t type = len >= ETH_HLEN ? (uint16_t)(T.in[12] << 8 | T.in[13]) : 0;
        enum pbl_siit_verdict v;
        size_t olen = 0;

        if (type == ETH_P_IPV6)
                v = pbl_siit_6to4(&m, T.in + ETH_HLEN, len - ETH_HLEN, T.out + ETH_HLEN,
                                  FRAME_MAX - ETH_HLEN, &olen);
        else if (type == ETH_P_IP)
                v = pbl_siit_4to6(&m, T.in + ETH_HLEN, len - ETH_HLEN, T.out + ETH_HLEN,
                                  FRAME_MAX - ETH_HLEN, &olen);
        else {
                x->st.ignored++;
                return;
        }
        if (v != PBL_SIIT_OK) {
                x->st.drops[v]++;
                x->st.dropped++;
                return;
        }
        /* Addressed to the router's interface, so it is PACKET_HOST there. */
        memcpy(T.out, x->mac, 6);
        memcpy(T.out + 6, x->mac, 6);
        T.out[6] ^= 0x02;
        T.out[12] = type == ETH_P_IPV6 ? ETH_P_IP >> 8 : ETH_P_IPV6 >> 8;
        T.out[13] = type == ETH_P_IPV6 ? ETH_P_IP & 0xff : ETH_P_IPV6 & 0xff;
        if (send(x->fd, T.out, ETH_HLEN + olen, MSG_DONTWAIT) < 0)
                x->st.write_errors++;
        else if (type == ETH_P_IPV6)
                x->st.v6_to_v4++;
        else
                x->st.v4_to_v6++;
}

static void
serve(struct xlat *x)
{
        x->now = now_s();
        for (unsigned n = 0; n < BURST; n++) {
                ssize_t got = recv(x->fd, T.in, FRAME_MAX, MSG_DONTWAIT);

                if (got < 0) {
                        if (errno == EINTR || errno == ENETDOWN)
                                continue;
                        if (errno != EAGAIN) { /* The port is gone: stop watching it. */
                                (void)epoll_ctl(T.w.epfd, EPOLL_CTL_DEL, x->fd, NULL);
                                x->dead = true;
                        }
                        return;
                }
                translate(x, (size_t)got);
        }
}

static struct xlat *
xlat_find(uint32_t id, unsigned *ret_idx)
{
        for (unsigned i = 0; i < T.n; i++)
                if (T.x[i]->id == id) {
                        *ret_idx = i;
                        return T.x[i];
                }
        return NULL;
}

static void
xlat_free(struct xlat *x)
{
        if (!x->dead)
                (void)epoll_ctl(T.w.epfd, EPOLL_CTL_DEL, x->fd, NULL);
        safe_close(x->fd);
        free(x);
}

static int
do_add(struct cmd *c)
{
        struct epoll_event ev = { .events = EPOLLIN };
        struct xlat *x;

        if (T.n == T.cap) {
                unsigned cap = T.cap ? T.cap * 2 : 8;
                struct xlat **a = reallocarray(T.x, cap, sizeof(*a));

                if (!a)
                        return -ENOMEM;
                T.x = a;
                T.cap = cap;
        }
        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        x->fd = TAKE_FD(c->fd);
        memcpy(x->mac, c->mac, 6);
        ev.data.ptr = x;
        if (epoll_ctl(T.w.epfd, EPOLL_CTL_ADD, x->fd, &ev) < 0) {
                int r = -errno;

                x->dead = true;
                xlat_free(x);
                return r;
        }
        x->id = c->id = ++T.next_id;
        T.x[T.n++] = x;
        return 0;
}

static int
do_cmd(void *ctx, void *cmd)
{
        struct cmd *c = cmd;
        struct xlat *x;
        unsigned idx;

        (void)ctx;
        if (c->type == CMD_ADD)
                return do_add(c);
        x = xlat_find(c->id, &idx);
        if (!x)
                return -ENOENT;
        if (c->type == CMD_REMOVE) {
                T.x[idx] = T.x[--T.n];
                xlat_free(x);
        } else {
                *c->stats = x->st;
        }
        return 0;
}

static void
serve_one(void *ctx, void *ptr)
{
        (void)ctx;
        serve(ptr);
}

static void *
thread_main(void *arg)
{
        (void)arg;
        while (pbl_worker_turn(&T.w, NULL, serve_one))
                ;
        return NULL;
}

static int
start(void)
{
        int r;

        if (T.started)
                return 0;
        T.in = malloc(FRAME_MAX);
        T.out = malloc(FRAME_MAX + PBL_SIIT_GROWTH);
        if (!T.in || !T.out) {
                r = -ENOMEM;
                goto fail;
        }
        r = pbl_worker_start(&T.w, "pb-nat64", thread_main, do_cmd, NULL);
        if (r < 0)
                goto fail;
        T.started = true;
        return 0;
fail:
        free(T.in);
        free(T.out);
        T.in = T.out = NULL;
        return r;
}

void
pbl_nat64_shutdown(void)
{
        if (!T.started)
                return;
        pbl_worker_stop(&T.w);
        for (unsigned i = 0; i < T.n; i++)
                xlat_free(T.x[i]);
        free(T.x);
        free(T.in);
        free(T.out);
        T = (typeof(T)){ .serial = T.serial };
}

/* --- the control side ------------------------------------------------------ */

static int
routes(struct pbl_router *r, int ifindex, struct pbl_error *err)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&r->node);
        struct pbl_route rt = { .oif = ifindex };
        int rr;

        if (!b)
                return -ENOMEM;
        rr = pbl_prefix_parse("64:ff9b::/96", false, &rt.dst);
        rr = rr ?: pbl_rtnl_route(b, true, false, &rt);
        rr = rr ?: pbl_prefix_parse(PBL_NAT64_POOL, false, &rt.dst);
        rr = rr ?: pbl_rtnl_route(b, true, false, &rt);
        return rr ?: pbl_nl_batch_run(b, err);
}

int
pbl_nat64_attach(struct pbl_router *r, struct pbl_error *err)
{
        struct pbl_port port = { .fd = -EBADF };
        struct cmd c = { .type = CMD_ADD, .fd = -EBADF };
        char far[PBL_IFNAME_MAX];
        int rr;

        if (r->nat64_ifindex)
                return 0;
        rr = pbl_ports_init(err);
        if (rr < 0)
                return rr;
        snprintf(far, sizeof(far), "n64-%u", ++T.serial);
        rr = pbl_port_duplex(&r->node, PBL_NAT64_IFNAME, far, &port, err);
        if (rr < 0)
                return rr;
        /* One frame, one IP packet, checksums filled in. */
        rr = pbl_port_offload(&r->node, &port, false);
        if (rr < 0)
                (void)pbl_error_set(err, rr, "turning offloads off on %s in %s", PBL_NAT64_IFNAME,
                                    r->node.name);
        if (rr >= 0) {
                rr = pbl_link_mac(r->node.netfd, port.ifindex, c.mac);
                if (rr < 0)
                        (void)pbl_error_set(err, rr, "reading the MAC of %s", PBL_NAT64_IFNAME);
        }
        rr = rr ?: routes(r, port.ifindex, err);
        rr = rr ?: start();
        if (rr >= 0) {
                c.fd = TAKE_FD(port.fd);
                rr = pbl_worker_call(&T.w, &c);
                safe_close(c.fd); /* Unless the thread took it. */
        }
        if (rr < 0) {
                if (!err->code)
                        (void)pbl_error_set(err, rr, "starting the NAT64 translator of %s",
                                            r->node.name);
                safe_close(port.fd);
                pbl_port_delete(&r->node, &port); /* Its routes go with it. */
                return rr;
        }
        r->nat64_ifindex = port.ifindex;
        r->nat64_id = c.id;
        return 0;
}

void
pbl_nat64_detach(struct pbl_router *r)
{
        struct cmd c = { .type = CMD_REMOVE, .id = r->nat64_id };
        struct pbl_port port = { .fd = -EBADF, .ifindex = r->nat64_ifindex };

        if (!r->nat64_ifindex)
                return;
        if (T.started)
                (void)pbl_worker_call(&T.w, &c); /* -ENOENT: already gone. */
        pbl_port_delete(&r->node, &port);
        r->nat64_ifindex = 0;
        r->nat64_id = 0;
}

int
pbl_nat64_stats(const struct pbl_router *r, struct pbl_nat64_stats *ret)
{
        struct cmd c = { .type = CMD_STATS, .id = r->nat64_id, .stats = ret };

        if (!r->nat64_ifindex || !T.started)
                return -ENOENT;
        return pbl_worker_call(&T.w, &c);
}
