/* SPDX-License-Identifier: MIT */
#ifndef PBT_SUITES_H
#define PBT_SUITES_H

#include <check.h>

Suite *make_rpc_suite(void);
Suite *make_limits_suite(void);
Suite *make_lifecycle_suite(void);

#endif
