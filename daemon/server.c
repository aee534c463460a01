/* SPDX-License-Identifier: MIT */
#include "server.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/socket.h>

#include "conn.h"
#include "daemon.h"
#include "log.h"
#include "pb-macro.h"
#include "pb-rpc.h"

/* Sends one error frame on a connection we are about to refuse, best effort. */
static void
refuse(int fd, enum pb_err err, const char *message)
{
        struct pb_rpc_error e;
        json_auto_t *msg = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len;

        pb_rpc_errorf(&e, err, "%s", message);
        msg = pb_rpc_build_error(NULL, &e);
        if (msg && (buf = pb_rpc_encode(msg, &len)))
                (void)!send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void
on_accept_retry(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct pbd_server *s = container_of(w, struct pbd_server, accept_retry);

        if (!s->daemon->stopping)
                ev_io_start(loop, &s->accept_io);
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
        struct pbd_server *s = container_of(w, struct pbd_server, accept_io);
        struct pbd_daemon *d = s->daemon;

        /* Drain the backlog, but give other watchers a turn now and then. */
        for (int i = 0; i < 64; i++) {
                struct ucred cred;
                socklen_t len = sizeof(cred);
                struct pbd_conn *c;
                int fd, r;

                fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
                                return;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                            errno == ENOMEM) {
                                /* Out of descriptors: pause instead of spinning. */
                                log_warning_errno(-errno, "accept: %m, pausing for 100 ms");
                                ev_io_stop(loop, w);
                                ev_timer_start(loop, &s->accept_retry);
                                return;
                        }
                        log_error_errno(-errno, "accept: %m");
                        return;
                }
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        log_warning_errno(-errno, "SO_PEERCRED: %m, refusing connection");
                        safe_close(fd);
                        continue;
                }
                /* Inside our user namespace our own uid reads as 0, and so does
                 * real root when we are real root. */
                if (cred.uid != geteuid()) {
                        s->n_refused++;
                        log_warning("refusing connection from uid %u pid %d: not our user",
                                    (unsigned)cred.uid, (int)cred.pid);
                        refuse(fd, PB_ERR_SYSTEM, "permission denied: not the daemon's user");
                        safe_close(fd);
                        continue;
                }
                if (s->n_conns >= d->cfg.max_connections) {
                        s->n_refused++;
                        log_warning("refusing connection: %u connections open", s->n_conns);
                        refuse(fd, PB_ERR_LIMIT, "too many connections");
                        safe_close(fd);
                        continue;
                }
                r = pbd_conn_new(s, fd, ++s->next_id, cred.uid, cred.pid, &c);
                if (r < 0) {
                        log_error_errno(r, "new connection: %m");
                        continue;
                }
                s->n_accepted++;
                log_debug("%s: connected (pid %d)", pbd_conn_name(c), (int)cred.pid);
        }
}

int
pbd_server_new(struct pbd_daemon *d, int fd, struct pbd_server **ret)
{
        struct pbd_server *s = calloc(1, sizeof(*s));

        if (!s)
                return -ENOMEM;
        s->daemon = d;
        s->fd = fd;
        TAILQ_INIT(&s->conns);
        ev_io_init(&s->accept_io, on_accept, fd, EV_READ);
        ev_timer_init(&s->accept_retry, on_accept_retry, 0.1, 0.);
        ev_io_start(d->loop, &s->accept_io);
        *ret = s;
        return 0;
}

void
pbd_server_stop_accepting(struct pbd_server *s)
{
        ev_io_stop(s->daemon->loop, &s->accept_io);
        ev_timer_stop(s->daemon->loop, &s->accept_retry);
}

struct pbd_server *
pbd_server_free(struct pbd_server *s)
{
        if (!s)
                return NULL;
        pbd_server_stop_accepting(s);
        pbd_conn_close_all(s, "daemon shutting down");
        free(s);
        return NULL;
}
