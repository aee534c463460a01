/* SPDX-License-Identifier: MIT */
/*
 * Suite "rpc": the JSON-RPC 2.0 codec (proto/pb-rpc.h): envelope checks,
 * decoding, error objects, builders, encoding and response parsing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pb-frame.h"
#include "pb-macro.h"
#include "pb-rpc.h"
#include "suites.h"

/* Parses test input that is known to be valid JSON.  Returns a new reference. */
static json_t *
load(const char *text)
{
        json_error_t jerr;
        json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);

        ck_assert_msg(v != NULL, "bad test JSON '%s': %s", text, jerr.text);
        return v;
}

/* Asserts that 'v' equals the JSON text 'expected'. */
static void
assert_json_eq(json_t *v, const char *expected)
{
        json_auto_t *want = load(expected);
        _cleanup_free_ char *got = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;

        ck_assert_msg(v && json_equal(v, want), "got %s, want %s", got ? got : "(null)", expected);
}

/* --- pb_rpc_check_request: malformed requests ----------------------------- */

static const struct {
        const char *json;
        bool element;          /* Check the first element of the (array) message. */
        enum pb_err err;       /* Expected error. */
        const char *id;        /* Expected ret->id as JSON text, or NULL for NULL. */
        const char *parameter; /* Expected error parameter ("" for none). */
} malformed[] = {
        /* Not an object. */
        { "42", false, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "-1.5", false, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "\"daemon.ping\"", false, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "null", false, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "true", false, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "[]", false, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "[1]", true, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "[\"x\"]", true, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "[[]]", true, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "[null]", true, PB_ERR_INVALID_REQUEST, NULL, "" },
        { "{}", false, PB_ERR_INVALID_REQUEST, NULL, "" },
        /* "jsonrpc" missing or wrong. */
        { "{\"method\":\"daemon.ping\",\"id\":1}", false, PB_ERR_INVALID_REQUEST, "1", "" },
        { "{\"jsonrpc\":2.0,\"method\":\"daemon.ping\",\"id\":1}", false, PB_ERR_INVALID_REQUEST,
          "1", "" },
        { "{\"jsonrpc\":\"1.0\",\"method\":\"daemon.ping\",\"id\":\"a\"}", false,
          PB_ERR_INVALID_REQUEST, "\"a\"", "" },
        { "{\"jsonrpc\":\"2.0 \",\"method\":\"daemon.ping\",\"id\":2}", false,
          PB_ERR_INVALID_REQUEST, "2", "" },
        { "{\"jsonrpc\":null,\"method\":\"daemon.ping\",\"id\":null}", false,
          PB_ERR_INVALID_REQUEST, "null", "" },
        { "{\"jsonrpc\":\"1.0\",\"method\":\"daemon.ping\"}", false, PB_ERR_INVALID_REQUEST, NULL,
          "" },
        /* "method" missing or not a string. */
        { "{\"jsonrpc\":\"2.0\",\"id\":3}", false, PB_ERR_INVALID_REQUEST, "3", "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":4}", false, PB_ERR_INVALID_REQUEST, "4", "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":5}", false, PB_ERR_INVALID_REQUEST, "5",
          "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":[\"a\"],\"id\":\"m\"}", false, PB_ERR_INVALID_REQUEST,
          "\"m\"", "" },
        /* Bad id types: no usable id. */
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":{}}", false,
          PB_ERR_INVALID_REQUEST, NULL, "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":[1]}", false,
          PB_ERR_INVALID_REQUEST, NULL, "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":true}", false,
          PB_ERR_INVALID_REQUEST, NULL, "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":false}", false,
          PB_ERR_INVALID_REQUEST, NULL, "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":{},\"bogus\":1}", false,
          PB_ERR_INVALID_REQUEST, NULL, "" },
        /* Unknown envelope members. */
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"parmas\":{},\"id\":6}", false,
          PB_ERR_INVALID_REQUEST, "6", "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"result\":1,\"id\":7}", false,
          PB_ERR_INVALID_REQUEST, "7", "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"ID\":8}", false,
          PB_ERR_INVALID_REQUEST, NULL, "" },
        /* Positional params: -32602 naming "params". */
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":[],\"id\":9}", false,
          PB_ERR_INVALID_PARAMS, "9", "params" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":[1,2]}", false,
          PB_ERR_INVALID_PARAMS, NULL, "params" },
        /* Params neither object nor array. */
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":\"x\",\"id\":10}", false,
          PB_ERR_INVALID_REQUEST, "10", "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":1,\"id\":\"p\"}", false,
          PB_ERR_INVALID_REQUEST, "\"p\"", "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":null,\"id\":11}", false,
          PB_ERR_INVALID_REQUEST, "11", "" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":true,\"id\":12}", false,
          PB_ERR_INVALID_REQUEST, "12", "" },
};

START_TEST(test_malformed)
{
        json_auto_t *msg = load(malformed[_i].json);
        json_auto_t *empty = json_object();
        struct pb_rpc_request req;
        struct pb_rpc_error err = { 0 };
        json_t *target = malformed[_i].element ? json_array_get(msg, 0) : msg;
        int r;

        ck_assert_ptr_nonnull(target);
        r = pb_rpc_check_request(target, empty, &req, &err);
        ck_assert_msg(r == -pb_err_info(malformed[_i].err)->errnum, "%s: returned %d",
                      malformed[_i].json, r);
        ck_assert_msg(err.err == malformed[_i].err, "%s: error %s, want %s", malformed[_i].json,
                      pb_err_info(err.err)->name, pb_err_info(malformed[_i].err)->name);
        ck_assert_int_eq(pb_rpc_error_code(&err), pb_err_info(malformed[_i].err)->code);
        ck_assert_str_eq(err.parameter, malformed[_i].parameter);
        ck_assert_str_ne(err.message, "");
        if (malformed[_i].id) {
                ck_assert_ptr_eq(req.id, json_object_get(target, "id"));
                assert_json_eq(req.id, malformed[_i].id);
        } else {
                ck_assert_msg(req.id == NULL, "%s: id should be NULL", malformed[_i].json);
        }
}
END_TEST

/* --- pb_rpc_check_request: valid requests ----------------------------------- */

static const struct {
        const char *json;
        const char *method;
        const char *id;     /* Expected id as JSON text, or NULL for a notification. */
        const char *params; /* Expected params as JSON text, or NULL for "absent". */
} valid[] = {
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":1}", "daemon.ping", "1", NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":{\"delay_ms\":5},\"id\":"
          "\"abc\"}",
          "daemon.ping", "\"abc\"", "{\"delay_ms\":5}" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"lab.list\",\"params\":{},\"id\":null}", "lab.list",
          "null", "{}" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"x.y\",\"id\":-1.5}", "x.y", "-1.5", NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"x.y\",\"id\":9007199254740993}", "x.y",
          "9007199254740993", NULL },
        { "{\"id\":7,\"params\":{\"a\":[1]},\"method\":\"m\",\"jsonrpc\":\"2.0\"}", "m", "7",
          "{\"a\":[1]}" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"\",\"id\":\"\"}", "", "\"\"", NULL },
        /* Notifications. */
        { "{\"jsonrpc\":\"2.0\",\"method\":\"events.unsubscribe\",\"params\":{\"a\":1}}",
          "events.unsubscribe", NULL, "{\"a\":1}" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\"}", "daemon.ping", NULL, NULL },
};

START_TEST(test_valid)
{
        json_auto_t *msg = load(valid[_i].json);
        json_auto_t *empty = json_object();
        struct pb_rpc_request req;
        struct pb_rpc_error err = { 0 };

        ck_assert_int_eq(pb_rpc_check_request(msg, empty, &req, &err), 0);
        ck_assert_int_eq(err.err, PB_ERR_NONE);
        ck_assert_str_eq(req.method, valid[_i].method);
        ck_assert_ptr_eq(req.method, json_string_value(json_object_get(msg, "method")));
        if (valid[_i].id) {
                ck_assert_ptr_eq(req.id, json_object_get(msg, "id"));
                assert_json_eq(req.id, valid[_i].id);
        } else {
                ck_assert_ptr_null(req.id);
        }
        if (valid[_i].params) {
                ck_assert_ptr_eq(req.params, json_object_get(msg, "params"));
                assert_json_eq(req.params, valid[_i].params);
        } else {
                ck_assert_ptr_eq(req.params, empty);
                ck_assert_uint_eq(json_object_size(empty), 0);
        }
}
END_TEST

/* --- pb_rpc_decode ------------------------------------------------------------ */

static const char *const undecodable[] = {
        "",
        "{",
        "{\"jsonrpc\":\"2.0\",}",
        "{} {}",
        "{\"a\":1,\"a\":2}",
        "{\"params\":{\"x\":1,\"x\":2}}",
        "[{\"id\":1,\"id\":1}]",
        "\"\xff\"",
        "\"a\\u0000b\"",
        "nul",
        "1e999",
};

START_TEST(test_decode_invalid)
{
        const char *in = undecodable[_i];
        json_t *msg = NULL;
        struct pb_rpc_error err = { 0 };

        ck_assert_int_eq(pb_rpc_decode(in, strlen(in), &msg, &err), -EBADMSG);
        ck_assert_ptr_null(msg);
        ck_assert_int_eq(err.err, PB_ERR_PARSE);
        ck_assert_int_eq(pb_rpc_error_code(&err), -32700);
        ck_assert_str_ne(err.message, "");
}
END_TEST

START_TEST(test_decode_len)
{
        static const char in[] = "{\"a\":1}garbage";
        json_auto_t *msg = NULL;
        struct pb_rpc_error err = { 0 };

        /* Only the first 'len' bytes are decoded. */
        ck_assert_int_eq(pb_rpc_decode(in, 7, &msg, &err), 0);
        assert_json_eq(msg, "{\"a\":1}");
}
END_TEST

START_TEST(test_decode_scalar)
{
        json_auto_t *msg = NULL, *empty = json_object();
        struct pb_rpc_request req;
        struct pb_rpc_error err = { 0 };

        /* A top-level scalar is valid JSON, so it decodes ... */
        ck_assert_int_eq(pb_rpc_decode("5", 1, &msg, &err), 0);
        ck_assert(json_is_integer(msg));
        ck_assert_int_eq(json_integer_value(msg), 5);
        /* ... and the envelope check rejects it. */
        ck_assert_int_lt(pb_rpc_check_request(msg, empty, &req, &err), 0);
        ck_assert_int_eq(err.err, PB_ERR_INVALID_REQUEST);
        ck_assert_int_eq(pb_rpc_error_code(&err), -32600);
        ck_assert_ptr_null(req.id);
}
END_TEST

START_TEST(test_decode_unicode)
{
        static const char in[] = "{\"s\":\"\\u00e9\\ud83d\\ude00\"}";
        json_auto_t *msg = NULL;
        struct pb_rpc_error err = { 0 };

        ck_assert_int_eq(pb_rpc_decode(in, strlen(in), &msg, &err), 0);
        ck_assert_str_eq(json_string_value(json_object_get(msg, "s")), "\xc3\xa9\xf0\x9f\x98\x80");
}
END_TEST

/* --- error objects ------------------------------------------------------------ */

static void
assert_error_round_trip(const struct pb_rpc_error *e)
{
        json_auto_t *obj = pb_rpc_error_to_json(e);
        struct pb_rpc_error back;
        int code = 0;

        ck_assert_ptr_nonnull(obj);
        memset(&back, 0xa5, sizeof(back));
        ck_assert_int_eq(pb_rpc_error_from_json(obj, &back, &code), pb_rpc_error_code(e));
        ck_assert_int_eq(code, pb_rpc_error_code(e));
        ck_assert_int_eq(back.err, e->err);
        ck_assert_int_eq(back.errnum, e->errnum);
        ck_assert_str_eq(back.message, e->message);
        ck_assert_str_eq(back.parameter, e->parameter);
        ck_assert_str_eq(back.method, e->method);
        ck_assert_str_eq(back.kernel, e->kernel);
        ck_assert_str_eq(back.op, e->op);
}

START_TEST(test_error_system)
{
        struct pb_rpc_error e;
        json_auto_t *obj = NULL;
        json_t *data;

        ck_assert_int_eq(
                pb_rpc_error_system(&e, -EEXIST, "RTM_NEWADDR 10.0.1.2/24 dev eth0", "File exists"),
                -EEXIST);
        ck_assert_int_eq(e.err, PB_ERR_SYSTEM);
        ck_assert_int_eq(e.errnum, EEXIST);
        ck_assert_int_eq(pb_rpc_error_code(&e), -32000);

        obj = pb_rpc_error_to_json(&e);
        ck_assert_ptr_nonnull(obj);
        ck_assert_uint_eq(json_object_size(obj), 3);
        ck_assert_int_eq(json_integer_value(json_object_get(obj, "code")), -32000);
        ck_assert_str_eq(json_string_value(json_object_get(obj, "message")), e.message);
        ck_assert_ptr_nonnull(strstr(e.message, "RTM_NEWADDR"));
        data = json_object_get(obj, "data");
        assert_json_eq(data, "{\"error\":\"patchbay.System\",\"errno\":17,\"errnoName\":\"EEXIST\","
                             "\"kernel\":\"File exists\",\"op\":\"RTM_NEWADDR 10.0.1.2/24 dev "
                             "eth0\"}");
        assert_error_round_trip(&e);

        /* A positive errno is accepted too; no kernel text means no "kernel". */
        ck_assert_int_eq(pb_rpc_error_system(&e, ENOENT, "open", NULL), -ENOENT);
        json_decref(obj);
        obj = pb_rpc_error_to_json(&e);
        assert_json_eq(json_object_get(obj, "data"),
                       "{\"error\":\"patchbay.System\",\"errno\":2,\"errnoName\":\"ENOENT\","
                       "\"op\":\"open\"}");
        assert_error_round_trip(&e);
}
END_TEST

START_TEST(test_error_param)
{
        struct pb_rpc_error e;
        json_auto_t *obj = NULL;

        ck_assert_int_eq(pb_rpc_error_param(&e, "ifaces[0].router", "bad value %d", 5), -EINVAL);
        ck_assert_int_eq(e.err, PB_ERR_INVALID_PARAMS);
        ck_assert_str_eq(e.parameter, "ifaces[0].router");
        obj = pb_rpc_error_to_json(&e);
        assert_json_eq(obj, "{\"code\":-32602,\"message\":\"bad value 5\",\"data\":{\"error\":"
                            "\"patchbay.InvalidParams\",\"parameter\":\"ifaces[0].router\"}}");
        assert_error_round_trip(&e);
}
END_TEST

START_TEST(test_error_method_not_found)
{
        struct pb_rpc_error e;
        json_auto_t *obj = NULL;

        ck_assert_int_eq(pb_rpc_errorf(&e, PB_ERR_METHOD_NOT_FOUND, NULL), -ENOSYS);
        snprintf(e.method, sizeof(e.method), "%s", "lab.frobnicate");
        obj = pb_rpc_error_to_json(&e);
        assert_json_eq(obj,
                       "{\"code\":-32601,\"message\":\"method not found\",\"data\":{"
                       "\"error\":\"patchbay.MethodNotFound\",\"method\":\"lab.frobnicate\"}}");
        assert_error_round_trip(&e);
}
END_TEST

START_TEST(test_error_app)
{
        struct pb_rpc_error e;
        json_auto_t *obj = NULL;

        ck_assert_int_eq(pb_rpc_errorf(&e, PB_ERR_NO_SUCH_LAB, "no lab '%s'", "t1"), -ENOENT);
        snprintf(e.parameter, sizeof(e.parameter), "%s", "lab");
        obj = pb_rpc_error_to_json(&e);
        assert_json_eq(obj, "{\"code\":-32001,\"message\":\"no lab 't1'\",\"data\":{\"error\":"
                            "\"patchbay.NoSuchLab\",\"parameter\":\"lab\"}}");
        assert_error_round_trip(&e);
}
END_TEST

START_TEST(test_error_unset)
{
        struct pb_rpc_error e = { 0 };
        json_auto_t *obj = NULL;

        /* An unset error goes out as an internal error, never as code 0. */
        ck_assert_int_eq(pb_rpc_error_code(&e), -32603);
        obj = pb_rpc_error_to_json(&e);
        assert_json_eq(obj, "{\"code\":-32603,\"message\":\"internal error\",\"data\":{"
                            "\"error\":\"patchbay.Internal\"}}");
}
END_TEST

START_TEST(test_error_from_json_invalid)
{
        static const char *const bad[] = {
                "null",
                "[]",
                "{}",
                "{\"code\":0,\"message\":\"x\"}",
                "{\"code\":\"-32600\",\"message\":\"x\"}",
                "{\"code\":-32600.0,\"message\":\"x\"}",
        };
        struct pb_rpc_error e;
        int code = 12345;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_auto_t *v = load(bad[i]);

                ck_assert_msg(pb_rpc_error_from_json(v, &e, &code) == -EBADMSG, "%s accepted",
                              bad[i]);
        }
        ck_assert_int_eq(code, 12345);
}
END_TEST

START_TEST(test_error_from_json_unknown)
{
        json_auto_t *v = load("{\"code\":-31999,\"message\":\"odd\",\"data\":{\"error\":"
                              "\"other.Thing\",\"errno\":5}}");
        struct pb_rpc_error e;
        int code = 0;

        ck_assert_int_eq(pb_rpc_error_from_json(v, &e, NULL), -31999);
        ck_assert_int_eq(pb_rpc_error_from_json(v, &e, &code), -31999);
        ck_assert_int_eq(code, -31999);
        ck_assert_int_eq(e.err, PB_ERR_NONE);
        ck_assert_str_eq(e.message, "odd");
        ck_assert_int_eq(e.errnum, 5);
}
END_TEST

/* The symbolic name identifies the error, even under an unknown code. */
START_TEST(test_error_from_json_name)
{
        json_auto_t *v = load("{\"code\":-32099,\"message\":\"late\",\"data\":{\"error\":"
                              "\"patchbay.Timeout\"}}");
        struct pb_rpc_error e;

        ck_assert_int_eq(pb_rpc_error_from_json(v, &e, NULL), -32099);
        ck_assert_int_eq(e.err, PB_ERR_TIMEOUT);
        ck_assert_str_eq(e.message, "late");
}
END_TEST

/* --- builders ----------------------------------------------------------------- */

START_TEST(test_build_result)
{
        json_auto_t *id = json_integer(7);
        json_t *result = json_pack("{s:b}", "ok", 1);
        json_auto_t *msg = NULL;

        /* Keep our own reference to see that exactly one is stolen. */
        json_incref(result);
        msg = pb_rpc_build_result(id, result);
        assert_json_eq(msg, "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"ok\":true}}");
        ck_assert_uint_eq(json_object_size(msg), 3);
        ck_assert_int_eq(result->refcount, 2);
        ck_assert_int_eq(id->refcount, 2);
        json_decref(msg);
        msg = NULL;
        ck_assert_int_eq(result->refcount, 1);
        ck_assert_int_eq(id->refcount, 1);
        json_decref(result);

        msg = pb_rpc_build_result(NULL, json_array());
        assert_json_eq(msg, "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":[]}");
}
END_TEST

START_TEST(test_build_error)
{
        json_auto_t *id = json_string("req-1");
        json_auto_t *msg = NULL, *want_error = NULL;
        struct pb_rpc_error e;

        pb_rpc_error_param(&e, "lab", "missing %s", "lab");
        want_error = pb_rpc_error_to_json(&e);

        msg = pb_rpc_build_error(id, &e);
        ck_assert_uint_eq(json_object_size(msg), 3);
        assert_json_eq(json_object_get(msg, "jsonrpc"), "\"2.0\"");
        assert_json_eq(json_object_get(msg, "id"), "\"req-1\"");
        ck_assert(json_equal(json_object_get(msg, "error"), want_error));
        json_decref(msg);

        msg = pb_rpc_build_error(NULL, &e);
        ck_assert_uint_eq(json_object_size(msg), 3);
        ck_assert(json_is_null(json_object_get(msg, "id")));
        ck_assert(json_equal(json_object_get(msg, "error"), want_error));
}
END_TEST

START_TEST(test_build_request)
{
        json_auto_t *msg = NULL, *empty = json_object();
        struct pb_rpc_request req;
        struct pb_rpc_error err;

        msg = pb_rpc_build_request("daemon.ping", json_pack("{s:i}", "delay_ms", 1), 42);
        assert_json_eq(msg, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":{"
                            "\"delay_ms\":1},\"id\":42}");
        ck_assert_uint_eq(json_object_size(msg), 4);
        /* What we build, we accept. */
        ck_assert_int_eq(pb_rpc_check_request(msg, empty, &req, &err), 0);
        ck_assert_str_eq(req.method, "daemon.ping");
        json_decref(msg);

        msg = pb_rpc_build_request("rpc.discover", NULL, -3);
        assert_json_eq(msg, "{\"jsonrpc\":\"2.0\",\"method\":\"rpc.discover\",\"id\":-3}");
        ck_assert_uint_eq(json_object_size(msg), 3);
}
END_TEST

START_TEST(test_build_notification)
{
        json_auto_t *msg = NULL, *empty = json_object();
        struct pb_rpc_request req;
        struct pb_rpc_response resp;
        struct pb_rpc_error err;

        msg = pb_rpc_build_notification("events.event", json_pack("{s:s}", "kind", "lab"));
        assert_json_eq(msg, "{\"jsonrpc\":\"2.0\",\"method\":\"events.event\",\"params\":{"
                            "\"kind\":\"lab\"}}");
        ck_assert_ptr_null(json_object_get(msg, "id"));
        ck_assert_int_eq(pb_rpc_check_request(msg, empty, &req, &err), 0);
        ck_assert_ptr_null(req.id);
        ck_assert_int_eq(pb_rpc_parse_response(msg, &resp), 0);
        ck_assert_int_eq(resp.kind, PB_RPC_KIND_NOTIFICATION);
        json_decref(msg);

        msg = pb_rpc_build_notification("events.event", NULL);
        assert_json_eq(msg, "{\"jsonrpc\":\"2.0\",\"method\":\"events.event\"}");
}
END_TEST

/* --- pb_rpc_encode ------------------------------------------------------------ */

/* Encodes 'msg' and checks the framing invariants and the round trip. */
static void
assert_encodes(json_t *msg)
{
        size_t len = 0, scanned = 0;
        _cleanup_free_ char *buf = pb_rpc_encode(msg, &len);
        json_auto_t *back = NULL;
        struct pb_rpc_error err;

        ck_assert_ptr_nonnull(buf);
        ck_assert_uint_ge(len, 2);
        ck_assert_int_eq(buf[len - 1], '\n');
        ck_assert_ptr_null(memchr(buf, '\n', len - 1));
        ck_assert_int_eq(buf[len], '\0');
        ck_assert_uint_eq(strlen(buf), len);
        ck_assert_int_eq(pb_frame_next(buf, len, &scanned), (ssize_t)len);
        ck_assert_int_eq(pb_rpc_decode(buf, len - 1, &back, &err), 0);
        ck_assert_msg(json_equal(back, msg), "round trip changed %s", buf);
}

START_TEST(test_encode_exact)
{
        json_auto_t *msg = load("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{}}");
        size_t len = 0;
        _cleanup_free_ char *buf = pb_rpc_encode(msg, &len);

        ck_assert_str_eq(buf, "{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{}}\n");
        ck_assert_uint_eq(len, strlen(buf));
        assert_encodes(msg);
}
END_TEST

START_TEST(test_encode_newlines)
{
        json_auto_t *msg = json_pack("{s:s,s:s,s:[s,f,I]}", "text", "line1\nline2\r\nend\n",
                                     "key\nwith\nnewline", "\xe2\x80\xa8 \t\x01", "list", "\n\n\n",
                                     2.5, (json_int_t)-9007199254740993LL);

        ck_assert_ptr_nonnull(msg);
        assert_encodes(msg);
}
END_TEST

START_TEST(test_encode_scalar)
{
        json_auto_t *v = json_integer(5);
        size_t len = 0;
        _cleanup_free_ char *buf = pb_rpc_encode(v, &len);

        ck_assert_str_eq(buf, "5\n");
        ck_assert_uint_eq(len, 2);
        assert_encodes(v);
}
END_TEST

/* --- pb_rpc_parse_response -------------------------------------------------- */

static const struct {
        const char *json;
        int ret;
        enum pb_rpc_kind kind;
        const char *id;     /* Response id as JSON text. */
        const char *result; /* Result as JSON text, or NULL. */
        bool error;         /* An error object is expected. */
        const char *method; /* Notification method. */
} responses[] = {
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"x\":1}}", 0, PB_RPC_KIND_RESPONSE, "1",
          "{\"x\":1}", false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"result\":null}", 0, PB_RPC_KIND_RESPONSE, "\"a\"",
          "null", false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}", 0,
          PB_RPC_KIND_RESPONSE, "null", NULL, true, NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"events.event\",\"params\":{\"kind\":\"a\"}}", 0,
          PB_RPC_KIND_NOTIFICATION, NULL, NULL, false, "events.event" },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"events.event\"}", 0, PB_RPC_KIND_NOTIFICATION, NULL,
          NULL, false, "events.event" },
        /* Invalid. */
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":{\"code\":-1}}", -EBADMSG, 0, NULL,
          NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"id\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"result\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"id\":{},\"result\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"id\":[1],\"result\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"id\":true,\"result\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"id\":1,\"result\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}", -EBADMSG, 0, NULL, NULL, false,
          NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"id\":1}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":5}", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":\"p\"}", -EBADMSG, 0, NULL, NULL, false,
          NULL },
        { "[]", -EBADMSG, 0, NULL, NULL, false, NULL },
        { "5", -EBADMSG, 0, NULL, NULL, false, NULL },
};

START_TEST(test_parse_response)
{
        json_auto_t *msg = load(responses[_i].json);
        struct pb_rpc_response resp;

        ck_assert_msg(pb_rpc_parse_response(msg, &resp) == responses[_i].ret, "%s",
                      responses[_i].json);
        if (responses[_i].ret < 0)
                return;
        ck_assert_int_eq(resp.kind, responses[_i].kind);
        if (resp.kind == PB_RPC_KIND_NOTIFICATION) {
                ck_assert_str_eq(resp.method, responses[_i].method);
                ck_assert_ptr_eq(resp.params, json_object_get(msg, "params"));
                ck_assert_ptr_null(resp.id);
                return;
        }
        ck_assert_ptr_eq(resp.id, json_object_get(msg, "id"));
        assert_json_eq(resp.id, responses[_i].id);
        if (responses[_i].result) {
                ck_assert_ptr_eq(resp.result, json_object_get(msg, "result"));
                assert_json_eq(resp.result, responses[_i].result);
        } else {
                ck_assert_ptr_null(resp.result);
        }
        if (responses[_i].error)
                ck_assert_ptr_eq(resp.error, json_object_get(msg, "error"));
        else
                ck_assert_ptr_null(resp.error);
}
END_TEST

/* A built error response parses back to the same error. */
START_TEST(test_error_response_round_trip)
{
        json_auto_t *id = json_integer(99);
        json_auto_t *msg = NULL;
        struct pb_rpc_response resp;
        struct pb_rpc_error e, back;
        int code;

        pb_rpc_error_system(&e, -EPERM, "setns", NULL);
        msg = pb_rpc_build_error(id, &e);
        ck_assert_int_eq(pb_rpc_parse_response(msg, &resp), 0);
        ck_assert_int_eq(resp.kind, PB_RPC_KIND_RESPONSE);
        ck_assert(json_equal(resp.id, id));
        ck_assert_int_eq(pb_rpc_error_from_json(resp.error, &back, &code), -32000);
        ck_assert_int_eq(back.err, PB_ERR_SYSTEM);
        ck_assert_int_eq(back.errnum, EPERM);
        ck_assert_str_eq(back.op, "setns");
}
END_TEST

Suite *
make_rpc_suite(void)
{
        Suite *s = suite_create("rpc");
        TCase *tc;

        tc = tcase_create("request");
        tcase_add_loop_test(tc, test_malformed, 0, (int)ELEMENTSOF(malformed));
        tcase_add_loop_test(tc, test_valid, 0, (int)ELEMENTSOF(valid));
        suite_add_tcase(s, tc);

        tc = tcase_create("decode");
        tcase_add_loop_test(tc, test_decode_invalid, 0, (int)ELEMENTSOF(undecodable));
        tcase_add_test(tc, test_decode_len);
        tcase_add_test(tc, test_decode_scalar);
        tcase_add_test(tc, test_decode_unicode);
        suite_add_tcase(s, tc);

        tc = tcase_create("error");
        tcase_add_test(tc, test_error_system);
        tcase_add_test(tc, test_error_param);
        tcase_add_test(tc, test_error_method_not_found);
        tcase_add_test(tc, test_error_app);
        tcase_add_test(tc, test_error_unset);
        tcase_add_test(tc, test_error_from_json_invalid);
        tcase_add_test(tc, test_error_from_json_unknown);
        tcase_add_test(tc, test_error_from_json_name);
        suite_add_tcase(s, tc);

        tc = tcase_create("build");
        tcase_add_test(tc, test_build_result);
        tcase_add_test(tc, test_build_error);
        tcase_add_test(tc, test_build_request);
        tcase_add_test(tc, test_build_notification);
        suite_add_tcase(s, tc);

        tc = tcase_create("encode");
        tcase_add_test(tc, test_encode_exact);
        tcase_add_test(tc, test_encode_newlines);
        tcase_add_test(tc, test_encode_scalar);
        suite_add_tcase(s, tc);

        tc = tcase_create("response");
        tcase_add_loop_test(tc, test_parse_response, 0, (int)ELEMENTSOF(responses));
        tcase_add_test(tc, test_error_response_round_trip);
        suite_add_tcase(s, tc);
        return s;
}
