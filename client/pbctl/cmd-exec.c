/* SPDX-License-Identifier: MIT */
/*
 * pbctl exec and shell: run a command inside a node as pbctl's own child,
 * so that the terminal, job control, signals and the exit status behave as
 * if it ran locally.
 *
 * pbctl forks; the child enters the node with pb_node_enter() (the daemon's
 * user namespace, the node's network and mount namespaces, and the lab's
 * PID namespace for its children) and forks the command, which so runs in
 * that PID namespace; it waits for it like a shell, and pbctl waits for it.
 * On a terminal the command is a foreground job of its own: it leads a
 * process group inside the PID namespace (where shells can see it) and
 * owns the terminal; when it stops (^Z), the waiter takes the terminal back
 * and stops its own group, pbctl included, so that the user's shell regains
 * control, and resumes the command when continued (fg).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "pb-macro.h"
#include "pbctl.h"

/*
 * Declared weak so that pbctl also runs with a libpatchbay that lacks it
 * (then the symbol is NULL and exec/shell say so); with a header that
 * declares it, this merely adds the attribute.
 */
extern int pb_node_enter(struct pb_client *c, const char *lab, const char *node,
                         struct pb_error *reterr) __attribute__((weak));

struct job {
        const char *lab, *node;
        char **argv;
        const char *bash_prompt; /* Non-NULL: argv[0] is bash, give it this prompt. */
        bool foreground;         /* Stdin and stdout are our terminal, and we own it. */
};

static volatile pid_t child_pid;

static void
forward_signal(int sig)
{
        if (child_pid > 0)
                kill(child_pid, sig);
}

/*
 * Like a shell: the terminal sends SIGINT/SIGQUIT to the foreground group,
 * so the waiter ignores them; SIGTERM/SIGHUP aimed at pbctl alone are
 * passed on to the command.
 */
static void
become_waiter(pid_t pid)
{
        struct sigaction ign = { .sa_handler = SIG_IGN },
                         fwd = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };

        child_pid = pid;
        sigaction(SIGINT, &ign, NULL);
        sigaction(SIGQUIT, &ign, NULL);
        sigaction(SIGTERM, &fwd, NULL);
        sigaction(SIGHUP, &fwd, NULL);
}

/* Gives the terminal to process group 'pgrp' (from the background too). */
static void
give_terminal(pid_t pgrp)
{
        struct sigaction ign = { .sa_handler = SIG_IGN }, old;

        sigaction(SIGTTOU, &ign, &old);
        (void)tcsetpgrp(STDIN_FILENO, pgrp);
        sigaction(SIGTTOU, &old, NULL);
}

/*
 * Waits for 'pid' and returns its exit code, or 128 + the signal that
 * killed it.  A foreground job that stops takes us (and our process group)
 * down with it, and is continued with us.
 */
static int
wait_job(pid_t pid, bool foreground)
{
        int status;

        for (;;) {
                if (waitpid(pid, &status, foreground ? WUNTRACED : 0) < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "pbctl: waitpid: %s\n", strerror(errno));
                        return PBCTL_EXIT_USAGE;
                }
                if (!WIFSTOPPED(status))
                        break;
                give_terminal(getpgrp());
                kill(0, SIGTSTP);
                /* Continued (fg): hand the terminal back and wake the job. */
                give_terminal(pid);
                kill(-pid, SIGCONT);
        }
        if (foreground)
                give_terminal(getpgrp());
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return WEXITSTATUS(status);
}

/*
 * bash: an rc file on a pipe that reads the usual ones and then sets the
 * prompt, so that a PS1 from ~/.bashrc does not hide where the shell runs.
 * Execs bash with it; returns only if that cannot be set up.
 */
static void
exec_bash(const char *bash, const char *prompt)
{
        _cleanup_free_ char *rc = NULL, *path = NULL;
        int fds[2];
        size_t len;

        if (pipe(fds) < 0)
                return;
        rc = output_fmt("[ -r /etc/bash.bashrc ] && . /etc/bash.bashrc\n"
                        "[ -r ~/.bashrc ] && . ~/.bashrc\n"
                        "PS1='%s'\nexec %d<&-\n",
                        prompt, fds[0]);
        path = output_fmt("/dev/fd/%d", fds[0]);
        len = rc ? strlen(rc) : 0;
        /* Far below a pipe's capacity: the write cannot block. */
        if (rc && path && write(fds[1], rc, len) == (ssize_t)len) {
                close(fds[1]);
                execl(bash, bash, "--rcfile", path, (char *)NULL);
        }
        close(fds[0]);
        close(fds[1]);
}

/* The process that becomes the command. */
static void __attribute__((noreturn)) exec_job(const struct job *job)
{
        int r;

        if (job->foreground) {
                setpgid(0, 0);
                give_terminal(getpgrp());
        }
        if (job->bash_prompt)
                exec_bash(job->argv[0], job->bash_prompt);
        execvp(job->argv[0], job->argv);
        r = errno;
        fprintf(stderr, "pbctl: %s: %s\n", job->argv[0], strerror(r));
        _exit(r == ENOENT ? 127 : 126);
}

/* The child of pbctl: enter the node, then run the command. */
static void __attribute__((noreturn)) enter(struct pbctl *ctl, const struct job *job)
{
        _cleanup_free_ char *cwd = getcwd(NULL, 0);
        struct pb_error err;
        pid_t pid;
        int r;

        r = pb_node_enter(ctl->client, job->lab, job->node, &err);
        if (r < 0) {
                pbctl_print_error(ctl, "node.enter", &err);
                _exit(r == -EREMOTEIO ? PBCTL_EXIT_SERVER : PBCTL_EXIT_USAGE);
        }
        ctl->client = pb_client_free(ctl->client);
        /* Joining the mount namespace moved us to its root: back to where the user is. */
        if (cwd && chdir(cwd) < 0)
                fprintf(stderr, "pbctl: %s is not there inside %s, starting in /\n", cwd,
                        job->node);
        /* The lab's PID namespace is for our children: the command is one. */
        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "pbctl: fork: %s\n", strerror(errno));
                _exit(PBCTL_EXIT_USAGE);
        }
        if (pid == 0)
                exec_job(job);
        become_waiter(pid);
        _exit(wait_job(pid, job->foreground));
}

static int
run_in_node(struct pbctl *ctl, struct job *job)
{
        pid_t pid;
        int r;

        if (!pb_node_enter) {
                fprintf(stderr, "pbctl: this libpatchbay cannot enter nodes "
                                "(pbctl run works through the daemon)\n");
                return PBCTL_EXIT_USAGE;
        }
        /* Connect (and autostart) once, here, so that failures show before forking. */
        r = pbctl_connect(ctl);
        if (r != PBCTL_EXIT_OK)
                return r;
        if (setenv("PATCHBAY_LAB", job->lab, 1) < 0 || setenv("PATCHBAY_NODE", job->node, 1) < 0) {
                fprintf(stderr, "pbctl: setenv: %s\n", strerror(errno));
                return PBCTL_EXIT_USAGE;
        }
        /* A pipeline keeps one process group: only an interactive command gets its own. */
        job->foreground = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) &&
                          tcgetpgrp(STDIN_FILENO) == getpgrp();
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                fprintf(stderr, "pbctl: fork: %s\n", strerror(errno));
                return PBCTL_EXIT_USAGE;
        }
        if (pid == 0)
                enter(ctl, job);
        /* The child holds the connection now; the command may run for hours. */
        ctl->client = pb_client_free(ctl->client);
        become_waiter(pid);
        /* The child does the job control, and stops us along with itself. */
        return wait_job(pid, false);
}

static int
cmd_exec(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        struct job job = { .lab = a->pos[0], .node = a->pos[1], .argv = a->cmd };

        return run_in_node(ctl, &job);
}

static int
cmd_shell(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *shell = getenv("SHELL"), *base;
        _cleanup_free_ char *prompt = NULL;
        char *argv[] = { NULL, NULL };
        struct job job = { .lab = a->pos[0], .node = a->pos[1], .argv = argv };
        bool bash;

        if (!shell || !shell[0])
                shell = "/bin/sh";
        base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
        bash = strcmp(base, "bash") == 0;
        if (bash)
                prompt = output_fmt("[%s/%s] \\w# ", job.lab, job.node);
        else if (strcmp(base, "zsh") == 0)
                prompt = output_fmt("[%s/%s] %%~# ", job.lab, job.node);
        else if (strcmp(base, "fish") != 0)
                /* POSIX shells expand parameters in PS1, but not bash's \w. */
                prompt = output_fmt("[%s/%s] $PWD# ", job.lab, job.node);
        if (prompt && setenv("PS1", prompt, 1) < 0) {
                fprintf(stderr, "pbctl: setenv: %s\n", strerror(errno));
                return PBCTL_EXIT_USAGE;
        }
        argv[0] = (char *)shell;
        job.bash_prompt = bash ? prompt : NULL;
        return run_in_node(ctl, &job);
}

static const struct pbctl_verb exec_verbs[] = {
        { .help = "run a command inside a node as pbctl's own child (terminal, signals and "
                  "exit status as if local)",
          .method = "node.enter",
          .run = cmd_exec,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_POS("LAB", NULL), PBCTL_POS("NODE", NULL), PBCTL_CMD, {} },
          .details = "NODE is a router, a device or ix (the lab root).  The command runs as root\n"
                     "of the daemon's user namespace with the node's network and /etc/hosts,\n"
                     "in the lab's PID namespace, in pbctl's working directory and environment\n"
                     "(plus PATCHBAY_LAB and PATCHBAY_NODE).  pbctl exits with its status,\n"
                     "128 + N if signal N killed it.\n" },
};
PBCTL_GROUP(pbctl_group_exec, "exec", "run a command inside a node, on your terminal", exec_verbs);

static const struct pbctl_verb shell_verbs[] = {
        { .help = "open $SHELL (or /bin/sh) inside a node",
          .method = "node.enter",
          .run = cmd_shell,
          .pos = (const struct pbctl_arg[]){ PBCTL_POS("LAB", NULL), PBCTL_POS("NODE", NULL), {} },
          .details = "The prompt reads [LAB/NODE] followed by the directory; PATCHBAY_LAB and\n"
                     "PATCHBAY_NODE are set for prompts of your own.\n" },
};
PBCTL_GROUP(pbctl_group_shell, "shell", "open an interactive shell inside a node", shell_verbs);
