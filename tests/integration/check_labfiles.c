/* SPDX-License-Identifier: MIT */
/*
 * Suite "labfiles": lab.load and lab.export (SPEC §10 topology documents).
 *
 * Every example of examples/ loads and behaves as it says (a reflexive
 * address through the right NAT, a firewall that lets 443 out but not UDP,
 * an RTT class over a region link); export -> load -> export gives the same
 * document, and the rebuilt lab has the same addresses; count expansion;
 * a document that fails halfway leaves no lab, no namespace (daemon fds)
 * and no process behind; schema errors name the entry; pbctl load/export.
 *
 * RTTs: one warm-up probe (ARP crosses shaped links too), then the median
 * of three.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nat-util.h"
#include "suites.h"
#include "topo.h"

#ifndef PBT_EXAMPLES_DIR
#        define PBT_EXAMPLES_DIR "examples"
#endif

static const char *
examples_dir(void)
{
        const char *e = getenv("PBT_EXAMPLES");

        return e && *e ? e : PBT_EXAMPLES_DIR;
}

/* A topology document (JSON text) from examples/. */
static json_t *
example(const char *file)
{
        char path[512];
        json_error_t jerr;
        json_t *doc;

        snprintf(path, sizeof(path), "%s/%s", examples_dir(), file);
        doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        ck_assert_msg(doc, "%s: %s (line %d)", path, jerr.text, jerr.line);
        return doc;
}

/* lab.load params for 'topo' (borrowed). */
static char *
load_params(const char *lab, json_t *topo)
{
        json_auto_t *p = json_pack("{s:s, s:O}", "name", lab, "topology", topo);
        char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;

        ck_assert_ptr_nonnull(text);
        return text;
}

/* lab.load (asserted to succeed); returns the lab state. */
static json_t *
load(const char *lab, json_t *topo)
{
        char *text = load_params(lab, topo);
        json_t *state = pbt_call(nt_c, "lab.load", text);

        free(text);
        ck_assert_str_eq(pbt_str(state, "name"), lab);
        return state;
}

static struct pb_error
load_fail(const char *lab, json_t *topo)
{
        char *text = load_params(lab, topo);
        struct pb_error e = pbt_call_fail(nt_c, "lab.load", text);

        free(text);
        return e;
}

static void
load_example(const char *lab, const char *file)
{
        json_auto_t *doc = example(file);

        json_decref(load(lab, doc));
}

/* lab.export as compact text with sorted keys. */
static char *
export_text(const char *lab)
{
        json_auto_t *doc = nt_call("lab.export", "{\"lab\":\"%s\"}", lab);
        char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

        ck_assert_ptr_nonnull(text);
        return text;
}

/* Every address of the lab: routers' uplinks and LANs, devices' interfaces. */
static json_t *
addresses(const char *lab)
{
        json_auto_t *st = nt_call("lab.state", "{\"lab\":\"%s\"}", lab);
        json_t *out = json_array(), *r, *d, *i;
        size_t k, n;

        json_array_foreach (json_object_get(st, "routers"), k, r) {
                json_t *up = json_object_get(r, "uplink"), *down = json_object_get(r, "downstream");

                json_array_append_new(
                        out, json_pack("[O, O, O, O, O, O]", json_object_get(r, "name"),
                                       json_object_get(up, "ip"), json_object_get(up, "ip6"),
                                       json_object_get(down, "cidr"),
                                       json_object_get(down, "cidr6"), json_object_get(r, "nat")));
        }
        json_array_foreach (json_object_get(st, "devices"), k, d)
                json_array_foreach (json_object_get(d, "ifaces"), n, i)
                        json_array_append_new(
                                out, json_pack("[O, O, O, O]", json_object_get(d, "name"),
                                               json_object_get(i, "name"), json_object_get(i, "ip"),
                                               json_object_get(i, "ip6")));
        return out;
}

/* export -> load as 'copy' -> export: the same document and the same addresses. */
static void
check_roundtrip(const char *lab, const char *copy)
{
        char *first = export_text(lab), *second;
        json_auto_t *doc = json_loads(first, 0, NULL), *a = NULL, *b = NULL;

        ck_assert_ptr_nonnull(doc);
        json_decref(load(copy, doc));
        second = export_text(copy);
        ck_assert_msg(strcmp(first, second) == 0, "export differs after a round trip:\n%s\n%s",
                      first, second);
        a = addresses(lab);
        b = addresses(copy);
        ck_assert_msg(json_equal(a, b), "addresses differ: %s vs %s", json_dumps(a, JSON_COMPACT),
                      json_dumps(b, JSON_COMPACT));
        free(first);
        free(second);
}

/* A device's (or router's) first address from lab.state. */
static const char *
dev_ip(const char *lab, const char *dev)
{
        static char buf[4][64];
        static unsigned slot;
        char *b = buf[slot++ % 4];

        snprintf(b, 64, "%s", nt_dev(lab, dev).ip);
        ck_assert_msg(b[0], "%s has no IPv4 address", dev);
        return b;
}

static const char *
wan_ip(const char *lab, const char *router)
{
        static char buf[4][64];
        static unsigned slot;
        char *b = buf[slot++ % 4];

        snprintf(b, 64, "%s", nt_wan(lab, router).ip);
        ck_assert_msg(b[0], "%s has no IPv4 uplink", router);
        return b;
}

/* One probe: fills 'observed' (the address part) and returns the RTT in ms. */
static double
probe(const char *lab, const char *node, const char *target, const char *proto, char *observed)
{
        json_auto_t *res = nt_call("node.probe",
                                   "{\"lab\":\"%s\",\"node\":\"%s\",\"target\":\"%s\",\"proto\":"
                                   "\"%s\",\"timeout_ms\":1500,\"attempts\":3}",
                                   lab, node, target, proto);

        snprintf(observed, 64, "%s", pbt_host_of(pbt_str(res, "observed")));
        return json_number_value(json_object_get(res, "rtt_ms"));
}

static int
cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Warm-up, then the median RTT of three probes; 'observed' from the last. */
static double
median_rtt(const char *lab, const char *node, const char *target, char *observed)
{
        double v[3];

        (void)probe(lab, node, target, "udp", observed);
        for (int i = 0; i < 3; i++)
                v[i] = probe(lab, node, target, "udp", observed);
        qsort(v, 3, sizeof(v[0]), cmp_double);
        return v[1];
}

/* --- leaks ---------------------------------------------------------------- */

/* The daemon's open fds (every namespace of a lab is one) and child processes (lab reapers). */
struct footprint {
        int fds, children;
};

static struct footprint
footprint(void)
{
        json_auto_t *info = pbt_call(nt_c, "daemon.info", NULL);
        int pid = (int)json_integer_value(json_object_get(info, "pid"));
        struct footprint f;
        char path[96], buf[4096] = "";
        FILE *fp;

        snprintf(path, sizeof(path), "/proc/%d/fd", pid);
        f.fds = pbt_count_dir(path);
        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
        fp = fopen(path, "r");
        f.children = 0;
        if (fp) {
                if (fgets(buf, sizeof(buf), fp))
                        for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n"))
                                f.children++;
                fclose(fp);
        }
        ck_assert_int_gt(f.fds, 0);
        return f;
}

/*
 * The footprint once the daemon has settled: the shaper closes the packet
 * sockets of removed links in the background, so the count may still fall
 * for a moment after a lab went.
 */
static struct footprint
settled_footprint(void)
{
        struct footprint f = footprint(), g;
        long long deadline = pbt_now_ms() + 5000;

        for (;; f = g) {
                usleep(200000);
                g = footprint();
                if ((g.fds == f.fds && g.children == f.children) || pbt_now_ms() > deadline)
                        return g;
        }
}

/*
 * The userspace shaper keeps a couple of fds from its first use on: shape a
 * link once (and destroy that lab) before taking a footprint to compare.
 */
static void
warm_shaper(void)
{
        json_auto_t *doc = json_loads("{\"routers\":[{\"name\":\"r\"}],\"devices\":[{\"name\":"
                                      "\"d\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"r\","
                                      "\"condition\":\"wifi\"}]}]}",
                                      0, NULL);

        json_decref(load("warm", doc));
        json_decref(nt_call("lab.destroy", "{\"lab\":\"warm\"}"));
}

/* No lab is listed and the daemon is back to 'before' (reapers go asynchronously). */
static void
assert_nothing_left(struct footprint before)
{
        json_auto_t *list = pbt_call(nt_c, "lab.list", NULL);
        struct footprint now;

        ck_assert_int_eq(json_array_size(list), 0);
        for (long long deadline = pbt_now_ms() + 3000;; usleep(20000)) {
                now = footprint();
                if ((now.fds == before.fds && now.children == before.children) ||
                    pbt_now_ms() > deadline)
                        break;
        }
        ck_assert_int_eq(now.fds, before.fds);
        ck_assert_int_eq(now.children, before.children);
}

/* --- the examples ---------------------------------------------------------- */

/* Home office behind CGNAT: the server sees the ISP's address; WiFi adds its 5 ms. */
START_TEST(example_home_office)
{
        char target[96], seen[64];
        double rtt;

        load_example("ho", "home-office.json");
        snprintf(target, sizeof(target), "%s:3478", dev_ip("ho", "server"));
        nt_reflector("ho", "server", target, "udp");
        rtt = median_rtt("ho", "laptop", target, seen);
        fprintf(stderr, "labfiles: home-office laptop rtt %.1f ms, seen as %s\n", rtt, seen);
        ck_assert_str_eq(seen, wan_ip("ho", "isp"));
        ck_assert_msg(rtt >= 2.0 && rtt < 30.0, "laptop rtt %.1f ms (wifi: 5 +- 2 ms up)", rtt);
        rtt = median_rtt("ho", "phone", target, seen);
        fprintf(stderr, "labfiles: home-office phone rtt %.1f ms\n", rtt);
        ck_assert_msg(rtt >= 20.0 && rtt < 150.0, "phone rtt %.1f ms (wifi-bad: 40 +- 15 ms up)",
                      rtt);
        ck_assert_str_eq(seen, wan_ip("ho", "isp"));
        (void)probe("ho", "desktop", target, "udp", seen);
        ck_assert_str_eq(seen, wan_ip("ho", "isp"));
        check_roundtrip("ho", "ho2");
}
END_TEST

/* A phone on WiFi and 4G: moving the default route moves it to the carrier's NAT and RTT. */
START_TEST(example_mobile_roaming)
{
        char target[96], seen[64];
        double wifi, lte;

        load_example("mr", "mobile-roaming.json");
        snprintf(target, sizeof(target), "%s:3478", dev_ip("mr", "server"));
        nt_reflector("mr", "server", target, "udp");
        wifi = median_rtt("mr", "phone", target, seen);
        ck_assert_str_eq(seen, wan_ip("mr", "home-wifi"));
        json_decref(nt_call("device.set_default_route",
                            "{\"lab\":\"mr\",\"name\":\"phone\",\"iface\":\"rmnet0\"}"));
        lte = median_rtt("mr", "phone", target, seen);
        fprintf(stderr, "labfiles: mobile-roaming rtt wifi %.1f ms, 4g %.1f ms (seen as %s)\n",
                wifi, lte, seen);
        ck_assert_str_eq(seen, wan_ip("mr", "carrier"));
        /* 4G both ways (interface up + carrier downlink): 2 x 25 ms +- jitter. */
        ck_assert_msg(wifi < 25.0 && lte >= 25.0 && lte < 120.0,
                      "rtt over wifi %.1f ms, over 4g %.1f ms", wifi, lte);
        check_roundtrip("mr", "mr2");
}
END_TEST

/* Corporate: count-expanded workstations, 443 out through the corporate NAT, UDP blocked. */
START_TEST(example_corporate)
{
        char tcp[96], udp[96], seen[64];
        json_auto_t *st = NULL;

        load_example("co", "corporate.json");
        st = nt_call("lab.state", "{\"lab\":\"co\"}");
        ck_assert_int_eq(json_array_size(json_object_get(st, "devices")), 7);
        for (int i = 0; i < 5; i++) {
                char name[16];

                snprintf(name, sizeof(name), "ws-%d", i);
                ck_assert_str_eq(
                        pbt_str(json_array_get(json_object_get(st, "devices"), (size_t)i), "name"),
                        name);
        }
        snprintf(tcp, sizeof(tcp), "%s:443", dev_ip("co", "server"));
        snprintf(udp, sizeof(udp), "%s:3478", dev_ip("co", "server"));
        nt_reflector("co", "server", tcp, "tcp");
        nt_reflector("co", "server", udp, "udp");
        (void)probe("co", "ws-3", tcp, "tcp", seen);
        ck_assert_str_eq(seen, wan_ip("co", "corp-gw"));
        ck_assert_msg(nt_dropped("co", "ws-3", udp, "udp", NULL),
                      "the corporate firewall let UDP 3478 out");
        /* A visitor behind the hotel-style guest router: the outermost NAT is corp-gw. */
        (void)probe("co", "visitor", tcp, "tcp", seen);
        ck_assert_str_eq(seen, wan_ip("co", "corp-gw"));
        check_roundtrip("co", "co2");
}
END_TEST

/* Three continents: RTTs follow the region links (one-way latency x 2). */
START_TEST(example_three_continents)
{
        char asia[96], us[96], seen[64];
        double us_asia, eu_us;

        load_example("tc", "three-continents.json");
        snprintf(asia, sizeof(asia), "%s:3478", dev_ip("tc", "server-asia"));
        snprintf(us, sizeof(us), "%s:3478", dev_ip("tc", "server-us"));
        nt_reflector("tc", "server-asia", asia, "udp");
        nt_reflector("tc", "server-us", us, "udp");
        us_asia = median_rtt("tc", "server-us", asia, seen);
        ck_assert_str_eq(seen, dev_ip("tc", "server-us")); /* Public: no NAT. */
        eu_us = median_rtt("tc", "laptop", us, seen);
        fprintf(stderr, "labfiles: three-continents rtt us-asia %.1f ms, eu-us %.1f ms\n", us_asia,
                eu_us);
        ck_assert_str_eq(seen, wan_ip("tc", "home-eu"));
        ck_assert_msg(us_asia >= 190.0 && us_asia < 230.0, "us-asia rtt %.1f ms (2 x 95)", us_asia);
        ck_assert_msg(eu_us >= 80.0 && eu_us < 130.0, "eu-us rtt %.1f ms (2 x 40 + wifi)", eu_us);
        check_roundtrip("tc", "tc2");
}
END_TEST

/* --- round trips of a lab changed after it was built ------------------------ */

START_TEST(roundtrip_of_a_changed_lab)
{
        json_auto_t *doc = json_loads(
                "{\"addressing\":{\"private4\":\"10.77.0.0/16\"},"
                "\"regions\":[{\"name\":\"us\"},{\"name\":\"eu\"}],"
                "\"region_links\":[{\"a\":\"us\",\"b\":\"eu\",\"condition\":\"satellite\"}],"
                "\"routers\":["
                "{\"name\":\"isp\",\"nat\":\"none\",\"ip_support\":\"dual-stack\",\"mtu\":1400},"
                "{\"name\":\"home\",\"preset\":\"home\",\"upstream\":\"isp\"},"
                "{\"name\":\"lab\",\"downstream_cidr\":\"10.200.0.0/24\",\"nat\":\"home\"},"
                "{\"name\":\"custom\",\"nat_config\":{\"mapping\":\"edm\",\"hairpin\":true},"
                "\"firewall\":{\"block_inbound\":true,\"tcp\":{\"allow\":[22,443]}}},"
                "{\"name\":\"dc-eu\",\"preset\":\"public\",\"region\":\"eu\"}],"
                "\"devices\":["
                "{\"name\":\"pc\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"home\"},"
                "{\"name\":\"wlan0\",\"router\":\"lab\",\"condition\":\"wifi\","
                "\"direction\":\"both\"}],\"mtu\":1300},"
                "{\"name\":\"srv\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"dc-eu\"}]},"
                "{\"name\":\"box\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"custom\"}]}],"
                "\"dns\":[{\"name\":\"files.example\",\"ip\":\"198.18.0.1\"},"
                "{\"name\":\"printer.lan\",\"ip\":\"10.77.1.5\",\"device\":\"pc\"},"
                "{\"nameserver\":\"198.18.0.1\"}]}",
                0, NULL);
        json_auto_t *res = NULL;
        char *text;

        ck_assert_ptr_nonnull(doc);
        json_decref(load("chg", doc));
        /* Live changes that the export must carry. */
        json_decref(nt_call("router.set_nat", "{\"lab\":\"chg\",\"name\":\"home\","
                                              "\"nat\":\"full-cone\"}"));
        json_decref(nt_call("router.set_firewall", "{\"lab\":\"chg\",\"name\":\"lab\","
                                                   "\"firewall\":\"corporate\","
                                                   "\"block_icmp_frag_needed\":true}"));
        json_decref(nt_call("router.set_downlink_condition",
                            "{\"lab\":\"chg\",\"name\":\"isp\",\"condition\":{\"latency_ms\":3}}"));
        json_decref(nt_call("link.set_condition", "{\"lab\":\"chg\",\"a\":\"home\",\"b\":\"isp\","
                                                  "\"condition\":\"lan\",\"direction\":\"both\"}"));
        json_decref(nt_call("link.set_condition",
                            "{\"lab\":\"chg\",\"a\":\"home\",\"b\":\"pc\",\"condition\":"
                            "{\"preset\":\"mobile-3g\",\"loss_pct\":0},\"direction\":\"a-to-b\"}"));
        json_decref(nt_call("device.set_default_route",
                            "{\"lab\":\"chg\",\"name\":\"pc\",\"iface\":\"wlan0\"}"));
        check_roundtrip("chg", "chg2");
        /* DNS entries came through: lab-wide and the device's own. */
        res = nt_call("dns.resolve", "{\"lab\":\"chg2\",\"name\":\"printer.lan\","
                                     "\"device\":\"pc\"}");
        ck_assert_str_eq(pbt_str(res, "ip"), "10.77.1.5");
        ck_assert_str_eq(nt_sh("chg2", "pc",
                               "getent hosts files.example | cut -d' ' -f1 | "
                               "tr -d '\\n'"),
                         "198.18.0.1");
        text = export_text("chg2");
        ck_assert_ptr_nonnull(strstr(text, "\"nat\":\"full-cone\""));
        ck_assert_ptr_nonnull(strstr(text, "\"private4\":\"10.77.0.0/16\""));
        ck_assert_ptr_nonnull(strstr(text, "\"downstream_cidr\":\"10.200.0.0/24\""));
        ck_assert_ptr_nonnull(strstr(text, "\"default_via\":\"wlan0\""));
        ck_assert_ptr_nonnull(strstr(text, "{\"nameserver\":\"198.18.0.1\"}"));
        ck_assert_ptr_nonnull(strstr(text, "\"links\":[{\"a\":\"home\",\"b\":\"isp\""));
        free(text);
}
END_TEST

/* --- count expansion and size ------------------------------------------------ */

START_TEST(count_expansion)
{
        json_auto_t *doc = json_loads(
                "{\"routers\":[{\"name\":\"edge\",\"count\":3,\"preset\":\"home\"}],"
                "\"devices\":[{\"name\":\"cam\",\"count\":120,\"ifaces\":[{\"name\":\"eth0\","
                "\"router\":\"edge-1\"}]},{\"name\":\"hub\",\"ifaces\":[{\"name\":\"eth0\","
                "\"router\":\"edge-2\"}]}]}",
                0, NULL);
        json_auto_t *st = NULL, *bad = NULL;
        long long t0 = pbt_now_ms(), ms;
        struct pb_error e;
        json_t *devs;

        ck_assert_ptr_nonnull(doc);
        st = load("cnt", doc);
        ms = pbt_now_ms() - t0;
        ck_assert_int_eq(json_array_size(json_object_get(st, "routers")), 3);
        ck_assert_str_eq(pbt_str(json_array_get(json_object_get(st, "routers"), 2), "name"),
                         "edge-2");
        devs = json_object_get(st, "devices");
        ck_assert_int_eq(json_array_size(devs), 121);
        ck_assert_str_eq(pbt_str(json_array_get(devs, 0), "name"), "cam-0");
        ck_assert_str_eq(pbt_str(json_array_get(devs, 119), "name"), "cam-119");
        ck_assert_str_eq(pbt_str(json_array_get(devs, 120), "name"), "hub");
        ck_assert_msg(ms < 20000, "121 devices took %lld ms", ms);
        fprintf(stderr, "labfiles: 3 routers + 121 devices loaded in %lld ms\n", ms);
        /* An expanded name must still be a node name. */
        bad = json_loads("{\"devices\":[{\"name\":\"a-very-long-device-name-here-x\",\"count\":"
                         "2,\"ifaces\":[{\"name\":\"eth0\",\"router\":\"r\"}]}]}",
                         0, NULL);
        e = load_fail("cnt2", bad);
        ck_assert_int_eq(e.code, -32602);
        ck_assert_str_eq(e.parameter, "topology.devices[0].name");
}
END_TEST

/* --- failures leave nothing --------------------------------------------------- */

/* The 5th router names an upstream that the document lacks: refused before anything is built. */
START_TEST(error_unknown_upstream)
{
        struct footprint before = footprint();
        json_auto_t *doc = json_loads("{\"routers\":[{\"name\":\"r0\"},{\"name\":\"r1\"},"
                                      "{\"name\":\"r2\",\"upstream\":\"r0\"},{\"name\":\"r3\"},"
                                      "{\"name\":\"r4\",\"upstream\":\"nowhere\"}]}",
                                      0, NULL);
        json_auto_t *cyc = json_loads("{\"routers\":[{\"name\":\"a\",\"upstream\":\"b\"},"
                                      "{\"name\":\"b\",\"upstream\":\"a\"}]}",
                                      0, NULL);
        struct pb_error e = load_fail("bad", doc);

        ck_assert_int_eq(e.code, -32002);
        ck_assert_str_eq(e.name, "patchbay.NoSuchNode");
        ck_assert_str_eq(e.parameter, "topology.routers[4].upstream");
        ck_assert_ptr_nonnull(strstr(e.message, "topology.routers[4] ('r4')"));
        assert_nothing_left(before);
        e = load_fail("bad", cyc);
        ck_assert_int_eq(e.code, -32602);
        ck_assert_ptr_nonnull(strstr(e.parameter, ".upstream"));
        ck_assert_ptr_nonnull(strstr(e.message, "cycle"));
        assert_nothing_left(before);
}
END_TEST

/* Records the kinds of the events of lab 'half' on a second connection. */
static void
on_event(struct pb_client *c, const char *method, const char *params, void *userdata)
{
        json_auto_t *ev = json_loads(params, 0, NULL);
        const char *lab = json_string_value(json_object_get(ev, "lab"));

        if (lab && strcmp(lab, "half") == 0)
                json_array_append(userdata, json_object_get(ev, "kind"));
}

static bool
has_kind(json_t *kinds, const char *kind)
{
        json_t *k;
        size_t i;

        json_array_foreach (kinds, i, k)
                if (strcmp(json_string_value(k), kind) == 0)
                        return true;
        return false;
}

/* Several routers and devices are built, then a device names an unknown router: all undone. */
START_TEST(error_halfway_undoes_everything)
{
        struct footprint before = (warm_shaper(), settled_footprint());
        json_auto_t *doc = json_loads(
                "{\"regions\":[{\"name\":\"us\"}],"
                "\"routers\":[{\"name\":\"r\",\"count\":4,\"preset\":\"home\"},"
                "{\"name\":\"dc\",\"region\":\"us\"}],"
                "\"devices\":[{\"name\":\"d\",\"count\":6,\"ifaces\":[{\"name\":\"eth0\","
                "\"router\":\"r-2\",\"condition\":\"wifi\"}]},"
                "{\"name\":\"lost\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"r-9\"}]}]}",
                0, NULL);
        struct pb_client *w = pbt_connect(&nt_d);
        json_auto_t *kinds = json_array();
        struct pb_error e;

        pb_client_set_event_handler(w, on_event, kinds);
        json_decref(pbt_call(w, "events.subscribe", NULL));
        e = load_fail("half", doc);
        ck_assert_int_eq(e.code, -32002);
        ck_assert_str_eq(e.name, "patchbay.NoSuchNode");
        ck_assert_str_eq(e.parameter, "topology.devices[1].ifaces[0].router");
        ck_assert_ptr_nonnull(strstr(e.message, "topology.devices[1] ('lost')"));
        /* It was built halfway (the events say so), then destroyed. */
        for (long long deadline = pbt_now_ms() + 3000;
             !has_kind(kinds, "lab_destroyed") && pbt_now_ms() < deadline;)
                ck_assert_int_ge(pb_client_wait(w, 100), 0);
        ck_assert(has_kind(kinds, "region_added"));
        ck_assert(has_kind(kinds, "router_added"));
        ck_assert(has_kind(kinds, "device_added"));
        ck_assert(has_kind(kinds, "lab_destroyed"));
        pb_client_free(w);
        assert_nothing_left(before);
        /* The name is free again. */
        json_decref(nt_call("lab.create", "{\"name\":\"half\"}"));
        json_decref(nt_call("lab.destroy", "{\"lab\":\"half\"}"));
}
END_TEST

/* Schema errors, checked per entry, name the entry's parameter; nothing is built. */
START_TEST(error_schema)
{
        struct footprint before = footprint();
        struct pb_error e;

        e = nt_fail("lab.load", "{\"name\":\"s\",\"topology\":{\"routers\":[{\"name\":\"ok\"},"
                                "{\"name\":\"r\",\"nat\":\"bogus\"}]}}");
        ck_assert_int_eq(e.code, -32602);
        ck_assert_str_eq(e.parameter, "topology.routers[1].nat");
        e = nt_fail("lab.load", "{\"name\":\"s\",\"topology\":{\"routers\":[{\"name\":\"r\"}],"
                                "\"devices\":[{\"name\":\"d\",\"ifaces\":[]}]}}");
        ck_assert_int_eq(e.code, -32602);
        ck_assert_str_eq(e.parameter, "topology.devices[0].ifaces");
        e = nt_fail("lab.load", "{\"name\":\"s\",\"topology\":{\"switches\":[]}}");
        ck_assert_int_eq(e.code, -32602);
        /* Semantic checks of router.add, reached through the same code. */
        e = nt_fail("lab.load", "{\"name\":\"s\",\"topology\":{\"routers\":[{\"name\":\"r\","
                                "\"nat\":\"home\",\"nat_config\":{\"mapping\":\"eim\"}}]}}");
        ck_assert_int_eq(e.code, -32602);
        ck_assert_str_eq(e.parameter, "topology.routers[0].nat_config");
        e = nt_fail("lab.load", "{\"name\":\"s\",\"topology\":{\"routers\":[{\"name\":\"r\"},"
                                "{\"name\":\"r\"}]}}");
        ck_assert_str_eq(e.name, "patchbay.NameTaken");
        ck_assert_str_eq(e.parameter, "topology.routers[1].name");
        assert_nothing_left(before);
}
END_TEST

/* --- pbctl ----------------------------------------------------------------------- */

static void
run(const char *cmd)
{
        int st = system(cmd);

        ck_assert_msg(st == 0, "'%s' failed (status %d)", cmd, st);
}

START_TEST(pbctl_load_export)
{
        const char *pbctl = getenv("PBCTL");
        char cmd[4096], dir[256], a[300], b[300];
        json_auto_t *da = NULL, *db = NULL;
        char *ta, *tb;

        if (!pbctl || !*pbctl)
                pbctl = "pbctl";
        pbt_mkdir(dir, sizeof(dir));
        snprintf(a, sizeof(a), "%s/a.json", dir);
        snprintf(b, sizeof(b), "%s/b.json", dir);
        snprintf(cmd, sizeof(cmd),
                 "%s --no-autostart --socket %s load %s/corporate.json --name pc >/dev/null "
                 "</dev/null "
                 "&& %s --no-autostart --socket %s export pc -o %s "
                 "&& %s --no-autostart --socket %s load %s --name pc2 --json >/dev/null "
                 "&& %s --no-autostart --socket %s --json export pc2 >%s",
                 pbctl, nt_d.sock, examples_dir(), pbctl, nt_d.sock, a, pbctl, nt_d.sock, a, pbctl,
                 nt_d.sock, b);
        run(cmd);
        da = json_load_file(a, 0, NULL);
        db = json_load_file(b, 0, NULL);
        ck_assert_ptr_nonnull(da);
        ck_assert_ptr_nonnull(db);
        ta = json_dumps(da, JSON_COMPACT | JSON_SORT_KEYS);
        tb = json_dumps(db, JSON_COMPACT | JSON_SORT_KEYS);
        ck_assert_str_eq(ta, tb);
        ck_assert_ptr_nonnull(strstr(ta, "\"name\":\"ws-4\""));
        free(ta);
        free(tb);
        /* pbctl labs live until removed. */
        json_decref(nt_call("lab.destroy", "{\"lab\":\"pc\"}"));
        json_decref(nt_call("lab.destroy", "{\"lab\":\"pc2\"}"));
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        run(cmd);
}
END_TEST

Suite *
make_labfiles_suite(void)
{
        Suite *s = suite_create("labfiles");
        TCase *tc = tcase_create("labfiles");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, example_home_office);
        tcase_add_test(tc, example_mobile_roaming);
        tcase_add_test(tc, example_corporate);
        tcase_add_test(tc, example_three_continents);
        tcase_add_test(tc, roundtrip_of_a_changed_lab);
        tcase_add_test(tc, count_expansion);
        tcase_add_test(tc, error_unknown_upstream);
        tcase_add_test(tc, error_halfway_undoes_everything);
        tcase_add_test(tc, error_schema);
        tcase_add_test(tc, pbctl_load_export);
        suite_add_tcase(s, tc);
        return s;
}
