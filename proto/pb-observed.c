/* SPDX-License-Identifier: MIT */
#include "pb-observed.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

/* Parses 1-'max' decimal digits into '*ret' (at most 'limit').  No sign, no space. */
static int
parse_decimal(const char *s, size_t len, size_t max, uint64_t limit, uint64_t *ret)
{
        uint64_t v = 0;

        if (len == 0 || len > max)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > limit)
                return -EINVAL;
        *ret = v;
        return 0;
}

int
pb_endpoint_parse(const char *text, size_t len, union pb_sockaddr *ret, socklen_t *ret_len)
{
        union pb_sockaddr a;
        const char *colon, *host, *scope = NULL;
        size_t host_len, scope_len = 0;
        char buf[INET6_ADDRSTRLEN];
        uint64_t port, scope_id = 0;

        if (!text || memchr(text, '\0', len))
                return -EINVAL;
        memset(&a, 0, sizeof(a));
        if (len > 0 && text[0] == '[') {
                const char *close = memchr(text, ']', len);

                if (!close || (size_t)(close - text) + 1 >= len || close[1] != ':')
                        return -EINVAL;
                host = text + 1;
                host_len = (size_t)(close - host);
                colon = close + 1;
                scope = memchr(host, '%', host_len);
                if (scope) {
                        scope_len = host_len - (size_t)(scope - host) - 1;
                        host_len = (size_t)(scope - host);
                        scope++;
                        if (parse_decimal(scope, scope_len, 10, UINT32_MAX, &scope_id) < 0)
                                return -EINVAL;
                }
                if (host_len == 0 || host_len >= sizeof(buf))
                        return -EINVAL;
                memcpy(buf, host, host_len);
                buf[host_len] = '\0';
                if (inet_pton(AF_INET6, buf, &a.in6.sin6_addr) != 1)
                        return -EINVAL;
                a.in6.sin6_family = AF_INET6;
                a.in6.sin6_scope_id = (uint32_t)scope_id;
        } else {
                colon = memchr(text, ':', len);
                if (!colon || memchr(colon + 1, ':', len - (size_t)(colon - text) - 1))
                        return -EINVAL;
                host = text;
                host_len = (size_t)(colon - text);
                if (host_len == 0 || host_len > 15)
                        return -EINVAL;
                memcpy(buf, host, host_len);
                buf[host_len] = '\0';
                if (inet_pton(AF_INET, buf, &a.in.sin_addr) != 1)
                        return -EINVAL;
                a.in.sin_family = AF_INET;
        }
        if (parse_decimal(colon + 1, len - (size_t)(colon - text) - 1, 5, 65535, &port) < 0)
                return -EINVAL;
        if (a.sa.sa_family == AF_INET)
                a.in.sin_port = htons((uint16_t)port);
        else
                a.in6.sin6_port = htons((uint16_t)port);
        *ret = a;
        if (ret_len)
                *ret_len = a.sa.sa_family == AF_INET ? sizeof(a.in) : sizeof(a.in6);
        return 0;
}

int
pb_ip6_format(const struct in6_addr *a, char *buf, size_t n)
{
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        char out[INET6_ADDRSTRLEN];
        int best = -1, best_len = 0, run = -1, len = 0;
        uint16_t g[8];

        if (memcmp(a->s6_addr, mapped, sizeof(mapped)) == 0) {
                len = snprintf(out, sizeof(out), "::ffff:%u.%u.%u.%u", a->s6_addr[12],
                               a->s6_addr[13], a->s6_addr[14], a->s6_addr[15]);
        } else {
                for (int i = 0; i < 8; i++)
                        g[i] = (uint16_t)(a->s6_addr[2 * i] << 8 | a->s6_addr[2 * i + 1]);
                /* The longest run of zero groups, the first of equals; a single group stays. */
                for (int i = 0; i <= 8; i++) {
                        if (i < 8 && g[i] == 0) {
                                if (run < 0)
                                        run = i;
                                continue;
                        }
                        if (run >= 0 && i - run > best_len && i - run >= 2) {
                                best = run;
                                best_len = i - run;
                        }
                        run = -1;
                }
                for (int i = 0; i < 8; i++) {
                        if (i == best) {
                                len += snprintf(out + len, sizeof(out) - (size_t)len, "::");
                                i += best_len - 1;
                                continue;
                        }
                        len += snprintf(out + len, sizeof(out) - (size_t)len, "%s%x",
                                        i > 0 && i != best + best_len ? ":" : "", g[i]);
                }
        }
        if ((size_t)len >= n)
                return -ENOSPC;
        memcpy(buf, out, (size_t)len + 1);
        return len;
}

int
pb_endpoint_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t n)
{
        char host[INET6_ADDRSTRLEN], scope[16] = "";
        union pb_sockaddr a;
        int r;

        if (!sa || len < (socklen_t)sizeof(sa_family_t))
                return -EINVAL;
        if (sa->sa_family == AF_INET) {
                if (len < (socklen_t)sizeof(a.in))
                        return -EINVAL;
                memcpy(&a.in, sa, sizeof(a.in));
                if (!inet_ntop(AF_INET, &a.in.sin_addr, host, sizeof(host)))
                        return -errno;
                r = snprintf(buf, n, "%s:%u", host, ntohs(a.in.sin_port));
        } else if (sa->sa_family == AF_INET6) {
                if (len < (socklen_t)sizeof(a.in6))
                        return -EINVAL;
                memcpy(&a.in6, sa, sizeof(a.in6));
                r = pb_ip6_format(&a.in6.sin6_addr, host, sizeof(host));
                if (r < 0)
                        return r;
                if (a.in6.sin6_scope_id != 0)
                        snprintf(scope, sizeof(scope), "%%%u", (unsigned)a.in6.sin6_scope_id);
                r = snprintf(buf, n, "[%s%s]:%u", host, scope, ntohs(a.in6.sin6_port));
        } else {
                return -EAFNOSUPPORT;
        }
        if (r < 0 || (size_t)r >= n)
                return -ENOSPC;
        return r;
}

uint16_t
pb_endpoint_port(const union pb_sockaddr *sa)
{
        switch (sa->sa.sa_family) {
        case AF_INET: return ntohs(sa->in.sin_port);
        case AF_INET6: return ntohs(sa->in6.sin6_port);
        default: return 0;
        }
}

int
pb_observed_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t n)
{
        size_t plen = strlen(PB_OBSERVED_PREFIX);
        int r;

        if (n <= plen)
                return -ENOSPC;
        memcpy(buf, PB_OBSERVED_PREFIX, plen);
        r = pb_endpoint_format(sa, len, buf + plen, n - plen);
        if (r < 0)
                return r;
        return (int)plen + r;
}

int
pb_observed_parse(const char *buf, size_t len, union pb_sockaddr *ret, socklen_t *ret_len)
{
        size_t plen = strlen(PB_OBSERVED_PREFIX);

        if (!buf || len <= plen || memcmp(buf, PB_OBSERVED_PREFIX, plen) != 0)
                return -EBADMSG;
        return pb_endpoint_parse(buf + plen, len - plen, ret, ret_len) < 0 ? -EBADMSG : 0;
}
