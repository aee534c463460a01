/* SPDX-License-Identifier: MIT */
/*
 * Packet captures (capture.start, capture.stop): the daemon's list of
 * captures over the engine's (lib/capture.h), their events, their part of
 * lab.state, and the hooks that stop them with their node, interface or
 * lab.  Capture ids are daemon-wide, from 1, never reused.
 */
#include "capture.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/queue.h>

#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "log.h"
#include "pb-macro.h"

#define CAPTURES_MAX 64 /* Per lab. */

struct capture {
        TAILQ_ENTRY(capture) link;
        struct pbd_lab *lab;
        struct pbl_node *node;
        unsigned id;
        char iface[PBL_IFNAME_MAX];
        char *path;
        struct pbl_capture *engine;
};

static TAILQ_HEAD(, capture) captures = TAILQ_HEAD_INITIALIZER(captures);
static unsigned next_id = 1;

static json_t *
stats_json(const struct pbl_capture_stats *s)
{
        return json_pack("{s:I, s:I, s:I}", "packets", (json_int_t)s->packets, "bytes",
                         (json_int_t)s->bytes, "dropped", (json_int_t)s->dropped);
}

/*
 * Stops 'c' and frees it.  'reason' (NULL: no event) goes into
 * capture_stopped; '*ret' (may be NULL) gets {id, path, packets, bytes,
 * dropped}.  Returns 0 or the negative errno of a failed final write.
 */
static int
capture_stop(struct capture *c, const char *reason, json_t **ret)
{
        struct pbl_capture_stats st = { 0 };
        json_t *res;
        int r;

        TAILQ_REMOVE(&captures, c, link);
        r = pbl_capture_stop(c->engine, &st);
        if (r < 0)
                log_warning_errno(r, "capture %u (%s): writing %s: %m", c->id, c->node->name,
                                  c->path);
        res = stats_json(&st);
        if (res && json_object_update_new(res, json_pack("{s:I, s:s}", "id", (json_int_t)c->id,
                                                         "path", c->path)) < 0)
                res = (json_decref(res), NULL);
        if (reason && res) {
                json_t *ev = json_deep_copy(res);

                if (ev && json_object_set_new(ev, "reason", json_string(reason)) == 0)
                        pbd_event(c->lab, "capture_stopped", ev);
                else
                        json_decref(ev);
        }
        if (ret)
                *ret = res;
        else
                json_decref(res);
        free(c->path);
        free(c);
        return r;
}

/* The default file: "<outdir>/<node>.<iface>.pcap", else "<rundir>/<lab>.<node>.<iface>.pcap". */
static char *
default_path(struct pbd_lab *lab, const char *node, const char *iface)
{
        const char *sock = lab->daemon->listener.path, *slash = strrchr(sock, '/');
        char *p = NULL;

        if (lab->outdir)
                return asprintf(&p, "%s/%s.%s.pcap", lab->outdir, node, iface) < 0 ? NULL : p;
        if (!slash)
                return asprintf(&p, "%s.%s.%s.pcap", lab->name, node, iface) < 0 ? NULL : p;
        return asprintf(&p, "%.*s/%s.%s.%s.pcap", (int)(slash - sock), sock, lab->name, node,
                        iface) < 0
                       ? NULL
                       : p;
}

/* 'path' as the daemon sees it: relative paths are made absolute against our cwd. */
static char *
absolute_path(const char *path)
{
        char cwd[PATH_MAX], *p = NULL;

        if (path[0] == '/')
                return strdup(path);
        if (!getcwd(cwd, sizeof(cwd)))
                return NULL;
        return asprintf(&p, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) < 0 ? NULL : p;
}

static json_t *
capture_json(const struct capture *c)
{
        struct pbl_capture_stats st;
        json_t *j;

        pbl_capture_peek(c->engine, &st);
        j = json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:b}", "id", (json_int_t)c->id, "node",
                      c->node->name, "iface", c->iface, "path", c->path, "packets",
                      (json_int_t)st.packets, "bytes", (json_int_t)st.bytes, "shaped_egress",
                      pbl_capture_reads_port(c->engine));
        return j;
}

static int
method_start(struct pbd_call *call, json_t *params, json_t **ret_result,
             struct pb_rpc_error *reterr)
{
        const char *iface = json_string_value(json_object_get(params, "iface"));
        const char *path = json_string_value(json_object_get(params, "path"));
        struct pbl_status st = { 0 };
        struct pbl_node *node;
        struct pbd_lab *lab;
        struct capture *c;
        unsigned n = 0;
        json_t *res;
        int r;

        r = pbd_lookup_node(pbd_call_daemon(call), params, "node", &lab, &node, reterr);
        if (r < 0)
                return r;
        TAILQ_FOREACH (c, &captures, link)
                n += c->lab == lab;
        if (n >= CAPTURES_MAX)
                return pb_rpc_errorf(reterr, PB_ERR_LIMIT, "lab '%s' already runs %d captures",
                                     lab->name, CAPTURES_MAX);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->path = path ? absolute_path(path) : default_path(lab, node->name, iface);
        if (!c->path) {
                free(c);
                return -ENOMEM;
        }
        r = pbl_capture_start(node, iface, c->path, &c->engine, &st);
        if (r < 0) {
                free(c->path);
                free(c);
                return pbd_status_to_error(&st, r, reterr);
        }
        c->lab = lab;
        c->node = node;
        c->id = next_id++;
        snprintf(c->iface, sizeof(c->iface), "%s", iface);
        TAILQ_INSERT_TAIL(&captures, c, link);
        res = json_pack("{s:I, s:s}", "id", (json_int_t)c->id, "path", c->path);
        if (!res) {
                (void)capture_stop(c, NULL, NULL);
                return -ENOMEM;
        }
        log_debug("lab '%s': capture %u of %s/%s into %s", lab->name, c->id, node->name, iface,
                  c->path);
        pbd_event(lab, "capture_started",
                  json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)c->id, "node", node->name,
                            "iface", iface, "path", c->path));
        *ret_result = res;
        return 0;
}

static int
method_stop(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        json_int_t id = json_integer_value(json_object_get(params, "id"));
        struct pbd_lab *lab;
        struct capture *c;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        if (r < 0)
                return r;
        TAILQ_FOREACH (c, &captures, link)
                if (c->lab == lab && (json_int_t)c->id == id)
                        break;
        if (!c) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_PROC, "lab '%s' runs no capture %lld",
                              lab->name, (long long)id);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "id");
                return -ENOENT;
        }
        /* The capture is over either way; a failed final write is the caller's to know. */
        r = capture_stop(c, "stopped", ret_result);
        if (r < 0) {
                json_decref(*ret_result);
                *ret_result = NULL;
                return pb_rpc_error_system(reterr, r, "writing the capture file", NULL);
        }
        return *ret_result ? 0 : -ENOMEM;
}

/* --- hooks (labs.h) ----------------------------------------------------- */

void
pbd_capture_node_gone(struct pbd_lab *lab, struct pbl_node *node)
{
        struct capture *c, *next;

        for (c = TAILQ_FIRST(&captures); c; c = next) {
                next = TAILQ_NEXT(c, link);
                if (c->lab == lab && c->node == node)
                        (void)capture_stop(c, "node_removed", NULL); /* Logged. */
        }
}

void
pbd_capture_sweep(struct pbd_lab *lab)
{
        struct capture *c, *next;

        for (c = TAILQ_FIRST(&captures); c; c = next) {
                next = TAILQ_NEXT(c, link);
                if (c->lab == lab && !pbl_capture_iface_exists(c->engine))
                        (void)capture_stop(c, "iface_removed", NULL); /* Logged. */
        }
}

void
pbd_capture_lab_gone(struct pbd_lab *lab)
{
        struct capture *c, *next;

        /* No capture_stopped events: lab_destroyed says it all. */
        for (c = TAILQ_FIRST(&captures); c; c = next) {
                next = TAILQ_NEXT(c, link);
                if (c->lab == lab)
                        (void)capture_stop(c, NULL, NULL); /* Logged. */
        }
}

json_t *
pbd_capture_state(struct pbd_lab *lab)
{
        json_auto_t *list = json_array();
        struct capture *c;

        if (!list)
                return NULL;
        TAILQ_FOREACH (c, &captures, link)
                if (c->lab == lab && json_array_append_new(list, capture_json(c)) < 0)
                        return NULL;
        return TAKE_PTR(list);
}

/* Sorted by name. */
const struct pbd_method pbd_methods_capture[] = {
        { "capture.start", method_start, PBD_METHOD_MUTATES },
        { "capture.stop", method_stop, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_capture_count = ELEMENTSOF(pbd_methods_capture);
