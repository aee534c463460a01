/* SPDX-License-Identifier: MIT */
/*
 * The daemon object: configuration, the event loop and the server, shared
 * by every method handler.
 */
#ifndef PBD_DAEMON_H
#define PBD_DAEMON_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <sys/queue.h>
#include <sys/types.h>

#include "labs.h"
#include "listen.h"

struct pb_schema;
struct pbd_server;

/*
 * Work a handler left running past its call (a deferred reply, a timer).
 * The daemon cancels whatever is still registered when it stops, so nothing
 * is leaked or left to fire after the loop ends.
 */
struct pbd_deferred {
        TAILQ_ENTRY(pbd_deferred) link;
        void (*cancel)(struct pbd_deferred *dfr); /* Must unregister and free. */
};

enum pbd_shaper {
        PBD_SHAPER_AUTO,
        PBD_SHAPER_NETEM,
        PBD_SHAPER_USERSPACE,
        _PBD_SHAPER_MAX,
};

/* Limits on everything a peer controls (style guide R12). */
#define PBD_MAX_CONNECTIONS_DEFAULT  1024
#define PBD_STALL_TIMEOUT_MS_DEFAULT 30000
#define PBD_MAX_BACKLOG_DEFAULT      (32u * 1024 * 1024) /* > 2 node.exec replies (12 MiB). */

struct pbd_config {
        char socket_path[108]; /* Empty: resolved from the environment. */
        bool foreground;
        int log_level;
        char *outdir;           /* Owned; NULL: no output files. */
        enum pbd_shaper shaper; /* What was asked for. */
        unsigned max_connections;
        unsigned stall_timeout_ms;
        size_t max_backlog; /* Output bytes queued per connection before it is dropped. */
};

struct pbl_shaper;

struct pbd_daemon {
        struct ev_loop *loop;
        struct pbd_config cfg;
        struct pb_schema *schema;
        json_t *discover; /* rpc.discover answer, built on first use. */
        struct pbd_server *server;
        struct pbd_listener listener;

        bool rootless;
        pid_t outer_pid;        /* Our pid as the host sees it (for /proc/<pid>/ns paths). */
        uid_t outer_uid;        /* The uid we run as on the host. */
        enum pbd_shaper shaper; /* In use: NETEM or USERSPACE. */
        bool netem;             /* The kernel has sch_netem. */
        struct pbl_shaper *shaper_thread; /* The userspace shaper, when in use. */
        int64_t started_usec;

        TAILQ_HEAD(, pbd_deferred) deferred;
        struct pbd_labs labs;

        bool stopping;
        int exit_status;
        ev_signal sig_term, sig_int, sig_hup;
        ev_io parent_watch; /* Foreground: EOF when the supervisor died. */
        ev_timer drain;     /* Shutdown: wait for replies to leave. */
        int drain_ticks;
};

const char *pbd_shaper_to_string(enum pbd_shaper s);
enum pbd_shaper pbd_shaper_from_string(const char *s); /* -1 if unknown */

/*
 * Sets up the loop, the schema and the server on the listener already in
 * 'd->listener'.  'parent_fd' (or -1) is watched for EOF.  Returns 0 or a
 * negative errno (logged).
 */
int pbd_daemon_init(struct pbd_daemon *d, int parent_fd);

/* Runs until pbd_daemon_stop().  Returns the exit status. */
int pbd_daemon_run(struct pbd_daemon *d);

/*
 * Starts a clean shutdown: stop accepting, let queued replies leave (up to a
 * second), then leave the loop.  Idempotent.
 */
void pbd_daemon_stop(struct pbd_daemon *d, const char *why);

/* Releases everything and removes the socket.  NULL-tolerant fields. */
void pbd_daemon_done(struct pbd_daemon *d);

void pbd_deferred_add(struct pbd_daemon *d, struct pbd_deferred *dfr);
void pbd_deferred_remove(struct pbd_daemon *d, struct pbd_deferred *dfr);

/* Monotonic microseconds. */
int64_t pbd_now_usec(void);

#endif
