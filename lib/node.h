/* SPDX-License-Identifier: MIT */
/* Internal to the engine: building blocks shared by lab.c, router.c, device.c. */
#ifndef PBL_NODE_H
#define PBL_NODE_H

#include "lab.h"

/*
 * Creates the namespaces of a node (network; plus mount for devices), sets
 * its sysctls (no kernel link-locals, DAD off unless the lab wants it,
 * forwarding on routers and the IX), opens its rtnetlink socket and brings
 * lo up.  On failure everything is released.
 */
int pbl_node_init(struct pbl_node *n, struct pbl_lab *lab, enum pbl_node_kind kind,
                  const char *name, unsigned id, struct pbl_error *err);
void pbl_node_done(struct pbl_node *n);

/* A new, empty batch on the node's socket; free() it. */
struct pbl_nl_batch *pbl_node_batch(struct pbl_node *n);

int pbl_node_alloc_ifindex(struct pbl_node *n);

/*
 * Records an ifindex the kernel chose (TAPs cannot be given one), so that
 * later allocations stay clear of it.
 */
void pbl_node_note_ifindex(struct pbl_node *n, int ifindex);

/* Address pools of a lab (lab.c); lab->plan must be set first. */
int pbl_lab_pools_init(struct pbl_lab *lab);
void pbl_lab_pools_done(struct pbl_lab *lab);
bool pbl_lab_prefix_in_use(const struct pbl_lab *lab, const struct pbl_prefix *p);
int pbl_lab_take_subnet(struct pbl_lab *lab, int family, enum pbl_pool pool,
                        struct pbl_prefix *ret);
void pbl_lab_put_subnet(struct pbl_lab *lab, int family, enum pbl_pool pool, int slot);

/*
 * Routes 'dst' to router 'r' from every ancestor and the lab root (add), or
 * removes those routes (!add: failures ignored).
 */
int pbl_router_route_to(struct pbl_router *r, const struct pbl_prefix *dst, bool add,
                        struct pbl_error *err);

/* NPTv6: takes (and routes) or returns (and unroutes) the router's external /64. */
int pbl_router_npt6_prefix(struct pbl_router *r, bool take, struct pbl_status *st);

/* Frees the memory and namespaces of a node already unlinked from its lab. */
void pbl_router_free(struct pbl_router *r);
void pbl_device_free(struct pbl_device *d);

#endif
