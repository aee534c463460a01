/* SPDX-License-Identifier: MIT */
/*
 * Suite "ipv6": the reference suite's ipv6.rs (C.11), checked with real
 * traffic.  What routers and devices report about their IPv6 side, that a
 * v6-only LAN has no IPv4 at all, and that dual-stack devices are seen
 * with their own public addresses in each family, and behind a home NAT
 * with NPTv6 as translated ones.
 */
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "nat-util.h"
#include "suites.h"
#include "topo.h"

static bool
is_v6(const char *ip)
{
        struct in6_addr a;

        return inet_pton(AF_INET6, ip, &a) == 1;
}

static bool
is_v4(const char *ip)
{
        struct in_addr a;

        return inet_pton(AF_INET, ip, &a) == 1;
}

static json_t *
get(const char *method, const char *name)
{
        return nt_call(method, "{\"lab\":\"v6\",\"name\":\"%s\"}", name);
}

static bool
has_string(json_t *obj, const char *key)
{
        return json_is_string(json_object_get(obj, key));
}

/* router_accessors + device_accessors. */
START_TEST(accessors)
{
        json_t *dc, *dc4, *d, *d4, *up, *down;

        nt_lab("v6");
        nt_router("v6", "dc", ",\"ip_support\":\"dual-stack\",\"nat_v6\":\"masquerade\"");
        nt_router("v6", "dc4", NULL);
        nt_device("v6", "dev1", "dc");
        nt_device("v6", "dev4", "dc4");

        dc = get("router.get", "dc");
        ck_assert_str_eq(pbt_str(dc, "ip_support"), "dual-stack");
        ck_assert_str_eq(pbt_str(dc, "nat_v6"), "masquerade");
        up = json_object_get(dc, "uplink");
        down = json_object_get(dc, "downstream");
        ck_assert(is_v6(pbt_str(up, "ip6")) && is_v4(pbt_str(up, "ip")));
        ck_assert(has_string(down, "cidr6") && is_v6(pbt_str(down, "gw6")));
        json_decref(dc);

        dc4 = get("router.get", "dc4");
        ck_assert_str_eq(pbt_str(dc4, "ip_support"), "v4-only");
        ck_assert(!has_string(json_object_get(dc4, "uplink"), "ip6"));
        ck_assert(!has_string(json_object_get(dc4, "downstream"), "cidr6"));
        ck_assert(!has_string(json_object_get(dc4, "downstream"), "gw6"));
        json_decref(dc4);

        d = get("device.get", "dev1");
        ck_assert(is_v6(pbt_str(d, "ip6")));
        ck_assert_str_eq(pbt_str(json_array_get(json_object_get(d, "ifaces"), 0), "ip6"),
                         pbt_str(d, "ip6"));
        json_decref(d);
        d4 = get("device.get", "dev4");
        ck_assert(!has_string(d4, "ip6"));
        ck_assert(!has_string(json_array_get(json_object_get(d4, "ifaces"), 0), "ip6"));
        json_decref(d4);
}
END_TEST

/*
 * v6_only_no_v4_routes + v6_only_tcp_roundtrip: a v6-only LAN reaches its
 * router over UDP and TCP with the device's own address, and has no IPv4
 * address or route at all, so the IX's IPv4 gateway is unreachable.
 */
START_TEST(v6_only)
{
        struct nt_addrs w, d;
        char t[96];
        json_t *lab;

        lab = nt_call("lab.create", "{\"name\":\"v6\"}");
        nt_router("v6", "dc", ",\"ip_support\":\"v6-only\"");
        nt_device("v6", "dev1", "dc");
        w = nt_wan("v6", "dc");
        d = nt_dev("v6", "dev1");
        ck_assert_str_eq(w.ip, "");
        ck_assert_str_eq(d.ip, "");

        snprintf(t, sizeof(t), "[%s]:3491", w.ip6);
        nt_reflector("v6", "dc", t, "udp");
        ck_assert_str_eq(nt_probe_ok("v6", "dev1", t, "udp", NULL).host, d.ip6);
        snprintf(t, sizeof(t), "[%s]:20200", w.ip6);
        nt_reflector("v6", "dc", t, "tcp");
        ck_assert_str_eq(nt_probe_ok("v6", "dev1", t, "tcp", NULL).host, d.ip6);

        ck_assert_str_eq(nt_sh("v6", "dev1", "ip -4 -o addr show scope global | wc -l"), "0\n");
        ck_assert_str_eq(nt_sh("v6", "dev1", "ip -4 route show | wc -l"), "0\n");
        ck_assert(nt_unreachable("v6", "dev1", pbt_str(json_object_get(lab, "ix"), "gw4")));
        json_decref(lab);
}
END_TEST

/* dual_stack_public_addrs: each family sees the device's own public address. */
START_TEST(dual_stack_public_addrs)
{
        struct nt_addrs w, d;
        char t4[96], t6[96];

        nt_lab("v6");
        nt_router("v6", "dc", ",\"ip_support\":\"dual-stack\"");
        nt_device("v6", "dev1", "dc");
        w = nt_wan("v6", "dc");
        d = nt_dev("v6", "dev1");
        snprintf(t4, sizeof(t4), "%s:3492", w.ip);
        snprintf(t6, sizeof(t6), "[%s]:3493", w.ip6);
        nt_reflector("v6", "dc", t4, "udp");
        nt_reflector("v6", "dc", t6, "udp");
        ck_assert_str_eq(nt_probe_ok("v6", "dev1", t4, "udp", NULL).host, d.ip);
        ck_assert_str_eq(nt_probe_ok("v6", "dev1", t6, "udp", NULL).host, d.ip6);
}
END_TEST

/*
 * dual_stack_home_nat_udp: a server device on a public router; a device
 * behind a dual-stack home router with NPTv6 is seen through NAT in IPv4
 * (the router's WAN address) and with a translated prefix in IPv6.
 */
START_TEST(dual_stack_home_nat_udp)
{
        struct nt_addrs srv, nat, d;
        struct nt_ep e4, e6;
        char t4[96], t6[96];

        nt_lab("v6");
        nt_router("v6", "dc", ",\"ip_support\":\"dual-stack\"");
        nt_device("v6", "server", "dc");
        nt_router("v6", "nat",
                  ",\"nat\":\"home\",\"nat_v6\":\"nptv6\",\"ip_support\":\"dual-stack\"");
        nt_device("v6", "dev", "nat");
        srv = nt_dev("v6", "server");
        nat = nt_wan("v6", "nat");
        d = nt_dev("v6", "dev");
        ck_assert(is_v4(d.ip) && is_v6(d.ip6));
        snprintf(t4, sizeof(t4), "%s:3478", srv.ip);
        snprintf(t6, sizeof(t6), "[%s]:3479", srv.ip6);
        nt_reflector("v6", "server", t4, "udp");
        nt_reflector("v6", "server", t6, "udp");

        e4 = nt_probe_ok("v6", "dev", t4, "udp", NULL);
        ck_assert_str_eq(e4.host, nat.ip);
        ck_assert_str_ne(e4.host, d.ip);
        e6 = nt_probe_ok("v6", "dev", t6, "udp", NULL);
        ck_assert_msg(is_v6(e6.host), "v6 mapping %s", e6.host);
        ck_assert_str_ne(e6.host, d.ip6);
}
END_TEST

Suite *
make_ipv6_suite(void)
{
        Suite *s = suite_create("ipv6");
        TCase *tc = tcase_create("ipv6");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, accessors);
        tcase_add_test(tc, v6_only);
        tcase_add_test(tc, dual_stack_public_addrs);
        tcase_add_test(tc, dual_stack_home_nat_udp);
        suite_add_tcase(s, tc);
        return s;
}
