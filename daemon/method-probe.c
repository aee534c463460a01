/* SPDX-License-Identifier: MIT */
/*
 * node.probe: the reference suite's probe_udp / probe_tcp helpers (B.2,
 * B.5), run by the daemon on its loop.  The call is answered later
 * (PBD_REPLY_DEFERRED); each probe is registered as deferred work so that a
 * stopping daemon answers it, and listed so that a removed node or a
 * destroyed lab answers it too.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/queue.h>
#include <sys/socket.h>

#include "daemon.h"
#include "log.h"
#include "pb-macro.h"
#include "probe.h"

#define TIMEOUT_MS_DEFAULT 1000
#define ATTEMPTS_DEFAULT   3
#define TCP_ANSWER_MAX     256 /* Bytes read from a TCP reflector, as the reference does. */
#define UDP_ANSWER_MAX     512 /* The reference reads answers into 512 bytes. */

struct probe {
        struct pbd_deferred dfr;
        TAILQ_ENTRY(probe) link;
        struct pbd_daemon *daemon;
        struct pbd_call *call;
        struct pbd_lab *lab;
        struct pbl_node *node;
        bool tcp;
        bool connected; /* TCP: the current attempt's connection is up. */
        int fd;
        union pb_sockaddr target, bind;
        socklen_t target_len, bind_len; /* bind_len 0: no bind given. */
        char target_text[PB_ENDPOINT_STRLEN];
        char local[PB_ENDPOINT_STRLEN];
        unsigned timeout_ms, attempts, attempt; /* 'attempt' counts from 1. */
        int64_t sent_nsec;                      /* Current attempt's send (UDP) or connect (TCP). */
        double rtt_ms;                          /* TCP: handshake of the current attempt. */
        size_t len;
        char buf[TCP_ANSWER_MAX];
        ev_io io;
        ev_timer timer;
};

static TAILQ_HEAD(, probe) probes = TAILQ_HEAD_INITIALIZER(probes);

static int64_t
now_nsec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
probe_close_socket(struct probe *p)
{
        ev_io_stop(p->daemon->loop, &p->io);
        ev_timer_stop(p->daemon->loop, &p->timer);
        p->fd = safe_close(p->fd);
        p->connected = false;
        p->len = 0;
}

/* Answers the call with 'result' (stolen) or, if NULL, with 'e'; frees 'p'. */
static void
probe_finish(struct probe *p, json_t *result, const struct pb_rpc_error *e)
{
        struct pb_rpc_error oom;

        probe_close_socket(p);
        TAILQ_REMOVE(&probes, p, link);
        pbd_deferred_remove(p->daemon, &p->dfr);
        if (result) {
                pbd_call_reply(p->call, result);
        } else {
                if (!e) {
                        pb_rpc_errorf(&oom, PB_ERR_INTERNAL, "out of memory");
                        e = &oom;
                }
                log_debug("node.probe %s from '%s' failed: %s", p->target_text, p->node->name,
                          e->message);
                pbd_call_fail(p->call, e);
        }
        free(p);
}

static void
probe_fail_system(struct probe *p, int r, const char *what)
{
        struct pb_rpc_error e;
        char op[128];

        snprintf(op, sizeof(op), "%s %s", what, p->target_text);
        pb_rpc_error_system(&e, r, op, NULL);
        probe_finish(p, NULL, &e);
}

/* Parses the answer in 'buf' and finishes the probe with the result or EBADMSG. */
static void
probe_answered(struct probe *p, const char *buf, size_t len, const union pb_sockaddr *local,
               socklen_t local_len, double rtt_ms)
{
        char observed[PB_ENDPOINT_STRLEN], shown[64];
        union pb_sockaddr a;
        struct pb_rpc_error e;
        socklen_t alen;
        size_t k;

        if (local && pb_endpoint_format(&local->sa, local_len, p->local, sizeof(p->local)) < 0)
                p->local[0] = '\0';
        if (pb_observed_parse(buf, len, &a, &alen) < 0 ||
            pb_endpoint_format(&a.sa, alen, observed, sizeof(observed)) < 0) {
                /* Quote the start of what came, printable ASCII only. */
                for (k = 0; k < len && k < sizeof(shown) - 1; k++)
                        shown[k] = buf[k] >= 0x20 && buf[k] < 0x7f ? buf[k] : '?';
                shown[k] = '\0';
                pb_rpc_error_system(&e, -EBADMSG, NULL, NULL);
                snprintf(e.op, sizeof(e.op), "probe %s", p->target_text);
                snprintf(e.message, sizeof(e.message),
                         "probe %s: the answer is not 'OBSERVED <ip>:<port>': '%s'", p->target_text,
                         shown);
                probe_finish(p, NULL, &e);
                return;
        }
        probe_finish(p,
                     json_pack("{s:s, s:s, s:f, s:i}", "observed", observed, "local", p->local,
                               "rtt_ms", rtt_ms, "attempts_used", (int)p->attempt),
                     NULL);
}

/* --- UDP ---------------------------------------------------------------- */

static void
udp_receive(struct probe *p)
{
        char buf[UDP_ANSWER_MAX], cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
        union pb_sockaddr from, local;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
        struct msghdr msg = {
                .msg_name = &from,
                .msg_namelen = sizeof(from),
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = cbuf,
                .msg_controllen = sizeof(cbuf),
        };
        socklen_t local_len = sizeof(local);
        struct cmsghdr *c;
        int64_t now;
        ssize_t n;

        n = recvmsg(p->fd, &msg, MSG_DONTWAIT);
        now = now_nsec();
        if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                        return;
                probe_fail_system(p, -errno, "recvmsg from");
                return;
        }
        /* The local address: as bound, or where the answer was sent to. */
        if (getsockname(p->fd, &local.sa, &local_len) < 0) {
                probe_fail_system(p, -errno, "getsockname for");
                return;
        }
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (local.sa.sa_family == AF_INET && c->cmsg_level == IPPROTO_IP &&
                    c->cmsg_type == IP_PKTINFO && local.in.sin_addr.s_addr == htonl(INADDR_ANY)) {
                        struct in_pktinfo pi;

                        memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                        local.in.sin_addr = pi.ipi_addr;
                } else if (local.sa.sa_family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
                           c->cmsg_type == IPV6_PKTINFO &&
                           IN6_IS_ADDR_UNSPECIFIED(&local.in6.sin6_addr)) {
                        struct in6_pktinfo pi;

                        memcpy(&pi, CMSG_DATA(c), sizeof(pi));
                        local.in6.sin6_addr = pi.ipi6_addr;
                        if (IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr))
                                local.in6.sin6_scope_id = (uint32_t)pi.ipi6_ifindex;
                }
        }
        probe_answered(p, buf, (size_t)n, &local, local_len, (double)(now - p->sent_nsec) / 1e6);
}

/* Sends one PROBE.  Returns 0, or a negative errno when the node cannot send at all. */
static int
udp_send(struct probe *p)
{
        ssize_t n;

        p->sent_nsec = now_nsec();
        n = sendto(p->fd, PB_PROBE_PAYLOAD, strlen(PB_PROBE_PAYLOAD), MSG_DONTWAIT | MSG_NOSIGNAL,
                   &p->target.sa, p->target_len);
        if (n >= 0)
                return 0;
        /* A full queue loses this attempt like the network would. */
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR)
                return 0;
        return -errno;
}

/* --- TCP ---------------------------------------------------------------- */

static void
tcp_connected(struct probe *p)
{
        union pb_sockaddr local;
        socklen_t local_len = sizeof(local);
        int err = 0;
        socklen_t len = sizeof(err);

        if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
        if (err == EINPROGRESS || err == EALREADY)
                return;
        if (err != 0) {
                probe_fail_system(p, -err, "connect");
                return;
        }
        p->rtt_ms = (double)(now_nsec() - p->sent_nsec) / 1e6;
        p->connected = true;
        if (getsockname(p->fd, &local.sa, &local_len) < 0 ||
            pb_endpoint_format(&local.sa, local_len, p->local, sizeof(p->local)) < 0)
                p->local[0] = '\0';
        ev_io_stop(p->daemon->loop, &p->io);
        ev_io_set(&p->io, p->fd, EV_READ);
        ev_io_start(p->daemon->loop, &p->io);
}

static void
tcp_receive(struct probe *p)
{
        ssize_t n;

        for (;;) {
                n = recv(p->fd, p->buf + p->len, sizeof(p->buf) - p->len, MSG_DONTWAIT);
                if (n > 0) {
                        p->len += (size_t)n;
                        if (p->len < sizeof(p->buf))
                                continue;
                        break; /* Full: that is all we read. */
                }
                if (n == 0)
                        break; /* EOF: the answer is complete. */
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return;
                /* A reset right after the answer still leaves the answer. */
                if (p->len > 0)
                        break;
                probe_fail_system(p, -errno, "recv from");
                return;
        }
        probe_answered(p, p->buf, p->len, NULL, 0, p->rtt_ms);
}

/* Socket, bind and (non-blocking) connect for one TCP attempt. */
static int
tcp_connect(struct probe *p, struct pb_rpc_error *reterr)
{
        char op[128];
        int one = 1;

        p->fd = pbd_node_socket(p->node, p->target.sa.sa_family, SOCK_STREAM, reterr);
        if (p->fd < 0)
                return p->fd;
        if (p->bind_len > 0) {
                if (setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                        return pb_rpc_error_system(reterr, -errno, "setsockopt SO_REUSEADDR", NULL);
                if (bind(p->fd, &p->bind.sa, p->bind_len) < 0) {
                        int r = -errno;
                        char text[PB_ENDPOINT_STRLEN];

                        if (pb_endpoint_format(&p->bind.sa, p->bind_len, text, sizeof(text)) < 0)
                                text[0] = '\0';
                        snprintf(op, sizeof(op), "bind %s", text);
                        return pb_rpc_error_system(reterr, r, op, NULL);
                }
        }
        p->sent_nsec = now_nsec();
        if (connect(p->fd, &p->target.sa, p->target_len) < 0 && errno != EINPROGRESS) {
                int r = -errno;

                snprintf(op, sizeof(op), "connect %s", p->target_text);
                return pb_rpc_error_system(reterr, r, op, NULL);
        }
        return 0;
}

/* --- attempts ----------------------------------------------------------- */

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
        struct probe *p = container_of(w, struct probe, io);

        if (!p->tcp)
                udp_receive(p);
        else if (!p->connected)
                tcp_connected(p);
        else
                tcp_receive(p);
}

/*
 * Starts attempt number p->attempt: UDP sends on the probe's one socket,
 * TCP opens a new connection.  Returns 0, or a negative errno with 'reterr'.
 */
static int
attempt_start(struct probe *p, struct pb_rpc_error *reterr)
{
        char op[128];
        int r;

        if (p->tcp) {
                probe_close_socket(p);
                r = tcp_connect(p, reterr);
                if (r < 0)
                        return r;
                ev_io_set(&p->io, p->fd, EV_WRITE);
        } else {
                r = udp_send(p);
                if (r < 0) {
                        snprintf(op, sizeof(op), "sendto %s", p->target_text);
                        return pb_rpc_error_system(reterr, r, op, NULL);
                }
                ev_timer_stop(p->daemon->loop, &p->timer);
        }
        if (!ev_is_active(&p->io))
                ev_io_start(p->daemon->loop, &p->io);
        ev_timer_set(&p->timer, (double)p->timeout_ms / 1000., 0.);
        ev_timer_start(p->daemon->loop, &p->timer);
        return 0;
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct probe *p = container_of(w, struct probe, timer);
        struct pb_rpc_error e;
        bool connected = p->connected;
        const char *what;

        /* TCP: an answer without EOF is still an answer. */
        if (p->tcp && p->len > 0) {
                probe_answered(p, p->buf, p->len, NULL, 0, p->rtt_ms);
                return;
        }
        if (p->attempt < p->attempts) {
                p->attempt++;
                if (attempt_start(p, &e) < 0)
                        probe_finish(p, NULL, &e);
                return;
        }
        what = !p->tcp ? "" : connected ? " (connected, no answer)" : " (no connection)";
        pb_rpc_errorf(&e, PB_ERR_TIMEOUT, "%s probe to %s timed out after %u attempt%s of %u ms%s",
                      p->tcp ? "TCP" : "UDP", p->target_text, p->attempts,
                      p->attempts == 1 ? "" : "s", p->timeout_ms, what);
        probe_finish(p, NULL, &e);
}

static void
probe_cancel(struct pbd_deferred *dfr)
{
        struct probe *p = container_of(dfr, struct probe, dfr);
        struct pb_rpc_error e;

        pb_rpc_errorf(&e, PB_ERR_SHUTTING_DOWN,
                      "probe %s from '%s' cancelled: daemon shutting down", p->target_text,
                      p->node->name);
        probe_finish(p, NULL, &e);
}

void
pbd_probes_cancel(struct pbd_lab *lab, struct pbl_node *node, const char *why)
{
        struct probe *p, *next;

        for (p = TAILQ_FIRST(&probes); p; p = next) {
                struct pb_rpc_error e;

                next = TAILQ_NEXT(p, link);
                if (p->lab != lab || (node && p->node != node))
                        continue;
                pb_rpc_error_system(&e, -ECANCELED, NULL, NULL);
                snprintf(e.op, sizeof(e.op), "probe %s from %s", p->target_text, p->node->name);
                snprintf(e.message, sizeof(e.message), "probe %s from '%s' cancelled: %s",
                         p->target_text, p->node->name, why);
                probe_finish(p, NULL, &e);
        }
}

/* --- node.probe --------------------------------------------------------- */

/* The UDP socket of a probe: bound, and told to report where answers arrive. */
static int
udp_open(struct probe *p, struct pb_rpc_error *reterr)
{
        char op[128], text[PB_ENDPOINT_STRLEN];
        int one = 1, family = p->target.sa.sa_family;

        p->fd = pbd_node_socket(p->node, family, SOCK_DGRAM, reterr);
        if (p->fd < 0)
                return p->fd;
        if (family == AF_INET
                    ? setsockopt(p->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
                    : setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)))
                return pb_rpc_error_system(reterr, -errno, "setsockopt PKTINFO", NULL);
        if (bind(p->fd, &p->bind.sa, p->bind_len) < 0) {
                int r = -errno;

                if (pb_endpoint_format(&p->bind.sa, p->bind_len, text, sizeof(text)) < 0)
                        text[0] = '\0';
                snprintf(op, sizeof(op), "bind %s", text);
                return pb_rpc_error_system(reterr, r, op, NULL);
        }
        ev_io_set(&p->io, p->fd, EV_READ);
        return 0;
}

static unsigned
count_probes(const struct pbd_lab *lab)
{
        struct probe *p;
        unsigned n = 0;

        TAILQ_FOREACH (p, &probes, link)
                n += p->lab == lab;
        return n;
}

static unsigned
uint_param(json_t *params, const char *name, unsigned dflt)
{
        json_t *v = json_object_get(params, name);

        return v ? (unsigned)json_integer_value(v) : dflt; /* The schema checked the range. */
}

int
pbd_method_node_probe(struct pbd_call *call, json_t *params, json_t **ret_result,
                      struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        const char *proto = json_string_value(json_object_get(params, "proto"));
        _cleanup_free_ struct probe *p = NULL;
        struct pbl_node *node;
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_node(d, params, "node", &lab, &node, reterr);
        if (r < 0)
                return r;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->fd = -EBADF;
        r = pbd_endpoint_param(params, "target", false, &p->target, &p->target_len, reterr);
        if (r != 0)
                return r < 0 ? r : pb_rpc_error_param(reterr, "target", "missing 'target'");
        r = pbd_endpoint_param(params, "bind", true, &p->bind, &p->bind_len, reterr);
        if (r < 0)
                return r;
        if (r == 0 && p->bind.sa.sa_family != p->target.sa.sa_family)
                return pb_rpc_error_param(reterr, "bind",
                                          "'bind' is an IPv%c address but 'target' an IPv%c one",
                                          p->bind.sa.sa_family == AF_INET ? '4' : '6',
                                          p->target.sa.sa_family == AF_INET ? '4' : '6');
        if (r == 1) {
                /* Unspecified address of the target's family, port 0 (TCP: no bind at all). */
                p->bind_len = 0;
                memset(&p->bind, 0, sizeof(p->bind));
                p->bind.sa.sa_family = p->target.sa.sa_family;
        }
        if (count_probes(lab) >= PBD_PROBES_MAX)
                return pb_rpc_errorf(reterr, PB_ERR_LIMIT,
                                     "lab '%s' already has %d probes in flight", lab->name,
                                     PBD_PROBES_MAX);
        if (pb_endpoint_format(&p->target.sa, p->target_len, p->target_text,
                               sizeof(p->target_text)) < 0)
                return -EINVAL;
        p->daemon = d;
        p->lab = lab;
        p->node = node;
        p->tcp = proto && strcmp(proto, "tcp") == 0;
        p->timeout_ms = uint_param(params, "timeout_ms", TIMEOUT_MS_DEFAULT);
        p->attempts = uint_param(params, "attempts", ATTEMPTS_DEFAULT);
        p->attempt = 1;
        ev_io_init(&p->io, on_io, -1, EV_READ);
        ev_timer_init(&p->timer, on_timeout, 0., 0.);

        if (!p->tcp) {
                if (p->bind_len == 0)
                        p->bind_len = p->target.sa.sa_family == AF_INET ? sizeof(p->bind.in)
                                                                        : sizeof(p->bind.in6);
                r = udp_open(p, reterr);
                if (r < 0) {
                        safe_close(p->fd);
                        return r;
                }
        }
        r = attempt_start(p, reterr);
        if (r < 0) {
                probe_close_socket(p);
                return r;
        }
        p->call = call;
        p->dfr.cancel = probe_cancel;
        pbd_deferred_add(d, &p->dfr);
        TAILQ_INSERT_TAIL(&probes, p, link);
        p = NULL; /* Owned by the list now. */
        return PBD_REPLY_DEFERRED;
}
