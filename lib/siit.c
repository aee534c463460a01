/* SPDX-License-Identifier: MIT */
#include "siit.h"

#include <stdbool.h>
#include <string.h>

#include <netinet/in.h>

#include "pb-macro.h"

#define IP4_HDR  20
#define IP6_HDR  40
#define ICMP_HDR 8

#define ICMP4_ECHO_REPLY   0
#define ICMP4_UNREACH      3
#define ICMP4_ECHO_REQUEST 8
#define ICMP4_TIME_EXCEED  11
#define ICMP6_UNREACH      1
#define ICMP6_TOO_BIG      2
#define ICMP6_TIME_EXCEED  3
#define ICMP6_PARAM_PROB   4
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129

const uint8_t pbl_siit_prefix[12] = { 0x00, 0x64, 0xff, 0x9b };

static const char *const verdict_names[_PBL_SIIT_VERDICT_MAX] = {
        [PBL_SIIT_OK] = "ok",
        [PBL_SIIT_MALFORMED] = "malformed",
        [PBL_SIIT_NOT_NAT64] = "not-nat64",
        [PBL_SIIT_NO_CLIENT] = "no-client",
        [PBL_SIIT_EXT_HEADER] = "ext-header",
        [PBL_SIIT_FRAGMENT] = "fragment",
        [PBL_SIIT_OPTIONS] = "options",
        [PBL_SIIT_PROTOCOL] = "protocol",
        [PBL_SIIT_ICMP_TYPE] = "icmp-type",
        [PBL_SIIT_HOP_LIMIT] = "hop-limit",
        [PBL_SIIT_TOO_BIG] = "too-big",
};

const char *
pbl_siit_verdict_name(enum pbl_siit_verdict v)
{
        return (unsigned)v < _PBL_SIIT_VERDICT_MAX ? verdict_names[v] : "?";
}

void
pbl_siit_embed(const uint8_t v4[4], uint8_t ret_v6[16])
{
        memcpy(ret_v6, pbl_siit_prefix, 12);
        memcpy(ret_v6 + 12, v4, 4);
}

/* --- bytes and one's-complement sums -------------------------------------- */

static uint16_t
rd16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
wr16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
        wr16(p, (uint16_t)(v >> 16));
        wr16(p + 2, (uint16_t)v);
}

/* The sum of big-endian 16-bit words (an odd last byte padded with zero). */
static uint64_t
sum(const uint8_t *p, size_t n, uint64_t acc)
{
        for (; n > 1; p += 2, n -= 2)
                acc += rd16(p);
        if (n)
                acc += (uint64_t)p[0] << 8;
        return acc;
}

static uint16_t
fold(uint64_t acc)
{
        while (acc >> 16)
                acc = (acc & 0xffff) + (acc >> 16);
        return (uint16_t)acc;
}

/* RFC 1624, eqn. 3: the checksum 'check' with words summing to 'old' replaced by 'new'. */
static uint16_t
adjust(uint16_t check, uint64_t old, uint64_t new)
{
        return (uint16_t)~fold((uint16_t)~check + (uint64_t)(uint16_t)~fold(old) + fold(new));
}

static uint64_t
pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t len, uint8_t nh)
{
        return sum(src, 16, sum(dst, 16, 0)) + (len >> 16) + (len & 0xffff) + nh;
}

/*
 * TCP and UDP: only the addresses of the pseudo-header change, from words
 * summing to 'old' to words summing to 'new'.  A quoted segment may be cut
 * before its checksum: then there is nothing to adjust.
 */
static void
l4_adjust(uint8_t proto, const uint8_t *t, uint8_t *ot, size_t tlen, uint64_t old, uint64_t new)
{
        size_t at = proto == IPPROTO_TCP ? 16 : 6;
        uint16_t check;

        if (tlen < at + 2)
                return;
        check = adjust(rd16(t + at), old, new);
        if (proto == IPPROTO_UDP && check == 0)
                check = 0xffff; /* 0 means "none" in UDP. */
        wr16(ot + at, check);
}

/* --- addresses ------------------------------------------------------------ */

static bool
in_prefix(const uint8_t v6[16])
{
        return memcmp(v6, pbl_siit_prefix, sizeof(pbl_siit_prefix)) == 0;
}

static int
addr_to4(const struct pbl_siit_clients *m, const uint8_t v6[16], uint8_t v4[4])
{
        if (in_prefix(v6)) {
                memcpy(v4, v6 + 12, 4);
                return 0;
        }
        return m->to4(m->ctx, v6, v4);
}

static void
addr_to6(const struct pbl_siit_clients *m, const uint8_t v4[4], uint8_t v6[16])
{
        if (m->to6(m->ctx, v4, v6) < 0)
                pbl_siit_embed(v4, v6);
}

static bool
ext_header(uint8_t nh)
{
        switch (nh) {
        case 0:   /* Hop-by-hop options. */
        case 43:  /* Routing. */
        case 44:  /* Fragment. */
        case 50:  /* ESP. */
        case 51:  /* AH. */
        case 60:  /* Destination options. */
        case 135: /* Mobility. */
        case 139: /* HIP. */
        case 140: /* Shim6. */
        case 253:
        case 254: return true;
        default: return false;
        }
}

/* --- ICMP type mapping ------------------------------------------------------ */

/* ICMPv6 error to ICMPv4 (type, code); false: none. */
static bool
error6to4(uint8_t type, uint8_t code, uint8_t *t4, uint8_t *c4)
{
        static const uint8_t unreach[5] = { 1, 10, 1, 1, 3 };

        switch (type) {
        case ICMP6_UNREACH:
                if (code >= sizeof(unreach))
                        return false;
                *t4 = ICMP4_UNREACH;
                *c4 = unreach[code];
                return true;
        case ICMP6_TOO_BIG:
                *t4 = ICMP4_UNREACH;
                *c4 = 4;
                return true;
        case ICMP6_TIME_EXCEED:
                *t4 = ICMP4_TIME_EXCEED;
                *c4 = code;
                return code <= 1;
        case ICMP6_PARAM_PROB: /* Unrecognized next header: protocol unreachable. */
                *t4 = ICMP4_UNREACH;
                *c4 = 2;
                return code == 1;
        default: return false;
        }
}

/* ICMPv4 error to ICMPv6 (type, code); false: none. */
static bool
error4to6(uint8_t type, uint8_t code, uint8_t *t6, uint8_t *c6)
{
        /* Destination unreachable codes 0..15; 0xff: none. */
        static const uint8_t unreach[16] = {
                0, 0, 0xff, 4, 0xff, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0xff, 1
        };

        if (type == ICMP4_TIME_EXCEED) {
                *t6 = ICMP6_TIME_EXCEED;
                *c6 = code;
                return code <= 1;
        }
        if (type != ICMP4_UNREACH || code >= sizeof(unreach))
                return false;
        if (code == 2) {
                *t6 = ICMP6_PARAM_PROB;
                *c6 = 1;
                return true;
        }
        if (code == 4) {
                *t6 = ICMP6_TOO_BIG;
                *c6 = 0;
                return true;
        }
        *t6 = ICMP6_UNREACH;
        *c6 = unreach[code];
        return unreach[code] != 0xff;
}

/* --- IPv6 to IPv4 ---------------------------------------------------------- */

/*
 * Translates the IPv6 packet of 'avail' bytes at 'in' (its header checked
 * by the caller for version and length).  'inner': the packet quoted by an
 * ICMP error, maybe truncated; it may not be an error itself.
 */
static enum pbl_siit_verdict
v6to4(const struct pbl_siit_clients *m, const uint8_t *in, size_t avail, uint8_t *out, size_t cap,
      size_t *ret_len, bool inner)
{
        uint32_t plen = rd16(in + 4);
        size_t tlen = avail - IP6_HDR; /* Transport bytes present. */
        uint8_t nh = in[6], proto = nh == IPPROTO_ICMPV6 ? IPPROTO_ICMP : nh;
        const uint8_t *t = in + IP6_HDR;
        uint8_t *o = out, *ot = out + IP4_HDR;
        size_t olen = IP4_HDR + tlen;
        uint16_t check;

        if (in[7] == 0 && !inner)
                return PBL_SIIT_HOP_LIMIT;
        if (ext_header(nh))
                return PBL_SIIT_EXT_HEADER;
        if (nh != IPPROTO_TCP && nh != IPPROTO_UDP && nh != IPPROTO_ICMPV6)
                return PBL_SIIT_PROTOCOL;
        if (!inner && tlen < (nh == IPPROTO_TCP ? 20u : 8u))
                return PBL_SIIT_MALFORMED;
        if (inner && tlen < ICMP_HDR)
                return PBL_SIIT_MALFORMED;
        if (olen > cap || IP4_HDR + plen > 0xffff)
                return PBL_SIIT_TOO_BIG;
        if (addr_to4(m, in + 8, o + 12) < 0 || addr_to4(m, in + 24, o + 16) < 0)
                return PBL_SIIT_NO_CLIENT;

        o[0] = 0x45;
        o[1] = (uint8_t)((in[0] & 0x0f) << 4 | in[1] >> 4);
        wr16(o + 2, (uint16_t)(IP4_HDR + plen));
        wr16(o + 4, 0);
        wr16(o + 6, 0x4000); /* DF */
        o[8] = in[7];
        o[9] = proto;
        wr16(o + 10, 0);
        wr16(o + 10, (uint16_t)~fold(sum(o, IP4_HDR, 0)));

        if (nh == IPPROTO_ICMPV6 && t[0] != ICMP6_ECHO_REQUEST && t[0] != ICMP6_ECHO_REPLY) {
                uint8_t type, code;
                size_t n;
                enum pbl_siit_verdict v;

                if (inner)
                        return PBL_SIIT_ICMP_TYPE; /* No errors about errors. */
                if (fold(pseudo6(in + 8, in + 24, plen, nh) + sum(t, tlen, 0)) != 0xffff)
                        return PBL_SIIT_MALFORMED;
                if (!error6to4(t[0], t[1], &type, &code))
                        return PBL_SIIT_ICMP_TYPE;
                if (tlen < ICMP_HDR + IP6_HDR || (t[ICMP_HDR] >> 4) != 6)
                        return PBL_SIIT_MALFORMED;
                if (cap < IP4_HDR + ICMP_HDR)
                        return PBL_SIIT_TOO_BIG;
                v = v6to4(m, t + ICMP_HDR, tlen - ICMP_HDR, ot + ICMP_HDR, cap - IP4_HDR - ICMP_HDR,
                          &n, true);
                if (v != PBL_SIIT_OK)
                        return v;
                ot[0] = type;
                ot[1] = code;
                wr16(ot + 2, 0);
                wr32(ot + 4, 0);
                if (t[0] == ICMP6_TOO_BIG) {
                        uint32_t mtu = rd32(t + 4);

                        mtu = mtu < IP6_HDR - IP4_HDR ? 0 : mtu - (IP6_HDR - IP4_HDR);
                        wr16(ot + 6, (uint16_t)MIN(mtu, 0xffffu));
                }
                olen = IP4_HDR + ICMP_HDR + n;
                wr16(ot + 2, (uint16_t)~fold(sum(ot, olen - IP4_HDR, 0)));
                wr16(o + 2, (uint16_t)olen);
                wr16(o + 10, 0);
                wr16(o + 10, (uint16_t)~fold(sum(o, IP4_HDR, 0)));
                *ret_len = olen;
                return PBL_SIIT_OK;
        }

        memcpy(ot, t, tlen);
        if (nh == IPPROTO_ICMPV6) {
                /* Echo: the type changes and the pseudo-header leaves the sum. */
                uint8_t type = t[0] == ICMP6_ECHO_REQUEST ? ICMP4_ECHO_REQUEST : ICMP4_ECHO_REPLY;

                ot[0] = type;
                check = adjust(rd16(t + 2), pseudo6(in + 8, in + 24, plen, nh) + rd16(t),
                               (uint64_t)type << 8 | t[1]);
                wr16(ot + 2, check);
        } else {
                l4_adjust(nh, t, ot, tlen, sum(in + 8, 32, 0), sum(o + 12, 8, 0));
        }
        *ret_len = olen;
        return PBL_SIIT_OK;
}

enum pbl_siit_verdict
pbl_siit_6to4(const struct pbl_siit_clients *m, const uint8_t *in, size_t len, uint8_t *out,
              size_t cap, size_t *ret_len)
{
        size_t plen;

        if (len < IP6_HDR || (in[0] >> 4) != 6)
                return PBL_SIIT_MALFORMED;
        plen = rd16(in + 4);
        if (plen == 0 || IP6_HDR + plen > len)
                return PBL_SIIT_MALFORMED;
        if (!in_prefix(in + 24))
                return PBL_SIIT_NOT_NAT64;
        if (cap < IP4_HDR)
                return PBL_SIIT_TOO_BIG;
        return v6to4(m, in, IP6_HDR + plen, out, cap, ret_len, false);
}

/* --- IPv4 to IPv6 ---------------------------------------------------------- */

/* As v6to4, the other way; 'hl' is the header length (options are skipped). */
static enum pbl_siit_verdict
v4to6(const struct pbl_siit_clients *m, const uint8_t *in, size_t hl, size_t avail, uint8_t *out,
      size_t cap, size_t *ret_len, bool inner)
{
        uint32_t plen = rd16(in + 2) - (uint32_t)hl;
        size_t tlen = avail - hl;
        uint8_t proto = in[9], nh = proto == IPPROTO_ICMP ? IPPROTO_ICMPV6 : proto;
        const uint8_t *t = in + hl;
        uint8_t *o = out, *ot = out + IP6_HDR;
        size_t olen = IP6_HDR + tlen;
        uint16_t check;

        if (rd16(in + 6) & 0x3fff)
                return PBL_SIIT_FRAGMENT;
        if (in[8] == 0 && !inner)
                return PBL_SIIT_HOP_LIMIT;
        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_ICMP)
                return PBL_SIIT_PROTOCOL;
        if (!inner && tlen < (proto == IPPROTO_TCP ? 20u : 8u))
                return PBL_SIIT_MALFORMED;
        if (inner && tlen < ICMP_HDR)
                return PBL_SIIT_MALFORMED;
        if (olen > cap)
                return PBL_SIIT_TOO_BIG;
        if (!inner && m->to6(m->ctx, in + 16, o + 24) < 0)
                return PBL_SIIT_NO_CLIENT;
        if (inner)
                addr_to6(m, in + 16, o + 24);
        addr_to6(m, in + 12, o + 8);

        o[0] = (uint8_t)(0x60 | in[1] >> 4);
        o[1] = (uint8_t)(in[1] << 4);
        o[2] = o[3] = 0;
        wr16(o + 4, (uint16_t)plen);
        o[6] = nh;
        o[7] = in[8];

        if (proto == IPPROTO_ICMP && t[0] != ICMP4_ECHO_REQUEST && t[0] != ICMP4_ECHO_REPLY) {
                uint8_t type, code;
                size_t n;
                enum pbl_siit_verdict v;
                size_t ihl;

                if (inner)
                        return PBL_SIIT_ICMP_TYPE;
                if (fold(sum(t, tlen, 0)) != 0xffff)
                        return PBL_SIIT_MALFORMED;
                if (!error4to6(t[0], t[1], &type, &code))
                        return PBL_SIIT_ICMP_TYPE;
                if (tlen < ICMP_HDR + IP4_HDR || (t[ICMP_HDR] >> 4) != 4)
                        return PBL_SIIT_MALFORMED;
                ihl = (size_t)(t[ICMP_HDR] & 0x0f) * 4;
                if (ihl < IP4_HDR || ICMP_HDR + ihl > tlen || rd16(t + ICMP_HDR + 2) < ihl)
                        return PBL_SIIT_MALFORMED;
                if (cap < IP6_HDR + ICMP_HDR)
                        return PBL_SIIT_TOO_BIG;
                v = v4to6(m, t + ICMP_HDR, ihl, tlen - ICMP_HDR, ot + ICMP_HDR,
                          cap - IP6_HDR - ICMP_HDR, &n, true);
                if (v != PBL_SIIT_OK)
                        return v;
                olen = MIN(IP6_HDR + ICMP_HDR + n, (size_t)PBL_SIIT_ICMP6_MAX);
                ot[0] = type;
                ot[1] = code;
                wr16(ot + 2, 0);
                wr32(ot + 4, 0);
                if (type == ICMP6_TOO_BIG) {
                        uint32_t mtu = rd16(t + 6);

                        wr32(ot + 4, mtu ? mtu + (IP6_HDR - IP4_HDR) : 1280);
                } else if (type == ICMP6_PARAM_PROB) {
                        wr32(ot + 4, 6); /* The next header field. */
                }
                plen = (uint32_t)(olen - IP6_HDR);
                wr16(o + 4, (uint16_t)plen);
                check = (uint16_t)~fold(pseudo6(o + 8, o + 24, plen, nh) + sum(ot, plen, 0));
                wr16(ot + 2, check);
                *ret_len = olen;
                return PBL_SIIT_OK;
        }

        memcpy(ot, t, tlen);
        if (proto == IPPROTO_ICMP) {
                uint8_t type = t[0] == ICMP4_ECHO_REQUEST ? ICMP6_ECHO_REQUEST : ICMP6_ECHO_REPLY;

                ot[0] = type;
                check = adjust(rd16(t + 2), rd16(t),
                               pseudo6(o + 8, o + 24, plen, nh) + ((uint64_t)type << 8 | t[1]));
                wr16(ot + 2, check);
        } else if (proto == IPPROTO_UDP && !inner && rd16(t + 6) == 0) {
                /* No checksum in IPv4; IPv6 requires one: computed over the datagram. */
                check = (uint16_t)~fold(pseudo6(o + 8, o + 24, plen, nh) + sum(t, tlen, 0));
                wr16(ot + 6, check ? check : 0xffff);
        } else if (proto == IPPROTO_TCP || rd16(t + 6) != 0) {
                l4_adjust(proto, t, ot, tlen, sum(in + 12, 8, 0), sum(o + 8, 32, 0));
        }
        *ret_len = olen;
        return PBL_SIIT_OK;
}

enum pbl_siit_verdict
pbl_siit_4to6(const struct pbl_siit_clients *m, const uint8_t *in, size_t len, uint8_t *out,
              size_t cap, size_t *ret_len)
{
        size_t ihl, total;

        if (len < IP4_HDR || (in[0] >> 4) != 4)
                return PBL_SIIT_MALFORMED;
        ihl = (size_t)(in[0] & 0x0f) * 4;
        total = rd16(in + 2);
        if (ihl < IP4_HDR || total < ihl || total > len)
                return PBL_SIIT_MALFORMED;
        if (ihl > IP4_HDR)
                return PBL_SIIT_OPTIONS;
        if (cap < IP6_HDR)
                return PBL_SIIT_TOO_BIG;
        return v4to6(m, in, ihl, total, out, cap, ret_len, false);
}
