/* SPDX-License-Identifier: MIT */
/*
 * Per-lab PID namespaces.  Each lab has a reaper, pid 1 of the lab's PID
 * namespace; every process started in the lab lives there, so killing the
 * reaper ends them all, and the daemon's own death (it is pid 1 of the
 * namespace above) ends them too.  Processes are handled through pidfds:
 * the daemon's /proc is the host's, whose pids differ from ours.
 */
#ifndef PBL_PIDNS_H
#define PBL_PIDNS_H

#include <sys/types.h>

/* Remembers the daemon's own PID namespace.  Call once at start-up. */
int pbl_pidns_init(void);

/* Starts a reaper in a new PID namespace; returns its pid and a pidfd for it. */
int pbl_pidns_create(pid_t *ret_pid, int *ret_pidfd);

/*
 * fork()s into the PID namespace of the process behind 'pidfd'.  Returns
 * like fork(): the child's pid (as we see it) in the parent, 0 in the
 * child, or a negative errno.
 */
pid_t pbl_pidns_fork(int pidfd);

/* Sends 'sig' through a pidfd.  Returns 0 or a negative errno. */
int pbl_pidfd_kill(int pidfd, int sig);

#endif
