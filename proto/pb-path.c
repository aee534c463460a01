/* SPDX-License-Identifier: MIT */
#include "pb-path.h"

#include <errno.h>
#include <stdio.h>

#include <sys/un.h>

int
pb_socket_path(const char *env_socket, const char *xdg_runtime_dir, uid_t uid, char *buf, size_t n)
{
        struct sockaddr_un sun;
        int w;

        if (env_socket && *env_socket)
                w = snprintf(buf, n, "%s", env_socket);
        else if (xdg_runtime_dir && *xdg_runtime_dir == '/')
                w = snprintf(buf, n, "%s/patchbay/" PB_SOCKET_NAME, xdg_runtime_dir);
        else if (uid == 0)
                w = snprintf(buf, n, "/run/patchbay/" PB_SOCKET_NAME);
        else
                w = snprintf(buf, n, "/tmp/patchbay-%u/" PB_SOCKET_NAME, (unsigned)uid);
        if (w < 0 || (size_t)w >= n || (size_t)w >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        return 0;
}
