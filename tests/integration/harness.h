/* SPDX-License-Identifier: MIT */
/*
 * Integration-test harness: a real patchbayd on a private socket, driven
 * through libpatchbay, plus raw socket helpers for hostile clients.
 *
 * Cleanup also on failure: every daemon is started with PR_SET_PDEATHSIG,
 * so it stops when the forked test process dies, and each test case's
 * scratch root is created and removed by an unchecked fixture that runs in
 * the runner process, outside the forked test.
 */
#ifndef PBT_HARNESS_H
#define PBT_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>

#include <sys/types.h>

#include "patchbay.h"

struct pbt_daemon {
        char dir[256];  /* Private scratch directory of this daemon. */
        char sock[300]; /* Its socket path. */
        pid_t pid;      /* The supervisor process we started. */
};

/* Unchecked fixture: a scratch root per test case. */
void pbt_root_setup(void);
void pbt_root_teardown(void);

/* Makes a fresh directory under the scratch root; returns its path (static storage per call). */
void pbt_mkdir(char *buf, size_t n);

/* Remembers a daemon pid that the fixture kills if the test could not. */
void pbt_track_pid(pid_t pid);

/* True once 'pid' has exited (gone, or a zombie). */
bool pbt_process_gone(pid_t pid);

/*
 * Starts "patchbayd --foreground --socket <sock>" plus 'extra' (NULL-
 * terminated, may be NULL) and waits until it accepts connections.  An
 * empty d->sock means a fresh "<dir>/sock".
 */
void pbt_daemon_start(struct pbt_daemon *d, const char *const *extra);

/* Sends 'sig' to the daemon's supervisor and waits for it; returns its exit code. */
int pbt_daemon_kill(struct pbt_daemon *d, int sig);

/* SIGTERM, then asserts a clean exit and that the socket is gone. */
void pbt_daemon_stop(struct pbt_daemon *d);

/* Connects through libpatchbay (asserts success). */
struct pb_client *pbt_connect(const struct pbt_daemon *d);

/* Calls and asserts success; returns the parsed result (new reference). */
json_t *pbt_call(struct pb_client *c, const char *method, const char *params);

/* Calls and asserts failure with -EREMOTEIO; returns the error. */
struct pb_error pbt_call_fail(struct pb_client *c, const char *method, const char *params);

/* Raw, blocking, Unix-socket helpers. */
int pbt_raw_connect(const struct pbt_daemon *d);
void pbt_raw_send(int fd, const char *text);
/* Reads one frame within 'timeout_ms'; NULL on EOF or timeout (then '*eof' says which). */
json_t *pbt_raw_read(int fd, int timeout_ms, bool *eof);
/* True if the peer closed the connection within 'timeout_ms' (discarding data). */
bool pbt_raw_wait_eof(int fd, int timeout_ms);

/* Entries of directory 'path' ("." and ".." aside, as any dot-name), or -1. */
int pbt_count_dir(const char *path);

/* Milliseconds since an arbitrary point (CLOCK_MONOTONIC). */
long long pbt_now_ms(void);

/* Path of a built program: $PATCHBAYD / $PBCTL set by ctest. */
const char *pbt_daemon_binary(void);

#endif
