/* SPDX-License-Identifier: MIT */
#ifndef PBT_SUITES_H
#define PBT_SUITES_H

#include <check.h>

Suite *make_rpc_suite(void);
Suite *make_limits_suite(void);
Suite *make_lifecycle_suite(void);
Suite *make_probe_suite(void);
Suite *make_proc_suite(void);

Suite *make_topology_suite(void);
Suite *make_dynamic_suite(void);
Suite *make_lifetime_suite(void);
Suite *make_nat_suite(void);
Suite *make_natpath_suite(void);
Suite *make_firewall_suite(void);
Suite *make_linkcond_suite(void);
Suite *make_region_suite(void);
Suite *make_labfiles_suite(void);
Suite *make_nat64_suite(void);
Suite *make_ipv6_suite(void);
Suite *make_capture_suite(void);
Suite *make_dns_suite(void);

#endif
