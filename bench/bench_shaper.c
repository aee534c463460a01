/* SPDX-License-Identifier: MIT */
/*
 * bench_shaper: how faithful and how fast link conditions are, on a lab of
 * one router and two devices a and b, the condition on a's uplink
 * (iface.set_condition direction up), traffic from a to b:
 *
 *  1. One-way delay of UDP probes at 1k and 10k packets/s on the plain veth
 *     and with latency 20 ms: mean, p50, p99 and max, and the error against
 *     the configured delay.  Sender and receiver stamp with CLOCK_MONOTONIC,
 *     one clock for every namespace of the host.
 *  2. Loss 10 % and 1 % over 20000 probes, against the 99 % binomial
 *     interval around the configured rate.
 *  3. Bulk TCP, 1 and 4 connections, through the shaper with latency 1 µs
 *     (nothing it could do faster: every frame still crosses it) against
 *     the plain veth.  Target: the lower of 5 Gbit/s and 30 % of the veth.
 *  4. daemon.info round trips while 4 connections load the shaper, against
 *     idle.  Target: p99 below 5 ms.
 *  5. Rate 2, 20 and 100 Mbit/s: TCP goodput with 1 µs of latency added
 *     (the userspace shaper when the kernel has no netem), then rate-only
 *     (tbf in the kernel).
 *  6. The condition removed (null after the last tbf): one connection must
 *     get more than half the plain veth's goodput of 3.
 * Every target missed makes the last line FAIL and the exit status 1.
 *
 * The traffic comes from this program itself, re-executed inside the lab's
 * nodes with node.spawn and node.exec as a worker:
 *
 *   bench_shaper --worker udp-recv ADDR:PORT IDLE_MS
 *   bench_shaper --worker udp-send ADDR:PORT COUNT PPS
 *   bench_shaper --worker tcp-sink ADDR:PORT CONNS SKIP_MS MEASURE_MS
 *   bench_shaper --worker tcp-send ADDR:PORT CONNS MAX_MS
 *
 * Usage: bench_shaper [PATCHBAYD]
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bench-util.h"
#include "patchbay.h"

#define LAB          "bshaper"
#define LATENCY_MS   20
#define LOSS_PROBES  20000
#define LOSS_PPS     10000
#define TINY_LATENCY "0.001" /* ms: the least condition that needs the userspace shaper. */
#define RPC_CALLS    2000
#define TARGET_GBIT  5.0
#define TARGET_SHARE 0.30
#define TARGET_P99MS 5.0
#define Z99          2.5758 /* Two-sided 99 % quantile of the normal distribution. */

/* ---- Workers: run inside the lab's nodes ---------------------------------- */

#define PROBE_MAGIC   0x70627368u
#define PROBE_SIZE    64
#define WARMUP        20
#define CHUNK         (256 * 1024)
#define WORKER_MAX_S  60
#define CONNECT_RETRY 5000 /* ms */

struct probe {
        uint32_t magic, seq, warmup, pad;
        int64_t sent_ns;
};

static uint8_t chunk[CHUNK];
static volatile sig_atomic_t stop;

static int64_t
now_ns(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                abort(); /* Cannot happen with CLOCK_MONOTONIC. */
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
wfail(const char *what)
{
        fprintf(stderr, "bench_shaper worker: %s: %s\n", what, strerror(errno));
        return 1;
}

static int
parse_addr(const char *text, struct sockaddr_in *sin)
{
        char host[INET_ADDRSTRLEN];
        const char *colon = strrchr(text, ':');
        unsigned long port;
        char *end;

        if (!colon || (size_t)(colon - text) >= sizeof(host))
                return -1;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port = strtoul(colon + 1, &end, 10);
        memset(sin, 0, sizeof(*sin));
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (*end || !colon[1] || port > 65535 || inet_pton(AF_INET, host, &sin->sin_addr) != 1)
                return -1;
        return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return (x > y) - (x < y);
}

/* Receives probes until IDLE_MS pass without one; prints the one-way delays. */
static int
w_udp_recv(const struct sockaddr_in *sin, int idle_ms)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), one = 1, rcvbuf = 8 << 20;
        int64_t deadline = now_ns() + (int64_t)WORKER_MAX_S * 1000000000, *delay = NULL;
        size_t n = 0, cap = 0;
        uint32_t drops = 0;
        bool any = false;
        double sum = 0;

        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0 ||
            bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0)
                return wfail("udp socket");
        if (printf("ready\n") < 0 || fflush(stdout) != 0)
                return wfail("stdout");
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int left = (int)((deadline - now_ns()) / 1000000), r;

                if (left <= 0)
                        break;
                r = poll(&p, 1, any ? idle_ms : left);
                if (r < 0 && errno != EINTR)
                        return wfail("poll");
                if (r == 0)
                        break;
                for (;;) {
                        union {
                                struct probe p;
                                uint8_t raw[2048];
                        } u;
                        union {
                                struct cmsghdr h;
                                char buf[CMSG_SPACE(sizeof(uint32_t))];
                        } ctl;
                        struct iovec iov = { u.raw, sizeof(u.raw) };
                        struct msghdr mh = { .msg_iov = &iov,
                                             .msg_iovlen = 1,
                                             .msg_control = ctl.buf,
                                             .msg_controllen = sizeof(ctl.buf) };
                        ssize_t got = recvmsg(fd, &mh, MSG_DONTWAIT);
                        int64_t t = now_ns();

                        if (got < 0) {
                                if (errno == EAGAIN || errno == EINTR)
                                        break;
                                return wfail("recvmsg");
                        }
                        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
                                        memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
                        any = true;
                        if ((size_t)got < sizeof(u.p) || u.p.magic != PROBE_MAGIC || u.p.warmup)
                                continue;
                        if (n == cap) {
                                int64_t *d = realloc(delay,
                                                     (cap = cap ? 2 * cap : 4096) * sizeof(*delay));

                                if (!d)
                                        return wfail("realloc");
                                delay = d;
                        }
                        delay[n++] = t - u.p.sent_ns;
                }
        }
        if (close(fd) < 0)
                return wfail("close");
        if (n == 0) {
                fprintf(stderr, "bench_shaper worker: no probe received\n");
                return 1;
        }
        qsort(delay, n, sizeof(*delay), cmp_i64);
        for (size_t i = 0; i < n; i++)
                sum += (double)delay[i];
        if (printf("received=%zu drops=%" PRIu32
                   " mean_us=%.2f p50_us=%.2f p99_us=%.2f max_us=%.2f min_us=%.2f\n",
                   n, drops, sum / (double)n / 1e3, delay[n / 2] / 1e3, delay[(n * 99) / 100] / 1e3,
                   delay[n - 1] / 1e3, delay[0] / 1e3) < 0)
                return wfail("stdout");
        free(delay);
        return 0;
}

static int
sleep_until(int64_t t)
{
        struct timespec ts = { .tv_sec = (time_t)(t / 1000000000), .tv_nsec = t % 1000000000 };
        int r;

        while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
                ;
        errno = r;
        return r ? -1 : 0;
}

/* A few warm-up probes (ARP through the link), then COUNT probes paced at PPS. */
static int
w_udp_send(const struct sockaddr_in *sin, long count, long pps)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int64_t interval = 1000000000 / pps, next, late = 0;
        union {
                struct probe p;
                uint8_t raw[PROBE_SIZE];
        } u = { .p = { .magic = PROBE_MAGIC, .warmup = 1 } };

        if (fd < 0)
                return wfail("udp socket");
        /* Sleeps end on time, not up to 50 µs later. */
        if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) < 0)
                return wfail("PR_SET_TIMERSLACK");
        next = now_ns();
        for (int i = 0; i < WARMUP; i++) {
                u.p.sent_ns = now_ns();
                if (sendto(fd, u.raw, sizeof(u.raw), 0, (const struct sockaddr *)sin,
                           sizeof(*sin)) < 0)
                        return wfail("sendto");
                next += 5000000;
                if (sleep_until(next) < 0)
                        return wfail("clock_nanosleep");
        }
        u.p.warmup = 0;
        for (long i = 0; i < count; i++) {
                int64_t t;

                if (sleep_until(next) < 0)
                        return wfail("clock_nanosleep");
                t = now_ns();
                if (t - next > late)
                        late = t - next;
                u.p.seq = (uint32_t)i;
                u.p.sent_ns = t;
                if (sendto(fd, u.raw, sizeof(u.raw), 0, (const struct sockaddr *)sin,
                           sizeof(*sin)) < 0)
                        return wfail("sendto");
                next += interval;
        }
        if (close(fd) < 0)
                return wfail("close");
        if (printf("sent=%ld late_max_us=%.1f\n", count, late / 1e3) < 0)
                return wfail("stdout");
        return 0;
}

static void
on_term(int sig)
{
        (void)sig;
        stop = 1;
}

/*
 * Accepts CONNS connections and reads them; from SKIP_MS after the first byte
 * for MEASURE_MS (or until SIGTERM), the bytes of every read after the first
 * one over the time since that first one: frames that arrive in bursts (GSO
 * packets through the shaper) count once each.  Then resets the connections.
 */
static int
w_tcp_sink(const struct sockaddr_in *sin, int conns, int skip_ms, int measure_ms)
{
        struct sigaction sa = { .sa_handler = on_term };
        struct pollfd p[65];
        int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, accepted = 0, open = 0;
        int64_t give_up = now_ns() + 15 * 1000000000LL, t0 = 0, tstart = 0, tend = 0;
        int64_t tfirst = 0, tlast = 0;
        unsigned long long bytes = 0;
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };

        if (conns < 1 || conns > 64)
                return wfail("connection count");
        if (sigaction(SIGTERM, &sa, NULL) < 0)
                return wfail("sigaction");
        if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(lfd, (const struct sockaddr *)sin, sizeof(*sin)) < 0 || listen(lfd, 64) < 0)
                return wfail("tcp listen");
        p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
        while (!stop) {
                int r = poll(p, (nfds_t)(1 + accepted), 100);

                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return wfail("poll");
                }
                if (!t0 && now_ns() > give_up) {
                        fprintf(stderr, "bench_shaper worker: no data within 15 s\n");
                        return 1;
                }
                if (accepted < conns && (p[0].revents & POLLIN)) {
                        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

                        if (fd < 0)
                                return wfail("accept");
                        p[1 + accepted++] = (struct pollfd){ .fd = fd, .events = POLLIN };
                        open++;
                }
                for (int i = 1; i <= accepted && !stop; i++) {
                        ssize_t got;
                        int64_t t;

                        if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        got = read(p[i].fd, chunk, sizeof(chunk));
                        t = now_ns();
                        if (got < 0 && (errno == EINTR || errno == EAGAIN))
                                continue;
                        if (got < 0 && errno != ECONNRESET)
                                return wfail("read");
                        if (got <= 0) {
                                if (close(p[i].fd) < 0)
                                        return wfail("close");
                                p[i].fd = -1;
                                open--;
                                continue;
                        }
                        if (!t0) {
                                t0 = t;
                                tstart = t0 + (int64_t)skip_ms * 1000000;
                                tend = tstart + (int64_t)measure_ms * 1000000;
                        }
                        /* From the first read in the window: what it brought came before. */
                        if (t >= tstart && !tfirst) {
                                tfirst = t;
                        } else if (t >= tstart) {
                                bytes += (unsigned long long)got;
                                tlast = t;
                        }
                        if (t >= tend)
                                stop = 1;
                }
                if (accepted == conns && open == 0)
                        break; /* The senders gave up first. */
        }
        for (int i = 1; i <= accepted; i++)
                if (p[i].fd >= 0 &&
                    (setsockopt(p[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0 ||
                     close(p[i].fd) < 0))
                        return wfail("close");
        if (close(lfd) < 0)
                return wfail("close");
        if (!bytes || tlast <= tfirst) {
                fprintf(stderr, "bench_shaper worker: nothing measured\n");
                return 1;
        }
        if (printf("conns=%d bytes=%llu ms=%.1f mbps=%.3f\n", accepted, bytes,
                   (tlast - tfirst) / 1e6, bytes * 8.0 / ((tlast - tfirst) / 1e9) / 1e6) < 0)
                return wfail("stdout");
        return 0;
}

/* One connection: writes zeros until MAX_MS pass or the sink resets it. */
static int
send_one(const struct sockaddr_in *sin, int max_ms)
{
        int64_t t0 = now_ns(), deadline = t0 + (int64_t)max_ms * 1000000;
        struct timeval tv = { .tv_usec = 200000 };
        int fd;

        for (;;) {
                fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return wfail("tcp socket");
                if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == 0)
                        break;
                if ((errno != ECONNREFUSED && errno != EHOSTUNREACH && errno != ENETUNREACH) ||
                    now_ns() - t0 > (int64_t)CONNECT_RETRY * 1000000)
                        return wfail("connect");
                if (close(fd) < 0)
                        return wfail("close");
                if (usleep(20000) < 0)
                        return wfail("usleep");
        }
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return wfail("SO_SNDTIMEO");
        while (now_ns() < deadline) {
                if (send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL) >= 0)
                        continue;
                if (errno == EAGAIN || errno == EINTR)
                        continue;
                if (errno == EPIPE || errno == ECONNRESET)
                        break; /* The sink is done. */
                return wfail("send");
        }
        if (close(fd) < 0 && errno != ECONNRESET)
                return wfail("close");
        return 0;
}

static int
w_tcp_send(const struct sockaddr_in *sin, int conns, int max_ms)
{
        int failed = 0;

        if (conns < 1 || conns > 64)
                return wfail("connection count");
        for (int i = 0; i < conns; i++) {
                pid_t pid = fork();

                if (pid < 0)
                        return wfail("fork");
                if (pid == 0)
                        _exit(send_one(sin, max_ms));
        }
        for (int i = 0; i < conns; i++) {
                int status;

                if (wait(&status) < 0)
                        return wfail("wait");
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed++;
        }
        if (printf("conns=%d failed=%d\n", conns, failed) < 0)
                return wfail("stdout");
        return failed ? 1 : 0;
}

static int
worker(int argc, char **argv)
{
        struct sockaddr_in sin;
        const char *w = argv[0];

        (void)alarm(WORKER_MAX_S + 30); /* Whatever happens, a worker never outlives the bench. */
        if (argc < 2 || parse_addr(argv[1], &sin) < 0)
                goto usage;
        if (strcmp(w, "udp-recv") == 0 && argc == 3)
                return w_udp_recv(&sin, atoi(argv[2]));
        if (strcmp(w, "udp-send") == 0 && argc == 4 && atol(argv[2]) > 0 && atol(argv[3]) > 0)
                return w_udp_send(&sin, atol(argv[2]), atol(argv[3]));
        if (strcmp(w, "tcp-sink") == 0 && argc == 5)
                return w_tcp_sink(&sin, atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
        if (strcmp(w, "tcp-send") == 0 && argc == 4)
                return w_tcp_send(&sin, atoi(argv[2]), atoi(argv[3]));
usage:
        fprintf(stderr, "bench_shaper: bad worker arguments (see the top of bench_shaper.c)\n");
        return 2;
}

/* ---- The bench: drives patchbayd ------------------------------------------ */

struct bench {
        struct pb_client *c;
        char self[PATH_MAX];
        char dst[64]; /* b's address. */
        int port;
        double plain_mbps; /* One connection on the plain veth. */
};

/* The value of the string member 'key' of a JSON text, unescaped (enough for our outputs). */
static bool
json_str(const char *json, const char *key, char *out, size_t n)
{
        char pat[64];
        const char *p;
        size_t k = 0;

        snprintf(pat, sizeof(pat), "\"%s\":\"", key);
        p = strstr(json, pat);
        if (!p || n == 0)
                return false;
        for (p += strlen(pat); *p && *p != '"' && k + 1 < n; p++) {
                if (*p == '\\' && p[1]) {
                        p++;
                        out[k++] = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
                } else {
                        out[k++] = *p;
                }
        }
        out[k] = '\0';
        return true;
}

static double
json_num(const char *json, const char *key)
{
        char pat[64];
        const char *p;

        snprintf(pat, sizeof(pat), "\"%s\":", key);
        p = strstr(json, pat);
        return p ? strtod(p + strlen(pat), NULL) : NAN;
}

/* The number after "key=" in a worker's output. */
static double
kv(const char *text, const char *key)
{
        size_t kl = strlen(key);

        for (const char *p = strstr(text, key); p; p = strstr(p + 1, key))
                if ((p == text || p[-1] == ' ' || p[-1] == '\n') && p[kl] == '=')
                        return strtod(p + kl + 1, NULL);
        pbb_dief("no %s= in worker output '%s'", key, text);
        return NAN;
}

static void
set_cond(struct bench *b, const char *cond)
{
        free(pbb_callf(b->c, "iface.set_condition",
                       "{\"lab\":\"" LAB "\",\"device\":\"a\",\"iface\":\"eth0\",\"condition\":%s,"
                       "\"direction\":\"up\"}",
                       cond));
}

/* The backend carrying a -> b now, from lab.state. */
static void
backend(struct bench *b, char *out, size_t n)
{
        char *res = pbb_callf(b->c, "lab.state", "{\"lab\":\"" LAB "\"}");

        if (!json_str(res, "shaper_a_to_b", out, n))
                snprintf(out, n, "none");
        free(res);
}

static long
spawn(struct bench *b, const char *node, const char *args)
{
        char *res =
                pbb_callf(b->c, "node.spawn",
                          "{\"lab\":\"" LAB "\",\"node\":\"%s\",\"argv\":[\"%s\",\"--worker\",%s]}",
                          node, b->self, args);
        double proc = json_num(res, "proc");

        if (!(proc >= 0))
                pbb_dief("node.spawn: no proc in %s", res);
        free(res);
        return (long)proc;
}

/* Runs a worker to completion in 'node'; its stdout in 'out'. */
static void
exec_worker(struct bench *b, const char *node, const char *args, char *out, size_t n)
{
        char *res = pbb_callf(b->c, "node.exec",
                              "{\"lab\":\"" LAB "\",\"node\":\"%s\",\"timeout_ms\":90000,"
                              "\"argv\":[\"%s\",\"--worker\",%s]}",
                              node, b->self, args);
        char err[1024] = "";

        if (!strstr(res, "\"exit_code\":0")) {
                (void)json_str(res, "stderr", err, sizeof(err));
                pbb_dief("worker %s in %s failed: %s", args, node, err);
        }
        if (!json_str(res, "stdout", out, n))
                pbb_dief("node.exec: no stdout in %s", res);
        free(res);
}

/* What a spawned worker printed so far on stdout; true at its end. */
static bool
proc_stdout(struct bench *b, long proc, const char *stream, char *out, size_t n)
{
        char *res = pbb_callf(b->c, "proc.output", "{\"proc\":%ld,\"stream\":\"%s\",\"max\":65536}",
                              proc, stream);
        bool eof = strstr(res, "\"eof\":true") != NULL;

        if (!json_str(res, "data", out, n))
                pbb_dief("proc.output: no data in %s", res);
        free(res);
        return eof;
}

static void
wait_ready(struct bench *b, long proc)
{
        char out[256];

        for (int i = 0; i < 500; i++) {
                bool eof = proc_stdout(b, proc, "stdout", out, sizeof(out));

                if (strstr(out, "ready"))
                        return;
                if (eof)
                        break;
                if (usleep(10000) < 0)
                        pbb_die("usleep", NULL);
        }
        (void)proc_stdout(b, proc, "stderr", out, sizeof(out));
        pbb_dief("worker %ld never got ready: %s", proc, out);
}

/* Waits for a spawned worker; its stdout in 'out'. */
static void
finish(struct bench *b, long proc, char *out, size_t n)
{
        char *res = pbb_callf(b->c, "proc.wait", "{\"proc\":%ld,\"timeout_ms\":90000}", proc);
        bool ok = strstr(res, "\"exit_code\":0") != NULL;

        free(res);
        if (!ok) {
                (void)proc_stdout(b, proc, "stderr", out, n);
                pbb_dief("worker %ld failed: %s", proc, out);
        }
        for (int i = 0; !proc_stdout(b, proc, "stdout", out, n); i++)
                if (i == 500 || usleep(10000) < 0)
                        pbb_dief("worker %ld: its output never ended", proc);
}

struct udp_res {
        double sent, received, drops, mean, p50, p99, max; /* Delays in ms. */
        double late;                                       /* The sender's worst, ms. */
};

static void
udp_run(struct bench *b, long count, long pps, struct udp_res *r)
{
        char args[256], out[1024];
        long proc;

        snprintf(args, sizeof(args), "\"udp-recv\",\"%s:%d\",\"300\"", b->dst, b->port);
        proc = spawn(b, "b", args);
        wait_ready(b, proc);
        snprintf(args, sizeof(args), "\"udp-send\",\"%s:%d\",\"%ld\",\"%ld\"", b->dst, b->port++,
                 count, pps);
        exec_worker(b, "a", args, out, sizeof(out));
        r->sent = kv(out, "sent");
        r->late = kv(out, "late_max_us") / 1e3;
        finish(b, proc, out, sizeof(out));
        r->received = kv(out, "received");
        r->drops = kv(out, "drops");
        r->mean = kv(out, "mean_us") / 1e3;
        r->p50 = kv(out, "p50_us") / 1e3;
        r->p99 = kv(out, "p99_us") / 1e3;
        r->max = kv(out, "max_us") / 1e3;
}

/* Goodput of CONNS connections a -> b in Mbit/s, over MEASURE_MS after SKIP_MS. */
static double
tcp_run(struct bench *b, int conns, int skip_ms, int measure_ms)
{
        char args[256], out[1024];
        long proc;
        double mbps;

        /* The sender retries while nothing listens yet. */
        snprintf(args, sizeof(args), "\"tcp-send\",\"%s:%d\",\"%d\",\"%d\"", b->dst, b->port, conns,
                 skip_ms + measure_ms + 10000);
        proc = spawn(b, "a", args);
        snprintf(args, sizeof(args), "\"tcp-sink\",\"%s:%d\",\"%d\",\"%d\",\"%d\"", b->dst,
                 b->port++, conns, skip_ms, measure_ms);
        exec_worker(b, "b", args, out, sizeof(out));
        mbps = kv(out, "mbps");
        finish(b, proc, out, sizeof(out));
        return mbps;
}

static void
rpc_latency(struct bench *b, int n, double *p50, double *p99)
{
        double *v = calloc((size_t)n, sizeof(*v));
        struct pb_error e;

        if (!v)
                pbb_die("calloc", NULL);
        for (int i = 0; i < n; i++) {
                double t0 = pbb_now_ms();

                if (pb_call(b->c, "daemon.info", NULL, 10000, NULL, &e) < 0)
                        pbb_die("daemon.info", &e);
                v[i] = pbb_now_ms() - t0;
        }
        pbb_percentiles(v, n, p50, p99);
        free(v);
}

static void
flush_out(void)
{
        if (fflush(stdout) != 0)
                pbb_die("stdout", NULL);
}

static void
phase_delay(struct bench *b)
{
        static const long pps[] = { 1000, 10000 };
        struct udp_res r;
        char be[32];

        printf("\n1. one-way delay a -> b, UDP %d-byte probes, sent and received timestamps "
               "(CLOCK_MONOTONIC) in userspace\n",
               PROBE_SIZE);
        printf("  %-24s %6s %7s %8s %8s %8s %8s %9s %9s\n", "link (backend)", "pps", "probes",
               "mean ms", "p50 ms", "p99 ms", "max ms", "mean err", "p99 err");
        for (int lat = 0; lat <= LATENCY_MS; lat += LATENCY_MS) {
                char cond[64], name[64];

                snprintf(cond, sizeof(cond), "{\"latency_ms\":%d}", lat);
                set_cond(b, lat ? cond : "null");
                backend(b, be, sizeof(be));
                if (lat)
                        snprintf(name, sizeof(name), "latency %d ms (%s)", lat, be);
                else
                        snprintf(name, sizeof(name), "plain veth (%s)", be);
                for (size_t i = 0; i < sizeof(pps) / sizeof(pps[0]); i++) {
                        udp_run(b, pps[i] == 1000 ? 2000 : 10000, pps[i], &r);
                        printf("  %-24s %6ld %7.0f %8.3f %8.3f %8.3f %8.3f %+9.3f %+9.3f\n", name,
                               pps[i], r.received, r.mean, r.p50, r.p99, r.max, r.mean - lat,
                               r.p99 - lat);
                        if (r.received < r.sent)
                                printf("    (%.0f of %.0f probes lost, %.0f in the receiver's "
                                       "socket)\n",
                                       r.sent - r.received, r.sent, r.drops);
                        if (r.late >= 1)
                                printf("    (the sender woke up to %.1f ms late: the machine was "
                                       "busy)\n",
                                       r.late);
                        flush_out();
                }
        }
        printf("  err = measured - configured; the plain veth row is the floor: sender and "
               "receiver wake-ups\n");
}

static void
phase_loss(struct bench *b)
{
        static const double pct[] = { 10, 1 };
        struct udp_res r;
        char be[32];

        printf("\n2. loss, %d probes at %d/s (99 %% interval: binomial, normal "
               "approximation)\n",
               LOSS_PROBES, LOSS_PPS);
        printf("  %-12s %-10s %10s %12s %20s %8s\n", "configured", "backend", "received",
               "measured", "99 % interval", "inside");
        for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
                char cond[64], name[32];
                double p = pct[i] / 100, meas, half;

                snprintf(cond, sizeof(cond), "{\"loss_pct\":%g}", pct[i]);
                snprintf(name, sizeof(name), "%g %%", pct[i]);
                set_cond(b, cond);
                backend(b, be, sizeof(be));
                udp_run(b, LOSS_PROBES, LOSS_PPS, &r);
                meas = 1 - r.received / r.sent;
                half = Z99 * sqrt(p * (1 - p) / r.sent);
                printf("  %-12s %-10s %10.0f %11.3f%% %8.3f%% .. %6.3f%% %8s\n", name, be,
                       r.received, meas * 100, (p - half) * 100, (p + half) * 100,
                       fabs(meas - p) <= half ? "yes" : "NO");
                if (r.drops > 0)
                        printf("  (%.0f of the lost probes were dropped by the receiver's "
                               "socket)\n",
                               r.drops);
                flush_out();
        }
}

static void
phase_rate(struct bench *b)
{
        static const int kbit[] = { 2000, 20000, 100000 };
        /* TCP payload per wire frame: 1448 of 1514 bytes (with timestamps). */
        const double eff = 1448.0 / 1514;

        printf("\n5. rate: TCP goodput of one connection, 2 s after a 0.5 s start; the best "
               "possible is %.1f %% of the rate\n",
               eff * 100);
        printf("  %-40s %-10s %12s %10s %10s\n", "condition", "backend", "rate Mbit/s", "goodput",
               "of best");
        /* The userspace rows first: see phase_removed(). */
        for (int tiny = 1; tiny >= 0; tiny--) {
                for (size_t i = 0; i < sizeof(kbit) / sizeof(kbit[0]); i++) {
                        char cond[96], be[32];
                        double mbps;

                        if (tiny)
                                snprintf(cond, sizeof(cond),
                                         "{\"rate_kbit\":%d,\"latency_ms\":" TINY_LATENCY "}",
                                         kbit[i]);
                        else
                                snprintf(cond, sizeof(cond), "{\"rate_kbit\":%d}", kbit[i]);
                        set_cond(b, cond);
                        backend(b, be, sizeof(be));
                        mbps = tcp_run(b, 1, 500, 2000);
                        printf("  %-40s %-10s %12.1f %10.2f %9.1f%%\n", cond, be, kbit[i] / 1e3,
                               mbps, mbps / (kbit[i] / 1e3 * eff) * 100);
                        flush_out();
                }
        }
}

static void
phase_throughput(struct bench *b, bool *pass)
{
        static const int conns[] = { 1, 4 };
        double plain[2], shaped[2];
        char be[32];

        printf("\n3. bulk TCP a -> b, 4 s after a 0.5 s start; the shaper is forced with "
               "{\"latency_ms\":" TINY_LATENCY "} (1 us)\n");
        set_cond(b, "null");
        for (int i = 0; i < 2; i++)
                plain[i] = tcp_run(b, conns[i], 500, 4000);
        set_cond(b, "{\"latency_ms\":" TINY_LATENCY "}");
        backend(b, be, sizeof(be));
        for (int i = 0; i < 2; i++)
                shaped[i] = tcp_run(b, conns[i], 500, 4000);
        printf("  %-12s %14s %16s %8s %14s %8s\n", "connections", "veth Gbit/s", "shaper Gbit/s",
               "ratio", "target Gbit/s", "result");
        for (int i = 0; i < 2; i++) {
                double target = fmin(TARGET_GBIT, TARGET_SHARE * plain[i] / 1e3);
                bool ok = shaped[i] / 1e3 >= target;

                printf("  %-12d %14.2f %16.2f %8.2f %14.2f %8s\n", conns[i], plain[i] / 1e3,
                       shaped[i] / 1e3, shaped[i] / plain[i], target, ok ? "PASS" : "FAIL");
                *pass = *pass && ok;
        }
        b->plain_mbps = plain[0];
        printf("  shaper backend: %s; target: the lower of %.0f Gbit/s and %.0f %% of the "
               "veth\n",
               be, TARGET_GBIT, TARGET_SHARE * 100);
        flush_out();
}

static void
phase_rpc(struct bench *b, bool *pass)
{
        double i50, i99, l50, l99, mbps;
        char args[256], out[1024];
        long sink, send;
        bool ok;

        printf("\n4. daemon.info round trip, %d calls, the shaper idle and carrying 4 TCP "
               "connections\n",
               RPC_CALLS);
        set_cond(b, "{\"latency_ms\":" TINY_LATENCY "}");
        rpc_latency(b, RPC_CALLS, &i50, &i99);

        snprintf(args, sizeof(args), "\"tcp-sink\",\"%s:%d\",\"4\",\"0\",\"60000\"", b->dst,
                 b->port);
        sink = spawn(b, "b", args);
        snprintf(args, sizeof(args), "\"tcp-send\",\"%s:%d\",\"4\",\"60000\"", b->dst, b->port++);
        send = spawn(b, "a", args);
        if (sleep_until(now_ns() + 1000000000) < 0) /* Connected and up to speed. */
                pbb_die("clock_nanosleep", NULL);
        rpc_latency(b, RPC_CALLS, &l50, &l99);
        free(pbb_callf(b->c, "proc.kill", "{\"proc\":%ld,\"signal\":\"SIGTERM\"}", sink));
        finish(b, sink, out, sizeof(out));
        mbps = kv(out, "mbps");
        finish(b, send, out, sizeof(out));

        ok = l99 < TARGET_P99MS;
        *pass = *pass && ok;
        printf("  %-34s %10s %10s\n", "", "p50 ms", "p99 ms");
        printf("  %-34s %10.3f %10.3f\n", "idle", i50, i99);
        printf("  %-34s %10.3f %10.3f   %s (target p99 < %.0f ms)\n", "under load", l50, l99,
               ok ? "PASS" : "FAIL", TARGET_P99MS);
        printf("  load: %.2f Gbit/s through the shaper meanwhile\n", mbps / 1e3);
        flush_out();
}

/*
 * Removing the condition must leave the plain veth: one connection after the
 * rate phase (whose last condition is a tbf) against the plain veth of
 * phase 3.  Half its goodput or less means something of the condition stayed.
 */
static void
phase_removed(struct bench *b, bool *pass)
{
        char be[32];
        double mbps;
        bool ok;

        set_cond(b, "null");
        backend(b, be, sizeof(be));
        mbps = tcp_run(b, 1, 300, 1000);
        ok = mbps > 0.5 * b->plain_mbps;
        *pass = *pass && ok;
        printf("\n6. condition removed (null after {\"rate_kbit\":100000}, lab.state backend "
               "%s):\n  one connection %.2f Gbit/s, plain veth %.2f Gbit/s   %s (target > 50 %% "
               "of the veth)\n",
               be, mbps / 1e3, b->plain_mbps / 1e3, ok ? "PASS" : "FAIL");
        flush_out();
}

int
main(int argc, char **argv)
{
        char bin[PATH_MAX + 16], sock[64], shaper[32] = "?";
        struct bench b = { .port = 5201 };
        struct pb_error e;
        bool pass = true;
        double t0 = pbb_now_ms();
        char *res;
        ssize_t len;
        pid_t pid;

        pbb_name = "bench_shaper";
        if (argc >= 3 && strcmp(argv[1], "--worker") == 0)
                return worker(argc - 2, argv + 2);
        if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
                fprintf(stderr, "Usage: bench_shaper [PATCHBAYD]\n");
                return 1;
        }
        len = readlink("/proc/self/exe", b.self, sizeof(b.self) - 1);
        if (len <= 0)
                pbb_die("readlink", NULL);
        b.self[len] = '\0';
        if (strpbrk(b.self, "\"\\"))
                pbb_dief("%s: the path must not need JSON escaping", b.self);
        if (argc == 2)
                snprintf(bin, sizeof(bin), "%s", argv[1]);
        else
                snprintf(bin, sizeof(bin), "%.*s/patchbayd", (int)(strrchr(b.self, '/') - b.self),
                         b.self);
        snprintf(sock, sizeof(sock), "/tmp/bench-shaper-%d.sock", (int)getpid());

        pid = pbb_start_daemon(bin, sock);
        if (pb_client_connect(sock, 0, &b.c, &e) < 0)
                pbb_die("connect", &e);
        res = pbb_callf(b.c, "daemon.info", "{}");
        if (!json_str(res, "shaper", shaper, sizeof(shaper)))
                pbb_dief("daemon.info: no shaper in %s", res);
        printf("bench_shaper: patchbayd shaper %s (kernel netem %s), uid %d; router r, devices a "
               "and b,\n  condition on a's uplink (iface.set_condition direction up), traffic a "
               "-> b\n",
               shaper, strstr(res, "\"netem\"") ? "present" : "absent", (int)getuid());
        free(res);
        free(pbb_callf(b.c, "lab.create", "{\"name\":\"" LAB "\"}"));
        free(pbb_callf(b.c, "router.add", "{\"lab\":\"" LAB "\",\"name\":\"r\"}"));
        free(pbb_callf(b.c, "device.add",
                       "{\"lab\":\"" LAB "\",\"name\":\"a\",\"ifaces\":[{\"name\":\"eth0\","
                       "\"router\":\"r\"}]}"));
        res = pbb_callf(b.c, "device.add",
                        "{\"lab\":\"" LAB "\",\"name\":\"b\",\"ifaces\":[{\"name\":\"eth0\","
                        "\"router\":\"r\"}]}");
        if (!json_str(res, "ip", b.dst, sizeof(b.dst)))
                pbb_dief("device.add: no ip in %s", res);
        free(res);

        phase_delay(&b);
        phase_loss(&b);
        /* Rates last: on a link without netem nothing else is shaped with tbf. */
        phase_throughput(&b, &pass);
        phase_rpc(&b, &pass);
        phase_rate(&b);
        phase_removed(&b, &pass);

        free(pbb_callf(b.c, "lab.destroy", "{\"lab\":\"" LAB "\"}"));
        printf("\nbench_shaper: %s, %.1f s\n", pass ? "PASS" : "FAIL", (pbb_now_ms() - t0) / 1e3);
        pb_client_free(b.c);
        if (kill(pid, SIGTERM) < 0 || waitpid(pid, NULL, 0) < 0)
                pbb_die("stopping patchbayd", NULL);
        return pass ? 0 : 1;
}
