/* SPDX-License-Identifier: MIT */
#include "ip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

int
pbl_ip_parse(const char *s, struct pbl_ip *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (inet_pton(AF_INET, s, &ret->v4) == 1) {
                ret->family = AF_INET;
                return 0;
        }
        if (inet_pton(AF_INET6, s, &ret->v6) == 1) {
                ret->family = AF_INET6;
                return 0;
        }
        return -EINVAL;
}

size_t
pbl_ip_len(const struct pbl_ip *ip)
{
        return ip->family == AF_INET ? 4 : ip->family == AF_INET6 ? 16 : 0;
}

static bool
host_bits_zero(const struct pbl_prefix *p)
{
        size_t n = pbl_ip_len(&p->ip);

        for (size_t bit = (size_t)p->len; bit < n * 8; bit++)
                if (p->ip.bytes[bit / 8] & (0x80 >> (bit % 8)))
                        return false;
        return true;
}

static void
clear_host_bits(struct pbl_prefix *p)
{
        size_t n = pbl_ip_len(&p->ip);

        for (size_t bit = (size_t)p->len; bit < n * 8; bit++)
                p->ip.bytes[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
}

int
pbl_prefix_parse(const char *s, bool allow_host_bits, struct pbl_prefix *ret)
{
        char buf[64], *slash, *end;
        long len;

        if (strlen(s) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, s);
        slash = strchr(buf, '/');
        if (!slash)
                return -EINVAL;
        *slash = '\0';
        if (pbl_ip_parse(buf, &ret->ip) < 0)
                return -EINVAL;
        errno = 0;
        len = strtol(slash + 1, &end, 10);
        if (errno || end == slash + 1 || *end || len < 0 || (size_t)len > pbl_ip_len(&ret->ip) * 8)
                return -EINVAL;
        ret->len = (int)len;
        if (!host_bits_zero(ret)) {
                if (!allow_host_bits)
                        return -EINVAL;
                clear_host_bits(ret);
        }
        return 0;
}

const char *
pbl_ip_str(const struct pbl_ip *ip, char *buf)
{
        buf[0] = '\0';
        if (ip->family)
                inet_ntop(ip->family, ip->bytes, buf, PBL_IP_STRLEN);
        return buf;
}

const char *
pbl_prefix_str(const struct pbl_prefix *p, char *buf)
{
        char ip[PBL_IP_STRLEN];

        snprintf(buf, 50, "%s/%d", pbl_ip_str(&p->ip, ip), p->len);
        return buf;
}

bool
pbl_ip_equal(const struct pbl_ip *a, const struct pbl_ip *b)
{
        return a->family == b->family && memcmp(a->bytes, b->bytes, pbl_ip_len(a)) == 0;
}

bool
pbl_prefix_contains(const struct pbl_prefix *p, const struct pbl_ip *ip)
{
        struct pbl_prefix q = { .ip = *ip, .len = p->len };

        if (ip->family != p->ip.family)
                return false;
        clear_host_bits(&q);
        return pbl_ip_equal(&q.ip, &p->ip);
}

bool
pbl_prefix_overlap(const struct pbl_prefix *a, const struct pbl_prefix *b)
{
        return a->len <= b->len ? pbl_prefix_contains(a, &b->ip) : pbl_prefix_contains(b, &a->ip);
}

struct pbl_ip
pbl_prefix_host(const struct pbl_prefix *p, uint64_t n)
{
        struct pbl_ip ip = p->ip;

        if (ip.family == AF_INET) {
                ip.v4.s_addr = htonl(ntohl(ip.v4.s_addr) + (uint32_t)n);
        } else {
                uint64_t lo = 0;

                for (int i = 8; i < 16; i++)
                        lo = lo << 8 | ip.bytes[i];
                lo += n;
                for (int i = 15; i >= 8; i--, lo >>= 8)
                        ip.bytes[i] = (uint8_t)lo;
        }
        return ip;
}

struct pbl_ip
pbl_ip4(uint32_t host_order)
{
        struct pbl_ip ip = { .family = AF_INET };

        ip.v4.s_addr = htonl(host_order);
        return ip;
}

struct pbl_ip
pbl_ip6_from_parts(uint64_t hi, uint64_t lo)
{
        struct pbl_ip ip = { .family = AF_INET6 };

        for (int i = 7; i >= 0; i--, hi >>= 8)
                ip.bytes[i] = (uint8_t)hi;
        for (int i = 15; i >= 8; i--, lo >>= 8)
                ip.bytes[i] = (uint8_t)lo;
        return ip;
}

struct pbl_prefix
pbl_prefix_subnet(const struct pbl_prefix *pool, int sublen, uint64_t slot)
{
        struct pbl_prefix p = { .ip = pool->ip, .len = sublen };
        int bits = pool->ip.family == AF_INET ? 32 : 128;
        int shift = bits - sublen; /* Bit position of the slot's lowest bit. */
        uint64_t carry = slot << (shift % 8);

        /* Add 'slot' at bit 'shift' (byte-wise, big-endian). */
        for (int i = (bits / 8) - 1 - shift / 8; i >= 0 && carry; i--) {
                carry += p.ip.bytes[i];
                p.ip.bytes[i] = (uint8_t)carry;
                carry >>= 8;
        }
        return p;
}
