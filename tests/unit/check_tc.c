/* SPDX-License-Identifier: MIT */
/*
 * The kernel backends' requests, without a kernel: what netem, tbf and the
 * userspace shaper's filters would ask rtnetlink for.  This machine's kernel
 * has no sch_netem, so this is where the netem path is checked.
 */
#include <check.h>
#include <libmnl/libmnl.h>
#include <string.h>

#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>

#include "nl.h"
#include "suites.h"
#include "tc.h"

static struct pbl_nl fake_nl = { .seq = 100 };
static struct pbl_nl_batch batch;

/* The i-th message of the batch. */
static const struct nlmsghdr *
message(unsigned i)
{
        const struct nlmsghdr *nlh = (const struct nlmsghdr *)batch.buf;
        size_t left = PBL_NL_BATCH_BYTES;

        ck_assert_uint_gt(batch.n, i);
        for (unsigned k = 0; k < i; k++)
                nlh = mnl_nlmsg_next(nlh, (int *)&left);
        return nlh;
}

static const struct nlattr *
attr(const struct nlattr *nest, const struct nlmsghdr *nlh, uint16_t type)
{
        const struct nlattr *a;

        if (nest) {
                mnl_attr_for_each_nested (a, nest)
                        if (mnl_attr_get_type(a) == type)
                                return a;
        } else {
                mnl_attr_for_each (a, nlh, sizeof(struct tcmsg))
                        if (mnl_attr_get_type(a) == type)
                                return a;
        }
        return NULL;
}

static void
setup(void)
{
        pbl_nl_batch_init(&batch, &fake_nl);
}

START_TEST(netem_with_rate_has_tbf_child)
{
        struct pbl_condition c = { .latency_ms = 300,
                                   .jitter_ms = 20,
                                   .loss_pct = 0.5,
                                   .duplicate_pct = 1,
                                   .rate_kbit = 25000 };
        const struct nlmsghdr *nlh;
        const struct tc_netem_qopt *q;
        const struct tcmsg *tcm;
        const struct nlattr *a;

        ck_assert_int_eq(pbl_tc_netem(&batch, 7, &c), 0);
        ck_assert_uint_eq(batch.n, 2);
        nlh = message(0);
        ck_assert_uint_eq(nlh->nlmsg_type, RTM_NEWQDISC);
        tcm = mnl_nlmsg_get_payload(nlh);
        ck_assert_int_eq(tcm->tcm_ifindex, 7);
        ck_assert_uint_eq(tcm->tcm_parent, TC_H_ROOT);
        ck_assert_str_eq(mnl_attr_get_str(attr(NULL, nlh, TCA_KIND)), "netem");
        a = attr(NULL, nlh, TCA_OPTIONS);
        ck_assert_ptr_nonnull(a);
        q = mnl_attr_get_payload(a);
        /* The queue holds 2 × rate × (latency + jitter) of full frames: 3.125 MB/s × 0.32 s. */
        ck_assert_uint_eq(q->limit, 1333);
        ck_assert_uint_eq(q->loss, (uint32_t)(0.005 * 4294967295.0 + 0.5));
        ck_assert_uint_eq(q->duplicate, (uint32_t)(0.01 * 4294967295.0 + 0.5));
        ck_assert_uint_eq(q->gap, 0);
        /* In the kernel's ticks, whatever their size: latency / jitter = 15. */
        ck_assert_uint_gt(q->jitter, 0);
        ck_assert_uint_eq(q->latency / q->jitter, 15);

        nlh = message(1);
        tcm = mnl_nlmsg_get_payload(nlh);
        ck_assert_str_eq(mnl_attr_get_str(attr(NULL, nlh, TCA_KIND)), "tbf");
        ck_assert_uint_eq(tcm->tcm_parent, TC_H_MAKE(1u << 16, 1));
}
END_TEST

START_TEST(netem_queue_covers_fast_links)
{
        struct pbl_condition c = { .latency_ms = 50 };
        const struct tc_netem_qopt *q;

        ck_assert_int_eq(pbl_tc_netem(&batch, 3, &c), 0);
        ck_assert_uint_eq(batch.n, 1); /* No rate: no tbf. */
        q = mnl_attr_get_payload(attr(NULL, message(0), TCA_OPTIONS));
        ck_assert_uint_eq(q->limit, 5000); /* 100k frames/s for 50 ms. */
        c = (struct pbl_condition){ .latency_ms = 1, .reorder_pct = 10 };
        pbl_nl_batch_init(&batch, &fake_nl);
        ck_assert_int_eq(pbl_tc_netem(&batch, 3, &c), 0);
        q = mnl_attr_get_payload(attr(NULL, message(0), TCA_OPTIONS));
        ck_assert_uint_eq(q->limit, 1000);
        ck_assert_uint_eq(q->gap, 1);
}
END_TEST

START_TEST(rate_only_is_tbf_at_the_root)
{
        const struct nlmsghdr *nlh;

        const struct tc_tbf_qopt *q;

        ck_assert_int_eq(pbl_tc_tbf(&batch, 4, 2000, 400), 0);
        nlh = message(0);
        ck_assert_str_eq(mnl_attr_get_str(attr(NULL, nlh, TCA_KIND)), "tbf");
        ck_assert_uint_eq(((const struct tcmsg *)mnl_nlmsg_get_payload(nlh))->tcm_parent,
                          TC_H_ROOT);
        /* 400 ms at 2 Mbit/s is 100 kB: the queue holds 1 MiB, as the userspace shaper's. */
        q = mnl_attr_get_payload(attr(attr(NULL, nlh, TCA_OPTIONS), nlh, TCA_TBF_PARMS));
        ck_assert_uint_eq(q->limit, 1u << 20);
        ck_assert_uint_eq(q->rate.rate, 250000);
        /* 400 ms at 100 Mbit/s is more. */
        pbl_nl_batch_init(&batch, &fake_nl);
        ck_assert_int_eq(pbl_tc_tbf(&batch, 4, 100000, 400), 0);
        q = mnl_attr_get_payload(attr(attr(NULL, message(0), TCA_OPTIONS), nlh, TCA_TBF_PARMS));
        ck_assert_uint_eq(q->limit, 5000000);
}
END_TEST

/* The kernel refuses a delete naming another kind than the installed one: name none. */
START_TEST(root_delete_names_no_kind)
{
        const struct nlmsghdr *nlh;

        ck_assert_int_eq(pbl_tc_root_delete(&batch, 5), 0);
        nlh = message(0);
        ck_assert_uint_eq(nlh->nlmsg_type, RTM_DELQDISC);
        ck_assert_uint_eq(((const struct tcmsg *)mnl_nlmsg_get_payload(nlh))->tcm_parent,
                          TC_H_ROOT);
        ck_assert_ptr_null(attr(NULL, nlh, TCA_KIND));
}
END_TEST

START_TEST(reinjection_redirects_to_ingress)
{
        const struct nlattr *opts, *acts, *act, *aopts;
        const struct tc_mirred *m;
        const struct nlmsghdr *nlh;
        const struct tcmsg *tcm;

        ck_assert_int_eq(pbl_tc_redirect(&batch, 9, false, 2, true), 0);
        nlh = message(0);
        ck_assert_uint_eq(nlh->nlmsg_type, RTM_NEWTFILTER);
        tcm = mnl_nlmsg_get_payload(nlh);
        ck_assert_uint_eq(tcm->tcm_parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
        ck_assert_str_eq(mnl_attr_get_str(attr(NULL, nlh, TCA_KIND)), "u32");
        opts = attr(NULL, nlh, TCA_OPTIONS);
        acts = attr(opts, nlh, TCA_U32_ACT);
        act = attr(acts, nlh, 1);
        ck_assert_str_eq(mnl_attr_get_str(attr(act, nlh, TCA_ACT_KIND)), "mirred");
        aopts = attr(act, nlh, TCA_ACT_OPTIONS);
        m = mnl_attr_get_payload(attr(aopts, nlh, TCA_MIRRED_PARMS));
        ck_assert_int_eq(m->eaction, TCA_INGRESS_REDIR);
        ck_assert_int_eq(m->action, TC_ACT_STOLEN);
        ck_assert_uint_eq(m->ifindex, 2);
}
END_TEST

Suite *
make_tc_suite(void)
{
        Suite *s = suite_create("tc");
        TCase *tc = tcase_create("tc");

        tcase_add_checked_fixture(tc, setup, NULL);
        tcase_add_test(tc, netem_with_rate_has_tbf_child);
        tcase_add_test(tc, netem_queue_covers_fast_links);
        tcase_add_test(tc, rate_only_is_tbf_at_the_root);
        tcase_add_test(tc, root_delete_names_no_kind);
        tcase_add_test(tc, reinjection_redirects_to_ingress);
        suite_add_tcase(s, tc);
        return s;
}
