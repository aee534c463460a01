/* SPDX-License-Identifier: MIT */
/*
 * Suite "natpath": paths through NATs that SPEC §4 promises (the reference
 * suite's hairpin.rs and holepunch.rs, C.4 and C.5): hairpinning, full-cone
 * inbound, and UDP hole punching between two processes behind two NATs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nat-util.h"
#include "suites.h"

/*
 * Hairpin: b maps local port P by sending to dc, then listens on P; a sends
 * to <WAN>:<b's external port>.  It arrives (source-NATed to the WAN address)
 * only where the mode hairpins.  The listener is there in every case, so a
 * failure is the NAT's doing.
 */
START_TEST(hairpin)
{
        static const struct {
                const char *json;
                bool works;
        } cases[] = {
                { "\"nat\":\"full-cone\"", true },
                { "\"nat\":\"home\"", false },
                { "\"nat_config\":{\"mapping\":\"eim\",\"filtering\":\"apdf\",\"hairpin\":true}",
                  true },
                { "\"nat_config\":{\"mapping\":\"edm\",\"hairpin\":true}", true },
                { "\"nat\":\"corporate\"", false },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char lab[16], extra[160], r_dc[96], target[96];
                struct nt_addrs dc, wan;
                struct nt_ep b_ext, seen;

                snprintf(lab, sizeof(lab), "hp%zu", i);
                snprintf(extra, sizeof(extra), ",%s", cases[i].json);
                nt_lab(lab);
                nt_router(lab, "dc", NULL);
                nt_router(lab, "r", extra);
                nt_device(lab, "a", "r");
                nt_device(lab, "b", "r");
                dc = nt_wan(lab, "dc");
                wan = nt_wan(lab, "r");
                snprintf(r_dc, sizeof(r_dc), "%s:3478", dc.ip);
                nt_reflector(lab, "dc", r_dc, "udp");

                b_ext = nt_probe_ok(lab, "b", r_dc, "udp", "0.0.0.0:44000");
                ck_assert_str_eq(b_ext.host, wan.ip);
                nt_reflector(lab, "b", "0.0.0.0:44000", "udp");
                snprintf(target, sizeof(target), "%s:%u", wan.ip, b_ext.port);
                if (cases[i].works) {
                        ck_assert_msg(
                                nt_probe(&seen, lab, "a", target, "udp", "0.0.0.0:44001", 0, 0),
                                "%s: no hairpin to %s: %s", cases[i].json, target, seen.err);
                        /* b saw a as the NAT's WAN address. */
                        ck_assert_msg(strcmp(seen.host, wan.ip) == 0, "%s: b saw %s, want %s",
                                      cases[i].json, seen.text, wan.ip);
                } else {
                        ck_assert_msg(nt_dropped(lab, "a", target, "udp", "0.0.0.0:44001"),
                                      "%s: hairpin to %s works", cases[i].json, target);
                }
                json_decref(nt_call("lab.destroy", "{\"lab\":\"%s\"}", lab));
        }
}
END_TEST

/*
 * Full-cone: once the device sent from P, anyone reaches P through the WAN
 * address (UDP and TCP); a port never mapped stays closed.  Home drops the
 * same packets.
 */
START_TEST(full_cone_accepts_unsolicited)
{
        for (int fc = 1; fc >= 0; fc--) {
                const char *lab = fc ? "fc" : "home";
                struct nt_case k;
                char t[96];

                nt_build_nat_case(&k, lab, fc ? "\"nat\":\"full-cone\"" : "\"nat\":\"home\"",
                                  NT_DIRECT);
                /* Never sent from: closed either way. */
                nt_reflector(lab, "dev", "0.0.0.0:45000", "udp");
                snprintf(t, sizeof(t), "%s:45000", k.nat.ip);
                ck_assert_msg(nt_dropped(lab, "ix", t, "udp", NULL), "%s: unmapped port open", lab);

                /* UDP. */
                ck_assert_uint_eq(nt_probe_ok(lab, "dev", k.r_dc, "udp", "0.0.0.0:45001").port,
                                  45001);
                nt_reflector(lab, "dev", "0.0.0.0:45001", "udp");
                snprintf(t, sizeof(t), "%s:45001", k.nat.ip);
                if (fc) {
                        /* No source NAT inbound: the device sees the sender itself. */
                        ck_assert_str_eq(nt_probe_ok(lab, "ix", t, "udp", NULL).host, "198.18.0.1");
                        ck_assert_str_eq(nt_probe_ok(lab, "dc", t, "udp", NULL).host, k.dc.ip);
                } else {
                        ck_assert_msg(nt_dropped(lab, "ix", t, "udp", NULL),
                                      "home lets an unsolicited sender in");
                }

                /* TCP. */
                ck_assert_uint_eq(nt_probe_ok(lab, "dev", k.r_dc, "tcp", "0.0.0.0:45002").port,
                                  45002);
                nt_reflector(lab, "dev", "0.0.0.0:45002", "tcp");
                snprintf(t, sizeof(t), "%s:45002", k.nat.ip);
                if (fc)
                        ck_assert_str_eq(nt_probe_ok(lab, "ix", t, "tcp", NULL).host, "198.18.0.1");
                else /* the router itself may refuse it: it just must not get through */
                        ck_assert(!nt_probe(&(struct nt_ep){ 0 }, lab, "ix", t, "tcp", NULL,
                                            NT_DROP_MS, 1));
        }
}
END_TEST

/*
 * One hole-punching peer: binds an ephemeral port, learns its public address
 * from the reflector (argv 1, 2), prints "PUBLIC <ip:port>", reads the peer's
 * public address from stdin, sleeps argv 4 seconds, then for up to argv 5
 * seconds sends "punch <n>" to it every 100 ms (unless argv 3 is "silent")
 * and exits 0 printing "OK" once a datagram from exactly that address came
 * (after three "ack"s so that the peer hears it too), else 1 ("TIMEOUT").
 */
static const char punch_py[] = "import socket, sys, time\n"
                               "stun = (sys.argv[1], int(sys.argv[2]))\n"
                               "punch = sys.argv[3] == 'punch'\n"
                               "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                               "s.bind(('0.0.0.0', 0))\n"
                               "s.settimeout(0.5)\n"
                               "for i in range(10):\n"
                               "    s.sendto(b'PROBE', stun)\n"
                               "    try:\n"
                               "        data, src = s.recvfrom(512)\n"
                               "        break\n"
                               "    except socket.timeout:\n"
                               "        pass\n"
                               "print('PUBLIC', data.decode().split(' ', 1)[1], flush=True)\n"
                               "host, port = sys.stdin.readline().strip().rsplit(':', 1)\n"
                               "peer = (host, int(port))\n"
                               "time.sleep(float(sys.argv[4]))\n"
                               "s.settimeout(0.1)\n"
                               "end = time.monotonic() + float(sys.argv[5])\n"
                               "n = 0\n"
                               "while time.monotonic() < end:\n"
                               "    if punch:\n"
                               "        s.sendto(b'punch %d' % n, peer)\n"
                               "        n += 1\n"
                               "    try:\n"
                               "        data, src = s.recvfrom(512)\n"
                               "    except socket.timeout:\n"
                               "        continue\n"
                               "    if src == peer:\n"
                               "        for k in range(3):\n"
                               "            s.sendto(b'ack %d' % k, peer)\n"
                               "        print('OK', data.decode(), flush=True)\n"
                               "        sys.exit(0)\n"
                               "    print('STRAY', src, data, flush=True)\n"
                               "print('TIMEOUT after', n, 'punches', flush=True)\n"
                               "sys.exit(1)\n";

struct punch_result {
        int rc[2];
        char out[2][1024];
        char pub[2][96];
};

/*
 * Lab 'lab': dc with the reflector, n1 and n2 ('nat'), d1 on n1 and d2 on
 * n2; one peer in each device; d2 waits 'stagger' ("0.2") before punching,
 * or does not punch at all.
 */
static struct punch_result
hole_punch(const char *lab, const char *nat, const char *stagger, bool d2_punches,
           const char *limit)
{
        struct punch_result res;
        struct nt_addrs dc;
        char stun_port[] = "3478", extra[160], stun[96], line[128];
        long long p[2];

        memset(&res, 0, sizeof(res));
        snprintf(extra, sizeof(extra), ",%s", nat);
        nt_lab(lab);
        nt_router(lab, "dc", NULL);
        nt_router(lab, "n1", extra);
        nt_router(lab, "n2", extra);
        nt_device(lab, "d1", "n1");
        nt_device(lab, "d2", "n2");
        dc = nt_wan(lab, "dc");
        snprintf(stun, sizeof(stun), "%s:%s", dc.ip, stun_port);
        nt_reflector(lab, "dc", stun, "udp");
        for (int i = 0; i < 2; i++) {
                const char *argv[] = { "python3",
                                       "-c",
                                       punch_py,
                                       dc.ip,
                                       stun_port,
                                       i == 0 || d2_punches ? "punch" : "silent",
                                       i == 0 ? "0" : stagger,
                                       limit,
                                       NULL };

                p[i] = nt_spawn(lab, i ? "d2" : "d1", argv);
        }
        for (int i = 0; i < 2; i++) {
                const char *out = nt_await_output(p[i], "\n", 10000);

                ck_assert_msg(out && strncmp(out, "PUBLIC ", 7) == 0, "peer %d: %s", i + 1,
                              out ? out : "no output");
                snprintf(res.pub[i], sizeof(res.pub[i]), "%.*s", (int)strcspn(out + 7, "\n"),
                         out + 7);
        }
        /* Both learned their addresses: tell each the other's, back to back. */
        for (int i = 0; i < 2; i++) {
                snprintf(line, sizeof(line), "%s\n", res.pub[1 - i]);
                nt_proc_write(p[i], line);
        }
        for (int i = 0; i < 2; i++) {
                const char *out;

                res.rc[i] = nt_proc_wait(p[i], 20000);
                out = nt_await_output(p[i], "\n", 100);
                snprintf(res.out[i], sizeof(res.out[i]), "%s", out ? out : "");
        }
        json_decref(nt_call("lab.destroy", "{\"lab\":\"%s\"}", lab));
        return res;
}

static void
assert_punched(const char *what, const struct punch_result *r)
{
        ck_assert_msg(r->rc[0] == 0 && r->rc[1] == 0 && strstr(r->out[0], "\nOK ") &&
                              strstr(r->out[1], "\nOK "),
                      "%s: hole punching failed:\npeer 1 (exit %d):\n%speer 2 (exit %d):\n%s", what,
                      r->rc[0], r->out[0], r->rc[1], r->out[1]);
}

START_TEST(holepunch_full_cone)
{
        struct punch_result r = hole_punch("pf1", "\"nat\":\"full-cone\"", "0", true, "8");

        assert_punched("full-cone, simultaneous", &r);
        r = hole_punch("pf2", "\"nat\":\"full-cone\"", "0.2", true, "8");
        assert_punched("full-cone, staggered 200 ms", &r);
}
END_TEST

START_TEST(holepunch_home_simultaneous)
{
        struct punch_result r = hole_punch("ph1", "\"nat\":\"home\"", "0", true, "8");

        assert_punched("home, simultaneous", &r);
}
END_TEST

START_TEST(holepunch_home_staggered)
{
        struct punch_result r = hole_punch("ph2", "\"nat\":\"home\"", "0.2", true, "8");

        assert_punched("home, staggered 200 ms", &r);
}
END_TEST

/* Negative control: a home NAT lets nothing in for a peer that never sends to the other. */
START_TEST(holepunch_needs_both_sides)
{
        struct punch_result r = hole_punch("pn", "\"nat\":\"home\"", "0", false, "2");

        ck_assert_msg(r.rc[0] == 1 && r.rc[1] == 1 && strstr(r.out[0], "TIMEOUT") &&
                              strstr(r.out[1], "TIMEOUT"),
                      "one-sided punch got through:\n%s\n%s", r.out[0], r.out[1]);
        ck_assert(!strstr(r.out[0], "STRAY") && !strstr(r.out[1], "STRAY"));
}
END_TEST

Suite *
make_natpath_suite(void)
{
        Suite *s = suite_create("natpath");
        TCase *tc = tcase_create("natpath");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, nt_setup, nt_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, hairpin);
        tcase_add_test(tc, full_cone_accepts_unsolicited);
        tcase_add_test(tc, holepunch_full_cone);
        tcase_add_test(tc, holepunch_home_simultaneous);
        tcase_add_test(tc, holepunch_home_staggered);
        tcase_add_test(tc, holepunch_needs_both_sides);
        suite_add_tcase(s, tc);
        return s;
}
