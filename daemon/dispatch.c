/* SPDX-License-Identifier: MIT */
#include "dispatch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "daemon.h"
#include "log.h"
#include "pb-frame.h"
#include "pb-macro.h"
#include "pb-schema.h"
#include "pb-utf8.h"
#include "server.h"

/* Every per-domain table, merged and sorted once at start-up. */
static const struct {
        const struct pbd_method *methods;
        const size_t *count;
} tables[] = {
        { pbd_methods_daemon, &pbd_methods_daemon_count },
        { pbd_methods_events, &pbd_methods_events_count },
        { pbd_methods_lab, &pbd_methods_lab_count },
        { pbd_methods_router, &pbd_methods_router_count },
        { pbd_methods_device, &pbd_methods_device_count },
        { pbd_methods_iface, &pbd_methods_iface_count },
        { pbd_methods_proc, &pbd_methods_proc_count },
        { pbd_methods_probe, &pbd_methods_probe_count },
        { pbd_methods_region, &pbd_methods_region_count },
        { pbd_methods_link, &pbd_methods_link_count },
        { pbd_methods_dns, &pbd_methods_dns_count },
        { pbd_methods_capture, &pbd_methods_capture_count },
        { pbd_methods_labfile, &pbd_methods_labfile_count },
};

static const struct pbd_method **index_;
static size_t index_len;

/* A batch answers with one array once its last member has replied. */
struct pbd_batch {
        struct pbd_conn *conn;
        json_t *responses;
        unsigned pending;
        unsigned n_fds;
        int fds[PBD_CONN_MAX_FDS];
};

struct pbd_call {
        struct pbd_conn *conn; /* Reference. */
        struct pbd_batch *batch;
        json_t *id; /* NULL for a notification. */
        const char *method;
};

static int
cmp_method(const void *a, const void *b)
{
        return strcmp((*(const struct pbd_method *const *)a)->name,
                      (*(const struct pbd_method *const *)b)->name);
}

int
pbd_dispatch_init(void)
{
        size_t n = 0, k = 0;

        if (index_)
                return 0;
        for (size_t t = 0; t < ELEMENTSOF(tables); t++)
                n += *tables[t].count;
        index_ = calloc(n, sizeof(*index_));
        if (!index_)
                return -ENOMEM;
        for (size_t t = 0; t < ELEMENTSOF(tables); t++)
                for (size_t i = 0; i < *tables[t].count; i++)
                        index_[k++] = &tables[t].methods[i];
        qsort(index_, n, sizeof(*index_), cmp_method);
        for (size_t i = 1; i < n; i++)
                if (strcmp(index_[i - 1]->name, index_[i]->name) == 0) {
                        free(index_);
                        index_ = NULL;
                        return -EEXIST;
                }
        index_len = n;
        return 0;
}

const struct pbd_method *
pbd_dispatch_lookup(const char *name)
{
        struct pbd_method key = { .name = name };
        const struct pbd_method *kp = &key;
        const struct pbd_method **found;

        found = bsearch(&kp, index_, index_len, sizeof(*index_), cmp_method);
        return found ? *found : NULL;
}

size_t
pbd_dispatch_count(void)
{
        return index_len;
}

const struct pbd_method *
pbd_dispatch_get(size_t i)
{
        return i < index_len ? index_[i] : NULL;
}

static struct pbd_daemon *
daemon_of(struct pbd_conn *conn)
{
        return pbd_conn_server(conn)->daemon;
}

static void
batch_release(struct pbd_batch *b)
{
        if (--b->pending > 0)
                return;
        if (json_array_size(b->responses) > 0)
                (void)pbd_conn_send(b->conn, json_incref(b->responses), b->fds, b->n_fds);
        for (unsigned i = 0; i < b->n_fds; i++)
                safe_close(b->fds[i]);
        json_decref(b->responses);
        pbd_conn_unref(b->conn);
        free(b);
}

/* Sends (or collects into the batch) one response; steals 'response'. */
static void
respond(struct pbd_conn *conn, struct pbd_batch *batch, json_t *response, const int *fds,
        unsigned n_fds)
{
        if (!response) {
                log_warning("%s: out of memory building a response", pbd_conn_name(conn));
                return;
        }
        if (!batch) {
                (void)pbd_conn_send(conn, response, fds, n_fds);
                return;
        }
        for (unsigned i = 0; i < n_fds && batch->n_fds < PBD_CONN_MAX_FDS; i++) {
                int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);

                if (fd >= 0)
                        batch->fds[batch->n_fds++] = fd;
        }
        if (json_array_append_new(batch->responses, response) < 0)
                log_warning("%s: out of memory collecting a batch", pbd_conn_name(conn));
}

static struct pbd_call *
call_new(struct pbd_conn *conn, struct pbd_batch *batch, json_t *id, const char *method)
{
        struct pbd_call *call = calloc(1, sizeof(*call));

        if (!call)
                return NULL;
        call->conn = pbd_conn_ref(conn);
        call->batch = batch;
        call->id = id ? json_incref(id) : NULL;
        call->method = method;
        if (batch)
                batch->pending++;
        return call;
}

static void
call_free(struct pbd_call *call)
{
        if (call->batch)
                batch_release(call->batch);
        json_decref(call->id);
        pbd_conn_unref(call->conn);
        free(call);
}

void
pbd_call_reply_fds(struct pbd_call *call, json_t *result, const int *fds, unsigned n_fds)
{
        if (call->id && pbd_conn_is_open(call->conn))
                respond(call->conn, call->batch, pb_rpc_build_result(call->id, result), fds, n_fds);
        else
                json_decref(result);
        call_free(call);
}

void
pbd_call_reply(struct pbd_call *call, json_t *result)
{
        pbd_call_reply_fds(call, result, NULL, 0);
}

void
pbd_call_fail(struct pbd_call *call, const struct pb_rpc_error *e)
{
        if (call->id && pbd_conn_is_open(call->conn))
                respond(call->conn, call->batch, pb_rpc_build_error(call->id, e), NULL, 0);
        call_free(call);
}

struct pbd_conn *
pbd_call_conn(const struct pbd_call *call)
{
        return call->conn;
}

struct pbd_daemon *
pbd_call_daemon(const struct pbd_call *call)
{
        return daemon_of(call->conn);
}

const char *
pbd_call_method(const struct pbd_call *call)
{
        return call->method;
}

static void
run_call(struct pbd_call *call, const struct pbd_method *m, json_t *params)
{
        struct pb_rpc_error e = { 0 };
        json_t *result = NULL;
        int r;

        r = m->fn(call, params, &result, &e);
        if (r == PBD_REPLY_DEFERRED)
                return;
        if (r < 0) {
                json_decref(result);
                if (e.err == PB_ERR_NONE) {
                        if (r == -ENOMEM)
                                pb_rpc_errorf(&e, PB_ERR_INTERNAL, "out of memory");
                        else
                                pb_rpc_error_system(&e, r, m->name, NULL);
                }
                log_debug("%s: %s failed: %s", pbd_conn_name(call->conn), m->name, e.message);
                pbd_call_fail(call, &e);
                return;
        }
        if (m->flags & PBD_METHOD_MUTATES)
                log_info("%s: %s (uid %u)", pbd_conn_name(call->conn), m->name,
                         (unsigned)pbd_conn_uid(call->conn));
        pbd_call_reply(call, result ? result : json_object());
}

static void
dispatch_one(struct pbd_conn *conn, json_t *msg, struct pbd_batch *batch)
{
        struct pbd_daemon *d = daemon_of(conn);
        json_auto_t *empty = json_object();
        const struct pbd_method *m;
        struct pb_rpc_request req;
        struct pb_rpc_error e;
        struct pbd_call *call;
        int r;

        if (!empty)
                return;
        r = pb_rpc_check_request(msg, empty, &req, &e);
        if (r < 0) {
                /* Invalid requests are answered even without an id (JSON-RPC 2.0 §5). */
                respond(conn, batch, pb_rpc_build_error(req.id, &e), NULL, 0);
                return;
        }
        m = pbd_dispatch_lookup(req.method);
        call = call_new(conn, batch, req.id, m ? m->name : NULL);
        if (!call) {
                pb_rpc_errorf(&e, PB_ERR_INTERNAL, "out of memory");
                respond(conn, batch, pb_rpc_build_error(req.id, &e), NULL, 0);
                return;
        }
        if (!m) {
                pb_rpc_errorf(&e, PB_ERR_METHOD_NOT_FOUND, "method not found: %.80s", req.method);
                snprintf(e.method, sizeof(e.method), "%s", req.method);
                pb_utf8_sanitize(e.method);
                pbd_call_fail(call, &e);
                return;
        }
        if (d->stopping) {
                pb_rpc_errorf(&e, PB_ERR_SHUTTING_DOWN, NULL);
                pbd_call_fail(call, &e);
                return;
        }
        r = pb_schema_check_params(d->schema, m->name, req.params, &e);
        if (r == -ENOENT)
                pb_rpc_errorf(&e, PB_ERR_INTERNAL, "%s is missing from the API document", m->name);
        if (r < 0) {
                pbd_call_fail(call, &e);
                return;
        }
        run_call(call, m, req.params);
}

void
pbd_dispatch_frame(struct pbd_conn *conn, const char *payload, size_t len)
{
        json_auto_t *msg = NULL;
        struct pb_rpc_error e;
        struct pbd_batch *b;
        json_t *elem;
        size_t i;

        if (pb_frame_is_blank(payload, len))
                return;
        if (pb_rpc_decode(payload, len, &msg, &e) < 0) {
                respond(conn, NULL, pb_rpc_build_error(NULL, &e), NULL, 0);
                return;
        }
        if (!json_is_array(msg)) {
                dispatch_one(conn, msg, NULL);
                return;
        }
        if (json_array_size(msg) == 0 || json_array_size(msg) > PB_RPC_BATCH_MAX) {
                pb_rpc_errorf(&e, PB_ERR_INVALID_REQUEST,
                              "a batch must hold between 1 and %d requests", PB_RPC_BATCH_MAX);
                respond(conn, NULL, pb_rpc_build_error(NULL, &e), NULL, 0);
                return;
        }
        b = calloc(1, sizeof(*b));
        if (!b || !(b->responses = json_array())) {
                free(b);
                pb_rpc_errorf(&e, PB_ERR_INTERNAL, "out of memory");
                respond(conn, NULL, pb_rpc_build_error(NULL, &e), NULL, 0);
                return;
        }
        b->conn = pbd_conn_ref(conn);
        b->pending = 1; /* Held until every member has been dispatched. */
        json_array_foreach (msg, i, elem) {
                if (!pbd_conn_is_open(conn))
                        break;
                dispatch_one(conn, elem, b);
        }
        batch_release(b);
}
