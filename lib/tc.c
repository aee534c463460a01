/* SPDX-License-Identifier: MIT */
#include "tc.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <math.h>
#include <netlink/msg.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_mirred.h>

#include "pb-macro.h"
#include "shape-model.h"

/* tbf's bucket: enough for a burst of full frames at any rate we shape. */
#define TBF_BUCKET_MIN 32768

static int
nle_to_errno(int nle)
{
        switch (-nle) {
        case NLE_NOMEM: return -ENOMEM;
        case NLE_INVAL: return -EINVAL;
        case NLE_RANGE: return -ERANGE;
        default: return -EINVAL;
        }
}

/* Copies libnl's message into the batch and frees it. */
static int
queue(struct pbl_nl_batch *b, struct nl_msg *msg, int r, const char *what, int ifindex)
{
        if (r < 0)
                return nle_to_errno(r);
        r = pbl_nl_batch_copy(b, nlmsg_hdr(msg), "%s on ifindex %d", what, ifindex);
        nlmsg_free(msg);
        return r;
}

static struct rtnl_qdisc *
qdisc_new(int ifindex, uint32_t parent, uint32_t handle, const char *kind)
{
        struct rtnl_qdisc *q = rtnl_qdisc_alloc();

        if (!q)
                return NULL;
        rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
        rtnl_tc_set_parent(TC_CAST(q), parent);
        if (handle)
                rtnl_tc_set_handle(TC_CAST(q), handle);
        if (kind && rtnl_tc_set_kind(TC_CAST(q), kind) < 0) {
                rtnl_qdisc_put(q);
                return NULL;
        }
        return q;
}

static uint32_t
bytes_per_s(uint32_t rate_kbit)
{
        return (uint32_t)((uint64_t)rate_kbit * 1000 / 8);
}

static void
tbf_params(struct rtnl_qdisc *q, uint32_t rate_kbit, double queue_ms)
{
        uint32_t rate = bytes_per_s(rate_kbit);
        uint32_t bucket = MAX((uint32_t)TBF_BUCKET_MIN, rate / 100); /* 10 ms worth */

        double limit = MAX((double)PBL_SHAPE_LIMIT_BYTES_MIN, rate * queue_ms / 1000.0);

        rtnl_qdisc_tbf_set_rate(q, (int)rate, (int)bucket, 0);
        /*
         * The queue holds 'queue_ms' of traffic at the rate, and at least
         * what the userspace shaper's queues hold: TCP's bursts (a local
         * sender may keep 1 MiB in the qdisc) never overflow it, so the
         * goodput is the rate's, with either backend, not loss recovery's.
         */
        rtnl_qdisc_tbf_set_limit(q, (int)MIN(limit, (double)PBL_SHAPE_LIMIT_BYTES_MAX));
}

int
pbl_tc_tbf(struct pbl_nl_batch *b, int ifindex, uint32_t rate_kbit, double queue_ms)
{
        struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, TC_HANDLE(1, 0), "tbf");
        struct nl_msg *msg = NULL;
        int r;

        if (!q)
                return -ENOMEM;
        tbf_params(q, rate_kbit, MAX(queue_ms, 400.0));
        r = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &msg);
        rtnl_qdisc_put(q);
        return queue(b, msg, r, "RTM_NEWQDISC tbf", ifindex);
}

static uint32_t
probability(double pct)
{
        /* netem probabilities are fractions of 2^32 - 1. */
        return (uint32_t)llround(pct / 100.0 * 4294967295.0);
}

int
pbl_tc_netem(struct pbl_nl_batch *b, int ifindex, const struct pbl_condition *c)
{
        struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, TC_HANDLE(1, 0), "netem");
        struct nl_msg *msg = NULL;
        double delay_s = (c->latency_ms + c->jitter_ms) / 1000.0;
        uint32_t limit = 1000;
        int r;

        if (!q)
                return -ENOMEM;
        rtnl_netem_set_delay(q, (int)llround(c->latency_ms * 1000));
        rtnl_netem_set_jitter(q, (int)llround(c->jitter_ms * 1000));
        rtnl_netem_set_loss(q, (int)probability(c->loss_pct));
        rtnl_netem_set_duplicate(q, (int)probability(c->duplicate_pct));
        rtnl_netem_set_corruption_probability(q, (int)probability(c->corrupt_pct));
        if (c->reorder_pct > 0) {
                rtnl_netem_set_reorder_probability(q, (int)probability(c->reorder_pct));
                rtnl_netem_set_gap(q, 1);
        }
        /* Sized from rate x delay (full frames), so netem never drops below the rate. */
        if (c->rate_kbit)
                limit = MAX(limit, (uint32_t)(bytes_per_s(c->rate_kbit) * delay_s / 1500 * 2));
        else
                limit = MAX(limit, (uint32_t)(delay_s * 100000)); /* 100k frames/s of headroom */
        rtnl_netem_set_limit(q, (int)limit);
        r = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &msg);
        rtnl_qdisc_put(q);
        r = queue(b, msg, r, "RTM_NEWQDISC netem", ifindex);
        if (r < 0 || !c->rate_kbit)
                return r;
        q = qdisc_new(ifindex, TC_HANDLE(1, 1), TC_HANDLE(2, 0), "tbf");
        if (!q)
                return -ENOMEM;
        tbf_params(q, c->rate_kbit, 400.0);
        msg = NULL;
        r = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_REPLACE, &msg);
        rtnl_qdisc_put(q);
        return queue(b, msg, r, "RTM_NEWQDISC tbf (under netem)", ifindex);
}

int
pbl_tc_root_delete(struct pbl_nl_batch *b, int ifindex)
{
        /* No kind: the kernel refuses a delete whose kind is not the installed one's. */
        struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_ROOT, 0, NULL);
        struct nl_msg *msg = NULL;
        int r;

        if (!q)
                return -ENOMEM;
        r = rtnl_qdisc_build_delete_request(q, &msg);
        rtnl_qdisc_put(q);
        return queue(b, msg, r, "RTM_DELQDISC root", ifindex);
}

int
pbl_tc_clsact(struct pbl_nl_batch *b, int ifindex, bool add)
{
        struct rtnl_qdisc *q = qdisc_new(ifindex, TC_H_CLSACT, TC_HANDLE(0xffffU, 0), "clsact");
        struct nl_msg *msg = NULL;
        int r;

        if (!q)
                return -ENOMEM;
        r = add ? rtnl_qdisc_build_add_request(q, NLM_F_CREATE | NLM_F_EXCL, &msg)
                : rtnl_qdisc_build_delete_request(q, &msg);
        rtnl_qdisc_put(q);
        return queue(b, msg, r, add ? "RTM_NEWQDISC clsact" : "RTM_DELQDISC clsact", ifindex);
}

/*
 * A u32 filter matching every frame on 'ifindex' (clsact egress or ingress)
 * with one action 'kind' whose parameters are attribute 'parms_type'.  Built
 * with libmnl, not libnl: libnl's mirred refuses the ingress redirect
 * (TCA_INGRESS_REDIR) that re-injection needs.
 */
static int
match_all(struct pbl_nl_batch *b, int ifindex, bool egress, const char *kind, uint16_t parms_type,
          const void *parms, size_t parms_len, const char *what)
{
        struct {
                struct tc_u32_sel sel;
                struct tc_u32_key key;
        } sel = { .sel = { .flags = TC_U32_TERMINAL,
                           .nkeys = 1 } }; /* One key comparing nothing. */
        struct nlattr *opts, *acts, *act, *aopts;
        struct nlmsghdr *nlh;
        struct tcmsg *tcm;

        nlh = pbl_nl_batch_add(b, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL,
                               "RTM_NEWTFILTER u32 %s (%s) on ifindex %d", what,
                               egress ? "egress" : "ingress", ifindex);
        if (!nlh)
                return -ENOBUFS;
        tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
        tcm->tcm_family = AF_UNSPEC;
        tcm->tcm_ifindex = ifindex;
        tcm->tcm_parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS);
        tcm->tcm_info = TC_H_MAKE(1u << 16, htons(ETH_P_ALL)); /* prio 1, every protocol */
        mnl_attr_put_strz(nlh, TCA_KIND, "u32");
        opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
        mnl_attr_put(nlh, TCA_U32_SEL, sizeof(sel), &sel);
        acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
        act = mnl_attr_nest_start(nlh, 1);
        mnl_attr_put_strz(nlh, TCA_ACT_KIND, kind);
        aopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
        mnl_attr_put(nlh, parms_type, parms_len, parms);
        mnl_attr_nest_end(nlh, aopts);
        mnl_attr_nest_end(nlh, act);
        mnl_attr_nest_end(nlh, acts);
        mnl_attr_nest_end(nlh, opts);
        return 0;
}

int
pbl_tc_redirect(struct pbl_nl_batch *b, int ifindex, bool egress, int to_ifindex, bool to_ingress)
{
        struct tc_mirred parm = {
                .action = TC_ACT_STOLEN,
                .eaction = to_ingress ? TCA_INGRESS_REDIR : TCA_EGRESS_REDIR,
                .ifindex = (uint32_t)to_ifindex,
        };

        return match_all(b, ifindex, egress, "mirred", TCA_MIRRED_PARMS, &parm, sizeof(parm),
                         to_ingress ? "mirred to ingress" : "mirred to egress");
}

int
pbl_tc_drop(struct pbl_nl_batch *b, int ifindex, bool egress)
{
        struct tc_gact parm = { .action = TC_ACT_SHOT };

        return match_all(b, ifindex, egress, "gact", TCA_GACT_PARMS, &parm, sizeof(parm), "drop");
}
