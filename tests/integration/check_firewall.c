/* SPDX-License-Identifier: MIT */
/*
 * Suite "firewall": the firewall and preset tables of SPEC §4 checked with
 * real connections both ways (the reference suite's firewall.rs, preset.rs
 * and mtu.rs's PMTU black hole: C.9, C.18, C.13).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat-util.h"
#include "suites.h"
#include "topo.h"

static const unsigned tcp_ports[] = { 80, 443, 22, 8080, 8443 };
static const unsigned udp_ports[] = { 53, 3478, 123, 5000 };

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* True if 'port' is in 'list' ("*": every port, else ",p1,p2,"). */
static bool
allowed(const char *list, unsigned port)
{
        char needle[16];

        if (strcmp(list, "*") == 0)
                return true;
        snprintf(needle, sizeof(needle), ",%u,", port);
        return strstr(list, needle) != NULL;
}

/* Reflectors on dc for every port above, IPv4 and IPv6. */
static void
dc_reflectors(const char *lab, const struct nt_addrs *dc)
{
        char b[96];

        for (size_t i = 0; i < N(tcp_ports); i++) {
                snprintf(b, sizeof(b), "%s:%u", dc->ip, tcp_ports[i]);
                nt_reflector(lab, "dc", b, "tcp");
                snprintf(b, sizeof(b), "[%s]:%u", dc->ip6, tcp_ports[i]);
                nt_reflector(lab, "dc", b, "tcp");
        }
        for (size_t i = 0; i < N(udp_ports); i++) {
                snprintf(b, sizeof(b), "%s:%u", dc->ip, udp_ports[i]);
                nt_reflector(lab, "dc", b, "udp");
                snprintf(b, sizeof(b), "[%s]:%u", dc->ip6, udp_ports[i]);
                nt_reflector(lab, "dc", b, "udp");
        }
}

static struct nt_req reqs[256];
static size_t n_reqs;

static void req_add(const char *node, const char *proto, bool drop, const char *what,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
req_add(const char *node, const char *proto, bool drop, const char *what, const char *fmt, ...)
{
        struct nt_req *q = &reqs[n_reqs++];
        va_list ap;

        ck_assert_uint_le(n_reqs, 256);
        memset(q, 0, sizeof(*q));
        snprintf(q->node, sizeof(q->node), "%s", node);
        q->proto = proto;
        q->expect_drop = drop;
        snprintf(q->what, sizeof(q->what), "%s", what);
        va_start(ap, fmt);
        vsnprintf(q->target, sizeof(q->target), fmt, ap);
        va_end(ap);
}

/*
 * Queues what 'dev' (behind a router with nat none, so the reflector sees
 * its own address) may open outbound, TCP and UDP, v4 and v6 when it has
 * IPv6: a probe for every port, expected answered or dropped.
 */
static void
queue_outbound(const char *lab, const char *what, const char *dev, const struct nt_addrs *dc,
               const char *tcp, const char *udp)
{
        struct nt_addrs me = nt_dev(lab, dev);

        for (int v6 = 0; v6 < 2 && (!v6 || me.ip6[0]); v6++) {
                for (size_t i = 0; i < N(tcp_ports); i++)
                        req_add(dev, "tcp", !allowed(tcp, tcp_ports[i]), what,
                                v6 ? "[%s]:%u" : "%s:%u", v6 ? dc->ip6 : dc->ip, tcp_ports[i]);
                for (size_t i = 0; i < N(udp_ports); i++)
                        req_add(dev, "udp", !allowed(udp, udp_ports[i]), what,
                                v6 ? "[%s]:%u" : "%s:%u", v6 ? dc->ip6 : dc->ip, udp_ports[i]);
        }
}

/* Queues whether dc can open flows to 'dev' (reflectors on port 7000), v4 and v6. */
static void
queue_inbound(const char *lab, const char *what, const char *dev, bool open)
{
        struct nt_addrs me = nt_dev(lab, dev);

        for (int v6 = 0; v6 < 2; v6++) {
                const char *ip = v6 ? me.ip6 : me.ip;

                for (int p = 0; p < 2 && ip[0]; p++)
                        req_add("dc", p ? "tcp" : "udp", !open, what, v6 ? "[%s]:7000" : "%s:7000",
                                ip);
        }
}

/*
 * Runs the queued probes at once; an answer must show the sender's own
 * address (no NAT on the way), a drop must be silent.
 */
static void
run_queued(char *fails, size_t n, const char *lab)
{
        nt_probe_all(lab, reqs, n_reqs);
        for (size_t i = 0; i < n_reqs; i++) {
                const struct nt_req *q = &reqs[i];
                struct nt_addrs me =
                        strcmp(q->node, "dc") ? nt_dev(lab, q->node) : nt_wan(lab, "dc");
                const char *want = q->target[0] == '[' ? me.ip6 : me.ip;
                const char *dir = strcmp(q->node, "dc") ? "outbound" : "inbound";

                if (q->expect_drop && q->ok)
                        nt_fail_add(fails, n, "%s: %s %s %s allowed", q->what, dir, q->proto,
                                    q->target);
                else if (q->expect_drop && !q->ep.timeout)
                        nt_fail_add(fails, n, "%s: %s %s %s not silently dropped: %s", q->what, dir,
                                    q->proto, q->target, q->ep.err);
                else if (!q->expect_drop && !q->ok)
                        nt_fail_add(fails, n, "%s: %s %s %s blocked: %s", q->what, dir, q->proto,
                                    q->target, q->ep.err);
                else if (!q->expect_drop && strcmp(q->ep.host, want) != 0)
                        nt_fail_add(fails, n, "%s: %s %s %s observed %s, want %s", q->what, dir,
                                    q->proto, q->target, q->ep.text, want);
        }
        n_reqs = 0;
}

static void
device_reflectors(const char *lab, const char *dev)
{
        nt_reflector(lab, dev, "0.0.0.0:7000", "udp");
        nt_reflector(lab, dev, "0.0.0.0:7000", "tcp");
        nt_reflector(lab, dev, "[::]:7000", "udp");
        nt_reflector(lab, dev, "[::]:7000", "tcp");
}

/*
 * Every firewall of the SPEC table on a dual-stack router without NAT (so
 * inbound can be tried on the device's public addresses): what it lets out,
 * TCP and UDP per port, v4 and v6, and whether new flows get in.
 */
START_TEST(firewall_table)
{
        static const struct {
                const char *name, *json, *tcp, *udp;
                bool inbound;
        } fws[] = {
                { "none", "\"none\"", "*", "*", true },
                { "block-inbound", "\"block-inbound\"", "*", "*", false },
                { "corporate", "\"corporate\"", ",80,443,", ",53,", false },
                { "captive-portal", "\"captive-portal\"", "*", ",53,", false },
                { "custom", "{\"block_inbound\":false,\"tcp\":{\"allow\":[8443]},\"udp\":\"none\"}",
                  ",8443,", "", true },
        };
        static char fails[8192];
        struct nt_addrs dc;

        fails[0] = '\0';
        nt_lab("fw");
        nt_router("fw", "dc", ",\"ip_support\":\"dual-stack\"");
        dc = nt_wan("fw", "dc");
        dc_reflectors("fw", &dc);
        for (size_t i = 0; i < N(fws); i++) {
                char r[16], d[16], extra[192];
                json_t *got;

                snprintf(r, sizeof(r), "r%zu", i);
                snprintf(d, sizeof(d), "d%zu", i);
                snprintf(extra, sizeof(extra), ",\"ip_support\":\"dual-stack\",\"firewall\":%s",
                         fws[i].json);
                nt_router("fw", r, extra);
                got = nt_call("router.get", "{\"lab\":\"fw\",\"name\":\"%s\"}", r);
                {
                        json_t *want = json_loads(fws[i].json, JSON_DECODE_ANY, NULL);

                        ck_assert_msg(json_equal(json_object_get(got, "firewall"), want),
                                      "%s: router.get firewall differs", fws[i].name);
                        json_decref(want);
                }
                json_decref(got);
                nt_device("fw", d, r);
                device_reflectors("fw", d);
                queue_outbound("fw", fws[i].name, d, &dc, fws[i].tcp, fws[i].udp);
                queue_inbound("fw", fws[i].name, d, fws[i].inbound);
        }
        run_queued(fails, sizeof(fails), "fw");
        /* Pings: echo requests are new flows too. */
        for (size_t i = 0; i < N(fws); i++) {
                char d[16];
                struct nt_addrs me;

                snprintf(d, sizeof(d), "d%zu", i);
                me = nt_dev("fw", d);
                for (int v6 = 0; v6 < 2; v6++) {
                        const char *ip = v6 ? me.ip6 : me.ip;

                        if ((fws[i].inbound ? nt_ping("fw", "dc", ip)
                                            : !nt_unreachable("fw", "dc", ip)) != fws[i].inbound)
                                nt_fail_add(fails, sizeof(fails), "%s: inbound ping %s %s",
                                            fws[i].name, ip,
                                            fws[i].inbound ? "blocked" : "answered");
                }
        }
        if (fails[0])
                fprintf(stderr, "%s", fails);
        ck_assert_msg(fails[0] == '\0', "firewalls differ from SPEC §4:\n%.3000s", fails);
}
END_TEST

/* The reference's firewalls sit behind a home NAT: the same rules apply there. */
START_TEST(firewall_behind_home_nat)
{
        static char fails[4096];
        struct nt_addrs dc, wan;
        struct nt_ep e;
        char t[96];

        fails[0] = '\0';
        nt_lab("fh");
        nt_router("fh", "dc", ",\"ip_support\":\"dual-stack\"");
        dc = nt_wan("fh", "dc");
        dc_reflectors("fh", &dc);
        nt_router("fh", "corp", ",\"nat\":\"home\",\"firewall\":\"corporate\"");
        nt_router("fh", "cp", ",\"nat\":\"home\",\"firewall\":\"captive-portal\"");
        nt_device("fh", "laptop", "corp");
        nt_device("fh", "phone", "cp");
        wan = nt_wan("fh", "corp");
        snprintf(t, sizeof(t), "%s:443", dc.ip);
        e = nt_probe_ok("fh", "laptop", t, "tcp", NULL);
        ck_assert_str_eq(e.host, wan.ip);
        snprintf(t, sizeof(t), "%s:53", dc.ip);
        ck_assert_str_eq(nt_probe_ok("fh", "laptop", t, "udp", NULL).host, wan.ip);
        snprintf(t, sizeof(t), "%s:3478", dc.ip);
        ck_assert(nt_dropped("fh", "laptop", t, "udp", NULL));
        ck_assert(nt_dropped("fh", "phone", t, "udp", NULL));
        snprintf(t, sizeof(t), "%s:8080", dc.ip);
        ck_assert(nt_dropped("fh", "laptop", t, "tcp", NULL));
        ck_assert_str_eq(nt_probe_ok("fh", "phone", t, "tcp", NULL).host, nt_wan("fh", "cp").ip);
        ck_assert_msg(fails[0] == '\0', "%s", fails);
}
END_TEST

/* router.set_firewall on a live router: new connections follow the new rules. */
START_TEST(set_firewall_live)
{
        struct nt_addrs dc;
        char u3478[96], u53[96], t22[96], t443[96];
        json_t *r, *ev, *want;

        nt_lab("fl");
        nt_router("fl", "dc", ",\"ip_support\":\"dual-stack\"");
        dc = nt_wan("fl", "dc");
        dc_reflectors("fl", &dc);
        nt_router("fl", "r", ",\"nat\":\"home\"");
        nt_device("fl", "dev", "r");
        nt_events_start("fl");
        snprintf(u3478, sizeof(u3478), "%s:3478", dc.ip);
        snprintf(u53, sizeof(u53), "%s:53", dc.ip);
        snprintf(t22, sizeof(t22), "%s:22", dc.ip);
        snprintf(t443, sizeof(t443), "%s:443", dc.ip);
        nt_probe_ok("fl", "dev", u3478, "udp", NULL);
        nt_probe_ok("fl", "dev", t22, "tcp", NULL);

        r = nt_call("router.set_firewall",
                    "{\"lab\":\"fl\",\"name\":\"r\",\"firewall\":\"corporate\"}");
        ck_assert_str_eq(pbt_str(r, "firewall"), "corporate");
        json_decref(r);
        ev = nt_event_wait("firewall_changed", "r");
        ck_assert_str_eq(pbt_str(ev, "firewall"), "corporate");
        ck_assert(json_is_false(json_object_get(ev, "block_icmp_frag_needed")));
        json_decref(ev);
        ck_assert(nt_dropped("fl", "dev", u3478, "udp", NULL));
        ck_assert(nt_dropped("fl", "dev", t22, "tcp", NULL));
        nt_probe_ok("fl", "dev", u53, "udp", NULL);
        nt_probe_ok("fl", "dev", t443, "tcp", NULL);

        json_decref(nt_call("router.set_firewall",
                            "{\"lab\":\"fl\",\"name\":\"r\",\"firewall\":{\"tcp\":{\"allow\":[22]},"
                            "\"udp\":\"none\"}}"));
        ev = nt_event_wait("firewall_changed", "r");
        want = json_pack("{s:{s:[i]}, s:s}", "tcp", "allow", 22, "udp", "none");
        ck_assert_msg(json_is_object(json_object_get(ev, "firewall")), "event firewall");
        ck_assert(json_equal(json_object_get(json_object_get(ev, "firewall"), "tcp"),
                             json_object_get(want, "tcp")));
        json_decref(want);
        json_decref(ev);
        nt_probe_ok("fl", "dev", t22, "tcp", NULL);
        ck_assert(nt_dropped("fl", "dev", t443, "tcp", NULL));
        ck_assert(nt_dropped("fl", "dev", u53, "udp", NULL));

        json_decref(nt_call("router.set_firewall",
                            "{\"lab\":\"fl\",\"name\":\"r\",\"firewall\":\"none\"}"));
        json_decref(nt_event_wait("firewall_changed", "r"));
        nt_probe_ok("fl", "dev", u3478, "udp", NULL);
        nt_probe_ok("fl", "dev", t22, "tcp", NULL);
        nt_probe_ok("fl", "dev", t443, "tcp", NULL);
}
END_TEST

/* Sends a 200-byte and three 1200-byte DF datagrams to argv[1]:argv[2]. */
static const char send_df_py[] =
        "import socket, sys, time\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.setsockopt(socket.IPPROTO_IP, 10, 2)\n" /* IP_MTU_DISCOVER = IP_PMTUDISC_DO */
        "s.connect((sys.argv[1], int(sys.argv[2])))\n"
        "s.send(b'.' * 200)\n"
        "for i in range(3):\n"
        "    try:\n"
        "        s.send(b'\\xab' * 1200)\n"
        "    except OSError as e:\n"
        "        print('send', e.errno)\n"
        "    time.sleep(0.1)\n";

/* Prints READY, then the sizes of what arrives until 1 s of silence. */
static const char recv_py[] = "import socket, sys\n"
                              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                              "s.bind((sys.argv[1], int(sys.argv[2])))\n"
                              "s.settimeout(1.0)\n"
                              "print('READY', flush=True)\n"
                              "got = []\n"
                              "try:\n"
                              "    while True:\n"
                              "        got.append(str(len(s.recvfrom(65535)[0])))\n"
                              "except socket.timeout:\n"
                              "    pass\n"
                              "print('GOT', ','.join(got), flush=True)\n";

/* What srv receives from dev's DF datagrams ("GOT <sizes>"). */
static const char *
df_received(const char *lab, const char *srv_ip)
{
        static char got[256];
        const char *recv_argv[] = { "python3", "-c", recv_py, srv_ip, "18900", NULL };
        long long p = nt_spawn(lab, "srv", recv_argv);
        json_t *argv = json_pack("[s, s, s, s, s]", "python3", "-c", send_df_py, srv_ip, "18900");
        json_t *params = json_pack("{s:s, s:s, s:o, s:i}", "lab", lab, "node", "dev", "argv", argv,
                                   "timeout_ms", 10000);
        char *text = json_dumps(params, JSON_COMPACT);
        const char *out;
        json_t *r;

        ck_assert_ptr_nonnull(nt_await_output(p, "READY", 10000));
        r = pbt_call(nt_c, "node.exec", text);
        ck_assert_int_eq(json_integer_value(json_object_get(r, "exit_code")), 0);
        json_decref(r);
        json_decref(params);
        free(text);
        ck_assert_int_eq(nt_proc_wait(p, 10000), 0);
        out = nt_await_output(p, "GOT", 1000);
        ck_assert_ptr_nonnull(out);
        out = strstr(out, "GOT");
        snprintf(got, sizeof(got), "%.*s", (int)strcspn(out, "\n"), out);
        return got;
}

/*
 * block_icmp_frag_needed: the rule is in the router (mtu.rs
 * block_icmp_frag_rule) and makes a PMTU black hole (blackhole_drops_large):
 * big DF packets vanish and the sender never learns why.  The control, with
 * the block switched off live: the same packets still do not fit, but
 * fragmentation-needed reaches the device.
 */
START_TEST(pmtu_black_hole)
{
        struct nt_addrs srv;
        struct pbt_exec x;
        char cmd[128];
        json_t *r, *ev;

        nt_lab("mtu");
        nt_router("mtu", "dc", NULL);
        nt_router("mtu", "rtr", ",\"mtu\":500,\"block_icmp_frag_needed\":true");
        nt_device("mtu", "dev", "rtr");
        nt_device("mtu", "srv", "dc");
        srv = nt_dev("mtu", "srv");
        r = nt_call("router.get", "{\"lab\":\"mtu\",\"name\":\"rtr\"}");
        ck_assert(json_is_true(json_object_get(r, "block_icmp_frag_needed")));
        json_decref(r);
        ck_assert_ptr_nonnull(strstr(nt_sh("mtu", "rtr", "nft list ruleset"), "frag-needed"));

        /* Small packets pass, big DF ones vanish without a word. */
        ck_assert_str_eq(df_received("mtu", srv.ip), "GOT 200");
        snprintf(cmd, sizeof(cmd), "ping -n -M do -s 1200 -c 2 -W 1 %s", srv.ip);
        x = pbt_exec(nt_c, "mtu", "dev", cmd);
        ck_assert_int_ne(x.exit_code, 0);
        ck_assert_msg(!strstr(x.out, "Frag needed"), "%s", x.out);
        snprintf(cmd, sizeof(cmd), "ip route get %s", srv.ip);
        ck_assert_msg(!strstr(nt_sh("mtu", "dev", cmd), "mtu"), "PMTU learned: %s",
                      nt_sh("mtu", "dev", cmd));

        /* Control: without the block the device is told. */
        nt_events_start("mtu");
        r = nt_call("router.set_firewall", "{\"lab\":\"mtu\",\"name\":\"rtr\",\"firewall\":"
                                           "\"none\",\"block_icmp_frag_needed\":false}");
        ck_assert(json_is_false(json_object_get(r, "block_icmp_frag_needed")));
        json_decref(r);
        ev = nt_event_wait("firewall_changed", "rtr");
        ck_assert(json_is_false(json_object_get(ev, "block_icmp_frag_needed")));
        json_decref(ev);
        ck_assert_ptr_null(strstr(nt_sh("mtu", "rtr", "nft list ruleset"), "frag-needed"));
        snprintf(cmd, sizeof(cmd), "ping -n -M do -s 1200 -c 2 -W 1 %s", srv.ip);
        x = pbt_exec(nt_c, "mtu", "dev", cmd);
        ck_assert_msg(strstr(x.out, "Frag needed and DF set (mtu = 500)"), "%s", x.out);
        snprintf(cmd, sizeof(cmd), "ip route get %s", srv.ip);
        ck_assert_msg(strstr(nt_sh("mtu", "dev", cmd), " mtu "), "no PMTU learned: %s",
                      nt_sh("mtu", "dev", cmd));
        ck_assert_str_eq(df_received("mtu", srv.ip), "GOT 200");
}
END_TEST

/* --- presets (preset.rs) ------------------------------------------------- */

static bool
starts(const char *s, const char *prefix)
{
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A string member, or NULL for null / absent. */
static const char *
opt_str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/*
 * Every preset gives the nat / nat_v6 / firewall / ip_support / pool of the
 * SPEC table (public pools 198.18.N and 2001:db8:1:N, private 10.0.N and
 * fd10::, no IPv6 at all for v4-only); explicit fields override it; isp-v6
 * keeps an IPv4 uplink for NAT64 under its v6-only LAN.
 */
START_TEST(presets_table)
{
        static const struct {
                const char *preset, *extra, *nat, *nat_v6, *firewall, *ip_support;
                bool public;
        } cases[] = {
                { "home", "", "home", "none", "block-inbound", "dual-stack", false },
                { "public", "", "none", "none", "none", "dual-stack", true },
                { "public-v4", "", "none", "none", "none", "v4-only", true },
                { "isp-cgnat", "", "cgnat", "none", "none", "dual-stack", false },
                { "corporate", "", "corporate", "none", "corporate", "dual-stack", false },
                { "hotel", "", "corporate", "none", "captive-portal", "v4-only", false },
                { "cloud", "", "cloud-nat", "none", "none", "dual-stack", false },
                /* Overrides: one field each, the rest stays the preset's. */
                { "home", ",\"nat\":\"full-cone\"", "full-cone", "none", "block-inbound",
                  "dual-stack", false },
                { "home", ",\"firewall\":\"none\"", "home", "none", "none", "dual-stack", false },
                { "hotel", ",\"ip_support\":\"dual-stack\"", "corporate", "none", "captive-portal",
                  "dual-stack", false },
                { "public", ",\"firewall\":\"block-inbound\"", "none", "none", "block-inbound",
                  "dual-stack", true },
                { "corporate", ",\"nat_v6\":\"masquerade\"", "corporate", "masquerade", "corporate",
                  "dual-stack", false },
        };
        static char fails[8192];

        fails[0] = '\0';
        nt_lab("pt");
        for (size_t i = 0; i < N(cases); i++) {
                char name[16], extra[160];
                json_t *r, *dev, *down;
                const char *v;

                snprintf(name, sizeof(name), "r%zu", i);
                snprintf(extra, sizeof(extra), ",\"preset\":\"%s\"%s", cases[i].preset,
                         cases[i].extra);
                nt_router("pt", name, extra);
                r = nt_call("router.get", "{\"lab\":\"pt\",\"name\":\"%s\"}", name);
                down = json_object_get(r, "downstream");
                snprintf(extra, sizeof(extra), "d%zu", i);
                nt_device("pt", extra, name);
                dev = nt_call("device.get", "{\"lab\":\"pt\",\"name\":\"%s\"}", extra);
#define EXPECT(cond, ...)                                                              \
        do {                                                                           \
                if (!(cond))                                                           \
                        nt_fail_add(fails, sizeof(fails), "preset %s%s: " __VA_ARGS__, \
                                    cases[i].preset, cases[i].extra);                  \
        } while (0)
                EXPECT((v = opt_str(r, "preset")) && !strcmp(v, cases[i].preset), "preset %s",
                       v ? v : "null");
                EXPECT(!strcmp(pbt_str(r, "nat"), cases[i].nat), "nat %s", pbt_str(r, "nat"));
                EXPECT(!strcmp(pbt_str(r, "nat_v6"), cases[i].nat_v6), "nat_v6 %s",
                       pbt_str(r, "nat_v6"));
                EXPECT((v = opt_str(r, "firewall")) && !strcmp(v, cases[i].firewall), "firewall %s",
                       v ? v : "(not a string)");
                EXPECT(!strcmp(pbt_str(r, "ip_support"), cases[i].ip_support), "ip_support %s",
                       pbt_str(r, "ip_support"));
                v = opt_str(down, "cidr");
                EXPECT(starts(v, cases[i].public ? "198.18." : "10."), "LAN %s", v ? v : "null");
                v = opt_str(dev, "ip");
                EXPECT(starts(v, cases[i].public ? "198.18." : "10."), "device ip %s",
                       v ? v : "null");
                v = opt_str(down, "cidr6");
                if (!strcmp(cases[i].ip_support, "v4-only")) {
                        EXPECT(!v, "v4-only LAN has IPv6 %s", v);
                        EXPECT(!opt_str(dev, "ip6"), "v4-only device has IPv6");
                } else {
                        const char *pool = cases[i].public ? "2001:db8:1:" : "fd10:";

                        EXPECT(starts(v, pool), "LAN v6 %s", v ? v : "null");
                        v = opt_str(dev, "ip6");
                        EXPECT(starts(v, pool), "device ip6 %s", v ? v : "null");
                }
#undef EXPECT
                json_decref(dev);
                json_decref(r);
        }
        /* isp-v6: NAT64, a v6-only public LAN, but an IPv4 uplink (suite nat64 has traffic). */
        {
                json_t *r, *up, *down;

                nt_router("pt", "carrier", ",\"preset\":\"isp-v6\"");
                r = nt_call("router.get", "{\"lab\":\"pt\",\"name\":\"carrier\"}");
                up = json_object_get(r, "uplink");
                down = json_object_get(r, "downstream");
                ck_assert_str_eq(pbt_str(r, "nat"), "none");
                ck_assert_str_eq(pbt_str(r, "nat_v6"), "nat64");
                ck_assert_str_eq(pbt_str(r, "firewall"), "block-inbound");
                ck_assert_str_eq(pbt_str(r, "ip_support"), "v6-only");
                ck_assert_msg(starts(opt_str(up, "ip"), "198.18."), "no IPv4 uplink");
                ck_assert_msg(!opt_str(down, "cidr"), "v6-only LAN has IPv4");
                ck_assert_msg(starts(opt_str(down, "cidr6"), "2001:db8:1:"), "LAN v6");
                json_decref(r);
        }
        ck_assert_msg(fails[0] == '\0', "presets differ from SPEC §4:\n%s", fails);
}
END_TEST

/*
 * What presets do to traffic: home hides and blocks inbound (IPv6 too: its
 * ULA is routed but the firewall drops new flows), public is reachable,
 * corporate blocks UDP 3478 but not TCP 443, hotel allows TCP 8080 but not
 * UDP 3478 (UDP 53 yes), cloud maps endpoint-dependently, isp-cgnat shares
 * its address with the NATs behind it.
 */
START_TEST(presets_behave)
{
        struct nt_addrs dc, home, hdev, pdev;
        char t[96], r6[96];
        struct nt_ep a, b;

        nt_lab("pb");
        nt_router("pb", "dc", ",\"preset\":\"public\"");
        dc = nt_wan("pb", "dc");
        dc_reflectors("pb", &dc);
        nt_reflector("pb", "ix", "198.18.0.1:3479", "udp");
        snprintf(r6, sizeof(r6), "[%s]:3478", dc.ip6);
        static const char *const presets[] = { "home",  "public", "corporate",
                                               "hotel", "cloud",  "isp-cgnat" };
        for (size_t i = 0; i < N(presets); i++) {
                char extra[64], d[32];

                snprintf(extra, sizeof(extra), ",\"preset\":\"%s\"", presets[i]);
                nt_router("pb", presets[i], extra);
                snprintf(d, sizeof(d), "%s-dev", presets[i]);
                nt_device("pb", d, presets[i]);
                device_reflectors("pb", d);
        }
        nt_router("pb", "sub", ",\"nat\":\"home\",\"upstream\":\"isp-cgnat\"");
        nt_device("pb", "sub-dev", "sub");

        /* home: out v4 as the WAN, v6 as itself; nothing in, v4 or v6. */
        home = nt_wan("pb", "home");
        hdev = nt_dev("pb", "home-dev");
        snprintf(t, sizeof(t), "%s:3478", dc.ip);
        ck_assert_str_eq(nt_probe_ok("pb", "home-dev", t, "udp", NULL).host, home.ip);
        ck_assert_str_eq(nt_probe_ok("pb", "home-dev", r6, "udp", NULL).host, hdev.ip6);
        snprintf(t, sizeof(t), "[%s]:7000", hdev.ip6);
        ck_assert(nt_dropped("pb", "dc", t, "udp", NULL));
        ck_assert(nt_dropped("pb", "dc", t, "tcp", NULL));
        ck_assert(nt_unreachable("pb", "dc", hdev.ip6));
        snprintf(t, sizeof(t), "%s:7000", home.ip);
        ck_assert(!nt_probe(&a, "pb", "dc", t, "udp", NULL, NT_DROP_MS, 1));

        /* public: reachable both ways, v4 and v6. */
        pdev = nt_dev("pb", "public-dev");
        ck_assert(nt_ping("pb", "dc", pdev.ip));
        ck_assert(nt_ping("pb", "dc", pdev.ip6));
        snprintf(t, sizeof(t), "[%s]:7000", pdev.ip6);
        ck_assert_str_eq(nt_probe_ok("pb", "dc", t, "tcp", NULL).host, dc.ip6);

        /* corporate: UDP 3478 no, TCP 443 yes. */
        snprintf(t, sizeof(t), "%s:3478", dc.ip);
        ck_assert(nt_dropped("pb", "corporate-dev", t, "udp", NULL));
        ck_assert(nt_dropped("pb", "hotel-dev", t, "udp", NULL));
        snprintf(t, sizeof(t), "%s:443", dc.ip);
        ck_assert_str_eq(nt_probe_ok("pb", "corporate-dev", t, "tcp", NULL).host,
                         nt_wan("pb", "corporate").ip);
        /* hotel: TCP 8080 and UDP 53 yes. */
        snprintf(t, sizeof(t), "%s:8080", dc.ip);
        ck_assert_str_eq(nt_probe_ok("pb", "hotel-dev", t, "tcp", NULL).host,
                         nt_wan("pb", "hotel").ip);
        ck_assert(nt_dropped("pb", "corporate-dev", t, "tcp", NULL));
        snprintf(t, sizeof(t), "%s:53", dc.ip);
        nt_probe_ok("pb", "hotel-dev", t, "udp", NULL);

        /* cloud: endpoint-dependent mapping. */
        snprintf(t, sizeof(t), "%s:3478", dc.ip);
        a = nt_probe_ok("pb", "cloud-dev", t, "udp", "0.0.0.0:46000");
        b = nt_probe_ok("pb", "cloud-dev", "198.18.0.1:3479", "udp", "0.0.0.0:46000");
        ck_assert_str_eq(a.host, nt_wan("pb", "cloud").ip);
        ck_assert_msg(a.port != b.port, "cloud: port %u to both destinations", a.port);

        /* isp-cgnat: its own devices and the NAT behind it leave as its WAN address. */
        ck_assert_str_eq(nt_probe_ok("pb", "isp-cgnat-dev", t, "udp", NULL).host,
                         nt_wan("pb", "isp-cgnat").ip);
        ck_assert_str_eq(nt_probe_ok("pb", "sub-dev", t, "udp", NULL).host,
                         nt_wan("pb", "isp-cgnat").ip);
        ck_assert(starts(nt_wan("pb", "sub").ip, "10."));
}
END_TEST

Suite *
make_firewall_suite(void)
{
        Suite *s = suite_create("firewall");
        TCase *tc = tcase_create("firewall");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, firewall_table);
        tcase_add_test(tc, firewall_behind_home_nat);
        tcase_add_test(tc, set_firewall_live);
        tcase_add_test(tc, pmtu_black_hole);
        tcase_add_test(tc, presets_table);
        tcase_add_test(tc, presets_behave);
        suite_add_tcase(s, tc);
        return s;
}
