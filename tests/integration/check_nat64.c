/* SPDX-License-Identifier: MIT */
/*
 * Suite "nat64": NAT64 (SPEC §4, docs/nat.md) with real traffic.  The
 * reference suite's nat64.rs (C.17), then an IPv6-only phone behind an
 * isp-v6 router reaching an IPv4-only server with UDP, TCP and ping, ICMP
 * errors translated back, two phones on the same source port, and live
 * changes of nat_v6 that leave nothing behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat-util.h"
#include "suites.h"
#include "topo.h"

static const char *
traffic(void)
{
        const char *t = getenv("PBT_TRAFFIC");

        ck_assert_msg(t && *t, "PBT_TRAFFIC is not set (run the suite under ctest)");
        return t;
}

/* Lab 'lab': router dc ('dc_extra'), server srv on it, router carrier ('carrier_extra'), phone. */
struct k64 {
        char lab[32];
        char dc[64];      /* dc's uplink IPv4 */
        char srv[64];     /* srv's IPv4 */
        char wan[64];     /* carrier's uplink IPv4 */
        char via_srv[96]; /* 64:ff9b::<srv> */
        char via_dc[96];  /* 64:ff9b::<dc> */
};

static void
build(struct k64 *k, const char *lab, const char *dc_extra, const char *carrier_extra)
{
        memset(k, 0, sizeof(*k));
        snprintf(k->lab, sizeof(k->lab), "%s", lab);
        nt_lab(lab);
        nt_router(lab, "dc", dc_extra);
        nt_device(lab, "srv", "dc");
        nt_router(lab, "carrier", carrier_extra);
        nt_device(lab, "phone", "carrier");
        snprintf(k->dc, sizeof(k->dc), "%s", nt_wan(lab, "dc").ip);
        snprintf(k->srv, sizeof(k->srv), "%s", nt_dev(lab, "srv").ip);
        snprintf(k->wan, sizeof(k->wan), "%s", nt_wan(lab, "carrier").ip);
        ck_assert_msg(k->dc[0] && k->srv[0] && k->wan[0], "missing IPv4 addresses");
        snprintf(k->via_srv, sizeof(k->via_srv), "64:ff9b::%s", k->srv);
        snprintf(k->via_dc, sizeof(k->via_dc), "64:ff9b::%s", k->dc);
}

static void
build_isp_v6(struct k64 *k, const char *lab)
{
        build(k, lab, ",\"preset\":\"public-v4\"", ",\"preset\":\"isp-v6\"");
}

/* The carrier's translator counters (router.get nat64), or NULL when it has none. */
static json_t *
counters(const char *lab)
{
        json_t *r = nt_call("router.get", "{\"lab\":\"%s\",\"name\":\"carrier\"}", lab);
        json_t *n = json_incref(json_object_get(r, "nat64"));

        json_decref(r);
        if (json_is_null(n)) {
                json_decref(n);
                return NULL;
        }
        return n;
}

static long long
counter(json_t *n, const char *key)
{
        return json_integer_value(json_object_get(n, key));
}

/* --- C.17 ----------------------------------------------------------------- */

/* dc (v4-only) ; carrier dual-stack, home NAT, NAT64 ; phone: UDP to [64:ff9b::dc]. */
START_TEST(nat64_udp_v6_to_v4)
{
        const char *carrier = ",\"ip_support\":\"dual-stack\",\"nat\":\"home\","
                              "\"nat_v6\":\"nat64\"";
        struct k64 k;
        struct nt_addrs ph;
        struct nt_ep ep;
        char target[128], refl[96];

        build(&k, "c17udp", NULL, carrier);
        ph = nt_dev(k.lab, "phone");
        ck_assert_msg(ph.ip[0] && ph.ip6[0], "phone: v4 '%s' v6 '%s'", ph.ip, ph.ip6);
        snprintf(refl, sizeof(refl), "%s:9300", k.dc);
        nt_reflector(k.lab, "dc", refl, "udp");
        snprintf(target, sizeof(target), "[%s]:9300", k.via_dc);
        ep = nt_probe_ok(k.lab, "phone", target, "udp", NULL);
        /* The IPv4 server sees the carrier's WAN address. */
        ck_assert_str_eq(ep.host, k.wan);
        json_t *r = nt_call("node.probe", "{\"lab\":\"%s\",\"node\":\"phone\",\"target\":\"%s\"}",
                            k.lab, target);
        double rtt = json_real_value(json_object_get(r, "rtt_ms")) +
                     (double)json_integer_value(json_object_get(r, "rtt_ms"));

        ck_assert_msg(rtt < 500, "rtt %.1f ms", rtt);
        json_decref(r);
}
END_TEST

START_TEST(nat64_tcp_v6_to_v4)
{
        const char *carrier = ",\"ip_support\":\"dual-stack\",\"nat\":\"home\","
                              "\"nat_v6\":\"nat64\"";
        struct k64 k;
        struct nt_ep ep;
        char target[128], refl[96];

        build(&k, "c17tcp", NULL, carrier);
        snprintf(refl, sizeof(refl), "%s:9301", k.dc);
        nt_reflector(k.lab, "dc", refl, "tcp");
        snprintf(target, sizeof(target), "[%s]:9301", k.via_dc);
        ep = nt_probe_ok(k.lab, "phone", target, "tcp", NULL);
        ck_assert_str_eq(ep.host, k.wan);
}
END_TEST

/*
 * Next to NAT64, plain IPv4 through the home NAT still works, and native
 * IPv6 stays native: a dual-stack server sees the phone's own address.
 */
START_TEST(nat64_preserves_native_v6)
{
        const char *carrier = ",\"ip_support\":\"dual-stack\",\"nat\":\"home\","
                              "\"nat_v6\":\"nat64\"";
        struct k64 k;
        struct nt_addrs dc6, ph;
        struct nt_ep ep;
        char target[128];

        build(&k, "c17native", ",\"ip_support\":\"dual-stack\"", carrier);
        dc6 = nt_wan(k.lab, "dc");
        ph = nt_dev(k.lab, "phone");
        snprintf(target, sizeof(target), "%s:9302", k.dc);
        nt_reflector(k.lab, "dc", target, "udp");
        ep = nt_probe_ok(k.lab, "phone", target, "udp", NULL);
        ck_assert_str_eq(ep.host, k.wan);

        ck_assert_msg(dc6.ip6[0], "dc has no IPv6");
        snprintf(target, sizeof(target), "[%s]:9302", dc6.ip6);
        nt_reflector(k.lab, "dc", target, "udp");
        ep = nt_probe_ok(k.lab, "phone", target, "udp", NULL);
        ck_assert_str_eq(ep.host, ph.ip6);
}
END_TEST

/* --- isp-v6 ---------------------------------------------------------------- */

/*
 * An IPv6-only phone behind isp-v6 reaches an IPv4-only server: UDP (the
 * server sees the carrier's IPv4 WAN address), TCP byte-exact, ping; the
 * translator counts what it did.
 */
START_TEST(nat64_isp_v6_phone)
{
        struct k64 k;
        struct nt_addrs ph;
        struct nt_ep ep;
        char target[128], cmd[512];
        const char *argv[6], *out;
        long long proc;
        json_t *r, *n;

        build_isp_v6(&k, "ispv6");
        r = nt_call("router.get", "{\"lab\":\"%s\",\"name\":\"carrier\"}", k.lab);
        ck_assert_str_eq(pbt_str(r, "ip_support"), "v6-only");
        ck_assert_str_eq(pbt_str(r, "nat_v6"), "nat64");
        json_decref(r);
        ph = nt_dev(k.lab, "phone");
        ck_assert_msg(!ph.ip[0] && ph.ip6[0], "phone: v4 '%s' v6 '%s'", ph.ip, ph.ip6);
        /* No IPv4 on the phone at all. */
        ck_assert_msg(!strstr(nt_sh(k.lab, "phone", "ip -4 route"), "default"), "v4 route");

        /* UDP */
        snprintf(target, sizeof(target), "%s:9350", k.srv);
        nt_reflector(k.lab, "srv", target, "udp");
        snprintf(target, sizeof(target), "[%s]:9350", k.via_srv);
        ep = nt_probe_ok(k.lab, "phone", target, "udp", NULL);
        ck_assert_str_eq(ep.host, k.wan);

        /* TCP, byte-exact. */
        snprintf(target, sizeof(target), "%s:9351", k.srv);
        argv[0] = traffic(), argv[1] = "tcp-serve", argv[2] = target, argv[3] = "1000000";
        argv[4] = NULL;
        proc = nt_spawn(k.lab, "srv", argv);
        snprintf(cmd, sizeof(cmd), "%s tcp-fetch [%s]:9351", traffic(), k.via_srv);
        out = nt_sh(k.lab, "phone", cmd);
        ck_assert_msg(strstr(out, "bytes=1000000 pattern=ok"), "tcp-fetch: %s", out);
        ck_assert_int_eq(nt_proc_wait(proc, 5000), 0);

        /* Throughput, for the record. */
        snprintf(target, sizeof(target), "%s:9352", k.srv);
        argv[0] = traffic(), argv[1] = "tcp-sink", argv[2] = target, argv[3] = NULL;
        proc = nt_spawn(k.lab, "srv", argv);
        snprintf(cmd, sizeof(cmd), "%s tcp-send [%s]:9352 100000000", traffic(), k.via_srv);
        out = nt_sh(k.lab, "phone", cmd);
        ck_assert_msg(strstr(out, "bytes=100000000"), "tcp-send: %s", out);
        fprintf(stderr, "nat64 throughput (phone -> srv, TCP): %s", out);
        ck_assert_int_eq(nt_proc_wait(proc, 5000), 0);

        /* ping: echo requests and replies both ways. */
        snprintf(cmd, sizeof(cmd), "ping -6 -n -c 3 -i 0.2 -W 2 %s", k.via_srv);
        out = nt_sh(k.lab, "phone", cmd);
        ck_assert_msg(strstr(out, "3 received"), "ping: %s", out);

        n = counters(k.lab);
        ck_assert_ptr_nonnull(n);
        ck_assert_int_ge(counter(n, "translated_v6_to_v4"), 3);
        ck_assert_int_ge(counter(n, "translated_v4_to_v6"), 3);
        ck_assert_int_eq(counter(n, "clients"), 1);
        ck_assert_int_eq(counter(n, "write_errors"), 0);
        json_decref(n);
}
END_TEST

/*
 * An ICMP error about a translated packet comes back translated: a ping to
 * an IPv4 address nobody routes gets "destination unreachable" from the
 * lab root, as an ICMPv6 error from 64:ff9b::<root>.  And UDP to a closed
 * port of the server is refused (port unreachable, translated).
 */
START_TEST(nat64_icmp_errors)
{
        struct k64 k;
        struct pbt_exec x;
        char cmd[512];
        const char *out;

        build_isp_v6(&k, "icmperr");
        x = pbt_exec(nt_c, k.lab, "phone", "ping -6 -n -c 1 -W 2 64:ff9b::198.51.100.7");
        ck_assert_int_ne(x.exit_code, 0);
        ck_assert_msg(strstr(x.out, "Unreachable") || strstr(x.out, "unreachable"),
                      "ping output: %s", x.out);
        ck_assert_msg(strstr(x.out, "64:ff9b::"), "error not from a translated address: %s", x.out);

        /* A connected UDP socket learns of the port unreachable (node.probe's does not). */
        snprintf(cmd, sizeof(cmd),
                 "python3 -c 'import socket\n"
                 "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
                 "s.settimeout(2)\n"
                 "s.connect((\"%s\", 9360))\n"
                 "s.send(b\"x\")\n"
                 "try:\n s.recv(16); print(\"answered\")\n"
                 "except ConnectionRefusedError: print(\"refused\")\n"
                 "except socket.timeout: print(\"timeout\")\n'",
                 k.via_srv);
        out = nt_sh(k.lab, "phone", cmd);
        ck_assert_msg(strstr(out, "refused"), "closed port: %s", out);
}
END_TEST

/*
 * Path MTU discovery across the translator: the carrier's uplink takes 1400
 * bytes, the phone's LAN 1500.  A 1448-byte IPv6 echo becomes 1428 bytes of
 * IPv4, too big for the uplink: the carrier's fragmentation-needed (MTU
 * 1400) comes back as packet-too-big with MTU 1420, which the phone
 * learns; and the other way, the carrier's packet-too-big about a reply
 * reaches the IPv4 server as fragmentation-needed.
 */
START_TEST(nat64_path_mtu)
{
        struct k64 k;
        struct pbt_exec x;
        char cmd[256];
        const char *out;

        build(&k, "pmtu", ",\"preset\":\"public-v4\"", ",\"preset\":\"isp-v6\",\"mtu\":1400");
        snprintf(cmd, sizeof(cmd), "ping -6 -n -M do -s 1400 -c 2 -i 0.3 -W 1 %s", k.via_srv);
        x = pbt_exec(nt_c, k.lab, "phone", cmd);
        ck_assert_int_ne(x.exit_code, 0);
        ck_assert_msg(strstr(x.out, "mtu=1420"), "no packet too big: %s", x.out);
        snprintf(cmd, sizeof(cmd), "ip -6 route get %s", k.via_srv);
        out = nt_sh(k.lab, "phone", cmd);
        ck_assert_msg(strstr(out, "mtu 1420"), "PMTU not learned: %s", out);
        /* 1420 bytes of IPv6 fit the uplink as IPv4, but the 1400-byte IPv4 reply
         * grows back to 1420 for a 1400-byte LAN: the carrier's packet-too-big
         * reaches the server as fragmentation-needed with MTU 1380. */
        snprintf(cmd, sizeof(cmd), "ping -6 -n -M do -s 1372 -c 1 -W 1 %s", k.via_srv);
        ck_assert_int_ne(pbt_exec(nt_c, k.lab, "phone", cmd).exit_code, 0);
        snprintf(cmd, sizeof(cmd), "ip route get %s", k.wan);
        out = nt_sh(k.lab, "srv", cmd);
        ck_assert_msg(strstr(out, "mtu 1380"), "server learned no PMTU: %s", out);
        snprintf(cmd, sizeof(cmd), "ping -6 -n -M do -s 1300 -c 1 -W 2 %s", k.via_srv);
        out = nt_sh(k.lab, "phone", cmd);
        ck_assert_msg(strstr(out, "1 received"), "%s", out);
}
END_TEST

/* Two phones on one source port to one server: two flows, two mappings. */
START_TEST(nat64_two_phones_same_port)
{
        struct k64 k;
        struct nt_ep a, b;
        char target[128];
        json_t *n;

        build_isp_v6(&k, "twoph");
        nt_device(k.lab, "phone2", "carrier");
        snprintf(target, sizeof(target), "%s:9370", k.srv);
        nt_reflector(k.lab, "srv", target, "udp");
        snprintf(target, sizeof(target), "[%s]:9370", k.via_srv);
        a = nt_probe_ok(k.lab, "phone", target, "udp", "[::]:40000");
        b = nt_probe_ok(k.lab, "phone2", target, "udp", "[::]:40000");
        ck_assert_str_eq(a.host, k.wan);
        ck_assert_str_eq(b.host, k.wan);
        ck_assert_msg(a.port != b.port, "both phones seen as %s and %s", a.text, b.text);
        /* Each keeps its own mapping: asked again, each is seen as before. */
        ck_assert_str_eq(nt_probe_ok(k.lab, "phone", target, "udp", "[::]:40000").text, a.text);
        ck_assert_str_eq(nt_probe_ok(k.lab, "phone2", target, "udp", "[::]:40000").text, b.text);
        n = counters(k.lab);
        ck_assert_ptr_nonnull(n);
        ck_assert_int_eq(counter(n, "clients"), 2);
        json_decref(n);
}
END_TEST

/*
 * router.set_nat_v6 none removes every trace; nat64 again brings it back;
 * router.remove takes it away with the router, and another goes on.
 */
START_TEST(nat64_live_toggle)
{
        struct k64 k;
        struct nt_ep ep;
        char target[128];
        struct pbt_exec x;
        json_t *r;

        build_isp_v6(&k, "toggle");
        snprintf(target, sizeof(target), "%s:9380", k.srv);
        nt_reflector(k.lab, "srv", target, "udp");
        snprintf(target, sizeof(target), "[%s]:9380", k.via_srv);
        ep = nt_probe_ok(k.lab, "phone", target, "udp", NULL);
        ck_assert_str_eq(ep.host, k.wan);

        r = nt_call("router.set_nat_v6",
                    "{\"lab\":\"%s\",\"name\":\"carrier\",\"nat_v6\":\"none\"}", k.lab);
        ck_assert_str_eq(pbt_str(r, "nat_v6"), "none");
        ck_assert(json_is_null(json_object_get(r, "nat64")));
        json_decref(r);
        x = pbt_exec(nt_c, k.lab, "carrier", "ip link show nat64");
        ck_assert_int_ne(x.exit_code, 0);
        ck_assert_str_eq(nt_sh(k.lab, "carrier", "ip -6 route show 64:ff9b::/96"), "");
        ck_assert_str_eq(nt_sh(k.lab, "carrier", "ip -4 route show 192.0.2.0/24"), "");
        x = pbt_exec(nt_c, k.lab, "carrier", "nft list table ip pb_nat64");
        ck_assert_int_ne(x.exit_code, 0);
        ck_assert(!nt_probe(&ep, k.lab, "phone", target, "udp", NULL, 500, 1));

        r = nt_call("router.set_nat_v6",
                    "{\"lab\":\"%s\",\"name\":\"carrier\",\"nat_v6\":\"nat64\"}", k.lab);
        ck_assert_str_eq(pbt_str(r, "nat_v6"), "nat64");
        ck_assert(json_is_object(json_object_get(r, "nat64")));
        json_decref(r);
        ck_assert_msg(strstr(nt_sh(k.lab, "carrier", "ip -6 route show 64:ff9b::/96"), "nat64"),
                      "no route to the translator");
        ep = nt_probe_ok(k.lab, "phone", target, "udp", NULL);
        ck_assert_str_eq(ep.host, k.wan);

        /* Removed with its router, leaving another NAT64 router translating. */
        nt_router(k.lab, "carrier2", ",\"preset\":\"isp-v6\"");
        nt_device(k.lab, "phone2", "carrier2");
        json_decref(nt_call("device.remove", "{\"lab\":\"%s\",\"name\":\"phone\"}", k.lab));
        json_decref(nt_call("router.remove", "{\"lab\":\"%s\",\"name\":\"carrier\"}", k.lab));
        ep = nt_probe_ok(k.lab, "phone2", target, "udp", NULL);
        ck_assert_str_eq(ep.host, nt_wan(k.lab, "carrier2").ip);
}
END_TEST

Suite *
make_nat64_suite(void)
{
        Suite *s = suite_create("nat64");
        TCase *tc = tcase_create("nat64");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, nat64_udp_v6_to_v4);
        tcase_add_test(tc, nat64_tcp_v6_to_v4);
        tcase_add_test(tc, nat64_preserves_native_v6);
        tcase_add_test(tc, nat64_isp_v6_phone);
        tcase_add_test(tc, nat64_icmp_errors);
        tcase_add_test(tc, nat64_path_mtu);
        tcase_add_test(tc, nat64_two_phones_same_port);
        tcase_add_test(tc, nat64_live_toggle);
        suite_add_tcase(s, tc);
        return s;
}
