/* SPDX-License-Identifier: MIT */
#include "pidns.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "pb-macro.h"

#define REAPER_STACK (64 * 1024)

static int self_pidfd = -1;

int
pbl_pidns_init(void)
{
        if (self_pidfd >= 0)
                return 0;
        /* Our own pid as we see it, whatever namespace we are pid 1 of. */
        self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
        return self_pidfd < 0 ? -errno : 0;
}

static void
on_sigchld(int sig)
{
}

/* pid 1 of a lab: reaps orphans until it is killed. */
static int
reaper_main(void *arg)
{
        struct sigaction sa = { .sa_handler = on_sigchld };
        sigset_t all, chld;
        int sig;

        /* Holding the daemon's fds would keep the lab's namespaces alive. */
        (void)close_range(0, ~0U, 0);
        (void)prctl(PR_SET_NAME, "pb-lab-reaper");
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigaction(SIGCHLD, &sa, NULL);
        sigfillset(&all);
        sigprocmask(SIG_BLOCK, &all, NULL);
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        for (;;) {
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                (void)sigwait(&chld, &sig);
        }
        return 0;
}

int
pbl_pidns_create(pid_t *ret_pid, int *ret_pidfd)
{
        char *stack = malloc(REAPER_STACK);
        int pidfd = -1;
        pid_t pid;

        if (!stack)
                return -ENOMEM;
        pid = clone(reaper_main, stack + REAPER_STACK, CLONE_NEWPID | CLONE_PIDFD | SIGCHLD, NULL,
                    &pidfd);
        free(stack); /* The child has its own copy. */
        if (pid < 0)
                return -errno;
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

pid_t
pbl_pidns_fork(int pidfd)
{
        pid_t pid;
        int saved;

        if (setns(pidfd, CLONE_NEWPID) < 0)
                return -errno;
        pid = fork();
        if (pid == 0)
                return 0;
        saved = pid < 0 ? -errno : pid;
        /* Back to our own namespace for later children; failing here is fatal. */
        if (setns(self_pidfd, CLONE_NEWPID) < 0)
                abort();
        return saved;
}

int
pbl_pidfd_kill(int pidfd, int sig)
{
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}
