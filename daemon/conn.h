/* SPDX-License-Identifier: MIT */
/*
 * One client connection: non-blocking reads into an input buffer split into
 * frames, an output queue drained by a write watcher, and the limits that
 * keep one bad peer from hurting the others.  The transport layer: it knows
 * bytes and frames, and hands each frame to the dispatcher.
 */
#ifndef PBD_CONN_H
#define PBD_CONN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <sys/queue.h>
#include <sys/types.h>

struct pbd_conn;
struct pbd_server;

/* Something to run when a connection goes away (session labs, subscriptions). */
struct pbd_conn_hook {
        TAILQ_ENTRY(pbd_conn_hook) link;
        void (*fn)(struct pbd_conn *conn, struct pbd_conn_hook *hook);
        bool armed;
};

#define PBD_CONN_MAX_FDS 8

/*
 * Wraps the accepted socket 'fd' (taken over, closed on failure).  Returns 0
 * and a connection holding one reference for the server, or a negative errno.
 */
int pbd_conn_new(struct pbd_server *server, int fd, uint64_t id, uid_t uid, pid_t pid,
                 struct pbd_conn **ret);

struct pbd_conn *pbd_conn_ref(struct pbd_conn *c);
/* Drops a reference (NULL-tolerant).  Returns NULL. */
struct pbd_conn *pbd_conn_unref(struct pbd_conn *c);

/*
 * Tears the connection down now: watchers stopped, socket closed, hooks run,
 * the server's reference dropped.  'why' is logged at debug level.
 * Idempotent; safe from inside the connection's own callbacks.
 */
void pbd_conn_close(struct pbd_conn *c, const char *why);

/* Stops reading, and closes once the queued output has left. */
void pbd_conn_close_after_flush(struct pbd_conn *c, const char *why);

/* True until pbd_conn_close() ran. */
bool pbd_conn_is_open(const struct pbd_conn *c);

/*
 * Queues 'msg' (stolen), encoded as one frame, with 'fds' (duplicated; the
 * caller keeps its own) to be passed along with its first byte.  Drops the
 * connection if its backlog exceeds the limit.  Returns 0 or a negative errno.
 */
int pbd_conn_send(struct pbd_conn *c, json_t *msg, const int *fds, unsigned n_fds);

/* Attempts to write queued output right now (used while shutting down). */
void pbd_conn_flush(struct pbd_conn *c);
size_t pbd_conn_backlog(const struct pbd_conn *c);

void pbd_conn_add_hook(struct pbd_conn *c, struct pbd_conn_hook *hook);
void pbd_conn_remove_hook(struct pbd_conn *c, struct pbd_conn_hook *hook);

uint64_t pbd_conn_id(const struct pbd_conn *c);
uid_t pbd_conn_uid(const struct pbd_conn *c);
const char *pbd_conn_name(const struct pbd_conn *c);
struct pbd_server *pbd_conn_server(const struct pbd_conn *c);

/* Over all connections of 'server': flush output, sum the backlog, close all. */
void pbd_conn_flush_all(struct pbd_server *server);
size_t pbd_conn_backlog_all(struct pbd_server *server);
void pbd_conn_close_all(struct pbd_server *server, const char *why);

#endif
