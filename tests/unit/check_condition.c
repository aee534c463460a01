/* SPDX-License-Identifier: MIT */
/*
 * Link conditions without a kernel: the API's JSON to the engine's struct
 * (presets, overrides, null, rejected values), composition in series,
 * directions, and the address blocks of regions.
 */
#include <check.h>
#include <math.h>
#include <string.h>

#include <sys/socket.h>

#include "lab.h"
#include "model.h"
#include "suites.h"

static struct pbl_condition
parse_ok(const char *text)
{
        struct pb_rpc_error e = { 0 };
        struct pbl_condition c;
        json_auto_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

        ck_assert_msg(j, "bad JSON in test: %s", text);
        ck_assert_msg(pbd_condition_from_json(j, &c, "condition", &e) == 0, "%s: %s", text,
                      e.message);
        return c;
}

static void
parse_fails(const char *text, const char *param)
{
        struct pb_rpc_error e = { 0 };
        struct pbl_condition c;
        json_auto_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

        ck_assert_msg(j, "bad JSON in test: %s", text);
        ck_assert_msg(pbd_condition_from_json(j, &c, param, &e) < 0, "%s was accepted", text);
        ck_assert_int_eq(e.err, PB_ERR_INVALID_PARAMS);
        ck_assert_str_eq(e.parameter, param);
}

START_TEST(null_and_lan_change_nothing)
{
        struct pbl_condition c = parse_ok("null");

        ck_assert(pbl_condition_is_null(&c));
        c = parse_ok("\"lan\"");
        ck_assert(pbl_condition_is_null(&c));
        c = parse_ok("{}");
        ck_assert(pbl_condition_is_null(&c));
}
END_TEST

START_TEST(presets_have_the_spec_values)
{
        static const struct {
                const char *name;
                double latency, jitter, loss;
                uint32_t rate;
        } table[] = {
                { "wifi", 5, 2, 0.1, 0 },       { "wifi-bad", 40, 15, 2, 20000 },
                { "mobile-4g", 25, 8, 0.5, 0 }, { "mobile-3g", 100, 30, 2, 2000 },
                { "satellite", 40, 7, 1, 0 },   { "satellite-geo", 300, 20, 0.5, 25000 },
        };

        for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
                char text[64];
                struct pbl_condition c;

                snprintf(text, sizeof(text), "\"%s\"", table[i].name);
                c = parse_ok(text);
                ck_assert_msg(c.latency_ms == table[i].latency && c.jitter_ms == table[i].jitter &&
                                      c.loss_pct == table[i].loss && c.rate_kbit == table[i].rate,
                              "%s: %g/%g/%g/%u", table[i].name, c.latency_ms, c.jitter_ms,
                              c.loss_pct, c.rate_kbit);
                ck_assert(c.reorder_pct == 0 && c.duplicate_pct == 0 && c.corrupt_pct == 0);
        }
}
END_TEST

START_TEST(fields_override_the_preset)
{
        struct pbl_condition c = parse_ok("{\"preset\":\"mobile-3g\",\"rate_kbit\":500,"
                                          "\"loss_pct\":0,\"corrupt_pct\":0.1}");

        ck_assert_uint_eq(c.rate_kbit, 500);
        ck_assert(c.loss_pct == 0);
        ck_assert(c.latency_ms == 100 && c.jitter_ms == 30);
        ck_assert(c.corrupt_pct == 0.1);
        c = parse_ok("{\"latency_ms\":20,\"reorder_pct\":25,\"duplicate_pct\":1}");
        ck_assert(c.latency_ms == 20 && c.reorder_pct == 25 && c.duplicate_pct == 1);
        ck_assert(c.jitter_ms == 0 && c.loss_pct == 0 && c.rate_kbit == 0);
        /* A fractional rate is not rounded away to "unlimited". */
        c = parse_ok("{\"rate_kbit\":0.2}");
        ck_assert_uint_eq(c.rate_kbit, 1);
}
END_TEST

START_TEST(bad_values_name_the_parameter)
{
        parse_fails("\"dialup\"", "ifaces[2].condition");
        parse_fails("{\"preset\":\"dialup\"}", "condition");
        parse_fails("{\"loss_pct\":100.5}", "condition");
        parse_fails("{\"latency_ms\":-1}", "downlink_condition");
        parse_fails("{\"jitter_ms\":3600001}", "condition");
        parse_fails("42", "condition");
        parse_fails("[\"wifi\"]", "condition");
}
END_TEST

START_TEST(json_view_round_trips)
{
        struct pbl_condition c = parse_ok("\"wifi-bad\""), back;
        json_auto_t *j = pbd_condition_json(&c);
        json_auto_t *none = pbd_condition_json(&(struct pbl_condition){ 0 });
        struct pb_rpc_error e = { 0 };

        ck_assert_ptr_nonnull(j);
        ck_assert(json_is_null(none));
        ck_assert_int_eq(pbd_condition_from_json(j, &back, "condition", &e), 0);
        ck_assert(pbl_condition_equal(&c, &back));
}
END_TEST

START_TEST(composition_in_series)
{
        struct pbl_condition a = {
                .latency_ms = 20, .jitter_ms = 2, .loss_pct = 10, .rate_kbit = 5000
        };
        struct pbl_condition b = {
                .latency_ms = 30, .loss_pct = 10, .duplicate_pct = 50, .rate_kbit = 2000
        };
        struct pbl_condition c = pbl_condition_compose(&a, &b);

        ck_assert(c.latency_ms == 50 && c.jitter_ms == 2);
        ck_assert_msg(fabs(c.loss_pct - 19) < 1e-9, "loss %g", c.loss_pct); /* 1 - 0.9 × 0.9 */
        ck_assert(c.duplicate_pct == 50);
        ck_assert_uint_eq(c.rate_kbit, 2000);
        b.rate_kbit = 0; /* Unlimited does not win. */
        ck_assert_uint_eq(pbl_condition_compose(&a, &b).rate_kbit, 5000);
        c = pbl_condition_compose(NULL, &b);
        ck_assert(pbl_condition_equal(&c, &b));
        c = pbl_condition_compose(NULL, NULL);
        ck_assert(pbl_condition_is_null(&c));
}
END_TEST

START_TEST(predicates)
{
        struct pbl_condition rate = { .rate_kbit = 1000 }, lat = { .latency_ms = 5 };
        struct pbl_condition jit = { .latency_ms = 5, .jitter_ms = 1 };

        ck_assert(pbl_condition_rate_only(&rate));
        ck_assert(!pbl_condition_rate_only(&lat));
        ck_assert(!pbl_condition_per_packet(&lat));
        ck_assert(!pbl_condition_per_packet(&rate));
        ck_assert(pbl_condition_per_packet(&jit));
        ck_assert(pbl_condition_per_packet(&(struct pbl_condition){ .loss_pct = 0.01 }));
}
END_TEST

START_TEST(directions)
{
        enum pbl_direction d;

        ck_assert_int_eq(pbd_direction_from_string(NULL, &d), 0);
        ck_assert_int_eq(d, PBL_DIR_UP);
        ck_assert_int_eq(pbd_direction_from_string("b-to-a", &d), 0);
        ck_assert_int_eq(d, PBL_DIR_DOWN);
        ck_assert_int_eq(pbd_direction_from_string("both", &d), 0);
        ck_assert_int_eq(d, PBL_DIR_BOTH);
        ck_assert_int_lt(pbd_direction_from_string("sideways", &d), 0);
        ck_assert_str_eq(pbd_direction_to_string(PBL_DIR_DOWN), "down");
}
END_TEST

START_TEST(region_blocks)
{
        struct pbl_addressing plan;
        struct pbl_status st = { 0 };
        struct pbl_prefix p;
        char buf[64];

        pbl_addressing_default(&plan);
        ck_assert_int_eq(pbl_addressing_check(&plan, &st), 0);
        p = pbl_prefix_subnet(&plan.regions4, plan.regions4.len + 4, 2);
        ck_assert_str_eq(pbl_prefix_str(&p, buf), "198.19.32.0/20");
        p = pbl_prefix_subnet(&p, 24, 15);
        ck_assert_str_eq(pbl_prefix_str(&p, buf), "198.19.47.0/24");
        p = pbl_prefix_subnet(&plan.regions6, plan.regions6.len + 4, 1);
        ck_assert_str_eq(pbl_prefix_str(&p, buf), "2001:db8:2:1000::/52");
        p = pbl_prefix_subnet(&p, 64, 3);
        ck_assert_str_eq(pbl_prefix_str(&p, buf), "2001:db8:2:1003::/64");
        /* Regions may not overlap the other pools, nor be too small for 16 blocks. */
        (void)pbl_prefix_parse("198.18.0.0/16", false, &plan.regions4);
        ck_assert_int_lt(pbl_addressing_check(&plan, &st), 0);
        ck_assert_str_eq(st.parameter, "regions4");
        pbl_addressing_default(&plan);
        (void)pbl_prefix_parse("198.19.0.0/20", false, &plan.regions4);
        st = (struct pbl_status){ 0 };
        ck_assert_int_lt(pbl_addressing_check(&plan, &st), 0);
}
END_TEST

Suite *
make_condition_suite(void)
{
        Suite *s = suite_create("condition");
        TCase *tc = tcase_create("condition");

        tcase_add_test(tc, null_and_lan_change_nothing);
        tcase_add_test(tc, presets_have_the_spec_values);
        tcase_add_test(tc, fields_override_the_preset);
        tcase_add_test(tc, bad_values_name_the_parameter);
        tcase_add_test(tc, json_view_round_trips);
        tcase_add_test(tc, composition_in_series);
        tcase_add_test(tc, predicates);
        tcase_add_test(tc, directions);
        tcase_add_test(tc, region_blocks);
        suite_add_tcase(s, tc);
        return s;
}
