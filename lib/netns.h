/* SPDX-License-Identifier: MIT */
/*
 * Namespaces held by file descriptors.  Nothing is ever bind-mounted in the
 * host: a namespace lives exactly as long as our fd (and the processes in
 * it), so the daemon's death releases everything.
 *
 * All of this runs on the daemon's main thread.  Network namespace
 * switches (setns(CLONE_NEWNET)) are per thread and always undone before
 * returning; mount namespaces are created in a short-lived clone, because a
 * multithreaded process may not change its own.
 */
#ifndef PBL_NETNS_H
#define PBL_NETNS_H

#include <stdbool.h>

/* Remembers the daemon's own network namespace.  Call once at start-up. */
int pbl_netns_init(void);

/* Returns the daemon's own netns fd (borrowed). */
int pbl_netns_self(void);

/*
 * Creates a network namespace and leaves the calling thread inside it, so
 * that sockets and sysctls for it can be set up; '*ret_fd' holds it.  Call
 * pbl_netns_leave() when done, also on failure.
 */
int pbl_netns_create_and_enter(int *ret_fd);

/* Moves the calling thread into 'fd' / back into the daemon's namespace. */
int pbl_netns_enter(int fd);
int pbl_netns_leave(void);

/* Creates a socket inside namespace 'netfd' (-1: the current one). */
int pbl_netns_socket(int netfd, int domain, int type, int protocol);

/* Writes 'value' to /proc/sys/<key> of the current network namespace. */
int pbl_sysctl_write(const char *key, const char *value);

/* Same, for namespace 'netfd' (entered and left around the write). */
int pbl_sysctl_write_in(int netfd, const char *key, const char *value);

/*
 * Creates a mount namespace, a copy of the daemon's, whose mounts are
 * private to it.  Returns its fd in '*ret_fd'.
 */
int pbl_mntns_create(int *ret_fd);

#endif
