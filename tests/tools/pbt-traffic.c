/* SPDX-License-Identifier: MIT */
/*
 * pbt-traffic: the traffic generator of the integration tests (the wire-level
 * helpers of the reference suite, patchbay-tests.md Part B).  The tests run
 * it inside lab nodes with node.exec or node.spawn; it needs nothing but the
 * C library.  Addresses are numeric, "a.b.c.d:port" or "[v6]:port".
 *
 *   tcp-sink ADDR:PORT [SKIP]
 *      Listens, accepts one connection, reads until EOF, closes.  Prints
 *      "bytes=N ms=T kbps=K": the goodput of what arrived after the read
 *      that brought the total to SKIP bytes (default 1: the first read),
 *      until EOF, T being that time.  Skipping the start leaves out the
 *      connection set-up, TCP's slow start and a token bucket's first
 *      burst: K is the steady rate.
 *   tcp-send ADDR:PORT BYTES
 *      Connects (retrying for 5 s while refused or unreachable, so the sink
 *      may start later), writes BYTES zero bytes, shuts its side down and
 *      waits for the peer to close, so the timer covers the delivery.
 *      Prints "bytes=N ms=T kbps=K", timed from the established connection.
 *   tcp-serve ADDR:PORT BYTES
 *      Accepts one connection, writes BYTES bytes of 0xAB, closes.  Prints
 *      "sent=N".
 *   tcp-fetch ADDR:PORT
 *      Connects (retrying as tcp-send does), reads until EOF.  Prints
 *      "bytes=N pattern=ok" or "pattern=bad" (a byte other than 0xAB came).
 *   udp-count ADDR:PORT COUNT PAYLOAD WAIT_MS
 *      Sends COUNT datagrams of PAYLOAD zero bytes to a UDP reflector, one
 *      every millisecond, counting the answers meanwhile and for WAIT_MS
 *      after the last send.  Prints "sent=N received=M".
 *   udp-rtt ADDR:PORT COUNT [TIMEOUT_MS]
 *      One warm-up ping (its answer resolves ARP/ND and is not counted), then
 *      COUNT pings, one at a time, each from a fresh socket so that a late
 *      answer can never be taken for the next one; a ping unanswered within
 *      TIMEOUT_MS (default 1500) is lost.  Prints "rtt ms=X" or "rtt lost"
 *      per ping, then "answered=A lost=L min=X median=X max=X" (ms).
 *
 * Exit status: 0 done, 1 a network failure (printed on stderr), 2 usage.
 * Every subcommand gives up after 60 s in all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "pb-macro.h"

#define CONNECT_RETRY_MS 5000
#define ACCEPT_WAIT_MS   30000
#define IDLE_WAIT_MS     30000
#define TOTAL_LIMIT_S    60
#define CHUNK            65536

static uint8_t buf[CHUNK];

/*
 * Built with AddressSanitizer, the leak check at exit reads
 * /proc/<own pid>/task; inside a lab's PID namespace /proc is the host's,
 * where that pid is someone else or nobody, so every run would end in
 * "Can't open /proc/N/task" and exit status 1.  The tool exits right after
 * its one job: no leak check.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
        return "detect_leaks=0";
}

static int64_t
now_us(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                abort(); /* cannot happen with CLOCK_MONOTONIC */
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int _printf_(1, 2) fail(const char *fmt, ...);

static int
fail(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fputs("pbt-traffic: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return 1;
}

/* Parses "a.b.c.d:port" or "[v6]:port". */
static int
parse_endpoint(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
        char host[INET6_ADDRSTRLEN + 2];
        const char *colon = strrchr(text, ':');
        char *end;
        unsigned long port;
        size_t hl;

        if (!colon || colon == text)
                return -EINVAL;
        port = strtoul(colon + 1, &end, 10);
        if (*end || colon[1] == '\0' || port > 65535)
                return -EINVAL;
        hl = (size_t)(colon - text);
        if (text[0] == '[') {
                if (hl < 3 || text[hl - 1] != ']')
                        return -EINVAL;
                text++;
                hl -= 2;
        }
        if (hl >= sizeof(host))
                return -EINVAL;
        memcpy(host, text, hl);
        host[hl] = '\0';

        memset(ss, 0, sizeof(*ss));
        if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
                struct sockaddr_in *sin = (struct sockaddr_in *)ss;

                sin->sin_family = AF_INET;
                sin->sin_port = htons((uint16_t)port);
                *len = sizeof(*sin);
                return 0;
        }
        if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
                struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

                sin6->sin6_family = AF_INET6;
                sin6->sin6_port = htons((uint16_t)port);
                *len = sizeof(*sin6);
                return 0;
        }
        return -EINVAL;
}

static int
parse_count(const char *text, long long max, long long *ret)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < 0 || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Waits up to 'ms' for 'events' on 'fd': 1 ready, 0 timeout, -errno. */
static int
wait_fd(int fd, short events, int ms)
{
        struct pollfd p = { .fd = fd, .events = events };
        int r;

        do
                r = poll(&p, 1, ms);
        while (r < 0 && errno == EINTR);
        return r < 0 ? -errno : r;
}

/* A listening TCP socket, or -1 (reported). */
static int
tcp_listen(const char *ep)
{
        struct sockaddr_storage ss;
        socklen_t len;
        int fd, one = 1;

        if (parse_endpoint(ep, &ss, &len) < 0)
                return -fail("bad endpoint '%s'", ep);
        fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -fail("socket: %m");
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4) < 0) {
                (void)fail("listen on %s: %m", ep);
                safe_close(fd);
                return -1;
        }
        return fd;
}

/* Accepts one connection on a listening socket (closed), or -1 (reported). */
static int
tcp_accept_one(int lfd)
{
        int r = wait_fd(lfd, POLLIN, ACCEPT_WAIT_MS), fd;

        if (r <= 0) {
                safe_close(lfd);
                return -fail("accept: %s", r == 0 ? "nobody connected" : strerror(-r));
        }
        fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                (void)fail("accept: %m");
        safe_close(lfd);
        return fd < 0 ? -1 : fd;
}

/* Connects, retrying while the peer refuses or cannot be reached yet; -1 (reported). */
static int
tcp_connect(const char *ep)
{
        int64_t deadline = now_us() + CONNECT_RETRY_MS * 1000LL;
        struct sockaddr_storage ss;
        socklen_t len;

        if (parse_endpoint(ep, &ss, &len) < 0)
                return -fail("bad endpoint '%s'", ep);
        for (;;) {
                int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                int err = 0, r, flags;
                socklen_t elen = sizeof(err);
                int64_t left;

                if (fd < 0)
                        return -fail("socket: %m");
                if (connect(fd, (struct sockaddr *)&ss, len) == 0)
                        err = 0;
                else if (errno != EINPROGRESS)
                        err = errno;
                else {
                        left = (deadline - now_us()) / 1000;
                        r = wait_fd(fd, POLLOUT, left > 0 ? (int)left : 0);
                        if (r < 0)
                                err = -r;
                        else if (r == 0)
                                err = ETIMEDOUT;
                        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
                                err = errno;
                }
                if (err == 0) {
                        flags = fcntl(fd, F_GETFL);
                        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
                                (void)fail("fcntl: %m");
                                safe_close(fd);
                                return -1;
                        }
                        return fd;
                }
                safe_close(fd);
                if ((err != ECONNREFUSED && err != EHOSTUNREACH && err != ENETUNREACH) ||
                    now_us() + 20000 > deadline)
                        return -fail("connect to %s: %s", ep, strerror(err));
                if (usleep(20000) < 0 && errno != EINTR)
                        return -fail("usleep: %m");
        }
}

/*
 * Reads until EOF; counts the bytes, and notes the time of the read that
 * brought the total to 'skip' bytes and the total then; -1 (reported).
 */
static int
read_to_eof(int fd, long long skip, long long *total, int64_t *mark_us, long long *mark_n,
            bool *all_ab)
{
        *total = 0;
        *mark_us = 0;
        *mark_n = 0;
        for (;;) {
                int r = wait_fd(fd, POLLIN, IDLE_WAIT_MS);
                ssize_t n;

                if (r <= 0)
                        return -fail("read: %s", r == 0 ? "idle for too long" : strerror(-r));
                n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -fail("read: %m");
                if (n == 0)
                        return 0;
                if (all_ab)
                        for (ssize_t i = 0; i < n && *all_ab; i++)
                                *all_ab = buf[i] == 0xAB;
                *total += n;
                if (*mark_us == 0 && *total >= skip) {
                        *mark_us = now_us();
                        *mark_n = *total;
                }
        }
}

static int
write_all(int fd, long long bytes, uint8_t fill)
{
        memset(buf, fill, sizeof(buf));
        while (bytes > 0) {
                ssize_t n = write(fd, buf, (size_t)MIN(bytes, (long long)sizeof(buf)));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -fail("write: %m");
                bytes -= n;
        }
        return 0;
}

static long long
kbps(long long bytes, int64_t us)
{
        return us > 0 ? bytes * 8 * 1000 / us : 0;
}

static int
cmd_tcp_sink(int argc, char **argv)
{
        long long total, mark_n, skip = 1;
        int64_t mark_us, end_us;
        int fd;

        if ((argc != 1 && argc != 2) ||
            (argc == 2 && (parse_count(argv[1], LLONG_MAX, &skip) < 0 || skip == 0)))
                return 2;
        fd = tcp_listen(argv[0]);
        if (fd < 0)
                return 1;
        fd = tcp_accept_one(fd);
        if (fd < 0)
                return 1;
        if (read_to_eof(fd, skip, &total, &mark_us, &mark_n, NULL) < 0) {
                safe_close(fd);
                return 1;
        }
        end_us = now_us();
        safe_close(fd);
        if (mark_us == 0)
                return fail("only %lld bytes came, fewer than the %lld to skip", total, skip);
        printf("bytes=%lld ms=%lld kbps=%lld\n", total, (long long)(end_us - mark_us) / 1000,
               kbps(total - mark_n, end_us - mark_us));
        return 0;
}

static int
cmd_tcp_send(int argc, char **argv)
{
        long long bytes, total, mark_n;
        int64_t start_us, end_us, mark_us;
        int fd;

        if (argc != 2 || parse_count(argv[1], LLONG_MAX / 8000, &bytes) < 0)
                return 2;
        fd = tcp_connect(argv[0]);
        if (fd < 0)
                return 1;
        start_us = now_us();
        if (write_all(fd, bytes, 0) < 0 || (shutdown(fd, SHUT_WR) < 0 && fail("shutdown: %m")) ||
            read_to_eof(fd, 1, &total, &mark_us, &mark_n, NULL) < 0) {
                safe_close(fd);
                return 1;
        }
        end_us = now_us();
        safe_close(fd);
        printf("bytes=%lld ms=%lld kbps=%lld\n", bytes, (long long)(end_us - start_us) / 1000,
               kbps(bytes, end_us - start_us));
        return 0;
}

static int
cmd_tcp_serve(int argc, char **argv)
{
        long long bytes;
        int fd;

        if (argc != 2 || parse_count(argv[1], LLONG_MAX, &bytes) < 0)
                return 2;
        fd = tcp_listen(argv[0]);
        if (fd < 0)
                return 1;
        fd = tcp_accept_one(fd);
        if (fd < 0)
                return 1;
        if (write_all(fd, bytes, 0xAB) < 0) {
                safe_close(fd);
                return 1;
        }
        if (close(fd) < 0)
                return fail("close: %m");
        printf("sent=%lld\n", bytes);
        return 0;
}

static int
cmd_tcp_fetch(int argc, char **argv)
{
        long long total, mark_n;
        bool all_ab = true;
        int64_t mark_us;
        int fd;

        if (argc != 1)
                return 2;
        fd = tcp_connect(argv[0]);
        if (fd < 0)
                return 1;
        if (read_to_eof(fd, 1, &total, &mark_us, &mark_n, &all_ab) < 0) {
                safe_close(fd);
                return 1;
        }
        safe_close(fd);
        printf("bytes=%lld pattern=%s\n", total, all_ab ? "ok" : "bad");
        return 0;
}

/* A UDP socket connected to 'ep' (so only its answers count), or -1 (reported). */
static int
udp_connect(const char *ep)
{
        struct sockaddr_storage ss;
        socklen_t len;
        int fd;

        if (parse_endpoint(ep, &ss, &len) < 0)
                return -fail("bad endpoint '%s'", ep);
        fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -fail("socket: %m");
        if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
                (void)fail("connect to %s: %m", ep);
                safe_close(fd);
                return -1;
        }
        return fd;
}

/* Receives every datagram waiting; returns how many, or -1 (reported). */
static int
udp_drain(int fd)
{
        int n = 0;

        for (;;) {
                ssize_t r = recv(fd, buf, sizeof(buf), 0);

                if (r >= 0) {
                        n++;
                        continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return n;
                /* An ICMP error for an earlier datagram: that one is simply lost. */
                if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH ||
                    errno == EINTR)
                        continue;
                return -fail("recv: %m");
        }
}

static int
cmd_udp_count(int argc, char **argv)
{
        long long count, payload, wait_ms, received = 0, sent = 0;
        int64_t t0, end;
        int fd;

        if (argc != 4 || parse_count(argv[1], 1000000, &count) < 0 ||
            parse_count(argv[2], 1400, &payload) < 0 || parse_count(argv[3], 30000, &wait_ms) < 0)
                return 2;
        fd = udp_connect(argv[0]);
        if (fd < 0)
                return 1;
        memset(buf, 0, sizeof(buf));
        t0 = now_us();
        end = t0 + count * 1000 + wait_ms * 1000;
        for (;;) {
                int64_t now = now_us(), next = sent < count ? t0 + sent * 1000 : end;
                int r;

                if (sent < count && now >= next) {
                        ssize_t n = send(fd, buf, (size_t)payload, 0);

                        /* An ICMP error of an earlier datagram may surface here. */
                        if (n < 0 && errno != ECONNREFUSED && errno != EHOSTUNREACH &&
                            errno != ENETUNREACH && errno != ENOBUFS && errno != EAGAIN) {
                                safe_close(fd);
                                return fail("send: %m");
                        }
                        if (n >= 0 || errno != ECONNREFUSED)
                                sent++;
                        if (sent == count)
                                end = now_us() + wait_ms * 1000;
                        continue;
                }
                if (sent == count && now >= end)
                        break;
                r = wait_fd(fd, POLLIN, (int)((next - now + 999) / 1000));
                if (r < 0) {
                        safe_close(fd);
                        return fail("poll: %s", strerror(-r));
                }
                if (r > 0) {
                        r = udp_drain(fd);
                        if (r < 0) {
                                safe_close(fd);
                                return 1;
                        }
                        received += r;
                }
        }
        safe_close(fd);
        printf("sent=%lld received=%lld\n", sent, received);
        return 0;
}

static int
cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* One ping from a fresh socket: the RTT in ms, or a negative value if lost; -2 on error. */
static double
udp_ping(const char *ep, int timeout_ms)
{
        int64_t t0, deadline;
        int fd = udp_connect(ep);

        if (fd < 0)
                return -2;
        t0 = now_us();
        deadline = t0 + timeout_ms * 1000LL;
        if (send(fd, "PING", 4, 0) < 0) {
                (void)fail("send: %m");
                safe_close(fd);
                return -2;
        }
        for (;;) {
                int64_t left = deadline - now_us();
                int r = wait_fd(fd, POLLIN, left > 0 ? (int)((left + 999) / 1000) : 0);
                ssize_t n;

                if (r < 0) {
                        (void)fail("poll: %s", strerror(-r));
                        safe_close(fd);
                        return -2;
                }
                if (r == 0) {
                        safe_close(fd);
                        return -1;
                }
                n = recv(fd, buf, sizeof(buf), 0);
                if (n >= 0) {
                        double ms = (double)(now_us() - t0) / 1000.0;

                        safe_close(fd);
                        return ms;
                }
                if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED &&
                    errno != EHOSTUNREACH && errno != ENETUNREACH) {
                        (void)fail("recv: %m");
                        safe_close(fd);
                        return -2;
                }
        }
}

static int
cmd_udp_rtt(int argc, char **argv)
{
        long long count, timeout_ms = 1500;
        double *rtt, warm;
        size_t answered = 0;

        if ((argc != 2 && argc != 3) || parse_count(argv[1], 10000, &count) < 0 || count == 0 ||
            (argc == 3 && parse_count(argv[2], 30000, &timeout_ms) < 0))
                return 2;
        rtt = calloc((size_t)count, sizeof(*rtt));
        if (!rtt)
                return fail("out of memory");
        warm = udp_ping(argv[0], (int)timeout_ms);
        if (warm < -1.5) {
                free(rtt);
                return 1;
        }
        printf("warmup %s%.3f\n", warm < 0 ? "lost " : "ms=", warm < 0 ? 0.0 : warm);
        for (long long i = 0; i < count; i++) {
                double ms = udp_ping(argv[0], (int)timeout_ms);

                if (ms < -1.5) {
                        free(rtt);
                        return 1;
                }
                if (ms < 0) {
                        printf("rtt lost\n");
                        continue;
                }
                printf("rtt ms=%.3f\n", ms);
                rtt[answered++] = ms;
        }
        if (answered == 0) {
                printf("answered=0 lost=%lld\n", count);
                free(rtt);
                return 0;
        }
        qsort(rtt, answered, sizeof(*rtt), cmp_double);
        printf("answered=%zu lost=%lld min=%.3f median=%.3f max=%.3f\n", answered,
               count - (long long)answered, rtt[0],
               answered % 2 ? rtt[answered / 2] : (rtt[answered / 2 - 1] + rtt[answered / 2]) / 2.0,
               rtt[answered - 1]);
        free(rtt);
        return 0;
}

static const struct {
        const char *name, *usage;
        int (*fn)(int argc, char **argv);
} commands[] = {
        { "tcp-sink", "ADDR:PORT [SKIP]", cmd_tcp_sink },
        { "tcp-send", "ADDR:PORT BYTES", cmd_tcp_send },
        { "tcp-serve", "ADDR:PORT BYTES", cmd_tcp_serve },
        { "tcp-fetch", "ADDR:PORT", cmd_tcp_fetch },
        { "udp-count", "ADDR:PORT COUNT PAYLOAD WAIT_MS", cmd_udp_count },
        { "udp-rtt", "ADDR:PORT COUNT [TIMEOUT_MS]", cmd_udp_rtt },
};

static int
usage(void)
{
        fputs("Usage: pbt-traffic COMMAND ARGS...\n", stderr);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(stderr, "  %s %s\n", commands[i].name, commands[i].usage);
        return 2;
}

int
main(int argc, char **argv)
{
        if (argc < 2)
                return usage();
        /* Nothing may outlive its test for long, whatever the network does. */
        alarm(TOTAL_LIMIT_S);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                int r;

                if (strcmp(argv[1], commands[i].name) != 0)
                        continue;
                r = commands[i].fn(argc - 2, argv + 2);
                if (r == 2)
                        return usage();
                if (fflush(stdout) != 0)
                        return fail("stdout: %m");
                return r;
        }
        return usage();
}
