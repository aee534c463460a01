/* SPDX-License-Identifier: MIT */
/*
 * Dispatch: frames to method calls.  Every request is checked in order —
 * envelope, method exists, params valid against the OpenRPC document — and
 * only then handed to its handler, which replies at once or later.
 */
#ifndef PBD_DISPATCH_H
#define PBD_DISPATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "pb-rpc.h"

struct pbd_call;
struct pbd_conn;
struct pbd_daemon;

/* Returned by a handler that keeps the call and replies later. */
#define PBD_REPLY_DEFERRED 1

/*
 * A method handler.  'params' is borrowed and already valid against the
 * method's schema.  Returns 0 with a new reference in '*ret_result',
 * PBD_REPLY_DEFERRED after taking ownership of 'call' (finish it with
 * pbd_call_reply() or pbd_call_fail()), or a negative errno: then 'reterr'
 * is sent if it was filled, otherwise a -32000 system error built from the
 * errno.
 */
typedef int pbd_method_fn(struct pbd_call *call, json_t *params, json_t **ret_result,
                          struct pb_rpc_error *reterr);

enum pbd_method_flags {
        PBD_METHOD_MUTATES = 1 << 0, /* Changes state: logged at info level. */
};

struct pbd_method {
        const char *name;
        pbd_method_fn *fn;
        unsigned flags;
};

/* Per-domain method tables, each sorted by name. */
extern const struct pbd_method pbd_methods_daemon[], pbd_methods_events[], pbd_methods_lab[],
        pbd_methods_router[], pbd_methods_device[], pbd_methods_iface[], pbd_methods_proc[],
        pbd_methods_probe[], pbd_methods_region[], pbd_methods_link[], pbd_methods_labfile[];
extern const size_t pbd_methods_daemon_count, pbd_methods_events_count, pbd_methods_lab_count,
        pbd_methods_router_count, pbd_methods_device_count, pbd_methods_iface_count,
        pbd_methods_proc_count, pbd_methods_probe_count, pbd_methods_region_count,
        pbd_methods_link_count, pbd_methods_labfile_count;

/* capture.c */
extern const struct pbd_method pbd_methods_capture[];
extern const size_t pbd_methods_capture_count;

/* method-dns.c */
extern const struct pbd_method pbd_methods_dns[];
extern const size_t pbd_methods_dns_count;

/* Builds the sorted method index.  Returns 0, or -EEXIST on a duplicate name. */
int pbd_dispatch_init(void);

/* Looks a method up by name; NULL if it is not implemented. */
const struct pbd_method *pbd_dispatch_lookup(const char *name);

/* Implemented methods, in name order. */
size_t pbd_dispatch_count(void);
const struct pbd_method *pbd_dispatch_get(size_t i);

/*
 * Handles one frame payload (without its delimiter) received on 'conn':
 * a request, a notification or a batch.  Replies go out through the
 * connection.
 */
void pbd_dispatch_frame(struct pbd_conn *conn, const char *payload, size_t len);

/* Finishes 'call' with 'result' (stolen).  Frees 'call'. */
void pbd_call_reply(struct pbd_call *call, json_t *result);

/* Same, with fds passed to the client alongside the reply (duplicated). */
void pbd_call_reply_fds(struct pbd_call *call, json_t *result, const int *fds, unsigned n_fds);

/* Finishes 'call' with error 'e'.  Frees 'call'. */
void pbd_call_fail(struct pbd_call *call, const struct pb_rpc_error *e);

/* The connection the call came from (borrowed; may be closed by now). */
struct pbd_conn *pbd_call_conn(const struct pbd_call *call);
struct pbd_daemon *pbd_call_daemon(const struct pbd_call *call);
const char *pbd_call_method(const struct pbd_call *call);

#endif
