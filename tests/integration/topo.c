/* SPDX-License-Identifier: MIT */
#include "topo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
format(const char *fmt, va_list ap)
{
        char *text = NULL;

        ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
        return text;
}

json_t *
pbt_vcallf(struct pb_client *c, const char *method, const char *fmt, va_list ap)
{
        char *params = format(fmt, ap);
        json_t *r = pbt_call(c, method, params);

        free(params);
        return r;
}

struct pb_error
pbt_vcallf_fail(struct pb_client *c, const char *method, const char *fmt, va_list ap)
{
        char *params = format(fmt, ap);
        struct pb_error e = pbt_call_fail(c, method, params);

        free(params);
        return e;
}

json_t *
pbt_callf(struct pb_client *c, const char *method, const char *fmt, ...)
{
        va_list ap;
        json_t *r;

        va_start(ap, fmt);
        r = pbt_vcallf(c, method, fmt, ap);
        va_end(ap);
        return r;
}

struct pb_error
pbt_callf_fail(struct pb_client *c, const char *method, const char *fmt, ...)
{
        struct pb_error e;
        va_list ap;

        va_start(ap, fmt);
        e = pbt_vcallf_fail(c, method, fmt, ap);
        va_end(ap);
        return e;
}

const char *
pbt_str(json_t *obj, const char *key)
{
        const char *s = json_string_value(json_object_get(obj, key));

        ck_assert_msg(s, "no string field '%s'", key);
        return s;
}

struct pbt_exec
pbt_exec(struct pb_client *c, const char *lab, const char *node, const char *cmd)
{
        json_t *argv = json_pack("[s, s, s]", "sh", "-c", cmd);
        json_t *params = json_pack("{s:s, s:s, s:o, s:i}", "lab", lab, "node", node, "argv", argv,
                                   "timeout_ms", 20000);
        char *text = json_dumps(params, JSON_COMPACT);
        struct pbt_exec x = { 0 };
        json_t *res, *sig;

        ck_assert_ptr_nonnull(text);
        res = pbt_call(c, "node.exec", text);
        x.exit_code = (int)json_integer_value(json_object_get(res, "exit_code"));
        sig = json_object_get(res, "signal");
        x.signal = json_is_integer(sig) ? (int)json_integer_value(sig) : 0;
        snprintf(x.out, sizeof(x.out), "%s",
                 json_string_value(json_object_get(res, "stdout")) ?: "");
        snprintf(x.err, sizeof(x.err), "%s",
                 json_string_value(json_object_get(res, "stderr")) ?: "");
        json_decref(res);
        json_decref(params);
        free(text);
        return x;
}

bool
pbt_ping(struct pb_client *c, const char *lab, const char *node, const char *ip)
{
        char cmd[256];

        /* One answer ends it; pings go every 0.2 s until then, for 2 s. */
        snprintf(cmd, sizeof(cmd), "ping -n -c 1 -i 0.2 -w 2 %s", ip);
        return pbt_exec(c, lab, node, cmd).exit_code == 0;
}

const char *
pbt_probe(struct pb_client *c, const char *lab, const char *node, const char *target,
          const char *proto, const char *bind)
{
        static char observed[128];
        json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s*}", "lab", lab, "node", node,
                                   "target", target, "proto", proto, "timeout_ms", 1000, "attempts",
                                   3, "bind", bind);
        char *text = json_dumps(params, JSON_COMPACT), *res = NULL;
        struct pb_error e;
        json_t *r;
        int rc;

        rc = pb_call(c, "node.probe", text, 30000, &res, &e);
        free(text);
        json_decref(params);
        if (rc < 0)
                return NULL;
        r = json_loads(res, 0, NULL);
        free(res);
        ck_assert_ptr_nonnull(r);
        snprintf(observed, sizeof(observed), "%s", pbt_str(r, "observed"));
        json_decref(r);
        return observed;
}

const char *
pbt_host_of(const char *endpoint)
{
        static char host[64];
        const char *colon;

        if (endpoint[0] == '[') {
                snprintf(host, sizeof(host), "%s", endpoint + 1);
                *strchr(host, ']') = '\0';
                return host;
        }
        colon = strrchr(endpoint, ':');
        snprintf(host, sizeof(host), "%.*s", (int)(colon - endpoint), endpoint);
        return host;
}

char *
pbt_state_text(struct pb_client *c, const char *lab)
{
        json_t *st = pbt_callf(c, "lab.state", "{\"lab\":\"%s\"}", lab), *o, *i;
        size_t k, j;
        char *text;

        /* Traffic counters move by themselves (neighbour discovery, ...): not state. */
        json_array_foreach (json_object_get(st, "routers"), k, o)
                (void)json_object_del(o, "counters"); /* May be absent. */
        json_array_foreach (json_object_get(st, "devices"), k, o)
                json_array_foreach (json_object_get(o, "ifaces"), j, i)
                        (void)json_object_del(i, "counters"); /* May be absent. */
        json_array_foreach (json_object_get(st, "captures"), k, o) {
                (void)json_object_del(o, "packets"); /* May be absent. */
                (void)json_object_del(o, "bytes");   /* May be absent. */
        }
        text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);

        json_decref(st);
        return text;
}
