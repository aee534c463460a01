/* SPDX-License-Identifier: MIT */
/* Routers: a namespace with an uplink (on the IX or a parent's LAN) and a LAN bridge. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "lab.h"
#include "nat64.h"
#include "node.h"
#include "pb-macro.h"
#include "rtnl.h"

#define BRIDGE_NAME "br-lan"

static struct pbl_node *
parent_node(struct pbl_router *r)
{
        return r->upstream ? &r->upstream->node : &r->node.lab->ix;
}

static int
parent_bridge(struct pbl_router *r)
{
        return r->upstream ? r->upstream->lan.bridge_ifindex : r->node.lab->ix_bridge;
}

/*
 * The routes that reach 'dst' behind router 'r' from outside: in each
 * ancestor, via the router one level below on the path, and in the lab root
 * via the top-level router's IX address.  Works at any depth.
 */
int
pbl_router_route_to(struct pbl_router *r, const struct pbl_prefix *dst, bool add,
                    struct pbl_error *err)
{
        bool v4 = dst->ip.family == AF_INET;
        struct pbl_router *hop = r, *p;

        for (p = r->upstream;; hop = p, p = p->upstream) {
                struct pbl_node *ns = p ? &p->node : &r->node.lab->ix;
                _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(ns);
                struct pbl_route rt = { .dst = *dst, .gw = v4 ? hop->wan4 : hop->wan6 };
                struct pbl_error scratch = { 0 };
                int rr;

                if (!b)
                        return -ENOMEM;
                if (!rt.gw.family)
                        return add ? pbl_error_set(err, -ENETUNREACH,
                                                   "no uplink address to "
                                                   "route through at router %s",
                                                   hop->node.name)
                                   : 0;
                rr = pbl_rtnl_route(b, add, false, &rt);
                rr = rr ?: pbl_nl_batch_run(b, add ? err : &scratch);
                if (add && rr < 0)
                        return rr;
                if (!p)
                        return 0;
        }
}

/*
 * Routes r's LAN from outside (or removes those routes): IPv4 only for
 * public LANs; IPv6 always, as the IX routes every LAN prefix (SPEC §3);
 * and the NPTv6 external prefix, if any.
 */
static int
return_routes(struct pbl_router *r, bool add, struct pbl_error *err)
{
        int rr = 0;

        if (r->lan.v4.ip.family && r->lan.public4 && r->wan4.family)
                rr = pbl_router_route_to(r, &r->lan.v4, add, err);
        if (rr >= 0 && r->lan.v6.ip.family && r->wan6.family)
                rr = pbl_router_route_to(r, &r->lan.v6, add, err);
        if (rr >= 0 && r->npt6.ip.family)
                rr = pbl_router_route_to(r, &r->npt6, add, err);
        return add ? rr : 0;
}

int
pbl_router_npt6_prefix(struct pbl_router *r, bool take, struct pbl_status *st)
{
        struct pbl_lab *lab = r->node.lab;
        int rr;

        if (!take) {
                (void)pbl_router_route_to(r, &r->npt6, false, NULL);
                pbl_lab_put_subnet(lab, AF_INET6, PBL_POOL_PUBLIC, r->npt6_slot);
                memset(&r->npt6, 0, sizeof(r->npt6));
                r->npt6_slot = -1;
                return 0;
        }
        /* The external prefix is a public /64 of its own, routed to the router. */
        r->npt6_slot = pbl_lab_take_subnet(lab, AF_INET6, PBL_POOL_PUBLIC, &r->npt6);
        if (r->npt6_slot < 0) {
                memset(&r->npt6, 0, sizeof(r->npt6));
                return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, "nat_v6",
                                 "the public IPv6 pool is exhausted");
        }
        rr = pbl_router_route_to(r, &r->npt6, true, &st->sys);
        if (rr < 0)
                (void)pbl_router_npt6_prefix(r, false, st);
        return rr;
}

static int
build(struct pbl_router *r, const struct pbl_router_spec *spec, struct pbl_status *st)
{
        struct pbl_node *n = &r->node, *pn = parent_node(r);
        struct pbl_lab *lab = n->lab;
        _cleanup_free_ struct pbl_nl_batch *b = NULL, *pb = NULL;
        uint8_t mac[6];
        int r2;

        r2 = pbl_node_init(n, lab, PBL_NODE_ROUTER, n->name, n->id, &st->sys);
        if (r2 < 0)
                return r2;
        r->wan_ifindex = pbl_node_alloc_ifindex(n);
        r->lan.bridge_ifindex = pbl_node_alloc_ifindex(n);

        b = pbl_node_batch(n);
        pb = pbl_node_batch(pn);
        if (!b || !pb)
                return -ENOMEM;

        /* The LAN bridge, with a fixed MAC and its gateway addresses. */
        pbl_mac(lab->id, n->id, 1, mac);
        r2 = pbl_rtnl_bridge(b, BRIDGE_NAME, r->lan.bridge_ifindex, mac, 0, true);
        if (!r2 && r->mtu) {
                /* Set after creation: only an MTU changed through the device, not one
                 * given at creation, stops the bridge from following its ports'. */
                struct pbl_link_set set = PBL_LINK_SET_INIT(r->lan.bridge_ifindex);

                set.mtu = (int)r->mtu;
                r2 = pbl_rtnl_link_set(b, &set);
        }
        if (!r2 && r->lan.v4.ip.family)
                r2 = pbl_rtnl_addr(b, true, &r->lan.gw4, r->lan.v4.len, r->lan.bridge_ifindex,
                                   true);
        if (!r2 && r->lan.v6.ip.family) {
                r2 = pbl_rtnl_addr(b, true, &r->lan.gw6, r->lan.v6.len, r->lan.bridge_ifindex,
                                   true);
                r2 = r2 ?: pbl_rtnl_addr(b, true, &r->lan.ll6, 64, r->lan.bridge_ifindex, true);
        }
        r2 = r2 ?: pbl_nl_batch_run(b, &st->sys);
        if (r2 < 0)
                return r2;

        /* The uplink: created from the parent's side, its far end lands here as "ix"/"wan". */
        {
                struct pbl_veth v = {
                        .name = r->port_name,
                        .ifindex = r->port_ifindex,
                        .master = parent_bridge(r),
                        .peer_name = r->wan_name,
                        .peer_ifindex = r->wan_ifindex,
                        .peer_netfd = n->netfd,
                        .peer_mtu = r->mtu,
                        .up = true,
                };

                r2 = pbl_rtnl_veth(pb, &v);
                r2 = r2 ?: pbl_nl_batch_run(pb, &st->sys);
                if (r2 < 0) {
                        r->port_ifindex = 0; /* Nothing to delete. */
                        return r2;
                }
        }

        /*
         * The uplink's addresses, then up (announcing them: arp_notify and
         * ndisc_notify, see node.c, so neighbours that knew the address with
         * another MAC learn this one), then the default routes.
         */
        if (r->wan4.family) {
                const struct pbl_prefix *up = r->upstream ? &r->upstream->lan.v4 : &lab->plan.ix4;

                r2 = pbl_rtnl_addr(b, true, &r->wan4, up->len, r->wan_ifindex, true);
        }
        if (!r2 && r->wan6.family) {
                const struct pbl_prefix *up = r->upstream ? &r->upstream->lan.v6 : &lab->plan.ix6;

                r2 = pbl_rtnl_addr(b, true, &r->wan6, up->len, r->wan_ifindex, true);
                r2 = r2 ?: pbl_rtnl_addr(b, true, &r->wan_ll6, 64, r->wan_ifindex, true);
        }
        if (!r2) {
                struct pbl_link_set up = PBL_LINK_SET_INIT(r->wan_ifindex);

                up.up = 1;
                r2 = pbl_rtnl_link_set(b, &up);
        }
        if (!r2 && r->wan4.family) {
                struct pbl_route def = { .dst = { .ip = { .family = AF_INET } },
                                         .gw = r->upstream ? r->upstream->lan.gw4 : lab->ix_gw4 };

                r2 = pbl_rtnl_route(b, true, false, &def);
        }
        if (!r2 && r->wan6.family) {
                struct pbl_route def = { .dst = { .ip = { .family = AF_INET6 } },
                                         .gw = r->upstream ? r->upstream->lan.gw6 : lab->ix_gw6 };

                r2 = pbl_rtnl_route(b, true, false, &def);
        }
        r2 = r2 ?: pbl_nl_batch_run(b, &st->sys);
        if (r2 < 0)
                return r2;
        r2 = return_routes(r, true, &st->sys);
        if (r2 < 0)
                return r2;
        return pbl_router_set_policy(r, &spec->policy, st);
}

/* Deletes the parent-side end of the uplink: its peer in the router goes with it. */
static void
unplug(struct pbl_router *r)
{
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        struct pbl_error scratch = { 0 };

        if (!r->port_ifindex || !(b = pbl_node_batch(parent_node(r))))
                return;
        if (pbl_rtnl_link_del(b, r->port_ifindex, r->port_name) == 0)
                (void)pbl_nl_batch_run(b, &scratch);
        r->port_ifindex = 0;
}

/* Returns every allocation of 'r' to its pool. */
static void
release(struct pbl_router *r)
{
        struct pbl_lab *lab = r->node.lab;
        enum pbl_pool pool = r->lan.public4 ? PBL_POOL_PUBLIC : PBL_POOL_PRIVATE;

        if (r->upstream) {
                if (r->wan_host > 0)
                        pbl_bitmap_set(&r->upstream->lan.hosts, r->wan_host, false);
        } else {
                if (r->wan4.family)
                        pbl_bitmap_set(&lab->ix_hosts4, r->wan_host, false);
                if (r->wan6.family)
                        pbl_bitmap_set(&lab->ix_hosts6, r->wan6.bytes[14] << 8 | r->wan6.bytes[15],
                                       false);
        }
        pbl_lab_put_subnet(lab, AF_INET, pool, r->lan.pool4);
        pbl_lab_put_subnet(lab, AF_INET6, pool, r->lan.pool6);
        pbl_lab_put_subnet(lab, AF_INET6, PBL_POOL_PUBLIC, r->npt6_slot);
        if (r->region && r->region_subnet > 0)
                pbl_bitmap_set(&r->region->subnets, r->region_subnet, false);
        r->lan.pool4 = r->lan.pool6 = r->npt6_slot = r->region_subnet = -1;
        r->wan_host = 0;
}

void
pbl_router_free(struct pbl_router *r)
{
        if (!r)
                return;
        pbl_link_cond_release(&r->uplink);
        pbl_nat64_detach(r);
        pbl_node_done(&r->node);
        pbl_bitmap_done(&r->lan.hosts);
        free(r);
}

static int
validate(struct pbl_lab *lab, const struct pbl_router_spec *spec, struct pbl_router **ret_parent,
         struct pbl_status *st)
{
        if (!pbl_name_valid(spec->name))
                return pbl_fault(st, PBL_FAULT_BAD_NAME, "name", "invalid node name '%s'",
                                 spec->name);
        if (!spec->backbone_of &&
            (strcmp(spec->name, "ix") == 0 || strncmp(spec->name, "region_", 7) == 0))
                return pbl_fault(st, PBL_FAULT_BAD_NAME, "name", "node name '%s' is reserved",
                                 spec->name);
        if (pbl_lab_node(lab, spec->name))
                return pbl_fault(st, PBL_FAULT_NAME_TAKEN, "name",
                                 "lab '%s' already has a node named '%s'", lab->name, spec->name);
        *ret_parent = NULL;
        if (spec->region && spec->upstream)
                return pbl_fault(st, PBL_FAULT_INVALID, "region",
                                 "a router in a region hangs off the region's backbone: give "
                                 "region or upstream, not both");
        if (spec->region)
                *ret_parent = spec->region->router;
        if (spec->upstream && !(*ret_parent = pbl_lab_router(lab, spec->upstream)))
                return pbl_fault(st, PBL_FAULT_NO_SUCH_NODE, "upstream",
                                 "no router '%s' in lab '%s'", spec->upstream, lab->name);
        if (spec->has_downstream_cidr) {
                const struct pbl_prefix *p = &spec->downstream_cidr;

                if (p->ip.family != AF_INET || p->len < 8 || p->len > 30)
                        return pbl_fault(st, PBL_FAULT_INVALID, "downstream_cidr",
                                         "downstream_cidr must be an IPv4 prefix of length "
                                         "8..30");
                if (spec->ip_support == PBL_IP_V6_ONLY)
                        return pbl_fault(st, PBL_FAULT_INVALID, "downstream_cidr",
                                         "a v6-only router has no IPv4 LAN");
                if (pbl_lab_prefix_in_use(lab, p))
                        return pbl_fault(st, PBL_FAULT_IN_USE, "downstream_cidr",
                                         "downstream_cidr overlaps the IX or another LAN");
        }
        return 0;
}

static int
allocate(struct pbl_lab *lab, struct pbl_router *r, const struct pbl_router_spec *spec,
         struct pbl_status *st)
{
        struct pbl_router *p = r->upstream;
        bool want4 = spec->ip_support != PBL_IP_V6_ONLY, want6 = spec->ip_support != PBL_IP_V4_ONLY;
        /* NAT64 needs an IPv4 uplink even when the LAN is IPv6 only. */
        bool wan4 = (want4 || spec->policy.nat6 == PBL_NAT6_NAT64) && (!p || p->lan.v4.ip.family);
        bool wan6 = want6 && (!p || p->lan.v6.ip.family);
        int h;

        /* Uplink address: a host of the parent's LAN, or of the IX. */
        if (p) {
                h = pbl_bitmap_take(&p->lan.hosts);
                if (h < 0)
                        return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, "upstream",
                                         "the LAN of router '%s' has no free address",
                                         p->node.name);
                r->wan_host = h;
                if (wan4)
                        r->wan4 = pbl_prefix_host(&p->lan.v4, (uint64_t)h);
                if (wan6)
                        r->wan6 = pbl_prefix_host(&p->lan.v6, (uint64_t)h);
        } else {
                if (wan4) {
                        h = pbl_bitmap_take(&lab->ix_hosts4);
                        if (h < 0)
                                return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, NULL,
                                                 "the IX has no free IPv4 address");
                        r->wan_host = h;
                        r->wan4 = pbl_prefix_host(&lab->plan.ix4, (uint64_t)h);
                }
                if (wan6) {
                        h = pbl_bitmap_take(&lab->ix_hosts6);
                        if (h < 0)
                                return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, NULL,
                                                 "the IX has no free IPv6 address");
                        r->wan6 = pbl_prefix_host(&lab->plan.ix6, (uint64_t)h);
                }
        }
        if (wan6)
                r->wan_ll6 = pbl_ll6(lab->id, r->node.id, 1);

        /* LAN subnets: a backbone's and a public router's in a region come from its block. */
        r->lan.public4 = spec->pool == PBL_POOL_PUBLIC || spec->backbone_of;
        if (spec->backbone_of ||
            (spec->region && spec->pool == PBL_POOL_PUBLIC && !spec->has_downstream_cidr)) {
                struct pbl_region *rg = spec->backbone_of ? spec->backbone_of : spec->region;
                int slot = spec->backbone_of ? 0 : pbl_bitmap_take(&rg->subnets);

                if (slot < 0)
                        return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, "region",
                                         "region '%s' has no free public LAN", rg->name);
                r->region_subnet = spec->backbone_of ? -1 : slot;
                if (want4)
                        r->lan.v4 = pbl_prefix_subnet(&rg->block4, 24, (uint64_t)slot);
                if (want6) {
                        r->lan.v6 = pbl_prefix_subnet(&rg->block6, 64, (uint64_t)slot);
                        r->lan.gw6 = pbl_prefix_host(&r->lan.v6, 1);
                        r->lan.ll6 = pbl_ll6(lab->id, r->node.id, 2);
                }
        } else if (spec->has_downstream_cidr) {
                r->lan.v4 = spec->downstream_cidr;
        } else if (want4) {
                r->lan.pool4 = pbl_lab_take_subnet(lab, AF_INET, spec->pool, &r->lan.v4);
                if (r->lan.pool4 < 0)
                        return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, NULL,
                                         "the %s IPv4 pool is exhausted",
                                         spec->pool == PBL_POOL_PUBLIC ? "public" : "private");
        }
        if (want6 && !r->lan.v6.ip.family) {
                r->lan.pool6 = pbl_lab_take_subnet(lab, AF_INET6, spec->pool, &r->lan.v6);
                if (r->lan.pool6 < 0)
                        return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, NULL,
                                         "the %s IPv6 pool is exhausted",
                                         spec->pool == PBL_POOL_PUBLIC ? "public" : "private");
                r->lan.gw6 = pbl_prefix_host(&r->lan.v6, 1);
                r->lan.ll6 = pbl_ll6(lab->id, r->node.id, 2);
        }
        if (r->lan.v4.ip.family)
                r->lan.gw4 = pbl_prefix_host(&r->lan.v4, 1);
        h = r->lan.v4.ip.family ? (1 << (32 - r->lan.v4.len)) - 2 : 0xfffe;
        /* A backbone's routers take .10 upwards, as on the IX. */
        return pbl_bitmap_init(&r->lan.hosts, spec->backbone_of ? 10 : 2, h);
}

int
pbl_router_add(struct pbl_lab *lab, const struct pbl_router_spec *spec, struct pbl_router **ret,
               struct pbl_status *st)
{
        struct pbl_router *parent = NULL, *r;
        int rr;

        rr = validate(lab, spec, &parent, st);
        if (rr < 0)
                return rr;
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->node.netfd = r->node.mntfd = -1;
        r->node.lab = lab;
        r->node.id = lab->next_id++;
        snprintf(r->node.name, sizeof(r->node.name), "%s", spec->name);
        r->upstream = parent;
        r->ip_support = spec->ip_support;
        r->mtu = spec->mtu;
        r->lan.pool4 = r->lan.pool6 = r->npt6_slot = r->region_subnet = -1;
        r->region = spec->region;
        r->backbone_of = spec->backbone_of;
        snprintf(r->wan_name, sizeof(r->wan_name), "%s", parent ? "wan" : "ix");
        snprintf(r->port_name, sizeof(r->port_name), "r%u", r->node.id);

        r->has_downlink = spec->downlink && !pbl_condition_is_null(spec->downlink);
        if (r->has_downlink)
                r->downlink = *spec->downlink;
        rr = allocate(lab, r, spec, st);
        if (rr >= 0) {
                r->port_ifindex = pbl_node_alloc_ifindex(parent_node(r));
                rr = build(r, spec, st);
        }
        /* The parent's downlink reaches the new router too. */
        if (rr >= 0 && parent && parent->has_downlink)
                rr = pbl_router_set_uplink_condition(r, NULL, PBL_DIR_UP, st);
        if (rr < 0) {
                pbl_link_cond_release(&r->uplink);
                (void)return_routes(r, false, NULL);
                unplug(r);
                release(r);
                pbl_router_free(r);
                return rr;
        }
        if (parent)
                parent->n_children++;
        TAILQ_INSERT_TAIL(&lab->routers, r, link);
        lab->n_routers++;
        *ret = r;
        return 0;
}

int
pbl_router_remove(struct pbl_lab *lab, struct pbl_router *r, struct pbl_status *st)
{
        if (r->backbone_of)
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "name",
                                 "router '%s' is the backbone of region '%s': remove the region",
                                 r->node.name, r->backbone_of->name);
        if (r->n_children > 0) {
                char who[160] = "";
                size_t len = 0;
                struct pbl_device *d;
                struct pbl_router *c;
                struct pbl_iface *i;

                TAILQ_FOREACH (c, &lab->routers, link)
                        if (c->upstream == r && len < sizeof(who) - 40)
                                len += (size_t)snprintf(who + len, sizeof(who) - len,
                                                        "%srouter '%s'", len ? ", " : "",
                                                        c->node.name);
                TAILQ_FOREACH (d, &lab->devices, link)
                        TAILQ_FOREACH (i, &d->ifaces, link)
                                if (i->router == r && len < sizeof(who) - 40)
                                        len += (size_t)snprintf(who + len, sizeof(who) - len,
                                                                "%sdevice '%s'", len ? ", " : "",
                                                                d->node.name);
                return pbl_fault(st, PBL_FAULT_IN_USE, "name",
                                 "cannot remove router '%s': still connected: %s", r->node.name,
                                 who);
        }
        (void)return_routes(r, false, NULL);
        unplug(r);
        release(r);
        if (r->upstream)
                r->upstream->n_children--;
        TAILQ_REMOVE(&lab->routers, r, link);
        lab->n_routers--;
        pbl_router_free(r);
        return 0;
}
