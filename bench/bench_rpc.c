/* SPDX-License-Identifier: MIT */
/*
 * bench_rpc: round-trip latency (p50/p99) and calls per second of
 * daemon.info through libpatchbay, over 1 and over 16 connections.
 *
 * Baseline, in the same run: a minimal server (one poll loop, no JSON
 * parsing) that answers each request line with the same bytes the daemon
 * sent for daemon.info.  The client side is identical, so the difference is
 * what patchbayd's parsing, validation, dispatch and encoding cost.
 *
 * Usage: bench_rpc [-n CALLS] [PATCHBAYD]   (default: $PATCHBAYD, or
 * patchbayd next to this program)
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "patchbay.h"

#define MAX_CONNS 16

static char dir[64];

static long long
now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
die(const char *what)
{
        fprintf(stderr, "bench_rpc: %s: %s\n", what, strerror(errno));
        exit(1);
}

static int
cmp_ll(const void *a, const void *b)
{
        long long x = *(const long long *)a, y = *(const long long *)b;

        return (x > y) - (x < y);
}

/* --- the baseline server -------------------------------------------------- */

/* Answers every line with 'reply' (which holds "\"id\":0") and the request's id. */
static void
baseline_serve(int lfd, const char *reply)
{
        struct pollfd pfd[MAX_CONNS + 1] = { { .fd = lfd, .events = POLLIN } };
        char buf[MAX_CONNS + 1][4096];
        size_t len[MAX_CONNS + 1] = { 0 };
        const char *idpos = strstr(reply, "\"id\":0");
        size_t head = (size_t)(idpos - reply) + 5, tail_off = head + 1;
        int n = 1;

        for (;;) {
                if (poll(pfd, (nfds_t)n, -1) < 0)
                        continue;
                if ((pfd[0].revents & POLLIN) && n <= MAX_CONNS) {
                        int fd = accept(lfd, NULL, NULL);

                        if (fd >= 0) {
                                pfd[n] = (struct pollfd){ .fd = fd, .events = POLLIN };
                                len[n++] = 0;
                        }
                }
                for (int i = 1; i < n; i++) {
                        ssize_t r;
                        char *nl;

                        if (!(pfd[i].revents & (POLLIN | POLLHUP)))
                                continue;
                        r = read(pfd[i].fd, buf[i] + len[i], sizeof(buf[i]) - len[i]);
                        if (r <= 0) {
                                close(pfd[i].fd);
                                pfd[i] = pfd[--n];
                                len[i] = len[n];
                                memcpy(buf[i], buf[n], len[n]);
                                i--;
                                continue;
                        }
                        len[i] += (size_t)r;
                        while ((nl = memchr(buf[i], '\n', len[i]))) {
                                char out[8192], *id = strstr(buf[i], "\"id\":");
                                long v = id && id < nl ? strtol(id + 5, NULL, 10) : 0;
                                int w = snprintf(out, sizeof(out), "%.*s%ld%s", (int)head, reply, v,
                                                 reply + tail_off);
                                size_t used = (size_t)(nl - buf[i]) + 1;

                                if (write(pfd[i].fd, out, (size_t)w) != w)
                                        break;
                                memmove(buf[i], buf[i] + used, len[i] - used);
                                len[i] -= used;
                        }
                }
        }
}

static pid_t
start_baseline(const char *path, const char *reply)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        pid_t pid;

        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(lfd, 64) < 0)
                die("baseline socket");
        pid = fork();
        if (pid < 0)
                die("fork");
        if (pid == 0) {
                baseline_serve(lfd, reply);
                _exit(0);
        }
        close(lfd);
        return pid;
}

/* --- the daemon -------------------------------------------------------------- */

static pid_t
start_daemon(const char *bin, const char *path)
{
        pid_t pid = fork();

        if (pid < 0)
                die("fork");
        if (pid == 0) {
                execl(bin, "patchbayd", "--foreground", "--log-level", "warning", "--socket", path,
                      (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 1000; i++) {
                struct pb_client *c = NULL;

                if (pb_client_connect(path, 0, &c, NULL) == 0) {
                        pb_client_free(c);
                        return pid;
                }
                usleep(10000);
        }
        fprintf(stderr, "bench_rpc: %s did not start\n", bin);
        exit(1);
}

/* --- the load ----------------------------------------------------------------- */

struct worker {
        const char *path;
        int calls;
        long long *lat; /* ns per call */
        int failed;
};

static void *
run_worker(void *arg)
{
        struct worker *w = arg;
        struct pb_client *c = NULL;

        if (pb_client_connect(w->path, 0, &c, NULL) < 0) {
                w->failed = w->calls;
                return NULL;
        }
        for (int i = 0; i < w->calls; i++) {
                long long t0 = now_ns();
                char *res = NULL;

                if (pb_call(c, "daemon.info", NULL, 10000, &res, NULL) < 0)
                        w->failed++;
                w->lat[i] = now_ns() - t0;
                free(res);
        }
        pb_client_free(c);
        return NULL;
}

struct result {
        double p50_us, p99_us, calls_per_s;
        int failed;
};

static struct result
measure(const char *path, int conns, int total)
{
        pthread_t th[MAX_CONNS];
        struct worker w[MAX_CONNS];
        int per = total / conns;
        long long *all = calloc((size_t)per * (size_t)conns, sizeof(*all));
        struct result r = { 0 };
        long long t0, elapsed;

        if (!all)
                die("calloc");
        t0 = now_ns();
        for (int i = 0; i < conns; i++) {
                w[i] = (struct worker){ .path = path, .calls = per, .lat = all + (size_t)i * per };
                if (pthread_create(&th[i], NULL, run_worker, &w[i]) != 0)
                        die("pthread_create");
        }
        for (int i = 0; i < conns; i++) {
                pthread_join(th[i], NULL);
                r.failed += w[i].failed;
        }
        elapsed = now_ns() - t0;
        qsort(all, (size_t)per * conns, sizeof(*all), cmp_ll);
        r.p50_us = all[(size_t)per * conns / 2] / 1000.0;
        r.p99_us = all[(size_t)per * conns * 99 / 100] / 1000.0;
        r.calls_per_s = (double)per * conns / (elapsed / 1e9);
        free(all);
        return r;
}

static void
row(const char *name, int conns, struct result r)
{
        printf("%-16s %5d %10.1f %10.1f %12.0f%s\n", name, conns, r.p50_us, r.p99_us, r.calls_per_s,
               r.failed ? "  (FAILURES)" : "");
}

int
main(int argc, char **argv)
{
        char bin[PATH_MAX], dsock[96], bsock[96], *reply = NULL;
        const char *env = getenv("PATCHBAYD");
        struct pb_client *c = NULL;
        pid_t dpid, bpid;
        int calls = 20000, opt;
        struct result r[4];
        size_t rlen;

        while ((opt = getopt(argc, argv, "n:")) >= 0) {
                if (opt != 'n' || (calls = atoi(optarg)) < MAX_CONNS) {
                        fprintf(stderr, "Usage: bench_rpc [-n CALLS>=16] [PATCHBAYD]\n");
                        return 1;
                }
        }
        if (optind < argc) {
                snprintf(bin, sizeof(bin), "%s", argv[optind]);
        } else if (env && *env) {
                snprintf(bin, sizeof(bin), "%s", env);
        } else {
                ssize_t n = readlink("/proc/self/exe", bin, sizeof(bin) - 16);

                if (n <= 0)
                        die("readlink");
                bin[n] = '\0';
                strcpy(strrchr(bin, '/') + 1, "patchbayd");
        }
        snprintf(dir, sizeof(dir), "/tmp/bench-rpc-XXXXXX");
        if (!mkdtemp(dir))
                die("mkdtemp");
        snprintf(dsock, sizeof(dsock), "%s/d.sock", dir);
        snprintf(bsock, sizeof(bsock), "%s/b.sock", dir);

        dpid = start_daemon(bin, dsock);
        /* The baseline answers with exactly what the daemon answers (id rewritten). */
        if (pb_client_connect(dsock, 0, &c, NULL) < 0 ||
            pb_call(c, "daemon.info", NULL, 5000, &reply, NULL) < 0)
                die("daemon.info");
        pb_client_free(c);
        rlen = strlen(reply) + 64;
        {
                char *full = malloc(rlen);

                snprintf(full, rlen, "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":%s}\n", reply);
                free(reply);
                reply = full;
        }
        bpid = start_baseline(bsock, reply);

        /* Warm up both, then measure. */
        measure(dsock, 1, 1000);
        measure(bsock, 1, 1000);
        r[0] = measure(dsock, 1, calls);
        r[1] = measure(bsock, 1, calls);
        r[2] = measure(dsock, MAX_CONNS, calls);
        r[3] = measure(bsock, MAX_CONNS, calls);

        printf("bench_rpc: %d calls of daemon.info per row (reply %zu bytes), libpatchbay client\n",
               calls, strlen(reply));
        printf("%-16s %5s %10s %10s %12s\n", "server", "conns", "p50 us", "p99 us", "calls/s");
        row("patchbayd", 1, r[0]);
        row("baseline", 1, r[1]);
        row("patchbayd", MAX_CONNS, r[2]);
        row("baseline", MAX_CONNS, r[3]);
        printf("patchbayd/baseline throughput: %.2f (1 conn), %.2f (%d conns)\n",
               r[0].calls_per_s / r[1].calls_per_s, r[2].calls_per_s / r[3].calls_per_s, MAX_CONNS);

        kill(bpid, SIGKILL);
        kill(dpid, SIGTERM);
        waitpid(bpid, NULL, 0);
        waitpid(dpid, NULL, 0);
        unlink(bsock);
        rmdir(dir);
        free(reply);
        return r[0].failed + r[1].failed + r[2].failed + r[3].failed ? 1 : 0;
}
