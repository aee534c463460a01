/* SPDX-License-Identifier: MIT */
/*
 * Suite "siit": the NAT64 translator (lib/siit.c) on golden vectors.  The
 * packets are built here, with checksums from a plain one's-complement sum
 * over pseudo-header and data (not the translator's incremental updates),
 * and every translation is compared byte for byte with the packet built
 * directly in the other family.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "siit.h"
#include "suites.h"

#define P_ICMP  1
#define P_TCP   6
#define P_UDP   17
#define P_ICMP6 58

/* The test's client: 2001:db8:1:1::2 is 192.0.2.1. */
static const uint8_t CLIENT6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t CLIENT4[4] = { 192, 0, 2, 1 };
static const uint8_t SERVER4[4] = { 198, 18, 0, 10 };
static const uint8_t ROUTER4[4] = { 198, 18, 0, 1 };
static uint8_t SERVER6[16], ROUTER6[16]; /* 64:ff9b::<v4> */

static int
t_to4(void *ctx, const uint8_t v6[16], uint8_t v4[4])
{
        (void)ctx;
        if (memcmp(v6, CLIENT6, 16) != 0)
                return -1;
        memcpy(v4, CLIENT4, 4);
        return 0;
}

static int
t_to6(void *ctx, const uint8_t v4[4], uint8_t v6[16])
{
        (void)ctx;
        if (memcmp(v4, CLIENT4, 4) != 0)
                return -1;
        memcpy(v6, CLIENT6, 16);
        return 0;
}

static const struct pbl_siit_clients M = { .to4 = t_to4, .to6 = t_to6 };

/* --- an independent, straightforward checksum ----------------------------- */

static uint16_t
ref_csum(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
        uint8_t buf[70000];
        uint32_t s = 0;
        size_t n = na + nb;

        if (na) /* a is NULL for ICMPv4: no pseudo-header. */
                memcpy(buf, a, na);
        memcpy(buf + na, b, nb);
        if (n % 2)
                buf[n++] = 0;
        for (size_t i = 0; i < n; i += 2)
                s += (uint32_t)(buf[i] << 8 | buf[i + 1]);
        while (s > 0xffff)
                s = (s & 0xffff) + (s >> 16);
        return (uint16_t)~s;
}

static size_t
pseudo(uint8_t *ph, int family, const uint8_t *src, const uint8_t *dst, uint8_t proto, size_t len)
{
        if (family == 4) {
                memcpy(ph, src, 4);
                memcpy(ph + 4, dst, 4);
                ph[8] = 0;
                ph[9] = proto;
                ph[10] = (uint8_t)(len >> 8);
                ph[11] = (uint8_t)len;
                return 12;
        }
        memcpy(ph, src, 16);
        memcpy(ph + 16, dst, 16);
        ph[32] = (uint8_t)(len >> 24);
        ph[33] = (uint8_t)(len >> 16);
        ph[34] = (uint8_t)(len >> 8);
        ph[35] = (uint8_t)len;
        ph[36] = ph[37] = ph[38] = 0;
        ph[39] = proto;
        return 40;
}

static void
put16(uint8_t *p, unsigned v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

/* --- builders --------------------------------------------------------------- */

/* A transport segment: UDP, TCP or ICMP(v6), checksummed for 'family' and the addresses. */
struct seg {
        uint8_t b[2048];
        size_t n;
};

static struct seg
udp(int family, const uint8_t *src, const uint8_t *dst, unsigned sp, unsigned dp, const char *data,
    bool zero_sum)
{
        struct seg s = { .n = 8 + strlen(data) };
        uint8_t ph[40];

        put16(s.b, sp);
        put16(s.b + 2, dp);
        put16(s.b + 4, (unsigned)s.n);
        memcpy(s.b + 8, data, strlen(data));
        if (!zero_sum) {
                uint16_t c = ref_csum(ph, pseudo(ph, family, src, dst, P_UDP, s.n), s.b, s.n);

                put16(s.b + 6, c ? c : 0xffff);
        }
        return s;
}

static struct seg
tcp(int family, const uint8_t *src, const uint8_t *dst, const char *data)
{
        struct seg s = { .n = 20 + strlen(data) };
        uint8_t ph[40];

        put16(s.b, 40000);
        put16(s.b + 2, 443);
        memcpy(s.b + 4, "\x12\x34\x56\x78\x9a\xbc\xde\xf0", 8); /* seq, ack */
        s.b[12] = 0x50;
        s.b[13] = 0x18; /* PSH ACK */
        put16(s.b + 14, 64240);
        memcpy(s.b + 20, data, strlen(data));
        put16(s.b + 16, ref_csum(ph, pseudo(ph, family, src, dst, P_TCP, s.n), s.b, s.n));
        return s;
}

/* ICMP (family 4, no pseudo-header) or ICMPv6 message: type, code, 4 bytes, body. */
static struct seg
icmp(int family, const uint8_t *src, const uint8_t *dst, uint8_t type, uint8_t code, uint32_t rest,
     const uint8_t *body, size_t n)
{
        struct seg s = { .n = 8 + n };
        uint8_t ph[40];

        s.b[0] = type;
        s.b[1] = code;
        put16(s.b + 4, rest >> 16);
        put16(s.b + 6, rest & 0xffff);
        memcpy(s.b + 8, body, n);
        put16(s.b + 2, family == 4 ? ref_csum(NULL, 0, s.b, s.n)
                                   : ref_csum(ph, pseudo(ph, 6, src, dst, P_ICMP6, s.n), s.b, s.n));
        return s;
}

struct pkt {
        uint8_t b[2200];
        size_t n;
};

/* IPv4: ID 0, DF, as the translator writes them (tests vary flags through 'frag'). */
static struct pkt
ip4(const uint8_t *src, const uint8_t *dst, uint8_t proto, uint8_t ttl, uint8_t tos,
    const struct seg *s, unsigned frag)
{
        struct pkt p = { .n = 20 + s->n };

        p.b[0] = 0x45;
        p.b[1] = tos;
        put16(p.b + 2, (unsigned)p.n);
        put16(p.b + 6, frag);
        p.b[8] = ttl;
        p.b[9] = proto;
        memcpy(p.b + 12, src, 4);
        memcpy(p.b + 16, dst, 4);
        put16(p.b + 10, ref_csum(NULL, 0, p.b, 20));
        memcpy(p.b + 20, s->b, s->n);
        return p;
}

static struct pkt
ip6(const uint8_t *src, const uint8_t *dst, uint8_t nh, uint8_t hop, uint8_t tc,
    const struct seg *s)
{
        struct pkt p = { .n = 40 + s->n };

        p.b[0] = (uint8_t)(0x60 | tc >> 4);
        p.b[1] = (uint8_t)(tc << 4);
        put16(p.b + 4, (unsigned)s->n);
        p.b[6] = nh;
        p.b[7] = hop;
        memcpy(p.b + 8, src, 16);
        memcpy(p.b + 24, dst, 16);
        memcpy(p.b + 40, s->b, s->n);
        return p;
}

#define DF 0x4000

static uint8_t out[70000];

/* Translates 'in' (IPv6 to IPv4 when 'to4', else the other way) and compares it with 'want'. */
static void
expect(bool to4, const struct pkt *in, const struct pkt *want)
{
        size_t n = 0;
        enum pbl_siit_verdict v = to4 ? pbl_siit_6to4(&M, in->b, in->n, out, sizeof(out), &n)
                                      : pbl_siit_4to6(&M, in->b, in->n, out, sizeof(out), &n);

        ck_assert_msg(v == PBL_SIIT_OK, "verdict %s", pbl_siit_verdict_name(v));
        ck_assert_uint_eq(n, want->n);
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(out[i] == want->b[i], "byte %zu: %02x, want %02x", i, out[i],
                              want->b[i]);
}

#define expect_6to4(in, want) expect(true, in, want)
#define expect_4to6(in, want) expect(false, in, want)

static enum pbl_siit_verdict
v6to4(const uint8_t *b, size_t n)
{
        size_t len;

        return pbl_siit_6to4(&M, b, n, out, sizeof(out), &len);
}

static enum pbl_siit_verdict
v4to6(const uint8_t *b, size_t n)
{
        size_t len;

        return pbl_siit_4to6(&M, b, n, out, sizeof(out), &len);
}

static void
setup(void)
{
        pbl_siit_embed(SERVER4, SERVER6);
        pbl_siit_embed(ROUTER4, ROUTER6);
}

/* --- addresses -------------------------------------------------------------- */

START_TEST(embed_well_known_prefix)
{
        static const uint8_t v4[4] = { 203, 0, 113, 1 };
        static const uint8_t want[16] = { 0, 0x64, 0xff, 0x9b, 0,    0, 0,    0,
                                          0, 0,    0,    0,    0xcb, 0, 0x71, 0x01 };
        uint8_t v6[16];

        pbl_siit_embed(v4, v6);
        ck_assert_mem_eq(v6, want, 16);
}
END_TEST

/* One literal vector: UDP "hi" 1234 -> 5000, fd10::2 would be the reference's; ours is CLIENT6. */
START_TEST(udp_6to4_literal)
{
        static const uint8_t in[] = {
                0x60, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x11, 0x40, /* hop limit 64 */
                0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x01, 0,    0,    0,    0,    0,   0,
                0,    2,    0x00, 0x64, 0xff, 0x9b, 0,    0,    0,    0,    0,    0,    0,   0,
                10,   0,    0,    1,    0x04, 0xd2, 0x13, 0x88, 0x00, 0x0a, 0x00, 0x00, 'h', 'i',
        };
        uint8_t pkt[sizeof(in)];
        uint8_t ph[40];
        size_t n;

        /* The UDP checksum, over the IPv6 pseudo-header. */
        memcpy(pkt, in, sizeof(in));
        put16(pkt + 46, ref_csum(ph, pseudo(ph, 6, pkt + 8, pkt + 24, P_UDP, 10), pkt + 40, 10));
        ck_assert_int_eq(pbl_siit_6to4(&M, pkt, sizeof(pkt), out, sizeof(out), &n), PBL_SIIT_OK);
        ck_assert_uint_eq(n, 30);
        /* 45 00 001e 0000 4000 40 11 csum c0000201 0a000001 */
        ck_assert_mem_eq(out, "\x45\x00\x00\x1e\x00\x00\x40\x00\x40\x11", 10);
        ck_assert_mem_eq(out + 12, "\xc0\x00\x02\x01\x0a\x00\x00\x01", 8);
        ck_assert_uint_eq(ref_csum(NULL, 0, out, 20), 0);
        ck_assert_mem_eq(out + 20, "\x04\xd2\x13\x88\x00\x0a", 6);
        ck_assert_uint_eq(ref_csum(ph, pseudo(ph, 4, out + 12, out + 16, P_UDP, 10), out + 20, 10),
                          0);
        ck_assert_mem_eq(out + 28, "hi", 2);
}
END_TEST

/* --- TCP and UDP ------------------------------------------------------------ */

START_TEST(udp_both_ways)
{
        struct seg s6 = udp(6, CLIENT6, SERVER6, 1234, 5000, "hello", false);
        struct seg s4 = udp(4, CLIENT4, SERVER4, 1234, 5000, "hello", false);
        struct pkt p6 = ip6(CLIENT6, SERVER6, P_UDP, 63, 0xb8, &s6);
        struct pkt p4 = ip4(CLIENT4, SERVER4, P_UDP, 63, 0xb8, &s4, DF);

        expect_6to4(&p6, &p4);
        /* And the answer. */
        s6 = udp(6, SERVER6, CLIENT6, 5000, 1234, "world!", false);
        s4 = udp(4, SERVER4, CLIENT4, 5000, 1234, "world!", false);
        p6 = ip6(SERVER6, CLIENT6, P_UDP, 60, 0, &s6);
        p4 = ip4(SERVER4, CLIENT4, P_UDP, 60, 0, &s4, DF);
        expect_4to6(&p4, &p6);
        /* The DF bit of IPv4 input is no fragment: translated alike. */
        p4 = ip4(SERVER4, CLIENT4, P_UDP, 60, 0, &s4, 0);
        expect_4to6(&p4, &p6);
}
END_TEST

START_TEST(udp_zero_checksum_is_computed)
{
        struct seg s4 = udp(4, SERVER4, CLIENT4, 53, 3333, "no checksum", true);
        struct seg s6 = udp(6, SERVER6, CLIENT6, 53, 3333, "no checksum", false);
        struct pkt p4 = ip4(SERVER4, CLIENT4, P_UDP, 5, 0, &s4, 0);
        struct pkt p6 = ip6(SERVER6, CLIENT6, P_UDP, 5, 0, &s6);

        ck_assert_uint_eq(s4.b[6] | s4.b[7], 0);
        expect_4to6(&p4, &p6);
}
END_TEST

START_TEST(tcp_both_ways)
{
        struct seg s6 = tcp(6, CLIENT6, SERVER6, "GET / HTTP/1.0\r\n\r\n");
        struct seg s4 = tcp(4, CLIENT4, SERVER4, "GET / HTTP/1.0\r\n\r\n");
        struct pkt p6 = ip6(CLIENT6, SERVER6, P_TCP, 64, 0, &s6);
        struct pkt p4 = ip4(CLIENT4, SERVER4, P_TCP, 64, 0, &s4, DF);

        expect_6to4(&p6, &p4);
        s6 = tcp(6, SERVER6, CLIENT6, "");
        s4 = tcp(4, SERVER4, CLIENT4, "");
        p6 = ip6(SERVER6, CLIENT6, P_TCP, 1, 0, &s6);
        p4 = ip4(SERVER4, CLIENT4, P_TCP, 1, 0, &s4, DF); /* TTL 1: copied, still 1 */
        expect_4to6(&p4, &p6);
}
END_TEST

/* Incremental checksums: a corrupted segment stays corrupted. */
START_TEST(corruption_is_not_hidden)
{
        struct seg s6 = udp(6, CLIENT6, SERVER6, 1, 2, "payload", false);
        struct pkt p6;
        uint8_t ph[40];
        size_t n;

        s6.b[9] ^= 0x01;
        p6 = ip6(CLIENT6, SERVER6, P_UDP, 64, 0, &s6);
        ck_assert_int_eq(pbl_siit_6to4(&M, p6.b, p6.n, out, sizeof(out), &n), PBL_SIIT_OK);
        ck_assert_uint_ne(
                ref_csum(ph, pseudo(ph, 4, out + 12, out + 16, P_UDP, n - 20), out + 20, n - 20),
                0);
}
END_TEST

/* --- echo ------------------------------------------------------------------- */

START_TEST(echo_both_ways)
{
        static const uint8_t body[] = "0123456789abcdefghij";
        uint32_t idseq = 0x4242u << 16 | 7;
        struct seg s6 = icmp(6, CLIENT6, SERVER6, 128, 0, idseq, body, sizeof(body));
        struct seg s4 = icmp(4, NULL, NULL, 8, 0, idseq, body, sizeof(body));
        struct pkt p6 = ip6(CLIENT6, SERVER6, P_ICMP6, 64, 0, &s6);
        struct pkt p4 = ip4(CLIENT4, SERVER4, P_ICMP, 64, 0, &s4, DF);

        expect_6to4(&p6, &p4); /* request out */
        s4 = icmp(4, NULL, NULL, 0, 0, idseq, body, sizeof(body));
        s6 = icmp(6, SERVER6, CLIENT6, 129, 0, idseq, body, sizeof(body));
        p4 = ip4(SERVER4, CLIENT4, P_ICMP, 50, 0, &s4, 0);
        p6 = ip6(SERVER6, CLIENT6, P_ICMP6, 50, 0, &s6);
        expect_4to6(&p4, &p6); /* reply back */
        /* And the other way round: requests in, replies out. */
        s4 = icmp(4, NULL, NULL, 8, 0, idseq, body, 3);
        s6 = icmp(6, SERVER6, CLIENT6, 128, 0, idseq, body, 3);
        p4 = ip4(SERVER4, CLIENT4, P_ICMP, 9, 0, &s4, 0);
        p6 = ip6(SERVER6, CLIENT6, P_ICMP6, 9, 0, &s6);
        expect_4to6(&p4, &p6);
        s6 = icmp(6, CLIENT6, SERVER6, 129, 0, idseq, body, 3);
        s4 = icmp(4, NULL, NULL, 0, 0, idseq, body, 3);
        p6 = ip6(CLIENT6, SERVER6, P_ICMP6, 9, 0, &s6);
        p4 = ip4(CLIENT4, SERVER4, P_ICMP, 9, 0, &s4, DF);
        expect_6to4(&p6, &p4);
}
END_TEST

/* --- ICMP errors ------------------------------------------------------------ */

/* An ICMPv4 error about the client's UDP datagram, and its ICMPv6 translation. */
static void
error_4to6(uint8_t t4, uint8_t c4, uint32_t rest4, uint8_t t6, uint8_t c6, uint32_t rest6)
{
        struct seg in4 = udp(4, CLIENT4, SERVER4, 40000, 9999, "quoted datagram", false);
        struct seg in6 = udp(6, CLIENT6, SERVER6, 40000, 9999, "quoted datagram", false);
        struct pkt q4 = ip4(CLIENT4, SERVER4, P_UDP, 1, 0, &in4, DF);
        struct pkt q6 = ip6(CLIENT6, SERVER6, P_UDP, 1, 0, &in6);
        struct seg e4 = icmp(4, NULL, NULL, t4, c4, rest4, q4.b, q4.n);
        struct seg e6 = icmp(6, ROUTER6, CLIENT6, t6, c6, rest6, q6.b, q6.n);
        struct pkt p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 62, 0xc0, &e4, 0);
        struct pkt p6 = ip6(ROUTER6, CLIENT6, P_ICMP6, 62, 0xc0, &e6);

        expect_4to6(&p4, &p6);
}

/* An ICMPv6 error from the client about the server's datagram, and its ICMPv4 translation. */
static void
error_6to4(uint8_t t6, uint8_t c6, uint32_t rest6, uint8_t t4, uint8_t c4, uint32_t rest4)
{
        struct seg in6 = udp(6, SERVER6, CLIENT6, 53, 40000, "the server's answer", false);
        struct seg in4 = udp(4, SERVER4, CLIENT4, 53, 40000, "the server's answer", false);
        struct pkt q6 = ip6(SERVER6, CLIENT6, P_UDP, 58, 0, &in6);
        struct pkt q4 = ip4(SERVER4, CLIENT4, P_UDP, 58, 0, &in4, DF);
        struct seg e6 = icmp(6, CLIENT6, SERVER6, t6, c6, rest6, q6.b, q6.n);
        struct seg e4 = icmp(4, NULL, NULL, t4, c4, rest4, q4.b, q4.n);
        struct pkt p6 = ip6(CLIENT6, SERVER6, P_ICMP6, 64, 0, &e6);
        struct pkt p4 = ip4(CLIENT4, SERVER4, P_ICMP, 64, 0, &e4, DF);

        expect_6to4(&p6, &p4);
}

START_TEST(errors_4to6)
{
        error_4to6(3, 4, 1400, 2, 0, 1420); /* frag needed -> packet too big, MTU + 20 */
        error_4to6(3, 4, 0, 2, 0, 1280);    /* no MTU given: the IPv6 minimum */
        error_4to6(11, 0, 0, 3, 0, 0);      /* TTL exceeded in transit */
        error_4to6(11, 1, 0, 3, 1, 0);      /* reassembly time exceeded */
        error_4to6(3, 3, 0, 1, 4, 0);       /* port unreachable */
        error_4to6(3, 0, 0, 1, 0, 0);       /* net unreachable -> no route */
        error_4to6(3, 1, 0, 1, 0, 0);       /* host unreachable -> no route */
        error_4to6(3, 13, 0, 1, 1, 0);      /* administratively prohibited */
        error_4to6(3, 2, 0, 4, 1, 6);       /* protocol unreachable -> parameter problem */
}
END_TEST

START_TEST(errors_6to4)
{
        error_6to4(2, 0, 1280, 3, 4, 1260); /* packet too big -> frag needed, MTU - 20 */
        error_6to4(3, 0, 0, 11, 0, 0);      /* hop limit exceeded */
        error_6to4(1, 4, 0, 3, 3, 0);       /* port unreachable */
        error_6to4(1, 0, 0, 3, 1, 0);       /* no route -> host unreachable */
        error_6to4(1, 1, 0, 3, 10, 0);      /* administratively prohibited */
        error_6to4(1, 3, 0, 3, 1, 0);       /* address unreachable */
        error_6to4(4, 1, 40, 3, 2, 0);      /* unknown next header -> protocol unreachable */
}
END_TEST

/* An error quoting an echo request: the quoted echo is translated too. */
START_TEST(error_quoting_echo)
{
        static const uint8_t body[] = "ping";
        struct seg in4 = icmp(4, NULL, NULL, 8, 0, 0x00010001, body, sizeof(body));
        struct seg in6 = icmp(6, CLIENT6, SERVER6, 128, 0, 0x00010001, body, sizeof(body));
        struct pkt q4 = ip4(CLIENT4, SERVER4, P_ICMP, 1, 0, &in4, DF);
        struct pkt q6 = ip6(CLIENT6, SERVER6, P_ICMP6, 1, 0, &in6);
        struct seg e4 = icmp(4, NULL, NULL, 11, 0, 0, q4.b, q4.n);
        struct seg e6 = icmp(6, ROUTER6, CLIENT6, 3, 0, 0, q6.b, q6.n);
        struct pkt p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 64, 0, &e4, 0);
        struct pkt p6 = ip6(ROUTER6, CLIENT6, P_ICMP6, 64, 0, &e6);

        expect_4to6(&p4, &p6);
}
END_TEST

/* A truncated quote keeps its declared lengths; ICMPv6 errors stop at 1280 bytes. */
START_TEST(error_truncation)
{
        char big[1401];
        struct seg in4, e4;
        struct pkt q4, p4;
        uint8_t ph[40];
        size_t n;

        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        in4 = udp(4, CLIENT4, SERVER4, 1, 2, big, false);
        q4 = ip4(CLIENT4, SERVER4, P_UDP, 1, 0, &in4, DF);
        e4 = icmp(4, NULL, NULL, 3, 4, 1400, q4.b, q4.n);
        p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 64, 0, &e4, 0);
        ck_assert_int_eq(pbl_siit_4to6(&M, p4.b, p4.n, out, sizeof(out), &n), PBL_SIIT_OK);
        ck_assert_uint_eq(n, PBL_SIIT_ICMP6_MAX);
        ck_assert_uint_eq((unsigned)(out[4] << 8 | out[5]), PBL_SIIT_ICMP6_MAX - 40);
        ck_assert_uint_eq(
                ref_csum(ph, pseudo(ph, 6, out + 8, out + 24, P_ICMP6, n - 40), out + 40, n - 40),
                0);
        /* The quoted IPv6 header still says how long the datagram was. */
        ck_assert_uint_eq((unsigned)(out[48 + 4] << 8 | out[48 + 5]), in4.n);
}
END_TEST

/* --- drops ------------------------------------------------------------------ */

START_TEST(drops_ipv6)
{
        struct seg s = udp(6, CLIENT6, SERVER6, 1, 2, "x", false);
        struct pkt p = ip6(CLIENT6, SERVER6, P_UDP, 64, 0, &s);
        static const uint8_t other[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
        uint8_t b[2200];
        size_t n;

        memcpy(b, p.b, p.n);
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_OK);
        ck_assert_int_eq(v6to4(b, 39), PBL_SIIT_MALFORMED);      /* no full header */
        ck_assert_int_eq(v6to4(b, p.n - 1), PBL_SIIT_MALFORMED); /* shorter than it says */
        b[0] = 0x40;
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_MALFORMED); /* not version 6 */
        b[0] = 0x60;
        b[6] = 0; /* hop-by-hop options */
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_EXT_HEADER);
        b[6] = 44; /* fragment header */
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_EXT_HEADER);
        b[6] = 47; /* GRE */
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_PROTOCOL);
        b[6] = P_UDP;
        b[7] = 0;
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_HOP_LIMIT);
        b[7] = 64;
        memcpy(b + 24, other, 16);
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_NOT_NAT64);
        memcpy(b + 24, SERVER6, 16);
        memcpy(b + 8, other, 16); /* a source the mapping refuses (pool full) */
        ck_assert_int_eq(v6to4(b, p.n), PBL_SIIT_NO_CLIENT);
        memcpy(b + 8, CLIENT6, 16);
        b[5] = 7; /* a UDP header cut short */
        ck_assert_int_eq(v6to4(b, 47), PBL_SIIT_MALFORMED);
        b[5] = (uint8_t)s.n;
        ck_assert_int_eq(pbl_siit_6to4(&M, b, p.n, out, p.n - 21, &n), PBL_SIIT_TOO_BIG);
        /* Neighbour solicitation: no translation. */
        s = icmp(6, CLIENT6, SERVER6, 135, 0, 0, b, 20);
        p = ip6(CLIENT6, SERVER6, P_ICMP6, 255, 0, &s);
        ck_assert_int_eq(v6to4(p.b, p.n), PBL_SIIT_ICMP_TYPE);
        /* A TCP header cut short. */
        s = tcp(6, CLIENT6, SERVER6, "");
        p = ip6(CLIENT6, SERVER6, P_TCP, 64, 0, &s);
        p.b[5] = 19;
        ck_assert_int_eq(v6to4(p.b, p.n - 1), PBL_SIIT_MALFORMED);
}
END_TEST

START_TEST(drops_ipv4)
{
        struct seg s = udp(4, SERVER4, CLIENT4, 1, 2, "x", false);
        struct pkt p = ip4(SERVER4, CLIENT4, P_UDP, 64, 0, &s, 0);
        static const uint8_t stranger[4] = { 10, 0, 0, 1 };
        uint8_t b[2200];

        memcpy(b, p.b, p.n);
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_OK);
        ck_assert_int_eq(v4to6(b, 19), PBL_SIIT_MALFORMED);
        ck_assert_int_eq(v4to6(b, p.n - 1), PBL_SIIT_MALFORMED);
        put16(b + 6, 0x2000); /* more fragments */
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_FRAGMENT);
        put16(b + 6, 0x0010); /* a later fragment */
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_FRAGMENT);
        put16(b + 6, 0);
        b[8] = 0;
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_HOP_LIMIT);
        b[8] = 64;
        b[9] = 47;
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_PROTOCOL);
        b[9] = P_UDP;
        memcpy(b + 16, stranger, 4); /* not a client's address */
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_NO_CLIENT);
        memcpy(b + 16, CLIENT4, 4);
        b[0] = 0x46; /* options */
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_OPTIONS);
        b[0] = 0x44; /* a header length below 20 */
        ck_assert_int_eq(v4to6(b, p.n), PBL_SIIT_MALFORMED);
        b[0] = 0x45;
        put16(b + 2, 27); /* a UDP header cut short */
        ck_assert_int_eq(v4to6(b, 27), PBL_SIIT_MALFORMED);
}
END_TEST

START_TEST(drops_icmp_errors)
{
        struct seg in4 = udp(4, CLIENT4, SERVER4, 1, 2, "q", false);
        struct pkt q4 = ip4(CLIENT4, SERVER4, P_UDP, 1, 0, &in4, DF);
        struct seg e4 = icmp(4, NULL, NULL, 11, 0, 0, q4.b, q4.n), nested;
        struct pkt p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 64, 0, &e4, 0);

        ck_assert_int_eq(v4to6(p4.b, p4.n), PBL_SIIT_OK);
        p4.b[20 + 8] ^= 0xff; /* the ICMP checksum no longer matches */
        ck_assert_int_eq(v4to6(p4.b, p4.n), PBL_SIIT_MALFORMED);
        /* Redirect (5), source quench (4): no translation. */
        e4 = icmp(4, NULL, NULL, 5, 0, 0, q4.b, q4.n);
        p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 64, 0, &e4, 0);
        ck_assert_int_eq(v4to6(p4.b, p4.n), PBL_SIIT_ICMP_TYPE);
        e4 = icmp(4, NULL, NULL, 3, 14, 0, q4.b, q4.n); /* host precedence: none */
        p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 64, 0, &e4, 0);
        ck_assert_int_eq(v4to6(p4.b, p4.n), PBL_SIIT_ICMP_TYPE);
        /* An error about an error is never translated. */
        nested = icmp(4, NULL, NULL, 3, 3, 0, q4.b, q4.n);
        q4 = ip4(CLIENT4, SERVER4, P_ICMP, 1, 0, &nested, DF);
        e4 = icmp(4, NULL, NULL, 11, 0, 0, q4.b, q4.n);
        p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 64, 0, &e4, 0);
        ck_assert_int_eq(v4to6(p4.b, p4.n), PBL_SIIT_ICMP_TYPE);
        /* A quote too short for an IP header. */
        e4 = icmp(4, NULL, NULL, 11, 0, 0, q4.b, 12);
        p4 = ip4(ROUTER4, CLIENT4, P_ICMP, 64, 0, &e4, 0);
        ck_assert_int_eq(v4to6(p4.b, p4.n), PBL_SIIT_MALFORMED);
}
END_TEST

Suite *
make_siit_suite(void)
{
        Suite *s = suite_create("siit");
        TCase *tc = tcase_create("siit");

        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, embed_well_known_prefix);
        tcase_add_test(tc, udp_6to4_literal);
        tcase_add_test(tc, udp_both_ways);
        tcase_add_test(tc, udp_zero_checksum_is_computed);
        tcase_add_test(tc, tcp_both_ways);
        tcase_add_test(tc, corruption_is_not_hidden);
        tcase_add_test(tc, echo_both_ways);
        tcase_add_test(tc, errors_4to6);
        tcase_add_test(tc, errors_6to4);
        tcase_add_test(tc, error_quoting_echo);
        tcase_add_test(tc, error_truncation);
        tcase_add_test(tc, drops_ipv6);
        tcase_add_test(tc, drops_ipv4);
        tcase_add_test(tc, drops_icmp_errors);
        suite_add_tcase(s, tc);
        return s;
}
