/* SPDX-License-Identifier: MIT */
/*
 * Suite "capture": packet captures and interface counters (SPEC §9),
 * checked against real packets.
 *
 * Lab "cap": router r (routed, no NAT), device dev on it, a UDP reflector
 * on r's uplink address.  node.probe from dev sends "PROBE" and gets
 * "OBSERVED <dev ip>:<port>" back; the captures must hold both datagrams
 * with the right addresses and ports, read back here by a small pcap
 * reader of our own.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "nat-util.h"
#include "suites.h"
#include "topo.h"

#define LAB        "cap"
#define REFL_PORT  3478
#define MAX_FRAMES 4096

static char dir[300];   /* Scratch directory for the pcap files. */
static char target[96]; /* The reflector: "<r wan ip>:3478". */
static char wan_ip[64]; /* r's uplink address. */
static char dev_ip[64]; /* dev's eth0 address. */
static char peer[32];   /* dev eth0's other end in r ("v<id>"). */

/* --- a tiny pcap reader ------------------------------------------------- */

struct frame {
        uint64_t ns; /* UNIX time in ns. */
        uint32_t caplen, len;
        const uint8_t *data;
};

struct pcap {
        uint8_t *buf;
        size_t size;
        size_t n;
        struct frame f[MAX_FRAMES];
};

static uint32_t
le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t
le16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

/* Reads 'path' whole and checks its header and record structure. */
static struct pcap *
pcap_read(const char *path)
{
        struct pcap *p = calloc(1, sizeof(*p));
        struct stat st;
        size_t off;
        FILE *f;

        ck_assert_ptr_nonnull(p);
        f = fopen(path, "rb");
        ck_assert_msg(f, "cannot open %s: %s", path, strerror(errno));
        ck_assert_int_eq(fstat(fileno(f), &st), 0);
        p->size = (size_t)st.st_size;
        p->buf = malloc(p->size + 1);
        ck_assert_ptr_nonnull(p->buf);
        ck_assert_uint_eq(fread(p->buf, 1, p->size, f), p->size);
        fclose(f);

        ck_assert_msg(p->size >= 24, "%s: %zu bytes, no pcap header", path, p->size);
        ck_assert_msg(le32(p->buf) == 0xa1b23c4du, "%s: magic %08x", path, le32(p->buf));
        ck_assert_uint_eq(le16(p->buf + 4), 2);
        ck_assert_uint_eq(le16(p->buf + 6), 4);
        ck_assert_uint_eq(le32(p->buf + 8), 0);
        ck_assert_uint_eq(le32(p->buf + 12), 0);
        ck_assert_uint_eq(le32(p->buf + 16), 262144);
        ck_assert_uint_eq(le32(p->buf + 20), 1); /* LINKTYPE_ETHERNET */
        for (off = 24; off < p->size;) {
                struct frame *fr = &p->f[p->n];

                ck_assert_msg(p->size - off >= 16, "%s: record header cut at %zu", path, off);
                ck_assert_uint_lt(p->n, MAX_FRAMES);
                fr->ns = (uint64_t)le32(p->buf + off) * 1000000000u + le32(p->buf + off + 4);
                ck_assert_uint_lt(le32(p->buf + off + 4), 1000000000u);
                fr->caplen = le32(p->buf + off + 8);
                fr->len = le32(p->buf + off + 12);
                ck_assert_uint_le(fr->caplen, fr->len);
                ck_assert_uint_le(fr->caplen, 262144);
                off += 16;
                ck_assert_msg(p->size - off >= fr->caplen, "%s: frame cut at %zu", path, off);
                fr->data = p->buf + off;
                off += fr->caplen;
                p->n++;
        }
        return p;
}

static void
pcap_free(struct pcap *p)
{
        free(p->buf);
        free(p);
}

/* A UDP/IPv4 datagram of a frame. */
struct udp {
        char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
        unsigned sport, dport;
        const uint8_t *payload;
        size_t plen;
};

static bool
udp_of(const struct frame *fr, struct udp *u)
{
        const uint8_t *d = fr->data;
        size_t ihl, ulen;

        if (fr->caplen < 14 + 20 + 8 || d[12] != 0x08 || d[13] != 0x00)
                return false;
        d += 14;
        ihl = (size_t)(d[0] & 0x0f) * 4;
        if ((d[0] >> 4) != 4 || d[9] != 17 || fr->caplen < 14 + ihl + 8)
                return false;
        inet_ntop(AF_INET, d + 12, u->src, sizeof(u->src));
        inet_ntop(AF_INET, d + 16, u->dst, sizeof(u->dst));
        d += ihl;
        u->sport = (unsigned)(d[0] << 8 | d[1]);
        u->dport = (unsigned)(d[2] << 8 | d[3]);
        ulen = (size_t)(d[4] << 8 | d[5]);
        if (ulen < 8 || 14 + ihl + ulen > fr->caplen)
                return false;
        u->payload = d + 8;
        u->plen = ulen - 8;
        return true;
}

/*
 * Finds the 'nth' (from 0) datagram between 'a':'aport' and 'b':'bport'
 * (0: any port) whose payload starts with 'prefix'; returns its index or -1.
 */
static int
find_udp(const struct pcap *p, unsigned nth, const char *a, unsigned aport, const char *b,
         unsigned bport, const char *prefix, struct udp *ret)
{
        for (size_t i = 0; i < p->n; i++) {
                struct udp u;

                if (!udp_of(&p->f[i], &u) || strcmp(u.src, a) || strcmp(u.dst, b) ||
                    (aport && u.sport != aport) || (bport && u.dport != bport) ||
                    u.plen < strlen(prefix) || memcmp(u.payload, prefix, strlen(prefix)))
                        continue;
                if (nth-- > 0)
                        continue;
                if (ret)
                        *ret = u;
                return (int)i;
        }
        return -1;
}

/* --- the lab ------------------------------------------------------------- */

static uint64_t
wall_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
setup(void)
{
        json_t *dev;

        nt_setup();
        pbt_mkdir(dir, sizeof(dir));
        nt_lab(LAB);
        nt_router(LAB, "r", NULL);
        nt_device(LAB, "dev", "r");
        snprintf(wan_ip, sizeof(wan_ip), "%s", nt_wan(LAB, "r").ip);
        snprintf(dev_ip, sizeof(dev_ip), "%s", nt_dev(LAB, "dev").ip);
        snprintf(target, sizeof(target), "%s:%d", wan_ip, REFL_PORT);
        (void)nt_reflector(LAB, "r", target, "udp");
        dev = nt_call("device.get", "{\"lab\":\"%s\",\"name\":\"dev\"}", LAB);
        snprintf(peer, sizeof(peer), "%s",
                 json_string_value(json_object_get(
                         json_array_get(json_object_get(dev, "ifaces"), 0), "peer")));
        json_decref(dev);
        ck_assert_msg(peer[0], "device.get shows no peer for eth0");
}

static void
teardown(void)
{
        nt_teardown();
}

/* capture.start; returns the id and the path in 'path' (given: "<dir>/<name>"). */
static long long
cap_start(const char *node, const char *iface, const char *name, char *path, size_t n)
{
        json_t *r;
        long long id;

        snprintf(path, n, "%s/%s", dir, name);
        r = nt_call("capture.start",
                    "{\"lab\":\"%s\",\"node\":\"%s\",\"iface\":\"%s\",\"path\":\"%s\"}", LAB, node,
                    iface, path);
        id = json_integer_value(json_object_get(r, "id"));
        ck_assert_int_ge(id, 1);
        ck_assert_str_eq(json_string_value(json_object_get(r, "path")), path);
        json_decref(r);
        return id;
}

/* capture.stop; returns the packet count (and checks the result's members). */
static long long
cap_stop(long long id, const char *path)
{
        json_t *r = nt_call("capture.stop", "{\"lab\":\"%s\",\"id\":%lld}", LAB, id);
        long long packets = json_integer_value(json_object_get(r, "packets"));

        ck_assert_int_eq(json_integer_value(json_object_get(r, "id")), id);
        ck_assert_str_eq(json_string_value(json_object_get(r, "path")), path);
        ck_assert(json_is_integer(json_object_get(r, "bytes")));
        ck_assert_int_eq(json_integer_value(json_object_get(r, "dropped")), 0);
        json_decref(r);
        return packets;
}

/* One probe that must be answered; returns the port dev used. */
static unsigned
probe(void)
{
        struct nt_ep ep = nt_probe_ok(LAB, "dev", target, "udp", NULL);

        ck_assert_str_eq(ep.host, dev_ip); /* Routed, no NAT. */
        return ep.port;
}

/*
 * The nth probe from dev:'port' and its answer are both in 'p', with the
 * right addresses and ports, the answer after the probe and both within
 * [t0, t1]; returns the answer's delay after the probe in ms.
 */
static double
check_exchange(const struct pcap *p, const char *what, unsigned nth, unsigned port, uint64_t t0,
               uint64_t t1)
{
        char observed[128];
        struct udp q, a;
        int iq, ia;

        iq = find_udp(p, nth, dev_ip, port, wan_ip, REFL_PORT, "PROBE", &q);
        ck_assert_msg(iq >= 0, "%s: no PROBE %s:%u -> %s (%zu frames)", what, dev_ip, port, target,
                      p->n);
        ck_assert_uint_eq(q.plen, 5);
        snprintf(observed, sizeof(observed), "OBSERVED %s:%u", dev_ip, port);
        ia = find_udp(p, nth, wan_ip, REFL_PORT, dev_ip, port, "OBSERVED ", &a);
        ck_assert_msg(ia >= 0, "%s: no answer %s -> %s:%u", what, target, dev_ip, port);
        ck_assert_msg(a.plen >= strlen(observed) && !memcmp(a.payload, observed, strlen(observed)),
                      "%s: the answer is '%.*s', not '%s'", what, (int)a.plen, a.payload, observed);
        ck_assert_msg(p->f[ia].ns > p->f[iq].ns, "%s: the answer is not after the probe", what);
        ck_assert_msg(p->f[iq].ns >= t0 && p->f[ia].ns <= t1,
                      "%s: timestamps %llu..%llu outside the test's %llu..%llu", what,
                      (unsigned long long)p->f[iq].ns, (unsigned long long)p->f[ia].ns,
                      (unsigned long long)t0, (unsigned long long)t1);
        return (double)(p->f[ia].ns - p->f[iq].ns) / 1e6;
}

static bool
userspace_shaper(void)
{
        json_t *info = nt_call("daemon.info", "{}");
        bool u = strcmp(json_string_value(json_object_get(info, "shaper")) ?: "", "userspace") == 0;

        json_decref(info);
        return u;
}

/* The running capture 'id' of lab.state (a new reference), or NULL. */
static json_t *
state_capture(long long id)
{
        json_t *st = nt_call("lab.state", "{\"lab\":\"%s\"}", LAB), *c, *ret = NULL;
        size_t i;

        json_array_foreach (json_object_get(st, "captures"), i, c)
                if (json_integer_value(json_object_get(c, "id")) == id)
                        ret = json_incref(c);
        json_decref(st);
        return ret;
}

/* --- tests --------------------------------------------------------------- */

/* dev's eth0 and r's end of that link, one probe: both datagrams in both files. */
START_TEST(probe_both_ends)
{
        char p_dev[400], p_r[400];
        long long c_dev, c_r, n_dev, n_r;
        struct pcap *pd, *pr;
        uint64_t t0, t1;
        unsigned port;
        json_t *st;

        t0 = wall_ns();
        c_dev = cap_start("dev", "eth0", "dev.pcap", p_dev, sizeof(p_dev));
        c_r = cap_start("r", peer, "r.pcap", p_r, sizeof(p_r));
        st = state_capture(c_r);
        ck_assert_ptr_nonnull(st);
        ck_assert_str_eq(pbt_str(st, "node"), "r");
        ck_assert_str_eq(pbt_str(st, "iface"), peer);
        ck_assert_str_eq(pbt_str(st, "path"), p_r);
        json_decref(st);
        port = probe();
        n_dev = cap_stop(c_dev, p_dev);
        n_r = cap_stop(c_r, p_r);
        t1 = wall_ns();
        ck_assert_ptr_null(state_capture(c_dev));

        pd = pcap_read(p_dev);
        pr = pcap_read(p_r);
        ck_assert_int_eq(n_dev, (long long)pd->n);
        ck_assert_int_eq(n_r, (long long)pr->n);
        (void)check_exchange(pd, "dev/eth0", 0, port, t0, t1);
        (void)check_exchange(pr, "r/peer", 0, port, t0, t1);
        for (size_t i = 1; i < pd->n; i++)
                ck_assert_msg(pd->f[i].ns >= pd->f[i - 1].ns, "dev/eth0: frame %zu goes back", i);
        pcap_free(pd);
        pcap_free(pr);
}
END_TEST

/*
 * A 20 ms latency on dev's egress, set before the capture: the probe is
 * stolen into the shaper's port before eth0's taps see it, and the capture
 * reads it there.  The answer comes 20 ms or more after the probe.
 */
START_TEST(shaped_before_start)
{
        char path[400];
        struct pcap *p;
        uint64_t t0, t1;
        unsigned port;
        long long id;
        json_t *st;
        double ms;

        json_decref(nt_call("iface.set_condition",
                            "{\"lab\":\"%s\",\"device\":\"dev\",\"iface\":\"eth0\","
                            "\"condition\":{\"latency_ms\":20}}",
                            LAB));
        t0 = wall_ns();
        id = cap_start("dev", "eth0", "shaped.pcap", path, sizeof(path));
        st = state_capture(id);
        ck_assert_ptr_nonnull(st);
        ck_assert(json_is_true(json_object_get(st, "shaped_egress")) == userspace_shaper());
        json_decref(st);
        port = probe();
        ck_assert_int_ge(cap_stop(id, path), 2);
        t1 = wall_ns();
        p = pcap_read(path);
        ms = check_exchange(p, "dev/eth0 shaped", 0, port, t0, t1);
        ck_assert_msg(ms >= 19.0, "the answer came %.1f ms after the probe, not >= 20", ms);
        pcap_free(p);
}
END_TEST

/* The condition comes and goes while the capture runs: every probe is captured. */
START_TEST(shaped_while_running)
{
        char path[400];
        unsigned port[3];
        struct pcap *p;
        uint64_t t0, t1;
        long long id;

        t0 = wall_ns();
        id = cap_start("dev", "eth0", "follow.pcap", path, sizeof(path));
        port[0] = probe();
        json_decref(nt_call("iface.set_condition",
                            "{\"lab\":\"%s\",\"device\":\"dev\",\"iface\":\"eth0\","
                            "\"condition\":{\"latency_ms\":20},\"direction\":\"both\"}",
                            LAB));
        port[1] = probe();
        json_decref(nt_call("iface.set_condition",
                            "{\"lab\":\"%s\",\"device\":\"dev\",\"iface\":\"eth0\","
                            "\"condition\":null}",
                            LAB));
        port[2] = probe();
        ck_assert_int_ge(cap_stop(id, path), 6);
        t1 = wall_ns();
        p = pcap_read(path);
        for (unsigned k = 0; k < 3; k++) {
                char what[64];
                double ms;

                snprintf(what, sizeof(what), "probe %u", k);
                ms = check_exchange(p, what, 0, port[k], t0, t1);
                if (k == 1)
                        ck_assert_msg(ms >= 39.0, "shaped both ways: %.1f ms, not >= 40", ms);
        }
        pcap_free(p);
}
END_TEST

START_TEST(api_errors)
{
        char path[400];
        struct pb_error e;
        long long id;

        id = cap_start("dev", "eth0", "err.pcap", path, sizeof(path));
        e = nt_fail("capture.start", "{\"lab\":\"%s\",\"node\":\"dev\",\"iface\":\"eth0\"}", LAB);
        ck_assert_str_eq(e.name, "patchbay.InUse");
        (void)cap_stop(id, path);
        e = nt_fail("capture.stop", "{\"lab\":\"%s\",\"id\":%lld}", LAB, id);
        ck_assert_int_eq(e.code, -32009);
        ck_assert_str_eq(e.name, "patchbay.NoSuchProc");
        e = nt_fail("capture.start", "{\"lab\":\"%s\",\"node\":\"dev\",\"iface\":\"eth9\"}", LAB);
        ck_assert_int_eq(e.code, -32008);
        ck_assert_str_eq(e.name, "patchbay.NoSuchIface");
        e = nt_fail("capture.start", "{\"lab\":\"%s\",\"node\":\"nope\",\"iface\":\"eth0\"}", LAB);
        ck_assert_str_eq(e.name, "patchbay.NoSuchNode");
        e = nt_fail("capture.start", "{\"lab\":\"nolab\",\"node\":\"dev\",\"iface\":\"eth0\"}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchLab");
        e = nt_fail("capture.start",
                    "{\"lab\":\"%s\",\"node\":\"dev\",\"iface\":\"eth0\",\"path\":\"%s/no/such/"
                    "dir.pcap\"}",
                    LAB, dir);
        ck_assert_int_eq(e.code, -32000);
        ck_assert_int_eq(e.errnum, ENOENT);
        /* The default path: the socket's directory (no outdir). */
        {
                json_t *r = nt_call("capture.start",
                                    "{\"lab\":\"%s\",\"node\":\"ix\",\"iface\":\"ix\"}", LAB);
                char want[400];
                struct pcap *p;

                snprintf(want, sizeof(want), "%.*s/%s.ix.ix.pcap",
                         (int)(strrchr(nt_d.sock, '/') - nt_d.sock), nt_d.sock, LAB);
                ck_assert_str_eq(pbt_str(r, "path"), want);
                id = json_integer_value(json_object_get(r, "id"));
                json_decref(r);
                (void)cap_stop(id, want);
                p = pcap_read(want);
                pcap_free(p);
                unlink(want);
        }
}
END_TEST

/* Destroying the lab ends its captures with complete, valid files. */
START_TEST(ends_with_lab)
{
        char p1[400], p2[400];
        struct pcap *p;
        unsigned port;

        (void)cap_start("dev", "eth0", "lab1.pcap", p1, sizeof(p1));
        (void)cap_start("r", peer, "lab2.pcap", p2, sizeof(p2));
        port = probe();
        json_decref(nt_call("lab.destroy", "{\"lab\":\"%s\"}", LAB));
        p = pcap_read(p1);
        (void)check_exchange(p, "dev/eth0 after lab.destroy", 0, port, 0, UINT64_MAX);
        pcap_free(p);
        p = pcap_read(p2);
        (void)check_exchange(p, "r/peer after lab.destroy", 0, port, 0, UINT64_MAX);
        pcap_free(p);
}
END_TEST

/* Removing the device ends a capture of its router's end too. */
START_TEST(ends_with_iface)
{
        char p1[400];
        json_t *st;
        long long id;

        id = cap_start("r", peer, "gone.pcap", p1, sizeof(p1));
        json_decref(nt_call("device.remove", "{\"lab\":\"%s\",\"name\":\"dev\"}", LAB));
        ck_assert_ptr_null(state_capture(id));
        pcap_free(pcap_read(p1));
        (void)nt_fail("capture.stop", "{\"lab\":\"%s\",\"id\":%lld}", LAB, id);
        st = nt_call("lab.state", "{\"lab\":\"%s\"}", LAB);
        ck_assert_uint_eq(json_array_size(json_object_get(st, "captures")), 0);
        json_decref(st);
}
END_TEST

struct ctr {
        long long rx_packets, rx_bytes, tx_packets, tx_bytes;
};

static struct ctr
ctr_of(json_t *c)
{
        ck_assert_msg(json_is_object(c), "no counters");
        ck_assert(json_is_integer(json_object_get(c, "rx_dropped")));
        ck_assert(json_is_integer(json_object_get(c, "tx_dropped")));
        return (struct ctr){
                json_integer_value(json_object_get(c, "rx_packets")),
                json_integer_value(json_object_get(c, "rx_bytes")),
                json_integer_value(json_object_get(c, "tx_packets")),
                json_integer_value(json_object_get(c, "tx_bytes")),
        };
}

/* dev's eth0 and r's end of the link, from lab.state. */
static void
counters(struct ctr *dev, struct ctr *r)
{
        json_t *st = nt_call("lab.state", "{\"lab\":\"%s\"}", LAB), *router;

        *dev = ctr_of(json_object_get(
                json_array_get(json_object_get(json_array_get(json_object_get(st, "devices"), 0),
                                               "ifaces"),
                               0),
                "counters"));
        router = json_array_get(json_object_get(st, "routers"), 0);
        ck_assert_str_eq(pbt_str(router, "name"), "r");
        *r = ctr_of(json_object_get(json_object_get(router, "counters"), peer));
        ck_assert_ptr_nonnull(json_object_get(json_object_get(router, "counters"), "br-lan"));
        ck_assert_ptr_null(json_object_get(json_object_get(router, "counters"), "lo"));
        json_decref(st);
}

/* N probes: eth0's tx/rx packets grow by N or more, tx bytes by N full frames or more. */
START_TEST(iface_counters)
{
        const int n = 8;
        struct ctr d0, r0, d1, r1;

        (void)probe(); /* Neighbours resolved: what follows is the probes (and little else). */
        counters(&d0, &r0);
        for (int i = 0; i < n; i++)
                (void)probe();
        counters(&d1, &r1);
        /* Each probe: an Ethernet + IPv4 + UDP frame carrying "PROBE" (14 + 20 + 8 + 5). */
        ck_assert_int_ge(d1.tx_packets - d0.tx_packets, n);
        ck_assert_int_ge(d1.rx_packets - d0.rx_packets, n);
        ck_assert_int_ge(d1.tx_bytes - d0.tx_bytes, n * (14 + 20 + 8 + 5));
        ck_assert_int_ge(d1.rx_bytes - d0.rx_bytes, n * (14 + 20 + 8 + 9));
        /* The router's end of the veth mirrors it. */
        ck_assert_int_ge(r1.rx_packets - r0.rx_packets, n);
        ck_assert_int_ge(r1.tx_packets - r0.tx_packets, n);

        /*
         * Shaped both ways, the link's frames pass the shaper's ports (with
         * the userspace shaper) instead of the veth: they count all the same.
         */
        json_decref(nt_call("iface.set_condition",
                            "{\"lab\":\"%s\",\"device\":\"dev\",\"iface\":\"eth0\","
                            "\"condition\":{\"latency_ms\":2},\"direction\":\"both\"}",
                            LAB));
        (void)probe();
        counters(&d0, &r0);
        for (int i = 0; i < n; i++)
                (void)probe();
        counters(&d1, &r1);
        ck_assert_int_ge(d1.tx_packets - d0.tx_packets, n);
        ck_assert_int_ge(d1.tx_bytes - d0.tx_bytes, n * (14 + 20 + 8 + 5));
        ck_assert_int_ge(d1.rx_packets - d0.rx_packets, n);
        ck_assert_int_ge(r1.rx_packets - r0.rx_packets, n);
        ck_assert_int_ge(r1.tx_packets - r0.tx_packets, n);
}
END_TEST

/* pbctl capture LAB NODE IFACE -w FILE --duration 1, with probes meanwhile. */
START_TEST(pbctl_duration)
{
        const char *pbctl = getenv("PBCTL");
        char path[400], out[4096];
        unsigned port;
        long long t0;
        size_t len = 0;
        int pipefd[2], status;
        json_t *res;
        struct pcap *p;
        pid_t pid;

        if (!pbctl) {
                fprintf(stderr, "capture: PBCTL not set, skipping pbctl_duration\n");
                return;
        }
        snprintf(path, sizeof(path), "%s/pbctl.pcap", dir);
        ck_assert_int_eq(pipe(pipefd), 0);
        t0 = pbt_now_ms();
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                dup2(pipefd[1], STDOUT_FILENO);
                close(pipefd[0]);
                execl(pbctl, "pbctl", "--socket", nt_d.sock, "--json", "capture", LAB, "dev",
                      "eth0", "-w", path, "--duration", "1.5", (char *)NULL);
                _exit(127);
        }
        close(pipefd[1]);
        /* Wait for the capture to run, then probe. */
        for (int i = 0; i < 100; i++) {
                json_t *st = nt_call("lab.state", "{\"lab\":\"%s\"}", LAB);
                size_t n = json_array_size(json_object_get(st, "captures"));

                json_decref(st);
                if (n)
                        break;
                usleep(20000);
        }
        port = probe();
        for (;;) {
                ssize_t r = read(pipefd[0], out + len, sizeof(out) - 1 - len);

                if (r <= 0)
                        break;
                len += (size_t)r;
        }
        out[len] = '\0';
        close(pipefd[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "pbctl capture: status %d",
                      status);
        ck_assert_msg(pbt_now_ms() - t0 >= 1400, "pbctl capture returned after %lld ms",
                      pbt_now_ms() - t0);
        res = json_loads(out, 0, NULL);
        ck_assert_msg(res, "pbctl capture printed '%s'", out);
        ck_assert_str_eq(pbt_str(res, "path"), path);
        ck_assert_int_ge(json_integer_value(json_object_get(res, "packets")), 2);
        json_decref(res);
        p = pcap_read(path);
        (void)check_exchange(p, "pbctl capture", 0, port, 0, UINT64_MAX);
        pcap_free(p);
}
END_TEST

Suite *
make_capture_suite(void)
{
        Suite *s = suite_create("capture");
        TCase *tc = tcase_create("capture");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, probe_both_ends);
        tcase_add_test(tc, shaped_before_start);
        tcase_add_test(tc, shaped_while_running);
        tcase_add_test(tc, api_errors);
        tcase_add_test(tc, ends_with_lab);
        tcase_add_test(tc, ends_with_iface);
        tcase_add_test(tc, iface_counters);
        tcase_add_test(tc, pbctl_duration);
        suite_add_tcase(s, tc);
        return s;
}
