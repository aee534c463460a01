/* SPDX-License-Identifier: MIT */
#include "bench-util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *pbb_name = "bench";

double
pbb_now_ms(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
                abort(); /* Cannot happen with CLOCK_MONOTONIC. */
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void
pbb_die(const char *what, const struct pb_error *e)
{
        if (e)
                fprintf(stderr, "%s: %s: %s: %s\n", pbb_name, what, e->name, e->message);
        else
                fprintf(stderr, "%s: %s: %s\n", pbb_name, what, strerror(errno));
        exit(1);
}

void
pbb_dief(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fprintf(stderr, "%s: ", pbb_name);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(1);
}

char *
pbb_callr(struct pb_client *c, const char *method, const char *params)
{
        struct pb_error e;
        char *res = NULL;

        if (pb_call(c, method, params, 120000, &res, &e) < 0)
                pbb_die(method, &e);
        return res;
}

void
pbb_call(struct pb_client *c, const char *method, const char *params)
{
        free(pbb_callr(c, method, params));
}

char *
pbb_callf(struct pb_client *c, const char *method, const char *fmt, ...)
{
        char params[4096];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(params, sizeof(params), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(params))
                pbb_dief("%s: parameters too long", method);
        return pbb_callr(c, method, params);
}

int
pbb_cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

void
pbb_percentiles(double *v, int n, double *p50, double *p99)
{
        qsort(v, (size_t)n, sizeof(*v), pbb_cmp_double);
        *p50 = v[n / 2];
        *p99 = v[(n * 99) / 100];
}

pid_t
pbb_start_daemon(const char *bin, const char *sock)
{
        pid_t pid = fork();

        if (pid < 0)
                pbb_die("fork", NULL);
        if (pid == 0) {
                execl(bin, "patchbayd", "--foreground", "--log-level", "warning", "--socket", sock,
                      (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 500; i++) {
                struct pb_client *c = NULL;

                if (pb_client_connect(sock, 0, &c, NULL) == 0) {
                        pb_client_free(c);
                        return pid;
                }
                if (usleep(10000) < 0)
                        pbb_die("usleep", NULL);
        }
        pbb_dief("patchbayd (%s) did not answer on %s within 5 s", bin, sock);
}
