/* SPDX-License-Identifier: MIT */
/*
 * Built-in reflectors and probes (SPEC §7): what probe.c (reflectors, the
 * module's hooks and method table) and method-probe.c (node.probe) share.
 * Everything runs on the daemon's loop, with sockets created inside the
 * nodes' network namespaces.
 */
#ifndef PBD_PROBE_H
#define PBD_PROBE_H

#include <jansson.h>
#include <stdbool.h>

#include <sys/socket.h>

#include "dispatch.h"
#include "labs.h"
#include "pb-observed.h"

#define PBD_REFLECTORS_MAX 256 /* Per lab. */
#define PBD_PROBES_MAX     256 /* In flight, per lab. */

/* node.probe. */
int pbd_method_node_probe(struct pbd_call *call, json_t *params, json_t **ret_result,
                          struct pb_rpc_error *reterr);

/*
 * Answers every probe in flight in 'lab' (only those of 'node' unless NULL)
 * with -32000 ECANCELED, 'why' saying what happened ("node removed").
 */
void pbd_probes_cancel(struct pbd_lab *lab, struct pbl_node *node, const char *why);

/*
 * Parses the Endpoint parameter 'name' of 'params' into 'ret'.  Port 0 is
 * refused unless 'allow_port0'.  Returns 0, 1 when the parameter is absent,
 * or -EINVAL with a -32602 error naming it.
 */
int pbd_endpoint_param(json_t *params, const char *name, bool allow_port0, union pb_sockaddr *ret,
                       socklen_t *ret_len, struct pb_rpc_error *reterr);

/*
 * Creates a non-blocking socket of 'family' and 'type' inside 'node's
 * network namespace; IPv6 sockets are made v6-only.  Returns the fd or a
 * negative errno with a -32000 error in 'reterr'.
 */
int pbd_node_socket(struct pbl_node *node, int family, int type, struct pb_rpc_error *reterr);

#endif
