/* SPDX-License-Identifier: MIT */
/*
 * Suite "region": regions (SPEC §5) checked with real traffic, the
 * reference suite's region.rs (C.12), plus the region API and the shaper
 * backends (SPEC §6).
 *
 * RTTs are steady-state values: every path is warmed first (ARP/ND crosses
 * the shaped links too), then the median of several node.probe RTTs must lie
 * in [expected, expected + RTT_SLACK_MS], expected = 2 x the one-way
 * latencies on the path (+ device egress delays once).  Routing between
 * regions follows the lowest total latency over the links that are up (not
 * the reference's static routes), so three_region_triangle expects the
 * two-hop path where it is faster.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat-util.h"
#include "suites.h"
#include "topo.h"

#define RTT_SLACK_MS 10.0
/* A probe that must be dropped waits this long (longer than any RTT of the suite). */
#define DROP_WAIT_MS 800

/* --- helpers ------------------------------------------------------------- */

static void
region_add(const char *lab, const char *name)
{
        json_decref(nt_call("region.add", "{\"lab\":\"%s\",\"name\":\"%s\"}", lab, name));
}

/* region.link with a latency-only condition. */
static void
region_link(const char *lab, const char *a, const char *b, int latency_ms)
{
        json_decref(nt_call("region.link",
                            "{\"lab\":\"%s\",\"a\":\"%s\",\"b\":\"%s\",\"condition\":{"
                            "\"latency_ms\":%d}}",
                            lab, a, b, latency_ms));
}

static void
region_break(const char *lab, const char *a, const char *b, bool broken)
{
        json_decref(nt_call(broken ? "region.break" : "region.restore",
                            "{\"lab\":\"%s\",\"a\":\"%s\",\"b\":\"%s\"}", lab, a, b));
}

/* A router in 'region' ('extra': more JSON members with a leading comma, or NULL). */
static void
router_in(const char *lab, const char *name, const char *region, const char *extra)
{
        char more[256];

        snprintf(more, sizeof(more), ",\"region\":\"%s\"%s", region, extra ? extra : "");
        nt_router(lab, name, more);
}

/*
 * A UDP reflector on 'router''s uplink address (v6 if 'v6') at 'port';
 * returns the target text (static storage per slot: 4 slots).
 */
static const char *
wan_reflector(const char *lab, const char *router, bool v6, unsigned port)
{
        static char slots[4][96];
        static unsigned next;
        struct nt_addrs a = nt_wan(lab, router);
        char *t = slots[next++ % 4];

        ck_assert_msg((v6 ? a.ip6 : a.ip)[0], "%s has no %s uplink address", router,
                      v6 ? "IPv6" : "IPv4");
        snprintf(t, 96, v6 ? "[%s]:%u" : "%s:%u", v6 ? a.ip6 : a.ip, port);
        nt_reflector(lab, router, t, "udp");
        return t;
}

/* Asserts the steady RTT node -> target within [expected, expected + RTT_SLACK_MS]. */
static double
expect_rtt(const char *what, const char *lab, const char *node, const char *target, double expected)
{
        char label[160];

        snprintf(label, sizeof(label), "region: %s", what);
        return nt_expect_rtt_in(label, lab, node, target, expected, expected + RTT_SLACK_MS, 1);
}

/* The steady RTT node -> target (median), unchecked. */
static double
rtt_median(const char *what, const char *lab, const char *node, const char *target)
{
        char samples[160];

        return nt_rtt_median(what, lab, node, target, 1, samples, sizeof(samples));
}

/* Asserts that a probe node -> target gets no answer at all (a silent drop). */
static void
expect_dropped(const char *what, const char *lab, const char *node, const char *target)
{
        struct pb_error e;
        double ms = 0;
        bool ok = nt_probe_rtt(lab, node, target, DROP_WAIT_MS, 1, &ms, &e);

        ck_assert_msg(!ok, "%s: probe %s -> %s answered after %.1f ms, want a drop", what, node,
                      target, ms);
        ck_assert_msg(strcmp(e.name, "patchbay.Timeout") == 0,
                      "%s: probe %s -> %s: %s: %s, want no answer (patchbay.Timeout)", what, node,
                      target, e.name, e.message);
}

static void
expect_error(const struct pb_error *e, const char *what, const char *name)
{
        ck_assert_msg(strcmp(e->name, name) == 0, "%s: got %s (%d: %s), want %s", what, e->name,
                      e->code, e->message, name);
}

static void
expect_invalid_params(const struct pb_error *e, const char *what)
{
        ck_assert_msg(e->code == PB_ERROR_INVALID_PARAMS, "%s: got %s (%d: %s), want -32602", what,
                      e->name, e->code, e->message);
}

/* The region link a-b of lab.state (new reference), or NULL. */
static json_t *
state_link(const char *lab, const char *a, const char *b)
{
        json_t *st = nt_call("lab.state", "{\"lab\":\"%s\"}", lab), *l, *found = NULL;
        size_t i;

        json_array_foreach (json_object_get(st, "region_links"), i, l) {
                const char *la = json_string_value(json_object_get(l, "a"));
                const char *lb = json_string_value(json_object_get(l, "b"));

                if (la && lb &&
                    ((!strcmp(la, a) && !strcmp(lb, b)) || (!strcmp(la, b) && !strcmp(lb, a))))
                        found = json_incref(l);
        }
        json_decref(st);
        return found;
}

static bool
state_link_broken(const char *lab, const char *a, const char *b)
{
        json_t *l = state_link(lab, a, b);
        bool broken;

        ck_assert_msg(l, "lab.state has no region link %s-%s", a, b);
        ck_assert_msg(json_is_boolean(json_object_get(l, "broken")), "%s-%s: no 'broken'", a, b);
        broken = json_is_true(json_object_get(l, "broken"));
        json_decref(l);
        return broken;
}

/* A region of lab.state (new reference), or NULL. */
static json_t *
state_region(const char *lab, const char *name)
{
        return nt_state_find(lab, "regions", "name", name);
}

/* The names in a region's "links", sorted, comma-separated (static storage). */
static const char *
links_of(json_t *region)
{
        static char buf[256];
        const char *names[32];
        size_t i, n = 0, len = 0;
        json_t *v;

        buf[0] = '\0';
        json_array_foreach (json_object_get(region, "links"), i, v)
                if (n < 32)
                        names[n++] = json_string_value(v) ?: "?";
        for (size_t a = 0; a < n; a++)
                for (size_t b = a + 1; b < n; b++)
                        if (strcmp(names[a], names[b]) > 0) {
                                const char *t = names[a];

                                names[a] = names[b];
                                names[b] = t;
                        }
        for (i = 0; i < n; i++)
                len += (size_t)snprintf(buf + len, len < sizeof(buf) ? sizeof(buf) - len : 0,
                                        "%s%s", i ? "," : "", names[i]);
        return buf;
}

static const char *
state_links_of(const char *lab, const char *region)
{
        json_t *r = state_region(lab, region);
        const char *s;

        ck_assert_msg(r, "lab.state has no region %s", region);
        s = links_of(r);
        json_decref(r);
        return s;
}

/* --- C.12 region.rs ---------------------------------------------------------- */

/*
 * us-eu 50 ms one-way; a device in us reaches a router in eu at 100 ms RTT,
 * and the regions own the documented blocks.
 */
START_TEST(basic_latency)
{
        json_t *us, *eu, *r;
        const char *t;

        nt_lab("rg");
        us = nt_call("region.add", "{\"lab\":\"rg\",\"name\":\"us\"}");
        eu = nt_call("region.add", "{\"lab\":\"rg\",\"name\":\"eu\"}");
        ck_assert_str_eq(pbt_str(us, "router"), "region_us");
        ck_assert_str_eq(pbt_str(us, "cidr4"), "198.19.0.0/20");
        ck_assert_str_eq(pbt_str(us, "cidr6"), "2001:db8:2::/52");
        ck_assert_str_eq(pbt_str(eu, "router"), "region_eu");
        ck_assert_str_eq(pbt_str(eu, "cidr4"), "198.19.16.0/20");
        ck_assert_str_eq(pbt_str(eu, "cidr6"), "2001:db8:2:1000::/52");
        ck_assert_str_eq(links_of(us), "");
        json_decref(us);
        json_decref(eu);
        region_link("rg", "us", "eu", 50);
        ck_assert_str_eq(state_links_of("rg", "us"), "eu");
        ck_assert_str_eq(state_links_of("rg", "eu"), "us");

        router_in("rg", "dc-us", "us", NULL);
        router_in("rg", "dc-eu", "eu", NULL);
        nt_device("rg", "dev-us", "dc-us");

        /* NAT none: the backbone LAN's .10 and a /24 of the region's block. */
        r = nt_call("router.get", "{\"lab\":\"rg\",\"name\":\"dc-eu\"}");
        ck_assert_str_eq(pbt_str(r, "region"), "eu");
        ck_assert_str_eq(pbt_str(json_object_get(r, "uplink"), "ip"), "198.19.16.10");
        ck_assert_str_eq(pbt_str(json_object_get(r, "downstream"), "cidr"), "198.19.17.0/24");
        json_decref(r);
        ck_assert_str_eq(nt_dev("rg", "dev-us").ip, "198.19.1.2");

        t = wan_reflector("rg", "dc-eu", false, 9100);
        expect_rtt("basic us-eu 50 ms: dev-us -> dc-eu", "rg", "dev-us", t, 100);
        /* The reflector saw the device's own (public) address. */
        ck_assert_str_eq(nt_probe_ok("rg", "dev-us", t, "udp", NULL).host, "198.19.1.2");
}
END_TEST

/* us/eu/asia with 40/95/120 ms: every pair at twice its direct latency. */
START_TEST(default_regions)
{
        json_t *regs, *rg;
        const char *t;
        static const char *const want[][2] = { { "us", "asia,eu" },
                                               { "eu", "asia,us" },
                                               { "asia", "eu,us" } };
        size_t i;

        nt_lab("rg");
        regs = nt_call("region.add_defaults", "{\"lab\":\"rg\"}");
        ck_assert_int_eq(json_array_size(regs), 3);
        json_array_foreach (regs, i, rg) {
                ck_assert_str_eq(pbt_str(rg, "name"), want[i][0]);
                ck_assert_str_eq(links_of(rg), want[i][1]);
        }
        json_decref(regs);
        router_in("rg", "dc-us", "us", NULL);
        router_in("rg", "dc-eu", "eu", NULL);
        router_in("rg", "dc-asia", "asia", NULL);
        nt_device("rg", "dev-us", "dc-us");
        t = wan_reflector("rg", "dc-eu", false, 9101);
        expect_rtt("defaults us-eu 40 ms", "rg", "dev-us", t, 80);
        t = wan_reflector("rg", "dc-asia", false, 9102);
        expect_rtt("defaults us-asia 95 ms", "rg", "dev-us", t, 190);
        expect_rtt("defaults eu-asia 120 ms", "rg", "dc-eu", t, 240);
}
END_TEST

/*
 * Default regions; RTTs measured from the dc-eu router.  Breaking eu-asia
 * reroutes via us (40 + 95 = 135 ms one-way); breaking eu-us too leaves eu
 * with no link up: a partition, its traffic to the other regions dropped.
 * Restoring brings each path back.
 */
START_TEST(break_restore_partition)
{
        const char *t_asia, *t_us;
        json_t *ev;

        nt_lab("rg");
        json_decref(nt_call("region.add_defaults", "{\"lab\":\"rg\"}"));
        router_in("rg", "dc-us", "us", NULL);
        router_in("rg", "dc-eu", "eu", NULL);
        router_in("rg", "dc-asia", "asia", NULL);
        nt_events_start("rg");
        t_asia = wan_reflector("rg", "dc-asia", false, 9102);
        t_us = wan_reflector("rg", "dc-us", false, 9103);
        expect_rtt("eu-asia direct", "rg", "dc-eu", t_asia, 240);

        region_break("rg", "eu", "asia", true);
        ev = nt_event_match("region_broken", "a", "eu", "b", "asia");
        json_decref(ev);
        ck_assert(state_link_broken("rg", "eu", "asia"));
        ck_assert(!state_link_broken("rg", "eu", "us"));
        expect_rtt("eu-asia broken, via us", "rg", "dc-eu", t_asia, 270);
        expect_rtt("eu-us still direct", "rg", "dc-eu", t_us, 80);

        region_break("rg", "us", "eu", true);
        expect_dropped("eu partitioned from asia", "rg", "dc-eu", t_asia);
        expect_dropped("eu partitioned from us", "rg", "dc-eu", t_us);
        expect_rtt("us-asia unaffected", "rg", "dc-us", t_asia, 190);

        region_break("rg", "eu", "asia", false);
        ev = nt_event_match("region_restored", "a", "eu", "b", "asia");
        json_decref(ev);
        ck_assert(!state_link_broken("rg", "eu", "asia"));
        expect_rtt("eu-asia restored", "rg", "dc-eu", t_asia, 240);
        expect_rtt("eu-us via asia", "rg", "dc-eu", t_us, 430);
        region_break("rg", "eu", "us", false);
        expect_rtt("eu-us restored", "rg", "dc-eu", t_us, 80);
}
END_TEST

/* A device's own egress delay adds to the region link's, once. */
START_TEST(condition_stacks_with_region)
{
        const char *t_us, *t_eu;

        nt_lab("rg");
        region_add("rg", "eu");
        region_add("rg", "us");
        region_link("rg", "eu", "us", 40);
        router_in("rg", "dc-eu", "eu", NULL);
        router_in("rg", "dc-us", "us", NULL);
        json_decref(nt_call("device.add", "{\"lab\":\"rg\",\"name\":\"dev\",\"ifaces\":[{\"name\":"
                                          "\"eth0\",\"router\":\"dc-eu\",\"condition\":{"
                                          "\"latency_ms\":30}}]}"));
        t_us = wan_reflector("rg", "dc-us", false, 18700);
        t_eu = wan_reflector("rg", "dc-eu", false, 18701);
        expect_rtt("dev (30 ms) -> dc-us over eu-us 40 ms", "rg", "dev", t_us, 110);
        expect_rtt("dev (30 ms) -> dc-eu", "rg", "dev", t_eu, 30);
}
END_TEST

/* Dual-stack routers in linked regions: IPv4 and IPv6 both cross the link. */
START_TEST(dual_stack_latency)
{
        const char *t4, *t6;

        nt_lab("rg");
        region_add("rg", "eu");
        region_add("rg", "us");
        region_link("rg", "eu", "us", 65);
        router_in("rg", "dc-eu", "eu", ",\"ip_support\":\"dual-stack\"");
        router_in("rg", "dc-us", "us", ",\"ip_support\":\"dual-stack\"");
        router_in("rg", "v6-eu", "eu", ",\"ip_support\":\"v6-only\"");
        t4 = wan_reflector("rg", "dc-eu", false, 3510);
        t6 = wan_reflector("rg", "dc-eu", true, 3511);
        expect_rtt("us-eu 65 ms over IPv4", "rg", "dc-us", t4, 130);
        expect_rtt("us-eu 65 ms over IPv6", "rg", "dc-us", t6, 130);
        t6 = wan_reflector("rg", "v6-eu", true, 3495);
        expect_rtt("us-eu 65 ms to a v6-only router", "rg", "dc-us", t6, 130);
}
END_TEST

/*
 * Routers outside any region, and regions never linked, reach each other
 * through the IX with no added delay.
 */
START_TEST(regionless_and_unlinked)
{
        const char *t;

        nt_lab("rg");
        region_add("rg", "us");
        region_add("rg", "eu");
        nt_router("rg", "dc", NULL);
        router_in("rg", "dc-us", "us", NULL);
        router_in("rg", "dc-eu", "eu", NULL);
        t = wan_reflector("rg", "dc-us", false, 9104);
        ck_assert_double_lt(rtt_median("regionless", "rg", "dc", t), 5.0);
        ck_assert_double_lt(rtt_median("unlinked", "rg", "dc-eu", t), 5.0);
        t = wan_reflector("rg", "dc", false, 9105);
        ck_assert_double_lt(rtt_median("to regionless", "rg", "dc-us", t), 5.0);
}
END_TEST

/* A device behind a home NAT in eu reaches a router in us across the link. */
START_TEST(mixed_nat_region)
{
        const char *t;

        nt_lab("rg");
        region_add("rg", "us");
        region_add("rg", "eu");
        region_link("rg", "us", "eu", 50);
        router_in("rg", "dc-us", "us", NULL);
        router_in("rg", "home-eu", "eu", ",\"nat\":\"home\"");
        nt_device("rg", "dev", "home-eu");
        t = wan_reflector("rg", "dc-us", false, 9106);
        expect_rtt("home NAT in eu -> dc-us", "rg", "dev", t, 100);
        /* The reflector saw the home router's WAN address, in eu's block. */
        ck_assert_str_eq(nt_probe_ok("rg", "dev", t, "udp", NULL).host, nt_wan("rg", "home-eu").ip);
}
END_TEST

/*
 * a-b 30, b-c 40, a-c 100 ms: traffic a -> c takes the faster two-hop path
 * (70 ms one-way), not the direct link; breaking a-b moves it to the direct
 * link, and lowering a-c's latency with link.set_condition wins it back.
 */
START_TEST(three_region_triangle)
{
        const char *t_b, *t_c;

        nt_lab("rg");
        region_add("rg", "a");
        region_add("rg", "b");
        region_add("rg", "c");
        region_link("rg", "a", "b", 30);
        region_link("rg", "b", "c", 40);
        region_link("rg", "a", "c", 100);
        router_in("rg", "dc-a", "a", NULL);
        router_in("rg", "dc-b", "b", NULL);
        router_in("rg", "dc-c", "c", NULL);
        t_b = wan_reflector("rg", "dc-b", false, 20400);
        t_c = wan_reflector("rg", "dc-c", false, 20401);
        expect_rtt("a-b direct", "rg", "dc-a", t_b, 60);
        expect_rtt("a-c via b (lowest latency)", "rg", "dc-a", t_c, 140);

        region_break("rg", "a", "b", true);
        expect_rtt("a-c direct once a-b is broken", "rg", "dc-a", t_c, 200);
        expect_rtt("a-b via c", "rg", "dc-a", t_b, 280);
        region_break("rg", "a", "b", false);

        json_decref(nt_call("link.set_condition",
                            "{\"lab\":\"rg\",\"a\":\"region_a\",\"b\":\"region_c\",\"direction\":"
                            "\"both\",\"condition\":{\"latency_ms\":20}}"));
        expect_rtt("a-c direct at 20 ms", "rg", "dc-a", t_c, 40);
        expect_rtt("a-b still direct", "rg", "dc-a", t_b, 60);
}
END_TEST

/* Names, references, duplicates, limits and states the region API refuses. */
START_TEST(api_errors)
{
        struct pb_error e;
        json_t *ev;
        char name[16];

        nt_lab("rg");
        nt_events_start("rg");
        region_add("rg", "us");
        json_decref(nt_event_match("region_added", NULL, NULL, NULL, NULL));
        region_add("rg", "eu");

        e = nt_fail("router.add", "{\"lab\":\"rg\",\"name\":\"region_foo\"}");
        expect_invalid_params(&e, "router named region_foo");
        ck_assert_msg(strstr(e.message, "reserved"), "message '%s' lacks 'reserved'", e.message);
        e = nt_fail("device.add", "{\"lab\":\"rg\",\"name\":\"region_dev\",\"ifaces\":[]}");
        expect_invalid_params(&e, "device named region_dev");
        e = nt_fail("region.add", "{\"lab\":\"rg\",\"name\":\"us\"}");
        expect_error(&e, "region.add us twice", "patchbay.NameTaken");
        e = nt_fail("router.add", "{\"lab\":\"rg\",\"name\":\"r\",\"region\":\"mars\"}");
        expect_error(&e, "router in an unknown region", "patchbay.NoSuchRegion");
        e = nt_fail("region.link", "{\"lab\":\"rg\",\"a\":\"us\",\"b\":\"mars\",\"condition\":"
                                   "\"lan\"}");
        expect_error(&e, "link to an unknown region", "patchbay.NoSuchRegion");
        e = nt_fail("region.link", "{\"lab\":\"rg\",\"a\":\"us\",\"b\":\"us\",\"condition\":"
                                   "\"lan\"}");
        expect_error(&e, "region linked to itself", "patchbay.InvalidState");
        e = nt_fail("region.break", "{\"lab\":\"rg\",\"a\":\"us\",\"b\":\"eu\"}");
        expect_error(&e, "break of regions not linked", "patchbay.NoSuchRegion");
        e = nt_fail("region.link", "{\"lab\":\"rg\",\"a\":\"us\",\"b\":\"eu\",\"condition\":{"
                                   "\"latency_ms\":-5}}");
        expect_invalid_params(&e, "negative latency");

        region_link("rg", "us", "eu", 10);
        ev = nt_event_match("region_linked", NULL, NULL, NULL, NULL);
        json_decref(ev);
        e = nt_fail("region.link", "{\"lab\":\"rg\",\"a\":\"eu\",\"b\":\"us\",\"condition\":"
                                   "\"lan\"}");
        expect_error(&e, "link twice", "patchbay.InvalidState");
        e = nt_fail("region.restore", "{\"lab\":\"rg\",\"a\":\"us\",\"b\":\"eu\"}");
        expect_error(&e, "restore of a link not broken", "patchbay.InvalidState");
        region_break("rg", "us", "eu", true);
        e = nt_fail("region.break", "{\"lab\":\"rg\",\"a\":\"eu\",\"b\":\"us\"}");
        expect_error(&e, "break twice", "patchbay.InvalidState");

        router_in("rg", "dc-us", "us", NULL);
        e = nt_fail("region.remove", "{\"lab\":\"rg\",\"name\":\"us\"}");
        expect_error(&e, "remove of a region with routers", "patchbay.InUse");
        json_decref(nt_call("router.remove", "{\"lab\":\"rg\",\"name\":\"dc-us\"}"));
        json_decref(nt_call("region.remove", "{\"lab\":\"rg\",\"name\":\"us\"}"));
        json_decref(nt_event_match("region_removed", "name", "us", NULL, NULL));
        ck_assert_ptr_null(state_link("rg", "us", "eu"));
        ck_assert_str_eq(state_links_of("rg", "eu"), "");
        e = nt_fail("region.remove", "{\"lab\":\"rg\",\"name\":\"us\"}");
        expect_error(&e, "remove twice", "patchbay.NoSuchRegion");

        /* 16 regions per lab (eu plus 15). */
        for (int i = 0; i < 15; i++) {
                snprintf(name, sizeof(name), "r%d", i);
                region_add("rg", name);
        }
        e = nt_fail("region.add", "{\"lab\":\"rg\",\"name\":\"r15\"}");
        expect_error(&e, "17th region", "patchbay.Limit");
}
END_TEST

/* The shaper in daemon.info, and the error where netem is forced. */
static void
expect_shaper(const char *want)
{
        json_t *info = nt_call("daemon.info", "{}");

        ck_assert_str_eq(pbt_str(info, "shaper"), want);
        json_decref(info);
}

static bool
has_feature(const char *want)
{
        json_t *info = nt_call("daemon.info", "{}"), *f;
        bool found = false;
        size_t i;

        json_array_foreach (json_object_get(info, "features"), i, f)
                found |= !strcmp(json_string_value(f) ?: "", want);
        json_decref(info);
        return found;
}

/* The backend lab.state's links[] reports for the device's up direction ("" if no entry). */
static const char *
link_shaper(const char *lab, const char *dev)
{
        static char buf[32];
        json_t *l = nt_state_find(lab, "links", "a", dev);

        snprintf(buf, sizeof(buf), "%s",
                 l ? json_string_value(json_object_get(l, "shaper_a_to_b")) ?: "?" : "");
        json_decref(l);
        return buf;
}

static void
expect_unsupported_netem(const struct pb_error *e, const char *what)
{
        expect_error(e, what, "patchbay.Unsupported");
        ck_assert_msg(strstr(e->message, "netem"), "%s: message '%s' does not name netem", what,
                      e->message);
}

START_TEST(shaper_backends)
{
        static const char *const forced[] = { "--shaper=netem", NULL };
        struct pb_error e;
        char *before, *after;
        bool netem;

        expect_shaper(has_feature("netem") ? "netem" : "userspace");
        ck_assert(has_feature("userspace-shaper"));
        netem = has_feature("netem");

        /* The same daemon binary, forced to netem. */
        nt_c = pb_client_free(nt_c);
        pbt_daemon_stop(&nt_d);
        memset(&nt_d, 0, sizeof(nt_d));
        pbt_daemon_start(&nt_d, forced);
        nt_c = pbt_connect(&nt_d);
        expect_shaper("netem");
        if (netem)
                return; /* Nothing is unsupported where the kernel has netem. */

        nt_lab("sh");
        nt_router("sh", "dc", NULL);
        nt_device("sh", "dev", "dc");
        region_add("sh", "us");
        region_add("sh", "eu");
        before = pbt_state_text(nt_c, "sh");

        e = nt_fail("iface.set_condition", "{\"lab\":\"sh\",\"device\":\"dev\",\"iface\":\"eth0\","
                                           "\"condition\":{\"latency_ms\":20}}");
        expect_unsupported_netem(&e, "iface.set_condition latency");
        e = nt_fail("device.add", "{\"lab\":\"sh\",\"name\":\"dev2\",\"ifaces\":[{\"name\":"
                                  "\"eth0\",\"router\":\"dc\",\"condition\":\"wifi\"}]}");
        expect_unsupported_netem(&e, "device.add with wifi");
        e = nt_fail("region.link", "{\"lab\":\"sh\",\"a\":\"us\",\"b\":\"eu\",\"condition\":{"
                                   "\"latency_ms\":50}}");
        expect_unsupported_netem(&e, "region.link 50 ms");
        e = nt_fail("router.set_downlink_condition",
                    "{\"lab\":\"sh\",\"name\":\"dc\",\"condition\":{\"loss_pct\":1}}");
        expect_unsupported_netem(&e, "downlink loss");
        /* Nothing half-built: the lab is as it was. */
        after = pbt_state_text(nt_c, "sh");
        ck_assert_str_eq(after, before);
        free(after);
        free(before);
        ck_assert_str_eq(nt_sh("sh", "dev", "ip -o link | grep -c 'pb[ci]' || true"), "0\n");

        /* A rate alone needs no netem: tbf, and it works. */
        json_decref(nt_call("iface.set_condition",
                            "{\"lab\":\"sh\",\"device\":\"dev\",\"iface\":\"eth0\","
                            "\"condition\":{\"rate_kbit\":10000}}"));
        ck_assert_str_eq(link_shaper("sh", "dev"), "tbf");
        ck_assert(nt_ping("sh", "dev", nt_wan("sh", "dc").ip));
}
END_TEST

Suite *
make_region_suite(void)
{
        Suite *s = suite_create("region");
        TCase *tc = tcase_create("region");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, basic_latency);
        tcase_add_test(tc, default_regions);
        tcase_add_test(tc, break_restore_partition);
        tcase_add_test(tc, condition_stacks_with_region);
        tcase_add_test(tc, dual_stack_latency);
        tcase_add_test(tc, regionless_and_unlinked);
        tcase_add_test(tc, mixed_nat_region);
        tcase_add_test(tc, three_region_triangle);
        tcase_add_test(tc, api_errors);
        tcase_add_test(tc, shaper_backends);
        suite_add_tcase(s, tc);
        return s;
}
