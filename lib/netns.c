/* SPDX-License-Identifier: MIT */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "pb-macro.h"

static int self_fd = -1;

int
pbl_netns_init(void)
{
        if (self_fd >= 0)
                return 0;
        self_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        return self_fd < 0 ? -errno : 0;
}

int
pbl_netns_self(void)
{
        return self_fd;
}

int
pbl_netns_enter(int fd)
{
        return setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int
pbl_netns_leave(void)
{
        /* Failing to come home would leave the loop in a lab: never ignore it. */
        if (setns(self_fd, CLONE_NEWNET) < 0) {
                int r = -errno;

                fprintf(stderr, "patchbayd: cannot return to the daemon's netns: %s\n",
                        strerror(-r));
                abort();
        }
        return 0;
}

int
pbl_netns_create_and_enter(int *ret_fd)
{
        int fd;

        if (unshare(CLONE_NEWNET) < 0)
                return -errno;
        fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret_fd = fd;
        return 0;
}

int
pbl_netns_socket(int netfd, int domain, int type, int protocol)
{
        int fd, r;

        if (netfd >= 0) {
                r = pbl_netns_enter(netfd);
                if (r < 0)
                        return r;
        }
        fd = socket(domain, type | SOCK_CLOEXEC, protocol);
        r = fd < 0 ? -errno : fd;
        if (netfd >= 0)
                pbl_netns_leave();
        return r;
}

int
pbl_sysctl_write(const char *key, const char *value)
{
        char path[256];
        _cleanup_close_ int fd = -EBADF;
        size_t len = strlen(value);
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/sys/%s", key);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = write(fd, value, len);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

int
pbl_sysctl_write_in(int netfd, const char *key, const char *value)
{
        int r = pbl_netns_enter(netfd);

        if (r < 0)
                return r;
        r = pbl_sysctl_write(key, value);
        pbl_netns_leave();
        return r;
}

struct mntns_args {
        int fd;
        int err;
};

static int
mntns_child(void *arg)
{
        struct mntns_args *a = arg;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
                a->err = -errno;
                return 1;
        }
        /* CLONE_FILES: this fd lands in the daemon's own table. */
        a->fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (a->fd < 0)
                a->err = -errno;
        return 0;
}

int
pbl_mntns_create(int *ret_fd)
{
        /* The child runs on this stack while we are suspended (CLONE_VFORK). */
        char stack[64 * 1024] __attribute__((aligned(16)));
        struct mntns_args a = { .fd = -1, .err = 0 };
        pid_t pid;

        pid = clone(mntns_child, stack + sizeof(stack),
                    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
        if (pid < 0)
                return -errno;
        /* Already exited; the event loop's SIGCHLD handler may have reaped it. */
        (void)waitpid(pid, NULL, 0);
        if (a.err < 0) {
                safe_close(a.fd);
                return a.err;
        }
        *ret_fd = a.fd;
        return 0;
}
