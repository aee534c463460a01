/* SPDX-License-Identifier: MIT */
/*
 * Suite "schema": the OpenRPC document and parameter validation
 * (proto/pb-schema.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pb-macro.h"
#include "pb-schema.h"
#include "suites.h"

static struct pb_schema *schema;

static void
setup_builtin(void)
{
        struct pb_rpc_error err = { 0 };
        int r = pb_schema_new_builtin(&schema, &err);

        ck_assert_msg(r == 0, "built-in document does not load (%d): %s", r, err.message);
        ck_assert_ptr_nonnull(schema);
}

static void
teardown_builtin(void)
{
        schema = pb_schema_free(schema);
}

static json_t *
load(const char *text)
{
        json_error_t jerr;
        json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);

        ck_assert_msg(v != NULL, "bad test JSON '%s': %s", text, jerr.text);
        return v;
}

/* --- the built-in document ----------------------------------------------------- */

/* SPEC §10, plus daemon.ping. */
static const char *const spec_methods[] = {
        "capture.start",
        "capture.stop",
        "daemon.info",
        "daemon.ping",
        "daemon.shutdown",
        "device.add",
        "device.get",
        "device.remove",
        "device.set_default_route",
        "dns.add",
        "dns.resolve",
        "dns.set_nameserver",
        "events.subscribe",
        "events.unsubscribe",
        "iface.add",
        "iface.add_ip",
        "iface.down",
        "iface.remove",
        "iface.renew_ip",
        "iface.replug",
        "iface.set_condition",
        "iface.up",
        "lab.create",
        "lab.destroy",
        "lab.export",
        "lab.list",
        "lab.load",
        "lab.state",
        "link.set_condition",
        "node.enter",
        "node.exec",
        "node.probe",
        "node.reflector",
        "node.reflector_stop",
        "node.spawn",
        "proc.kill",
        "proc.list",
        "proc.output",
        "proc.wait",
        "proc.write",
        "region.add",
        "region.add_defaults",
        "region.break",
        "region.link",
        "region.remove",
        "region.restore",
        "router.add",
        "router.flush_nat",
        "router.get",
        "router.remove",
        "router.set_downlink_condition",
        "router.set_firewall",
        "router.set_nat",
        "router.set_nat_v6",
        "rpc.discover",
};

START_TEST(test_builtin_loads)
{
        json_t *doc = pb_schema_document(schema);

        ck_assert(json_is_object(doc));
        ck_assert(json_is_string(json_object_get(doc, "openrpc")));
        ck_assert(json_is_array(json_object_get(doc, "methods")));
        ck_assert_uint_eq(pb_schema_method_count(schema),
                          json_array_size(json_object_get(doc, "methods")));
        /* The embedded text is the document, NUL-terminated. */
        ck_assert_uint_gt(pb_openrpc_len, 0);
        ck_assert_int_eq(pb_openrpc_text[pb_openrpc_len], '\0');
}
END_TEST

START_TEST(test_spec_method)
{
        json_t *m = pb_schema_method(schema, spec_methods[_i]);

        ck_assert_msg(m != NULL, "%s is missing from the OpenRPC document", spec_methods[_i]);
        ck_assert_str_eq(json_string_value(json_object_get(m, "name")), spec_methods[_i]);
        ck_assert(json_is_array(json_object_get(m, "params")));
}
END_TEST

START_TEST(test_method_names_sorted)
{
        size_t n = pb_schema_method_count(schema);

        ck_assert_uint_ge(n, ELEMENTSOF(spec_methods));
        for (size_t i = 0; i < n; i++) {
                const char *name = pb_schema_method_name(schema, i);

                ck_assert_ptr_nonnull(name);
                if (i > 0)
                        ck_assert_msg(strcmp(pb_schema_method_name(schema, i - 1), name) < 0,
                                      "'%s' then '%s'", pb_schema_method_name(schema, i - 1), name);
                ck_assert_ptr_eq(pb_schema_method(schema, name),
                                 pb_schema_method(schema, pb_schema_method_name(schema, i)));
                ck_assert_str_eq(
                        json_string_value(json_object_get(pb_schema_method(schema, name), "name")),
                        name);
        }
        ck_assert_ptr_null(pb_schema_method_name(schema, n));
        ck_assert_ptr_null(pb_schema_method(schema, "lab.frobnicate"));
        ck_assert_ptr_null(pb_schema_method(schema, ""));
}
END_TEST

/* --- parameter validation ------------------------------------------------------ */

#define DEVICE_ADD_PREFIX "{\"lab\":\"t1\",\"name\":\"dev1\","
#define LINK_COND_PREFIX  "{\"lab\":\"t1\",\"a\":\"home\",\"b\":\"dev1\","

static const struct {
        const char *method;
        const char *params;
        int ret;               /* 0 or -EINVAL */
        const char *parameter; /* Exact expected error parameter (when ret < 0). */
} param_cases[] = {
        /* Unknown parameter. */
        { "daemon.ping", "{\"bogus\":1}", -EINVAL, "bogus" },
        { "lab.destroy", "{\"bogus\":1}", -EINVAL, "bogus" },
        { "lab.destroy", "{\"lab\":\"t1\",\"Lab\":\"t1\"}", -EINVAL, "Lab" },
        /* Missing required parameter. */
        { "lab.destroy", "{}", -EINVAL, "lab" },
        { "router.add", "{\"lab\":\"t1\"}", -EINVAL, "name" },
        /* Wrong type. */
        { "lab.destroy", "{\"lab\":5}", -EINVAL, "lab" },
        { "lab.destroy", "{\"lab\":null}", -EINVAL, "lab" },
        { "lab.destroy", "{\"lab\":\"t1\"}", 0, NULL },
        /* Pattern. */
        { "lab.create", "{\"name\":\"Bad Name\"}", -EINVAL, "name" },
        { "lab.create", "{\"name\":\"-starts-with-dash\"}", -EINVAL, "name" },
        { "lab.create", "{\"name\":\"ok\\nnot-ok\"}", -EINVAL, "name" },
        { "lab.create", "{\"name\":\"good-name_1\"}", 0, NULL },
        { "lab.create", "{}", 0, NULL },
        /* Enum. */
        { "router.add", "{\"lab\":\"t1\",\"name\":\"r1\",\"nat\":\"carrier\"}", -EINVAL, "nat" },
        { "router.add", "{\"lab\":\"t1\",\"name\":\"r1\",\"nat\":\"cgnat\"}", 0, NULL },
        { "lab.create", "{\"lifetime\":\"forever\"}", -EINVAL, "lifetime" },
        /* Range. */
        { "router.add", "{\"lab\":\"t1\",\"name\":\"r1\",\"mtu\":67}", -EINVAL, "mtu" },
        { "router.add", "{\"lab\":\"t1\",\"name\":\"r1\",\"mtu\":65536}", -EINVAL, "mtu" },
        { "router.add", "{\"lab\":\"t1\",\"name\":\"r1\",\"mtu\":68}", 0, NULL },
        /* Nested paths. */
        { "device.add", DEVICE_ADD_PREFIX "\"ifaces\":[{\"name\":\"eth0\"}]}", -EINVAL,
          "ifaces[0].router" },
        { "device.add",
          DEVICE_ADD_PREFIX "\"ifaces\":[{\"name\":\"eth0\",\"router\":\"r1\"},"
                            "{\"name\":\"abcdefghijklmnop\",\"router\":\"r1\"}]}",
          -EINVAL, "ifaces[1].name" },
        { "device.add",
          DEVICE_ADD_PREFIX "\"ifaces\":[{\"name\":\"abcdefghijklmno\",\"router\":\"r1\"}]}", 0,
          NULL },
        { "device.add",
          DEVICE_ADD_PREFIX "\"ifaces\":[{\"name\":\"eth0\",\"router\":\"r1\",\"bogus\":1}]}",
          -EINVAL, "ifaces[0].bogus" },
        { "device.add", DEVICE_ADD_PREFIX "\"ifaces\":[]}", -EINVAL, "ifaces" },
        { "device.add", DEVICE_ADD_PREFIX "\"ifaces\":{}}", -EINVAL, "ifaces" },
        { "device.add", DEVICE_ADD_PREFIX "\"ifaces\":[5]}", -EINVAL, "ifaces[0]" },
        { "device.add",
          DEVICE_ADD_PREFIX "\"ifaces\":[{\"name\":\"eth0\",\"router\":\"r1\",\"condition\":"
                            "{\"latenc\":5}}]}",
          -EINVAL, "ifaces[0].condition.latenc" },
        { "node.exec", "{\"lab\":\"t1\",\"node\":\"dev1\",\"argv\":[]}", -EINVAL, "argv" },
        { "node.exec", "{\"lab\":\"t1\",\"node\":\"dev1\",\"argv\":[\"ls\",1]}", -EINVAL,
          "argv[1]" },
        /* oneOf: the link condition. */
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":null}", 0, NULL },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":\"wifi\"}", 0, NULL },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":\"wifi-typo\"}", -EINVAL,
          "condition" },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":{\"latency_ms\":20}}", 0, NULL },
        { "link.set_condition",
          LINK_COND_PREFIX "\"condition\":{\"preset\":\"wifi\",\"rate_kbit\":1000.5}}", 0, NULL },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":{\"latency_ms\":-1}}", -EINVAL,
          "condition.latency_ms" },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":{\"latenc\":5}}", -EINVAL,
          "condition.latenc" },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":{\"loss_pct\":101}}", -EINVAL,
          "condition.loss_pct" },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":5}", -EINVAL, "condition" },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":[]}", -EINVAL, "condition" },
        { "link.set_condition", LINK_COND_PREFIX "\"condition\":true}", -EINVAL, "condition" },
        { "link.set_condition", LINK_COND_PREFIX "\"direction\":\"a-to-b\"}", -EINVAL,
          "condition" },
        /* daemon.ping. */
        { "daemon.ping", "{\"delay_ms\":\"x\"}", -EINVAL, "delay_ms" },
        { "daemon.ping", "{\"delay_ms\":70000}", -EINVAL, "delay_ms" },
        { "daemon.ping", "{\"delay_ms\":-1}", -EINVAL, "delay_ms" },
        { "daemon.ping", "{\"delay_ms\":1.5}", -EINVAL, "delay_ms" },
        { "daemon.ping", "{\"delay_ms\":10}", 0, NULL },
        { "daemon.ping", "{\"delay_ms\":60000}", 0, NULL },
        { "daemon.ping", "{}", 0, NULL },
        { "daemon.ping", "{\"data\":null}", 0, NULL },
        { "daemon.ping", "{\"data\":true}", 0, NULL },
        { "daemon.ping", "{\"data\":-7}", 0, NULL },
        { "daemon.ping", "{\"data\":2.5}", 0, NULL },
        { "daemon.ping", "{\"data\":\"s\"}", 0, NULL },
        { "daemon.ping", "{\"data\":[1,[2],{}]}", 0, NULL },
        { "daemon.ping", "{\"data\":{\"nested\":{\"x\":[null]}},\"delay_ms\":0}", 0, NULL },
        /* Fully valid calls. */
        { "router.add",
          "{\"lab\":\"t1\",\"name\":\"home\",\"preset\":\"home\",\"nat\":\"home\","
          "\"nat_v6\":\"nptv6\",\"firewall\":\"block-inbound\",\"ip_support\":\"dual-stack\","
          "\"upstream\":\"isp\",\"downstream_cidr\":\"10.0.7.0/24\",\"mtu\":1500,"
          "\"block_icmp_frag_needed\":true,\"downlink_condition\":{\"latency_ms\":20,"
          "\"loss_pct\":0.5}}",
          0, NULL },
        { "device.add",
          DEVICE_ADD_PREFIX "\"ifaces\":[{\"name\":\"eth0\",\"router\":\"home\",\"condition\":"
                            "{\"latency_ms\":20,\"loss_pct\":0.5},\"direction\":\"both\"},"
                            "{\"name\":\"wlan0\",\"router\":\"home\",\"condition\":\"wifi\"}],"
                            "\"default_via\":\"wlan0\",\"mtu\":1500}",
          0, NULL },
        { "node.exec",
          "{\"lab\":\"t1\",\"node\":\"dev1\",\"argv\":[\"ping\",\"-c\",\"1\",\"198.18.0.1\"],"
          "\"env\":{\"A\":\"b\"},\"cwd\":\"/\",\"stdin\":\"x\",\"timeout_ms\":1000}",
          0, NULL },
};

START_TEST(test_params)
{
        json_auto_t *params = load(param_cases[_i].params);
        struct pb_rpc_error err;
        int r;

        memset(&err, 0, sizeof(err));
        r = pb_schema_check_params(schema, param_cases[_i].method, params, &err);
        ck_assert_msg(r == param_cases[_i].ret, "%s %s: returned %d (%s), want %d",
                      param_cases[_i].method, param_cases[_i].params, r, err.message,
                      param_cases[_i].ret);
        if (r == 0)
                return;
        ck_assert_int_eq(err.err, PB_ERR_INVALID_PARAMS);
        ck_assert_int_eq(pb_rpc_error_code(&err), -32602);
        ck_assert_msg(strcmp(err.parameter, param_cases[_i].parameter) == 0,
                      "%s %s: parameter '%s', want '%s' (%s)", param_cases[_i].method,
                      param_cases[_i].params, err.parameter, param_cases[_i].parameter,
                      err.message);
        ck_assert_str_ne(err.message, "");
}
END_TEST

START_TEST(test_params_unknown_method)
{
        json_auto_t *params = json_object();
        struct pb_rpc_error err = { 0 };

        ck_assert_int_eq(pb_schema_check_params(schema, "lab.frobnicate", params, &err), -ENOENT);
        ck_assert_int_eq(pb_schema_check_params(schema, "", params, &err), -ENOENT);
        ck_assert_int_eq(pb_schema_check_params(schema, "LAB.CREATE", params, &err), -ENOENT);
}
END_TEST

/* The "Condition" component on its own, with and without a path prefix. */
START_TEST(test_condition_component)
{
        static const char *const good[] = {
                "null", "\"wifi\"", "\"satellite-geo\"", "{\"latency_ms\":20,\"loss_pct\":0.5}",
                "{}",
        };
        static const struct {
                const char *value;
                const char *path;
                const char *parameter;
        } bad[] = {
                { "{\"latency_ms\":-1}", "cond", "cond.latency_ms" },
                { "{\"latency_ms\":-1}", NULL, "latency_ms" },
                { "\"wifi-typo\"", "cond", "cond" },
                { "{\"latenc\":5}", "x", "x.latenc" },
                { "[null]", "cond", "cond" },
        };
        struct pb_rpc_error err;

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                json_auto_t *v = load(good[i]);

                ck_assert_msg(pb_schema_check_component(schema, "Condition", "c", v, &err) == 0,
                              "%s rejected: %s", good[i], err.message);
        }
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_auto_t *v = load(bad[i].value);

                memset(&err, 0, sizeof(err));
                ck_assert_int_eq(
                        pb_schema_check_component(schema, "Condition", bad[i].path, v, &err),
                        -EINVAL);
                ck_assert_int_eq(err.err, PB_ERR_INVALID_PARAMS);
                ck_assert_str_eq(err.parameter, bad[i].parameter);
        }
}
END_TEST

START_TEST(test_unknown_component)
{
        json_auto_t *v = json_null();
        struct pb_rpc_error err;

        ck_assert_int_eq(pb_schema_check_component(schema, "NoSuchThing", "x", v, &err), -ENOENT);
}
END_TEST

/* --- hand-written documents ------------------------------------------------------ */

#define DOC_HEAD "{\"openrpc\":\"1.2.6\",\"info\":{\"title\":\"t\",\"version\":\"0\"},"
#define ONE_METHOD(schema_) \
        "\"methods\":[{\"name\":\"t.m\",\"params\":[{\"name\":\"p\",\"schema\":" schema_ "}]}]"

static const char minimal_doc[] =
        DOC_HEAD "\"methods\":[{\"name\":\"t.echo\",\"params\":["
                 "{\"name\":\"n\",\"required\":true,\"schema\":{\"type\":\"integer\","
                 "\"minimum\":0,\"description\":\"d\"}},"
                 "{\"name\":\"w\",\"schema\":{\"$ref\":\"#/components/schemas/Word\"}},"
                 "{\"name\":\"l\",\"schema\":{\"type\":\"array\",\"items\":{\"$ref\":"
                 "\"#/components/schemas/Word\"},\"maxItems\":2}}],"
                 "\"result\":{\"name\":\"r\",\"schema\":{}}},"
                 "{\"name\":\"a.first\",\"params\":[]}],"
                 "\"components\":{\"schemas\":{\"Word\":{\"type\":\"string\","
                 "\"pattern\":\"^[a-z]+$\",\"maxLength\":8,\"title\":\"w\"}}}}";

START_TEST(test_minimal_doc)
{
        struct pb_schema *s = NULL;
        struct pb_rpc_error err = { 0 };
        json_auto_t *ok = load("{\"n\":0,\"w\":\"abc\",\"l\":[\"x\",\"y\"]}");
        json_auto_t *neg = load("{\"n\":-1}");
        json_auto_t *missing = load("{\"w\":\"abc\"}");
        json_auto_t *upper = load("{\"n\":1,\"w\":\"ABC\"}");
        json_auto_t *long_ = load("{\"n\":1,\"w\":\"abcdefghi\"}");
        json_auto_t *items = load("{\"n\":1,\"l\":[\"a\",\"B\"]}");
        json_auto_t *many = load("{\"n\":1,\"l\":[\"a\",\"b\",\"c\"]}");
        json_auto_t *word = json_string("abc");
        json_auto_t *notword = json_string("a b");

        ck_assert_int_eq(pb_schema_new(load(minimal_doc), &s, &err), 0);
        ck_assert_ptr_nonnull(s);
        ck_assert_uint_eq(pb_schema_method_count(s), 2);
        ck_assert_str_eq(pb_schema_method_name(s, 0), "a.first");
        ck_assert_str_eq(pb_schema_method_name(s, 1), "t.echo");

        ck_assert_int_eq(pb_schema_check_params(s, "t.echo", ok, &err), 0);
        ck_assert_int_eq(pb_schema_check_params(s, "t.echo", neg, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "n");
        ck_assert_int_eq(pb_schema_check_params(s, "t.echo", missing, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "n");
        ck_assert_int_eq(pb_schema_check_params(s, "t.echo", upper, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "w");
        ck_assert_int_eq(pb_schema_check_params(s, "t.echo", long_, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "w");
        ck_assert_int_eq(pb_schema_check_params(s, "t.echo", items, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "l[1]");
        ck_assert_int_eq(pb_schema_check_params(s, "t.echo", many, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "l");
        ck_assert_int_eq(pb_schema_check_params(s, "a.first", ok, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "n");
        ck_assert_int_eq(pb_schema_check_params(s, "t.nope", ok, &err), -ENOENT);

        ck_assert_int_eq(pb_schema_check_component(s, "Word", "w", word, &err), 0);
        ck_assert_int_eq(pb_schema_check_component(s, "Word", "w", notword, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "w");
        s = pb_schema_free(s);
        ck_assert_ptr_null(s);
}
END_TEST

/*
 * oneOf admits exactly one matching form, anyOf at least one.  The unused
 * "Id" component carries a pattern on purpose: pb_schema_new() passes a
 * NULL pattern table to qsort() when a document has no pattern at all,
 * which UBSan rejects (reported; see the test report).
 */
static const char alternatives_doc[] =
        DOC_HEAD "\"methods\":[{\"name\":\"t.m\",\"params\":["
                 "{\"name\":\"o\",\"schema\":{\"oneOf\":[{\"type\":\"integer\"},"
                 "{\"type\":\"number\"}]}},"
                 "{\"name\":\"a\",\"schema\":{\"anyOf\":[{\"type\":\"integer\"},"
                 "{\"type\":\"number\"}]}}]}],"
                 "\"components\":{\"schemas\":{\"Id\":{\"type\":\"string\","
                 "\"pattern\":\"^[a-z]+$\"}}}}";

START_TEST(test_one_of_any_of)
{
        struct pb_schema *s = NULL;
        struct pb_rpc_error err = { 0 };
        json_auto_t *one_int = load("{\"o\":1}");
        json_auto_t *one_real = load("{\"o\":1.5}");
        json_auto_t *any_int = load("{\"a\":1}");
        json_auto_t *any_str = load("{\"a\":\"x\"}");

        ck_assert_int_eq(pb_schema_new(load(alternatives_doc), &s, &err), 0);
        /* An integer is also a number: two forms match. */
        ck_assert_int_eq(pb_schema_check_params(s, "t.m", one_int, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "o");
        ck_assert_int_eq(pb_schema_check_params(s, "t.m", one_real, &err), 0);
        ck_assert_int_eq(pb_schema_check_params(s, "t.m", any_int, &err), 0);
        ck_assert_int_eq(pb_schema_check_params(s, "t.m", any_str, &err), -EINVAL);
        ck_assert_str_eq(err.parameter, "a");
        pb_schema_free(s);
}
END_TEST

static const struct {
        const char *doc;
        const char *why; /* Expected in the error message. */
} bad_docs[] = {
        /* Unsupported keywords, at every level. */
        { DOC_HEAD ONE_METHOD("{\"allOf\":[{\"type\":\"string\"}]}") "}", "allOf" },
        { DOC_HEAD ONE_METHOD("{\"type\":\"string\",\"format\":\"ipv4\"}") "}", "format" },
        { DOC_HEAD ONE_METHOD("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\","
                              "\"format\":\"ipv4\"}}}") "}",
          "format" },
        { DOC_HEAD ONE_METHOD("{\"type\":\"array\",\"items\":{\"not\":{}}}") "}", "not" },
        { DOC_HEAD ONE_METHOD("{\"oneOf\":[{\"type\":\"null\"},{\"const\":1}]}") "}", "const" },
        { DOC_HEAD "\"methods\":[],\"components\":{\"schemas\":{\"X\":{\"type\":\"string\","
                   "\"format\":\"uri\"}}}}",
          "format" },
        /* Unresolved references. */
        { DOC_HEAD ONE_METHOD("{\"$ref\":\"#/components/schemas/Nope\"}") "}", "unresolved" },
        { DOC_HEAD ONE_METHOD("{\"$ref\":\"#/components/schemas/Nope\"}") ",\"components\":{"
                                                                          "\"schemas\":{\"Yes\":{"
                                                                          "}}}}",
          "unresolved" },
        { DOC_HEAD ONE_METHOD("{\"$ref\":\"http://example.com/s.json\"}") ",\"components\":{"
                                                                          "\"schemas\":{}}}",
          "unresolved" },
        { DOC_HEAD ONE_METHOD("{\"$ref\":5}") ",\"components\":{\"schemas\":{}}}", "unresolved" },
        /* Patterns that do not compile, or are not strings. */
        { DOC_HEAD ONE_METHOD("{\"type\":\"string\",\"pattern\":\"^(a$\"}") "}",
          "does not compile" },
        { DOC_HEAD ONE_METHOD("{\"type\":\"string\",\"pattern\":\"[z-a]\"}") "}",
          "does not compile" },
        { DOC_HEAD ONE_METHOD("{\"type\":\"string\",\"pattern\":5}") "}", "pattern" },
        /* Malformed structure. */
        { DOC_HEAD ONE_METHOD("{\"type\":\"object\",\"additionalProperties\":{}}") "}",
          "additionalProperties" },
        { DOC_HEAD ONE_METHOD("{\"oneOf\":[]}") "}", "oneOf" },
        { DOC_HEAD ONE_METHOD("5") "}", "not an object" },
        { DOC_HEAD "\"methods\":[{\"name\":\"t.m\",\"params\":[{\"schema\":{}}]}]}", "name" },
        { DOC_HEAD "\"methods\":[{\"name\":\"t.m\"}]}", "method" },
        { DOC_HEAD "\"methods\":[{\"name\":\"t.m\",\"params\":[]},{\"name\":\"t.m\","
                   "\"params\":[]}]}",
          "duplicate" },
        { DOC_HEAD "\"info2\":{}}", "methods" },
        { "[]", "not an object" },
};

START_TEST(test_bad_doc)
{
        struct pb_schema *s = NULL;
        struct pb_rpc_error err = { 0 };
        int r;

        /* pb_schema_new() steals the document even when it fails. */
        r = pb_schema_new(load(bad_docs[_i].doc), &s, &err);
        ck_assert_msg(r < 0, "document %d loaded: %s", _i, bad_docs[_i].doc);
        ck_assert_ptr_null(s);
        ck_assert_int_eq(err.err, PB_ERR_INTERNAL);
        ck_assert_msg(strstr(err.message, bad_docs[_i].why) != NULL,
                      "document %d: message '%s' does not mention '%s'", _i, err.message,
                      bad_docs[_i].why);
}
END_TEST

Suite *
make_schema_suite(void)
{
        Suite *s = suite_create("schema");
        TCase *tc;

        tc = tcase_create("builtin");
        tcase_add_checked_fixture(tc, setup_builtin, teardown_builtin);
        tcase_add_test(tc, test_builtin_loads);
        tcase_add_loop_test(tc, test_spec_method, 0, (int)ELEMENTSOF(spec_methods));
        tcase_add_test(tc, test_method_names_sorted);
        suite_add_tcase(s, tc);

        tc = tcase_create("params");
        tcase_add_checked_fixture(tc, setup_builtin, teardown_builtin);
        tcase_add_loop_test(tc, test_params, 0, (int)ELEMENTSOF(param_cases));
        tcase_add_test(tc, test_params_unknown_method);
        tcase_add_test(tc, test_condition_component);
        tcase_add_test(tc, test_unknown_component);
        suite_add_tcase(s, tc);

        tc = tcase_create("documents");
        tcase_add_test(tc, test_minimal_doc);
        tcase_add_test(tc, test_one_of_any_of);
        tcase_add_loop_test(tc, test_bad_doc, 0, (int)ELEMENTSOF(bad_docs));
        suite_add_tcase(s, tc);
        return s;
}
