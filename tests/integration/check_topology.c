/* SPDX-License-Identifier: MIT */
/*
 * Labs, routers, devices and addressing, checked with real traffic (ports of
 * the reference suite's smoke, lifecycle, alloc and mtu tests: C.1, C.13-C.15).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "topo.h"

static struct pbt_daemon d;
static struct pb_client *c;

static void
setup(void)
{
        memset(&d, 0, sizeof(d));
        pbt_daemon_start(&d, NULL);
        c = pbt_connect(&d);
        json_decref(pbt_call(c, "lab.create", "{\"name\":\"t\"}"));
}

static void
teardown(void)
{
        /* The lab is a session lab: closing the client destroys it. */
        c = pb_client_free(c);
        if (d.pid > 0)
                pbt_daemon_stop(&d);
}

static json_t *
router(const char *name, const char *extra)
{
        return pbt_callf(c, "router.add", "{\"lab\":\"t\",\"name\":\"%s\"%s%s}", name,
                         extra ? "," : "", extra ? extra : "");
}

static json_t *
device(const char *name, const char *router_name)
{
        return pbt_callf(c, "device.add",
                         "{\"lab\":\"t\",\"name\":\"%s\",\"ifaces\":[{\"name\":\"eth0\","
                         "\"router\":\"%s\"}]}",
                         name, router_name);
}

static const char *
uplink_ip(json_t *r)
{
        return pbt_str(json_object_get(r, "uplink"), "ip");
}

START_TEST(smoke_pings)
{
        json_t *dc1 = router("dc1", NULL), *dc2 = router("dc2", NULL);
        json_t *dev1 = device("dev1", "dc1"), *dev2 = device("dev2", "dc2");
        json_t *dev3 = device("dev3", "dc1");

        /* ping_gateway, ping_same_lan, across routers through the IX. */
        ck_assert(pbt_ping(c, "t", "dev1", pbt_str(json_object_get(dc1, "downstream"), "gw")));
        ck_assert(pbt_ping(c, "t", "dev1", pbt_str(dev3, "ip")));
        ck_assert(pbt_ping(c, "t", "dev1", pbt_str(dev2, "ip")));
        ck_assert(pbt_ping(c, "t", "dev2", pbt_str(dev1, "ip")));
        /* ping_isp_to_ix_and_dc: from a router to the IX gateway and another router. */
        ck_assert(pbt_ping(c, "t", "dc1", "198.18.0.1"));
        ck_assert(pbt_ping(c, "t", "dc1", uplink_ip(dc2)));
        /* The IX node reaches every public LAN. */
        ck_assert(pbt_ping(c, "t", "ix", pbt_str(dev2, "ip")));
        /* An address nobody has does not answer. */
        ck_assert(!pbt_ping(c, "t", "dev1", "198.18.2.77"));
        json_decref(dc1);
        json_decref(dc2);
        json_decref(dev1);
        json_decref(dev2);
        json_decref(dev3);
}
END_TEST

START_TEST(addressing_plan)
{
        json_t *dc = router("dc", "\"ip_support\":\"dual-stack\"");
        json_t *dc2 = router("dc2", "\"ip_support\":\"dual-stack\"");
        json_t *dev1 = device("dev1", "dc"), *sub, *dev2;
        json_t *up = json_object_get(dc, "uplink"), *down = json_object_get(dc, "downstream");

        /* SPEC §3: IX routers from .10 / ::10, LANs from the public pools, hosts in build order. */
        ck_assert_str_eq(pbt_str(up, "iface"), "ix");
        ck_assert_str_eq(pbt_str(up, "ip"), "198.18.0.10");
        ck_assert_str_eq(pbt_str(up, "ip6"), "2001:db8::10");
        ck_assert_str_eq(uplink_ip(dc2), "198.18.0.11");
        ck_assert_str_eq(pbt_str(down, "cidr"), "198.18.1.0/24");
        ck_assert_str_eq(pbt_str(down, "gw"), "198.18.1.1");
        ck_assert_str_eq(pbt_str(down, "cidr6"), "2001:db8:1:1::/64");
        ck_assert_str_eq(pbt_str(down, "gw6"), "2001:db8:1:1::1");
        ck_assert(strncmp(pbt_str(down, "ll6"), "fe80::", 6) == 0);
        ck_assert_str_eq(pbt_str(dev1, "ip"), "198.18.1.2");
        ck_assert_str_eq(pbt_str(dev1, "ip6"), "2001:db8:1:1::2");
        /* A sub-router takes the next host of its parent's LAN, shared with devices. */
        sub = router("sub", "\"upstream\":\"dc\"");
        ck_assert_str_eq(pbt_str(json_object_get(sub, "uplink"), "iface"), "wan");
        ck_assert_str_eq(uplink_ip(sub), "198.18.1.3");
        dev2 = device("dev2", "dc");
        ck_assert_str_eq(pbt_str(dev2, "ip"), "198.18.1.4");
        /* The device behind the sub-router is reachable from everywhere (routes via all hops). */
        json_decref(dev2);
        dev2 = device("deep", "sub");
        ck_assert(pbt_ping(c, "t", "dev1", pbt_str(dev2, "ip")));
        ck_assert(pbt_ping(c, "t", "ix", pbt_str(dev2, "ip")));
        ck_assert(pbt_ping(c, "t", "dc2", pbt_str(dev2, "ip")));
        json_decref(dc);
        json_decref(dc2);
        json_decref(dev1);
        json_decref(dev2);
        json_decref(sub);
}
END_TEST

START_TEST(custom_downstream_cidr)
{
        json_t *dc = router("dc", NULL);
        json_t *custom = router("custom", "\"downstream_cidr\":\"172.30.99.0/24\"");
        json_t *down = json_object_get(custom, "downstream");
        json_t *dev = device("dev", "custom"), *other = device("other", "dc");

        ck_assert_str_eq(pbt_str(down, "gw"), "172.30.99.1");
        ck_assert_str_eq(pbt_str(down, "cidr"), "172.30.99.0/24");
        ck_assert_str_eq(pbt_str(dev, "ip"), "172.30.99.2");
        ck_assert(pbt_ping(c, "t", "other", "172.30.99.2"));
        /* Overlapping another LAN is refused. */
        {
                struct pb_error e = pbt_call_fail(
                        c, "router.add",
                        "{\"lab\":\"t\",\"name\":\"x\",\"downstream_cidr\":\"172.30.99.0/25\"}");

                ck_assert_str_eq(e.name, "patchbay.InUse");
                ck_assert_str_eq(e.parameter, "downstream_cidr");
        }
        json_decref(dc);
        json_decref(custom);
        json_decref(dev);
        json_decref(other);
}
END_TEST

START_TEST(ip_support_modes)
{
        json_t *v6 = router("v6", "\"ip_support\":\"v6-only\"");
        json_t *ds = router("ds", "\"ip_support\":\"dual-stack\"");
        json_t *v4 = router("v4", NULL);
        json_t *d6 = device("d6", "v6"), *dds = device("dds", "ds"), *d4 = device("d4", "v4");
        char cmd[128];

        /* v6-only: no IPv4 anywhere on the router or its devices. */
        ck_assert(json_is_null(json_object_get(json_object_get(v6, "uplink"), "ip")));
        ck_assert(json_is_null(json_object_get(json_object_get(v6, "downstream"), "cidr")));
        ck_assert(json_is_null(json_object_get(d6, "ip")));
        ck_assert(json_is_string(json_object_get(d6, "ip6")));
        /* v4-only: no IPv6. */
        ck_assert(json_is_null(json_object_get(d4, "ip6")));
        ck_assert(json_is_null(json_object_get(json_object_get(v4, "uplink"), "ip6")));

        /* v6 between v6-only and dual-stack devices, v4 between v4 ones. */
        ck_assert(pbt_ping(c, "t", "d6", pbt_str(dds, "ip6")));
        ck_assert(pbt_ping(c, "t", "dds", pbt_str(d6, "ip6")));
        ck_assert(pbt_ping(c, "t", "d4", pbt_str(dds, "ip")));
        /* And not across families. */
        ck_assert(!pbt_ping(c, "t", "d6", pbt_str(dds, "ip")));
        ck_assert(!pbt_ping(c, "t", "d4", pbt_str(dds, "ip6")));
        /* The device has exactly its addresses, DAD off (no "tentative"). */
        snprintf(cmd, sizeof(cmd), "ip -6 addr show dev eth0");
        {
                struct pbt_exec x = pbt_exec(c, "t", "dds", cmd);

                ck_assert_int_eq(x.exit_code, 0);
                ck_assert_ptr_nonnull(strstr(x.out, pbt_str(dds, "ip6")));
                ck_assert_ptr_null(strstr(x.out, "tentative"));
        }
        json_decref(v6);
        json_decref(ds);
        json_decref(v4);
        json_decref(d6);
        json_decref(dds);
        json_decref(d4);
}
END_TEST

START_TEST(names_are_checked)
{
        struct pb_error e;

        json_decref(router("dc", NULL));
        e = pbt_call_fail(c, "router.add", "{\"lab\":\"t\",\"name\":\"region_x\"}");
        ck_assert_str_eq(e.name, "patchbay.InvalidParams");
        ck_assert_ptr_nonnull(strstr(e.message, "reserved"));
        e = pbt_call_fail(c, "router.add", "{\"lab\":\"t\",\"name\":\"ix\"}");
        ck_assert_ptr_nonnull(strstr(e.message, "reserved"));
        e = pbt_call_fail(c, "router.add", "{\"lab\":\"t\",\"name\":\"Dc\"}");
        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
        ck_assert_str_eq(e.parameter, "name");
        e = pbt_call_fail(c, "router.add", "{\"lab\":\"t\",\"name\":\"dc\"}");
        ck_assert_str_eq(e.name, "patchbay.NameTaken");
        e = pbt_call_fail(c, "device.add",
                          "{\"lab\":\"t\",\"name\":\"dc\",\"ifaces\":[{\"name\":\"e0\","
                          "\"router\":\"dc\"}]}");
        ck_assert_str_eq(e.name, "patchbay.NameTaken");
        e = pbt_call_fail(c, "lab.create", "{\"name\":\"t\"}");
        ck_assert_str_eq(e.name, "patchbay.NameTaken");
        e = pbt_call_fail(c, "router.add", "{\"lab\":\"nolab\",\"name\":\"x\"}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchLab");
}
END_TEST

START_TEST(failed_device_add_changes_nothing)
{
        static const char *const bad[] = {
                /* unknown router */
                "{\"lab\":\"t\",\"name\":\"d\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"dc\"},"
                "{\"name\":\"eth1\",\"router\":\"nope\"}]}",
                /* bad device name */
                "{\"lab\":\"t\",\"name\":\"-bad\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"dc\"}"
                "]}",
                /* duplicate interface */
                "{\"lab\":\"t\",\"name\":\"d\",\"ifaces\":[{\"name\":\"eth0\",\"router\":\"dc\"},"
                "{\"name\":\"eth0\",\"router\":\"dc\"}]}",
                /* default_via not an interface */
                "{\"lab\":\"t\",\"name\":\"d\",\"default_via\":\"eth9\",\"ifaces\":[{\"name\":"
                "\"eth0\",\"router\":\"dc\"}]}",
        };
        static const char *const names[] = { "patchbay.NoSuchNode", "patchbay.InvalidParams",
                                             "patchbay.NameTaken", "patchbay.NoSuchIface" };
        char *before, *after;
        struct pbt_exec links_before, links_after;
        json_t *dev;

        json_decref(router("dc", NULL));
        json_decref(device("first", "dc"));
        before = pbt_state_text(c, "t");
        links_before = pbt_exec(c, "t", "dc", "ip -o link | wc -l");
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct pb_error e = pbt_call_fail(c, "device.add", bad[i]);

                ck_assert_str_eq(e.name, names[i]);
        }
        after = pbt_state_text(c, "t");
        ck_assert_str_eq(before, after);
        /* Nor did the router keep a half-made port. */
        links_after = pbt_exec(c, "t", "dc", "ip -o link | wc -l");
        ck_assert_str_eq(links_before.out, links_after.out);
        /* And the next device gets the address the failed ones did not keep. */
        dev = device("second", "dc");
        ck_assert_str_eq(pbt_str(dev, "ip"), "198.18.1.3");
        json_decref(dev);
        free(before);
        free(after);
}
END_TEST

START_TEST(router_removal_rules)
{
        struct pb_error e;
        json_t *sub;

        json_decref(router("dc", NULL));
        json_decref(device("dev", "dc"));
        e = pbt_call_fail(c, "router.remove", "{\"lab\":\"t\",\"name\":\"dc\"}");
        ck_assert_str_eq(e.name, "patchbay.InUse");
        ck_assert_ptr_nonnull(strstr(e.message, "still connected"));
        ck_assert_ptr_nonnull(strstr(e.message, "dev"));
        json_decref(pbt_call(c, "device.remove", "{\"lab\":\"t\",\"name\":\"dev\"}"));
        sub = router("sub", "\"upstream\":\"dc\"");
        e = pbt_call_fail(c, "router.remove", "{\"lab\":\"t\",\"name\":\"dc\"}");
        ck_assert_ptr_nonnull(strstr(e.message, "router 'sub'"));
        json_decref(pbt_call(c, "router.remove", "{\"lab\":\"t\",\"name\":\"sub\"}"));
        json_decref(pbt_call(c, "router.remove", "{\"lab\":\"t\",\"name\":\"dc\"}"));
        e = pbt_call_fail(c, "router.get", "{\"lab\":\"t\",\"name\":\"dc\"}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchNode");
        e = pbt_call_fail(c, "device.get", "{\"lab\":\"t\",\"name\":\"dev\"}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchNode");
        /* Removed addresses are reused: a new router gets .10 again. */
        json_decref(sub);
        sub = router("again", NULL);
        ck_assert_str_eq(uplink_ip(sub), "198.18.0.10");
        json_decref(sub);
}
END_TEST

/*
 * An address taken over by a new node right after its old owner went is
 * reachable at once: the new node announces it (gratuitous ARP / unsolicited
 * NA), so neighbours that still know the old MAC learn the new one.
 */
START_TEST(reused_addresses_are_reachable_at_once)
{
        json_t *a = router("a", "\"ip_support\":\"dual-stack\"");
        json_t *b = router("b", "\"ip_support\":\"dual-stack\"");
        json_t *d1 = device("d1", "a"), *d2;
        char ip[64], ip6[64], dip[64], dip6[64];

        snprintf(ip, sizeof(ip), "%s", uplink_ip(b));
        snprintf(ip6, sizeof(ip6), "%s", pbt_str(json_object_get(b, "uplink"), "ip6"));
        snprintf(dip, sizeof(dip), "%s", pbt_str(d1, "ip"));
        snprintf(dip6, sizeof(dip6), "%s", pbt_str(d1, "ip6"));
        /* Neighbours learn the first owners' MACs. */
        ck_assert(pbt_ping(c, "t", "a", ip));
        ck_assert(pbt_ping(c, "t", "a", ip6));
        ck_assert(pbt_ping(c, "t", "a", dip));
        ck_assert(pbt_ping(c, "t", "a", dip6));

        json_decref(pbt_call(c, "router.remove", "{\"lab\":\"t\",\"name\":\"b\"}"));
        json_decref(pbt_call(c, "device.remove", "{\"lab\":\"t\",\"name\":\"d1\"}"));
        json_decref(b);
        b = router("b2", "\"ip_support\":\"dual-stack\"");
        d2 = device("d2", "a");
        ck_assert_str_eq(uplink_ip(b), ip);
        ck_assert_str_eq(pbt_str(json_object_get(b, "uplink"), "ip6"), ip6);
        ck_assert_str_eq(pbt_str(d2, "ip"), dip);
        ck_assert_str_eq(pbt_str(d2, "ip6"), dip6);
        ck_assert_msg(pbt_ping(c, "t", "a", ip), "a -> %s (new router) unanswered", ip);
        ck_assert_msg(pbt_ping(c, "t", "a", ip6), "a -> %s (new router) unanswered", ip6);
        ck_assert_msg(pbt_ping(c, "t", "a", dip), "a -> %s (new device) unanswered", dip);
        ck_assert_msg(pbt_ping(c, "t", "a", dip6), "a -> %s (new device) unanswered", dip6);
        json_decref(a);
        json_decref(b);
        json_decref(d1);
        json_decref(d2);
}
END_TEST

START_TEST(pools_exhaust_cleanly)
{
        struct pb_error e;
        char *before, *after;

        /* A /28 IX holds routers at .10 to .14 only. */
        json_decref(pbt_call(c, "lab.create",
                             "{\"name\":\"small\",\"addressing\":{\"ix4\":\"198.18.0.0/28\"}}"));
        for (int i = 0; i < 5; i++)
                json_decref(pbt_callf(c, "router.add", "{\"lab\":\"small\",\"name\":\"r%d\"}", i));
        before = pbt_state_text(c, "small");
        e = pbt_call_fail(c, "router.add", "{\"lab\":\"small\",\"name\":\"r5\"}");
        ck_assert_str_eq(e.name, "patchbay.PoolExhausted");
        after = pbt_state_text(c, "small");
        ck_assert_str_eq(before, after);
        /* A /30 LAN has one host besides its gateway. */
        json_decref(router("tiny", "\"downstream_cidr\":\"172.31.0.0/30\""));
        json_decref(device("only", "tiny"));
        e = pbt_call_fail(c, "device.add",
                          "{\"lab\":\"t\",\"name\":\"more\",\"ifaces\":[{\"name\":\"eth0\","
                          "\"router\":\"tiny\"}]}");
        ck_assert_str_eq(e.name, "patchbay.PoolExhausted");
        free(before);
        free(after);
}
END_TEST

START_TEST(add_device_after_build)
{
        json_t *dc = router("dc", NULL), *dev1 = device("dev1", "dc"), *dev2;

        ck_assert(pbt_ping(c, "t", "dev1", "198.18.0.1"));
        dev2 = device("dev2", "dc");
        ck_assert_str_ne(pbt_str(dev2, "ip"), pbt_str(dev1, "ip"));
        ck_assert(pbt_ping(c, "t", "dev2", pbt_str(dev1, "ip")));
        ck_assert(pbt_ping(c, "t", "dev1", pbt_str(dev2, "ip")));
        json_decref(dc);
        json_decref(dev1);
        json_decref(dev2);
}
END_TEST

START_TEST(mtu_is_applied)
{
        struct pbt_exec x;
        const char *p;
        int n = 0;

        json_decref(router("dc", "\"mtu\":1400"));
        json_decref(pbt_call(c, "device.add",
                             "{\"lab\":\"t\",\"name\":\"dev\",\"mtu\":1400,\"ifaces\":[{\"name\":"
                             "\"eth0\",\"router\":\"dc\"}]}"));
        x = pbt_exec(c, "t", "dev", "ip link show eth0");
        ck_assert_ptr_nonnull(strstr(x.out, "mtu 1400"));
        x = pbt_exec(c, "t", "dc", "ip link show");
        for (p = x.out; (p = strstr(p, "mtu 1400")); p++)
                n++;
        ck_assert_int_ge(n, 2); /* The uplink and the LAN bridge. */
        /* Big packets do not fit, small ones do (DF set by ping -M do). */
        ck_assert_int_ne(
                pbt_exec(c, "t", "dev", "ping -n -c1 -W1 -M do -s 1450 198.18.0.1").exit_code, 0);
        ck_assert_int_eq(
                pbt_exec(c, "t", "dev", "ping -n -c1 -W2 -M do -s 1300 198.18.0.1").exit_code, 0);
}
END_TEST

Suite *
make_topology_suite(void)
{
        Suite *s = suite_create("topology");
        TCase *tc = tcase_create("build");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, smoke_pings);
        tcase_add_test(tc, addressing_plan);
        tcase_add_test(tc, custom_downstream_cidr);
        tcase_add_test(tc, ip_support_modes);
        tcase_add_test(tc, names_are_checked);
        tcase_add_test(tc, failed_device_add_changes_nothing);
        tcase_add_test(tc, router_removal_rules);
        tcase_add_test(tc, reused_addresses_are_reachable_at_once);
        tcase_add_test(tc, pools_exhaust_cleanly);
        tcase_add_test(tc, add_device_after_build);
        tcase_add_test(tc, mtu_is_applied);
        suite_add_tcase(s, tc);
        return s;
}
