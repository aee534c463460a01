/* SPDX-License-Identifier: MIT */
/* libpatchbay: connection, framing, calls and notifications. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "client-internal.h"
#include "patchbay.h"
#include "pb-frame.h"
#include "pb-macro.h"
#include "pb-path.h"
#include "pb-rpc.h"

#define MAX_FDS_PER_REPLY 8
#define MAX_HELD_FDS      64
#define IN_INITIAL        (16u * 1024)
#define IN_MAX            (PB_REPLY_FRAME_MAX + 2u) /* Replies may exceed a request frame. */
/* Frames of a single read that are dispatched before returning to the caller. */
#define READ_CHUNK (64u * 1024)

struct pending {
        struct pending *next;
        json_int_t id;
        pb_reply_fn *fn;
        void *userdata;
        bool sync; /* A blocking call waiting on this entry. */
        bool done;
        int r;
        char *result;
        struct pb_error err;
        int fds[MAX_FDS_PER_REPLY];
        unsigned n_fds;
};

/* A descriptor received with SCM_RIGHTS at a byte offset of the stream. */
struct held_fd {
        uint64_t offset;
        int fd;
};

struct pb_client {
        int fd;
        char path[108];
        int dead; /* Negative errno once the connection is gone. */

        char *in;
        size_t in_len, in_cap, scanned;
        uint64_t in_base; /* Stream offset of in[0]. */

        struct held_fd held[MAX_HELD_FDS];
        unsigned n_held;

        char *out;
        size_t out_len, out_off, out_cap;

        json_int_t next_id;
        struct pending *pending;
        unsigned n_pending;

        pb_event_fn *event_fn;
        void *event_userdata;
};

static void
set_local_error(struct pb_error *e, int r, const char *fmt, ...)
{
        va_list ap;

        if (!e)
                return;
        memset(e, 0, sizeof(*e));
        e->errnum = r < 0 ? -r : r;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
}

void
client_error_set_local(struct pb_error *e, int r, const char *what)
{
        set_local_error(e, r, "%s: %s", what, strerror(r < 0 ? -r : r));
}

static void
copy_field(char *dst, size_t n, const json_t *obj, const char *key)
{
        const json_t *v = json_object_get(obj, key);

        if (json_is_string(v))
                snprintf(dst, n, "%s", json_string_value(v));
}

/* Fills 'e' from a JSON-RPC error object. */
static void
error_from_wire(struct pb_error *e, const json_t *error)
{
        const json_t *data = json_object_get(error, "data");
        const json_t *v;

        memset(e, 0, sizeof(*e));
        e->code = (int)json_integer_value(json_object_get(error, "code"));
        copy_field(e->message, sizeof(e->message), error, "message");
        if (!json_is_object(data))
                return;
        copy_field(e->name, sizeof(e->name), data, "error");
        copy_field(e->parameter, sizeof(e->parameter), data, "parameter");
        copy_field(e->method, sizeof(e->method), data, "method");
        copy_field(e->kernel, sizeof(e->kernel), data, "kernel");
        copy_field(e->op, sizeof(e->op), data, "op");
        if ((v = json_object_get(data, "errno")) && json_is_integer(v))
                e->errnum = (int)json_integer_value(v);
}

int
pb_default_socket_path(char *buf, size_t n)
{
        return pb_socket_path(getenv("PATCHBAY_SOCKET"), getenv("XDG_RUNTIME_DIR"), geteuid(), buf,
                              n);
}

int
client_connect_once(const char *path, struct pb_client **ret)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        struct pb_client *c;
        int fd;

        if (strlen(path) >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        memcpy(sun.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        c->next_id = 1;
        snprintf(c->path, sizeof(c->path), "%s", path);
        *ret = c;
        return 0;
}

int
pb_client_connect(const char *path, unsigned flags, struct pb_client **ret, struct pb_error *reterr)
{
        char buf[108];
        int r;

        if (!ret)
                return -EINVAL;
        if (!path) {
                r = pb_default_socket_path(buf, sizeof(buf));
                if (r < 0) {
                        client_error_set_local(reterr, r, "socket path");
                        return r;
                }
                path = buf;
        }
        r = client_connect_once(path, ret);
        if (r == 0)
                return 0;
        if (!(flags & PB_CONNECT_AUTOSTART) || (r != -ENOENT && r != -ECONNREFUSED)) {
                set_local_error(reterr, r, "cannot connect to patchbayd at %s: %s", path,
                                strerror(-r));
                return r;
        }
        return client_autostart(path, ret, reterr);
}

static void
pending_release(struct pending *p)
{
        for (unsigned i = 0; i < p->n_fds; i++)
                safe_close(p->fds[i]);
        free(p->result);
        free(p);
}

static void
unlink_pending(struct pb_client *c, struct pending *p)
{
        for (struct pending **pp = &c->pending; *pp; pp = &(*pp)->next)
                if (*pp == p) {
                        *pp = p->next;
                        c->n_pending--;
                        return;
                }
}

struct pb_client *
pb_client_free(struct pb_client *c)
{
        struct pending *p;

        if (!c)
                return NULL;
        while ((p = c->pending)) {
                c->pending = p->next;
                pending_release(p);
        }
        for (unsigned i = 0; i < c->n_held; i++)
                safe_close(c->held[i].fd);
        safe_close(c->fd);
        free(c->in);
        free(c->out);
        free(c);
        return NULL;
}

void
pb_client_freep(struct pb_client **c)
{
        *c = pb_client_free(*c);
}

const char *
pb_client_socket_path(const struct pb_client *c)
{
        return c->path;
}

void
pb_client_set_event_handler(struct pb_client *c, pb_event_fn *fn, void *userdata)
{
        c->event_fn = fn;
        c->event_userdata = userdata;
}

int
pb_client_get_fd(const struct pb_client *c)
{
        return c->fd;
}

int
pb_client_get_events(const struct pb_client *c)
{
        return POLLIN | (c->out_len > c->out_off ? POLLOUT : 0);
}

unsigned
pb_client_pending(const struct pb_client *c)
{
        return c->n_pending;
}

/* Completes 'p' (success or failure): runs its callback and frees it, or
 * marks it done for the blocking caller that owns it. */
static void
complete(struct pb_client *c, struct pending *p)
{
        unlink_pending(c, p);
        p->done = true;
        if (p->sync)
                return;
        if (p->fn)
                p->fn(c, p->r == 0 ? p->result : NULL, p->r == 0 ? NULL : &p->err, p->userdata);
        pending_release(p);
}

/* The connection is gone: every pending call fails with 'r'. */
static int
mark_dead(struct pb_client *c, int r)
{
        struct pending *p;

        if (c->dead)
                return c->dead;
        c->dead = r;
        while ((p = c->pending)) {
                p->r = r;
                set_local_error(&p->err, r, "connection to patchbayd lost: %s", strerror(-r));
                complete(c, p);
        }
        return r;
}

static struct pending *
find_pending(struct pb_client *c, const json_t *id)
{
        if (!json_is_integer(id))
                return NULL;
        for (struct pending *p = c->pending; p; p = p->next)
                if (p->id == json_integer_value(id))
                        return p;
        return NULL;
}

/* Moves descriptors received within stream bytes [start, end) to 'p' (or closes them). */
static void
claim_fds(struct pb_client *c, uint64_t start, uint64_t end, struct pending *p)
{
        unsigned k = 0;

        for (unsigned i = 0; i < c->n_held; i++) {
                if (c->held[i].offset >= start && c->held[i].offset < end) {
                        if (p && p->n_fds < MAX_FDS_PER_REPLY)
                                p->fds[p->n_fds++] = c->held[i].fd;
                        else
                                safe_close(c->held[i].fd);
                } else {
                        c->held[k++] = c->held[i];
                }
        }
        c->n_held = k;
}

static void
handle_response(struct pb_client *c, json_t *msg, uint64_t start, uint64_t end)
{
        struct pb_rpc_response resp;
        struct pending *p;

        if (pb_rpc_parse_response(msg, &resp) < 0) {
                claim_fds(c, start, end, NULL);
                return;
        }
        if (resp.kind == PB_RPC_KIND_NOTIFICATION) {
                claim_fds(c, start, end, NULL);
                if (c->event_fn) {
                        _cleanup_free_ char *text =
                                resp.params ? json_dumps(resp.params, JSON_COMPACT) : NULL;

                        c->event_fn(c, resp.method, text ? text : "{}", c->event_userdata);
                }
                return;
        }
        p = find_pending(c, resp.id);
        /* An error without a usable id refers to the oldest call (frame-level errors). */
        if (!p && json_is_null(resp.id) && resp.error) {
                for (p = c->pending; p && p->next; p = p->next)
                        ;
        }
        claim_fds(c, start, end, p);
        if (!p)
                return; /* A reply to a call that timed out. */
        if (resp.error) {
                p->r = -EREMOTEIO;
                error_from_wire(&p->err, resp.error);
        } else {
                p->result = json_dumps(resp.result, JSON_COMPACT | JSON_ENCODE_ANY);
                p->r = p->result ? 0 : -ENOMEM;
                if (!p->result)
                        set_local_error(&p->err, -ENOMEM, "out of memory");
        }
        complete(c, p);
}

static int
parse_frames(struct pb_client *c)
{
        size_t off = 0;
        int progress = 0;

        while (off < c->in_len) {
                ssize_t n = pb_frame_next_max(c->in + off, c->in_len - off, &c->scanned,
                                              PB_REPLY_FRAME_MAX);
                json_t *msg = NULL;
                struct pb_rpc_error e;
                size_t len;

                if (n < 0)
                        return mark_dead(c, -EMSGSIZE);
                if (n == 0)
                        break;
                len = pb_frame_payload_len(c->in + off, (size_t)n);
                if (pb_frame_is_blank(c->in + off, len)) {
                        off += (size_t)n;
                        continue;
                }
                /* We cannot tell which call an unreadable reply answers: fail them all
                 * rather than let one wait for ever. */
                if (pb_rpc_decode_reply(c->in + off, len, &msg, &e) < 0)
                        return mark_dead(c, -EBADMSG);
                {
                        uint64_t start = c->in_base + off, end = start + (uint64_t)n;

                        if (json_is_array(msg)) {
                                json_t *elem;
                                size_t i;

                                json_array_foreach (msg, i, elem)
                                        handle_response(c, elem, start, end);
                        } else {
                                handle_response(c, msg, start, end);
                        }
                        json_decref(msg);
                }
                off += (size_t)n;
                progress = 1;
        }
        if (off > 0) {
                memmove(c->in, c->in + off, c->in_len - off);
                c->in_len -= off;
                c->in_base += off;
        }
        return progress;
}

static int
read_some(struct pb_client *c)
{
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_REPLY)];
        } ctl;
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        struct cmsghdr *cm;
        ssize_t n;

        if (c->in_cap - c->in_len < READ_CHUNK / 4 && c->in_cap < IN_MAX) {
                size_t cap = MIN(MAX(c->in_cap * 2, (size_t)IN_INITIAL), (size_t)IN_MAX);
                char *p = realloc(c->in, cap);

                if (!p)
                        return -ENOMEM;
                c->in = p;
                c->in_cap = cap;
        }
        if (c->in_len == c->in_cap)
                return mark_dead(c, -EMSGSIZE);
        iov.iov_base = c->in + c->in_len;
        iov.iov_len = c->in_cap - c->in_len;
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : mark_dead(c, -errno);
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                size_t count;
                int *fds;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                fds = (int *)CMSG_DATA(cm);
                count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < count; i++) {
                        if (c->n_held < MAX_HELD_FDS) {
                                c->held[c->n_held].offset = c->in_base + c->in_len;
                                c->held[c->n_held++].fd = fds[i];
                        } else {
                                safe_close(fds[i]);
                        }
                }
        }
        if (n == 0)
                return mark_dead(c, -ECONNRESET);
        c->in_len += (size_t)n;
        return 1;
}

static int
write_some(struct pb_client *c)
{
        while (c->out_off < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : mark_dead(c, -errno);
                c->out_off += (size_t)n;
        }
        c->out_off = c->out_len = 0;
        return 1;
}

int
pb_client_process(struct pb_client *c)
{
        int progress = 0, r;

        if (c->dead)
                return c->dead;
        if (c->out_len > c->out_off) {
                r = write_some(c);
                if (r < 0)
                        return r;
                progress |= r;
        }
        r = read_some(c);
        if (r > 0) {
                progress = 1;
                r = parse_frames(c);
        }
        if (c->dead)
                return c->dead;
        return r < 0 ? r : progress;
}

int
pb_client_wait(struct pb_client *c, int timeout_ms)
{
        struct pollfd pfd = { .fd = c->fd, .events = (short)pb_client_get_events(c) };
        int n;

        if (c->dead)
                return c->dead;
        n = poll(&pfd, 1, timeout_ms);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        if (n == 0)
                return 0;
        return pb_client_process(c);
}

/* Encodes a request and appends it to the output buffer. */
static int
queue_request(struct pb_client *c, const char *method, const char *params, json_int_t id,
              struct pb_error *reterr)
{
        json_t *p = NULL, *msg;
        _cleanup_free_ char *buf = NULL;
        json_error_t jerr;
        size_t len;

        if (!method || !*method) {
                set_local_error(reterr, -EINVAL, "no method given");
                return -EINVAL;
        }
        if (params && *params) {
                p = json_loads(params, JSON_REJECT_DUPLICATES, &jerr);
                if (!p) {
                        set_local_error(reterr, -EINVAL, "params are not valid JSON: %s",
                                        jerr.text);
                        return -EINVAL;
                }
                if (!json_is_object(p)) {
                        json_decref(p);
                        set_local_error(reterr, -EINVAL, "params must be a JSON object");
                        return -EINVAL;
                }
        }
        msg = pb_rpc_build_request(method, p, id);
        if (!msg || !(buf = pb_rpc_encode(msg, &len))) {
                json_decref(msg);
                set_local_error(reterr, -ENOMEM, "out of memory");
                return -ENOMEM;
        }
        json_decref(msg);
        if (c->out_len + len > c->out_cap) {
                size_t cap = MAX(c->out_cap * 2, c->out_len + len + 4096);
                char *n = realloc(c->out, cap);

                if (!n) {
                        set_local_error(reterr, -ENOMEM, "out of memory");
                        return -ENOMEM;
                }
                c->out = n;
                c->out_cap = cap;
        }
        memcpy(c->out + c->out_len, buf, len);
        c->out_len += len;
        return 0;
}

static struct pending *
start_call(struct pb_client *c, const char *method, const char *params, bool sync,
           struct pb_error *reterr, int *ret_r)
{
        struct pending *p;
        int r;

        if (c->dead) {
                set_local_error(reterr, c->dead, "connection to patchbayd lost: %s",
                                strerror(-c->dead));
                *ret_r = c->dead;
                return NULL;
        }
        p = calloc(1, sizeof(*p));
        if (!p) {
                set_local_error(reterr, -ENOMEM, "out of memory");
                *ret_r = -ENOMEM;
                return NULL;
        }
        p->id = c->next_id++;
        p->sync = sync;
        r = queue_request(c, method, params, p->id, reterr);
        if (r < 0) {
                free(p);
                *ret_r = r;
                return NULL;
        }
        p->next = c->pending;
        c->pending = p;
        c->n_pending++;
        /* Try to send at once; whatever does not fit waits for POLLOUT. */
        (void)write_some(c);
        return p;
}

int
pb_call_async(struct pb_client *c, const char *method, const char *params, pb_reply_fn *fn,
              void *userdata)
{
        struct pending *p;
        int r = 0;

        p = start_call(c, method, params, false, NULL, &r);
        if (!p)
                return r;
        p->fn = fn;
        p->userdata = userdata;
        return 0;
}

static int64_t
now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
pb_call_fds(struct pb_client *c, const char *method, const char *params, int timeout_ms,
            char **ret_result, int *ret_fds, unsigned max_fds, unsigned *ret_n_fds,
            struct pb_error *reterr)
{
        int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;
        struct pending *p;
        int r = 0;

        if (ret_n_fds)
                *ret_n_fds = 0;
        p = start_call(c, method, params, true, reterr, &r);
        if (!p)
                return r;
        while (!p->done) {
                int wait = -1;

                if (deadline >= 0) {
                        int64_t left = deadline - now_ms();

                        if (left <= 0) {
                                unlink_pending(c, p);
                                pending_release(p);
                                set_local_error(reterr, -ETIMEDOUT, "%s: no reply within %d ms",
                                                method, timeout_ms);
                                return -ETIMEDOUT;
                        }
                        wait = (int)MIN(left, (int64_t)INT32_MAX);
                }
                r = pb_client_wait(c, wait);
                if (r < 0 && !p->done)
                        break;
        }
        if (!p->done) {
                /* mark_dead() completes every pending call, so this is a poll error. */
                unlink_pending(c, p);
                pending_release(p);
                set_local_error(reterr, r, "waiting for patchbayd: %s", strerror(-r));
                return r;
        }
        r = p->r;
        if (r < 0) {
                if (reterr)
                        *reterr = p->err;
        } else {
                if (ret_result)
                        *ret_result = TAKE_PTR(p->result);
                for (unsigned i = 0; i < p->n_fds; i++) {
                        if (ret_fds && ret_n_fds && i < max_fds) {
                                ret_fds[i] = TAKE_FD(p->fds[i]);
                                (*ret_n_fds)++;
                        }
                }
        }
        pending_release(p);
        return r;
}

int
pb_call(struct pb_client *c, const char *method, const char *params, int timeout_ms,
        char **ret_result, struct pb_error *reterr)
{
        return pb_call_fds(c, method, params, timeout_ms, ret_result, NULL, 0, NULL, reterr);
}
