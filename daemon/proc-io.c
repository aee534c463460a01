/* SPDX-License-Identifier: MIT */
/* A process's pipes: output into bounded buffers and log files, queued stdin. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "pb-macro.h"
#include "proc.h"

/* Bytes read from one pipe per wake-up, so one chatty process cannot starve the loop. */
#define READ_BUDGET (256u * 1024)

/* --- output streams ------------------------------------------------------ */

static void
stream_store(struct pbd_stream *s, const char *data, size_t n)
{
        size_t cap = s->cap, tail;

        s->total += n;
        if (!s->ring) {
                /* node.exec: the first bytes; the rest is only counted. */
                n = MIN(n, PBD_PROC_OUTPUT_MAX - s->len);
                if (n == 0)
                        return;
        } else if (n >= PBD_PROC_OUTPUT_MAX) {
                data += n - PBD_PROC_OUTPUT_MAX;
                n = PBD_PROC_OUTPUT_MAX;
                s->head = s->len = 0;
        }
        if (s->len + n > cap && cap < PBD_PROC_OUTPUT_MAX) {
                /* Below the cap the buffer is linear (head 0): grow it. */
                char *b;

                cap = MIN(MAX(MAX(cap * 2, s->len + n), (size_t)4096), (size_t)PBD_PROC_OUTPUT_MAX);
                b = realloc(s->buf, cap);
                if (!b) {
                        log_warning("proc %llu: out of memory, output dropped",
                                    (unsigned long long)s->proc->id);
                        return;
                }
                s->buf = b;
                s->cap = cap;
        }
        tail = (s->head + s->len) % cap;
        for (size_t done = 0; done < n;) {
                size_t chunk = MIN(n - done, cap - tail);

                memcpy(s->buf + tail, data + done, chunk);
                done += chunk;
                tail = (tail + chunk) % cap;
        }
        if (s->len + n > cap) {
                s->head = (s->head + s->len + n - cap) % cap;
                s->len = cap;
        } else {
                s->len += n;
        }
}

size_t
pbd_stream_read(const struct pbd_stream *s, uint64_t *offset, char *dst, size_t max)
{
        uint64_t start = s->total - s->len;
        size_t n, pos;

        if (*offset < start)
                *offset = start;
        if (*offset > s->total)
                *offset = s->total;
        n = (size_t)MIN((uint64_t)max, s->total - *offset);
        pos = s->cap ? (size_t)((s->head + (*offset - start)) % s->cap) : 0;
        for (size_t done = 0; done < n;) {
                size_t chunk = MIN(n - done, s->cap - pos);

                memcpy(dst + done, s->buf + pos, chunk);
                done += chunk;
                pos = (pos + chunk) % s->cap;
        }
        return n;
}

bool
pbd_stream_closed(const struct pbd_stream *s)
{
        return s->fd < 0;
}

static void
stream_log(struct pbd_stream *s, const char *data, size_t n)
{
        while (s->logfd >= 0 && n > 0) {
                ssize_t k = write(s->logfd, data, n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0) {
                        log_warning_errno(k < 0 ? -errno : -EIO, "writing %s: %m; log closed",
                                          s->log_path);
                        s->logfd = safe_close(s->logfd);
                        return;
                }
                data += k;
                n -= (size_t)k;
        }
}

void
pbd_stream_close(struct pbd_stream *s)
{
        if (s->fd < 0)
                return;
        ev_io_stop(s->proc->lab->daemon->loop, &s->io);
        s->fd = safe_close(s->fd);
}

/* Reads what the pipe holds, up to 'budget' bytes; closes the stream at EOF. */
void
pbd_stream_pump(struct pbd_stream *s, size_t budget)
{
        char buf[65536];

        while (s->fd >= 0 && budget > 0) {
                ssize_t n = read(s->fd, buf, MIN(sizeof(buf), budget));

                if (n > 0) {
                        stream_store(s, buf, (size_t)n);
                        stream_log(s, buf, (size_t)n);
                        budget -= (size_t)n;
                } else if (n < 0 && errno == EINTR) {
                        continue;
                } else if (n < 0 && errno == EAGAIN) {
                        return;
                } else {
                        pbd_stream_close(s); /* EOF, or an error that will not go away. */
                }
        }
}

static void
on_stream_readable(struct ev_loop *loop, ev_io *w, int revents)
{
        struct pbd_stream *s = container_of(w, struct pbd_stream, io);

        pbd_stream_pump(s, READ_BUDGET);
        if (s->fd < 0)
                pbd_proc_check_finished(s->proc);
}

void
pbd_stream_done(struct pbd_stream *s)
{
        pbd_stream_close(s);
        s->logfd = safe_close(s->logfd);
        free(s->buf);
        free(s->log_path);
        s->buf = s->log_path = NULL;
}

/* --- stdin --------------------------------------------------------------- */

void
pbd_stdin_close(struct pbd_proc *p)
{
        if (p->in.fd >= 0)
                ev_io_stop(p->lab->daemon->loop, &p->in.io);
        p->in.fd = safe_close(p->in.fd);
        free(p->in.buf);
        p->in.buf = NULL;
        p->in.len = p->in.off = 0;
}

/* Writes what the pipe takes; waits for EV_WRITE when it is full. */
static void
stdin_pump(struct pbd_proc *p)
{
        struct pbd_stdin *in = &p->in;

        while (in->fd >= 0 && in->off < in->len) {
                ssize_t n = write(in->fd, in->buf + in->off, in->len - in->off);

                if (n > 0) {
                        in->off += (size_t)n;
                } else if (n < 0 && errno == EINTR) {
                        continue;
                } else if (n < 0 && errno == EAGAIN) {
                        ev_io_start(p->lab->daemon->loop, &in->io);
                        return;
                } else {
                        /* EPIPE: the reader is gone, and so is everything queued. */
                        pbd_stdin_close(p);
                        return;
                }
        }
        if (in->fd < 0)
                return;
        ev_io_stop(p->lab->daemon->loop, &in->io);
        free(in->buf);
        in->buf = NULL;
        in->len = in->off = 0;
        if (in->close_when_done)
                pbd_stdin_close(p);
}

static void
on_stdin_writable(struct ev_loop *loop, ev_io *w, int revents)
{
        stdin_pump(container_of(w, struct pbd_proc, in.io));
}

int
pbd_proc_write(struct pbd_proc *p, const void *data, size_t n, bool close,
               struct pb_rpc_error *reterr)
{
        struct pbd_stdin *in = &p->in;
        size_t pending = in->len - in->off;

        if (p->exited)
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_STATE, "process %llu has exited",
                                     (unsigned long long)p->id);
        if (in->fd < 0 || in->close_when_done)
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_STATE,
                                     "the stdin of process %llu is closed",
                                     (unsigned long long)p->id);
        if (n > PBD_PROC_STDIN_MAX - pending)
                return pb_rpc_errorf(reterr, PB_ERR_LIMIT,
                                     "more than %u bytes would wait for the stdin of process %llu",
                                     PBD_PROC_STDIN_MAX, (unsigned long long)p->id);
        if (n > 0) {
                char *b = malloc(pending + n);

                if (!b)
                        return -ENOMEM;
                if (pending)
                        memcpy(b, in->buf + in->off, pending);
                memcpy(b + pending, data, n);
                free(in->buf);
                in->buf = b;
                in->len = pending + n;
                in->off = 0;
        }
        in->close_when_done = close;
        stdin_pump(p);
        return 0;
}

void
pbd_proc_io_start(struct pbd_proc *p)
{
        struct ev_loop *loop = p->lab->daemon->loop;

        for (int i = 0; i < _PBD_STREAM_MAX; i++) {
                ev_io_init(&p->out[i].io, on_stream_readable, p->out[i].fd, EV_READ);
                ev_io_start(loop, &p->out[i].io);
        }
        ev_io_init(&p->in.io, on_stdin_writable, p->in.fd, EV_WRITE);
}
