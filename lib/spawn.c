/* SPDX-License-Identifier: MIT */
#include "spawn.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "pb-macro.h"
#include "pidns.h"

/* Soft fd limit of spawned programs (the daemon raises its own to the hard limit). */
#define CHILD_NOFILE 1024

char *const pbl_spawn_default_env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME=/root",
        "TERM=dumb",
        NULL,
};

/* Steps of the child's set-up, reported back with the errno when one fails. */
enum step {
        STEP_SETNS_NET,
        STEP_SETNS_MNT,
        STEP_SETSID,
        STEP_DEVNULL,
        STEP_FDS,
        STEP_CHDIR,
        STEP_EXEC,
};

struct report {
        int step;
        int err; /* Positive errno. */
};

static _Noreturn void
child_fail(int fd, enum step step)
{
        struct report rep = { .step = step, .err = errno > 0 ? errno : EIO };

        /* Nothing more to do if the parent cannot hear us: it sees EOF and a 127 exit. */
        if (write(fd, &rep, sizeof(rep)) < 0)
                _exit(127);
        _exit(127);
}

static void
reset_signals(void)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t none;

        sigemptyset(&none);
        (void)sigprocmask(SIG_SETMASK, &none, NULL);
        /* SIGKILL, SIGSTOP and glibc's internal signals refuse: nothing to reset there. */
        for (int sig = 1; sig < NSIG; sig++)
                (void)sigaction(sig, &sa, NULL);
}

/* Moves 'fd' (or /dev/null when -1) out of the way of the targets 0..3. */
static int
high_fd(int fd, int devnull)
{
        return fcntl(fd >= 0 ? fd : devnull, F_DUPFD_CLOEXEC, 4);
}

static _Noreturn void
child(const struct pbl_spawn *s, int report_fd)
{
        extern char **environ;
        struct rlimit rl;
        int devnull, in, out, err, rep;

        reset_signals();
        if (setns(s->netfd, CLONE_NEWNET) < 0)
                child_fail(report_fd, STEP_SETNS_NET);
        if (s->mntfd >= 0 && setns(s->mntfd, CLONE_NEWNS) < 0)
                child_fail(report_fd, STEP_SETNS_MNT);
        /* Our own session: signals to the daemon's process group never reach us. */
        if (setsid() < 0)
                child_fail(report_fd, STEP_SETSID);
        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        /*
         * The parent lives outside the lab's PID namespace, where getppid()
         * reads 0; had it died before the prctl, we would belong to the lab's
         * reaper (1) by now.
         */
        if (getppid() != 0)
                _exit(127);
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0 && (s->stdin_fd < 0 || s->stdout_fd < 0 || s->stderr_fd < 0))
                child_fail(report_fd, STEP_DEVNULL);
        in = high_fd(s->stdin_fd, devnull);
        out = high_fd(s->stdout_fd, devnull);
        err = high_fd(s->stderr_fd, devnull);
        rep = fcntl(report_fd, F_DUPFD_CLOEXEC, 4);
        if (rep < 0)
                _exit(127);
        if (in < 0 || out < 0 || err < 0 || dup2(in, STDIN_FILENO) < 0 ||
            dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0 ||
            dup3(rep, 3, O_CLOEXEC) < 0)
                child_fail(rep, STEP_FDS);
        (void)close_range(4, ~0U, 0);
        rep = 3;
        /*
         * The usual soft limit for the program (select() breaks past it), set
         * only now: with more than that many of the daemon's fds inherited,
         * nothing could have been opened or duplicated under it.
         */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > CHILD_NOFILE) {
                rl.rlim_cur = CHILD_NOFILE;
                (void)setrlimit(RLIMIT_NOFILE, &rl); /* Best effort: the program runs either way. */
        }

        if (chdir(s->cwd ? s->cwd : "/") < 0)
                child_fail(rep, STEP_CHDIR);
        /* execvpe() searches the PATH of our environment: make it the program's. */
        environ = (char **)(s->envp ? s->envp : pbl_spawn_default_env);
        execvpe(s->argv[0], s->argv, environ);
        child_fail(rep, STEP_EXEC);
}

static int
step_error(const struct pbl_spawn *s, const struct report *rep, struct pbl_error *err)
{
        int r = -rep->err;

        switch (rep->step) {
        case STEP_SETNS_NET: return pbl_error_set(err, r, "setns(CLONE_NEWNET)");
        case STEP_SETNS_MNT: return pbl_error_set(err, r, "setns(CLONE_NEWNS)");
        case STEP_SETSID: return pbl_error_set(err, r, "setsid");
        case STEP_DEVNULL: return pbl_error_set(err, r, "open /dev/null");
        case STEP_FDS: return pbl_error_set(err, r, "setting up stdio");
        case STEP_CHDIR: return pbl_error_set(err, r, "chdir %s", s->cwd ? s->cwd : "/");
        case STEP_EXEC: return pbl_error_set(err, r, "exec %s", s->argv[0]);
        default: return pbl_error_set(err, -EIO, "starting %s", s->argv[0]);
        }
}

int
pbl_spawn(const struct pbl_spawn *s, pid_t *ret_pid, int *ret_pidfd, struct pbl_error *err)
{
        _cleanup_close_ int rd = -EBADF, wr = -EBADF, pidfd = -EBADF;
        struct report rep;
        int fds[2];
        ssize_t n;
        pid_t pid;

        if (!s->argv || !s->argv[0])
                return pbl_error_set(err, -EINVAL, "spawn: empty argv");
        if (pipe2(fds, O_CLOEXEC) < 0)
                return pbl_error_set(err, -errno, "pipe2");
        rd = fds[0];
        wr = fds[1];

        pid = pbl_pidns_fork(s->pidns_fd);
        if (pid < 0)
                return pbl_error_set(err, pid, "fork into the lab's PID namespace");
        if (pid == 0)
                child(s, wr);
        wr = safe_close(wr);

        /* Not reaped yet, so the pid cannot have been reused. */
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0) {
                int r = -errno;

                (void)kill(pid, SIGKILL);
                return pbl_error_set(err, r, "pidfd_open");
        }
        do
                n = read(rd, &rep, sizeof(rep));
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return pbl_error_set(err, -errno, "reading the start-up report of %s", s->argv[0]);
        if (n == (ssize_t)sizeof(rep))
                return step_error(s, &rep, err);
        if (n != 0)
                return pbl_error_set(err, -EIO, "starting %s", s->argv[0]);
        *ret_pid = pid;
        *ret_pidfd = TAKE_FD(pidfd);
        return 0;
}

/* --- signal names ------------------------------------------------------- */

static int
parse_number(const char *s, int *ret)
{
        char *end;
        long v;

        if (!isdigit((unsigned char)s[0]))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < 0 || v > 64)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

int
pbl_signal_parse(const char *s)
{
        char name[16];
        int v;

        if (parse_number(s, &v) == 0)
                return v >= 1 ? v : -EINVAL;
        if (strncasecmp(s, "SIG", 3) == 0)
                s += 3;
        if (strlen(s) >= sizeof(name))
                return -EINVAL;
        for (size_t i = 0; (name[i] = (char)toupper((unsigned char)s[i])); i++)
                ;
        if (strncmp(name, "RTMIN", 5) == 0 || strncmp(name, "RTMAX", 5) == 0) {
                bool max = name[3] == 'A';
                int base = max ? SIGRTMAX : SIGRTMIN, off = 0;

                if (name[5] &&
                    ((name[5] != '+' && name[5] != '-') || parse_number(name + 6, &off) < 0))
                        return -EINVAL;
                v = name[5] == '-' ? base - off : base + off;
                return v >= SIGRTMIN && v <= SIGRTMAX ? v : -EINVAL;
        }
        if (strcmp(name, "IOT") == 0)
                return SIGABRT;
        if (strcmp(name, "POLL") == 0)
                return SIGIO;
        if (strcmp(name, "CLD") == 0)
                return SIGCHLD;
        for (int sig = 1; sig < SIGRTMIN; sig++) {
                const char *abbrev = sigabbrev_np(sig);

                if (abbrev && strcmp(abbrev, name) == 0)
                        return sig;
        }
        return -EINVAL;
}
