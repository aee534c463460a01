/* SPDX-License-Identifier: MIT */
/*
 * Regions (SPEC §5): backbone routers on the IX, each owning a block of the
 * plan's regions4/regions6, joined by veths that carry link conditions.
 * Inter-region routes follow the lowest total latency over the links that
 * are up (Dijkstra over at most 16 regions), recomputed on every change.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "lab.h"
#include "netns.h"
#include "node.h"
#include "pb-macro.h"
#include "rtnl.h"
#include "shape.h"

/* Point-to-point nets of region links: one /30 and one /126 per link slot. */
#define LINK_NET4 "203.0.113.0/24"
#define LINK_NET6 "fd11::/48"

/* Route states kept in pbl_region.route[]. */
#define ROUTE_NONE      (-1) /* Nothing installed. */
#define ROUTE_BLACKHOLE (-2)
#define ROUTE_UNKNOWN   (-3) /* After a failure or a link's removal: rewrite. */

static int route_one(struct pbl_region *src, struct pbl_region *dst, int want,
                     struct pbl_status *st);

struct pbl_region *
pbl_lab_region(struct pbl_lab *lab, const char *name)
{
        struct pbl_region *rg;

        TAILQ_FOREACH (rg, &lab->regions, link)
                if (strcmp(rg->name, name) == 0)
                        return rg;
        return NULL;
}

struct pbl_region_link *
pbl_region_link_find(struct pbl_lab *lab, const struct pbl_region *a, const struct pbl_region *b)
{
        struct pbl_region_link *l;

        TAILQ_FOREACH (l, &lab->region_links, link)
                if ((l->a == a && l->b == b) || (l->a == b && l->b == a))
                        return l;
        return NULL;
}

static void
region_free(struct pbl_region *rg)
{
        pbl_bitmap_done(&rg->subnets);
        free(rg);
}

int
pbl_region_add(struct pbl_lab *lab, const char *name, struct pbl_region **ret,
               struct pbl_status *st)
{
        char rname[PBL_NAME_MAX + 8];
        struct pbl_router_spec spec = {
                .name = rname,
                .ip_support = PBL_IP_DUAL_STACK,
                .pool = PBL_POOL_PUBLIC,
        };
        struct pbl_region *rg;
        int idx, r;

        if (!pbl_name_valid(name) || strlen(name) + 7 >= PBL_NAME_MAX)
                return pbl_fault(st, PBL_FAULT_BAD_NAME, "name", "invalid region name '%s'", name);
        if (pbl_lab_region(lab, name))
                return pbl_fault(st, PBL_FAULT_NAME_TAKEN, "name",
                                 "lab '%s' already has a region '%s'", lab->name, name);
        snprintf(rname, sizeof(rname), "region_%s", name);
        idx = pbl_bitmap_take(&lab->region_slots);
        if (idx < 0)
                return pbl_fault(st, PBL_FAULT_LIMIT, "name", "a lab has at most %d regions",
                                 PBL_MAX_REGIONS);
        rg = calloc(1, sizeof(*rg));
        if (!rg) {
                pbl_bitmap_set(&lab->region_slots, idx, false);
                return -ENOMEM;
        }
        snprintf(rg->name, sizeof(rg->name), "%s", name);
        rg->idx = idx;
        rg->block4 =
                pbl_prefix_subnet(&lab->plan.regions4, lab->plan.regions4.len + 4, (uint64_t)idx);
        rg->block6 =
                pbl_prefix_subnet(&lab->plan.regions6, lab->plan.regions6.len + 4, (uint64_t)idx);
        for (int i = 0; i < PBL_MAX_REGIONS; i++)
                rg->route[i] = ROUTE_NONE;
        r = pbl_bitmap_init(&rg->subnets, 1, PBL_REGION_SUBNETS - 1);
        spec.backbone_of = rg;
        r = r < 0 ? r : pbl_router_add(lab, &spec, &rg->router, st);
        if (r < 0) {
                pbl_bitmap_set(&lab->region_slots, idx, false);
                region_free(rg);
                return r;
        }
        TAILQ_INSERT_TAIL(&lab->regions, rg, link);
        lab->n_regions++;
        /* Unlinked, it is unreachable from the others until a link says otherwise. */
        r = pbl_regions_route(lab, st);
        *ret = rg;
        return r < 0 ? r : 0;
}

/* --- links --------------------------------------------------------------- */

static struct pbl_prefix
link_net(const char *text, int sublen, int slot)
{
        struct pbl_prefix net;

        (void)pbl_prefix_parse(text, false, &net);
        return pbl_prefix_subnet(&net, sublen, (uint64_t)slot);
}

static void
link_ifname(char *buf, size_t n, const struct pbl_region *peer, int slot)
{
        if (strlen(peer->name) + 3 < PBL_IFNAME_MAX)
                snprintf(buf, n, "to-%s", peer->name);
        else
                snprintf(buf, n, "rl%d", slot);
}

/* Addresses and link state of one end. */
static int
configure_end(struct pbl_node *n, int ifindex, const char *ifname, int slot,
              const struct pbl_ip *ip4, const struct pbl_ip *ip6, struct pbl_status *st)
{
        /* Neighbour solicitations for forwarded packets come from a link-local address. */
        struct pbl_ip ll6 = pbl_ll6(n->lab->id, n->id, 64 + (unsigned)slot);
        char key[96];
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(n);
        struct pbl_link_set up = PBL_LINK_SET_INIT(ifindex);
        int r;

        if (!b)
                return -ENOMEM;
        /* region.break takes the link down: its IPv6 addresses must survive that. */
        snprintf(key, sizeof(key), "net/ipv6/conf/%s/keep_addr_on_down", ifname);
        r = pbl_sysctl_write_in(n->netfd, key, "1");
        if (r < 0)
                return pbl_error_set(&st->sys, r, "writing /proc/sys/%s in %s", key, n->name);
        up.up = 1;
        r = pbl_rtnl_link_set(b, &up);
        r = r ?: pbl_rtnl_addr(b, true, ip4, 30, ifindex, true);
        r = r ?: pbl_rtnl_addr(b, true, ip6, 126, ifindex, true);
        r = r ?: pbl_rtnl_addr(b, true, &ll6, 64, ifindex, true);
        return r ?: pbl_nl_batch_run(b, &st->sys);
}

static int
set_link_up(struct pbl_node *n, int ifindex, bool up, struct pbl_error *err)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(n);
        struct pbl_link_set set = PBL_LINK_SET_INIT(ifindex);
        int r;

        if (!b)
                return -ENOMEM;
        set.up = up;
        r = pbl_rtnl_link_set(b, &set);
        return r ?: pbl_nl_batch_run(b, err);
}

static struct pbl_link_end
end_a(const struct pbl_region_link *l)
{
        return (struct pbl_link_end){ &l->a->router->node, l->a_ifindex };
}

static struct pbl_link_end
end_b(const struct pbl_region_link *l)
{
        return (struct pbl_link_end){ &l->b->router->node, l->b_ifindex };
}

/* Deletes the veth (from a's side; b's end goes with it) and frees the link. */
static void
link_destroy(struct pbl_lab *lab, struct pbl_region_link *l)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&l->a->router->node);
        struct pbl_error scratch = { 0 };

        struct pbl_region *rg;

        l->ab_shape = pbl_shape_abandon(l->ab_shape);
        l->ba_shape = pbl_shape_abandon(l->ba_shape);
        /* Routes through it are unknown now: the next computation rewrites them. */
        TAILQ_FOREACH (rg, &lab->regions, link)
                for (int i = 0; i < PBL_MAX_REGIONS; i++)
                        if (rg->route[i] == l->slot)
                                rg->route[i] = ROUTE_UNKNOWN;
        if (b && l->a_ifindex && pbl_rtnl_link_del(b, l->a_ifindex, l->a_ifname) == 0)
                (void)pbl_nl_batch_run(b, &scratch);
        pbl_bitmap_set(&lab->region_link_slots, l->slot, false);
        free(l);
}

int
pbl_region_link(struct pbl_lab *lab, struct pbl_region *a, struct pbl_region *b,
                const struct pbl_condition *c, struct pbl_region_link **ret, struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *batch = NULL;
        struct pbl_link_end ea, eb;
        struct pbl_region_link *l;
        struct pbl_prefix n4, n6;
        struct pbl_veth v;
        int slot, r;

        if (a == b)
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "b",
                                 "a region cannot link to itself");
        if (pbl_region_link_find(lab, a, b))
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "b",
                                 "regions '%s' and '%s' are already linked", a->name, b->name);
        slot = pbl_bitmap_take(&lab->region_link_slots);
        if (slot < 0)
                return pbl_fault(st, PBL_FAULT_LIMIT, "b", "a lab has at most %d region links",
                                 PBL_MAX_REGION_LINKS);
        l = calloc(1, sizeof(*l));
        if (!l) {
                pbl_bitmap_set(&lab->region_link_slots, slot, false);
                return -ENOMEM;
        }
        l->a = a;
        l->b = b;
        l->slot = slot;
        if (c)
                l->ab = l->ba = *c;
        n4 = link_net(LINK_NET4, 30, slot);
        n6 = link_net(LINK_NET6, 126, slot);
        l->a4 = pbl_prefix_host(&n4, 1);
        l->b4 = pbl_prefix_host(&n4, 2);
        l->a6 = pbl_prefix_host(&n6, 1);
        l->b6 = pbl_prefix_host(&n6, 2);
        link_ifname(l->a_ifname, sizeof(l->a_ifname), b, slot);
        link_ifname(l->b_ifname, sizeof(l->b_ifname), a, slot);

        batch = pbl_node_batch(&a->router->node);
        if (!batch) {
                link_destroy(lab, l);
                return -ENOMEM;
        }
        l->a_ifindex = pbl_node_alloc_ifindex(&a->router->node);
        l->b_ifindex = pbl_node_alloc_ifindex(&b->router->node);
        v = (struct pbl_veth){
                .name = l->a_ifname,
                .ifindex = l->a_ifindex,
                .peer_name = l->b_ifname,
                .peer_ifindex = l->b_ifindex,
                .peer_netfd = b->router->node.netfd,
        };
        r = pbl_rtnl_veth(batch, &v);
        r = r ?: pbl_nl_batch_run(batch, &st->sys);
        if (r < 0) {
                l->a_ifindex = 0;
                link_destroy(lab, l);
                return r;
        }
        r = configure_end(&a->router->node, l->a_ifindex, l->a_ifname, slot, &l->a4, &l->a6, st);
        r = r
                    ?: configure_end(&b->router->node, l->b_ifindex, l->b_ifname, slot, &l->b4,
                                     &l->b6, st);
        ea = end_a(l);
        eb = end_b(l);
        r = r ?: pbl_shape_set(&l->ab_shape, &ea, &eb, &l->ab, &st->sys);
        r = r ?: pbl_shape_set(&l->ba_shape, &eb, &ea, &l->ba, &st->sys);
        if (r < 0) {
                link_destroy(lab, l);
                return r;
        }
        TAILQ_INSERT_TAIL(&lab->region_links, l, link);
        lab->n_region_links++;
        r = pbl_regions_route(lab, st);
        if (r < 0) {
                struct pbl_status scratch = { 0 };

                TAILQ_REMOVE(&lab->region_links, l, link);
                lab->n_region_links--;
                link_destroy(lab, l);
                (void)pbl_regions_route(lab, &scratch);
                return r;
        }
        if (ret)
                *ret = l;
        return 0;
}

int
pbl_region_link_set_condition(struct pbl_lab *lab, struct pbl_region_link *l,
                              const struct pbl_condition *c, enum pbl_direction dir,
                              struct pbl_status *st)
{
        struct pbl_condition none = { 0 }, old_ab = l->ab, old_ba = l->ba;
        struct pbl_link_end ea = end_a(l), eb = end_b(l);
        int r = 0;

        if (!c)
                c = &none;
        if (dir & PBL_DIR_UP)
                r = pbl_shape_set(&l->ab_shape, &ea, &eb, c, &st->sys);
        if (r >= 0 && (dir & PBL_DIR_DOWN))
                r = pbl_shape_set(&l->ba_shape, &eb, &ea, c, &st->sys);
        if (r < 0) {
                struct pbl_error scratch = { 0 };

                (void)pbl_shape_set(&l->ab_shape, &ea, &eb, &old_ab, &scratch);
                (void)pbl_shape_set(&l->ba_shape, &eb, &ea, &old_ba, &scratch);
                return r;
        }
        if (dir & PBL_DIR_UP)
                l->ab = *c;
        if (dir & PBL_DIR_DOWN)
                l->ba = *c;
        /* Latencies changed: so may the best paths. */
        return pbl_regions_route(lab, st);
}

int
pbl_region_link_set_broken(struct pbl_lab *lab, struct pbl_region_link *l, bool broken,
                           struct pbl_status *st)
{
        struct pbl_error scratch = { 0 };
        int r;

        if (l->broken == broken)
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "b",
                                 "the link between '%s' and '%s' is %s", l->a->name, l->b->name,
                                 broken ? "already broken" : "not broken");
        /* Both ends, so that neither side can send into the cut. */
        r = set_link_up(&l->a->router->node, l->a_ifindex, !broken, &st->sys);
        r = r ?: set_link_up(&l->b->router->node, l->b_ifindex, !broken, &st->sys);
        if (r < 0) {
                (void)set_link_up(&l->a->router->node, l->a_ifindex, !l->broken, &scratch);
                (void)set_link_up(&l->b->router->node, l->b_ifindex, !l->broken, &scratch);
                return r;
        }
        l->broken = broken;
        return pbl_regions_route(lab, st);
}

int
pbl_region_remove(struct pbl_lab *lab, struct pbl_region *rg, struct pbl_status *st)
{
        struct pbl_region_link *l, *next;
        struct pbl_router *router = rg->router;
        struct pbl_status scratch = { 0 };
        struct pbl_region *o;
        int r;

        if (router->n_children > 0)
                return pbl_fault(st, PBL_FAULT_IN_USE, "name",
                                 "region '%s' still has routers in it", rg->name);
        for (l = TAILQ_FIRST(&lab->region_links); l; l = next) {
                next = TAILQ_NEXT(l, link);
                if (l->a != rg && l->b != rg)
                        continue;
                TAILQ_REMOVE(&lab->region_links, l, link);
                lab->n_region_links--;
                link_destroy(lab, l);
        }
        TAILQ_REMOVE(&lab->regions, rg, link);
        lab->n_regions--;
        router->backbone_of = NULL;
        r = pbl_router_remove(lab, router, st);
        if (r < 0) /* Cannot happen without children; keep the books straight anyway. */
                return r;
        /* The others forget their routes to it (its index may be reused). */
        TAILQ_FOREACH (o, &lab->regions, link) {
                (void)route_one(o, rg, ROUTE_NONE, &scratch);
                o->route[rg->idx] = ROUTE_NONE;
        }
        pbl_bitmap_set(&lab->region_slots, rg->idx, false);
        region_free(rg);
        return pbl_regions_route(lab, st);
}

void
pbl_regions_free(struct pbl_lab *lab)
{
        struct pbl_region_link *l;
        struct pbl_region *rg;

        if (!lab->region_links.tqh_last)
                return;
        while ((l = TAILQ_FIRST(&lab->region_links))) {
                TAILQ_REMOVE(&lab->region_links, l, link);
                l->ab_shape = pbl_shape_abandon(l->ab_shape);
                l->ba_shape = pbl_shape_abandon(l->ba_shape);
                free(l);
        }
        while ((rg = TAILQ_FIRST(&lab->regions))) {
                TAILQ_REMOVE(&lab->regions, rg, link);
                rg->router->backbone_of = NULL;
                region_free(rg);
        }
}

/* --- routing ------------------------------------------------------------- */

/* A path's cost: one-way latency, plus a hair per hop so that ties take fewer hops. */
static double
link_cost(const struct pbl_region_link *l, bool from_a)
{
        const struct pbl_condition *c = from_a ? &l->ab : &l->ba;

        return c->latency_ms + 1e-3;
}

/*
 * From 'src': for every region index, the link of the first hop on the
 * cheapest path ('first[i]' NULL: unreachable or src itself), over the
 * links that are up, or over every link if 'all'.
 */
static void
shortest_paths(struct pbl_lab *lab, const struct pbl_region *src, bool all,
               struct pbl_region_link *first[PBL_MAX_REGIONS])
{
        double dist[PBL_MAX_REGIONS];
        bool done[PBL_MAX_REGIONS] = { false }, present[PBL_MAX_REGIONS] = { false };
        struct pbl_region *rg;

        TAILQ_FOREACH (rg, &lab->regions, link)
                present[rg->idx] = true;
        for (int i = 0; i < PBL_MAX_REGIONS; i++) {
                dist[i] = INFINITY;
                first[i] = NULL;
        }
        dist[src->idx] = 0;
        for (;;) {
                struct pbl_region_link *l;
                int u = -1;

                for (int i = 0; i < PBL_MAX_REGIONS; i++)
                        if (present[i] && !done[i] && isfinite(dist[i]) &&
                            (u < 0 || dist[i] < dist[u]))
                                u = i;
                if (u < 0)
                        break;
                done[u] = true;
                TAILQ_FOREACH (l, &lab->region_links, link) {
                        bool from_a = l->a->idx == u;
                        int v;
                        double d;

                        if ((l->broken && !all) || (l->a->idx != u && l->b->idx != u))
                                continue;
                        v = from_a ? l->b->idx : l->a->idx;
                        d = dist[u] + link_cost(l, from_a);
                        if (d < dist[v]) {
                                dist[v] = d;
                                first[v] = u == src->idx ? l : first[u];
                        }
                }
        }
}

/*
 * Puts what 'src' should have towards 'dst' in place, if it changed:
 * 'want' is a link slot (route via that link's peer), ROUTE_BLACKHOLE, or
 * ROUTE_NONE (no route: the default through the IX serves).
 */
static int
route_one(struct pbl_region *src, struct pbl_region *dst, int want, struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        struct pbl_route r4 = { .dst = dst->block4 }, r6 = { .dst = dst->block6 };
        struct pbl_region_link *l = NULL;
        struct pbl_error scratch = { 0 };
        int r;

        if (src->route[dst->idx] == want)
                return 0;
        b = pbl_node_batch(&src->router->node);
        if (!b)
                return -ENOMEM;
        if (want == ROUTE_NONE) {
                /* Each on its own: either may be missing. */
                r = pbl_rtnl_route(b, false, false, &r4);
                r = r ?: pbl_nl_batch_run(b, &scratch);
                r = pbl_rtnl_route(b, false, false, &r6);
                r = r ?: pbl_nl_batch_run(b, &scratch);
                src->route[dst->idx] = ROUTE_NONE;
                return 0;
        }
        if (want >= 0) {
                TAILQ_FOREACH (l, &src->router->node.lab->region_links, link)
                        if (l->slot == want)
                                break;
                if (!l)
                        return -ENOENT;
                r4.gw = l->a == src ? l->b4 : l->a4;
                r6.gw = l->a == src ? l->b6 : l->a6;
        } else {
                r4.blackhole = r6.blackhole = true;
        }
        r = pbl_rtnl_route(b, true, true, &r4);
        r = r ?: pbl_rtnl_route(b, true, true, &r6);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        src->route[dst->idx] = r < 0 ? ROUTE_UNKNOWN : want; /* Unknown after a failure. */
        return r;
}

int
pbl_regions_route(struct pbl_lab *lab, struct pbl_status *st)
{
        struct pbl_region *src, *dst;

        TAILQ_FOREACH (src, &lab->regions, link) {
                struct pbl_region_link *up[PBL_MAX_REGIONS], *any[PBL_MAX_REGIONS];

                shortest_paths(lab, src, false, up);
                shortest_paths(lab, src, true, any);
                TAILQ_FOREACH (dst, &lab->regions, link) {
                        /* Reachable over live links; or cut off from regions it is linked
                         * with (a partition); or never linked: through the IX. */
                        int want = up[dst->idx]    ? up[dst->idx]->slot
                                   : any[dst->idx] ? ROUTE_BLACKHOLE
                                                   : ROUTE_NONE;
                        int r;

                        if (dst == src)
                                continue;
                        r = route_one(src, dst, want, st);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}
