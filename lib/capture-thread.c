/* SPDX-License-Identifier: MIT */
#include "capture-thread.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/if_packet.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "pb-macro.h"
#include "pcap.h"
#include "worker.h"

#define BATCH     8    /* Frames per recvmmsg(). */
#define BURSTS    8    /* recvmmsg() calls per socket and wake-up. */
#define DRAIN_MAX 4096 /* Frames read from a socket that is being closed. */
#define EVENTS    32
#define FLUSH_NS  200000000ull /* Files are flushed at least this often. */
#define FILE_BUF  (64 * 1024)

enum { SRC_IFACE, SRC_PORT, N_SRC };

struct source {
        struct pbl_cap_file *cf;
        int fd;             /* -EBADF: none. */
        bool outgoing_only; /* A capture port: its egress is the interface's. */
        uint64_t drops;     /* PACKET_STATISTICS, summed over the socket's life. */
};

struct pbl_cap_file {
        FILE *f;
        char *vbuf;
        int error;  /* First write failure (negative errno); nothing is written after it. */
        bool dirty; /* Written since the last flush. */
        struct source src[N_SRC];
        _Atomic uint64_t packets, bytes;
        uint64_t lost; /* Frames the file refused. */
};

enum cmd_type { CMD_ADD, CMD_ADD_PORT, CMD_DROP_PORT, CMD_REMOVE };

struct cmd {
        enum cmd_type type;
        struct pbl_cap_file *cf;
        int fd;
        struct pbl_capture_stats *stats;
};

struct pbl_cap_thread {
        struct pbl_worker w;
        struct pbl_cap_file **files; /* The thread's own. */
        unsigned n_files, cap_files;
        uint64_t last_flush;
        /* recvmmsg() scratch. */
        struct mmsghdr msgs[BATCH];
        struct iovec iov[BATCH];
        struct sockaddr_ll from[BATCH];
        char ctrl[BATCH][CMSG_SPACE(sizeof(struct timespec))];
        uint8_t *frames; /* BATCH x PBL_PCAP_SNAPLEN */
};

static uint64_t
mono_ns(void)
{
        struct timespec ts;

        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- writing ------------------------------------------------------------ */

static void
file_write(struct pbl_cap_file *cf, const struct timespec *ts, const uint8_t *frame,
           uint32_t caplen, uint32_t len)
{
        uint8_t hdr[PBL_PCAP_REC_HDR];

        if (cf->error) {
                cf->lost++;
                return;
        }
        pbl_pcap_record_header(hdr, (uint64_t)ts->tv_sec, (uint32_t)ts->tv_nsec, caplen, len);
        if (fwrite(hdr, sizeof(hdr), 1, cf->f) != 1 ||
            (caplen && fwrite(frame, caplen, 1, cf->f) != 1)) {
                cf->error = errno ? -errno : -EIO;
                cf->lost++;
                return;
        }
        cf->dirty = true;
        atomic_fetch_add_explicit(&cf->packets, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&cf->bytes, len, memory_order_relaxed);
}

static void
file_flush(struct pbl_cap_file *cf)
{
        if (!cf->dirty || cf->error)
                return;
        cf->dirty = false;
        if (fflush(cf->f) != 0)
                cf->error = errno ? -errno : -EIO;
}

/* --- reading ------------------------------------------------------------ */

static void
timestamp_of(struct msghdr *m, struct timespec *ts)
{
        for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                        memcpy(ts, CMSG_DATA(c), sizeof(*ts));
                        return;
                }
        (void)clock_gettime(CLOCK_REALTIME, ts);
}

/*
 * Reads up to 'max' frames from 's' into its file.  Returns the number
 * read; fewer than 'max' means the socket is empty (or failed).
 */
static unsigned
source_read(struct pbl_cap_thread *t, struct source *s, unsigned max)
{
        unsigned total = 0;

        while (total < max) {
                int n;

                for (unsigned i = 0; i < BATCH; i++) {
                        t->iov[i] = (struct iovec){ t->frames + (size_t)i * PBL_PCAP_SNAPLEN,
                                                    PBL_PCAP_SNAPLEN };
                        t->msgs[i].msg_hdr = (struct msghdr){
                                .msg_name = &t->from[i],
                                .msg_namelen = sizeof(t->from[i]),
                                .msg_iov = &t->iov[i],
                                .msg_iovlen = 1,
                                .msg_control = t->ctrl[i],
                                .msg_controllen = sizeof(t->ctrl[i]),
                        };
                }
                /* MSG_TRUNC: msg_len is the frame's real length. */
                n = recvmmsg(s->fd, t->msgs, BATCH, MSG_DONTWAIT | MSG_TRUNC, NULL);
                if (n < 0) {
                        /* ENETDOWN is reported once when the link goes down: read on. */
                        if (errno == EINTR || errno == ENETDOWN)
                                continue;
                        return total; /* EAGAIN: empty. */
                }
                for (int i = 0; i < n; i++) {
                        struct timespec ts;
                        uint32_t len = t->msgs[i].msg_len;

                        if (s->outgoing_only && t->from[i].sll_pkttype != PACKET_OUTGOING)
                                continue;
                        timestamp_of(&t->msgs[i].msg_hdr, &ts);
                        file_write(s->cf, &ts, t->iov[i].iov_base, MIN(len, PBL_PCAP_SNAPLEN), len);
                }
                total += (unsigned)n;
                if (n < BATCH)
                        break;
        }
        return total;
}

/* Reads what is left, sums the kernel's drops and closes the socket. */
static void
source_close(struct pbl_cap_thread *t, struct source *s)
{
        struct tpacket_stats st;
        socklen_t len = sizeof(st);

        if (s->fd < 0)
                return;
        (void)epoll_ctl(t->w.epfd, EPOLL_CTL_DEL, s->fd, NULL);
        (void)source_read(t, s, DRAIN_MAX);
        if (getsockopt(s->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
                s->drops += st.tp_drops;
        s->fd = safe_close(s->fd);
}

static int
source_open(struct pbl_cap_thread *t, struct source *s, int fd)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

        if (epoll_ctl(t->w.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;

                safe_close(fd);
                return r;
        }
        s->fd = fd;
        return 0;
}

/* --- commands ----------------------------------------------------------- */

static int
do_add(struct pbl_cap_thread *t, struct cmd *c)
{
        struct pbl_cap_file *cf = c->cf;
        int r;

        if (t->n_files == t->cap_files) {
                unsigned cap = t->cap_files ? t->cap_files * 2 : 8;
                struct pbl_cap_file **files = reallocarray(t->files, cap, sizeof(*files));

                if (!files)
                        return -ENOMEM;
                t->files = files;
                t->cap_files = cap;
        }
        r = source_open(t, &cf->src[SRC_IFACE], TAKE_FD(c->fd));
        if (r < 0)
                return r;
        t->files[t->n_files++] = cf;
        return 0;
}

static int
do_remove(struct pbl_cap_thread *t, struct cmd *c)
{
        struct pbl_cap_file *cf = c->cf;
        int r;

        for (unsigned i = 0; i < t->n_files; i++)
                if (t->files[i] == cf) {
                        t->files[i] = t->files[--t->n_files];
                        break;
                }
        for (int k = 0; k < N_SRC; k++)
                source_close(t, &cf->src[k]);
        cf->dirty = true;
        file_flush(cf);
        r = cf->error;
        if (fclose(cf->f) != 0 && !r)
                r = errno ? -errno : -EIO;
        cf->f = NULL;
        c->stats->packets = atomic_load(&cf->packets);
        c->stats->bytes = atomic_load(&cf->bytes);
        c->stats->dropped = cf->src[SRC_IFACE].drops + cf->src[SRC_PORT].drops + cf->lost;
        return r;
}

static int
run_cmd(void *ctx, void *cmd)
{
        struct pbl_cap_thread *t = ctx;
        struct cmd *c = cmd;

        switch (c->type) {
        case CMD_ADD: return do_add(t, c);
        case CMD_ADD_PORT:
                if (c->cf->src[SRC_PORT].fd >= 0)
                        return -EBUSY;
                return source_open(t, &c->cf->src[SRC_PORT], TAKE_FD(c->fd));
        case CMD_DROP_PORT: source_close(t, &c->cf->src[SRC_PORT]); return 0;
        case CMD_REMOVE: return do_remove(t, c);
        }
        return -EINVAL;
}

static void *
thread_main(void *arg)
{
        struct pbl_cap_thread *t = arg;
        struct epoll_event events[EVENTS];

        for (;;) {
                bool dirty = false, cmd = false;
                uint64_t now;
                int n;

                for (unsigned i = 0; i < t->n_files; i++)
                        dirty |= t->files[i]->dirty;
                n = epoll_wait(t->w.epfd, events, EVENTS, dirty ? (int)(FLUSH_NS / 1000000) : -1);
                if (n < 0 && errno != EINTR)
                        break;
                /* Frames first; a command may close a socket named in 'events'. */
                for (int i = 0; i < n; i++) {
                        if (!events[i].data.ptr)
                                cmd = true;
                        else
                                (void)source_read(t, events[i].data.ptr, BATCH * BURSTS);
                }
                now = mono_ns();
                if (now - t->last_flush >= FLUSH_NS) {
                        for (unsigned i = 0; i < t->n_files; i++)
                                file_flush(t->files[i]);
                        t->last_flush = now;
                }
                if (cmd && !pbl_worker_take(&t->w))
                        break;
        }
        return NULL;
}

/* --- control side ------------------------------------------------------- */

int
pbl_cap_thread_new(struct pbl_cap_thread **ret)
{
        struct pbl_cap_thread *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        t->frames = malloc((size_t)BATCH * PBL_PCAP_SNAPLEN);
        if (!t->frames) {
                free(t);
                return -ENOMEM;
        }
        t->last_flush = mono_ns();
        r = pbl_worker_start(&t->w, "pb-capture", thread_main, run_cmd, t);
        if (r < 0) {
                free(t->frames);
                free(t);
                return r;
        }
        *ret = t;
        return 0;
}

struct pbl_cap_thread *
pbl_cap_thread_free(struct pbl_cap_thread *t)
{
        if (!t)
                return NULL;
        pbl_worker_stop(&t->w);
        free(t->files);
        free(t->frames);
        free(t);
        return NULL;
}

/* Frees a capture the thread does not know (any more). */
static void
file_free(struct pbl_cap_file *cf)
{
        for (int k = 0; k < N_SRC; k++)
                safe_close(cf->src[k].fd);
        if (cf->f)
                (void)fclose(cf->f);
        free(cf->vbuf);
        free(cf);
}

int
pbl_cap_thread_add(struct pbl_cap_thread *t, int file_fd, int fd, struct pbl_cap_file **ret)
{
        struct pbl_cap_file *cf = calloc(1, sizeof(*cf));
        struct cmd c = { .type = CMD_ADD, .fd = fd };
        uint8_t hdr[PBL_PCAP_FILE_HDR];
        int r;

        if (!cf) {
                safe_close(fd);
                safe_close(file_fd);
                return -ENOMEM;
        }
        cf->src[SRC_IFACE] = (struct source){ .cf = cf, .fd = -EBADF };
        cf->src[SRC_PORT] = (struct source){ .cf = cf, .fd = -EBADF, .outgoing_only = true };
        cf->vbuf = malloc(FILE_BUF);
        cf->f = cf->vbuf ? fdopen(file_fd, "w") : NULL;
        if (!cf->f) {
                r = cf->vbuf ? -errno : -ENOMEM;
                safe_close(file_fd);
                safe_close(fd);
                file_free(cf);
                return r;
        }
        /* The header goes out at once: the file is a valid (empty) capture from now on. */
        pbl_pcap_file_header(hdr, PBL_PCAP_SNAPLEN, PBL_PCAP_LINKTYPE_ETH);
        if (setvbuf(cf->f, cf->vbuf, _IOFBF, FILE_BUF) != 0 ||
            fwrite(hdr, sizeof(hdr), 1, cf->f) != 1 || fflush(cf->f) != 0) {
                r = errno ? -errno : -EIO;
                safe_close(fd);
                file_free(cf);
                return r;
        }
        c.cf = cf;
        r = pbl_worker_call(&t->w, &c);
        if (r < 0) {
                safe_close(c.fd);
                file_free(cf);
                return r;
        }
        *ret = cf;
        return 0;
}

int
pbl_cap_thread_add_port(struct pbl_cap_thread *t, struct pbl_cap_file *cf, int fd)
{
        struct cmd c = { .type = CMD_ADD_PORT, .cf = cf, .fd = fd };
        int r = pbl_worker_call(&t->w, &c);

        safe_close(c.fd); /* Whatever the thread did not take. */
        return r;
}

int
pbl_cap_thread_drop_port(struct pbl_cap_thread *t, struct pbl_cap_file *cf)
{
        struct cmd c = { .type = CMD_DROP_PORT, .cf = cf };

        return pbl_worker_call(&t->w, &c);
}

int
pbl_cap_thread_remove(struct pbl_cap_thread *t, struct pbl_cap_file *cf,
                      struct pbl_capture_stats *ret)
{
        struct pbl_capture_stats scratch;
        struct cmd c = { .type = CMD_REMOVE, .cf = cf, .stats = ret ? ret : &scratch };
        int r = pbl_worker_call(&t->w, &c);

        /*
         * cf->f still open: the call failed before the thread saw it (the
         * eventfd refused a write), so the thread may still read into 'cf':
         * leave it be rather than free it under the thread.
         */
        if (cf->f)
                return r;
        free(cf->vbuf);
        free(cf);
        return r;
}

void
pbl_cap_file_peek(const struct pbl_cap_file *cf, struct pbl_capture_stats *ret)
{
        ret->packets = atomic_load_explicit(&cf->packets, memory_order_relaxed);
        ret->bytes = atomic_load_explicit(&cf->bytes, memory_order_relaxed);
        ret->dropped = 0;
}
