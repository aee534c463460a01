/* SPDX-License-Identifier: MIT */
/*
 * Reflectors (node.reflector, node.reflector_stop): sockets inside a node's
 * network namespace, served on the daemon's loop, that answer every UDP
 * datagram or TCP connection with "OBSERVED <peer>" (proto/pb-observed.h).
 * Also the module's hooks for labs.h and its method table; probes live in
 * method-probe.c.
 *
 * Reflectors hang off one daemon-wide list, each pointing at its lab and
 * node; the hooks drop them before either goes away.
 */
#include "probe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>
#include <sys/socket.h>

#include "daemon.h"
#include "log.h"
#include "netns.h"
#include "pb-macro.h"

#define UDP_BUF_SIZE  (64 * 1024) /* Largest datagram read; the rest is cut off. */
#define UDP_BATCH     64          /* Datagrams per wake-up, then other watchers get a turn. */
#define ACCEPT_BATCH  64
#define TCP_BACKLOG   128
#define TCP_LINGERS   64  /* Answered connections kept open for the peer's EOF, per reflector. */
#define TCP_LINGER_S  2.0 /* ... for at most this long. */
#define TCP_DRAIN_MAX 16  /* Reads per wake-up of such a connection. */
#define RETRY_S       0.1 /* Accepting pauses this long when descriptors run out. */

struct reflector;

/*
 * A TCP connection that got its answer: half-closed by us, kept until the
 * peer closes too (or TCP_LINGER_S passed) so that closing it with data
 * unread does not reset it under the peer.
 */
struct tcp_linger {
        TAILQ_ENTRY(tcp_linger) link;
        struct reflector *refl;
        int fd;
        ev_io io;
        ev_timer timer;
};

struct reflector {
        TAILQ_ENTRY(reflector) link;
        struct pbd_lab *lab;
        struct pbl_node *node;
        unsigned id;
        bool tcp;
        int fd;
        char bind[PB_ENDPOINT_STRLEN]; /* As bound. */
        ev_io io;
        ev_timer retry;
        TAILQ_HEAD(, tcp_linger) lingers;
        unsigned n_lingers;
};

static TAILQ_HEAD(, reflector) reflectors = TAILQ_HEAD_INITIALIZER(reflectors);
static unsigned next_id = 1;
static char scratch[UDP_BUF_SIZE]; /* Datagrams and drained bytes: never looked at. */

static struct ev_loop *
loop_of(const struct reflector *rf)
{
        return rf->lab->daemon->loop;
}

/* --- shared with method-probe.c ----------------------------------------- */

int
pbd_endpoint_param(json_t *params, const char *name, bool allow_port0, union pb_sockaddr *ret,
                   socklen_t *ret_len, struct pb_rpc_error *reterr)
{
        json_t *v = json_object_get(params, name);
        const char *text = json_string_value(v);

        if (!v)
                return 1;
        if (!text || pb_endpoint_parse(text, strlen(text), ret, ret_len) < 0)
                return pb_rpc_error_param(reterr, name,
                                          "'%s' is not a socket address (a.b.c.d:port or "
                                          "[v6]:port): '%.64s'",
                                          name, text ? text : "");
        if (!allow_port0 && pb_endpoint_port(ret) == 0)
                return pb_rpc_error_param(reterr, name, "'%s' needs a port from 1 to 65535: '%s'",
                                          name, text);
        return 0;
}

int
pbd_node_socket(struct pbl_node *node, int family, int type, struct pb_rpc_error *reterr)
{
        char op[128];
        int fd, one = 1;

        fd = pbl_netns_socket(node->netfd, family, type | SOCK_NONBLOCK, 0);
        if (fd < 0) {
                snprintf(op, sizeof(op), "socket in node '%s'", node->name);
                return pb_rpc_error_system(reterr, fd, op, NULL);
        }
        /* v6 sockets see v6 peers only: what they report is what the kernel says. */
        if (family == AF_INET6 &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
                int r = -errno;

                safe_close(fd);
                return pb_rpc_error_system(reterr, r, "setsockopt IPV6_V6ONLY", NULL);
        }
        return fd;
}

/* --- serving ------------------------------------------------------------ */

static void
linger_free(struct tcp_linger *l)
{
        struct reflector *rf = l->refl;

        ev_io_stop(loop_of(rf), &l->io);
        ev_timer_stop(loop_of(rf), &l->timer);
        safe_close(l->fd);
        TAILQ_REMOVE(&rf->lingers, l, link);
        rf->n_lingers--;
        free(l);
}

static void
on_linger_readable(struct ev_loop *loop, ev_io *w, int revents)
{
        struct tcp_linger *l = container_of(w, struct tcp_linger, io);

        for (int i = 0; i < TCP_DRAIN_MAX; i++) {
                ssize_t n = recv(l->fd, scratch, sizeof(scratch), MSG_DONTWAIT);

                if (n > 0)
                        continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                        return;
                linger_free(l); /* EOF, or the connection failed: done either way. */
                return;
        }
}

static void
on_linger_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
        linger_free(container_of(w, struct tcp_linger, timer));
}

static void
tcp_answer(struct reflector *rf, int fd, const union pb_sockaddr *peer, socklen_t peer_len)
{
        char text[PB_OBSERVED_STRLEN];
        struct tcp_linger *l;
        ssize_t n;
        int len;

        len = pb_observed_format(&peer->sa, peer_len, text, sizeof(text));
        if (len < 0) {
                log_debug_errno(len, "reflector %u: cannot format a peer address: %m", rf->id);
                safe_close(fd);
                return;
        }
        /* A new connection's send buffer is empty: the few bytes always fit at once. */
        n = send(fd, text, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n != len) {
                log_debug_errno(n < 0 ? -errno : -EAGAIN, "reflector %u: answering %s: %m", rf->id,
                                text + strlen(PB_OBSERVED_PREFIX));
                safe_close(fd);
                return;
        }
        if (rf->n_lingers >= TCP_LINGERS || shutdown(fd, SHUT_WR) < 0 ||
            !(l = calloc(1, sizeof(*l)))) {
                safe_close(fd);
                return;
        }
        l->refl = rf;
        l->fd = fd;
        ev_io_init(&l->io, on_linger_readable, fd, EV_READ);
        ev_timer_init(&l->timer, on_linger_timeout, TCP_LINGER_S, 0.);
        ev_io_start(loop_of(rf), &l->io);
        ev_timer_start(loop_of(rf), &l->timer);
        TAILQ_INSERT_TAIL(&rf->lingers, l, link);
        rf->n_lingers++;
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
        struct reflector *rf = container_of(w, struct reflector, io);

        for (int i = 0; i < ACCEPT_BATCH; i++) {
                union pb_sockaddr peer;
                socklen_t peer_len = sizeof(peer);
                int fd;

                fd = accept4(rf->fd, &peer.sa, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd >= 0) {
                        tcp_answer(rf, fd, &peer, peer_len);
                        continue;
                }
                switch (errno) {
                case EAGAIN:
#if EWOULDBLOCK != EAGAIN
                case EWOULDBLOCK:
#endif
                        return;
                case EMFILE:
                case ENFILE:
                case ENOBUFS:
                case ENOMEM:
                        /* Out of descriptors: pause rather than spin on a ready socket. */
                        log_warning_errno(-errno, "reflector %u: accept: %m, pausing for 100 ms",
                                          rf->id);
                        ev_io_stop(loop, w);
                        ev_timer_start(loop, &rf->retry);
                        return;
                default:
                        /* ECONNABORTED and network errors of one pending connection. */
                        log_debug_errno(-errno, "reflector %u: accept: %m", rf->id);
                        continue;
                }
        }
}

static void
on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct reflector *rf = container_of(w, struct reflector, retry);

        ev_io_start(loop, &rf->io);
}

static void
on_datagram(struct ev_loop *loop, ev_io *w, int revents)
{
        struct reflector *rf = container_of(w, struct reflector, io);

        for (int i = 0; i < UDP_BATCH; i++) {
                char text[PB_OBSERVED_STRLEN];
                union pb_sockaddr peer;
                socklen_t peer_len = sizeof(peer);
                ssize_t n;
                int len;

                n = recvfrom(rf->fd, scratch, sizeof(scratch), MSG_DONTWAIT, &peer.sa, &peer_len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                log_debug_errno(-errno, "reflector %u: recvfrom: %m", rf->id);
                        return;
                }
                len = pb_observed_format(&peer.sa, peer_len, text, sizeof(text));
                if (len < 0)
                        continue;
                /* UDP is lossy anyway: a full send buffer drops the answer. */
                if (sendto(rf->fd, text, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL, &peer.sa,
                           peer_len) < 0)
                        log_debug_errno(-errno, "reflector %u: answering %s: %m", rf->id,
                                        text + strlen(PB_OBSERVED_PREFIX));
        }
}

static void
reflector_free(struct reflector *rf)
{
        struct tcp_linger *l;

        while ((l = TAILQ_FIRST(&rf->lingers)))
                linger_free(l);
        ev_io_stop(loop_of(rf), &rf->io);
        ev_timer_stop(loop_of(rf), &rf->retry);
        safe_close(rf->fd);
        TAILQ_REMOVE(&reflectors, rf, link);
        free(rf);
}

static json_t *
reflector_json(const struct reflector *rf)
{
        return json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)rf->id, "node", rf->node->name,
                         "bind", rf->bind, "proto", rf->tcp ? "tcp" : "udp");
}

/* Emits reflector_stopped and frees 'rf'. */
static void
reflector_stop(struct reflector *rf, const char *reason)
{
        json_t *fields = reflector_json(rf);

        if (fields && json_object_set_new(fields, "reason", json_string(reason)) < 0)
                fields = (json_decref(fields), NULL);
        if (fields)
                pbd_event(rf->lab, "reflector_stopped", fields);
        else
                log_warning("lab '%s': out of memory building reflector_stopped", rf->lab->name);
        reflector_free(rf);
}

/* --- methods ------------------------------------------------------------ */

static unsigned
count_reflectors(const struct pbd_lab *lab)
{
        struct reflector *rf;
        unsigned n = 0;

        TAILQ_FOREACH (rf, &reflectors, link)
                n += rf->lab == lab;
        return n;
}

/* Socket, options, bind, listen: returns the ready fd or a negative errno with 'reterr'. */
static int
open_reflector(struct pbl_node *node, bool tcp, const union pb_sockaddr *addr, socklen_t addr_len,
               const char *text, struct pb_rpc_error *reterr)
{
        _cleanup_close_ int fd = -EBADF;
        char op[128];
        int one = 1;

        fd = pbd_node_socket(node, addr->sa.sa_family, tcp ? SOCK_STREAM : SOCK_DGRAM, reterr);
        if (fd < 0)
                return fd;
        /*
         * TCP only: rebinding right after a stop must not wait for TIME_WAIT.
         * UDP sockets stay exclusive, so two UDP reflectors on one address
         * fail with EADDRINUSE instead of silently sharing it.
         */
        if (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
                return pb_rpc_error_system(reterr, -errno, "setsockopt SO_REUSEADDR", NULL);
        if (bind(fd, &addr->sa, addr_len) < 0) {
                snprintf(op, sizeof(op), "bind %s", text);
                return pb_rpc_error_system(reterr, -errno, op, NULL);
        }
        if (tcp && listen(fd, TCP_BACKLOG) < 0) {
                snprintf(op, sizeof(op), "listen %s", text);
                return pb_rpc_error_system(reterr, -errno, op, NULL);
        }
        return TAKE_FD(fd);
}

static int
method_reflector(struct pbd_call *call, json_t *params, json_t **ret_result,
                 struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        const char *proto = json_string_value(json_object_get(params, "proto"));
        const char *text = json_string_value(json_object_get(params, "bind"));
        _cleanup_close_ int fd = -EBADF;
        union pb_sockaddr addr, bound;
        socklen_t addr_len, bound_len = sizeof(bound);
        struct pbl_node *node;
        struct reflector *rf;
        struct pbd_lab *lab;
        json_t *res;
        bool tcp = proto && strcmp(proto, "tcp") == 0;
        int r;

        r = pbd_lookup_node(d, params, "node", &lab, &node, reterr);
        if (r < 0)
                return r;
        r = pbd_endpoint_param(params, "bind", true, &addr, &addr_len, reterr);
        if (r != 0)
                return r < 0 ? r : pb_rpc_error_param(reterr, "bind", "missing parameter 'bind'");
        if (count_reflectors(lab) >= PBD_REFLECTORS_MAX)
                return pb_rpc_errorf(reterr, PB_ERR_LIMIT, "lab '%s' already runs %d reflectors",
                                     lab->name, PBD_REFLECTORS_MAX);
        fd = open_reflector(node, tcp, &addr, addr_len, text, reterr);
        if (fd < 0)
                return fd;
        if (getsockname(fd, &bound.sa, &bound_len) < 0)
                return pb_rpc_error_system(reterr, -errno, "getsockname", NULL);

        rf = calloc(1, sizeof(*rf));
        if (!rf)
                return -ENOMEM;
        r = pb_endpoint_format(&bound.sa, bound_len, rf->bind, sizeof(rf->bind));
        if (r < 0) {
                free(rf);
                return pb_rpc_error_system(reterr, r, "formatting the bound address", NULL);
        }
        rf->lab = lab;
        rf->node = node;
        rf->tcp = tcp;
        rf->fd = TAKE_FD(fd);
        rf->id = next_id++;
        TAILQ_INIT(&rf->lingers);
        ev_io_init(&rf->io, tcp ? on_accept : on_datagram, rf->fd, EV_READ);
        ev_timer_init(&rf->retry, on_accept_retry, RETRY_S, 0.);
        res = reflector_json(rf);
        if (!res) {
                safe_close(rf->fd);
                free(rf);
                return -ENOMEM;
        }
        TAILQ_INSERT_TAIL(&reflectors, rf, link);
        ev_io_start(d->loop, &rf->io);
        log_debug("lab '%s': reflector %u (%s %s) in '%s'", lab->name, rf->id,
                  proto ? proto : "udp", rf->bind, node->name);
        pbd_event(lab, "reflector_started", json_incref(res));
        *ret_result = res;
        return 0;
}

static int
method_reflector_stop(struct pbd_call *call, json_t *params, json_t **ret_result,
                      struct pb_rpc_error *reterr)
{
        json_int_t id = json_integer_value(json_object_get(params, "id"));
        struct reflector *rf;
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        if (r < 0)
                return r;
        TAILQ_FOREACH (rf, &reflectors, link)
                if (rf->lab == lab && (json_int_t)rf->id == id)
                        break;
        if (!rf)
                return pb_rpc_error_param(reterr, "id", "lab '%s' runs no reflector %lld",
                                          lab->name, (long long)id);
        *ret_result = json_object();
        if (!*ret_result)
                return -ENOMEM;
        reflector_stop(rf, "stopped");
        return 0;
}

/* --- hooks (labs.h) ----------------------------------------------------- */

void
pbd_probe_node_gone(struct pbd_lab *lab, struct pbl_node *node)
{
        struct reflector *rf, *next;

        for (rf = TAILQ_FIRST(&reflectors); rf; rf = next) {
                next = TAILQ_NEXT(rf, link);
                if (rf->lab == lab && rf->node == node)
                        reflector_stop(rf, "node_removed");
        }
        pbd_probes_cancel(lab, node, "node removed");
}

void
pbd_probe_lab_gone(struct pbd_lab *lab)
{
        struct reflector *rf, *next;

        /* No reflector_stopped events: lab_destroyed says it all. */
        for (rf = TAILQ_FIRST(&reflectors); rf; rf = next) {
                next = TAILQ_NEXT(rf, link);
                if (rf->lab == lab)
                        reflector_free(rf);
        }
        pbd_probes_cancel(lab, NULL, "lab destroyed");
}

json_t *
pbd_probe_state(struct pbd_lab *lab)
{
        json_auto_t *list = json_array();
        struct reflector *rf;

        if (!list)
                return NULL;
        TAILQ_FOREACH (rf, &reflectors, link)
                if (rf->lab == lab && json_array_append_new(list, reflector_json(rf)) < 0)
                        return NULL;
        return TAKE_PTR(list);
}

/* Sorted by name. */
const struct pbd_method pbd_methods_probe[] = {
        { "node.probe", pbd_method_node_probe, 0 },
        { "node.reflector", method_reflector, PBD_METHOD_MUTATES },
        { "node.reflector_stop", method_reflector_stop, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_probe_count = ELEMENTSOF(pbd_methods_probe);
