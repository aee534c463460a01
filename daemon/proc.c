/* SPDX-License-Identifier: MIT */
/* The process table: start, capture, stdin, exit, and the lab/node hooks. */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "daemon.h"
#include "log.h"
#include "pb-macro.h"
#include "pidns.h"
#include "spawn.h"

/* --- exit ---------------------------------------------------------------- */

void
pbd_proc_watch_add(struct pbd_proc *p, struct pbd_proc_watch *w)
{
        LIST_INSERT_HEAD(&p->watches, w, link);
        w->armed = true;
}

void
pbd_proc_watch_remove(struct pbd_proc_watch *w)
{
        if (!w->armed)
                return;
        LIST_REMOVE(w, link);
        w->armed = false;
}

static void
proc_free(struct pbd_proc *p)
{
        struct ev_loop *loop = p->lab->daemon->loop;

        LIST_REMOVE(p, link);
        ev_child_stop(loop, &p->child);
        ev_timer_stop(loop, &p->grace);
        for (int i = 0; i < _PBD_STREAM_MAX; i++)
                pbd_stream_done(&p->out[i]);
        pbd_stdin_close(p);
        p->pidfd = safe_close(p->pidfd);
        for (char **a = p->argv; a && *a; a++)
                free(*a);
        free(p->argv);
        free(p->name);
        free(p);
}

static size_t
held_bytes(const struct pbd_proc *p)
{
        size_t n = 0;

        for (int s = 0; s < _PBD_STREAM_MAX; s++)
                n += p->out[s].cap;
        return n;
}

/*
 * Drops the oldest exited processes of 'lab' beyond PBD_PROC_EXITED_MAX, or
 * while their kept output together exceeds PBD_PROC_EXITED_BYTES: 1024
 * processes of 2 MiB each would otherwise hold 2 GiB.
 */
static void
prune_exited(struct pbd_lab *lab)
{
        struct pbd_proc *p, *oldest;
        size_t bytes;
        unsigned n;

        for (;;) {
                n = 0;
                bytes = 0;
                oldest = NULL;
                LIST_FOREACH (p, &lab->procs, link)
                        if (p->id && p->finished) {
                                n++;
                                bytes += held_bytes(p);
                                oldest = p; /* The list runs newest first. */
                        }
                if (n <= PBD_PROC_EXITED_MAX && (bytes <= PBD_PROC_EXITED_BYTES || n <= 1))
                        return;
                proc_free(oldest);
        }
}

json_t *
pbd_proc_status_json(const struct pbd_proc *p)
{
        return json_pack("{s:o, s:o}", "exit_code",
                         p->exit_code >= 0 ? json_integer(p->exit_code) : json_null(), "signal",
                         p->signal ? json_integer(p->signal) : json_null());
}

static void
proc_finish(struct pbd_proc *p)
{
        struct pbd_proc_watch *w;
        struct pbd_lab *lab = p->lab;
        json_t *ev;

        ev_timer_stop(lab->daemon->loop, &p->grace);
        for (int i = 0; i < _PBD_STREAM_MAX; i++) {
                pbd_stream_close(&p->out[i]);
                p->out[i].logfd = safe_close(p->out[i].logfd);
        }
        pbd_stdin_close(p);
        p->pidfd = safe_close(p->pidfd);
        p->finished = true;
        log_debug("lab '%s': process %llu (%s) finished: exit %d, signal %d", lab->name,
                  (unsigned long long)p->id, p->argv[0], p->exit_code, p->signal);
        while ((w = LIST_FIRST(&p->watches))) {
                pbd_proc_watch_remove(w);
                w->finished(w, p);
        }
        if (!p->id) {
                proc_free(p);
                return;
        }
        ev = json_pack("{s:I, s:I, s:s, s:o, s:o}", "proc", (json_int_t)p->id, "pid",
                       (json_int_t)p->host_pid, "node", p->node, "exit_code",
                       p->exit_code >= 0 ? json_integer(p->exit_code) : json_null(), "signal",
                       p->signal ? json_integer(p->signal) : json_null());
        prune_exited(lab);
        /* Last: sending may close a connection, whose hooks may destroy labs. */
        pbd_event(lab, "proc_exited", ev);
}

void
pbd_proc_check_finished(struct pbd_proc *p)
{
        if (!p->exited || p->finished)
                return;
        for (int i = 0; i < _PBD_STREAM_MAX; i++)
                if (p->out[i].fd >= 0) {
                        /* A descendant still holds the pipe: give it a moment, no more. */
                        if (!ev_is_active(&p->grace))
                                ev_timer_start(p->lab->daemon->loop, &p->grace);
                        return;
                }
        proc_finish(p);
}

static void
on_grace(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct pbd_proc *p = container_of(w, struct pbd_proc, grace);

        for (int i = 0; i < _PBD_STREAM_MAX; i++) {
                pbd_stream_pump(&p->out[i], PBD_PROC_OUTPUT_MAX);
                pbd_stream_close(&p->out[i]);
        }
        proc_finish(p);
}

static void
set_status(struct pbd_proc *p, int status)
{
        p->exited = true;
        p->end_usec = pbd_now_usec();
        if (WIFEXITED(status)) {
                p->exit_code = WEXITSTATUS(status);
        } else {
                p->exit_code = -1;
                p->signal = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
        }
}

static void
on_child(struct ev_loop *loop, ev_child *w, int revents)
{
        struct pbd_proc *p = container_of(w, struct pbd_proc, child);

        ev_child_stop(loop, w);
        set_status(p, w->rstatus);
        pbd_stdin_close(p);
        /* What it wrote before exiting is in the pipes already. */
        for (int i = 0; i < _PBD_STREAM_MAX; i++)
                pbd_stream_pump(&p->out[i], PBD_PROC_OUTPUT_MAX);
        pbd_proc_check_finished(p);
}

int
pbd_proc_signal(struct pbd_proc *p, int sig, struct pb_rpc_error *reterr)
{
        int r;

        if (p->exited)
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_STATE, "process %llu has exited",
                                     (unsigned long long)p->id);
        r = pbl_pidfd_kill(p->pidfd, sig);
        if (r < 0)
                return pb_rpc_error_system(reterr, r, "pidfd_send_signal", NULL);
        return 0;
}

void
pbd_proc_kill_tree(struct pbd_proc *p)
{
        if (p->finished)
                return;
        /* The group outlives a reaped leader while members hold its id: no reuse. */
        if (kill(-p->pid, SIGKILL) < 0 && errno != ESRCH)
                log_debug_errno(-errno, "kill(-%d): %m", (int)p->pid);
        if (!p->exited && p->pidfd >= 0)
                (void)pbl_pidfd_kill(p->pidfd, SIGKILL);
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *
argv_json(const struct pbd_proc *p)
{
        json_t *a = json_array();

        for (char **arg = p->argv; a && *arg; arg++)
                if (json_array_append_new(a, json_string(*arg)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

json_t *
pbd_proc_json(const struct pbd_proc *p)
{
        return json_pack("{s:I, s:I, s:s, s:s, s:s?, s:o, s:b, s:o, s:o, s:s, s:s?, s:s?}", "proc",
                         (json_int_t)p->id, "pid", (json_int_t)p->host_pid, "lab", p->lab->name,
                         "node", p->node, "name", p->name, "argv", argv_json(p), "running",
                         !p->finished, "exit_code",
                         p->finished && p->exit_code >= 0 ? json_integer(p->exit_code)
                                                          : json_null(),
                         "signal", p->finished && p->signal ? json_integer(p->signal) : json_null(),
                         "started", p->started, "stdout_log", p->out[PBD_STDOUT].log_path,
                         "stderr_log", p->out[PBD_STDERR].log_path);
}

void
pbd_proc_announce(struct pbd_proc *p)
{
        pbd_event(p->lab, "proc_started",
                  json_pack("{s:I, s:I, s:s, s:s?, s:o}", "proc", (json_int_t)p->id, "pid",
                            (json_int_t)p->host_pid, "node", p->node, "name", p->name, "argv",
                            argv_json(p)));
}

/* --- start --------------------------------------------------------------- */

/* "proc-<id>-<label>" with the label reduced to [A-Za-z0-9_.-]. */
static int
log_paths(struct pbd_proc *p, const char *outdir)
{
        static const char *const suffix[_PBD_STREAM_MAX] = { "stdout", "stderr" };
        const char *label = p->name;
        char clean[65];
        size_t n = 0;

        if (!label) {
                label = strrchr(p->argv[0], '/');
                label = label && label[1] ? label + 1 : p->argv[0];
        }
        for (; label[n] && n < sizeof(clean) - 1; n++)
                clean[n] = strchr("-_.", label[n]) || (label[n] >= 'a' && label[n] <= 'z') ||
                                           (label[n] >= 'A' && label[n] <= 'Z') ||
                                           (label[n] >= '0' && label[n] <= '9')
                                   ? label[n]
                                   : '_';
        clean[n] = '\0';
        for (int i = 0; i < _PBD_STREAM_MAX; i++) {
                if (asprintf(&p->out[i].log_path, "%s/proc-%llu-%s.%s.log", outdir,
                             (unsigned long long)p->id, clean, suffix[i]) < 0) {
                        p->out[i].log_path = NULL;
                        return -ENOMEM;
                }
                p->out[i].logfd = open(p->out[i].log_path,
                                       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (p->out[i].logfd < 0)
                        return -errno;
        }
        return 0;
}

static void
unlink_logs(struct pbd_proc *p)
{
        for (int i = 0; i < _PBD_STREAM_MAX; i++)
                if (p->out[i].logfd >= 0 && unlink(p->out[i].log_path) < 0)
                        log_debug_errno(-errno, "unlink %s: %m", p->out[i].log_path);
}

/* A pipe whose daemon end is non-blocking; both ends close-on-exec. */
static int
make_pipe(int fds[2], bool daemon_reads)
{
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        if (fcntl(fds[daemon_reads ? 0 : 1], F_SETFL, O_NONBLOCK) < 0) {
                int r = -errno;

                fds[0] = safe_close(fds[0]);
                fds[1] = safe_close(fds[1]);
                return r;
        }
        return 0;
}

/* The pid of our child as the host sees it: "Pid:" of the pidfd (host /proc). */
static pid_t
host_pid_of(int pidfd, pid_t fallback)
{
        _cleanup_(fclosep) FILE *f = NULL;
        char path[64], line[128];
        long pid;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "Pid: %ld", &pid) == 1 && pid > 0)
                        return (pid_t)pid;
        return fallback;
}

static unsigned
count_running(struct pbd_lab *lab, bool listed_only)
{
        struct pbd_proc *p;
        unsigned n = 0;

        LIST_FOREACH (p, &lab->procs, link)
                if (!p->finished && (p->id || !listed_only))
                        n++;
        return n;
}

static struct pbd_proc *
proc_new(const struct pbd_proc_spec *spec)
{
        struct pbd_proc *p = calloc(1, sizeof(*p));
        size_t argc = 0;

        if (!p)
                return NULL;
        p->lab = spec->lab;
        p->pidfd = p->in.fd = -1;
        p->exit_code = -1;
        LIST_INIT(&p->watches);
        snprintf(p->node, sizeof(p->node), "%s", spec->node->name);
        for (int i = 0; i < _PBD_STREAM_MAX; i++) {
                p->out[i].proc = p;
                p->out[i].fd = p->out[i].logfd = -1;
                p->out[i].ring = !spec->transient;
        }
        while (spec->argv[argc])
                argc++;
        p->argv = calloc(argc + 1, sizeof(*p->argv));
        if (!p->argv)
                goto fail;
        for (size_t i = 0; i < argc; i++)
                if (!(p->argv[i] = strdup(spec->argv[i])))
                        goto fail;
        if (spec->name && !(p->name = strdup(spec->name)))
                goto fail;
        return p;
fail:
        for (char **a = p->argv; a && *a; a++)
                free(*a);
        free(p->argv);
        free(p);
        return NULL;
}

/* Everything of a process that never started. */
static void
proc_discard(struct pbd_proc *p, int child_fds[3])
{
        for (int i = 0; i < 3; i++)
                safe_close(child_fds[i]);
        unlink_logs(p);
        for (int i = 0; i < _PBD_STREAM_MAX; i++) {
                p->out[i].fd = safe_close(p->out[i].fd);
                pbd_stream_done(&p->out[i]);
        }
        p->in.fd = safe_close(p->in.fd);
        for (char **a = p->argv; *a; a++)
                free(*a);
        free(p->argv);
        free(p->name);
        free(p);
}

int
pbd_proc_start(const struct pbd_proc_spec *spec, struct pbd_proc **ret, struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab = spec->lab;
        struct pbd_daemon *d = lab->daemon;
        struct pbl_error err = { 0 };
        int child_fds[3] = { -1, -1, -1 }, fds[2];
        struct pbd_proc *p;
        int r;

        if (count_running(lab, false) >= PBD_PROC_RUNNING_MAX)
                return pb_rpc_errorf(reterr, PB_ERR_LIMIT, "lab '%s' already runs %d processes",
                                     lab->name, PBD_PROC_RUNNING_MAX);
        p = proc_new(spec);
        if (!p)
                return -ENOMEM;
        if (!spec->transient)
                p->id = ++d->labs.last_proc_id;

        for (int i = 0; i < _PBD_STREAM_MAX; i++) {
                r = make_pipe(fds, true);
                if (r < 0) {
                        pb_rpc_error_system(reterr, r, "pipe2", NULL);
                        goto fail;
                }
                p->out[i].fd = fds[0];
                child_fds[1 + i] = fds[1];
        }
        if (spec->stdin_pipe) {
                r = make_pipe(fds, false);
                if (r < 0) {
                        pb_rpc_error_system(reterr, r, "pipe2", NULL);
                        goto fail;
                }
                child_fds[0] = fds[0];
                p->in.fd = fds[1];
        }
        if (p->id && lab->outdir) {
                r = log_paths(p, lab->outdir);
                if (r < 0) {
                        pb_rpc_error_system(reterr, r, "creating the process log files", NULL);
                        goto fail;
                }
        }

        pbd_timestamp(p->started, sizeof(p->started));
        p->start_usec = pbd_now_usec();
        r = pbl_spawn(&(struct pbl_spawn){ .argv = p->argv,
                                           .envp = spec->envp,
                                           .cwd = spec->cwd,
                                           .pidns_fd = lab->engine->pidns_fd,
                                           .netfd = spec->node->netfd,
                                           .mntfd = spec->node->mntfd,
                                           .stdin_fd = child_fds[0],
                                           .stdout_fd = child_fds[1],
                                           .stderr_fd = child_fds[2] },
                      &p->pid, &p->pidfd, &err);
        if (r < 0) {
                pb_rpc_error_system(reterr, r, err.op, NULL);
                goto fail;
        }
        for (int i = 0; i < 3; i++)
                child_fds[i] = safe_close(child_fds[i]);
        p->host_pid = host_pid_of(p->pidfd, p->pid);

        ev_child_init(&p->child, on_child, p->pid, 0);
        ev_child_start(d->loop, &p->child);
        ev_timer_init(&p->grace, on_grace, PBD_PROC_EOF_GRACE_MS / 1000., 0.);
        pbd_proc_io_start(p);
        LIST_INSERT_HEAD(&lab->procs, p, link);
        log_debug("lab '%s': process %llu (%s) started in %s, pid %d", lab->name,
                  (unsigned long long)p->id, p->argv[0], p->node, (int)p->host_pid);
        *ret = p;
        return 0;
fail:
        proc_discard(p, child_fds);
        return r;
}

/* --- lookups and the hooks of labs.h -------------------------------------- */

struct pbd_proc *
pbd_proc_find(struct pbd_daemon *d, uint64_t id)
{
        struct pbd_proc *p;
        struct pbd_lab *lab;

        if (id == 0)
                return NULL;
        TAILQ_FOREACH (lab, &d->labs.labs, link) {
                if (lab->destroying)
                        continue;
                LIST_FOREACH (p, &lab->procs, link)
                        if (p->id == id)
                                return p;
        }
        return NULL;
}

void
pbd_proc_node_gone(struct pbd_lab *lab, struct pbl_node *node)
{
        struct pbd_proc *p;

        /* They exit soon; waiters and events follow as for any other exit. */
        LIST_FOREACH (p, &lab->procs, link)
                if (!p->node_gone && strcmp(p->node, node->name) == 0) {
                        pbd_proc_kill_tree(p);
                        p->node_gone = true;
                }
}

void
pbd_proc_lab_gone(struct pbd_lab *lab)
{
        struct pbd_proc *p;

        /*
         * The lab's PID namespace is killed right after this, and no loop
         * iteration will see these processes exit: everyone waiting is told
         * now, with SIGKILL as the cause, and everything is freed.
         */
        while ((p = LIST_FIRST(&lab->procs))) {
                if (p->finished) {
                        proc_free(p);
                        continue;
                }
                pbd_proc_kill_tree(p);
                if (!p->exited) {
                        ev_child_stop(lab->daemon->loop, &p->child);
                        set_status(p, SIGKILL);
                }
                for (int i = 0; i < _PBD_STREAM_MAX; i++)
                        pbd_stream_pump(&p->out[i], PBD_PROC_OUTPUT_MAX);
                proc_finish(p); /* Frees node.exec processes. */
        }
}

json_t *
pbd_proc_state(struct pbd_lab *lab)
{
        json_t *arr = json_array();
        struct pbd_proc *p;

        /* Oldest first. */
        LIST_FOREACH (p, &lab->procs, link)
                if (arr && p->id && json_array_insert_new(arr, 0, pbd_proc_json(p)) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        return arr;
}

unsigned
pbd_proc_count_running(struct pbd_lab *lab)
{
        return count_running(lab, true);
}
