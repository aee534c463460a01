/* SPDX-License-Identifier: MIT */
/*
 * Integration tests: a real patchbayd per test, driven through libpatchbay
 * and raw sockets.  Run one suite with CK_RUN_SUITE=<name>, one test with
 * CK_RUN_CASE=<case>.  $PATCHBAYD names the daemon binary.
 */
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
        SRunner *sr = srunner_create(make_rpc_suite());
        int failed;

        srunner_add_suite(sr, make_limits_suite());
        srunner_add_suite(sr, make_lifecycle_suite());
        srunner_add_suite(sr, make_probe_suite());
        srunner_add_suite(sr, make_proc_suite());
        srunner_add_suite(sr, make_topology_suite());
        srunner_add_suite(sr, make_dynamic_suite());
        srunner_add_suite(sr, make_lifetime_suite());
        srunner_add_suite(sr, make_nat_suite());
        srunner_add_suite(sr, make_natpath_suite());
        srunner_add_suite(sr, make_firewall_suite());
        srunner_add_suite(sr, make_linkcond_suite());
        srunner_add_suite(sr, make_region_suite());
        srunner_add_suite(sr, make_labfiles_suite());
        srunner_add_suite(sr, make_nat64_suite());
        srunner_add_suite(sr, make_ipv6_suite());
        srunner_add_suite(sr, make_capture_suite());
        srunner_add_suite(sr, make_dns_suite());
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
