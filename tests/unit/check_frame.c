/* SPDX-License-Identifier: MIT */
/*
 * Suite "frame": newline framing (proto/pb-frame.h).  The buffers handed to
 * pb_frame_next() are heap copies of exactly 'len' bytes so that a read past
 * the end shows up under ASan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pb-frame.h"
#include "pb-macro.h"
#include "suites.h"

/* Returns a malloc'd copy of 'n' bytes of 's' (exactly 'n' bytes, no NUL). */
static char *
dup_exact(const char *s, size_t n)
{
        char *p = malloc(n ? n : 1);

        ck_assert_ptr_nonnull(p);
        memcpy(p, s, n);
        return p;
}

/* Returns a malloc'd buffer of 'n' bytes of 'fill' followed by 'tail'. */
static char *
make_filled(size_t n, char fill, const char *tail, size_t *ret_len)
{
        size_t t = strlen(tail);
        char *p = malloc(n + t);

        ck_assert_ptr_nonnull(p);
        memset(p, fill, n);
        memcpy(p + n, tail, t);
        *ret_len = n + t;
        return p;
}

START_TEST(test_one_frame)
{
        static const char in[] = "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":1}\n";
        _cleanup_free_ char *buf = dup_exact(in, strlen(in));
        size_t scanned = 0;

        ck_assert_int_eq(pb_frame_next(buf, strlen(in), &scanned), (ssize_t)strlen(in));
        ck_assert_uint_eq(scanned, 0);
        ck_assert_uint_eq(pb_frame_payload_len(buf, strlen(in)), strlen(in) - 1);
        ck_assert_int_eq(pb_frame_is_blank(buf, strlen(in) - 1), 0);
}
END_TEST

START_TEST(test_two_frames)
{
        static const char in[] = "{\"a\":1}\n[2,3]\n";
        _cleanup_free_ char *buf = dup_exact(in, strlen(in));
        size_t len = strlen(in), scanned = 0;
        ssize_t n;

        n = pb_frame_next(buf, len, &scanned);
        ck_assert_int_eq(n, 8);
        ck_assert_mem_eq(buf, "{\"a\":1}\n", 8);
        ck_assert_uint_eq(scanned, 0);

        n = pb_frame_next(buf + 8, len - 8, &scanned);
        ck_assert_int_eq(n, 6);
        ck_assert_mem_eq(buf + 8, "[2,3]\n", 6);
        ck_assert_uint_eq(scanned, 0);

        /* Nothing left: more input needed. */
        n = pb_frame_next(buf + 14, 0, &scanned);
        ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(test_frame_then_partial)
{
        static const char in[] = "{}\n{\"b\":";
        _cleanup_free_ char *buf = dup_exact(in, strlen(in));
        size_t scanned = 0;

        ck_assert_int_eq(pb_frame_next(buf, strlen(in), &scanned), 3);
        ck_assert_uint_eq(scanned, 0);
        ck_assert_int_eq(pb_frame_next(buf + 3, strlen(in) - 3, &scanned), 0);
        /* The whole incomplete tail was searched and is remembered. */
        ck_assert_uint_eq(scanned, strlen(in) - 3);
}
END_TEST

/*
 * A frame arriving one byte per read: every call must search only the new
 * byte, which shows as '*scanned' following the buffer length exactly.
 * Summed over all calls that is n bytes searched, i.e. O(n).
 */
START_TEST(test_byte_at_a_time)
{
        const size_t payload = 4096;
        size_t len, total, scanned = 0, searched = 0;
        _cleanup_free_ char *whole = make_filled(payload, 'x', "\n", &total);

        for (len = 1; len <= total; len++) {
                _cleanup_free_ char *buf = dup_exact(whole, len);
                size_t before = scanned;
                ssize_t n = pb_frame_next(buf, len, &scanned);

                ck_assert_uint_le(before, len);
                searched += len - before;
                if (len < total) {
                        ck_assert_int_eq(n, 0);
                        ck_assert_uint_eq(scanned, len);
                } else {
                        ck_assert_int_eq(n, (ssize_t)total);
                        ck_assert_uint_eq(scanned, 0);
                }
        }
        ck_assert_uint_eq(searched, total);
}
END_TEST

/* The cursor survives a read that ends just before the delimiter. */
START_TEST(test_scanned_then_delimiter)
{
        static const char in[] = "abc\nde";
        _cleanup_free_ char *buf = dup_exact(in, strlen(in));
        size_t scanned = 0;

        ck_assert_int_eq(pb_frame_next(buf, 2, &scanned), 0);
        ck_assert_uint_eq(scanned, 2);
        ck_assert_int_eq(pb_frame_next(buf, strlen(in), &scanned), 4);
        ck_assert_uint_eq(scanned, 0);
}
END_TEST

START_TEST(test_crlf)
{
        static const char in[] = "{\"x\":1}\r\n";
        _cleanup_free_ char *buf = dup_exact(in, strlen(in));
        size_t scanned = 0;

        ck_assert_int_eq(pb_frame_next(buf, strlen(in), &scanned), (ssize_t)strlen(in));
        ck_assert_uint_eq(pb_frame_payload_len(buf, strlen(in)), strlen("{\"x\":1}"));

        ck_assert_uint_eq(pb_frame_payload_len("abc\n", 4), 3);
        ck_assert_uint_eq(pb_frame_payload_len("abc\r\n", 5), 3);
        ck_assert_uint_eq(pb_frame_payload_len("\r\n", 2), 0);
        ck_assert_uint_eq(pb_frame_payload_len("\n", 1), 0);
        /* Only one '\r' belongs to the delimiter. */
        ck_assert_uint_eq(pb_frame_payload_len("a\r\r\n", 4), 2);
        /* A '\r' elsewhere is payload. */
        ck_assert_uint_eq(pb_frame_payload_len("a\rb\n", 4), 3);
}
END_TEST

START_TEST(test_blank)
{
        static const char in[] = "\n \t\r\n";
        _cleanup_free_ char *buf = dup_exact(in, strlen(in));
        size_t scanned = 0, plen;
        ssize_t n;

        /* An empty line is a frame of its own, with an empty payload. */
        n = pb_frame_next(buf, strlen(in), &scanned);
        ck_assert_int_eq(n, 1);
        plen = pb_frame_payload_len(buf, (size_t)n);
        ck_assert_uint_eq(plen, 0);
        ck_assert_int_ne(pb_frame_is_blank(buf, plen), 0);

        n = pb_frame_next(buf + 1, strlen(in) - 1, &scanned);
        ck_assert_int_eq(n, 4);
        plen = pb_frame_payload_len(buf + 1, (size_t)n);
        ck_assert_uint_eq(plen, 2);
        ck_assert_int_ne(pb_frame_is_blank(buf + 1, plen), 0);

        ck_assert_int_ne(pb_frame_is_blank("", 0), 0);
        ck_assert_int_ne(pb_frame_is_blank(" \t\r\n ", 5), 0);
        ck_assert_int_eq(pb_frame_is_blank(" x ", 3), 0);
        ck_assert_int_eq(pb_frame_is_blank("{}", 2), 0);
        /* NUL and vertical tab / form feed are not JSON whitespace. */
        ck_assert_int_eq(pb_frame_is_blank(" \0 ", 3), 0);
        ck_assert_int_eq(pb_frame_is_blank("\v", 1), 0);
        ck_assert_int_eq(pb_frame_is_blank("\f", 1), 0);
}
END_TEST

START_TEST(test_max_accepted)
{
        size_t len, scanned = 0;
        _cleanup_free_ char *buf = make_filled(PB_FRAME_MAX, 'a', "\n", &len);

        ck_assert_uint_eq(len, PB_FRAME_MAX + 1);
        ck_assert_int_eq(pb_frame_next(buf, len, &scanned), (ssize_t)len);
        ck_assert_uint_eq(pb_frame_payload_len(buf, len), PB_FRAME_MAX);
}
END_TEST

START_TEST(test_max_crlf_accepted)
{
        size_t len, scanned = 0;
        _cleanup_free_ char *buf = make_filled(PB_FRAME_MAX, 'a', "\r\n", &len);

        ck_assert_int_eq(pb_frame_next(buf, len, &scanned), (ssize_t)len);
        ck_assert_uint_eq(pb_frame_payload_len(buf, len), PB_FRAME_MAX);
}
END_TEST

START_TEST(test_max_plus_one_rejected)
{
        size_t len, scanned = 0;
        _cleanup_free_ char *buf = make_filled(PB_FRAME_MAX + 1, 'a', "\n", &len);

        ck_assert_int_eq(pb_frame_next(buf, len, &scanned), -EMSGSIZE);
}
END_TEST

START_TEST(test_max_plus_two_undelimited)
{
        size_t len, scanned = 0;
        _cleanup_free_ char *buf = make_filled(PB_FRAME_MAX + 2, 'a', "", &len);

        ck_assert_int_eq(pb_frame_next(buf, len, &scanned), -EMSGSIZE);
}
END_TEST

/* A delimiter beyond the limit does not rescue an oversized frame. */
START_TEST(test_delimiter_past_limit)
{
        size_t len, scanned = 0;
        _cleanup_free_ char *buf = make_filled(PB_FRAME_MAX + 2, 'a', "\n", &len);

        ck_assert_int_eq(pb_frame_next(buf, len, &scanned), -EMSGSIZE);
}
END_TEST

START_TEST(test_short_undelimited)
{
        static const size_t sizes[] = { 0, 1, 100, PB_FRAME_MAX, PB_FRAME_MAX + 1 };

        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                size_t len, scanned = 0;
                _cleanup_free_ char *buf = make_filled(sizes[i], 'a', "", &len);

                ck_assert_int_eq(pb_frame_next(buf, len, &scanned), 0);
                ck_assert_uint_eq(scanned, len);
        }
}
END_TEST

/* An oversized frame arriving in chunks is refused once it passes the limit. */
START_TEST(test_oversized_in_chunks)
{
        const size_t chunk = 64 * 1024;
        size_t len, scanned = 0, have;
        _cleanup_free_ char *buf = make_filled(PB_FRAME_MAX + 2 * chunk, 'a', "", &len);
        ssize_t n = 0;

        for (have = chunk; have <= len; have += chunk) {
                n = pb_frame_next(buf, have, &scanned);
                if (have < PB_FRAME_MAX + 2) {
                        ck_assert_int_eq(n, 0);
                        ck_assert_uint_eq(scanned, have);
                } else {
                        ck_assert_int_eq(n, -EMSGSIZE);
                }
        }
        ck_assert_int_eq(n, -EMSGSIZE);
}
END_TEST

Suite *
make_frame_suite(void)
{
        Suite *s = suite_create("frame");
        TCase *tc;

        tc = tcase_create("split");
        tcase_add_test(tc, test_one_frame);
        tcase_add_test(tc, test_two_frames);
        tcase_add_test(tc, test_frame_then_partial);
        tcase_add_test(tc, test_byte_at_a_time);
        tcase_add_test(tc, test_scanned_then_delimiter);
        tcase_add_test(tc, test_crlf);
        tcase_add_test(tc, test_blank);
        suite_add_tcase(s, tc);

        tc = tcase_create("limits");
        tcase_add_test(tc, test_max_accepted);
        tcase_add_test(tc, test_max_crlf_accepted);
        tcase_add_test(tc, test_max_plus_one_rejected);
        tcase_add_test(tc, test_max_plus_two_undelimited);
        tcase_add_test(tc, test_delimiter_past_limit);
        tcase_add_test(tc, test_short_undelimited);
        tcase_add_test(tc, test_oversized_in_chunks);
        suite_add_tcase(s, tc);
        return s;
}
