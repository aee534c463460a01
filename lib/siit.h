/* SPDX-License-Identifier: MIT */
/*
 * Stateless IP/ICMP translation (SIIT, RFC 7915) between IPv6 and IPv4,
 * with the well-known prefix 64:ff9b::/96 (RFC 6052).  Pure code: bytes in,
 * bytes out, no I/O and no state of its own.
 *
 * Addresses:
 *   IPv6 -> IPv4: 64:ff9b::a.b.c.d becomes a.b.c.d; any other IPv6 address
 *                 is a client's, mapped by the caller ('to4').
 *   IPv4 -> IPv6: a client's IPv4 address ('to6' knows it) becomes the
 *                 client's IPv6 address; any other a.b.c.d becomes
 *                 64:ff9b::a.b.c.d.
 * The outer destination of an IPv6 packet must be in 64:ff9b::/96, and that
 * of an IPv4 packet a client's address.  The packet inside an ICMP error is
 * translated with the same rules (its source and destination swapped roles).
 *
 * Translated: TCP, UDP (a zero IPv4 UDP checksum is computed), ICMP echo
 * request/reply, and the ICMP errors destination unreachable, packet too big
 * (fragmentation needed, MTU adjusted by 20), time exceeded and (IPv6 code 1
 * only) parameter problem, with their inner packet.  TTL and hop limit are
 * copied; the IPv4 side gets DF.  IPv6 extension headers, IPv4 options and
 * fragments are dropped.  TCP, UDP and echo checksums are adjusted
 * incrementally (RFC 1624), so a corrupted packet stays corrupted; ICMP
 * errors are checksummed anew.
 */
#ifndef PBL_SIIT_H
#define PBL_SIIT_H

#include <stddef.h>
#include <stdint.h>

/* What became of a packet: translated, or why it was dropped. */
enum pbl_siit_verdict {
        PBL_SIIT_OK,
        PBL_SIIT_MALFORMED,  /* Shorter than its headers say, or a bad version/length. */
        PBL_SIIT_NOT_NAT64,  /* IPv6 destination outside 64:ff9b::/96. */
        PBL_SIIT_NO_CLIENT,  /* An address the caller cannot map (pool full, not a client). */
        PBL_SIIT_EXT_HEADER, /* IPv6 extension header. */
        PBL_SIIT_FRAGMENT,   /* IPv4 fragment. */
        PBL_SIIT_OPTIONS,    /* IPv4 options. */
        PBL_SIIT_PROTOCOL,   /* Neither TCP, UDP nor ICMP. */
        PBL_SIIT_ICMP_TYPE,  /* An ICMP type or code with no translation. */
        PBL_SIIT_HOP_LIMIT,  /* TTL or hop limit 0. */
        PBL_SIIT_TOO_BIG,    /* The translation does not fit the output buffer. */
        _PBL_SIIT_VERDICT_MAX
};

/* "ok", "malformed", "not-nat64", ... */
const char *pbl_siit_verdict_name(enum pbl_siit_verdict v);

/* The caller's client mapping.  Each returns 0, or -1 when it has no answer. */
struct pbl_siit_clients {
        /* A client's IPv6 address to its IPv4 address (may allocate one). */
        int (*to4)(void *ctx, const uint8_t v6[16], uint8_t ret_v4[4]);
        /* An IPv4 address to the client's IPv6 address; -1: not a client's. */
        int (*to6)(void *ctx, const uint8_t v4[4], uint8_t ret_v6[16]);
        void *ctx;
};

/* The NAT64 prefix 64:ff9b::/96, and a.b.c.d embedded in it. */
extern const uint8_t pbl_siit_prefix[12];
void pbl_siit_embed(const uint8_t v4[4], uint8_t ret_v6[16]);

/* Room the output needs beyond the input: an ICMPv4 error grows by 40 bytes. */
#define PBL_SIIT_GROWTH 40
/* Translated ICMPv6 errors are cut to the IPv6 minimum MTU (RFC 4443). */
#define PBL_SIIT_ICMP6_MAX 1280

/*
 * Translates the IPv6 packet in[0..len) into out[0..cap): on PBL_SIIT_OK,
 * '*ret_len' is the IPv4 packet's length.  Bytes after the packet's declared
 * length (link padding) are ignored.
 */
enum pbl_siit_verdict pbl_siit_6to4(const struct pbl_siit_clients *m, const uint8_t *in, size_t len,
                                    uint8_t *out, size_t cap, size_t *ret_len);

/* The same from IPv4 to IPv6. */
enum pbl_siit_verdict pbl_siit_4to6(const struct pbl_siit_clients *m, const uint8_t *in, size_t len,
                                    uint8_t *out, size_t cap, size_t *ret_len);

#endif
