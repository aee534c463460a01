/* SPDX-License-Identifier: MIT */
/*
 * Address allocation of the engine, without a kernel: the pools of SPEC §3
 * (the reference suite's alloc tests, C.15), subnet carving, reuse after
 * release, and the addressing overrides' checks.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "lab.h"
#include "node.h"
#include "suites.h"

static struct pbl_lab *
fake_lab(const struct pbl_addressing *plan)
{
        struct pbl_lab *lab = calloc(1, sizeof(*lab));

        ck_assert_ptr_nonnull(lab);
        lab->plan = *plan;
        TAILQ_INIT(&lab->routers);
        TAILQ_INIT(&lab->devices);
        ck_assert_int_eq(pbl_lab_pools_init(lab), 0);
        return lab;
}

static void
free_lab(struct pbl_lab *lab)
{
        pbl_lab_pools_done(lab);
        free(lab);
}

START_TEST(ix_v4_hosts_10_to_254)
{
        struct pbl_addressing plan;
        struct pbl_lab *lab;
        int n = 0, v, prev = 9;

        pbl_addressing_default(&plan);
        lab = fake_lab(&plan);
        while ((v = pbl_bitmap_take(&lab->ix_hosts4)) >= 0) {
                ck_assert_int_eq(v, prev + 1); /* Unique and in order. */
                prev = v;
                n++;
        }
        ck_assert_int_eq(n, 245);
        ck_assert_int_eq(prev, 254);
        ck_assert_int_eq(v, -ENOSPC);
        /* A released host is taken again, lowest first. */
        pbl_bitmap_set(&lab->ix_hosts4, 77, false);
        pbl_bitmap_set(&lab->ix_hosts4, 12, false);
        ck_assert_int_eq(pbl_bitmap_take(&lab->ix_hosts4), 12);
        ck_assert_int_eq(pbl_bitmap_take(&lab->ix_hosts4), 77);
        free_lab(lab);
}
END_TEST

START_TEST(ix_v6_hosts_0x10_to_0xfffe)
{
        struct pbl_addressing plan;
        struct pbl_lab *lab;
        int n = 0, v, prev = 0xf;

        pbl_addressing_default(&plan);
        lab = fake_lab(&plan);
        while ((v = pbl_bitmap_take(&lab->ix_hosts6)) >= 0) {
                ck_assert_int_eq(v, prev + 1);
                prev = v;
                n++;
        }
        ck_assert_int_eq(n, 65519);
        ck_assert_int_eq(prev, 0xfffe);
        free_lab(lab);
}
END_TEST

static const char *
subnet(struct pbl_lab *lab, int family, enum pbl_pool pool)
{
        static char buf[50];
        struct pbl_prefix p;

        ck_assert_int_ge(pbl_lab_take_subnet(lab, family, pool, &p), 0);
        return pbl_prefix_str(&p, buf);
}

START_TEST(pools_carve_numbered_subnets)
{
        struct pbl_addressing plan;
        struct pbl_lab *lab;
        struct pbl_prefix p;
        int n = 0;

        pbl_addressing_default(&plan);
        lab = fake_lab(&plan);
        ck_assert_str_eq(subnet(lab, AF_INET, PBL_POOL_PUBLIC), "198.18.1.0/24");
        ck_assert_str_eq(subnet(lab, AF_INET, PBL_POOL_PUBLIC), "198.18.2.0/24");
        ck_assert_str_eq(subnet(lab, AF_INET, PBL_POOL_PRIVATE), "10.0.1.0/24");
        ck_assert_str_eq(subnet(lab, AF_INET6, PBL_POOL_PUBLIC), "2001:db8:1:1::/64");
        ck_assert_str_eq(subnet(lab, AF_INET6, PBL_POOL_PRIVATE), "fd10:0:0:1::/64");
        ck_assert_str_eq(subnet(lab, AF_INET6, PBL_POOL_PRIVATE), "fd10:0:0:2::/64");
        /* The public v4 pool holds 198.18.1..255 (the IX /24 is skipped), then it is empty:
         * an exhausted pool is an error, never a wrap. */
        while (pbl_lab_take_subnet(lab, AF_INET, PBL_POOL_PUBLIC, &p) >= 0)
                n++;
        ck_assert_int_eq(n + 2, 255);
        /* Giving one back makes exactly that one available again. */
        pbl_lab_put_subnet(lab, AF_INET, PBL_POOL_PUBLIC, 42);
        ck_assert_str_eq(subnet(lab, AF_INET, PBL_POOL_PUBLIC), "198.18.42.0/24");
        free_lab(lab);
}
END_TEST

START_TEST(overrides_are_checked)
{
        struct pbl_addressing plan;
        struct pbl_status st = { 0 };
        struct pbl_lab *lab;

        pbl_addressing_default(&plan);
        ck_assert_int_eq(pbl_addressing_check(&plan, &st), 0);
        /* Overlapping pools are refused. */
        ck_assert_int_eq(pbl_prefix_parse("198.18.128.0/17", false, &plan.private4), 0);
        ck_assert_int_lt(pbl_addressing_check(&plan, &st), 0);
        ck_assert_str_eq(st.parameter, "private4");
        /* A pool too small for /24 LANs is refused. */
        pbl_addressing_default(&plan);
        ck_assert_int_eq(pbl_prefix_parse("172.16.0.0/25", false, &plan.private4), 0);
        ck_assert_int_lt(pbl_addressing_check(&plan, &st), 0);
        ck_assert_str_eq(st.parameter, "private4");
        /* A custom IX: hosts .10 to .14 in a /28. */
        pbl_addressing_default(&plan);
        ck_assert_int_eq(pbl_prefix_parse("198.18.0.0/28", false, &plan.ix4), 0);
        ck_assert_int_eq(pbl_addressing_check(&plan, &st), 0);
        lab = fake_lab(&plan);
        for (int i = 10; i <= 14; i++)
                ck_assert_int_eq(pbl_bitmap_take(&lab->ix_hosts4), i);
        ck_assert_int_eq(pbl_bitmap_take(&lab->ix_hosts4), -ENOSPC);
        free_lab(lab);
}
END_TEST

START_TEST(names_and_link_locals)
{
        struct pbl_ip a = pbl_ll6(1, 7, 0), b = pbl_ll6(1, 7, 1), c = pbl_ll6(1, 7, 0);
        char buf[PBL_IP_STRLEN];

        ck_assert(pbl_name_valid("dc-1"));
        ck_assert(pbl_name_valid("a"));
        ck_assert(!pbl_name_valid("-a"));
        ck_assert(!pbl_name_valid("Dc"));
        ck_assert(!pbl_name_valid(""));
        ck_assert(!pbl_name_valid("a234567890123456789012345678901x"));
        ck_assert(pbl_ifname_valid("wlan0.1"));
        ck_assert(!pbl_ifname_valid("0123456789abcdef"));
        ck_assert(!pbl_ifname_valid(".."));
        /* Deterministic, distinct per slot, link-local and locally administered. */
        ck_assert(pbl_ip_equal(&a, &c));
        ck_assert(!pbl_ip_equal(&a, &b));
        ck_assert(strncmp(pbl_ip_str(&a, buf), "fe80::", 6) == 0);
        ck_assert(a.bytes[8] & 0x02);
}
END_TEST

Suite *
make_alloc_suite(void)
{
        Suite *s = suite_create("alloc");
        TCase *tc = tcase_create("pools");

        tcase_add_test(tc, ix_v4_hosts_10_to_254);
        tcase_add_test(tc, ix_v6_hosts_0x10_to_0xfffe);
        tcase_add_test(tc, pools_carve_numbered_subnets);
        tcase_add_test(tc, overrides_are_checked);
        tcase_add_test(tc, names_and_link_locals);
        suite_add_tcase(s, tc);
        return s;
}
