/* SPDX-License-Identifier: MIT */
/*
 * The event bus: every mutating method emits an event; subscribers get it
 * as an "event" notification, and labs with an output directory append it
 * to events.jsonl and keep an atomically replaced state.json.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/stat.h>

#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "log.h"
#include "pb-macro.h"

/* state.json is rewritten at most this often while events flow. */
#define STATE_DELAY_S 0.1

void
pbd_timestamp(char *buf, size_t n)
{
        struct timespec ts = { 0 };
        char date[32];
        struct tm tm;

        /* Neither can fail for the real-time clock of a year that fits. */
        if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || !gmtime_r(&ts.tv_sec, &tm) ||
            strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                snprintf(date, sizeof(date), "1970-01-01T00:00:00");
        snprintf(buf, n, "%.19s.%03dZ", date, (int)(ts.tv_nsec / 1000000 % 1000));
}

/* Writes 'lab's state.json through a temporary file and rename(2). */
static void
write_state(struct pbd_lab *lab, const char *status)
{
        char tmp[4096], path[4096];
        json_auto_t *state = NULL;
        int r;

        if (!lab->outdir)
                return;
        state = lab->engine ? pbd_lab_state(lab) : json_object();
        if (!state || json_object_set_new(state, "status", json_string(status)) < 0)
                return (void)log_warning("lab '%s': cannot build state.json", lab->name);
        snprintf(tmp, sizeof(tmp), "%s/state.json.tmp", lab->outdir);
        snprintf(path, sizeof(path), "%s/state.json", lab->outdir);
        r = json_dump_file(state, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (r < 0 || rename(tmp, path) < 0)
                log_warning_errno(-errno, "lab '%s': writing %s: %m", lab->name, path);
        lab->state_dirty = false;
}

static void
on_state_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct pbd_daemon *d = container_of(w, struct pbd_daemon, labs.state_timer);
        struct pbd_lab *lab;

        TAILQ_FOREACH (lab, &d->labs.labs, link)
                if (lab->state_dirty && !lab->destroying)
                        write_state(lab, "running");
}

void
pbd_events_init(struct pbd_daemon *d)
{
        ev_timer_init(&d->labs.state_timer, on_state_timer, STATE_DELAY_S, 0.);
}

void
pbd_events_done(struct pbd_daemon *d)
{
        struct pbd_subscription *s;

        ev_timer_stop(d->loop, &d->labs.state_timer);
        while ((s = TAILQ_FIRST(&d->labs.subs))) {
                pbd_conn_remove_hook(s->conn, &s->hook);
                TAILQ_REMOVE(&d->labs.subs, s, link);
                free(s);
        }
}

static int
mkdir_p(const char *path)
{
        char buf[4096];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int
pbd_lab_outdir_open(struct pbd_lab *lab, const char *dir, struct pb_rpc_error *reterr)
{
        char path[4096];
        int r;

        r = mkdir_p(dir);
        if (r < 0)
                return pb_rpc_error_system(reterr, r, "creating the output directory", NULL);
        lab->outdir = realpath(dir, NULL);
        if (!lab->outdir)
                return pb_rpc_error_system(reterr, -errno, "resolving the output directory", NULL);
        snprintf(path, sizeof(path), "%s/events.jsonl", lab->outdir);
        lab->events_file = fopen(path, "ae");
        if (!lab->events_file)
                return pb_rpc_error_system(reterr, -errno, "opening events.jsonl", NULL);
        return 0;
}

void
pbd_lab_outdir_close(struct pbd_lab *lab)
{
        if (lab->outdir)
                write_state(lab, "destroyed");
        if (lab->events_file)
                fclose(lab->events_file);
        lab->events_file = NULL;
}

static void
publish(struct pbd_daemon *d, const char *lab_name, json_t *event)
{
        struct pbd_subscription *s, *next;

        for (s = TAILQ_FIRST(&d->labs.subs); s; s = next) {
                next = TAILQ_NEXT(s, link);
                if (s->lab[0] && (!lab_name || strcmp(s->lab, lab_name) != 0))
                        continue;
                (void)pbd_conn_send(s->conn, pb_rpc_build_notification("event", json_incref(event)),
                                    NULL, 0);
        }
}

static json_t *
build_event(const char *lab, uint64_t seq, const char *kind, json_t *fields)
{
        json_auto_t *f = fields;
        char now[32];
        json_t *ev;

        pbd_timestamp(now, sizeof(now));
        ev = json_pack("{s:I, s:s, s:s?, s:s}", "seq", (json_int_t)seq, "time", now, "lab", lab,
                       "kind", kind);
        if (ev && f && json_object_update_missing(ev, f) < 0)
                return json_decref(ev), NULL;
        return ev;
}

void
pbd_event(struct pbd_lab *lab, const char *kind, json_t *fields)
{
        struct pbd_daemon *d = lab->daemon;
        json_auto_t *ev = build_event(lab->name, ++lab->seq, kind, fields);

        if (!ev) {
                log_warning("lab '%s': out of memory building event %s", lab->name, kind);
                return;
        }
        publish(d, lab->name, ev);
        if (lab->events_file) {
                if (json_dumpf(ev, lab->events_file, JSON_COMPACT) < 0 ||
                    fputc('\n', lab->events_file) == EOF || fflush(lab->events_file) == EOF)
                        log_warning("lab '%s': writing events.jsonl failed", lab->name);
                lab->state_dirty = true;
                if (!ev_is_active(&d->labs.state_timer))
                        ev_timer_start(d->loop, &d->labs.state_timer);
        }
}

void
pbd_event_global(struct pbd_daemon *d, const char *kind, json_t *fields)
{
        static uint64_t seq;
        json_auto_t *ev = build_event(NULL, ++seq, kind, fields);

        if (ev)
                publish(d, NULL, ev);
}

/* --- events.subscribe / events.unsubscribe ---------------------------------- */

static void
on_subscriber_closed(struct pbd_conn *conn, struct pbd_conn_hook *hook)
{
        struct pbd_subscription *s = container_of(hook, struct pbd_subscription, hook);

        TAILQ_REMOVE(&s->daemon->labs.subs, s, link);
        free(s);
}

static int
method_subscribe(struct pbd_call *call, json_t *params, json_t **ret_result,
                 struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        struct pbd_conn *conn = pbd_call_conn(call);
        const char *lab = json_string_value(json_object_get(params, "lab"));
        struct pbd_subscription *s;
        struct pbd_lab *l;

        if (lab && pbd_lookup_lab(d, params, &l, reterr) < 0)
                return -ENOENT;
        TAILQ_FOREACH (s, &d->labs.subs, link)
                if (s->conn == conn && strcmp(s->lab, lab ? lab : "") == 0)
                        return *ret_result = json_object(), 0; /* Already subscribed. */
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->daemon = d;
        s->conn = conn;
        snprintf(s->lab, sizeof(s->lab), "%s", lab ? lab : "");
        s->hook.fn = on_subscriber_closed;
        pbd_conn_add_hook(conn, &s->hook);
        TAILQ_INSERT_TAIL(&d->labs.subs, s, link);
        *ret_result = json_object();
        return 0;
}

static int
method_unsubscribe(struct pbd_call *call, json_t *params, json_t **ret_result,
                   struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        struct pbd_conn *conn = pbd_call_conn(call);
        const char *lab = json_string_value(json_object_get(params, "lab"));
        struct pbd_subscription *s, *next;

        /* Without "lab", every subscription of this connection ends. */
        for (s = TAILQ_FIRST(&d->labs.subs); s; s = next) {
                next = TAILQ_NEXT(s, link);
                if (s->conn != conn || (lab && strcmp(s->lab, lab) != 0))
                        continue;
                pbd_conn_remove_hook(conn, &s->hook);
                TAILQ_REMOVE(&d->labs.subs, s, link);
                free(s);
        }
        *ret_result = json_object();
        return 0;
}

const struct pbd_method pbd_methods_events[] = {
        { "events.subscribe", method_subscribe, 0 },
        { "events.unsubscribe", method_unsubscribe, 0 },
};
const size_t pbd_methods_events_count = ELEMENTSOF(pbd_methods_events);
