/* SPDX-License-Identifier: MIT */
/*
 * Fixture and helpers of the "proc" suite (check_proc.c, check_proc_life.c).
 *
 * Every test gets a daemon and a connection with session lab "t": routers r1
 * and r2 on the IX, device d1 behind r1 and d2 behind r2.  Closing the
 * connection destroys the lab, so a failed test leaks nothing; the daemon
 * dies with the test process (PR_SET_PDEATHSIG).
 *
 * Processes are found on the host with `pgrep -f <marker>`, the marker being
 * a sleep duration unique to the test (pids printed inside a lab are pids of
 * its PID namespace, meaningless on the host).
 */
#ifndef PBT_PROC_UTIL_H
#define PBT_PROC_UTIL_H

#include <jansson.h>
#include <stdbool.h>

#include "harness.h"

extern struct pbt_daemon pt_d;
extern struct pb_client *pt_c;
extern char pt_r1_ip[64], pt_d1_ip[64], pt_d2_ip[64];

void pt_setup(void);
void pt_teardown(void);

/* pbt_call() / pbt_call_fail() on pt_c, with printf-built params. */
json_t *pt_callf(const char *method, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct pb_error pt_failf(const char *method, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Same as pbt_call(), for results that may hold NUL characters (\u0000). */
json_t *pt_call_nul(const char *method, const char *params);

/* A string / integer member (asserted present). */
const char *pt_str(json_t *obj, const char *key);
long long pt_num(json_t *obj, const char *key);

/* node.exec of "sh -c CMD" in 'node' of lab "t". */
json_t *pt_sh(const char *node, const char *cmd);

/* node.spawn of "sh -c CMD" on 'cl'; returns the proc id. */
long long pt_spawn_sh(struct pb_client *cl, const char *lab, const char *node, const char *cmd);

/* A sleep duration nobody else uses: "1000.<pid><n>" (4 may be in use at once). */
const char *pt_marker(int n);

/* `pgrep -f PATTERN` on the host; pt_await_host() waits up to 10 s for the wanted answer. */
bool pt_host_has(const char *pattern);
void pt_await_host(const char *pattern, bool present);

/* Polls proc.output until 'stream' holds 'needle'; returns the data (free() it). */
char *pt_await_output(long long proc, const char *stream, const char *needle);

/* An asynchronous call's answer (pb_call_async() with pt_on_answer). */
struct pt_answer {
        bool done;
        char *result;
        struct pb_error err;
};

void pt_on_answer(struct pb_client *cl, const char *result, const struct pb_error *error,
                  void *userdata);
/* Waits for it and returns the parsed result (asserts success). */
json_t *pt_await_answer(struct pb_client *cl, struct pt_answer *a);

/* The tests of check_proc_life.c: processes die with node, lab, session, daemon; node.enter. */
void pt_add_life_tests(TCase *tc);

#endif
