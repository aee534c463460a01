/* SPDX-License-Identifier: MIT */
/*
 * Suite "dispatch": the daemon's method table (daemon/dispatch.h) against
 * the OpenRPC document.
 */
#include <string.h>

#include "dispatch.h"
#include "pb-macro.h"
#include "pb-schema.h"
#include "suites.h"

static void
setup_dispatch(void)
{
        ck_assert_int_eq(pbd_dispatch_init(), 0);
}

START_TEST(test_init_idempotent)
{
        size_t n = pbd_dispatch_count();

        ck_assert_uint_gt(n, 0);
        ck_assert_int_eq(pbd_dispatch_init(), 0);
        ck_assert_uint_eq(pbd_dispatch_count(), n);
        ck_assert_ptr_eq(pbd_dispatch_get(0), pbd_dispatch_lookup(pbd_dispatch_get(0)->name));
}
END_TEST

START_TEST(test_sorted_unique)
{
        size_t n = pbd_dispatch_count();

        for (size_t i = 0; i < n; i++) {
                const struct pbd_method *m = pbd_dispatch_get(i);

                ck_assert_ptr_nonnull(m);
                ck_assert_ptr_nonnull(m->name);
                ck_assert_ptr_nonnull(m->fn);
                if (i > 0)
                        ck_assert_msg(strcmp(pbd_dispatch_get(i - 1)->name, m->name) < 0,
                                      "'%s' then '%s'", pbd_dispatch_get(i - 1)->name, m->name);
                ck_assert_ptr_eq(pbd_dispatch_lookup(m->name), m);
        }
        ck_assert_ptr_null(pbd_dispatch_get(n));
}
END_TEST

/* Every per-domain table is itself sorted, as dispatch.h promises. */
START_TEST(test_domain_table_sorted)
{
        ck_assert_uint_gt(pbd_methods_daemon_count, 0);
        for (size_t i = 1; i < pbd_methods_daemon_count; i++)
                ck_assert_msg(strcmp(pbd_methods_daemon[i - 1].name, pbd_methods_daemon[i].name) <
                                      0,
                              "'%s' then '%s'", pbd_methods_daemon[i - 1].name,
                              pbd_methods_daemon[i].name);
}
END_TEST

/* No undocumented method: everything implemented is in the OpenRPC document. */
START_TEST(test_documented)
{
        struct pb_schema *s = NULL;
        struct pb_rpc_error err;

        ck_assert_int_eq(pb_schema_new_builtin(&s, &err), 0);
        for (size_t i = 0; i < pbd_dispatch_count(); i++) {
                const char *name = pbd_dispatch_get(i)->name;

                ck_assert_msg(pb_schema_method(s, name) != NULL,
                              "%s is implemented but not in openrpc.json", name);
        }
        pb_schema_free(s);
}
END_TEST

START_TEST(test_implemented)
{
        static const struct {
                const char *name;
                unsigned flags;
        } want[] = {
                { "daemon.info", 0 },
                { "daemon.ping", 0 },
                { "daemon.shutdown", PBD_METHOD_MUTATES },
                { "rpc.discover", 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const struct pbd_method *m = pbd_dispatch_lookup(want[i].name);

                ck_assert_msg(m != NULL, "%s is not implemented", want[i].name);
                ck_assert_str_eq(m->name, want[i].name);
                ck_assert_ptr_nonnull(m->fn);
                ck_assert_uint_eq(m->flags & PBD_METHOD_MUTATES, want[i].flags);
        }
}
END_TEST

START_TEST(test_not_implemented)
{
        /* Not methods at all. */
        ck_assert_ptr_null(pbd_dispatch_lookup(""));
        ck_assert_ptr_null(pbd_dispatch_lookup("daemon.pin"));
        ck_assert_ptr_null(pbd_dispatch_lookup("daemon.pingg"));
        ck_assert_ptr_null(pbd_dispatch_lookup("DAEMON.PING"));
        ck_assert_ptr_null(pbd_dispatch_lookup("zzz"));
        ck_assert_ptr_null(pbd_dispatch_lookup("a"));
}
END_TEST

Suite *
make_dispatch_suite(void)
{
        Suite *s = suite_create("dispatch");
        TCase *tc = tcase_create("table");

        tcase_add_checked_fixture(tc, setup_dispatch, NULL);
        tcase_add_test(tc, test_init_idempotent);
        tcase_add_test(tc, test_sorted_unique);
        tcase_add_test(tc, test_domain_table_sorted);
        tcase_add_test(tc, test_documented);
        tcase_add_test(tc, test_implemented);
        tcase_add_test(tc, test_not_implemented);
        suite_add_tcase(s, tc);
        return s;
}
