/* SPDX-License-Identifier: MIT */
/*
 * The reflector protocol (SPEC §7, reference test helpers B.1-B.5): socket
 * addresses as text and the reflector's answer.
 *
 * A reflector answers every UDP datagram (or TCP connection) with the ASCII
 * text "OBSERVED <peer>" and no newline, where <peer> is "a.b.c.d:port" for
 * IPv4 and "[v6]:port" for IPv6: RFC 5952 text (lowercase, no leading
 * zeros, the longest run of two or more zero groups as "::", the first on a
 * tie, IPv4-mapped as "::ffff:a.b.c.d"), with "%<scope id>" inside the
 * brackets when the scope id is not 0.  That is the display form of a Rust
 * SocketAddr, which the reference suite parses.  A probe sends "PROBE".
 *
 * Pure functions: no I/O.  Negative errnos on failure.
 */
#ifndef PB_OBSERVED_H
#define PB_OBSERVED_H

#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

#define PB_OBSERVED_PREFIX "OBSERVED "
#define PB_PROBE_PAYLOAD   "PROBE"

/* Longest endpoint text with its NUL: "[" 45 "%" 10 "]:" 5. */
#define PB_ENDPOINT_STRLEN 72
/* Longest reflector answer with its NUL. */
#define PB_OBSERVED_STRLEN (sizeof(PB_OBSERVED_PREFIX) - 1 + PB_ENDPOINT_STRLEN)

/* An IPv4 or IPv6 socket address. */
union pb_sockaddr {
        struct sockaddr sa;
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
        struct sockaddr_storage ss;
};

/*
 * Parses the 'len' bytes at 'text' (no NUL needed) as "a.b.c.d:port" or
 * "[v6]:port" ("[v6%scope]:port" with a numeric scope id).  The IPv4
 * address is strict dotted quad (no leading zeros); the port is 1-5
 * decimal digits, 0-65535.  Returns 0 and fills 'ret' and '*ret_len' (may
 * be NULL), or -EINVAL.
 */
int pb_endpoint_parse(const char *text, size_t len, union pb_sockaddr *ret, socklen_t *ret_len);

/*
 * Formats 'sa' ('len' bytes, AF_INET or AF_INET6) as described above into
 * 'buf' ('n' bytes, PB_ENDPOINT_STRLEN is always enough).  Returns the
 * length written, -EAFNOSUPPORT or -EINVAL for other addresses, or
 * -ENOSPC when 'buf' is too small.
 */
int pb_endpoint_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t n);

/* RFC 5952 text of an IPv6 address into 'buf' (46 bytes are enough).  Returns the length or
 * -ENOSPC. */
int pb_ip6_format(const struct in6_addr *a, char *buf, size_t n);

/* The port of an AF_INET/AF_INET6 address in host order (0 for other families). */
uint16_t pb_endpoint_port(const union pb_sockaddr *sa);

/* "OBSERVED <endpoint>" into 'buf'; returns the length (no NUL counted) or a negative errno. */
int pb_observed_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t n);

/*
 * Parses a reflector's answer: exactly "OBSERVED " followed by an endpoint,
 * nothing before or after (the reference strips the prefix and parses the
 * rest).  Returns 0 or -EBADMSG.
 */
int pb_observed_parse(const char *buf, size_t len, union pb_sockaddr *ret, socklen_t *ret_len);

#endif
