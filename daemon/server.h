/* SPDX-License-Identifier: MIT */
/*
 * Accepts connections on the listening socket, checks the peer, enforces the
 * connection cap and owns the list of live connections.
 */
#ifndef PBD_SERVER_H
#define PBD_SERVER_H

#include <ev.h>
#include <stdint.h>

#include <sys/queue.h>

struct pbd_conn;
struct pbd_daemon;

struct pbd_server {
        struct pbd_daemon *daemon;
        int fd; /* Borrowed from the listener. */
        ev_io accept_io;
        ev_timer accept_retry; /* Back-off after EMFILE/ENFILE. */
        TAILQ_HEAD(, pbd_conn) conns;
        unsigned n_conns;
        uint64_t next_id;
        uint64_t n_accepted;
        uint64_t n_refused;
};

/* Starts accepting on the listening socket 'fd'.  Returns 0 or a negative errno. */
int pbd_server_new(struct pbd_daemon *d, int fd, struct pbd_server **ret);

/* Stops accepting new connections. */
void pbd_server_stop_accepting(struct pbd_server *s);

/* Closes every connection and frees the server.  NULL-tolerant; returns NULL. */
struct pbd_server *pbd_server_free(struct pbd_server *s);

#endif
