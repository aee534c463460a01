/* SPDX-License-Identifier: MIT */
/*
 * The process layout.  patchbayd enters its namespaces and forks once: the
 * child is pid 1 of a fresh PID namespace and runs the daemon, so that its
 * death — even by SIGKILL — takes every lab process with it.  The parent is
 * a small supervisor: it relays readiness (to the starting client, or to
 * systemd as the service's main pid), forwards termination signals in
 * foreground mode, and exits with the daemon's status.
 */
#ifndef PBD_SUPERVISE_H
#define PBD_SUPERVISE_H

#include <stdbool.h>

struct pbd_supervise {
        int ready_fd;  /* Child: write end; one byte once serving. */
        int parent_fd; /* Child, foreground: read end, EOF when the supervisor died. */
};

/*
 * Enters the namespaces (user namespace when not root, mount, PID) and forks.
 * Returns 0 in the child only; the parent supervises and exits.  Sets
 * '*ret_rootless'.  On failure before the fork returns a negative errno.
 */
int pbd_supervise_fork(bool foreground, bool *ret_rootless, struct pbd_supervise *ret);

/* Child: tells the supervisor that the socket is being served. */
void pbd_supervise_ready(struct pbd_supervise *s);

#endif
