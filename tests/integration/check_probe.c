/* SPDX-License-Identifier: MIT */
/*
 * Suite "probe": the built-in reflectors and probes (SPEC §7; the reference
 * suite's helpers B.1-B.5), on labs built through the API.  Every lab is a
 * session lab, so a failed test leaves nothing behind when its client goes.
 *
 * Also the reference smoke tests (C.1) that need no NAT.  Pending the NAT
 * work: ping_gateway, ping_router_to_isp, ping_through_nat_to_relay and
 * ping_same_lan (their topologies use Home NAT routers; udp_roundtrip and
 * tcp_roundtrip below use a router without NAT in place of home1).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

#define PROBES_MAX 256 /* In flight per lab (PBD_PROBES_MAX). */

static struct pbt_daemon d;

static void
setup(void)
{
        pbt_daemon_start(&d, NULL);
}

static void
teardown(void)
{
        if (d.pid > 0)
                pbt_daemon_stop(&d);
}

/* --- helpers ------------------------------------------------------------- */

/* JSON params built by printf (static storage, valid until the next call). */
static const char *params_f(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
params_f(const char *fmt, ...)
{
        static char params[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(params, sizeof(params), fmt, ap);
        va_end(ap);
        return params;
}

#define callf(c, method, ...)      pbt_call(c, method, params_f(__VA_ARGS__))
#define callf_fail(c, method, ...) pbt_call_fail(c, method, params_f(__VA_ARGS__))

/* A string member (asserted present), copied so that 'obj' may be released. */
static const char *
str(json_t *obj, const char *key, char *buf, size_t n)
{
        const char *v = json_string_value(json_object_get(obj, key));

        ck_assert_msg(v, "no string '%s' in the result", key);
        snprintf(buf, n, "%s", v);
        return buf;
}

/* Splits "ip:port" / "[ip]:port" into its host and port. */
static unsigned
split_endpoint(const char *ep, char *host, size_t n)
{
        const char *colon = strrchr(ep, ':');

        ck_assert_ptr_nonnull(colon);
        if (ep[0] == '[')
                snprintf(host, n, "%.*s", (int)(colon - ep - 2), ep + 1);
        else
                snprintf(host, n, "%.*s", (int)(colon - ep), ep);
        return (unsigned)strtoul(colon + 1, NULL, 10);
}

struct addrs {
        char ip[64], ip6[64];
};

/* The addresses of a router's uplink ("router.get") or of a device ("device.get"); "" if none. */
static struct addrs
addrs_of(struct pb_client *c, const char *lab, const char *method, const char *name)
{
        json_t *r = callf(c, method, "{\"lab\":\"%s\",\"name\":\"%s\"}", lab, name);
        json_t *o = strcmp(method, "router.get") == 0 ? json_object_get(r, "uplink") : r;
        const char *ip = json_string_value(json_object_get(o, "ip"));
        const char *ip6 = json_string_value(json_object_get(o, "ip6"));
        struct addrs a;

        snprintf(a.ip, sizeof(a.ip), "%s", ip ? ip : "");
        snprintf(a.ip6, sizeof(a.ip6), "%s", ip6 ? ip6 : "");
        json_decref(r);
        return a;
}

#define router_uplink(c, lab, name) addrs_of(c, lab, "router.get", name)
#define device_addrs(c, lab, name)  addrs_of(c, lab, "device.get", name)

static void
add_router(struct pb_client *c, const char *lab, const char *name, const char *extra)
{
        json_decref(callf(c, "router.add", "{\"lab\":\"%s\",\"name\":\"%s\"%s}", lab, name,
                          extra ? extra : ""));
}

static void
add_device(struct pb_client *c, const char *lab, const char *name, const char *router)
{
        json_decref(callf(c, "device.add",
                          "{\"lab\":\"%s\",\"name\":\"%s\",\"ifaces\":[{\"name\":\"eth0\","
                          "\"router\":\"%s\"}]}",
                          lab, name, router));
}

/* A new client and its session lab 'lab'. */
static struct pb_client *
new_lab(const char *lab)
{
        struct pb_client *c = pbt_connect(&d);

        json_decref(callf(c, "lab.create", "{\"name\":\"%s\"}", lab));
        return c;
}

/* Lab 'lab': dual-stack public routers dc1 and dc2 on the IX, dev1 on dc1, dev2 on dc2. */
static struct pb_client *
two_dcs(const char *lab)
{
        struct pb_client *c = new_lab(lab);

        add_router(c, lab, "dc1", ",\"ip_support\":\"dual-stack\"");
        add_router(c, lab, "dc2", ",\"ip_support\":\"dual-stack\"");
        add_device(c, lab, "dev1", "dc1");
        add_device(c, lab, "dev2", "dc2");
        return c;
}

/* Starts a reflector; returns its id and the address it bound in 'bound'. */
static int
reflector(struct pb_client *c, const char *lab, const char *node, const char *bind,
          const char *proto, char *bound, size_t n)
{
        json_t *r = callf(c, "node.reflector",
                          "{\"lab\":\"%s\",\"node\":\"%s\",\"bind\":\"%s\",\"proto\":\"%s\"}", lab,
                          node, bind, proto);
        int id = (int)json_integer_value(json_object_get(r, "id"));
        char buf[80];

        ck_assert_int_gt(id, 0);
        ck_assert_str_eq(str(r, "proto", buf, sizeof(buf)), proto);
        if (bound)
                str(r, "bind", bound, n);
        json_decref(r);
        return id;
}

struct probe_result {
        char observed[80], local[80], host[64];
        unsigned port;
        double rtt_ms;
        int attempts_used;
};

/* node.probe with optional 'bind' (NULL: none) and 'extra' params; asserts success. */
static struct probe_result
probe(struct pb_client *c, const char *lab, const char *node, const char *target, const char *proto,
      const char *bind, const char *extra)
{
        char bind_param[96] = "";
        struct probe_result p;
        json_t *r;

        if (bind)
                snprintf(bind_param, sizeof(bind_param), ",\"bind\":\"%s\"", bind);
        r = callf(c, "node.probe",
                  "{\"lab\":\"%s\",\"node\":\"%s\",\"target\":\"%s\",\"proto\":\"%s\"%s%s}", lab,
                  node, target, proto, bind_param, extra ? extra : "");
        str(r, "observed", p.observed, sizeof(p.observed));
        str(r, "local", p.local, sizeof(p.local));
        ck_assert(json_is_real(json_object_get(r, "rtt_ms")));
        p.rtt_ms = json_real_value(json_object_get(r, "rtt_ms"));
        p.attempts_used = (int)json_integer_value(json_object_get(r, "attempts_used"));
        p.port = split_endpoint(p.observed, p.host, sizeof(p.host));
        json_decref(r);
        return p;
}

/* Probes and checks what a reflector without NAT in between must see. */
static void
probe_sees(struct pb_client *c, const char *lab, const char *node, const char *target,
           const char *proto, const char *want_host)
{
        struct probe_result p = probe(c, lab, node, target, proto, NULL, NULL);

        ck_assert_msg(strcmp(p.host, want_host) == 0, "%s probe %s from %s observed %s, want %s",
                      proto, target, node, p.observed, want_host);
        /* No NAT: the reflector saw exactly the probe's own address. */
        ck_assert_str_eq(p.local, p.observed);
        /* Generous: this checks that a round trip happened, not how fast (sanitizer
         * builds on a loaded CI machine are slow); no_region_overhead measures. */
        ck_assert_msg(p.rtt_ms > 0 && p.rtt_ms < 500, "rtt %f ms", p.rtt_ms);
}

/* --- reflectors and probes ---------------------------------------------- */

START_TEST(udp_and_tcp_over_v4_and_v6)
{
        struct pb_client *c = two_dcs("p1");
        struct addrs dc1 = router_uplink(c, "p1", "dc1"), dev1 = device_addrs(c, "p1", "dev1");
        char t4[96], t6[96], tix[96];
        static const char *const protos[] = { "udp", "tcp" };

        snprintf(t4, sizeof(t4), "%s:3478", dc1.ip);
        snprintf(t6, sizeof(t6), "[%s]:3478", dc1.ip6);
        snprintf(tix, sizeof(tix), "198.18.0.1:3479");
        ck_assert(dev1.ip[0] && dev1.ip6[0]);
        for (int i = 0; i < 2; i++) {
                /* UDP and TCP share each address. */
                reflector(c, "p1", "dc1", t4, protos[i], NULL, 0);
                reflector(c, "p1", "dc1", t6, protos[i], NULL, 0);
                reflector(c, "p1", "ix", tix, protos[i], NULL, 0);
        }
        for (int i = 0; i < 2; i++) {
                probe_sees(c, "p1", "dev1", t4, protos[i], dev1.ip);
                probe_sees(c, "p1", "dev1", t6, protos[i], dev1.ip6);
                probe_sees(c, "p1", "dev1", tix, protos[i], dev1.ip);
        }
        pb_client_free(c);
}
END_TEST

START_TEST(fixed_local_port)
{
        struct pb_client *c = two_dcs("p2");
        struct addrs dc1 = router_uplink(c, "p2", "dc1"), dev1 = device_addrs(c, "p2", "dev1");
        char t4[96], t6[96], want[96], bind[96];
        struct probe_result p;

        snprintf(t4, sizeof(t4), "%s:3478", dc1.ip);
        snprintf(t6, sizeof(t6), "[%s]:3478", dc1.ip6);
        reflector(c, "p2", "dc1", t4, "udp", NULL, 0);
        reflector(c, "p2", "dc1", t4, "tcp", NULL, 0);
        reflector(c, "p2", "dc1", t6, "udp", NULL, 0);
        reflector(c, "p2", "dc1", t6, "tcp", NULL, 0);

        /* The same fixed port twice in a row: the socket is released in between. */
        for (int i = 0; i < 2; i++) {
                p = probe(c, "p2", "dev1", t4, "udp", "0.0.0.0:40123", NULL);
                snprintf(want, sizeof(want), "%s:40123", dev1.ip);
                ck_assert_str_eq(p.observed, want);
                ck_assert_str_eq(p.local, want);
        }
        /* TCP honours the bind (the reference ignores it). */
        for (int i = 0; i < 2; i++) {
                p = probe(c, "p2", "dev1", t4, "tcp", "0.0.0.0:40123", NULL);
                ck_assert_str_eq(p.observed, want);
                ck_assert_str_eq(p.local, want);
        }
        /* A specific local address. */
        snprintf(bind, sizeof(bind), "%s:40125", dev1.ip);
        p = probe(c, "p2", "dev1", t4, "udp", bind, NULL);
        ck_assert_str_eq(p.observed, bind);
        /* IPv6. */
        snprintf(want, sizeof(want), "[%s]:40124", dev1.ip6);
        p = probe(c, "p2", "dev1", t6, "udp", "[::]:40124", NULL);
        ck_assert_str_eq(p.observed, want);
        ck_assert_str_eq(p.local, want);
        p = probe(c, "p2", "dev1", t6, "tcp", "[::]:40124", NULL);
        ck_assert_str_eq(p.observed, want);
        /* Without a bind, an ephemeral port. */
        p = probe(c, "p2", "dev1", t4, "udp", NULL, NULL);
        ck_assert_uint_ne(p.port, 0);
        pb_client_free(c);
}
END_TEST

START_TEST(port_zero_binds_a_free_port)
{
        struct pb_client *c = two_dcs("p3");
        struct addrs dc1 = router_uplink(c, "p3", "dc1"), dev1 = device_addrs(c, "p3", "dev1");
        char bind[96], bound[96], host[64];
        static const char *const protos[] = { "udp", "tcp" };

        snprintf(bind, sizeof(bind), "%s:0", dc1.ip);
        for (int i = 0; i < 2; i++) {
                reflector(c, "p3", "dc1", bind, protos[i], bound, sizeof(bound));
                ck_assert_uint_gt(split_endpoint(bound, host, sizeof(host)), 0);
                ck_assert_str_eq(host, dc1.ip);
                probe_sees(c, "p3", "dev1", bound, protos[i], dev1.ip);
        }
        /* The wildcard address is reported as such. */
        reflector(c, "p3", "dc1", "[::]:0", "udp", bound, sizeof(bound));
        ck_assert_uint_gt(split_endpoint(bound, host, sizeof(host)), 0);
        ck_assert_str_eq(host, "::");
        pb_client_free(c);
}
END_TEST

START_TEST(closed_port_times_out_or_is_refused)
{
        struct pb_client *c = two_dcs("p4");
        struct addrs dc1 = router_uplink(c, "p4", "dc1");
        long long t0, elapsed;
        struct pb_error e;

        t0 = pbt_now_ms();
        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p4\",\"node\":\"dev1\",\"target\":\"%s:9\",\"timeout_ms\":200}",
                       dc1.ip);
        elapsed = pbt_now_ms() - t0;
        ck_assert_int_eq(e.code, -32011);
        ck_assert_str_eq(e.name, "patchbay.Timeout");
        ck_assert_msg(strstr(e.message, dc1.ip) && strstr(e.message, "3 attempts"), "message: %s",
                      e.message);
        ck_assert_msg(elapsed >= 600 && elapsed < 3000, "timed out after %lld ms", elapsed);

        t0 = pbt_now_ms();
        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p4\",\"node\":\"dev1\",\"target\":\"[%s]:9\","
                       "\"timeout_ms\":100,\"attempts\":1}",
                       dc1.ip6);
        ck_assert_int_eq(e.code, -32011);
        ck_assert_int_ge(pbt_now_ms() - t0, 100);

        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p4\",\"node\":\"dev1\",\"target\":\"%s:9\",\"proto\":\"tcp\"}",
                       dc1.ip);
        ck_assert_int_eq(e.code, PB_ERROR_SYSTEM);
        ck_assert_int_eq(e.errnum, ECONNREFUSED);
        ck_assert_str_eq(e.name, "patchbay.System");
        {
                char op[96];

                snprintf(op, sizeof(op), "connect %s:9", dc1.ip);
                ck_assert_str_eq(e.op, op);
        }
        pb_client_free(c);
}
END_TEST

START_TEST(stopped_reflector_stops_answering)
{
        struct pb_client *c = two_dcs("p5");
        struct addrs dc1 = router_uplink(c, "p5", "dc1"), dev1 = device_addrs(c, "p5", "dev1");
        char target[96];
        struct pb_error e;
        int udp, tcp;

        snprintf(target, sizeof(target), "%s:5000", dc1.ip);
        udp = reflector(c, "p5", "dc1", target, "udp", NULL, 0);
        tcp = reflector(c, "p5", "dc1", target, "tcp", NULL, 0);
        probe_sees(c, "p5", "dev1", target, "udp", dev1.ip);
        probe_sees(c, "p5", "dev1", target, "tcp", dev1.ip);
        json_decref(callf(c, "node.reflector_stop", "{\"lab\":\"p5\",\"id\":%d}", udp));
        json_decref(callf(c, "node.reflector_stop", "{\"lab\":\"p5\",\"id\":%d}", tcp));

        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p5\",\"node\":\"dev1\",\"target\":\"%s\",\"timeout_ms\":100}",
                       target);
        ck_assert_str_eq(e.name, "patchbay.Timeout");
        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p5\",\"node\":\"dev1\",\"target\":\"%s\",\"proto\":\"tcp\"}",
                       target);
        ck_assert_int_eq(e.errnum, ECONNREFUSED);

        /* Stopped twice, or never started: a bad id. */
        e = callf_fail(c, "node.reflector_stop", "{\"lab\":\"p5\",\"id\":%d}", udp);
        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
        ck_assert_str_eq(e.parameter, "id");
        e = callf_fail(c, "node.reflector_stop", "{\"lab\":\"p5\",\"id\":4242}");
        ck_assert_str_eq(e.parameter, "id");
        e = callf_fail(c, "node.reflector_stop", "{\"lab\":\"nope\",\"id\":1}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchLab");

        /* The address is free again, also for TCP (SO_REUSEADDR). */
        reflector(c, "p5", "dc1", target, "udp", NULL, 0);
        reflector(c, "p5", "dc1", target, "tcp", NULL, 0);
        probe_sees(c, "p5", "dev1", target, "tcp", dev1.ip);
        pb_client_free(c);
}
END_TEST

START_TEST(device_to_device_across_routers)
{
        struct pb_client *c = two_dcs("p6");
        struct addrs dev1 = device_addrs(c, "p6", "dev1"), dev2 = device_addrs(c, "p6", "dev2");
        char t4[96], t6[96];

        snprintf(t4, sizeof(t4), "%s:7000", dev1.ip);
        snprintf(t6, sizeof(t6), "[%s]:7000", dev1.ip6);
        reflector(c, "p6", "dev1", t4, "udp", NULL, 0);
        reflector(c, "p6", "dev1", t4, "tcp", NULL, 0);
        reflector(c, "p6", "dev1", t6, "udp", NULL, 0);
        probe_sees(c, "p6", "dev2", t4, "udp", dev2.ip);
        probe_sees(c, "p6", "dev2", t4, "tcp", dev2.ip);
        probe_sees(c, "p6", "dev2", t6, "udp", dev2.ip6);
        pb_client_free(c);
}
END_TEST

START_TEST(bind_conflicts)
{
        struct pb_client *c = two_dcs("p7");
        struct addrs dc1 = router_uplink(c, "p7", "dc1"), dev1 = device_addrs(c, "p7", "dev1");
        char addr[96], op[128];
        struct pb_error e;

        snprintf(addr, sizeof(addr), "%s:3478", dc1.ip);
        snprintf(op, sizeof(op), "bind %s", addr);
        reflector(c, "p7", "dc1", addr, "udp", NULL, 0);
        e = callf_fail(c, "node.reflector", "{\"lab\":\"p7\",\"node\":\"dc1\",\"bind\":\"%s\"}",
                       addr);
        ck_assert_int_eq(e.code, PB_ERROR_SYSTEM);
        ck_assert_int_eq(e.errnum, EADDRINUSE);
        ck_assert_str_eq(e.op, op);
        /* The wildcard overlaps the specific address too. */
        e = callf_fail(c, "node.reflector",
                       "{\"lab\":\"p7\",\"node\":\"dc1\",\"bind\":\"0.0.0.0:3478\"}");
        ck_assert_int_eq(e.errnum, EADDRINUSE);
        reflector(c, "p7", "dc1", addr, "tcp", NULL, 0);
        e = callf_fail(c, "node.reflector",
                       "{\"lab\":\"p7\",\"node\":\"dc1\",\"bind\":\"%s\",\"proto\":\"tcp\"}", addr);
        ck_assert_int_eq(e.errnum, EADDRINUSE);
        /* v6 sockets are v6-only: [::]:p and 0.0.0.0:p live side by side. */
        reflector(c, "p7", "dc1", "0.0.0.0:4000", "udp", NULL, 0);
        reflector(c, "p7", "dc1", "[::]:4000", "udp", NULL, 0);
        /* Another node's address. */
        e = callf_fail(c, "node.reflector",
                       "{\"lab\":\"p7\",\"node\":\"dc1\",\"bind\":\"198.18.0.1:3478\"}");
        ck_assert_int_eq(e.errnum, EADDRNOTAVAIL);
        ck_assert_str_eq(e.op, "bind 198.18.0.1:3478");
        /* A probe cannot take a reflector's port. */
        reflector(c, "p7", "dev1", "0.0.0.0:5555", "udp", NULL, 0);
        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p7\",\"node\":\"dev1\",\"target\":\"%s\","
                       "\"bind\":\"%s:5555\"}",
                       addr, dev1.ip);
        ck_assert_int_eq(e.errnum, EADDRINUSE);
        pb_client_free(c);
}
END_TEST

static char events[4096];

static void
on_event(struct pb_client *c, const char *method, const char *params, void *userdata)
{
        json_t *ev = json_loads(params, 0, NULL);
        const char *kind = json_string_value(json_object_get(ev, "kind"));

        if (kind && strncmp(kind, "reflector_", 10) == 0) {
                const char *reason = json_string_value(json_object_get(ev, "reason"));

                snprintf(events + strlen(events), sizeof(events) - strlen(events),
                         "%s %s %s %s%s%s;", kind, json_string_value(json_object_get(ev, "node")),
                         json_string_value(json_object_get(ev, "bind")),
                         json_string_value(json_object_get(ev, "proto")), reason ? " " : "",
                         reason ? reason : "");
        }
        json_decref(ev);
}

START_TEST(state_and_events)
{
        struct pb_client *c = two_dcs("p8");
        char bound[96], want[512];
        json_t *st, *list;
        int id1, id2;

        pb_client_set_event_handler(c, on_event, NULL);
        json_decref(callf(c, "events.subscribe", "{\"lab\":\"p8\"}"));
        id1 = reflector(c, "p8", "ix", "198.18.0.1:3478", "udp", NULL, 0);
        id2 = reflector(c, "p8", "dev1", "[::]:0", "tcp", bound, sizeof(bound));

        st = callf(c, "lab.state", "{\"lab\":\"p8\"}");
        list = json_pack("[{s:i, s:s, s:s, s:s}, {s:i, s:s, s:s, s:s}]", "id", id1, "node", "ix",
                         "bind", "198.18.0.1:3478", "proto", "udp", "id", id2, "node", "dev1",
                         "bind", bound, "proto", "tcp");
        ck_assert(json_equal(json_object_get(st, "reflectors"), list));
        json_decref(list);
        json_decref(st);

        json_decref(callf(c, "node.reflector_stop", "{\"lab\":\"p8\",\"id\":%d}", id1));
        /* Removing a node stops its reflectors. */
        json_decref(callf(c, "device.remove", "{\"lab\":\"p8\",\"name\":\"dev1\"}"));
        st = callf(c, "lab.state", "{\"lab\":\"p8\"}");
        ck_assert_uint_eq(json_array_size(json_object_get(st, "reflectors")), 0);
        json_decref(st);

        snprintf(want, sizeof(want),
                 "reflector_started ix 198.18.0.1:3478 udp;reflector_started dev1 %s tcp;"
                 "reflector_stopped ix 198.18.0.1:3478 udp stopped;"
                 "reflector_stopped dev1 %s tcp node_removed;",
                 bound, bound);
        ck_assert_str_eq(events, want);
        pb_client_free(c);
}
END_TEST

struct answer {
        bool done;
        struct pb_error error;
        bool failed;
};

static void
on_reply(struct pb_client *c, const char *result, const struct pb_error *error, void *userdata)
{
        struct answer *a = userdata;

        a->done = true;
        a->failed = error != NULL;
        if (error)
                a->error = *error;
}

static void
wait_answers(struct pb_client *c, struct answer *a, int n, int timeout_ms)
{
        long long deadline = pbt_now_ms() + timeout_ms;

        for (;;) {
                int done = 0;

                for (int i = 0; i < n; i++)
                        done += a[i].done;
                if (done == n)
                        return;
                ck_assert_msg(pbt_now_ms() < deadline, "%d of %d probes unanswered", n - done, n);
                ck_assert_int_ge(pb_client_wait(c, 100), 0);
        }
}

START_TEST(probes_in_flight_are_answered)
{
        struct pb_client *c = two_dcs("p9");
        struct addrs dc1 = router_uplink(c, "p9", "dc1");
        static struct answer a[PROBES_MAX + 1];
        char params[512];
        struct pb_error e;
        long long t0;

        /* A node going away answers its probe at once. */
        snprintf(params, sizeof(params),
                 "{\"lab\":\"p9\",\"node\":\"dev2\",\"target\":\"%s:9\",\"timeout_ms\":20000}",
                 dc1.ip);
        ck_assert_int_eq(pb_call_async(c, "node.probe", params, on_reply, &a[0]), 0);
        t0 = pbt_now_ms();
        json_decref(callf(c, "device.remove", "{\"lab\":\"p9\",\"name\":\"dev2\"}"));
        wait_answers(c, a, 1, 5000);
        ck_assert(a[0].failed);
        ck_assert_int_eq(a[0].error.code, PB_ERROR_SYSTEM);
        ck_assert_int_eq(a[0].error.errnum, ECANCELED);
        ck_assert_msg(strstr(a[0].error.message, "node removed"), "%s", a[0].error.message);
        ck_assert_int_lt(pbt_now_ms() - t0, 5000);

        /* As many probes in flight as a lab allows, and one more. */
        memset(a, 0, sizeof(a));
        for (int i = 0; i < PROBES_MAX; i++) {
                snprintf(params, sizeof(params),
                         "{\"lab\":\"p9\",\"node\":\"dev1\",\"target\":\"%s:%d\","
                         "\"timeout_ms\":20000,\"attempts\":1}",
                         i % 2 ? "198.18.0.1" : dc1.ip, 9 + i);
                ck_assert_int_eq(pb_call_async(c, "node.probe", params, on_reply, &a[i]), 0);
        }
        e = callf_fail(c, "node.probe", "{\"lab\":\"p9\",\"node\":\"dev1\",\"target\":\"%s:1\"}",
                       dc1.ip);
        ck_assert_str_eq(e.name, "patchbay.Limit");
        /* Destroying the lab answers every one of them. */
        t0 = pbt_now_ms();
        json_decref(callf(c, "lab.destroy", "{\"lab\":\"p9\"}"));
        wait_answers(c, a, PROBES_MAX, 5000);
        for (int i = 0; i < PROBES_MAX; i++) {
                ck_assert(a[i].failed);
                ck_assert_int_eq(a[i].error.errnum, ECANCELED);
                ck_assert_msg(strstr(a[i].error.message, "lab destroyed"), "%s",
                              a[i].error.message);
        }
        ck_assert_int_lt(pbt_now_ms() - t0, 5000);
        pb_client_free(c);
}
END_TEST

START_TEST(v6_only_router)
{
        struct pb_client *c = new_lab("p10");
        struct addrs dev;
        struct pb_error e;

        add_router(c, "p10", "v6r", ",\"ip_support\":\"v6-only\"");
        add_device(c, "p10", "dev", "v6r");
        dev = device_addrs(c, "p10", "dev");
        ck_assert(dev.ip[0] == '\0' && dev.ip6[0]);
        reflector(c, "p10", "ix", "[2001:db8::1]:3478", "udp", NULL, 0);
        reflector(c, "p10", "ix", "[2001:db8::1]:3478", "tcp", NULL, 0);
        reflector(c, "p10", "ix", "198.18.0.1:3478", "udp", NULL, 0);
        reflector(c, "p10", "ix", "198.18.0.1:3478", "tcp", NULL, 0);
        probe_sees(c, "p10", "dev", "[2001:db8::1]:3478", "udp", dev.ip6);
        probe_sees(c, "p10", "dev", "[2001:db8::1]:3478", "tcp", dev.ip6);
        /* No IPv4 route: a clean, immediate failure naming the operation. */
        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p10\",\"node\":\"dev\",\"target\":\"198.18.0.1:3478\"}");
        ck_assert_int_eq(e.code, PB_ERROR_SYSTEM);
        ck_assert_int_eq(e.errnum, ENETUNREACH);
        ck_assert_str_eq(e.op, "sendto 198.18.0.1:3478");
        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"p10\",\"node\":\"dev\",\"target\":\"198.18.0.1:3478\","
                       "\"proto\":\"tcp\"}");
        ck_assert_int_eq(e.errnum, ENETUNREACH);
        ck_assert_str_eq(e.op, "connect 198.18.0.1:3478");
        pb_client_free(c);
}
END_TEST

START_TEST(bad_params)
{
        /* Params after "lab":"p11", with ' for ". */
        static const struct {
                const char *method, *params, *parameter;
                int code;
        } cases[] = {
                { "node.probe", "'node':'dev1','target':'198.18.0.1:0'", "target", -32602 },
                { "node.probe", "'node':'dev1','target':'198.18.0.1:65536'", "target", -32602 },
                { "node.probe", "'node':'dev1','target':'1.2.3.04:5'", "target", -32602 },
                { "node.probe", "'node':'dev1','target':'x:5'", "target", -32602 },
                { "node.probe", "'node':'dev1','target':'198.18.0.1:5','bind':'[::]:0'", "bind",
                  -32602 },
                { "node.probe", "'node':'dev1','target':'[::1]:5','bind':'0.0.0.0:0'", "bind",
                  -32602 },
                { "node.probe", "'node':'dev1','target':'198.18.0.1:5','attempts':0", "attempts",
                  -32602 },
                { "node.probe", "'node':'dev1','target':'198.18.0.1:5','timeout_ms':0",
                  "timeout_ms", -32602 },
                { "node.probe", "'node':'nope','target':'198.18.0.1:5'", "node", -32002 },
                { "node.reflector", "'node':'dc1','bind':'1.2.3.4:70000'", "bind", -32602 },
                { "node.reflector", "'node':'dc1','bind':'[fe80::1%1]:5'", "bind", -32602 },
                { "node.reflector", "'node':'dc1','bind':'0.0.0.0:1','proto':'sctp'", "proto",
                  -32602 },
                { "node.reflector", "'node':'dc1'", "bind", -32602 },
                { "node.reflector", "'node':'zz','bind':'0.0.0.0:1'", "node", -32002 },
                { "node.reflector_stop", "'id':0", "id", -32602 },
        };
        struct pb_client *c = two_dcs("p11");
        struct pb_error e;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *q = (char *)params_f("{\"lab\":\"p11\",%s}", cases[i].params);

                for (char *k = q; (k = strchr(k, '\'')); k++)
                        *k = '"';
                e = pbt_call_fail(c, cases[i].method, q);
                ck_assert_msg(e.code == cases[i].code &&
                                      strcmp(e.parameter, cases[i].parameter) == 0,
                              "%s %s: got %d [%s] '%s'", cases[i].method, q, e.code, e.parameter,
                              e.message);
        }
        e = callf_fail(c, "node.probe",
                       "{\"lab\":\"nope\",\"node\":\"dev1\",\"target\":\"1.2.3.4:5\"}");
        ck_assert_int_eq(e.code, -32001);
        ck_assert_str_eq(e.parameter, "lab");
        pb_client_free(c);
}
END_TEST

START_TEST(reflector_limit)
{
        struct pb_client *c = new_lab("p12");
        struct pb_error e;
        json_t *st;

        for (int i = 0; i < 256; i++)
                reflector(c, "p12", "ix", "198.18.0.1:0", i % 2 ? "tcp" : "udp", NULL, 0);
        e = callf_fail(c, "node.reflector",
                       "{\"lab\":\"p12\",\"node\":\"ix\",\"bind\":\"198.18.0.1:0\"}");
        ck_assert_str_eq(e.name, "patchbay.Limit");
        st = callf(c, "lab.state", "{\"lab\":\"p12\"}");
        ck_assert_uint_eq(json_array_size(json_object_get(st, "reflectors")), 256);
        json_decref(st);
        /* Another lab has its own allowance. */
        json_decref(callf(c, "lab.create", "{\"name\":\"p12b\"}"));
        reflector(c, "p12b", "ix", "198.18.0.1:0", "udp", NULL, 0);
        pb_client_free(c);
}
END_TEST

/* --- the reference smoke tests (smoke.rs) without NAT -------------------- */

/* smoke.rs's isp1, dc1 and home1 (upstream isp1) with dev1, but no NAT on home1. */
static struct pb_client *
isp_dc_home(const char *lab)
{
        struct pb_client *c = new_lab(lab);

        add_router(c, lab, "isp1", NULL);
        add_router(c, lab, "dc1", NULL);
        add_router(c, lab, "home1", ",\"upstream\":\"isp1\"");
        add_device(c, lab, "dev1", "home1");
        return c;
}

START_TEST(smoke_udp_roundtrip)
{
        struct pb_client *c = isp_dc_home("s1");
        struct addrs dc1;
        char target[96];

        dc1 = router_uplink(c, "s1", "dc1");
        snprintf(target, sizeof(target), "%s:3478", dc1.ip);
        reflector(c, "s1", "dc1", target, "udp", NULL, 0);
        /* udp_roundtrip: 2 s x 3; a parsed answer is all it asks for. */
        probe(c, "s1", "dev1", target, "udp", NULL, ",\"timeout_ms\":2000,\"attempts\":3");
        pb_client_free(c);
}
END_TEST

START_TEST(smoke_tcp_roundtrip)
{
        struct pb_client *c = isp_dc_home("s2");
        struct addrs dc1, dev1;
        struct probe_result p;
        char target[96];

        dc1 = router_uplink(c, "s2", "dc1");
        dev1 = device_addrs(c, "s2", "dev1");
        snprintf(target, sizeof(target), "%s:9000", dc1.ip);
        /* The TCP reflector stands in for the echo server (500 ms timeouts). */
        reflector(c, "s2", "dc1", target, "tcp", NULL, 0);
        p = probe(c, "s2", "dev1", target, "tcp", NULL, ",\"timeout_ms\":500,\"attempts\":1");
        ck_assert_str_eq(p.host, dev1.ip);
        pb_client_free(c);
}
END_TEST

START_TEST(smoke_dual_stack_roundtrip)
{
        struct pb_client *c = new_lab("s3");
        struct addrs dc, dev;
        char t4[96], t6[96];
        struct probe_result p;

        add_router(c, "s3", "dc", ",\"ip_support\":\"dual-stack\"");
        add_device(c, "s3", "dev1", "dc");
        dc = router_uplink(c, "s3", "dc");
        dev = device_addrs(c, "s3", "dev1");
        ck_assert(dev.ip[0] && dev.ip6[0]);
        snprintf(t4, sizeof(t4), "%s:3480", dc.ip);
        snprintf(t6, sizeof(t6), "[%s]:3481", dc.ip6);
        reflector(c, "s3", "dc", t4, "udp", NULL, 0);
        reflector(c, "s3", "dc", t6, "udp", NULL, 0);
        p = probe(c, "s3", "dev1", t4, "udp", NULL, ",\"timeout_ms\":2000");
        ck_assert_str_eq(p.host, dev.ip);
        p = probe(c, "s3", "dev1", t6, "udp", NULL, ",\"timeout_ms\":2000");
        ck_assert(p.observed[0] == '[' && strchr(p.host, ':'));
        ck_assert_str_eq(p.host, dev.ip6);
        pb_client_free(c);
}
END_TEST

START_TEST(smoke_v6_only_roundtrip)
{
        struct pb_client *c = new_lab("s4");
        struct addrs dc, dev;
        char target[96];
        struct probe_result p;

        add_router(c, "s4", "dc", ",\"ip_support\":\"v6-only\"");
        add_device(c, "s4", "dev1", "dc");
        dc = router_uplink(c, "s4", "dc");
        dev = device_addrs(c, "s4", "dev1");
        ck_assert(dev.ip6[0] && strcmp(dev.ip6, "::") != 0);
        ck_assert_str_eq(dev.ip, "");
        ck_assert_str_eq(dc.ip, "");
        snprintf(target, sizeof(target), "[%s]:3490", dc.ip6);
        reflector(c, "s4", "dc", target, "udp", NULL, 0);
        p = probe(c, "s4", "dev1", target, "udp", NULL, ",\"timeout_ms\":2000");
        ck_assert(p.observed[0] == '[');
        ck_assert_str_eq(p.host, dev.ip6);
        pb_client_free(c);
}
END_TEST

START_TEST(smoke_no_region_overhead)
{
        struct pb_client *c = new_lab("s5");
        struct addrs dc2;
        char target[96];
        struct probe_result p;

        add_router(c, "s5", "dc1", NULL);
        add_router(c, "s5", "dc2", NULL);
        add_device(c, "s5", "dev", "dc1");
        dc2 = router_uplink(c, "s5", "dc2");
        snprintf(target, sizeof(target), "%s:9103", dc2.ip);
        reflector(c, "s5", "dc2", target, "udp", NULL, 0);
        /* udp_rtt_sync: one datagram, 2 s, no retry; the reference's bound is 50 ms.
         * The best of three, so that one scheduling hiccup on a busy machine does
         * not fail it. */
        {
                double best = 1e9;

                for (int i = 0; i < 3; i++) {
                        p = probe(c, "s5", "dev", target, "udp", NULL,
                                  ",\"timeout_ms\":2000,\"attempts\":1");
                        best = p.rtt_ms < best ? p.rtt_ms : best;
                }
                ck_assert_msg(best > 0 && best < 50, "rtt %f ms", best);
        }
        pb_client_free(c);
}
END_TEST

START_TEST(smoke_isp_reaches_ix_and_dc)
{
        struct pb_client *c = new_lab("s6");
        struct addrs isp1, dc1;
        char target[96];

        add_router(c, "s6", "isp1", NULL);
        add_router(c, "s6", "dc1", NULL);
        isp1 = router_uplink(c, "s6", "isp1");
        dc1 = router_uplink(c, "s6", "dc1");
        /* ping_isp_to_ix_and_dc, with probes for the pings. */
        reflector(c, "s6", "ix", "198.18.0.1:7", "udp", NULL, 0);
        snprintf(target, sizeof(target), "%s:7", dc1.ip);
        reflector(c, "s6", "dc1", target, "udp", NULL, 0);
        probe_sees(c, "s6", "isp1", "198.18.0.1:7", "udp", isp1.ip);
        probe_sees(c, "s6", "isp1", target, "udp", isp1.ip);
        pb_client_free(c);
}
END_TEST

Suite *
make_probe_suite(void)
{
        Suite *s = suite_create("probe");
        TCase *tc = tcase_create("probe");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, udp_and_tcp_over_v4_and_v6);
        tcase_add_test(tc, fixed_local_port);
        tcase_add_test(tc, port_zero_binds_a_free_port);
        tcase_add_test(tc, closed_port_times_out_or_is_refused);
        tcase_add_test(tc, stopped_reflector_stops_answering);
        tcase_add_test(tc, device_to_device_across_routers);
        tcase_add_test(tc, bind_conflicts);
        tcase_add_test(tc, state_and_events);
        tcase_add_test(tc, probes_in_flight_are_answered);
        tcase_add_test(tc, v6_only_router);
        tcase_add_test(tc, bad_params);
        tcase_add_test(tc, reflector_limit);
        tcase_add_test(tc, smoke_udp_roundtrip);
        tcase_add_test(tc, smoke_tcp_roundtrip);
        tcase_add_test(tc, smoke_dual_stack_roundtrip);
        tcase_add_test(tc, smoke_v6_only_roundtrip);
        tcase_add_test(tc, smoke_no_region_overhead);
        tcase_add_test(tc, smoke_isp_reaches_ix_and_dc);
        suite_add_tcase(s, tc);
        return s;
}
