/* SPDX-License-Identifier: MIT */
/*
 * The Check suites of the unit-test runner (check_all.c).  Each suite lives
 * in its own check_<name>.c and can be run alone with CK_RUN_SUITE=<name>.
 */
#ifndef PB_TEST_SUITES_H
#define PB_TEST_SUITES_H

#include <check.h>

Suite *make_frame_suite(void);
Suite *make_rpc_suite(void);
Suite *make_errors_suite(void);
Suite *make_schema_suite(void);
Suite *make_path_suite(void);
Suite *make_dispatch_suite(void);
Suite *make_observed_suite(void);

Suite *make_alloc_suite(void);
Suite *make_shape_suite(void);
Suite *make_condition_suite(void);
Suite *make_tc_suite(void);
Suite *make_siit_suite(void);
Suite *make_dns_suite(void);
Suite *make_pcap_suite(void);

#endif
