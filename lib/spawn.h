/* SPDX-License-Identifier: MIT */
/*
 * Starting programs inside a node: in the lab's PID namespace, the node's
 * network namespace and (devices) its mount namespace, with a clean
 * process state.  The caller gets a pid and a pidfd; it never waits
 * synchronously for the child (the daemon's event loop reaps every child).
 *
 * No JSON, no event loop: the daemon wires pipes and watchers around it.
 */
#ifndef PBL_SPAWN_H
#define PBL_SPAWN_H

#include <sys/types.h>

#include "error.h"

struct pbl_spawn {
        char *const *argv; /* NULL-terminated; argv[0] is looked up in envp's PATH. */
        char *const *envp; /* NULL-terminated, or NULL for pbl_spawn_default_env. */
        const char *cwd;   /* NULL: "/". */
        int pidns_fd;      /* pidfd of the lab's reaper (struct pbl_lab.pidns_fd). */
        int netfd;         /* The node's network namespace. */
        int mntfd;         /* The node's mount namespace, or -1 for the daemon's. */
        int stdin_fd;      /* -1: /dev/null (opened inside the node's mount namespace). */
        int stdout_fd;
        int stderr_fd;
};

/* PATH, HOME=/root and TERM=dumb; NULL-terminated. */
extern char *const pbl_spawn_default_env[];

/*
 * Forks into the lab's PID namespace and, in the child: joins the node's
 * namespaces, resets the signal mask and every disposition, starts a new
 * session (the child leads its own process group, so kill(-pid, ...)
 * reaches its descendants), sets PR_SET_PDEATHSIG to SIGKILL, lowers the
 * soft RLIMIT_NOFILE to 1024, changes directory, installs the stdio fds,
 * closes every other fd and execs argv.
 *
 * Any failure before the exec (a missing program, a bad cwd) is reported
 * back through a close-on-exec pipe: then this returns the negative errno
 * with 'err' naming the step ("exec <argv0>", "chdir <cwd>", ...), and the
 * child has exited with status 127 (still to be reaped by the caller's
 * SIGCHLD handling).  On success returns 0 with the child's pid (as the
 * caller sees it) and a pidfd for it (O_CLOEXEC).
 */
int pbl_spawn(const struct pbl_spawn *s, pid_t *ret_pid, int *ret_pidfd, struct pbl_error *err);

/*
 * Parses a signal name ("TERM", "SIGTERM", "sigkill", "RTMIN+3",
 * "SIGRTMAX-1") or a decimal number ("15").  Returns the signal number
 * (1..64) or -EINVAL.
 */
int pbl_signal_parse(const char *s);

#endif
