/* SPDX-License-Identifier: MIT */
/* IPv4/IPv6 addresses and prefixes as values. */
#ifndef PBL_IP_H
#define PBL_IP_H

#include <stdbool.h>
#include <stdint.h>

#include <netinet/in.h>

struct pbl_ip {
        int family; /* AF_INET, AF_INET6, or 0 for "none". */
        union {
                struct in_addr v4;
                struct in6_addr v6;
                uint8_t bytes[16];
        };
};

struct pbl_prefix {
        struct pbl_ip ip; /* Network address (host bits zero). */
        int len;
};

#define PBL_IP_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Parses "a.b.c.d" or an IPv6 text form.  Returns 0 or -EINVAL. */
int pbl_ip_parse(const char *s, struct pbl_ip *ret);

/* Parses "addr/len"; host bits must be zero unless 'allow_host_bits'. */
int pbl_prefix_parse(const char *s, bool allow_host_bits, struct pbl_prefix *ret);

/* Formats into 'buf' (PBL_IP_STRLEN bytes); "" for family 0.  Returns 'buf'. */
const char *pbl_ip_str(const struct pbl_ip *ip, char *buf);
const char *pbl_prefix_str(const struct pbl_prefix *p, char *buf); /* needs 50 bytes */

size_t pbl_ip_len(const struct pbl_ip *ip);
bool pbl_ip_equal(const struct pbl_ip *a, const struct pbl_ip *b);
bool pbl_prefix_contains(const struct pbl_prefix *p, const struct pbl_ip *ip);
bool pbl_prefix_overlap(const struct pbl_prefix *a, const struct pbl_prefix *b);

/* The address at host offset 'n' inside 'p' (n added to the low 64 bits). */
struct pbl_ip pbl_prefix_host(const struct pbl_prefix *p, uint64_t n);

/* Subnet number 'slot' of length 'sublen' inside 'pool' (slot < 2^16). */
struct pbl_prefix pbl_prefix_subnet(const struct pbl_prefix *pool, int sublen, uint64_t slot);

/* IPv4 convenience: a.b.c.d as a host-order integer. */
struct pbl_ip pbl_ip4(uint32_t host_order);
struct pbl_ip pbl_ip6_from_parts(uint64_t hi, uint64_t lo);

#endif
