/* SPDX-License-Identifier: MIT */
/*
 * Debug with: CK_FORK=no valgrind --leak-check=full ./check_unit
 *
 * The unit-test runner: every suite in one SRunner.  Check's own
 * environment handling applies, so CK_RUN_SUITE=<name> runs one suite,
 * CK_RUN_CASE=<name> one test case, CK_FORK=no runs the tests in-process
 * (for a debugger or valgrind) and CK_VERBOSITY=verbose lists every test.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
        SRunner *sr;
        int n_run, n_failed;

        sr = srunner_create(make_frame_suite());
        srunner_add_suite(sr, make_rpc_suite());
        srunner_add_suite(sr, make_errors_suite());
        srunner_add_suite(sr, make_schema_suite());
        srunner_add_suite(sr, make_path_suite());
        srunner_add_suite(sr, make_dispatch_suite());
        srunner_add_suite(sr, make_observed_suite());
        srunner_add_suite(sr, make_alloc_suite());
        srunner_add_suite(sr, make_shape_suite());
        srunner_add_suite(sr, make_condition_suite());
        srunner_add_suite(sr, make_tc_suite());
        srunner_add_suite(sr, make_siit_suite());
        srunner_add_suite(sr, make_dns_suite());
        srunner_add_suite(sr, make_pcap_suite());

        srunner_run_all(sr, CK_ENV);
        n_run = srunner_ntests_run(sr);
        n_failed = srunner_ntests_failed(sr);
        srunner_free(sr);

        /* A misspelt CK_RUN_SUITE would otherwise "pass" by running nothing. */
        if (n_run == 0) {
                fprintf(stderr, "check_unit: no test ran (unknown CK_RUN_SUITE or CK_RUN_CASE?)\n");
                return EXIT_FAILURE;
        }
        return n_failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
