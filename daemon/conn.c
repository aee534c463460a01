/* SPDX-License-Identifier: MIT */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "daemon.h"
#include "dispatch.h"
#include "log.h"
#include "pb-frame.h"
#include "pb-macro.h"
#include "pb-rpc.h"
#include "server.h"

/* Input buffer bounds: a whole frame plus its delimiter must fit. */
#define IN_INITIAL     (16u * 1024)
#define IN_MAX         (PB_FRAME_MAX + 2u)
#define READ_MIN_SPACE (4u * 1024)
/* Frames handled per wakeup before yielding to other connections. */
#define FRAMES_PER_WAKE 64
/* Stop reading requests while this much output waits; resume below the low mark. */
#define PAUSE_HIGH (1024u * 1024)
#define PAUSE_LOW  (256u * 1024)

struct out_chunk {
        TAILQ_ENTRY(out_chunk) link;
        size_t len, off;
        unsigned n_fds;
        int fds[PBD_CONN_MAX_FDS];
        char data[];
};

struct pbd_conn {
        TAILQ_ENTRY(pbd_conn) link;
        struct pbd_server *server;
        struct ev_loop *loop;
        unsigned refs;
        uint64_t id;
        char name[64];
        int fd;
        uid_t uid;
        pid_t pid;
        bool open;
        bool closing;       /* Close once the output queue is empty. */
        bool paused;        /* Not reading: too much output waiting. */
        const char *doomed; /* Set: closes on the next loop iteration, for this reason. */

        ev_timer doom;
        ev_io rio, wio;
        ev_timer stall;
        ev_idle more;

        char *in;
        size_t in_len, in_cap, scanned;

        TAILQ_HEAD(, out_chunk) out;
        size_t out_bytes;

        TAILQ_HEAD(, pbd_conn_hook) hooks;
};

static void process_frames(struct pbd_conn *c);

static void
on_doom(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct pbd_conn *c = container_of(w, struct pbd_conn, doom);

        pbd_conn_close(c, c->doomed);
}

/*
 * Closes 'c' on the next loop iteration.  Sending happens inside handlers,
 * and closing runs the connection's hooks, which may destroy labs the
 * handler is still using; so a failed send only dooms the connection.
 */
static void
doom(struct pbd_conn *c, const char *why)
{
        if (!c->open || c->doomed)
                return;
        c->doomed = why;
        ev_io_stop(c->loop, &c->rio);
        ev_io_stop(c->loop, &c->wio);
        ev_timer_stop(c->loop, &c->stall);
        ev_idle_stop(c->loop, &c->more);
        ev_timer_start(c->loop, &c->doom);
}

static struct pbd_daemon *
daemon_of(const struct pbd_conn *c)
{
        return c->server->daemon;
}

static void
chunk_free(struct out_chunk *ch)
{
        for (unsigned i = 0; i < ch->n_fds; i++)
                safe_close(ch->fds[i]);
        free(ch);
}

static void
update_reading(struct pbd_conn *c)
{
        bool want = c->open && !c->doomed && !c->closing && !c->paused;

        if (want && !ev_is_active(&c->rio))
                ev_io_start(c->loop, &c->rio);
        else if (!want && ev_is_active(&c->rio))
                ev_io_stop(c->loop, &c->rio);
}

/* Writes as much queued output as the socket takes.  Returns 0 or a negative errno. */
static int
write_out(struct pbd_conn *c)
{
        struct out_chunk *ch;
        bool progress = false;

        while ((ch = TAILQ_FIRST(&c->out))) {
                struct iovec iov = { ch->data + ch->off, ch->len - ch->off };
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int) * PBD_CONN_MAX_FDS)];
                } ctl;
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n;

                if (ch->off == 0 && ch->n_fds > 0) {
                        struct cmsghdr *cm;

                        memset(&ctl, 0, sizeof(ctl));
                        mh.msg_control = ctl.buf;
                        mh.msg_controllen = CMSG_SPACE(sizeof(int) * ch->n_fds);
                        cm = CMSG_FIRSTHDR(&mh);
                        cm->cmsg_level = SOL_SOCKET;
                        cm->cmsg_type = SCM_RIGHTS;
                        cm->cmsg_len = CMSG_LEN(sizeof(int) * ch->n_fds);
                        memcpy(CMSG_DATA(cm), ch->fds, sizeof(int) * ch->n_fds);
                }
                n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                break;
                        return -errno;
                }
                progress = true;
                if (ch->off == 0)
                        for (unsigned i = 0; i < ch->n_fds; i++)
                                ch->fds[i] = safe_close(ch->fds[i]);
                ch->n_fds = 0;
                ch->off += (size_t)n;
                c->out_bytes -= (size_t)n;
                if (ch->off < ch->len)
                        break;
                TAILQ_REMOVE(&c->out, ch, link);
                chunk_free(ch);
        }

        if (TAILQ_EMPTY(&c->out)) {
                ev_io_stop(c->loop, &c->wio);
                ev_timer_stop(c->loop, &c->stall);
        } else {
                if (!ev_is_active(&c->wio))
                        ev_io_start(c->loop, &c->wio);
                /* The stall clock restarts only when bytes actually leave. */
                if (progress || !ev_is_active(&c->stall))
                        ev_timer_again(c->loop, &c->stall);
        }
        return 0;
}

static void
after_write(struct pbd_conn *c)
{
        if (!c->open)
                return;
        if (c->closing && TAILQ_EMPTY(&c->out)) {
                pbd_conn_close(c, "closed after final reply");
                return;
        }
        if (c->paused && c->out_bytes < PAUSE_LOW) {
                c->paused = false;
                update_reading(c);
                if (c->in_len > 0)
                        ev_idle_start(c->loop, &c->more);
        }
}

static void
on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
        struct pbd_conn *c = container_of(w, struct pbd_conn, wio);
        int r;

        pbd_conn_ref(c);
        r = write_out(c);
        if (r < 0)
                pbd_conn_close(c, "write failed");
        else
                after_write(c);
        pbd_conn_unref(c);
}

static void
on_stall(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct pbd_conn *c = container_of(w, struct pbd_conn, stall);

        log_notice("%s: peer has not read its replies for %u ms, disconnecting", c->name,
                   daemon_of(c)->cfg.stall_timeout_ms);
        pbd_conn_close(c, "write stall");
}

int
pbd_conn_send(struct pbd_conn *c, json_t *msg, const int *fds, unsigned n_fds)
{
        json_auto_t *m = msg;
        struct out_chunk *ch;
        _cleanup_free_ char *buf = NULL;
        bool was_empty;
        size_t len;
        int r;

        if (!c->open || c->doomed)
                return -ENOTCONN;
        if (n_fds > PBD_CONN_MAX_FDS)
                return -E2BIG;
        buf = pb_rpc_encode(m, &len);
        if (!buf)
                return -ENOMEM;
        ch = malloc(sizeof(*ch) + len);
        if (!ch)
                return -ENOMEM;
        memcpy(ch->data, buf, len);
        ch->len = len;
        ch->off = 0;
        ch->n_fds = 0;
        for (unsigned i = 0; i < n_fds; i++) {
                ch->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (ch->fds[i] < 0) {
                        r = -errno;
                        chunk_free(ch);
                        return r;
                }
                ch->n_fds++;
        }

        was_empty = TAILQ_EMPTY(&c->out);
        TAILQ_INSERT_TAIL(&c->out, ch, link);
        c->out_bytes += len;
        if (c->out_bytes > daemon_of(c)->cfg.max_backlog) {
                log_notice("%s: output backlog over %zu bytes, disconnecting", c->name,
                           daemon_of(c)->cfg.max_backlog);
                doom(c, "backlog limit");
                return -ENOBUFS;
        }
        if (c->out_bytes > PAUSE_HIGH && !c->paused) {
                c->paused = true;
                update_reading(c);
        }
        /* Fast path: an idle connection gets its reply without a loop iteration. */
        if (was_empty) {
                r = write_out(c);
                if (r < 0) {
                        doom(c, "write failed");
                        return r;
                }
        }
        return 0;
}

static int
grow_input(struct pbd_conn *c)
{
        size_t cap;
        char *n;

        if (c->in_cap - c->in_len >= READ_MIN_SPACE || c->in_cap >= IN_MAX)
                return 0;
        cap = MIN(MAX(c->in_cap * 2, (size_t)IN_INITIAL), (size_t)IN_MAX);
        n = realloc(c->in, cap);
        if (!n)
                return -ENOMEM;
        c->in = n;
        c->in_cap = cap;
        return 0;
}

static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
        struct pbd_conn *c = container_of(w, struct pbd_conn, rio);
        ssize_t n;

        if (grow_input(c) < 0) {
                pbd_conn_close(c, "out of memory");
                return;
        }
        if (c->in_len == c->in_cap) {
                /* Only possible while an over-long frame is being rejected. */
                ev_io_stop(loop, w);
                return;
        }
        n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return;
                pbd_conn_close(c, "read failed");
                return;
        }
        if (n == 0) {
                pbd_conn_close(c, c->in_len ? "EOF in the middle of a frame" : "EOF");
                return;
        }
        c->in_len += (size_t)n;
        pbd_conn_ref(c);
        process_frames(c);
        pbd_conn_unref(c);
}

static void
on_more(struct ev_loop *loop, ev_idle *w, int revents)
{
        struct pbd_conn *c = container_of(w, struct pbd_conn, more);

        ev_idle_stop(loop, w);
        pbd_conn_ref(c);
        process_frames(c);
        pbd_conn_unref(c);
}

static void
reject_oversized(struct pbd_conn *c)
{
        struct pb_rpc_error e;
        json_t *msg;

        pb_rpc_errorf(&e, PB_ERR_INVALID_REQUEST, "frame exceeds the %u byte limit",
                      (unsigned)PB_FRAME_MAX);
        log_notice("%s: frame over %u bytes, disconnecting", c->name, (unsigned)PB_FRAME_MAX);
        c->in_len = 0;
        msg = pb_rpc_build_error(NULL, &e);
        if (msg)
                (void)pbd_conn_send(c, msg, NULL, 0);
        pbd_conn_close_after_flush(c, "frame too large");
}

static void
process_frames(struct pbd_conn *c)
{
        size_t off = 0;
        int handled = 0;

        while (pbd_conn_is_open(c) && !c->closing && !c->paused && off < c->in_len) {
                ssize_t n;

                if (handled == FRAMES_PER_WAKE) {
                        ev_idle_start(c->loop, &c->more);
                        break;
                }
                n = pb_frame_next(c->in + off, c->in_len - off, &c->scanned);
                if (n == -EMSGSIZE) {
                        reject_oversized(c);
                        return;
                }
                if (n == 0)
                        break;
                pbd_dispatch_frame(c, c->in + off, pb_frame_payload_len(c->in + off, (size_t)n));
                off += (size_t)n;
                handled++;
        }
        if (!c->open)
                return;
        if (off > 0) {
                memmove(c->in, c->in + off, c->in_len - off);
                c->in_len -= off;
        }
}

int
pbd_conn_new(struct pbd_server *server, int fd, uint64_t id, uid_t uid, pid_t pid,
             struct pbd_conn **ret)
{
        struct pbd_conn *c;

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        c->server = server;
        c->loop = server->daemon->loop;
        c->refs = 1;
        c->id = id;
        c->fd = fd;
        c->uid = uid;
        c->pid = pid;
        c->open = true;
        snprintf(c->name, sizeof(c->name), "conn#%llu", (unsigned long long)id);
        TAILQ_INIT(&c->out);
        TAILQ_INIT(&c->hooks);
        ev_io_init(&c->rio, on_readable, fd, EV_READ);
        ev_io_init(&c->wio, on_writable, fd, EV_WRITE);
        ev_timer_init(&c->stall, on_stall, 0., server->daemon->cfg.stall_timeout_ms / 1000.);
        ev_idle_init(&c->more, on_more);
        ev_timer_init(&c->doom, on_doom, 0., 0.);
        ev_io_start(c->loop, &c->rio);
        TAILQ_INSERT_TAIL(&server->conns, c, link);
        server->n_conns++;
        *ret = c;
        return 0;
}

struct pbd_conn *
pbd_conn_ref(struct pbd_conn *c)
{
        if (c)
                c->refs++;
        return c;
}

struct pbd_conn *
pbd_conn_unref(struct pbd_conn *c)
{
        struct out_chunk *ch;

        if (!c || --c->refs > 0)
                return NULL;
        while ((ch = TAILQ_FIRST(&c->out))) {
                TAILQ_REMOVE(&c->out, ch, link);
                chunk_free(ch);
        }
        free(c->in);
        free(c);
        return NULL;
}

void
pbd_conn_close(struct pbd_conn *c, const char *why)
{
        struct pbd_conn_hook *h;

        if (!c->open)
                return;
        log_debug("%s: closing: %s", c->name, why);
        c->open = false;
        ev_io_stop(c->loop, &c->rio);
        ev_io_stop(c->loop, &c->wio);
        ev_timer_stop(c->loop, &c->stall);
        ev_idle_stop(c->loop, &c->more);
        ev_timer_stop(c->loop, &c->doom);
        c->fd = safe_close(c->fd);

        while ((h = TAILQ_FIRST(&c->hooks))) {
                TAILQ_REMOVE(&c->hooks, h, link);
                h->armed = false;
                h->fn(c, h);
        }
        TAILQ_REMOVE(&c->server->conns, c, link);
        c->server->n_conns--;
        pbd_conn_unref(c);
}

void
pbd_conn_close_after_flush(struct pbd_conn *c, const char *why)
{
        if (!c->open)
                return;
        log_debug("%s: closing after flush: %s", c->name, why);
        c->closing = true;
        update_reading(c);
        (void)shutdown(c->fd, SHUT_RD);
        after_write(c);
}

bool
pbd_conn_is_open(const struct pbd_conn *c)
{
        return c->open && !c->doomed;
}

void
pbd_conn_flush(struct pbd_conn *c)
{
        if (c->open && write_out(c) < 0)
                pbd_conn_close(c, "write failed");
}

size_t
pbd_conn_backlog(const struct pbd_conn *c)
{
        return c->out_bytes;
}

void
pbd_conn_add_hook(struct pbd_conn *c, struct pbd_conn_hook *hook)
{
        TAILQ_INSERT_TAIL(&c->hooks, hook, link);
        hook->armed = true;
}

void
pbd_conn_remove_hook(struct pbd_conn *c, struct pbd_conn_hook *hook)
{
        if (!hook->armed)
                return;
        TAILQ_REMOVE(&c->hooks, hook, link);
        hook->armed = false;
}

uint64_t
pbd_conn_id(const struct pbd_conn *c)
{
        return c->id;
}

uid_t
pbd_conn_uid(const struct pbd_conn *c)
{
        return c->uid;
}

const char *
pbd_conn_name(const struct pbd_conn *c)
{
        return c->name;
}

struct pbd_server *
pbd_conn_server(const struct pbd_conn *c)
{
        return c->server;
}

void
pbd_conn_flush_all(struct pbd_server *server)
{
        struct pbd_conn *c, *next;

        for (c = TAILQ_FIRST(&server->conns); c; c = next) {
                next = TAILQ_NEXT(c, link);
                pbd_conn_flush(c);
        }
}

size_t
pbd_conn_backlog_all(struct pbd_server *server)
{
        struct pbd_conn *c;
        size_t total = 0;

        TAILQ_FOREACH (c, &server->conns, link)
                total += c->out_bytes;
        return total;
}

void
pbd_conn_close_all(struct pbd_server *server, const char *why)
{
        struct pbd_conn *c;

        while ((c = TAILQ_FIRST(&server->conns)))
                pbd_conn_close(c, why);
}
