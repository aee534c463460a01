/* SPDX-License-Identifier: MIT */
/*
 * Suite "path": where the daemon's socket lives (proto/pb-path.h).
 */
#include <errno.h>
#include <string.h>

#include <sys/un.h>

#include "pb-macro.h"
#include "pb-path.h"
#include "suites.h"

static const struct {
        const char *env;
        const char *xdg;
        uid_t uid;
        const char *want;
} precedence[] = {
        /* $PATCHBAY_SOCKET wins over everything. */
        { "/srv/pb.sock", "/run/user/1000", 1000, "/srv/pb.sock" },
        { "/srv/pb.sock", NULL, 0, "/srv/pb.sock" },
        /* A relative $PATCHBAY_SOCKET is taken as given. */
        { "pb.sock", "/run/user/1000", 1000, "pb.sock" },
        /* Empty means unset. */
        { "", "/run/user/1000", 1000, "/run/user/1000/patchbay/patchbayd.sock" },
        /* $XDG_RUNTIME_DIR, also for root. */
        { NULL, "/run/user/1000", 1000, "/run/user/1000/patchbay/patchbayd.sock" },
        { NULL, "/run/user/0", 0, "/run/user/0/patchbay/patchbayd.sock" },
        /* A relative (or empty) $XDG_RUNTIME_DIR is ignored. */
        { NULL, "run/user/1000", 1000, "/tmp/patchbay-1000/patchbayd.sock" },
        { NULL, "./x", 0, "/run/patchbay/patchbayd.sock" },
        { NULL, "", 1000, "/tmp/patchbay-1000/patchbayd.sock" },
        { "", "", 0, "/run/patchbay/patchbayd.sock" },
        /* Per uid. */
        { NULL, NULL, 0, "/run/patchbay/patchbayd.sock" },
        { NULL, NULL, 1, "/tmp/patchbay-1/patchbayd.sock" },
        { NULL, NULL, 4294967294u, "/tmp/patchbay-4294967294/patchbayd.sock" },
};

START_TEST(test_precedence)
{
        char buf[256];

        memset(buf, 'Z', sizeof(buf));
        ck_assert_int_eq(pb_socket_path(precedence[_i].env, precedence[_i].xdg, precedence[_i].uid,
                                        buf, sizeof(buf)),
                         0);
        ck_assert_str_eq(buf, precedence[_i].want);
}
END_TEST

START_TEST(test_small_buffer)
{
        static const char want[] = "/run/patchbay/patchbayd.sock";
        char buf[sizeof(want)];

        ck_assert_int_eq(pb_socket_path(NULL, NULL, 0, buf, 10), -ENAMETOOLONG);
        /* Exactly enough room for the string and its NUL ... */
        ck_assert_int_eq(pb_socket_path(NULL, NULL, 0, buf, sizeof(want)), 0);
        ck_assert_str_eq(buf, want);
        /* ... and one byte less is too little. */
        ck_assert_int_eq(pb_socket_path(NULL, NULL, 0, buf, sizeof(want) - 1), -ENAMETOOLONG);
        ck_assert_int_eq(pb_socket_path("/srv/pb.sock", NULL, 1000, buf, 5), -ENAMETOOLONG);
        ck_assert_int_eq(pb_socket_path(NULL, "/run/user/1000", 1000, buf, 20), -ENAMETOOLONG);
        ck_assert_int_eq(pb_socket_path(NULL, NULL, 1000, buf, 0), -ENAMETOOLONG);
}
END_TEST

/* sun_path holds 108 bytes: at most 107 plus the NUL. */
START_TEST(test_sockaddr_limit)
{
        char env[200], xdg[200], buf[4096];
        const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
        const size_t suffix = strlen("/patchbay/" PB_SOCKET_NAME);

        ck_assert_uint_eq(max, 107);

        memset(env, 'a', sizeof(env));
        env[0] = '/';
        env[max] = '\0';
        ck_assert_int_eq(pb_socket_path(env, NULL, 0, buf, sizeof(buf)), 0);
        ck_assert_uint_eq(strlen(buf), max);
        env[max] = 'a';
        env[max + 1] = '\0';
        ck_assert_int_eq(pb_socket_path(env, NULL, 0, buf, sizeof(buf)), -ENAMETOOLONG);

        memset(xdg, 'x', sizeof(xdg));
        xdg[0] = '/';
        xdg[max - suffix] = '\0';
        ck_assert_int_eq(pb_socket_path(NULL, xdg, 1000, buf, sizeof(buf)), 0);
        ck_assert_uint_eq(strlen(buf), max);
        xdg[max - suffix] = 'x';
        xdg[max - suffix + 1] = '\0';
        ck_assert_int_eq(pb_socket_path(NULL, xdg, 1000, buf, sizeof(buf)), -ENAMETOOLONG);
}
END_TEST

Suite *
make_path_suite(void)
{
        Suite *s = suite_create("path");
        TCase *tc = tcase_create("socket");

        tcase_add_loop_test(tc, test_precedence, 0, (int)ELEMENTSOF(precedence));
        tcase_add_test(tc, test_small_buffer);
        tcase_add_test(tc, test_sockaddr_limit);
        suite_add_tcase(s, tc);
        return s;
}
