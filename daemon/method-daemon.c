/* SPDX-License-Identifier: MIT */
/* Methods about the daemon itself: daemon.info, daemon.shutdown, rpc.discover. */
#include <errno.h>
#include <stdlib.h>

#include "daemon.h"
#include "dispatch.h"
#include "pb-macro.h"
#include "pb-schema.h"
#include "server.h"

#ifndef PB_VERSION
#        define PB_VERSION "0.0.0"
#endif
/* Bumped on incompatible API changes; additions keep it. */
#define PB_API_VERSION 1

static const char *const features[] = {
        "batch",             /* JSON-RPC batches, up to 64 entries */
        "deferred-replies",  /* replies may arrive out of order */
        "fd-passing",        /* SCM_RIGHTS alongside replies */
        "socket-activation", /* systemd LISTEN_FDS */
        "pidns",             /* one PID namespace per lab: processes die with it */
};

static int
method_info(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        json_auto_t *feat = json_array();
        json_t *res;

        if (!feat)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(features); i++)
                if (json_array_append_new(feat, json_string(features[i])) < 0)
                        return -ENOMEM;
        /* The kernel's netem, if it has it; the userspace shaper is always built in. */
        if (d->netem && json_array_append_new(feat, json_string("netem")) < 0)
                return -ENOMEM;
        if (json_array_append_new(feat, json_string("userspace-shaper")) < 0)
                return -ENOMEM;
        res = json_pack("{s:s, s:i, s:I, s:I, s:b, s:s, s:O, s:i, s:i, s:I, s:s?}", "version",
                        PB_VERSION, "api_version", PB_API_VERSION, "pid", (json_int_t)d->outer_pid,
                        "uid", (json_int_t)d->outer_uid, "rootless", d->rootless, "shaper",
                        pbd_shaper_to_string(d->shaper), "features", feat, "labs",
                        (int)d->labs.n_labs, "connections", (int)d->server->n_conns, "uptime_ms",
                        (json_int_t)((pbd_now_usec() - d->started_usec) / 1000), "outdir",
                        d->cfg.outdir);
        if (!res)
                return -ENOMEM;
        *ret_result = res;
        return 0;
}

static int
method_shutdown(struct pbd_call *call, json_t *params, json_t **ret_result,
                struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);

        /* The reply is queued first; stopping lets it leave before the loop ends. */
        pbd_call_reply(call, json_object());
        pbd_daemon_stop(d, "daemon.shutdown");
        return PBD_REPLY_DEFERRED;
}

struct ping {
        struct pbd_deferred dfr;
        struct pbd_daemon *daemon;
        struct pbd_call *call;
        json_t *data;
        ev_timer timer;
};

static void
ping_finish(struct ping *p, bool reply)
{
        struct pb_rpc_error e;

        ev_timer_stop(p->daemon->loop, &p->timer);
        pbd_deferred_remove(p->daemon, &p->dfr);
        if (reply) {
                pbd_call_reply(p->call,
                               p->data ? json_pack("{s:O}", "data", p->data) : json_object());
        } else {
                pb_rpc_errorf(&e, PB_ERR_SHUTTING_DOWN, "the daemon stopped before the reply");
                pbd_call_fail(p->call, &e);
        }
        json_decref(p->data);
        free(p);
}

static void
on_ping_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
        ping_finish(container_of(w, struct ping, timer), true);
}

static void
ping_cancel(struct pbd_deferred *dfr)
{
        ping_finish(container_of(dfr, struct ping, dfr), false);
}

static int
method_ping(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        json_t *delay = json_object_get(params, "delay_ms");
        json_t *data = json_object_get(params, "data");
        struct ping *p;

        if (!delay || json_integer_value(delay) == 0) {
                *ret_result = data ? json_pack("{s:O}", "data", data) : json_object();
                return *ret_result ? 0 : -ENOMEM;
        }
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->daemon = d;
        p->call = call;
        p->data = json_incref(data);
        p->dfr.cancel = ping_cancel;
        ev_timer_init(&p->timer, on_ping_timer, (double)json_integer_value(delay) / 1000., 0.);
        ev_timer_start(d->loop, &p->timer);
        pbd_deferred_add(d, &p->dfr);
        return PBD_REPLY_DEFERRED;
}

/* The OpenRPC document, each method marked with whether this build implements it. */
static json_t *
build_discover(struct pbd_daemon *d)
{
        json_auto_t *doc = json_deep_copy(pb_schema_document(d->schema));
        json_t *methods, *m;
        size_t i;

        if (!doc)
                return NULL;
        methods = json_object_get(doc, "methods");
        json_array_foreach (methods, i, m) {
                const char *name = json_string_value(json_object_get(m, "name"));

                if (json_object_set_new(m, "x-implemented",
                                        json_boolean(name && pbd_dispatch_lookup(name))) < 0)
                        return NULL;
        }
        return TAKE_PTR(doc);
}

static int
method_discover(struct pbd_call *call, json_t *params, json_t **ret_result,
                struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);

        if (!d->discover && !(d->discover = build_discover(d)))
                return -ENOMEM;
        *ret_result = json_incref(d->discover);
        return 0;
}

/* Sorted by name. */
const struct pbd_method pbd_methods_daemon[] = {
        { "daemon.info", method_info, 0 },
        { "daemon.ping", method_ping, 0 },
        { "daemon.shutdown", method_shutdown, PBD_METHOD_MUTATES },
        { "rpc.discover", method_discover, 0 },
};
const size_t pbd_methods_daemon_count = ELEMENTSOF(pbd_methods_daemon);
