/* SPDX-License-Identifier: MIT */
/* node.exec, node.spawn, node.enter and proc.*: the process table as an API. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "log.h"
#include "pb-macro.h"
#include "proc.h"
#include "spawn.h"

#define OUTPUT_MAX_DEFAULT 65536

/* --- parameters ------------------------------------------------------------ */

/* A NULL-terminated vector of strings; 'owned' says whether to free the entries. */
struct strv {
        char **v;
        size_t n;
        bool owned;
};

static void
strv_done(struct strv *s)
{
        for (size_t i = 0; s->owned && i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        s->v = NULL;
        s->n = 0;
}

/* A string parameter without NUL bytes (C APIs would cut it short). */
static int
check_cstring(json_t *v, const char *param, struct pb_rpc_error *reterr)
{
        if (!json_is_string(v))
                return pb_rpc_error_param(reterr, param, "%s must be a string", param);
        if (strlen(json_string_value(v)) != json_string_length(v))
                return pb_rpc_error_param(reterr, param, "%s contains a NUL character", param);
        return 0;
}

/* argv, borrowing the strings from 'params'. */
static int
parse_argv(json_t *params, struct strv *ret, struct pb_rpc_error *reterr)
{
        json_t *arr = json_object_get(params, "argv"), *v;
        char param[32];
        size_t i;
        int r;

        ret->owned = false;
        ret->n = json_array_size(arr);
        ret->v = calloc(ret->n + 1, sizeof(*ret->v));
        if (!ret->v)
                return -ENOMEM;
        json_array_foreach (arr, i, v) {
                snprintf(param, sizeof(param), "argv[%zu]", i);
                r = check_cstring(v, param, reterr);
                if (r < 0)
                        return r;
                ret->v[i] = (char *)json_string_value(v);
        }
        return 0;
}

/* The default environment with 'env' added on top ("NAME": "value"). */
static int
parse_env(json_t *params, struct strv *ret, struct pb_rpc_error *reterr)
{
        json_t *env = json_object_get(params, "env"), *v;
        size_t n_default = 0;
        const char *key;
        char param[300];
        int r;

        ret->owned = true;
        if (!env)
                return 0;
        while (pbl_spawn_default_env[n_default])
                n_default++;
        ret->v = calloc(n_default + json_object_size(env) + 1, sizeof(*ret->v));
        if (!ret->v)
                return -ENOMEM;
        for (size_t i = 0; i < n_default; i++)
                if (!(ret->v[ret->n++] = strdup(pbl_spawn_default_env[i])))
                        return -ENOMEM;
        json_object_foreach (env, key, v) {
                size_t klen = strlen(key), i;
                char *entry;

                snprintf(param, sizeof(param), "env.%.200s", key);
                if (klen == 0 || strchr(key, '='))
                        return pb_rpc_error_param(reterr, param,
                                                  "environment names must be non-empty and "
                                                  "without '='");
                r = check_cstring(v, param, reterr);
                if (r < 0)
                        return r;
                if (asprintf(&entry, "%s=%s", key, json_string_value(v)) < 0)
                        return -ENOMEM;
                for (i = 0; i < ret->n; i++)
                        if (strncmp(ret->v[i], entry, klen + 1) == 0)
                                break;
                if (i < ret->n)
                        free(ret->v[i]);
                else
                        ret->n++;
                ret->v[i] = entry;
        }
        return 0;
}

/* What node.exec and node.spawn share: node, argv, env, cwd. */
struct start_params {
        struct pbd_proc_spec spec;
        struct strv argv, env;
};

static void
start_params_done(struct start_params *sp)
{
        strv_done(&sp->argv);
        strv_done(&sp->env);
}

static int
parse_start(struct pbd_call *call, json_t *params, struct start_params *sp,
            struct pb_rpc_error *reterr)
{
        json_t *cwd = json_object_get(params, "cwd");
        int r;

        r = pbd_lookup_node(pbd_call_daemon(call), params, "node", &sp->spec.lab, &sp->spec.node,
                            reterr);
        r = r ?: parse_argv(params, &sp->argv, reterr);
        r = r ?: parse_env(params, &sp->env, reterr);
        if (r < 0)
                return r;
        if (cwd) {
                r = check_cstring(cwd, "cwd", reterr);
                if (r < 0)
                        return r;
                sp->spec.cwd = json_string_value(cwd);
        }
        sp->spec.argv = sp->argv.v;
        sp->spec.envp = sp->env.v;
        return 0;
}

/* Finds params "proc"; NoSuchProc when it is not (or no longer) listed. */
static int
lookup_proc(struct pbd_call *call, json_t *params, struct pbd_proc **ret,
            struct pb_rpc_error *reterr)
{
        json_int_t id = json_integer_value(json_object_get(params, "proc"));

        *ret = pbd_proc_find(pbd_call_daemon(call), (uint64_t)id);
        if (*ret)
                return 0;
        pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_PROC, "no process %lld", (long long)id);
        snprintf(reterr->parameter, sizeof(reterr->parameter), "proc");
        return -ESRCH;
}

static json_t *
text_json(const struct pbd_stream *s)
{
        _cleanup_free_ char *bytes = malloc(MAX(s->len, (size_t)1)), *text = NULL;
        uint64_t off = 0;
        size_t n, used, len;

        if (!bytes)
                return NULL;
        n = pbd_stream_read(s, &off, bytes, s->len);
        text = pbd_text_from_bytes(bytes, n, true, &used, &len);
        return text ? json_stringn(text, len) : NULL;
}

/* --- node.exec ------------------------------------------------------------ */

struct exec_call {
        struct pbd_deferred dfr;
        struct pbd_proc_watch watch;
        struct pbd_conn_hook hook;
        struct pbd_daemon *daemon;
        struct pbd_call *call;
        struct pbd_proc *proc; /* NULL once it finished. */
        ev_timer timer;        /* timeout_ms, then the reply on the next iteration. */
        json_t *result;
        bool timed_out;
};

/* Unhooks everything and frees 'x'; returns its call, still to be answered. */
static struct pbd_call *
exec_release(struct exec_call *x, json_t **ret_result)
{
        struct pbd_call *call = x->call;

        ev_timer_stop(x->daemon->loop, &x->timer);
        pbd_proc_watch_remove(&x->watch);
        pbd_conn_remove_hook(pbd_call_conn(call), &x->hook);
        pbd_deferred_remove(x->daemon, &x->dfr);
        *ret_result = x->result;
        free(x);
        return call;
}

static void
on_exec_reply(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct exec_call *x = container_of(w, struct exec_call, timer);
        json_t *result;
        struct pbd_call *call = exec_release(x, &result);

        if (result) {
                pbd_call_reply(call, result);
        } else {
                struct pb_rpc_error e;

                pb_rpc_errorf(&e, PB_ERR_INTERNAL, "out of memory");
                pbd_call_fail(call, &e);
        }
}

static void
on_exec_finished(struct pbd_proc_watch *w, struct pbd_proc *p)
{
        struct exec_call *x = container_of(w, struct exec_call, watch);
        const struct pbd_stream *out = &p->out[PBD_STDOUT], *err = &p->out[PBD_STDERR];

        x->proc = NULL;
        x->result =
                json_pack("{s:o, s:o, s:o, s:o, s:b, s:f, s:b}", "exit_code",
                          p->exit_code >= 0 ? json_integer(p->exit_code) : json_null(), "signal",
                          p->signal ? json_integer(p->signal) : json_null(), "stdout",
                          text_json(out), "stderr", text_json(err), "truncated",
                          out->total > out->len || err->total > err->len, "wall_ms",
                          (double)(p->end_usec - p->start_usec) / 1000., "timed_out", x->timed_out);
        /* Replying may destroy labs (a closing connection): not while 'p' is being finished. */
        ev_timer_stop(x->daemon->loop, &x->timer);
        ev_timer_init(&x->timer, on_exec_reply, 0., 0.);
        ev_timer_start(x->daemon->loop, &x->timer);
}

static void
on_exec_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct exec_call *x = container_of(w, struct exec_call, timer);

        x->timed_out = true;
        if (x->proc)
                pbd_proc_kill_tree(x->proc);
}

static void
on_exec_conn_closed(struct pbd_conn *conn, struct pbd_conn_hook *hook)
{
        struct exec_call *x = container_of(hook, struct exec_call, hook);

        /* Nobody is left to read the result. */
        if (x->proc)
                pbd_proc_kill_tree(x->proc);
}

static void
exec_cancel(struct pbd_deferred *dfr)
{
        struct exec_call *x = container_of(dfr, struct exec_call, dfr);
        struct pbd_proc *p = x->proc;
        struct pb_rpc_error e;
        json_t *result;
        struct pbd_call *call;

        if (p)
                pbd_proc_kill_tree(p);
        call = exec_release(x, &result);
        if (result) {
                /* It finished just before: the answer is ready. */
                pbd_call_reply(call, result);
                return;
        }
        pb_rpc_errorf(&e, PB_ERR_SHUTTING_DOWN, NULL);
        pbd_call_fail(call, &e);
}

static int
method_exec(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        json_t *in = json_object_get(params, "stdin");
        json_t *timeout = json_object_get(params, "timeout_ms");
        struct start_params sp = { 0 };
        struct exec_call *x;
        struct pbd_proc *p;
        int r;

        r = parse_start(call, params, &sp, reterr);
        if (r < 0)
                goto out;
        x = calloc(1, sizeof(*x));
        if (!x) {
                r = -ENOMEM;
                goto out;
        }
        sp.spec.transient = true;
        sp.spec.stdin_pipe = in && json_string_length(in) > 0;
        r = pbd_proc_start(&sp.spec, &p, reterr);
        if (r < 0) {
                free(x);
                goto out;
        }
        if (sp.spec.stdin_pipe) {
                /* Fits: a request frame holds at most 1 MiB. */
                r = pbd_proc_write(p, json_string_value(in), json_string_length(in), true, reterr);
                if (r < 0)
                        log_warning("lab '%s': stdin for %s: %s", sp.spec.lab->name, sp.argv.v[0],
                                    reterr->message);
        }
        x->daemon = d;
        x->call = call;
        x->proc = p;
        x->dfr.cancel = exec_cancel;
        x->watch.finished = on_exec_finished;
        x->hook.fn = on_exec_conn_closed;
        pbd_deferred_add(d, &x->dfr);
        pbd_proc_watch_add(p, &x->watch);
        pbd_conn_add_hook(pbd_call_conn(call), &x->hook);
        ev_timer_init(&x->timer, on_exec_timeout,
                      timeout ? (double)json_integer_value(timeout) / 1000. : 0., 0.);
        if (timeout)
                ev_timer_start(d->loop, &x->timer);
        r = PBD_REPLY_DEFERRED;
out:
        start_params_done(&sp);
        return r;
}

/* --- node.spawn ----------------------------------------------------------- */

static int
method_spawn(struct pbd_call *call, json_t *params, json_t **ret_result,
             struct pb_rpc_error *reterr)
{
        struct start_params sp = { 0 };
        struct pbd_proc *p;
        int r;

        r = parse_start(call, params, &sp, reterr);
        if (r >= 0) {
                sp.spec.name = json_string_value(json_object_get(params, "name"));
                sp.spec.stdin_pipe = true;
                r = pbd_proc_start(&sp.spec, &p, reterr);
        }
        start_params_done(&sp);
        if (r < 0)
                return r;
        *ret_result =
                json_pack("{s:I, s:I}", "proc", (json_int_t)p->id, "pid", (json_int_t)p->host_pid);
        pbd_proc_announce(p); /* Last: see proc.h. */
        return *ret_result ? 0 : -ENOMEM;
}

/* --- proc.wait ------------------------------------------------------------ */

struct waiter {
        struct pbd_deferred dfr;
        struct pbd_proc_watch watch;
        struct pbd_conn_hook hook;
        struct pbd_daemon *daemon;
        struct pbd_call *call;
        ev_timer timer; /* timeout_ms, then the reply on the next iteration. */
        json_t *result;
};

static struct pbd_call *
waiter_release(struct waiter *wt, json_t **ret_result)
{
        struct pbd_call *call = wt->call;

        ev_timer_stop(wt->daemon->loop, &wt->timer);
        pbd_proc_watch_remove(&wt->watch);
        pbd_conn_remove_hook(pbd_call_conn(call), &wt->hook);
        pbd_deferred_remove(wt->daemon, &wt->dfr);
        *ret_result = wt->result;
        free(wt);
        return call;
}

static void
waiter_fail(struct waiter *wt, enum pb_err err, const char *msg)
{
        struct pb_rpc_error e;
        json_t *result;
        struct pbd_call *call = waiter_release(wt, &result);

        json_decref(result);
        pb_rpc_errorf(&e, err, "%s", msg);
        pbd_call_fail(call, &e);
}

static void
on_wait_reply(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct waiter *wt = container_of(w, struct waiter, timer);
        json_t *result;
        struct pbd_call *call;

        if (!wt->result) {
                waiter_fail(wt, PB_ERR_INTERNAL, "out of memory");
                return;
        }
        call = waiter_release(wt, &result);
        pbd_call_reply(call, result);
}

static void
on_wait_finished(struct pbd_proc_watch *w, struct pbd_proc *p)
{
        struct waiter *wt = container_of(w, struct waiter, watch);

        wt->result = pbd_proc_status_json(p);
        ev_timer_stop(wt->daemon->loop, &wt->timer);
        ev_timer_init(&wt->timer, on_wait_reply, 0., 0.);
        ev_timer_start(wt->daemon->loop, &wt->timer);
}

static void
on_wait_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
        waiter_fail(container_of(w, struct waiter, timer), PB_ERR_TIMEOUT,
                    "the process is still running");
}

static void
on_wait_conn_closed(struct pbd_conn *conn, struct pbd_conn_hook *hook)
{
        /* The reply would be dropped anyway: let go now. */
        waiter_fail(container_of(hook, struct waiter, hook), PB_ERR_INTERNAL, "connection closed");
}

static void
wait_cancel(struct pbd_deferred *dfr)
{
        struct waiter *wt = container_of(dfr, struct waiter, dfr);

        if (wt->result)
                on_wait_reply(wt->daemon->loop, &wt->timer, 0); /* The answer is ready. */
        else
                waiter_fail(wt, PB_ERR_SHUTTING_DOWN, "the daemon is stopping");
}

static int
method_wait(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        json_t *timeout = json_object_get(params, "timeout_ms");
        struct pbd_proc *p;
        struct waiter *wt;
        int r;

        r = lookup_proc(call, params, &p, reterr);
        if (r < 0)
                return r;
        if (p->finished) {
                *ret_result = pbd_proc_status_json(p);
                return *ret_result ? 0 : -ENOMEM;
        }
        wt = calloc(1, sizeof(*wt));
        if (!wt)
                return -ENOMEM;
        wt->daemon = d;
        wt->call = call;
        wt->dfr.cancel = wait_cancel;
        wt->watch.finished = on_wait_finished;
        wt->hook.fn = on_wait_conn_closed;
        pbd_deferred_add(d, &wt->dfr);
        pbd_proc_watch_add(p, &wt->watch);
        pbd_conn_add_hook(pbd_call_conn(call), &wt->hook);
        ev_timer_init(&wt->timer, on_wait_timeout,
                      timeout ? (double)json_integer_value(timeout) / 1000. : 0., 0.);
        if (timeout)
                ev_timer_start(d->loop, &wt->timer);
        return PBD_REPLY_DEFERRED;
}

/* --- proc.kill, proc.write, proc.output, proc.list ----------------------- */

static int
method_kill(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        json_t *sig = json_object_get(params, "signal");
        struct pbd_proc *p;
        int r, signo = SIGTERM;

        r = lookup_proc(call, params, &p, reterr);
        if (r < 0)
                return r;
        if (json_is_integer(sig)) {
                signo = (int)json_integer_value(sig);
        } else if (sig) {
                signo = pbl_signal_parse(json_string_value(sig));
                if (signo < 0)
                        return pb_rpc_error_param(reterr, "signal", "unknown signal '%s'",
                                                  json_string_value(sig));
        }
        r = pbd_proc_signal(p, signo, reterr);
        if (r < 0)
                return r;
        *ret_result = json_object();
        return *ret_result ? 0 : -ENOMEM;
}

static bool
is_base64(json_t *params)
{
        const char *enc = json_string_value(json_object_get(params, "encoding"));

        return enc && strcmp(enc, "base64") == 0;
}

static int
method_write(struct pbd_call *call, json_t *params, json_t **ret_result,
             struct pb_rpc_error *reterr)
{
        json_t *data = json_object_get(params, "data");
        bool close = json_is_true(json_object_get(params, "close"));
        _cleanup_free_ char *decoded = NULL;
        const char *bytes = json_string_value(data);
        size_t n = json_string_length(data);
        struct pbd_proc *p;
        int r;

        r = lookup_proc(call, params, &p, reterr);
        if (r < 0)
                return r;
        if (is_base64(params)) {
                r = pbd_base64_decode(bytes, n, &decoded, &n);
                if (r == -EINVAL)
                        return pb_rpc_error_param(reterr, "data", "data is not valid base64");
                if (r < 0)
                        return r;
                bytes = decoded;
        }
        r = pbd_proc_write(p, bytes, n, close, reterr);
        if (r < 0)
                return r;
        *ret_result = json_object();
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_output(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        const char *stream = json_string_value(json_object_get(params, "stream"));
        json_t *jmax = json_object_get(params, "max");
        uint64_t want = (uint64_t)json_integer_value(json_object_get(params, "offset")), off;
        size_t max = jmax ? (size_t)json_integer_value(jmax) : OUTPUT_MAX_DEFAULT;
        _cleanup_free_ char *buf = NULL, *enc = NULL;
        const struct pbd_stream *s;
        size_t n, used, len;
        struct pbd_proc *p;
        bool at_end;
        int r;

        r = lookup_proc(call, params, &p, reterr);
        if (r < 0)
                return r;
        s = &p->out[stream && strcmp(stream, "stderr") == 0 ? PBD_STDERR : PBD_STDOUT];
        max = MIN(max, (size_t)PBD_PROC_OUTPUT_MAX); /* Never more than is held. */
        buf = malloc(max);
        if (!buf)
                return -ENOMEM;
        off = want;
        n = pbd_stream_read(s, &off, buf, max);
        at_end = off + n == s->total;
        if (is_base64(params)) {
                enc = pbd_base64_encode(buf, n, &len);
                used = n;
        } else {
                /* Half a character at the end waits for its rest, unless none can come. */
                enc = pbd_text_from_bytes(buf, n, at_end && pbd_stream_closed(s), &used, &len);
                if (enc && used == 0 && n > 0 && !at_end) {
                        free(enc);
                        enc = pbd_text_from_bytes(buf, n, true, &used, &len);
                }
        }
        if (!enc)
                return -ENOMEM;
        *ret_result = json_pack("{s:o, s:I, s:b, s:I}", "data", json_stringn(enc, len), "offset",
                                (json_int_t)(off + used), "eof",
                                p->finished && pbd_stream_closed(s) && off + used == s->total,
                                "lost", (json_int_t)(off > want ? off - want : 0));
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_list(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        json_auto_t *arr = json_array();
        struct pbd_lab *lab, *only = NULL;
        int r;

        if (!arr)
                return -ENOMEM;
        if (json_object_get(params, "lab")) {
                r = pbd_lookup_lab(d, params, &only, reterr);
                if (r < 0)
                        return r;
        }
        TAILQ_FOREACH (lab, &d->labs.labs, link) {
                json_t *procs;

                if (lab->destroying || (only && lab != only))
                        continue;
                procs = pbd_proc_state(lab);
                if (!procs || json_array_extend(arr, procs) < 0) {
                        json_decref(procs);
                        return -ENOMEM;
                }
                json_decref(procs);
        }
        *ret_result = TAKE_PTR(arr);
        return 0;
}

/* --- node.enter ----------------------------------------------------------- */

static int
method_enter(struct pbd_call *call, json_t *params, json_t **ret_result,
             struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        _cleanup_close_ int userns = -EBADF, ownmnt = -EBADF;
        char netns[64], mntns[64], pidns[64], user[64];
        json_auto_t *names = json_array();
        int fds[4], n_fds = 0, pid = (int)d->outer_pid;
        struct pbl_node *node;
        struct pbd_lab *lab;
        json_t *result;
        int r;

        if (!names)
                return -ENOMEM;
        r = pbd_lookup_node(d, params, "node", &lab, &node, reterr);
        if (r < 0)
                return r;
        if (d->rootless) {
                userns = open("/proc/thread-self/ns/user", O_RDONLY | O_CLOEXEC);
                if (userns < 0)
                        return pb_rpc_error_system(reterr, -errno, "open /proc/thread-self/ns/user",
                                                   NULL);
                snprintf(user, sizeof(user), "/proc/%d/ns/user", pid);
                fds[n_fds++] = userns;
                r = json_array_append_new(names, json_string("userns"));
        }
        if (node->mntfd >= 0) {
                snprintf(mntns, sizeof(mntns), "/proc/%d/fd/%d", pid, node->mntfd);
        } else {
                ownmnt = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
                if (ownmnt < 0)
                        return pb_rpc_error_system(reterr, -errno, "open /proc/thread-self/ns/mnt",
                                                   NULL);
                snprintf(mntns, sizeof(mntns), "/proc/%d/ns/mnt", pid);
        }
        snprintf(netns, sizeof(netns), "/proc/%d/fd/%d", pid, node->netfd);
        snprintf(pidns, sizeof(pidns), "/proc/%d/fd/%d", pid, lab->engine->pidns_fd);
        fds[n_fds++] = node->netfd;
        fds[n_fds++] = node->mntfd >= 0 ? node->mntfd : ownmnt;
        fds[n_fds++] = lab->engine->pidns_fd;
        if (r < 0 || json_array_append_new(names, json_string("netns")) < 0 ||
            json_array_append_new(names, json_string("mntns")) < 0 ||
            json_array_append_new(names, json_string("pidns")) < 0)
                return -ENOMEM;
        result = json_pack("{s:i, s:s?, s:s, s:s, s:s, s:O}", "pid", pid, "userns",
                           d->rootless ? user : NULL, "netns", netns, "mntns", mntns, "pidns",
                           pidns, "fds", names);
        if (!result)
                return -ENOMEM;
        /* The connection keeps duplicates until they are sent; ours close on return. */
        pbd_call_reply_fds(call, result, fds, (unsigned)n_fds);
        return PBD_REPLY_DEFERRED;
}

/* Sorted by name. */
const struct pbd_method pbd_methods_proc[] = {
        { "node.enter", method_enter, 0 },
        { "node.exec", method_exec, PBD_METHOD_MUTATES },
        { "node.spawn", method_spawn, PBD_METHOD_MUTATES },
        { "proc.kill", method_kill, PBD_METHOD_MUTATES },
        { "proc.list", method_list, 0 },
        { "proc.output", method_output, 0 },
        { "proc.wait", method_wait, 0 },
        { "proc.write", method_write, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_proc_count = ELEMENTSOF(pbd_methods_proc);
