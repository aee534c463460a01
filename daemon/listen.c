/* SPDX-License-Identifier: MIT */
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "log.h"
#include "pb-macro.h"
#include "pb-path.h"

#define SD_LISTEN_FDS_START 3

static int
activated_fd(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        int fd = -ENOENT;

        if (pid && fds && strtol(pid, NULL, 10) == getpid()) {
                if (strtol(fds, NULL, 10) != 1)
                        fd = -E2BIG;
                else
                        fd = SD_LISTEN_FDS_START;
        }
        unsetenv("LISTEN_PID");
        unsetenv("LISTEN_FDS");
        unsetenv("LISTEN_FDNAMES");
        return fd;
}

/* Creates the socket's directory (mode 0700) if it is missing; checks an
 * existing one we would have created ourselves. */
static int
prepare_dir(const char *path, bool explicit_path)
{
        char dir[PATH_MAX];
        struct stat st;
        char *slash;

        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        if (mkdir(dir, 0700) == 0)
                return 0;
        if (errno != EEXIST)
                return -errno;
        if (lstat(dir, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        /* A directory someone else made for us at a default path is a trap. */
        if (!explicit_path && (st.st_uid != geteuid() || (st.st_mode & 077)))
                return -EPERM;
        return 0;
}

static void
lock_path(const struct pbd_listener *l, char *buf, size_t n)
{
        snprintf(buf, n, "%s.lock", l->path);
}

/*
 * Takes "<path>.lock".  The file is removed at shutdown, so after locking we
 * check that the path still names the inode we locked; otherwise a daemon
 * that is just exiting removed it under us, and we try again.
 */
static int
take_lock(struct pbd_listener *l)
{
        char lock[PATH_MAX];

        lock_path(l, lock, sizeof(lock));
        for (int attempt = 0; attempt < 8; attempt++) {
                struct stat a, b;

                l->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (l->lock_fd < 0)
                        return -errno;
                if (flock(l->lock_fd, LOCK_EX | LOCK_NB) < 0)
                        return errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
                if (fstat(l->lock_fd, &a) < 0)
                        return -errno;
                if (stat(lock, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                        return 0;
                l->lock_fd = safe_close(l->lock_fd);
        }
        return -EADDRINUSE;
}

static int
bind_socket(struct pbd_listener *l)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        struct stat st;
        mode_t old;
        int r;

        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", l->path);
        l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (l->fd < 0)
                return -errno;
        /* We hold the lock, so whatever sits at the path is a leftover. */
        if (unlink(l->path) < 0 && errno != ENOENT)
                return -errno;
        old = umask(0177);
        r = bind(l->fd, (struct sockaddr *)&sun, sizeof(sun));
        umask(old);
        if (r < 0)
                return -errno;
        l->owns_path = true;
        if (stat(l->path, &st) < 0)
                return -errno;
        l->dev = st.st_dev;
        l->ino = st.st_ino;
        if (listen(l->fd, SOMAXCONN) < 0)
                return -errno;
        return 0;
}

int
pbd_listener_open(struct pbd_listener *l, const char *path, const char **what)
{
        int fd, r;

        fd = activated_fd();
        if (fd == -E2BIG) {
                *what = "socket activation passed more than one socket";
                return fd;
        }
        if (fd >= 0) {
                int flags = fcntl(fd, F_GETFL);

                if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
                    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
                        *what = "socket activation fd";
                        return -errno;
                }
                l->fd = fd;
                l->activated = true;
                snprintf(l->path, sizeof(l->path), "%s", path && *path ? path : "(systemd)");
                return 0;
        }

        if (path && *path) {
                snprintf(l->path, sizeof(l->path), "%s", path);
                if (strlen(path) >= sizeof(l->path)) {
                        *what = "socket path";
                        return -ENAMETOOLONG;
                }
        } else {
                r = pb_socket_path(getenv("PATCHBAY_SOCKET"), getenv("XDG_RUNTIME_DIR"), geteuid(),
                                   l->path, sizeof(l->path));
                if (r < 0) {
                        *what = "socket path";
                        return r;
                }
        }
        r = prepare_dir(l->path, path && *path);
        if (r < 0) {
                *what = "socket directory (must be ours and mode 0700)";
                return r;
        }
        r = take_lock(l);
        if (r < 0) {
                *what = r == -EADDRINUSE ? "another patchbayd serves this socket" : "lock file";
                return r;
        }
        r = bind_socket(l);
        if (r < 0) {
                *what = "bind";
                return r;
        }
        return 0;
}

void
pbd_listener_close(struct pbd_listener *l)
{
        struct stat st;

        /* Remove the path only while it still names the socket we bound. */
        if (l->owns_path && stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino &&
            unlink(l->path) < 0)
                log_warning_errno(-errno, "removing %s: %m", l->path);
        if (l->owns_path) {
                char lock[PATH_MAX];

                lock_path(l, lock, sizeof(lock));
                if (unlink(lock) < 0 && errno != ENOENT)
                        log_warning_errno(-errno, "removing %s: %m", lock);
        }
        l->owns_path = false;
        pbd_listener_forget(l);
}

void
pbd_listener_forget(struct pbd_listener *l)
{
        l->fd = safe_close(l->fd);
        l->lock_fd = safe_close(l->lock_fd);
}
