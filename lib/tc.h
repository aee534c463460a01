/* SPDX-License-Identifier: MIT */
/*
 * Traffic control for link conditions: the kernel's qdiscs (netem, tbf) and
 * the plumbing of the userspace shaper (a clsact qdisc with a u32
 * match-all filter whose mirred action redirects every frame).  Qdiscs
 * are built with libnl-route, filters with libmnl; all are queued into our
 * own netlink batches, so they carry extended acks like every request.
 */
#ifndef PBL_TC_H
#define PBL_TC_H

#include <stdbool.h>
#include <stdint.h>

#include "condition.h"
#include "nl.h"

/* Replaces the root qdisc of 'ifindex' by tbf at 'rate_kbit' (queue for 'queue_ms'). */
int pbl_tc_tbf(struct pbl_nl_batch *b, int ifindex, uint32_t rate_kbit, double queue_ms);

/*
 * Replaces the root qdisc of 'ifindex' by netem carrying 'c' (its queue
 * sized from rate x delay), with a tbf child when 'c' limits the rate.
 */
int pbl_tc_netem(struct pbl_nl_batch *b, int ifindex, const struct pbl_condition *c);

/* Deletes the root qdisc of 'ifindex' (back to the default). */
int pbl_tc_root_delete(struct pbl_nl_batch *b, int ifindex);

/* Adds / deletes the clsact qdisc (ingress and egress filter hooks) of 'ifindex'. */
int pbl_tc_clsact(struct pbl_nl_batch *b, int ifindex, bool add);

/*
 * Redirects every frame 'ifindex' sends (egress hook) or receives (!egress:
 * ingress hook) to 'to_ifindex', as if that device transmitted it
 * ('to_ingress' false) or received it ('to_ingress' true).  Needs clsact.
 */
int pbl_tc_redirect(struct pbl_nl_batch *b, int ifindex, bool egress, int to_ifindex,
                    bool to_ingress);

/* Drops every frame at 'ifindex''s egress or ingress hook.  Needs clsact. */
int pbl_tc_drop(struct pbl_nl_batch *b, int ifindex, bool egress);

#endif
