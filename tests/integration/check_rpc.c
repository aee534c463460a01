/* SPDX-License-Identifier: MIT */
/* The JSON-RPC contract of SPEC §10, observed on the wire. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "suites.h"

static struct pbt_daemon d;

static void
setup(void)
{
        pbt_daemon_start(&d, NULL);
}

static void
teardown(void)
{
        if (d.pid > 0)
                pbt_daemon_stop(&d);
}

START_TEST(info_reports_mode)
{
        struct pb_client *c = pbt_connect(&d);
        json_t *info = pbt_call(c, "daemon.info", NULL);
        json_t *features = json_object_get(info, "features");
        pid_t pid = (pid_t)json_integer_value(json_object_get(info, "pid"));

        ck_assert(json_is_true(json_object_get(info, "rootless")) == (geteuid() != 0));
        ck_assert_int_eq(json_integer_value(json_object_get(info, "uid")), geteuid());
        ck_assert_int_eq(json_integer_value(json_object_get(info, "api_version")), 1);
        ck_assert_str_eq(json_string_value(json_object_get(info, "version")), "0.1.0");
        ck_assert_str_eq(json_string_value(json_object_get(info, "shaper")), "userspace");
        ck_assert_int_eq(json_integer_value(json_object_get(info, "labs")), 0);
        ck_assert_int_eq(json_integer_value(json_object_get(info, "connections")), 1);
        ck_assert(json_array_size(features) >= 1);
        /* The pid is the daemon as the host sees it: a live process other than the supervisor. */
        ck_assert_int_gt(pid, 1);
        ck_assert_int_ne(pid, d.pid);
        ck_assert_int_eq(kill(pid, 0), 0);
        json_decref(info);
        pb_client_free(c);
}
END_TEST

START_TEST(parse_error_keeps_connection)
{
        int fd = pbt_raw_connect(&d);
        json_t *resp;
        bool eof;

        pbt_raw_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":1\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_ptr_nonnull(resp);
        ck_assert(json_is_null(json_object_get(resp, "id")));
        ck_assert_int_eq(
                json_integer_value(json_object_get(json_object_get(resp, "error"), "code")),
                -32700);
        json_decref(resp);

        /* Even when the parser's message quotes half a UTF-8 character. */
        pbt_raw_send(fd, "\"\\\xc3\xa9\"\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_msg(resp, "no reply to an invalid escape before a UTF-8 character");
        ck_assert_int_eq(
                json_integer_value(json_object_get(json_object_get(resp, "error"), "code")),
                -32700);
        json_decref(resp);

        /* The frame boundary was known, so the connection still serves. */
        pbt_raw_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":2}\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_ptr_nonnull(resp);
        ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 2);
        ck_assert_ptr_nonnull(json_object_get(resp, "result"));
        json_decref(resp);
        close(fd);
}
END_TEST

START_TEST(invalid_request_envelopes)
{
        static const char *const bad[] = {
                "42",
                "{\"jsonrpc\":\"1.0\",\"method\":\"daemon.info\",\"id\":3}",
                "{\"jsonrpc\":\"2.0\",\"method\":7,\"id\":3}",
                "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"parmas\":{},\"id\":3}",
                "[]",
        };
        int fd = pbt_raw_connect(&d);
        bool eof;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                json_t *resp;

                pbt_raw_send(fd, bad[i]);
                pbt_raw_send(fd, "\n");
                resp = pbt_raw_read(fd, 5000, &eof);
                ck_assert_msg(resp, "no reply to %s", bad[i]);
                ck_assert_int_eq(
                        json_integer_value(json_object_get(json_object_get(resp, "error"), "code")),
                        -32600);
                json_decref(resp);
        }
        close(fd);
}
END_TEST

START_TEST(unknown_method_is_named)
{
        struct pb_client *c = pbt_connect(&d);
        struct pb_error e;

        e = pbt_call_fail(c, "no.such_method", NULL);
        ck_assert_int_eq(e.code, PB_ERROR_METHOD_NOT_FOUND);
        ck_assert_str_eq(e.name, "patchbay.MethodNotFound");
        ck_assert_str_eq(e.method, "no.such_method");
        /* A method of the API that this build does not implement yet answers the same way. */
        {
                json_t *doc = pbt_call(c, "rpc.discover", NULL), *m;
                size_t i;

                json_array_foreach (json_object_get(doc, "methods"), i, m) {
                        const char *name = json_string_value(json_object_get(m, "name"));

                        if (json_is_true(json_object_get(m, "x-implemented")))
                                continue;
                        e = pbt_call_fail(c, name, NULL);
                        ck_assert_int_eq(e.code, PB_ERROR_METHOD_NOT_FOUND);
                        ck_assert_str_eq(e.method, name);
                }
                json_decref(doc);
        }
        pb_client_free(c);
}
END_TEST

START_TEST(bad_params_are_named)
{
        struct pb_client *c = pbt_connect(&d);
        struct pb_error e;

        e = pbt_call_fail(c, "daemon.info", "{\"bogus\":1}");
        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
        ck_assert_str_eq(e.name, "patchbay.InvalidParams");
        ck_assert_str_eq(e.parameter, "bogus");

        e = pbt_call_fail(c, "daemon.ping", "{\"delay_ms\":\"soon\"}");
        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
        ck_assert_str_eq(e.parameter, "delay_ms");

        e = pbt_call_fail(c, "daemon.ping", "{\"delay_ms\":-5}");
        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
        ck_assert_str_eq(e.parameter, "delay_ms");

        /* Still serving after all that. */
        json_decref(pbt_call(c, "daemon.ping", "{\"data\":[1,2]}"));
        pb_client_free(c);
}
END_TEST

START_TEST(positional_params_rejected)
{
        int fd = pbt_raw_connect(&d);
        json_t *resp, *err;
        bool eof;

        pbt_raw_send(fd,
                     "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":[1],\"id\":9}\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_ptr_nonnull(resp);
        err = json_object_get(resp, "error");
        ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 9);
        ck_assert_int_eq(json_integer_value(json_object_get(err, "code")), -32602);
        ck_assert_str_eq(
                json_string_value(json_object_get(json_object_get(err, "data"), "parameter")),
                "params");
        json_decref(resp);
        close(fd);
}
END_TEST

START_TEST(batch_of_three)
{
        int fd = pbt_raw_connect(&d);
        json_t *resp, *elem;
        int seen[3] = { 0 };
        bool eof;
        size_t i;

        pbt_raw_send(fd, "[{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":1},"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":"
                         "{\"data\":\"x\"},\"id\":2},"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"no.such\",\"id\":3}]\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_ptr_nonnull(resp);
        ck_assert(json_is_array(resp));
        ck_assert_int_eq(json_array_size(resp), 3);
        json_array_foreach (resp, i, elem) {
                json_int_t id = json_integer_value(json_object_get(elem, "id"));

                ck_assert(id >= 1 && id <= 3);
                seen[id - 1]++;
                if (id == 3)
                        ck_assert_int_eq(json_integer_value(json_object_get(
                                                 json_object_get(elem, "error"), "code")),
                                         -32601);
                else
                        ck_assert_ptr_nonnull(json_object_get(elem, "result"));
        }
        ck_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
        json_decref(resp);

        /* Notifications inside a batch get no entry; all-notification batches no reply. */
        pbt_raw_send(fd, "[{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\"},"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":5}]\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_int_eq(json_array_size(resp), 1);
        json_decref(resp);
        pbt_raw_send(fd, "[{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\"}]\n"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":6}\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 6);
        json_decref(resp);
        close(fd);
}
END_TEST

START_TEST(notification_gets_no_response)
{
        int fd = pbt_raw_connect(&d);
        json_t *resp;
        bool eof;

        /* Valid and unknown-method notifications: both silent. */
        pbt_raw_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\"}\n"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"no.such\"}\n"
                         "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":7}\n");
        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_ptr_nonnull(resp);
        ck_assert_int_eq(json_integer_value(json_object_get(resp, "id")), 7);
        json_decref(resp);
        /* Nothing else is pending. */
        ck_assert_ptr_null(pbt_raw_read(fd, 300, &eof));
        ck_assert(!eof);
        close(fd);
}
END_TEST

struct order {
        int seq[4];
        int n;
};

static void
record(struct pb_client *c, const char *result, const struct pb_error *error, void *userdata)
{
        struct order *o = userdata;
        json_t *v = json_loads(result, 0, NULL);

        ck_assert_ptr_nonnull(v);
        o->seq[o->n++] = (int)json_integer_value(json_object_get(v, "data"));
        json_decref(v);
}

START_TEST(deferred_replies_overtake)
{
        struct pb_client *c = pbt_connect(&d);
        struct order o = { .n = 0 };
        long long start = pbt_now_ms();

        ck_assert_int_eq(
                pb_call_async(c, "daemon.ping", "{\"delay_ms\":300,\"data\":1}", record, &o), 0);
        ck_assert_int_eq(pb_call_async(c, "daemon.ping", "{\"data\":2}", record, &o), 0);
        ck_assert_int_eq(
                pb_call_async(c, "daemon.ping", "{\"delay_ms\":100,\"data\":3}", record, &o), 0);
        while (pb_client_pending(c) > 0)
                ck_assert_int_ge(pb_client_wait(c, 5000), 0);
        ck_assert_int_eq(o.n, 3);
        ck_assert_int_eq(o.seq[0], 2);
        ck_assert_int_eq(o.seq[1], 3);
        ck_assert_int_eq(o.seq[2], 1);
        ck_assert_int_ge(pbt_now_ms() - start, 300);
        pb_client_free(c);
}
END_TEST

START_TEST(discover_lists_the_api)
{
        struct pb_client *c = pbt_connect(&d);
        json_t *doc = pbt_call(c, "rpc.discover", NULL);
        json_t *methods = json_object_get(doc, "methods"), *m;
        int implemented = 0, listed = 0;
        size_t i;

        ck_assert_str_eq(json_string_value(json_object_get(doc, "openrpc")), "1.2.6");
        json_array_foreach (methods, i, m) {
                const char *name = json_string_value(json_object_get(m, "name"));

                listed++;
                if (json_is_true(json_object_get(m, "x-implemented")))
                        implemented++;
                ck_assert(json_is_boolean(json_object_get(m, "x-implemented")));
                if (strcmp(name, "daemon.info") == 0)
                        ck_assert(json_is_true(json_object_get(m, "x-implemented")));
        }
        ck_assert_int_ge(listed, 54);
        ck_assert_int_ge(implemented, 4);
        json_decref(doc);
        pb_client_free(c);
}
END_TEST

Suite *
make_rpc_suite(void)
{
        Suite *s = suite_create("rpc");
        TCase *tc = tcase_create("wire");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, info_reports_mode);
        tcase_add_test(tc, parse_error_keeps_connection);
        tcase_add_test(tc, invalid_request_envelopes);
        tcase_add_test(tc, unknown_method_is_named);
        tcase_add_test(tc, bad_params_are_named);
        tcase_add_test(tc, positional_params_rejected);
        tcase_add_test(tc, batch_of_three);
        tcase_add_test(tc, notification_gets_no_response);
        tcase_add_test(tc, deferred_replies_overtake);
        tcase_add_test(tc, discover_lists_the_api);
        suite_add_tcase(s, tc);
        return s;
}
