/* SPDX-License-Identifier: MIT */
/*
 * The listening socket: path resolution, a private directory, a lock that
 * keeps a second daemon off the same path, and systemd socket activation.
 */
#ifndef PBD_LISTEN_H
#define PBD_LISTEN_H

#include <stdbool.h>

#include <sys/types.h>

struct pbd_listener {
        int fd;         /* Listening socket, or -1. */
        int lock_fd;    /* flock()ed "<path>.lock", or -1. */
        bool activated; /* Passed in by systemd (LISTEN_FDS). */
        bool owns_path; /* We bound it and must unlink it. */
        char path[108];
        dev_t dev; /* Identity of the socket inode we bound. */
        ino_t ino;
};

#define PBD_LISTENER_INIT               \
        {                               \
                .fd = -1, .lock_fd = -1 \
        }

/*
 * Opens the listening socket.  With systemd socket activation ($LISTEN_PID
 * is us, $LISTEN_FDS is 1) fd 3 is used.  Otherwise 'path' (empty: resolved
 * as SPEC §10 says) is prepared: the parent directory is created with mode
 * 0700 when missing, "<path>.lock" is taken (-EADDRINUSE if another daemon
 * holds it), a stale socket is removed, and the socket is bound with mode
 * 0600.  The LISTEN_* variables are removed from the environment.
 * Returns 0 or a negative errno; 'what' receives a short description of the
 * failed step.
 */
int pbd_listener_open(struct pbd_listener *l, const char *path, const char **what);

/* Closes the socket and lock; removes the socket file if we created it and it is still ours. */
void pbd_listener_close(struct pbd_listener *l);

/* Closes the fds without touching the filesystem (for a forked-off parent). */
void pbd_listener_forget(struct pbd_listener *l);

#endif
