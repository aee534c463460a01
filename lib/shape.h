/* SPDX-License-Identifier: MIT */
/*
 * Link conditions applied to one direction of one link: a sender interface
 * and, on the far end of the veth, the receiver interface.
 *
 * Backends:
 *  - netem: the kernel's netem (with tbf below it for a rate), where the
 *    kernel has it;
 *  - userspace: everything the sender sends is redirected (clsact egress,
 *    u32 match-all, mirred) into a capture port (port.h) that the shaper
 *    thread reads; the thread applies the condition and writes each frame
 *    into an inject port in the receiver's namespace, whose ingress
 *    redirects it to the receiver interface, as if it had come down the
 *    veth.  The inject port carries the receiver's MAC, or the frame would
 *    be PACKET_OTHERHOST.
 *  - tbf: a condition that only limits the rate stays in the kernel with
 *    either backend.
 * ARP and ND frames take the same path, as with netem.
 */
#ifndef PBL_SHAPE_H
#define PBL_SHAPE_H

#include <stdbool.h>

#include "condition.h"
#include "error.h"

struct pbl_node;
struct pbl_shaper;

enum pbl_shaper_mode {
        PBL_SHAPER_NETEM,
        PBL_SHAPER_USERSPACE,
};

/*
 * Chooses the backend for every later condition.  'shaper' (the thread) is
 * needed for the userspace mode; NULL when stopping (after every shape is
 * gone) also deletes the shaper's namespace.  With PBL_SHAPER_NETEM on a
 * kernel without netem, conditions fail with -EOPNOTSUPP.
 */
void pbl_shape_setup(enum pbl_shaper_mode mode, struct pbl_shaper *shaper);

/* True if this kernel has sch_netem (probed once, in a scratch namespace). */
bool pbl_netem_available(void);

/* One direction of a link. */
struct pbl_link_end {
        struct pbl_node *node;
        int ifindex;
};

struct pbl_shape;

/*
 * Applies condition 'c' to frames 'from' sends towards 'to' (NULL or a
 * null condition: removes it).  '*slot' holds the shape of that direction
 * (NULL when none) and is updated.  A failure leaves the old condition in
 * force.  Returns 0 or a negative errno with 'err' filled; -EOPNOTSUPP when
 * the chosen backend cannot do it (netem missing).
 */
int pbl_shape_set(struct pbl_shape **slot, const struct pbl_link_end *from,
                  const struct pbl_link_end *to, const struct pbl_condition *c,
                  struct pbl_error *err);

/* Removes the shape and frees it (NULL-tolerant); for links being deleted. Returns NULL. */
struct pbl_shape *pbl_shape_free(struct pbl_shape *s);

/*
 * Frees the shape without touching the kernel: for links whose interfaces
 * are about to be deleted (their qdiscs and filters go with them).  The
 * shaper lets go of its TAPs, which vanish.  NULL-tolerant; returns NULL.
 */
struct pbl_shape *pbl_shape_abandon(struct pbl_shape *s);

/* The condition a shape carries out (NULL for none). */
const struct pbl_condition *pbl_shape_condition(const struct pbl_shape *s);

/* The backend a shape uses ("netem", "tbf", "userspace"). */
const char *pbl_shape_backend(const struct pbl_shape *s);

/*
 * Userspace shapes steal a sender's egress into a capture port before the
 * sender's packet taps see it; packet captures (capture.h) read that port
 * too.  The watcher (one; NULL removes it) is told when a port starts
 * receiving the egress of (from->node, from->ifindex), before the redirect
 * is in place, and when it stops, after the redirect is gone and before the
 * port is deleted.
 */
typedef void pbl_shape_port_fn(void *ctx, const struct pbl_link_end *from, int port_ifindex,
                               bool added);
void pbl_shape_watch_ports(pbl_shape_port_fn *fn, void *ctx);

/* The capture port receiving the egress of 'ifindex' in 'node', or 0. */
int pbl_shape_egress_port(const struct pbl_node *node, int ifindex);

/* The inject port whose frames enter 'ifindex' in 'node' (ingress redirect), or 0. */
int pbl_shape_ingress_port(const struct pbl_node *node, int ifindex);

#endif
