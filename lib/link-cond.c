/* SPDX-License-Identifier: MIT */
/*
 * Link conditions on the lab's links (SPEC §6): which interface each
 * direction of a link leaves by, and what it carries.  A router's downlink
 * condition is composed onto the down direction of every link of its LAN
 * (device interfaces and sub-router uplinks alike), so a frame meets one
 * shape per hop whatever the backend.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "lab.h"
#include "pb-macro.h"
#include "shape.h"

static double
compound_pct(double a, double b)
{
        return 100.0 * (1.0 - (1.0 - a / 100.0) * (1.0 - b / 100.0));
}

struct pbl_condition
pbl_condition_compose(const struct pbl_condition *a, const struct pbl_condition *b)
{
        struct pbl_condition c;

        if (!a || !b)
                return a ? *a : b ? *b : (struct pbl_condition){ 0 };
        c = (struct pbl_condition){
                .latency_ms = a->latency_ms + b->latency_ms,
                .jitter_ms = a->jitter_ms + b->jitter_ms,
                .loss_pct = compound_pct(a->loss_pct, b->loss_pct),
                .reorder_pct = compound_pct(a->reorder_pct, b->reorder_pct),
                .duplicate_pct = compound_pct(a->duplicate_pct, b->duplicate_pct),
                .corrupt_pct = compound_pct(a->corrupt_pct, b->corrupt_pct),
                .rate_kbit = !a->rate_kbit   ? b->rate_kbit
                             : !b->rate_kbit ? a->rate_kbit
                                             : MIN(a->rate_kbit, b->rate_kbit),
        };
        return c;
}

/* What one direction of 'lc' carries, with the router's downlink for 'down'. */
static struct pbl_condition
effective(const struct pbl_link_cond *lc, enum pbl_direction which,
          const struct pbl_router *downlink_of)
{
        const struct pbl_condition *own = lc->set && (lc->dir & which) ? &lc->cond : NULL;
        const struct pbl_condition *dl =
                which == PBL_DIR_DOWN && downlink_of && downlink_of->has_downlink
                        ? &downlink_of->downlink
                        : NULL;

        return pbl_condition_compose(own, dl);
}

/* The two ends of a link: the child side (device or sub-router) and the parent side. */
struct ends {
        struct pbl_link_end child, parent;
        const struct pbl_router *parent_router; /* NULL for the IX. */
};

static struct ends
iface_ends(struct pbl_iface *i)
{
        return (struct ends){
                .child = { &i->dev->node, i->ifindex },
                .parent = { &i->router->node, i->port_ifindex },
                .parent_router = i->router,
        };
}

static struct ends
uplink_ends(struct pbl_router *r)
{
        return (struct ends){
                .child = { &r->node, r->wan_ifindex },
                .parent = { r->upstream ? &r->upstream->node : &r->node.lab->ix, r->port_ifindex },
                .parent_router = r->upstream,
        };
}

/* Applies 'lc' to both directions; on failure the old state is put back. */
static int
apply(struct pbl_link_cond *lc, const struct ends *e, const struct pbl_link_cond *old,
      struct pbl_status *st)
{
        struct pbl_condition up = effective(lc, PBL_DIR_UP, NULL);
        struct pbl_condition down = effective(lc, PBL_DIR_DOWN, e->parent_router);
        int r;

        r = pbl_shape_set(&lc->up, &e->child, &e->parent, &up, &st->sys);
        if (r >= 0)
                r = pbl_shape_set(&lc->down, &e->parent, &e->child, &down, &st->sys);
        if (r < 0 && old) {
                struct pbl_error scratch = { 0 };
                struct pbl_condition prev_up = effective(old, PBL_DIR_UP, NULL);
                struct pbl_condition prev_down = effective(old, PBL_DIR_DOWN, e->parent_router);

                (void)pbl_shape_set(&lc->up, &e->child, &e->parent, &prev_up, &scratch);
                (void)pbl_shape_set(&lc->down, &e->parent, &e->child, &prev_down, &scratch);
        }
        return r;
}

static int
set(struct pbl_link_cond *lc, const struct ends *e, const struct pbl_condition *c,
    enum pbl_direction dir, struct pbl_status *st)
{
        struct pbl_link_cond old = *lc;
        int r;

        lc->set = c && !pbl_condition_is_null(c);
        lc->cond = lc->set ? *c : (struct pbl_condition){ 0 };
        lc->dir = dir;
        r = apply(lc, e, &old, st);
        if (r < 0) {
                lc->set = old.set;
                lc->cond = old.cond;
                lc->dir = old.dir;
        }
        return r;
}

int
pbl_iface_set_condition(struct pbl_iface *i, const struct pbl_condition *c, enum pbl_direction dir,
                        struct pbl_status *st)
{
        struct ends e = iface_ends(i);

        return set(&i->lc, &e, c, dir, st);
}

int
pbl_router_set_uplink_condition(struct pbl_router *r, const struct pbl_condition *c,
                                enum pbl_direction dir, struct pbl_status *st)
{
        struct ends e = uplink_ends(r);

        return set(&r->uplink, &e, c, dir, st);
}

bool
pbl_iface_shaped(const struct pbl_iface *i)
{
        return i->lc.set || (i->router && i->router->has_downlink);
}

int
pbl_iface_reapply_condition(struct pbl_iface *i, struct pbl_status *st)
{
        struct ends e = iface_ends(i);

        return apply(&i->lc, &e, NULL, st);
}

/* Re-applies the down direction of every link of r's LAN; 'undo': best effort. */
static int
reapply_lan(struct pbl_router *r, struct pbl_status *st, bool undo)
{
        struct pbl_lab *lab = r->node.lab;
        struct pbl_status scratch = { 0 };
        struct pbl_device *d;
        struct pbl_router *c;
        struct pbl_iface *i;
        int rr;

        TAILQ_FOREACH (d, &lab->devices, link)
                TAILQ_FOREACH (i, &d->ifaces, link) {
                        struct ends e;
                        struct pbl_condition down;

                        if (i->router != r)
                                continue;
                        e = iface_ends(i);
                        down = effective(&i->lc, PBL_DIR_DOWN, r);
                        rr = pbl_shape_set(&i->lc.down, &e.parent, &e.child, &down,
                                           undo ? &scratch.sys : &st->sys);
                        if (rr < 0 && !undo)
                                return rr;
                }
        TAILQ_FOREACH (c, &lab->routers, link) {
                struct ends e;
                struct pbl_condition down;

                if (c->upstream != r)
                        continue;
                e = uplink_ends(c);
                down = effective(&c->uplink, PBL_DIR_DOWN, r);
                rr = pbl_shape_set(&c->uplink.down, &e.parent, &e.child, &down,
                                   undo ? &scratch.sys : &st->sys);
                if (rr < 0 && !undo)
                        return rr;
        }
        return 0;
}

int
pbl_router_set_downlink(struct pbl_router *r, const struct pbl_condition *c, struct pbl_status *st)
{
        bool had = r->has_downlink;
        struct pbl_condition prev = r->downlink;
        int rr;

        r->has_downlink = c && !pbl_condition_is_null(c);
        r->downlink = r->has_downlink ? *c : (struct pbl_condition){ 0 };
        rr = reapply_lan(r, st, false);
        if (rr < 0) {
                r->has_downlink = had;
                r->downlink = prev;
                (void)reapply_lan(r, st, true);
        }
        return rr;
}

void
pbl_link_cond_release(struct pbl_link_cond *lc)
{
        lc->up = pbl_shape_abandon(lc->up);
        lc->down = pbl_shape_abandon(lc->down);
}
