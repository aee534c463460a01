/* SPDX-License-Identifier: MIT */
/*
 * Process namespace bootstrap: the user namespace that makes patchbay
 * rootless, plus the private mount and PID namespaces every daemon runs in.
 */
#ifndef PB_USERNS_H
#define PB_USERNS_H

#include <stdbool.h>

#include <sys/types.h>

/*
 * Moves the calling process into a new mount namespace and makes it the
 * parent of a new PID namespace (the next fork() becomes its pid 1).  When
 * not running as real root it first enters a new user namespace in which
 * uid/gid 0 map to the caller's uid/gid (setgroups denied).  Mounts are made
 * recursively slave, so nothing mounted later propagates to the host.
 *
 * Must run while the process is single-threaded.  Sets '*ret_rootless'.
 * Returns 0 or a negative errno.
 */
int pb_userns_bootstrap(bool *ret_rootless);

/*
 * Moves the calling process into a network namespace of its own (owned by
 * our user namespace), so that it can always switch back after working in
 * a lab's namespaces — which a rootless process could not do for the host's
 * — and so that no bug can ever touch the host's network stack.  Must run
 * while single-threaded.
 */
int pb_private_netns(void);

/*
 * Returns in '*ret' the pid of the calling process as seen from the PID
 * namespace that /proc was mounted for (the host's, unless /proc was
 * remounted): the first NSpid field of /proc/self/status.
 */
int pb_self_outer_pid(pid_t *ret);

#endif
