/* SPDX-License-Identifier: MIT */
/*
 * Changing live labs: default routes, replug, interfaces, addresses, link
 * state (ports of the reference suite's route and iface tests: C.6, C.7).
 * The observed source address comes from a reflector in the IX.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        json_decref(pbt_call(c, "router.add", "{\"lab\":\"t\",\"name\":\"dc-a\"}"));
        json_decref(pbt_call(c, "router.add", "{\"lab\":\"t\",\"name\":\"dc-b\"}"));
        json_decref(pbt_call(c, "router.add", "{\"lab\":\"t\",\"name\":\"srv\"}"));
        json_decref(pbt_call(c, "node.reflector",
                             "{\"lab\":\"t\",\"node\":\"ix\",\"bind\":\"198.18.0.1:3478\"}"));
        json_decref(pbt_call(c, "node.reflector",
                             "{\"lab\":\"t\",\"node\":\"ix\",\"bind\":\"198.18.0.1:3479\","
                             "\"proto\":\"tcp\"}"));
}

static void
teardown(void)
{
        c = pb_client_free(c);
        if (d.pid > 0)
                pbt_daemon_stop(&d);
}

/* The device's IPv4 as the IX sees it, over UDP or TCP. */
static const char *
observed(const char *dev, const char *proto)
{
        const char *o =
                pbt_probe(c, "t", dev, strcmp(proto, "tcp") ? "198.18.0.1:3478" : "198.18.0.1:3479",
                          proto, NULL);

        ck_assert_msg(o, "%s probe from %s failed", proto, dev);
        return pbt_host_of(o);
}

static json_t *
two_iface_device(void)
{
        return pbt_call(c, "device.add",
                        "{\"lab\":\"t\",\"name\":\"dev\",\"ifaces\":[{\"name\":\"eth0\",\"router\":"
                        "\"dc-a\"},{\"name\":\"eth1\",\"router\":\"dc-b\"}]}");
}

static const char *
iface_ip(json_t *dev, const char *name)
{
        json_t *i;
        size_t k;

        json_array_foreach (json_object_get(dev, "ifaces"), k, i) {
                if (strcmp(pbt_str(i, "name"), name) == 0)
                        return pbt_str(i, "ip");
        }
        ck_abort_msg("no iface %s", name);
        return NULL;
}

START_TEST(default_route_switch_changes_observed_address)
{
        json_t *dev = two_iface_device();
        char ip0[64], ip1[64];
        static const char *const protos[] = { "udp", "tcp" };

        snprintf(ip0, sizeof(ip0), "%s", iface_ip(dev, "eth0"));
        snprintf(ip1, sizeof(ip1), "%s", iface_ip(dev, "eth1"));
        ck_assert_str_eq(pbt_str(dev, "default_via"), "eth0");
        for (int round = 0; round < 3; round++) {
                for (size_t p = 0; p < 2; p++)
                        ck_assert_str_eq(observed("dev", protos[p]), round % 2 ? ip1 : ip0);
                json_decref(dev);
                dev = pbt_callf(c, "device.set_default_route",
                                "{\"lab\":\"t\",\"name\":\"dev\",\"iface\":\"%s\"}",
                                round % 2 ? "eth0" : "eth1");
                ck_assert_str_eq(pbt_str(dev, "ip"), round % 2 ? ip0 : ip1);
        }
        json_decref(dev);
}
END_TEST

START_TEST(replug_moves_to_another_subnet)
{
        json_t *dev, *r;
        char before[64];

        r = pbt_call(c, "router.add",
                     "{\"lab\":\"t\",\"name\":\"dc-c\",\"downstream_cidr\":\"172.20.0.0/24\"}");
        json_decref(r);
        dev = pbt_call(c, "device.add",
                       "{\"lab\":\"t\",\"name\":\"dev\",\"ifaces\":[{\"name\":\"eth0\",\"router\":"
                       "\"dc-a\"}]}");
        snprintf(before, sizeof(before), "%s", pbt_str(dev, "ip"));
        ck_assert(strncmp(before, "198.", 4) == 0);
        ck_assert_str_eq(observed("dev", "udp"), before);
        json_decref(dev);
        dev = pbt_call(c, "iface.replug",
                       "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth0\",\"router\":\"dc-c\"}");
        ck_assert(strncmp(pbt_str(dev, "ip"), "172.20.0.", 9) == 0);
        ck_assert_str_ne(pbt_str(dev, "ip"), before);
        ck_assert_str_eq(observed("dev", "udp"), pbt_str(dev, "ip"));
        ck_assert_str_eq(observed("dev", "tcp"), pbt_str(dev, "ip"));
        /* The old address is gone from the lab. */
        ck_assert(!pbt_ping(c, "t", "srv", before));
        json_decref(dev);
}
END_TEST

START_TEST(interfaces_come_and_go)
{
        json_t *dev;
        struct pb_error e;

        dev = pbt_call(c, "device.add",
                       "{\"lab\":\"t\",\"name\":\"dev\",\"ifaces\":[{\"name\":\"eth0\",\"router\":"
                       "\"dc-a\"}]}");
        json_decref(dev);
        dev = pbt_call(c, "iface.add",
                       "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth1\",\"router\":\"dc-b\"}");
        ck_assert_int_eq(json_array_size(json_object_get(dev, "ifaces")), 2);
        ck_assert(strncmp(iface_ip(dev, "eth1"), "198.", 4) == 0);
        ck_assert_str_eq(pbt_str(dev, "default_via"), "eth0"); /* Adding does not move it. */
        json_decref(dev);
        dev = pbt_call(c, "device.set_default_route",
                       "{\"lab\":\"t\",\"name\":\"dev\",\"iface\":\"eth1\"}");
        ck_assert_str_eq(observed("dev", "udp"), iface_ip(dev, "eth1"));
        json_decref(dev);
        dev = pbt_call(c, "iface.remove", "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth0\"}");
        ck_assert_int_eq(json_array_size(json_object_get(dev, "ifaces")), 1);
        ck_assert_str_eq(observed("dev", "udp"), iface_ip(dev, "eth1"));
        json_decref(dev);
        e = pbt_call_fail(c, "iface.remove",
                          "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth1\"}");
        ck_assert_str_eq(e.name, "patchbay.InvalidState");
        e = pbt_call_fail(
                c, "iface.add",
                "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth1\",\"router\":\"dc-a\"}");
        ck_assert_str_eq(e.name, "patchbay.NameTaken");
        e = pbt_call_fail(c, "iface.up", "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth7\"}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchIface");
}
END_TEST

START_TEST(removing_the_default_iface_moves_the_route)
{
        json_t *dev = two_iface_device();

        json_decref(dev);
        dev = pbt_call(c, "iface.remove", "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth0\"}");
        ck_assert_str_eq(pbt_str(dev, "default_via"), "eth1");
        /* Unlike the reference, the kernel route follows the model. */
        ck_assert_str_eq(observed("dev", "udp"), iface_ip(dev, "eth1"));
        json_decref(dev);
}
END_TEST

START_TEST(renew_ip_gives_a_new_address)
{
        json_t *dev, *relay;
        char old[64];

        dev = pbt_call(c, "device.add",
                       "{\"lab\":\"t\",\"name\":\"dev\",\"ifaces\":[{\"name\":\"eth0\",\"router\":"
                       "\"dc-a\"}]}");
        relay = pbt_call(c, "device.add",
                         "{\"lab\":\"t\",\"name\":\"relay\",\"ifaces\":[{\"name\":\"eth0\","
                         "\"router\":\"dc-b\"}]}");
        snprintf(old, sizeof(old), "%s", pbt_str(dev, "ip"));
        ck_assert(pbt_ping(c, "t", "relay", old));
        json_decref(dev);
        dev = pbt_call(c, "iface.renew_ip",
                       "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth0\"}");
        ck_assert_str_ne(pbt_str(dev, "ip"), old);
        ck_assert_str_eq(observed("dev", "udp"), pbt_str(dev, "ip"));
        ck_assert(pbt_ping(c, "t", "relay", pbt_str(dev, "ip")));
        ck_assert(!pbt_ping(c, "t", "relay", old));
        json_decref(dev);
        json_decref(relay);
}
END_TEST

START_TEST(secondary_address)
{
        json_t *dev, *relay;

        dev = pbt_call(c, "device.add",
                       "{\"lab\":\"t\",\"name\":\"dev\",\"ifaces\":[{\"name\":\"eth0\",\"router\":"
                       "\"dc-a\"}]}");
        json_decref(dev);
        dev = pbt_call(
                c, "iface.add_ip",
                "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth0\",\"ip\":\"198.18.1.200\","
                "\"prefix\":24}");
        ck_assert_str_eq(json_string_value(json_array_get(
                                 json_object_get(json_array_get(json_object_get(dev, "ifaces"), 0),
                                                 "extra_ips"),
                                 0)),
                         "198.18.1.200/24");
        relay = pbt_call(c, "device.add",
                         "{\"lab\":\"t\",\"name\":\"relay\",\"ifaces\":[{\"name\":\"eth0\","
                         "\"router\":\"dc-a\"}]}");
        ck_assert(pbt_ping(c, "t", "relay", pbt_str(dev, "ip")));
        ck_assert(pbt_ping(c, "t", "relay", "198.18.1.200"));
        json_decref(dev);
        json_decref(relay);
}
END_TEST

START_TEST(link_down_and_up)
{
        json_t *dev;

        dev = pbt_call(c, "device.add",
                       "{\"lab\":\"t\",\"name\":\"dev\",\"ifaces\":[{\"name\":\"eth0\",\"router\":"
                       "\"dc-a\"}]}");
        ck_assert(pbt_ping(c, "t", "dev", "198.18.0.1"));
        json_decref(dev);
        dev = pbt_call(c, "iface.down", "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth0\"}");
        ck_assert(json_is_false(
                json_object_get(json_array_get(json_object_get(dev, "ifaces"), 0), "up")));
        ck_assert(!pbt_ping(c, "t", "dev", "198.18.0.1"));
        json_decref(dev);
        dev = pbt_call(c, "iface.up", "{\"lab\":\"t\",\"device\":\"dev\",\"iface\":\"eth0\"}");
        /* The default route came back with the link. */
        ck_assert(pbt_ping(c, "t", "dev", "198.18.0.1"));
        ck_assert_str_eq(observed("dev", "udp"), pbt_str(dev, "ip"));
        json_decref(dev);
}
END_TEST

Suite *
make_dynamic_suite(void)
{
        Suite *s = suite_create("dynamic");
        TCase *tc = tcase_create("dynamic");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, default_route_switch_changes_observed_address);
        tcase_add_test(tc, replug_moves_to_another_subnet);
        tcase_add_test(tc, interfaces_come_and_go);
        tcase_add_test(tc, removing_the_default_iface_moves_the_route);
        tcase_add_test(tc, renew_ip_gives_a_new_address);
        tcase_add_test(tc, secondary_address);
        tcase_add_test(tc, link_down_and_up);
        suite_add_tcase(s, tc);
        return s;
}
