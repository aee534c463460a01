/* SPDX-License-Identifier: MIT */
/*
 * link.set_condition: a condition on the link between two adjacent nodes,
 * whatever they are: a device and its router (every interface of the device
 * on that router), a sub-router and its parent, a router and the IX, or two
 * linked regions' backbones.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "model.h"
#include "pb-macro.h"

/* 'dir' as seen from a, turned to the child's view (up: child to parent). */
static enum pbl_direction
from_child(enum pbl_direction dir, bool a_is_child)
{
        if (dir == PBL_DIR_BOTH || a_is_child)
                return dir;
        return dir == PBL_DIR_UP ? PBL_DIR_DOWN : PBL_DIR_UP;
}

static int
set_device_links(struct pbd_lab *lab, struct pbl_device *d, struct pbl_router *r,
                 const struct pbl_condition *c, json_t *cond, enum pbl_direction dir,
                 struct pbl_status *st)
{
        struct pbl_iface *i;
        int n = 0, rr;

        TAILQ_FOREACH (i, &d->ifaces, link) {
                struct pbd_iface_cfg *cfg = i->ext;

                if (i->router != r)
                        continue;
                rr = pbl_iface_set_condition(i, c, dir, st);
                if (rr < 0)
                        return rr;
                json_decref(cfg->condition);
                cfg->condition = json_incref(cond);
                snprintf(cfg->direction, sizeof(cfg->direction), "%s",
                         pbd_direction_to_string(dir));
                n++;
        }
        (void)lab;
        return n;
}

static int
set_uplink(struct pbl_router *child, const struct pbl_condition *c, json_t *cond,
           enum pbl_direction dir, struct pbl_status *st)
{
        struct pbd_router_cfg *cfg = child->ext;
        int r = pbl_router_set_uplink_condition(child, c, dir, st);

        if (r < 0)
                return r;
        json_decref(cfg->uplink_condition);
        cfg->uplink_condition = json_incref(cond);
        snprintf(cfg->uplink_direction, sizeof(cfg->uplink_direction), "%s",
                 pbd_direction_to_string(dir));
        return 1;
}

static int
set_region_link(struct pbd_lab *lab, struct pbl_router *a, struct pbl_router *b,
                const struct pbl_condition *c, json_t *cond, enum pbl_direction dir,
                struct pbl_status *st)
{
        struct pbl_region_link *l;
        int r;

        if (!a->backbone_of || !b->backbone_of)
                return 0;
        l = pbl_region_link_find(lab->engine, a->backbone_of, b->backbone_of);
        if (!l)
                return 0;
        /* The link's own a/b order may be the other way round. */
        if (l->a != a->backbone_of && dir != PBL_DIR_BOTH)
                dir = dir == PBL_DIR_UP ? PBL_DIR_DOWN : PBL_DIR_UP;
        r = pbl_region_link_set_condition(lab->engine, l, c, dir, st);
        if (r < 0)
                return r;
        if (dir == PBL_DIR_BOTH) {
                json_decref(l->ext);
                l->ext = json_incref(cond);
        }
        return 1;
}

/* Looks up node 'param' of 'lab' ("ix" included). */
static int
lookup_node(struct pbd_lab *lab, json_t *params, const char *param, struct pbl_node **ret,
            struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, param));

        *ret = name ? pbl_lab_node(lab->engine, name) : NULL;
        if (*ret)
                return 0;
        pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE, "no node named '%s' in lab '%s'",
                      name ? name : "", lab->name);
        snprintf(reterr->parameter, sizeof(reterr->parameter), "%s", param);
        return -ENOENT;
}

int
pbd_apply_link_condition(struct pbd_lab *lab, json_t *params, struct pb_rpc_error *reterr)
{
        const char *dirname = json_string_value(json_object_get(params, "direction"));
        json_t *cond = json_object_get(params, "condition");
        struct pbl_node *na, *nb;
        struct pbl_status st = { 0 };
        struct pbl_router *ra, *rb;
        struct pbl_device *da, *db;
        enum pbl_direction dir;
        struct pbl_condition c;
        int r;

        r = lookup_node(lab, params, "a", &na, reterr);
        r = r ?: lookup_node(lab, params, "b", &nb, reterr);
        r = r ?: pbd_condition_from_json(cond, &c, "condition", reterr);
        if (r < 0)
                return r;
        if (pbd_direction_from_string(dirname, &dir) < 0 ||
            (dirname && !strchr(dirname, '-') && strcmp(dirname, "both") != 0))
                return pb_rpc_error_param(reterr, "direction",
                                          "direction is \"a-to-b\", \"b-to-a\" or \"both\"");
        if (!cond)
                cond = json_null();
        ra = na->kind == PBL_NODE_ROUTER && na != &lab->engine->ix
                     ? container_of(na, struct pbl_router, node)
                     : NULL;
        rb = nb->kind == PBL_NODE_ROUTER && nb != &lab->engine->ix
                     ? container_of(nb, struct pbl_router, node)
                     : NULL;
        da = na->kind == PBL_NODE_DEVICE ? container_of(na, struct pbl_device, node) : NULL;
        db = nb->kind == PBL_NODE_DEVICE ? container_of(nb, struct pbl_device, node) : NULL;

        r = 0;
        if (da && rb)
                r = set_device_links(lab, da, rb, &c, cond, from_child(dir, true), &st);
        else if (db && ra)
                r = set_device_links(lab, db, ra, &c, cond, from_child(dir, false), &st);
        else if (ra && rb && ra->upstream == rb)
                r = set_uplink(ra, &c, cond, from_child(dir, true), &st);
        else if (ra && rb && rb->upstream == ra)
                r = set_uplink(rb, &c, cond, from_child(dir, false), &st);
        else if (ra && rb)
                r = set_region_link(lab, ra, rb, &c, cond, dir, &st);
        else if (ra && nb == &lab->engine->ix && !ra->upstream)
                r = set_uplink(ra, &c, cond, from_child(dir, true), &st);
        else if (rb && na == &lab->engine->ix && !rb->upstream)
                r = set_uplink(rb, &c, cond, from_child(dir, false), &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        if (r == 0) {
                pb_rpc_errorf(reterr, PB_ERR_INVALID_STATE, "'%s' and '%s' are not adjacent",
                              na->name, nb->name);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "b");
                return -EINVAL;
        }
        pbd_event(lab, "condition_changed",
                  json_pack("{s:s, s:s, s:s, s:O, s:s}", "target", "link", "a", na->name, "b",
                            nb->name, "condition", cond, "direction",
                            dirname ? dirname : "a-to-b"));
        return 0;
}

static int
method_set_condition(struct pbd_call *call, json_t *params, json_t **ret_result,
                     struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        r = r ?: pbd_apply_link_condition(lab, params, reterr);
        if (r < 0)
                return r;
        *ret_result = json_object();
        return *ret_result ? 0 : -ENOMEM;
}

const struct pbd_method pbd_methods_link[] = {
        { "link.set_condition", method_set_condition, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_link_count = ELEMENTSOF(pbd_methods_link);
