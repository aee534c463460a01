/* SPDX-License-Identifier: MIT */
/* Helpers for tests that build labs: calls with printf-style params, exec, probes. */
#ifndef PBT_TOPO_H
#define PBT_TOPO_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>

#include "harness.h"

/* pbt_call() with params built by printf ('fmt' is JSON text). */
json_t *pbt_callf(struct pb_client *c, const char *method, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
struct pb_error pbt_callf_fail(struct pb_client *c, const char *method, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* The same with a va_list. */
json_t *pbt_vcallf(struct pb_client *c, const char *method, const char *fmt, va_list ap);
struct pb_error pbt_vcallf_fail(struct pb_client *c, const char *method, const char *fmt,
                                va_list ap);

/* A string field of a JSON object (asserted present), e.g. pbt_str(dev, "ip"). */
const char *pbt_str(json_t *obj, const char *key);

struct pbt_exec {
        int exit_code;
        int signal;
        char out[8192];
        char err[4096];
};

/* Runs "sh -c CMD" in 'node' of 'lab' through node.exec. */
struct pbt_exec pbt_exec(struct pb_client *c, const char *lab, const char *node, const char *cmd);

/* True if a ping from 'node' to 'ip' is answered within 2 s (one every 0.2 s until then). */
bool pbt_ping(struct pb_client *c, const char *lab, const char *node, const char *ip);

/* node.probe; returns the observed "ip:port" (static buffer) or NULL on failure. */
const char *pbt_probe(struct pb_client *c, const char *lab, const char *node, const char *target,
                      const char *proto, const char *bind);

/* The address part of "ip:port" / "[ip]:port" (static buffer). */
const char *pbt_host_of(const char *endpoint);

/* Lab state as compact text, for byte-for-byte comparisons (without traffic counters). */
char *pbt_state_text(struct pb_client *c, const char *lab);

#endif
