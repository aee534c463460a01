/* SPDX-License-Identifier: MIT */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "log.h"
#include "pb-macro.h"
#include "userns.h"

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
static volatile pid_t child_pid;

static void
forward_signal(int sig)
{
        if (child_pid > 0)
                kill(child_pid, sig);
}

/* Sends 'text' to $NOTIFY_SOCKET (sd_notify(3) protocol), best effort. */
static void
notify_systemd(const char *text)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;
        socklen_t len;

        if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sun.sun_path))
                return;
        memcpy(sun.sun_path, path, strlen(path));
        if (sun.sun_path[0] == '@')
                sun.sun_path[0] = '\0';
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 ||
            sendto(fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&sun, len) < 0)
                log_warning_errno(-errno, "notifying systemd: %m");
}

static int
exit_code(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return 1;
}

static _Noreturn void
supervise(pid_t child, int ready_rd, bool foreground)
{
        char byte = 0, msg[64];
        int status = 0;
        ssize_t n;

        do
                n = read(ready_rd, &byte, 1);
        while (n < 0 && errno == EINTR);
        if (n == 1) {
                snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%d", (int)getpid());
                notify_systemd(msg);
                if (!foreground)
                        _exit(0);
        }
        while (waitpid(child, &status, 0) < 0)
                if (errno != EINTR)
                        _exit(1);
        _exit(n == 1 || exit_code(status) != 0 ? exit_code(status) : 1);
}

int
pbd_supervise_fork(bool foreground, bool *ret_rootless, struct pbd_supervise *ret)
{
        int ready[2], alive[2] = { -1, -1 };
        sigset_t all, old;
        pid_t pid;
        int r;

        r = pb_userns_bootstrap(ret_rootless);
        if (r < 0)
                return r;
        if (pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        if (foreground && pipe2(alive, O_CLOEXEC) < 0)
                return -errno;

        /* Block signals across the fork so that none is lost or forwarded to nobody. */
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, &old);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                sigprocmask(SIG_SETMASK, &old, NULL);
                return r;
        }
        if (pid > 0) {
                struct sigaction sa = { .sa_handler = forward_signal };

                child_pid = pid;
                safe_close(ready[1]);
                safe_close(alive[0]);
                /* alive[1] stays open until we exit: the daemon watches for EOF. */
                for (size_t i = 0; i < ELEMENTSOF(forwarded); i++)
                        sigaction(forwarded[i], &sa, NULL);
                sigprocmask(SIG_SETMASK, &old, NULL);
                supervise(pid, ready[0], foreground);
        }

        sigprocmask(SIG_SETMASK, &old, NULL);
        safe_close(ready[0]);
        safe_close(alive[1]);
        unsetenv("NOTIFY_SOCKET");
        if (!foreground)
                (void)setsid();
        ret->ready_fd = ready[1];
        ret->parent_fd = alive[0];
        return 0;
}

void
pbd_supervise_ready(struct pbd_supervise *s)
{
        if (s->ready_fd >= 0 && write(s->ready_fd, "R", 1) != 1)
                log_warning_errno(-errno, "signalling readiness: %m");
        s->ready_fd = safe_close(s->ready_fd);
}
