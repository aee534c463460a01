/* SPDX-License-Identifier: MIT */
/*
 * Suite "nat": the NAT contract of SPEC §4 observed with real traffic (the
 * reference suite's nat.rs and nat_rebind.rs, C.2 and C.3, with stronger
 * assertions): reflexive addresses for every mode and wiring, mapping
 * behaviour (port preservation, EIM vs EDM), isolation, live changes,
 * conntrack flushes and timeouts, IPv6 NAT, and an RFC 4787 classification
 * of every mode compared with the SPEC table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "nat-util.h"
#include "suites.h"
#include "topo.h"

enum mapping { MAP_NONE, MAP_EIM, MAP_EDM, MAP_MASQ };

static const struct mode {
        const char *name, *json;
        enum mapping mapping;
} modes[] = {
        { "none", "\"nat\":\"none\"", MAP_NONE },
        { "home", "\"nat\":\"home\"", MAP_EIM },
        { "corporate", "\"nat\":\"corporate\"", MAP_EDM },
        { "cloud-nat", "\"nat\":\"cloud-nat\"", MAP_EDM },
        { "full-cone", "\"nat\":\"full-cone\"", MAP_EIM },
        { "cgnat", "\"nat\":\"cgnat\"", MAP_MASQ },
        { "custom-eim-apdf", "\"nat_config\":{\"mapping\":\"eim\",\"filtering\":\"apdf\"}",
          MAP_EIM },
        { "custom-edm", "\"nat_config\":{\"mapping\":\"edm\"}", MAP_EDM },
};

#define N_MODES (sizeof(modes) / sizeof(modes[0]))

/*
 * Every mode x wiring: the reflexive address (UDP and TCP, two reflectors) is
 * the outermost NAT's WAN address (the device's own for "none" not behind a
 * CGNAT); EIM keeps the local port towards both reflectors, EDM does not;
 * behind the CGNAT ISP the NAT router's WAN is a 10.x address.
 */
START_TEST(reflexive_address_and_mapping_matrix)
{
        static char fails[16384];
        static const char *const protos[] = { "udp", "tcp" };

        fails[0] = '\0';
        for (size_t m = 0; m < N_MODES; m++) {
                for (int w = NT_DIRECT; w <= NT_CGNAT_ISP; w++) {
                        const char *what = modes[m].name, *wire = nt_wiring_name[w];
                        unsigned lport = 40000 + (unsigned)(m * 3 + w);
                        char lab[32], bind[32];
                        struct nt_case k;
                        struct nt_ep a, b;

                        snprintf(lab, sizeof(lab), "m%zu-%d", m, w);
                        nt_build_nat_case(&k, lab, modes[m].json, (enum nt_wiring)w);
                        if (w == NT_CGNAT_ISP && strncmp(k.nat.ip, "10.", 3) != 0)
                                nt_fail_add(fails, sizeof(fails), "%s/%s: NAT WAN %s is not 10.x",
                                            what, wire, k.nat.ip);
                        if (w == NT_PUBLIC_ISP && strncmp(k.nat.ip, "198.18.", 7) != 0)
                                nt_fail_add(fails, sizeof(fails), "%s/%s: NAT WAN %s not public",
                                            what, wire, k.nat.ip);
                        if (!nt_ping(lab, "dev", k.dc.ip))
                                nt_fail_add(fails, sizeof(fails), "%s/%s: ping dc failed", what,
                                            wire);
                        for (int p = 0; p < 2; p++) {
                                const char *targets[2] = { k.r_dc, k.r_ix };

                                for (int t = 0; t < 2; t++) {
                                        if (!nt_probe(&a, lab, "dev", targets[t], protos[p], NULL,
                                                      0, 0))
                                                nt_fail_add(fails, sizeof(fails),
                                                            "%s/%s %s -> %s: %s", what, wire,
                                                            protos[p], targets[t], a.err);
                                        else if (strcmp(a.host, k.expect) != 0)
                                                nt_fail_add(fails, sizeof(fails),
                                                            "%s/%s %s -> %s: observed %s, want %s",
                                                            what, wire, protos[p], targets[t],
                                                            a.text, k.expect);
                                }
                        }

                        /* The same fixed local port towards the two reflectors. */
                        snprintf(bind, sizeof(bind), "0.0.0.0:%u", lport);
                        if (!nt_probe(&a, lab, "dev", k.r_dc, "udp", bind, 0, 0) ||
                            !nt_probe(&b, lab, "dev", k.r_ix, "udp", bind, 0, 0)) {
                                nt_fail_add(fails, sizeof(fails), "%s/%s: fixed-port probe failed",
                                            what, wire);
                        } else if (modes[m].mapping == MAP_EDM) {
                                if (a.port == b.port)
                                        nt_fail_add(fails, sizeof(fails),
                                                    "%s/%s EDM: same external port %u to both "
                                                    "destinations",
                                                    what, wire, a.port);
                        } else if (a.port != lport || b.port != lport) {
                                /* EIM, port-preserving (and so are no NAT and the
                                 * masquerade of a CGNAT with a free port). */
                                nt_fail_add(fails, sizeof(fails),
                                            "%s/%s: local port %u mapped to %u (dc) and %u (ix)",
                                            what, wire, lport, a.port, b.port);
                        }
                        json_decref(nt_call("lab.destroy", "{\"lab\":\"%s\"}", lab));
                }
        }
        ck_assert_msg(fails[0] == '\0', "failures:\n%s", fails);
}
END_TEST

/* nat.rs same_nat_shared_ip, different_nat_isolation, private_isolation_public_reachable. */
START_TEST(shared_wan_and_isolation)
{
        struct nt_addrs wa, wb, a1, a2, b1, dc;
        char r_dc[96], t[96];
        struct nt_ep e;

        nt_lab("iso");
        nt_router("iso", "dc", NULL);
        nt_router("iso", "nat-a", ",\"nat\":\"home\"");
        nt_router("iso", "nat-b", ",\"nat\":\"home\"");
        nt_device("iso", "a1", "nat-a");
        nt_device("iso", "a2", "nat-a");
        nt_device("iso", "b1", "nat-b");
        dc = nt_wan("iso", "dc");
        wa = nt_wan("iso", "nat-a");
        wb = nt_wan("iso", "nat-b");
        a1 = nt_dev("iso", "a1");
        a2 = nt_dev("iso", "a2");
        b1 = nt_dev("iso", "b1");
        ck_assert(strncmp(a1.ip, "10.", 3) == 0 && strncmp(b1.ip, "10.", 3) == 0);
        snprintf(r_dc, sizeof(r_dc), "%s:3478", dc.ip);
        nt_reflector("iso", "dc", r_dc, "udp");

        /* Two devices behind one NAT share its WAN address, another NAT has another. */
        ck_assert_str_eq(nt_probe_ok("iso", "a1", r_dc, "udp", NULL).host, wa.ip);
        ck_assert_str_eq(nt_probe_ok("iso", "a2", r_dc, "udp", NULL).host, wa.ip);
        ck_assert_str_eq(nt_probe_ok("iso", "b1", r_dc, "udp", NULL).host, wb.ip);
        ck_assert_str_ne(wa.ip, wb.ip);

        /* Same LAN: direct; across NATs: no way to the private addresses. */
        ck_assert(nt_ping("iso", "a1", a2.ip));
        ck_assert(nt_unreachable("iso", "a1", b1.ip));
        ck_assert(nt_unreachable("iso", "b1", a1.ip));
        ck_assert(nt_ping("iso", "a1", wb.ip));
        ck_assert(nt_ping("iso", "b1", wa.ip));

        /* Nothing from outside reaches a device behind the NAT: not its private address,
         * not the NAT's WAN address at the port the device listens on. */
        nt_reflector("iso", "a1", "0.0.0.0:7000", "udp");
        nt_reflector("iso", "a1", "0.0.0.0:7000", "tcp");
        snprintf(t, sizeof(t), "%s:7000", a1.ip);
        ck_assert_str_eq(nt_probe_ok("iso", "a2", t, "udp", NULL).host, a2.ip); /* it is live */
        ck_assert(nt_unreachable("iso", "dc", a1.ip));
        ck_assert(!nt_probe(&e, "iso", "dc", t, "udp", NULL, NT_DROP_MS, 1));
        ck_assert(!nt_probe(&e, "iso", "dc", t, "tcp", NULL, NT_DROP_MS, 1));
        snprintf(t, sizeof(t), "%s:7000", wa.ip);
        ck_assert(!nt_probe(&e, "iso", "dc", t, "udp", NULL, NT_DROP_MS, 1));
        ck_assert(!nt_probe(&e, "iso", "b1", t, "udp", NULL, NT_DROP_MS, 1));
}
END_TEST

/*
 * EIM (SPEC §4): "the same local port keeps one external port towards every
 * destination", also when a packet from a new destination arrived first (as
 * in hole punching: the peer's first punch may come before ours leaves).
 */
START_TEST(eim_mapping_survives_an_unsolicited_packet)
{
        static const char *const eim[] = { "\"nat\":\"home\"", "\"nat\":\"full-cone\"",
                                           "\"nat_config\":{\"mapping\":\"eim\"}" };
        static char fails[2048];

        fails[0] = '\0';
        for (size_t i = 0; i < 3; i++) {
                char lab[16], peer[96], peer_bind[96], wan_p[96];
                struct nt_case k;
                struct nt_ep first, later;

                snprintf(lab, sizeof(lab), "u%zu", i);
                nt_build_nat_case(&k, lab, eim[i], NT_DIRECT);
                snprintf(peer, sizeof(peer), "%s:6000", k.dc.ip);
                snprintf(peer_bind, sizeof(peer_bind), "%s:6000", k.dc.ip);
                first = nt_probe_ok(lab, "dev", k.r_dc, "udp", "0.0.0.0:40100");
                ck_assert_uint_eq(first.port, 40100);
                /* The peer's packet to the mapping arrives before the device sends to it. */
                snprintf(wan_p, sizeof(wan_p), "%s:%u", k.nat.ip, first.port);
                (void)nt_dropped(lab, "dc", wan_p, "udp", peer_bind);
                nt_reflector(lab, "dc", peer, "udp");
                later = nt_probe_ok(lab, "dev", peer, "udp", "0.0.0.0:40100");
                if (later.port != first.port)
                        nt_fail_add(fails, sizeof(fails),
                                    "%s: local port 40100 mapped to %u, then to %u towards a peer "
                                    "that had sent first",
                                    eim[i], first.port, later.port);
        }
        ck_assert_msg(fails[0] == '\0', "EIM broken:\n%s", fails);
}
END_TEST

/* nat_rebind.rs mode_port_change and mode_ip_change, with events. */
START_TEST(live_nat_change)
{
        struct nt_case k;
        struct nt_ep a, b;
        json_t *ev, *r;

        nt_build_nat_case(&k, "rb", "\"nat\":\"home\"", NT_DIRECT);
        nt_events_start("rb");
        a = nt_probe_ok("rb", "dev", k.r_dc, "udp", "0.0.0.0:41001");
        ck_assert_uint_eq(a.port, 41001);

        r = nt_call("router.set_nat", "{\"lab\":\"rb\",\"name\":\"nat\",\"nat\":\"corporate\"}");
        ck_assert_str_eq(pbt_str(r, "nat"), "corporate");
        json_decref(r);
        ev = nt_event_wait("nat_changed", "nat");
        ck_assert_str_eq(pbt_str(ev, "nat"), "corporate");
        json_decref(ev);
        /* The flow from before keeps its mapping (conntrack entries survive)... */
        ck_assert_uint_eq(nt_probe_ok("rb", "dev", k.r_dc, "udp", "0.0.0.0:41001").port, 41001);
        /* ...new flows are endpoint-dependent. */
        a = nt_probe_ok("rb", "dev", k.r_dc, "udp", "0.0.0.0:41002");
        b = nt_probe_ok("rb", "dev", k.r_ix, "udp", "0.0.0.0:41002");
        ck_assert_str_eq(a.host, k.nat.ip);
        ck_assert_msg(a.port != b.port, "EDM after the change: %u twice", a.port);

        r = nt_call("router.set_nat", "{\"lab\":\"rb\",\"name\":\"nat\",\"nat\":\"home\"}");
        json_decref(r);
        ev = nt_event_wait("nat_changed", "nat");
        ck_assert_str_eq(pbt_str(ev, "nat"), "home");
        json_decref(ev);
        a = nt_probe_ok("rb", "dev", k.r_dc, "udp", "0.0.0.0:41003");
        b = nt_probe_ok("rb", "dev", k.r_ix, "udp", "0.0.0.0:41003");
        ck_assert_uint_eq(a.port, 41003);
        ck_assert_uint_eq(b.port, 41003);

        /* none -> home -> none on a public LAN: the source address follows. */
        nt_build_nat_case(&k, "rb2", "\"nat\":\"none\"", NT_DIRECT);
        ck_assert_str_eq(nt_probe_ok("rb2", "dev", k.r_dc, "udp", NULL).host, k.dev.ip);
        json_decref(
                nt_call("router.set_nat", "{\"lab\":\"rb2\",\"name\":\"nat\",\"nat\":\"home\"}"));
        ck_assert_str_eq(nt_probe_ok("rb2", "dev", k.r_dc, "udp", NULL).host, k.nat.ip);
        ck_assert_str_eq(nt_probe_ok("rb2", "dev", k.r_dc, "tcp", NULL).host, k.nat.ip);
        ck_assert_str_eq(nt_wan("rb2", "nat").ip, k.nat.ip); /* addresses unchanged */
        ck_assert_str_eq(nt_dev("rb2", "dev").ip, k.dev.ip);
        json_decref(
                nt_call("router.set_nat", "{\"lab\":\"rb2\",\"name\":\"nat\",\"nat\":\"none\"}"));
        ck_assert_str_eq(nt_probe_ok("rb2", "dev", k.r_dc, "udp", NULL).host, k.dev.ip);
}
END_TEST

/*
 * router.flush_nat.  EDM (corporate) picks a random port for every new
 * conntrack entry: the same local port keeps its external port while the
 * entry lives and gets a new one after the flush.  EIM gives the local port
 * back; full-cone forgets its inbound mappings.
 */
START_TEST(flush_nat_forgets_mappings)
{
        struct nt_ep e1, e1b, q1, q1b, e2, q2;
        struct nt_case k;
        char wan_p[96];

        nt_build_nat_case(&k, "fl", "\"nat\":\"corporate\"", NT_DIRECT);
        nt_events_start("fl");
        e1 = nt_probe_ok("fl", "dev", k.r_dc, "udp", "0.0.0.0:42001");
        e1b = nt_probe_ok("fl", "dev", k.r_dc, "udp", "0.0.0.0:42001");
        q1 = nt_probe_ok("fl", "dev", k.r_dc, "udp", "0.0.0.0:42002");
        q1b = nt_probe_ok("fl", "dev", k.r_dc, "udp", "0.0.0.0:42002");
        ck_assert_uint_eq(e1.port, e1b.port); /* the entry persists */
        ck_assert_uint_eq(q1.port, q1b.port);
        ck_assert_uint_ne(e1.port, q1.port);
        json_decref(nt_call("router.flush_nat", "{\"lab\":\"fl\",\"name\":\"nat\"}"));
        json_decref(nt_event_wait("nat_flushed", "nat"));
        e2 = nt_probe_ok("fl", "dev", k.r_dc, "udp", "0.0.0.0:42001");
        q2 = nt_probe_ok("fl", "dev", k.r_dc, "udp", "0.0.0.0:42002");
        ck_assert_msg(e2.port != e1.port && q2.port != q1.port,
                      "after the flush: %u -> %u, %u -> %u", e1.port, e2.port, q1.port, q2.port);
        ck_assert_str_eq(e2.host, k.nat.ip);

        /* EIM: the flush does not change a port-preserving mapping. */
        nt_build_nat_case(&k, "fl2", "\"nat\":\"home\"", NT_DIRECT);
        ck_assert_uint_eq(nt_probe_ok("fl2", "dev", k.r_dc, "udp", "0.0.0.0:42003").port, 42003);
        json_decref(nt_call("router.flush_nat", "{\"lab\":\"fl2\",\"name\":\"nat\"}"));
        ck_assert_uint_eq(nt_probe_ok("fl2", "dev", k.r_dc, "udp", "0.0.0.0:42003").port, 42003);

        /* Full-cone: a mapping lets anyone in until the flush forgets it. */
        nt_build_nat_case(&k, "fl3", "\"nat\":\"full-cone\"", NT_DIRECT);
        ck_assert_uint_eq(nt_probe_ok("fl3", "dev", k.r_dc, "udp", "0.0.0.0:42004").port, 42004);
        nt_reflector("fl3", "dev", "0.0.0.0:42004", "udp");
        snprintf(wan_p, sizeof(wan_p), "%s:42004", k.nat.ip);
        ck_assert_str_eq(nt_probe_ok("fl3", "ix", wan_p, "udp", NULL).host, "198.18.0.1");
        json_decref(nt_call("router.flush_nat", "{\"lab\":\"fl3\",\"name\":\"nat\"}"));
        ck_assert_msg(nt_dropped("fl3", "ix", wan_p, "udp", NULL),
                      "full-cone mapping still open after router.flush_nat");
}
END_TEST

/* Reads the three conntrack timeouts of a router as "udp/udp_stream/tcp_established". */
static const char *
timeouts(const char *lab, const char *router)
{
        static char out[64];
        const char *s = nt_sh(lab, router,
                              "cd /proc/sys/net/netfilter && "
                              "echo $(cat nf_conntrack_udp_timeout)/"
                              "$(cat nf_conntrack_udp_timeout_stream)/"
                              "$(cat nf_conntrack_tcp_timeout_established)");

        snprintf(out, sizeof(out), "%.*s", (int)strcspn(s, "\n"), s);
        return out;
}

START_TEST(conntrack_timeouts)
{
        static const struct {
                const char *name, *json, *want; /* want NULL: the kernel's defaults */
        } cases[] = {
                { "home", ",\"nat\":\"home\"", "30/300/7200" },
                { "corp", ",\"nat\":\"corporate\"", "30/120/3600" },
                { "cloud", ",\"nat\":\"cloud-nat\"", "30/350/3600" },
                { "fc", ",\"nat\":\"full-cone\"", "30/300/7200" },
                { "cg", ",\"nat\":\"cgnat\"", NULL },
                { "none", NULL, NULL },
                { "cu",
                  ",\"nat_config\":{\"timeouts\":{\"udp\":11,\"udp_stream\":22,"
                  "\"tcp_established\":33}}",
                  "11/22/33" },
                { "cu2", ",\"nat_config\":{\"mapping\":\"edm\",\"timeouts\":{\"udp\":5}}",
                  "5/300/7200" },
        };
        char kernel[64];

        nt_lab("ct");
        nt_router("ct", "dc", NULL);
        snprintf(kernel, sizeof(kernel), "%s", timeouts("ct", "dc"));
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                nt_router("ct", cases[i].name, cases[i].json);
                ck_assert_msg(strcmp(timeouts("ct", cases[i].name),
                                     cases[i].want ? cases[i].want : kernel) == 0,
                              "%s: %s, want %s", cases[i].name, timeouts("ct", cases[i].name),
                              cases[i].want ? cases[i].want : kernel);
        }
        /* Live changes rewrite them, and NAT none gives the kernel's back. */
        json_decref(
                nt_call("router.set_nat", "{\"lab\":\"ct\",\"name\":\"corp\",\"nat\":\"home\"}"));
        ck_assert_str_eq(timeouts("ct", "corp"), "30/300/7200");
        json_decref(nt_call("router.set_nat",
                            "{\"lab\":\"ct\",\"name\":\"corp\",\"nat_config\":{\"timeouts\":"
                            "{\"udp_stream\":77}}}"));
        ck_assert_str_eq(timeouts("ct", "corp"), "30/77/7200");
        json_decref(
                nt_call("router.set_nat", "{\"lab\":\"ct\",\"name\":\"corp\",\"nat\":\"none\"}"));
        ck_assert_str_eq(timeouts("ct", "corp"), kernel);
        json_decref(nt_call("router.set_nat",
                            "{\"lab\":\"ct\",\"name\":\"none\",\"nat\":\"cloud-nat\"}"));
        ck_assert_str_eq(timeouts("ct", "none"), "30/350/3600");
}
END_TEST

/* The upper and lower 64 bits of an IPv6 address. */
static void
halves(const char *ip6, unsigned char out[16])
{
        ck_assert_msg(inet_pton(AF_INET6, ip6, out) == 1, "not IPv6: %s", ip6);
}

START_TEST(ipv6_nat_modes)
{
        struct nt_addrs dc, dm, dmi, dn, dno, dnoi, wm, wmi;
        unsigned char obs[16], dev[16];
        char r6[96], t[128], lan[64];
        struct nt_ep e;
        struct pb_error err;
        json_t *r, *ev;

        nt_lab("v6");
        nt_router("v6", "dc", ",\"ip_support\":\"dual-stack\"");
        nt_router("v6", "isp", ",\"ip_support\":\"dual-stack\"");
        nt_router("v6", "m",
                  ",\"nat\":\"home\",\"nat_v6\":\"masquerade\",\"ip_support\":\"dual-stack\"");
        nt_router("v6", "mi",
                  ",\"nat\":\"home\",\"nat_v6\":\"masquerade\",\"ip_support\":\"dual-stack\","
                  "\"upstream\":\"isp\"");
        nt_router("v6", "n",
                  ",\"nat\":\"home\",\"nat_v6\":\"nptv6\",\"ip_support\":\"dual-stack\"");
        nt_router("v6", "o", ",\"nat\":\"home\",\"nat_v6\":\"none\",\"ip_support\":\"dual-stack\"");
        nt_router("v6", "oi",
                  ",\"nat\":\"home\",\"ip_support\":\"dual-stack\",\"upstream\":\"isp\"");
        nt_device("v6", "dm", "m");
        nt_device("v6", "dmi", "mi");
        nt_device("v6", "dn", "n");
        nt_device("v6", "dno", "o");
        nt_device("v6", "dnoi", "oi");
        dc = nt_wan("v6", "dc");
        wm = nt_wan("v6", "m");
        wmi = nt_wan("v6", "mi");
        dm = nt_dev("v6", "dm");
        dmi = nt_dev("v6", "dmi");
        dn = nt_dev("v6", "dn");
        dno = nt_dev("v6", "dno");
        dnoi = nt_dev("v6", "dnoi");
        ck_assert(dc.ip6[0] && wm.ip6[0] && wmi.ip6[0] && dn.ip6[0]);
        ck_assert(strncmp(dm.ip6, "fd10:", 5) == 0); /* private LANs are ULA */
        snprintf(r6, sizeof(r6), "[%s]:3478", dc.ip6);
        nt_reflector("v6", "dc", r6, "udp");
        nt_reflector("v6", "dc", r6, "tcp");

        /* masquerade: the WAN address, directly on the IX and behind an ISP. */
        ck_assert_str_eq(nt_probe_ok("v6", "dm", r6, "udp", NULL).host, wm.ip6);
        ck_assert_str_eq(nt_probe_ok("v6", "dm", r6, "tcp", NULL).host, wm.ip6);
        ck_assert_str_eq(nt_probe_ok("v6", "dmi", r6, "udp", NULL).host, wmi.ip6);
        ck_assert_str_ne(dmi.ip6, wmi.ip6);

        /* none: routed, the device's own (ULA) address, also behind an ISP. */
        ck_assert_str_eq(nt_probe_ok("v6", "dno", r6, "udp", NULL).host, dno.ip6);
        ck_assert_str_eq(nt_probe_ok("v6", "dno", r6, "tcp", NULL).host, dno.ip6);
        ck_assert_str_eq(nt_probe_ok("v6", "dnoi", r6, "udp", NULL).host, dnoi.ip6);

        /* nptv6: another /64, the same host bits, the port untouched; and stateless, so
         * the translated address reaches the device from outside. */
        e = nt_probe_ok("v6", "dn", r6, "udp", "[::]:43000");
        halves(e.host, obs);
        halves(dn.ip6, dev);
        ck_assert_msg(memcmp(obs, dev, 8) != 0, "nptv6 kept the LAN prefix: %s", e.host);
        ck_assert_msg(memcmp(obs + 8, dev + 8, 8) == 0, "nptv6 %s vs device %s: host bits differ",
                      e.host, dn.ip6);
        ck_assert_msg(strncmp(e.host, "fd", 2) != 0, "external prefix is ULA: %s", e.host);
        ck_assert_uint_eq(e.port, 43000);
        r = nt_call("router.get", "{\"lab\":\"v6\",\"name\":\"n\"}");
        snprintf(lan, sizeof(lan), "%s", pbt_str(json_object_get(r, "downstream"), "cidr6"));
        json_decref(r);
        ck_assert_msg(strncmp(lan, "fd10:", 5) == 0, "LAN prefix %s", lan);
        nt_reflector("v6", "dn", "[::]:7000", "udp");
        snprintf(t, sizeof(t), "[%s]:7000", e.host);
        ck_assert_str_eq(nt_probe_ok("v6", "dc", t, "udp", NULL).host, dc.ip6);

        /* Live: none -> masquerade -> none. */
        nt_events_start("v6");
        r = nt_call("router.set_nat_v6",
                    "{\"lab\":\"v6\",\"name\":\"o\",\"nat_v6\":\"masquerade\"}");
        ck_assert_str_eq(pbt_str(r, "nat_v6"), "masquerade");
        json_decref(r);
        ev = nt_event_wait("nat_v6_changed", "o");
        ck_assert_str_eq(pbt_str(ev, "nat_v6"), "masquerade");
        json_decref(ev);
        ck_assert_str_eq(nt_probe_ok("v6", "dno", r6, "udp", NULL).host, nt_wan("v6", "o").ip6);
        json_decref(nt_call("router.set_nat_v6",
                            "{\"lab\":\"v6\",\"name\":\"o\",\"nat_v6\":\"none\"}"));
        ck_assert_str_eq(nt_probe_ok("v6", "dno", r6, "udp", NULL).host, dno.ip6);

        /* A router without IPv6 has no IPv6 NAT. */
        nt_router("v6", "v4", ",\"nat\":\"home\"");
        err = nt_fail("router.set_nat_v6",
                      "{\"lab\":\"v6\",\"name\":\"v4\",\"nat_v6\":\"masquerade\"}");
        /* openrpc.json: "patchbay.InvalidState (router has no IPv6)". */
        ck_assert_msg(strcmp(err.name, "patchbay.InvalidState") == 0,
                      "set_nat_v6 on a v4-only router: %s (%d, parameter '%s'): %s", err.name,
                      err.code, err.parameter, err.message);
        /* nat64 too: it translates for an IPv6 LAN (suite nat64 has its traffic). */
        err = nt_fail("router.set_nat_v6", "{\"lab\":\"v6\",\"name\":\"v4\",\"nat_v6\":\"nat64\"}");
        ck_assert_str_eq(err.name, "patchbay.InvalidState");
        ck_assert_msg(strstr(err.message, "NAT64"), "%s", err.message);
}
END_TEST

/*
 * RFC 4787 classification.  Two servers (dc1, dc2), two reflector ports each.
 * Mapping, from one local port towards all four: EIM if one external
 * endpoint, ADM if it changes with the address only, APDM if with the port.
 * Filtering, after the device sent from another local port to dc1:3478 only
 * (a reflector then listens on that port in the device): EIF if dc2 gets in
 * through the mapping, ADF if only dc1 from another port does, APDF if
 * neither (dc1:3478 itself must: the control).
 */
START_TEST(rfc4787_classification)
{
        static const struct {
                const char *name, *json, *mapping, *filtering;
        } cases[] = {
                { "home", "\"nat\":\"home\"", "EIM", "APDF" },
                { "corporate", "\"nat\":\"corporate\"", "APDM", "APDF" },
                { "cloud-nat", "\"nat\":\"cloud-nat\"", "APDM", "APDF" },
                { "full-cone", "\"nat\":\"full-cone\"", "EIM", "EIF" },
                /* Plain masquerade keeps a free port (endpoint-independent in practice);
                 * "conntrack only" filtering admits replies only. */
                { "cgnat", "\"nat\":\"cgnat\"", "EIM", "APDF" },
                { "eim/apdf", "\"nat_config\":{\"mapping\":\"eim\",\"filtering\":\"apdf\"}", "EIM",
                  "APDF" },
                { "edm/apdf", "\"nat_config\":{\"mapping\":\"edm\",\"filtering\":\"apdf\"}", "APDM",
                  "APDF" },
                { "eim/eif", "\"nat_config\":{\"mapping\":\"eim\",\"filtering\":\"eif\"}", "EIM",
                  "EIF" },
                { "edm/eif", "\"nat_config\":{\"mapping\":\"edm\",\"filtering\":\"eif\"}", "APDM",
                  "EIF" },
        };
        static char fails[4096];

        fails[0] = '\0';
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char lab[16], extra[160], ep[4][96], wan_e[96], from[96];
                struct nt_addrs s1, s2, wan;
                struct nt_ep e[4], q;
                const char *mapping, *filtering;
                bool from_b, from_a_port;
                int keep = 0;

                snprintf(lab, sizeof(lab), "c%zu", i);
                nt_lab(lab);
                nt_router(lab, "dc1", NULL);
                nt_router(lab, "dc2", NULL);
                snprintf(extra, sizeof(extra), ",%s", cases[i].json);
                nt_router(lab, "r", extra);
                nt_device(lab, "dev", "r");
                s1 = nt_wan(lab, "dc1");
                s2 = nt_wan(lab, "dc2");
                wan = nt_wan(lab, "r");
                for (int k = 0; k < 4; k++) {
                        snprintf(ep[k], sizeof(ep[k]), "%s:%d", k < 2 ? s1.ip : s2.ip,
                                 3478 + k % 2);
                        if (k == 0)
                                keep = nt_reflector(lab, "dc1", ep[k], "udp");
                        else
                                nt_reflector(lab, k < 2 ? "dc1" : "dc2", ep[k], "udp");
                }
                for (int k = 0; k < 4; k++)
                        e[k] = nt_probe_ok(lab, "dev", ep[k], "udp", "0.0.0.0:40000");
                if (!strcmp(e[0].text, e[1].text) && !strcmp(e[0].text, e[2].text) &&
                    !strcmp(e[0].text, e[3].text))
                        mapping = "EIM";
                else if (!strcmp(e[0].text, e[1].text) && !strcmp(e[2].text, e[3].text))
                        mapping = "ADM";
                else
                        mapping = "APDM";

                q = nt_probe_ok(lab, "dev", ep[0], "udp", "0.0.0.0:40001");
                ck_assert_str_eq(q.host, wan.ip);
                nt_reflector(lab, "dev", "0.0.0.0:40001", "udp");
                snprintf(wan_e, sizeof(wan_e), "%s:%u", wan.ip, q.port);
                snprintf(from, sizeof(from), "%s:5000", s2.ip);
                from_b = !nt_dropped(lab, "dc2", wan_e, "udp", from);
                snprintf(from, sizeof(from), "%s:5000", s1.ip);
                from_a_port = !nt_dropped(lab, "dc1", wan_e, "udp", from);
                nt_reflector_stop(lab, keep);
                snprintf(from, sizeof(from), "%s:3478", s1.ip);
                ck_assert_msg(!nt_dropped(lab, "dc1", wan_e, "udp", from),
                              "%s: the endpoint the device sent to cannot answer", cases[i].name);
                filtering = from_b        ? (from_a_port ? "EIF" : "inconsistent")
                            : from_a_port ? "ADF"
                                          : "APDF";
                if (strcmp(mapping, cases[i].mapping) || strcmp(filtering, cases[i].filtering))
                        nt_fail_add(fails, sizeof(fails),
                                    "%s: measured %s/%s, SPEC %s/%s (mapped %s %s %s %s)",
                                    cases[i].name, mapping, filtering, cases[i].mapping,
                                    cases[i].filtering, e[0].text, e[1].text, e[2].text, e[3].text);
                json_decref(nt_call("lab.destroy", "{\"lab\":\"%s\"}", lab));
        }
        ck_assert_msg(fails[0] == '\0', "RFC 4787 behaviour differs:\n%s", fails);
}
END_TEST

Suite *
make_nat_suite(void)
{
        Suite *s = suite_create("nat");
        TCase *tc = tcase_create("nat");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, reflexive_address_and_mapping_matrix);
        tcase_add_test(tc, shared_wan_and_isolation);
        tcase_add_test(tc, eim_mapping_survives_an_unsolicited_packet);
        tcase_add_test(tc, live_nat_change);
        tcase_add_test(tc, flush_nat_forgets_mappings);
        tcase_add_test(tc, conntrack_timeouts);
        tcase_add_test(tc, ipv6_nat_modes);
        tcase_add_test(tc, rfc4787_classification);
        suite_add_tcase(s, tc);
        return s;
}
