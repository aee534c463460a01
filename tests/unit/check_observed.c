/* SPDX-License-Identifier: MIT */
/*
 * Suite "observed": the reflector protocol's text (proto/pb-observed.h):
 * endpoints both ways, RFC 5952 IPv6 text and the "OBSERVED <peer>" answer.
 */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>

#include "pb-macro.h"
#include "pb-observed.h"
#include "suites.h"

/* Text that parses and formats back to itself. */
static const char *const canonical[] = {
        "198.18.0.1:3478",
        "0.0.0.0:0",
        "255.255.255.255:65535",
        "10.0.1.2:40123",
        "[2001:db8::1]:3478",
        "[::]:0",
        "[::1]:1",
        "[2001:db8:1:2::2]:9000",
        "[fe80::1%2]:5000",
        "[fd10:0:0:1::2]:80",
        "[::ffff:198.18.0.1]:7",
        "[1:0:2:0:3:0:4:0]:1",
        "[1::2:0:0:3]:1",
        "[1:2:3:4:5:6:7:8]:65535",
};

START_TEST(test_round_trip)
{
        char buf[PB_ENDPOINT_STRLEN];
        union pb_sockaddr a;
        socklen_t len = 0;
        const char *text = canonical[_i];

        ck_assert_int_eq(pb_endpoint_parse(text, strlen(text), &a, &len), 0);
        ck_assert_uint_eq(len, a.sa.sa_family == AF_INET ? sizeof(a.in) : sizeof(a.in6));
        ck_assert_int_eq(pb_endpoint_format(&a.sa, len, buf, sizeof(buf)), (int)strlen(text));
        ck_assert_str_eq(buf, text);
}
END_TEST

/* Accepted, but printed differently (RFC 5952 normalises). */
static const struct {
        const char *in, *out;
} normalised[] = {
        { "[2001:DB8::1]:3478", "[2001:db8::1]:3478" },
        { "[2001:0db8:0000:0000:0000:0000:0000:0001]:1", "[2001:db8::1]:1" },
        { "[0:0:0:0:0:0:0:0]:0", "[::]:0" },
        { "[1:0:0:2:0:0:0:3]:1", "[1:0:0:2::3]:1" },      /* The longest run ... */
        { "[1:0:0:2:0:0:3:4]:1", "[1::2:0:0:3:4]:1" },    /* ... the first of equals. */
        { "[1:0:2:3:4:5:6:7]:1", "[1:0:2:3:4:5:6:7]:1" }, /* One zero group stays. */
        { "[::0102:0304]:1", "[::102:304]:1" },           /* No "::a.b.c.d" (v4-compatible). */
        { "[::ffff:c612:1]:1", "[::ffff:198.18.0.1]:1" },
        { "10.0.0.1:0080", "10.0.0.1:80" },
};

START_TEST(test_normalised)
{
        char buf[PB_ENDPOINT_STRLEN];
        union pb_sockaddr a;
        socklen_t len;

        ck_assert_int_eq(pb_endpoint_parse(normalised[_i].in, strlen(normalised[_i].in), &a, &len),
                         0);
        ck_assert_int_gt(pb_endpoint_format(&a.sa, len, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, normalised[_i].out);
}
END_TEST

static const char *const invalid[] = {
        "",
        ":",
        "198.18.0.1",
        "198.18.0.1:",
        "198.18.0.1:65536",
        "198.18.0.1:123456",
        "198.18.0.1:-1",
        "198.18.0.1:+1",
        "198.18.0.1: 1",
        "198.18.0.1:1 ",
        " 198.18.0.1:1",
        "198.018.0.1:1",
        "198.18.0:1",
        "198.18.0.256:1",
        "host:1",
        "2001:db8::1:3478",
        "[2001:db8::1]",
        "[2001:db8::1]:",
        "[2001:db8::1]3478",
        "[2001:db8::1:3478",
        "[]:1",
        "[::1]]:1",
        "[::1]:1:2",
        "[1.2.3.4]:1",
        "[fe80::1%]:1",
        "[fe80::1%eth0]:1",
        "[fe80::1%4294967296]:1",
        "[1:2:3:4:5:6:7:8:9]:1",
        "[1::2::3]:1",
        "[::1]:65536",
};

START_TEST(test_invalid)
{
        union pb_sockaddr a;
        socklen_t len;

        ck_assert_msg(pb_endpoint_parse(invalid[_i], strlen(invalid[_i]), &a, &len) == -EINVAL,
                      "'%s' was accepted", invalid[_i]);
}
END_TEST

START_TEST(test_parse_bounded)
{
        static const char text[] = "10.0.0.1:80xyz";
        union pb_sockaddr a;

        /* Only 'len' bytes are read: no NUL is needed and none may be inside. */
        ck_assert_int_eq(pb_endpoint_parse(text, 11, &a, NULL), 0);
        ck_assert_uint_eq(pb_endpoint_port(&a), 80);
        ck_assert_int_eq(pb_endpoint_parse("10.0.0.1:8\0"
                                           "0",
                                           12, &a, NULL),
                         -EINVAL);
        ck_assert_int_eq(pb_endpoint_parse(NULL, 0, &a, NULL), -EINVAL);
}
END_TEST

START_TEST(test_port_and_fields)
{
        union pb_sockaddr a;

        ck_assert_int_eq(pb_endpoint_parse("[fe80::1%7]:65535", 17, &a, NULL), 0);
        ck_assert_int_eq(a.sa.sa_family, AF_INET6);
        ck_assert_uint_eq(a.in6.sin6_scope_id, 7);
        ck_assert_uint_eq(pb_endpoint_port(&a), 65535);
        ck_assert_int_eq(pb_endpoint_parse("198.18.0.1:3478", 15, &a, NULL), 0);
        ck_assert_int_eq(a.sa.sa_family, AF_INET);
        ck_assert_uint_eq(ntohl(a.in.sin_addr.s_addr), 0xc6120001);
        ck_assert_uint_eq(pb_endpoint_port(&a), 3478);
        memset(&a, 0, sizeof(a));
        a.sa.sa_family = AF_UNIX;
        ck_assert_uint_eq(pb_endpoint_port(&a), 0);
}
END_TEST

START_TEST(test_format_errors)
{
        union pb_sockaddr a = { .in = { .sin_family = AF_INET, .sin_port = htons(65535) } };
        char buf[PB_ENDPOINT_STRLEN];

        a.in.sin_addr.s_addr = htonl(0xffffffff);
        /* "255.255.255.255:65535" is 21 characters: 22 bytes fit, 21 do not. */
        ck_assert_int_eq(pb_endpoint_format(&a.sa, sizeof(a.in), buf, 22), 21);
        ck_assert_int_eq(pb_endpoint_format(&a.sa, sizeof(a.in), buf, 21), -ENOSPC);
        ck_assert_int_eq(pb_endpoint_format(&a.sa, sizeof(a.in) - 1, buf, sizeof(buf)), -EINVAL);
        ck_assert_int_eq(pb_endpoint_format(&a.sa, 1, buf, sizeof(buf)), -EINVAL);
        a.in6.sin6_family = AF_INET6;
        ck_assert_int_eq(pb_endpoint_format(&a.sa, sizeof(a.in), buf, sizeof(buf)), -EINVAL);
        a.sa.sa_family = AF_UNIX;
        ck_assert_int_eq(pb_endpoint_format(&a.sa, sizeof(a), buf, sizeof(buf)), -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_longest_fits)
{
        union pb_sockaddr a = { .in6 = { .sin6_family = AF_INET6,
                                         .sin6_port = htons(65535),
                                         .sin6_scope_id = 4294967295u } };
        char buf[PB_ENDPOINT_STRLEN], obs[PB_OBSERVED_STRLEN];

        /* No zero group: nothing compresses; the longest mapped form is shorter. */
        memset(&a.in6.sin6_addr, 0xff, sizeof(a.in6.sin6_addr));
        ck_assert_int_eq(pb_endpoint_format(&a.sa, sizeof(a.in6), buf, sizeof(buf)),
                         (int)strlen("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535"));
        ck_assert_int_gt(pb_observed_format(&a.sa, sizeof(a.in6), obs, sizeof(obs)), 0);
        ck_assert_int_eq(pb_ip6_format(&a.in6.sin6_addr, buf, 39), -ENOSPC);
        ck_assert_int_eq(pb_ip6_format(&a.in6.sin6_addr, buf, 40), 39);
}
END_TEST

START_TEST(test_observed)
{
        union pb_sockaddr a, b;
        socklen_t len, blen;
        char buf[PB_OBSERVED_STRLEN];
        int n;

        ck_assert_int_eq(pb_endpoint_parse("[2001:db8:1:1::2]:40123", 23, &a, &len), 0);
        n = pb_observed_format(&a.sa, len, buf, sizeof(buf));
        ck_assert_int_eq(n, (int)strlen("OBSERVED [2001:db8:1:1::2]:40123"));
        ck_assert_str_eq(buf, "OBSERVED [2001:db8:1:1::2]:40123");
        ck_assert_int_eq(pb_observed_parse(buf, (size_t)n, &b, &blen), 0);
        ck_assert_uint_eq(blen, len);
        ck_assert_mem_eq(&a.in6, &b.in6, sizeof(a.in6));

        ck_assert_int_eq(pb_observed_parse("OBSERVED 198.18.1.2:5", 21, &b, NULL), 0);
        ck_assert_uint_eq(pb_endpoint_port(&b), 5);
        /* Exactly the prefix and one endpoint; no newline, nothing else. */
        ck_assert_int_eq(pb_observed_parse("OBSERVED 198.18.1.2:5\n", 22, &b, NULL), -EBADMSG);
        ck_assert_int_eq(pb_observed_parse("observed 198.18.1.2:5", 21, &b, NULL), -EBADMSG);
        ck_assert_int_eq(pb_observed_parse("OBSERVED  198.18.1.2:5", 22, &b, NULL), -EBADMSG);
        ck_assert_int_eq(pb_observed_parse("OBSERVED ", 9, &b, NULL), -EBADMSG);
        ck_assert_int_eq(pb_observed_parse("OBSERVED", 8, &b, NULL), -EBADMSG);
        ck_assert_int_eq(pb_observed_parse("PROBE", 5, &b, NULL), -EBADMSG);
        ck_assert_int_eq(pb_observed_parse(NULL, 0, &b, NULL), -EBADMSG);
        /* Too small a buffer for the answer. */
        ck_assert_int_eq(pb_observed_format(&a.sa, len, buf, 9), -ENOSPC);
        ck_assert_int_eq(pb_observed_format(&a.sa, len, buf, 20), -ENOSPC);
}
END_TEST

Suite *
make_observed_suite(void)
{
        Suite *s = suite_create("observed");
        TCase *tc = tcase_create("observed");

        tcase_add_loop_test(tc, test_round_trip, 0, (int)ELEMENTSOF(canonical));
        tcase_add_loop_test(tc, test_normalised, 0, (int)ELEMENTSOF(normalised));
        tcase_add_loop_test(tc, test_invalid, 0, (int)ELEMENTSOF(invalid));
        tcase_add_test(tc, test_parse_bounded);
        tcase_add_test(tc, test_port_and_fields);
        tcase_add_test(tc, test_format_errors);
        tcase_add_test(tc, test_longest_fits);
        tcase_add_test(tc, test_observed);
        suite_add_tcase(s, tc);
        return s;
}
