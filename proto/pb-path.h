/* SPDX-License-Identifier: MIT */
/*
 * Where the daemon's socket lives (SPEC §10).  Pure: the caller passes the
 * environment values and uid, so daemon and clients agree by construction.
 */
#ifndef PB_PATH_H
#define PB_PATH_H

#include <stddef.h>

#include <sys/types.h>

#define PB_SOCKET_NAME "patchbayd.sock"

/*
 * Writes the socket path into 'buf' ('n' bytes): 'env_socket'
 * ($PATCHBAY_SOCKET) if set and non-empty, else '<xdg_runtime_dir>/patchbay/
 * patchbayd.sock', else '/run/patchbay/patchbayd.sock' for uid 0, else
 * '/tmp/patchbay-<uid>/patchbayd.sock'.  Returns 0, or -ENAMETOOLONG if it
 * does not fit in 'n' bytes or in a sockaddr_un.
 */
int pb_socket_path(const char *env_socket, const char *xdg_runtime_dir, uid_t uid, char *buf,
                   size_t n);

#endif
