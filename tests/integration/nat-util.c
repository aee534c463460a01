/* SPDX-License-Identifier: MIT */
#include "nat-util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "topo.h"

struct pbt_daemon nt_d;
struct pb_client *nt_c;

static json_t *events; /* recorded by on_event() */

void
nt_setup(void)
{
        memset(&nt_d, 0, sizeof(nt_d));
        pbt_daemon_start(&nt_d, NULL);
        nt_c = pbt_connect(&nt_d);
        events = json_array();
}

void
nt_teardown(void)
{
        nt_c = pb_client_free(nt_c);
        if (nt_d.pid > 0)
                pbt_daemon_stop(&nt_d);
        json_decref(events);
        events = NULL;
}

json_t *
nt_call(const char *method, const char *fmt, ...)
{
        va_list ap;
        json_t *r;

        va_start(ap, fmt);
        r = pbt_vcallf(nt_c, method, fmt, ap);
        va_end(ap);
        return r;
}

struct pb_error
nt_fail(const char *method, const char *fmt, ...)
{
        struct pb_error e;
        va_list ap;

        va_start(ap, fmt);
        e = pbt_vcallf_fail(nt_c, method, fmt, ap);
        va_end(ap);
        return e;
}

void
nt_lab(const char *lab)
{
        json_decref(nt_call("lab.create", "{\"name\":\"%s\"}", lab));
}

void
nt_router(const char *lab, const char *name, const char *extra)
{
        json_decref(nt_call("router.add", "{\"lab\":\"%s\",\"name\":\"%s\"%s}", lab, name,
                            extra ? extra : ""));
}

void
nt_device(const char *lab, const char *name, const char *router)
{
        json_decref(nt_call("device.add",
                            "{\"lab\":\"%s\",\"name\":\"%s\",\"ifaces\":[{\"name\":\"eth0\","
                            "\"router\":\"%s\"}]}",
                            lab, name, router));
}

static struct nt_addrs
addrs(json_t *o)
{
        const char *ip = json_string_value(json_object_get(o, "ip"));
        const char *ip6 = json_string_value(json_object_get(o, "ip6"));
        struct nt_addrs a;

        snprintf(a.ip, sizeof(a.ip), "%s", ip ? ip : "");
        snprintf(a.ip6, sizeof(a.ip6), "%s", ip6 ? ip6 : "");
        return a;
}

struct nt_addrs
nt_wan(const char *lab, const char *router)
{
        json_t *r = nt_call("router.get", "{\"lab\":\"%s\",\"name\":\"%s\"}", lab, router);
        struct nt_addrs a = addrs(json_object_get(r, "uplink"));

        json_decref(r);
        return a;
}

struct nt_addrs
nt_dev(const char *lab, const char *device)
{
        json_t *r = nt_call("device.get", "{\"lab\":\"%s\",\"name\":\"%s\"}", lab, device);
        struct nt_addrs a = addrs(r);

        json_decref(r);
        return a;
}

int
nt_reflector(const char *lab, const char *node, const char *bind, const char *proto)
{
        json_t *r = nt_call("node.reflector",
                            "{\"lab\":\"%s\",\"node\":\"%s\",\"bind\":\"%s\",\"proto\":\"%s\"}",
                            lab, node, bind, proto);
        int id = (int)json_integer_value(json_object_get(r, "id"));

        ck_assert_int_gt(id, 0);
        json_decref(r);
        return id;
}

void
nt_reflector_stop(const char *lab, int id)
{
        json_decref(nt_call("node.reflector_stop", "{\"lab\":\"%s\",\"id\":%d}", lab, id));
}

unsigned
nt_split(const char *ep, char *host, size_t n)
{
        const char *colon = strrchr(ep, ':');

        ck_assert_msg(colon, "not an endpoint: '%s'", ep);
        if (ep[0] == '[')
                snprintf(host, n, "%.*s", (int)(colon - ep - 2), ep + 1);
        else
                snprintf(host, n, "%.*s", (int)(colon - ep), ep);
        return (unsigned)strtoul(colon + 1, NULL, 10);
}

static bool parse_probe(struct nt_ep *ep, const char *res, const struct pb_error *e);

bool
nt_probe(struct nt_ep *ep, const char *lab, const char *node, const char *target, const char *proto,
         const char *bind, int timeout_ms, int attempts)
{
        json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s*}", "lab", lab, "node", node,
                                   "target", target, "proto", proto ? proto : "udp", "timeout_ms",
                                   timeout_ms > 0 ? timeout_ms : 1000, "attempts",
                                   attempts > 0 ? attempts : 3, "bind", bind);
        char *text = json_dumps(params, JSON_COMPACT), *res = NULL;
        struct pb_error e;
        bool ok;
        int rc;

        ck_assert_ptr_nonnull(text);
        rc = pb_call(nt_c, "node.probe", text, 60000, &res, &e);
        free(text);
        json_decref(params);
        ck_assert_msg(rc == 0 || rc == -EREMOTEIO, "node.probe: transport error %d", rc);
        ok = parse_probe(ep, rc == 0 ? res : NULL, &e);
        free(res);
        return ok;
}

static bool
parse_probe(struct nt_ep *ep, const char *res, const struct pb_error *e)
{
        json_t *r;

        memset(ep, 0, sizeof(*ep));
        if (!res) {
                snprintf(ep->err, sizeof(ep->err), "%s: %s", e->name, e->message);
                ep->timeout = strcmp(e->name, "patchbay.Timeout") == 0;
                return false;
        }
        r = json_loads(res, 0, NULL);
        ck_assert_ptr_nonnull(r);
        snprintf(ep->text, sizeof(ep->text), "%s", pbt_str(r, "observed"));
        snprintf(ep->local, sizeof(ep->local), "%s", pbt_str(r, "local"));
        ep->port = nt_split(ep->text, ep->host, sizeof(ep->host));
        json_decref(r);
        return true;
}

static void
on_probe(struct pb_client *c, const char *result, const struct pb_error *error, void *userdata)
{
        struct nt_req *q = userdata;

        (void)c;
        q->ok = parse_probe(&q->ep, result, error);
        q->done = true;
}

void
nt_probe_all(const char *lab, struct nt_req *reqs, size_t n)
{
        long long deadline = pbt_now_ms() + 30000;
        size_t done;

        ck_assert_uint_le(n, 256);
        for (size_t i = 0; i < n; i++) {
                struct nt_req *q = &reqs[i];
                json_t *params = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s*}", "lab", lab,
                                           "node", q->node, "target", q->target, "proto", q->proto,
                                           "timeout_ms", q->expect_drop ? NT_DROP_MS : 1000,
                                           "attempts", q->expect_drop ? 1 : 3, "bind", q->bind);
                char *text = json_dumps(params, JSON_COMPACT);

                q->done = false;
                ck_assert_int_eq(pb_call_async(nt_c, "node.probe", text, on_probe, q), 0);
                free(text);
                json_decref(params);
        }
        do {
                ck_assert_msg(pbt_now_ms() < deadline, "probes unanswered");
                ck_assert_int_ge(pb_client_wait(nt_c, 100), 0);
                done = 0;
                for (size_t i = 0; i < n; i++)
                        done += reqs[i].done;
        } while (done < n);
}

struct nt_ep
nt_probe_ok(const char *lab, const char *node, const char *target, const char *proto,
            const char *bind)
{
        struct nt_ep ep;

        ck_assert_msg(nt_probe(&ep, lab, node, target, proto, bind, 0, 0),
                      "%s: %s probe %s -> %s (bind %s) failed: %s", lab, proto, node, target,
                      bind ? bind : "-", ep.err);
        return ep;
}

bool
nt_dropped(const char *lab, const char *node, const char *target, const char *proto,
           const char *bind)
{
        struct nt_ep ep;

        if (nt_probe(&ep, lab, node, target, proto, bind, NT_DROP_MS, 1))
                return false;
        /* Dropped, not refused: a refusal would mean the path is open. */
        ck_assert_msg(ep.timeout, "%s: %s probe %s -> %s: %s (want an answer or a drop)", lab,
                      proto, node, target, ep.err);
        return true;
}

bool
nt_ping(const char *lab, const char *node, const char *ip)
{
        char cmd[160];

        /* One answer ends it; pings go every 0.2 s until then, for 2 s. */
        snprintf(cmd, sizeof(cmd), "ping -n -c 1 -i 0.2 -w 2 %s", ip);
        return pbt_exec(nt_c, lab, node, cmd).exit_code == 0;
}

bool
nt_unreachable(const char *lab, const char *node, const char *ip)
{
        char cmd[160];

        snprintf(cmd, sizeof(cmd), "ping -n -c 1 -W 0.5 %s", ip);
        return pbt_exec(nt_c, lab, node, cmd).exit_code != 0;
}

const char *
nt_sh(const char *lab, const char *node, const char *cmd)
{
        static struct pbt_exec x;

        x = pbt_exec(nt_c, lab, node, cmd);
        ck_assert_msg(x.exit_code == 0 && x.signal == 0, "%s in %s: exit %d: %s", cmd, node,
                      x.exit_code, x.err);
        return x.out;
}

/* --- build_nat_case ------------------------------------------------------ */

const char *const nt_wiring_name[3] = { "direct", "public-isp", "cgnat-isp" };

void
nt_build_nat_case(struct nt_case *k, const char *lab, const char *nat, enum nt_wiring w)
{
        char extra[512];
        json_t *r;
        bool none;

        memset(k, 0, sizeof(*k));
        snprintf(k->lab, sizeof(k->lab), "%s", lab);
        k->wiring = w;
        nt_lab(lab);
        nt_router(lab, "dc", NULL);
        if (w != NT_DIRECT)
                nt_router(lab, "isp", w == NT_CGNAT_ISP ? ",\"nat\":\"cgnat\"" : NULL);
        snprintf(extra, sizeof(extra), ",%s%s", nat, w != NT_DIRECT ? ",\"upstream\":\"isp\"" : "");
        nt_router(lab, "nat", extra);
        nt_device(lab, "dev", "nat");

        k->dc = nt_wan(lab, "dc");
        if (w != NT_DIRECT)
                k->isp = nt_wan(lab, "isp");
        k->nat = nt_wan(lab, "nat");
        k->dev = nt_dev(lab, "dev");
        r = nt_call("router.get", "{\"lab\":\"%s\",\"name\":\"nat\"}", lab);
        none = strcmp(pbt_str(r, "nat"), "none") == 0;
        json_decref(r);
        snprintf(k->expect, sizeof(k->expect), "%s",
                 w == NT_CGNAT_ISP ? k->isp.ip
                 : none            ? k->dev.ip
                                   : k->nat.ip);

        snprintf(k->r_dc, sizeof(k->r_dc), "%s:3478", k->dc.ip);
        snprintf(k->r_ix, sizeof(k->r_ix), "198.18.0.1:3479");
        nt_reflector(lab, "dc", k->r_dc, "udp");
        nt_reflector(lab, "dc", k->r_dc, "tcp");
        nt_reflector(lab, "ix", k->r_ix, "udp");
        nt_reflector(lab, "ix", k->r_ix, "tcp");
}

/* --- events -------------------------------------------------------------- */

static void
on_event(struct pb_client *c, const char *method, const char *params, void *userdata)
{
        json_t *ev = json_loads(params, 0, NULL);

        (void)c;
        (void)userdata;
        if (ev && strcmp(method, "event") == 0 && events)
                json_array_append(events, ev);
        json_decref(ev);
}

void
nt_events_start(const char *lab)
{
        pb_client_set_event_handler(nt_c, on_event, NULL);
        json_decref(nt_call("events.subscribe", "{\"lab\":\"%s\"}", lab));
}

static bool
field_is(json_t *obj, const char *key, const char *value)
{
        const char *s = json_string_value(json_object_get(obj, key));

        return s && strcmp(s, value) == 0;
}

json_t *
nt_event_match(const char *kind, const char *key, const char *value, const char *key2,
               const char *value2)
{
        long long deadline = pbt_now_ms() + 3000;

        for (;;) {
                json_t *ev;
                size_t i;

                json_array_foreach (events, i, ev)
                        if (field_is(ev, "kind", kind) && (!key || field_is(ev, key, value)) &&
                            (!key2 || field_is(ev, key2, value2))) {
                                json_incref(ev);
                                json_array_remove(events, i);
                                return ev;
                        }
                ck_assert_msg(pbt_now_ms() < deadline, "no %s event with %s=%s %s=%s", kind,
                              key ? key : "-", key ? value : "-", key2 ? key2 : "-",
                              key2 ? value2 : "-");
                ck_assert_int_ge(pb_client_wait(nt_c, 100), 0);
        }
}

json_t *
nt_event_wait(const char *kind, const char *router)
{
        return nt_event_match(kind, "router", router, NULL, NULL);
}

/* --- lab.state -------------------------------------------------------------- */

json_t *
nt_state_find(const char *lab, const char *array, const char *key, const char *value)
{
        json_t *st = nt_call("lab.state", "{\"lab\":\"%s\"}", lab), *o, *found = NULL;
        size_t i;

        json_array_foreach (json_object_get(st, array), i, o)
                if (!found && strcmp(json_string_value(json_object_get(o, key)) ?: "", value) == 0)
                        found = json_incref(o);
        json_decref(st);
        return found;
}

/* --- failures ------------------------------------------------------------ */

void
nt_fail_add(char *buf, size_t n, const char *fmt, ...)
{
        size_t len = strlen(buf);
        va_list ap;

        if (len + 2 >= n)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + len, n - len, fmt, ap);
        va_end(ap);
        len = strlen(buf);
        snprintf(buf + len, n - len, "\n");
}

/* --- round-trip times ------------------------------------------------------ */

bool
nt_probe_rtt(const char *lab, const char *node, const char *target, int timeout_ms, int attempts,
             double *ms, struct pb_error *err)
{
        json_t *params =
                json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "lab", lab, "node", node, "target",
                          target, "proto", "udp", "timeout_ms", timeout_ms, "attempts", attempts);
        char *text = json_dumps(params, JSON_COMPACT), *res = NULL;
        json_t *r, *rtt;
        int rc;

        ck_assert_ptr_nonnull(text);
        memset(err, 0, sizeof(*err));
        rc = pb_call(nt_c, "node.probe", text, 60000, &res, err);
        free(text);
        json_decref(params);
        ck_assert_msg(rc == 0 || rc == -EREMOTEIO, "node.probe: transport error %d", rc);
        if (rc < 0)
                return false;
        r = json_loads(res, 0, NULL);
        free(res);
        ck_assert_ptr_nonnull(r);
        rtt = json_object_get(r, "rtt_ms");
        ck_assert_msg(json_is_number(rtt), "node.probe: no rtt_ms");
        *ms = json_number_value(rtt);
        json_decref(r);
        return true;
}

static int
cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

double
nt_rtt_median(const char *what, const char *lab, const char *node, const char *target, int attempts,
              char *samples, size_t n)
{
        double v[NT_RTT_SAMPLES], ms;
        struct pb_error e;
        size_t len = 0;

        ck_assert_msg(nt_probe_rtt(lab, node, target, 2000, 3, &ms, &e),
                      "%s: warm-up probe %s -> %s: %s: %s", what, node, target, e.name, e.message);
        samples[0] = '\0';
        for (int i = 0; i < NT_RTT_SAMPLES; i++) {
                ck_assert_msg(nt_probe_rtt(lab, node, target, attempts > 1 ? 1000 : 2000, attempts,
                                           &v[i], &e),
                              "%s: probe %s -> %s: %s: %s", what, node, target, e.name, e.message);
                len += (size_t)snprintf(samples + len, len < n ? n - len : 0, "%s%.1f",
                                        i ? " " : "", v[i]);
        }
        qsort(v, NT_RTT_SAMPLES, sizeof(v[0]), cmp_double);
        return v[NT_RTT_SAMPLES / 2];
}

double
nt_expect_rtt_in(const char *what, const char *lab, const char *node, const char *target, double lo,
                 double hi, int attempts)
{
        char samples[160];
        double m = nt_rtt_median(what, lab, node, target, attempts, samples, sizeof(samples));

        fprintf(stderr, "%s: median RTT %.1f ms (want %.0f..%.0f; samples %s)\n", what, m, lo, hi,
                samples);
        ck_assert_msg(m >= lo && m <= hi,
                      "%s: median RTT %s -> %s is %.1f ms (samples %s), want %.0f..%.0f ms", what,
                      node, target, m, samples, lo, hi);
        return m;
}

/* --- processes ----------------------------------------------------------- */

long long
nt_spawn(const char *lab, const char *node, const char *const *argv)
{
        json_t *a = json_array(), *params, *r;
        long long id;
        char *text;

        for (size_t i = 0; argv[i]; i++)
                json_array_append_new(a, json_string(argv[i]));
        params = json_pack("{s:s, s:s, s:o}", "lab", lab, "node", node, "argv", a);
        text = json_dumps(params, JSON_COMPACT);
        r = pbt_call(nt_c, "node.spawn", text);
        id = json_integer_value(json_object_get(r, "proc"));
        ck_assert_int_gt(id, 0);
        json_decref(r);
        json_decref(params);
        free(text);
        return id;
}

const char *
nt_await_output(long long proc, const char *needle, int timeout_ms)
{
        static char out[8192];
        long long deadline = pbt_now_ms() + timeout_ms;

        for (;;) {
                json_t *r = nt_call("proc.output", "{\"proc\":%lld}", proc);
                bool eof = json_is_true(json_object_get(r, "eof"));

                snprintf(out, sizeof(out), "%s", pbt_str(r, "data"));
                json_decref(r);
                if (strstr(out, needle))
                        return out;
                if (eof || pbt_now_ms() > deadline)
                        return NULL;
                ck_assert_int_ge(pb_client_wait(nt_c, 20), 0);
        }
}

int
nt_proc_wait(long long proc, int timeout_ms)
{
        json_t *r = nt_call("proc.wait", "{\"proc\":%lld,\"timeout_ms\":%d}", proc, timeout_ms);
        json_t *code = json_object_get(r, "exit_code");
        int rc = json_is_integer(code) ? (int)json_integer_value(code) : -1;

        json_decref(r);
        return rc;
}

void
nt_proc_write(long long proc, const char *text)
{
        json_t *params = json_pack("{s:I, s:s}", "proc", (json_int_t)proc, "data", text);
        char *p = json_dumps(params, JSON_COMPACT);

        json_decref(pbt_call(nt_c, "proc.write", p));
        json_decref(params);
        free(p);
}
