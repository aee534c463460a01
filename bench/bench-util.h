/* SPDX-License-Identifier: MIT */
/*
 * What the benchmarks share: the clock, dying on an error, calls that must
 * succeed, percentiles, and a patchbayd of their own.
 */
#ifndef PBB_UTIL_H
#define PBB_UTIL_H

#include <sys/types.h>

#include "patchbay.h"

/* The program's name, for messages ("bench_nat"); set by main(). */
extern const char *pbb_name;

/* Milliseconds on CLOCK_MONOTONIC. */
double pbb_now_ms(void);

/* Prints "<name>: <what>: <error>" ('e', else errno) and exits 1. */
_Noreturn void pbb_die(const char *what, const struct pb_error *e);
_Noreturn void pbb_dief(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A call that must succeed (2 min at most): its result text (free() it), or none. */
char *pbb_callr(struct pb_client *c, const char *method, const char *params);
void pbb_call(struct pb_client *c, const char *method, const char *params);
/* pbb_callr() with params built by printf. */
char *pbb_callf(struct pb_client *c, const char *method, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* qsort() comparison of doubles. */
int pbb_cmp_double(const void *a, const void *b);
/* Sorts 'v' and reads its median and 99th percentile. */
void pbb_percentiles(double *v, int n, double *p50, double *p99);

/* Starts "patchbayd --foreground --socket SOCK" and waits until it answers. */
pid_t pbb_start_daemon(const char *bin, const char *sock);

#endif
