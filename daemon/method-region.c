/* SPDX-License-Identifier: MIT */
/* region.add, region.remove, region.link, region.break, region.restore, region.add_defaults. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "model.h"
#include "pb-macro.h"

static int
lookup_region(struct pbd_lab *lab, json_t *params, const char *param, struct pbl_region **ret,
              struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, param));

        *ret = name ? pbl_lab_region(lab->engine, name) : NULL;
        if (*ret)
                return 0;
        pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_REGION, "no region named '%s' in lab '%s'",
                      name ? name : "", lab->name);
        snprintf(reterr->parameter, sizeof(reterr->parameter), "%s", param);
        return -ENOENT;
}

/* Looks up "a" and "b" and the link between them. */
static int
lookup_link(struct pbd_call *call, json_t *params, struct pbd_lab **ret_lab,
            struct pbl_region_link **ret, struct pb_rpc_error *reterr)
{
        struct pbl_region *a = NULL, *b = NULL;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, ret_lab, reterr);
        r = r ?: lookup_region(*ret_lab, params, "a", &a, reterr);
        r = r ?: lookup_region(*ret_lab, params, "b", &b, reterr);
        if (r < 0)
                return r;
        *ret = pbl_region_link_find((*ret_lab)->engine, a, b);
        if (*ret)
                return 0;
        pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_REGION, "regions '%s' and '%s' are not linked",
                      a->name, b->name);
        snprintf(reterr->parameter, sizeof(reterr->parameter), "b");
        return -ENOENT;
}

/* Builds a region with its backbone's daemon-side configuration. */
static int
add_region(struct pbd_lab *lab, const char *name, struct pbl_region **ret, struct pbl_status *st)
{
        struct pbd_router_cfg *cfg = pbd_router_cfg_new();
        int r;

        if (!cfg)
                return -ENOMEM;
        r = pbl_region_add(lab->engine, name, ret, st);
        if (r < 0) {
                pbd_router_cfg_free(cfg);
                return r;
        }
        (*ret)->router->ext = cfg;
        return 0;
}

static int
remove_region(struct pbd_lab *lab, struct pbl_region *rg, struct pbl_status *st)
{
        struct pbd_router_cfg *cfg = rg->router->ext;
        struct pbl_region_link *l;
        int r;

        TAILQ_FOREACH (l, &lab->engine->region_links, link)
                if (l->a == rg || l->b == rg) {
                        json_decref(l->ext);
                        l->ext = NULL;
                }
        r = pbl_region_remove(lab->engine, rg, st);
        if (r >= 0)
                pbd_router_cfg_free(cfg);
        return r;
}

static int
link_regions(struct pbd_lab *lab, struct pbl_region *a, struct pbl_region *b, json_t *cond,
             const char *param, struct pbl_status *st, struct pb_rpc_error *reterr)
{
        struct pbl_region_link *l;
        struct pbl_condition c;
        int r;

        r = pbd_condition_from_json(cond, &c, param, reterr);
        if (r < 0)
                return r;
        r = pbl_region_link(lab->engine, a, b, &c, &l, st);
        if (r < 0)
                return pbd_status_to_error(st, r, reterr);
        l->ext = json_incref(cond ? cond : json_null());
        pbd_event(lab, "region_linked",
                  json_pack("{s:s, s:s, s:O}", "a", a->name, "b", b->name, "condition", l->ext));
        return 0;
}

int
pbd_apply_region_add(struct pbd_lab *lab, json_t *params, json_t **ret_result,
                     struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "name"));
        struct pbl_status st = { 0 };
        struct pbl_region *rg = NULL;
        int r;

        r = add_region(lab, name, &rg, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        *ret_result = pbd_region_json(rg);
        pbd_event(lab, "region_added", json_pack("{s:O}", "region", *ret_result));
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_add(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        return r < 0 ? r : pbd_apply_region_add(lab, params, ret_result, reterr);
}

static int
method_remove(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_region *rg = NULL;
        struct pbd_lab *lab;
        json_t *res;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        r = r ?: lookup_region(lab, params, "name", &rg, reterr);
        if (r < 0)
                return r;
        res = pbd_region_json(rg);
        if (!res)
                return -ENOMEM;
        r = remove_region(lab, rg, &st);
        if (r < 0) {
                json_decref(res);
                return pbd_status_to_error(&st, r, reterr);
        }
        pbd_event(lab, "region_removed", json_pack("{s:O}", "name", json_object_get(res, "name")));
        *ret_result = res;
        return 0;
}

int
pbd_apply_region_link(struct pbd_lab *lab, json_t *params, struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_region *a = NULL, *b = NULL;
        int r;

        r = lookup_region(lab, params, "a", &a, reterr);
        r = r ?: lookup_region(lab, params, "b", &b, reterr);
        return r
                       ?: link_regions(lab, a, b, json_object_get(params, "condition"), "condition",
                                       &st, reterr);
}

static int
method_link(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        r = r ?: pbd_apply_region_link(lab, params, reterr);
        if (r < 0)
                return r;
        *ret_result = json_object();
        return *ret_result ? 0 : -ENOMEM;
}

static int
set_broken(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr,
           bool broken)
{
        struct pbl_status st = { 0 };
        struct pbl_region_link *l;
        struct pbd_lab *lab;
        int r;

        r = lookup_link(call, params, &lab, &l, reterr);
        if (r < 0)
                return r;
        r = pbl_region_link_set_broken(lab->engine, l, broken, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_event(lab, broken ? "region_broken" : "region_restored",
                  json_pack("{s:s, s:s}", "a", l->a->name, "b", l->b->name));
        *ret_result = json_object();
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_break(struct pbd_call *call, json_t *params, json_t **ret_result,
             struct pb_rpc_error *reterr)
{
        return set_broken(call, params, ret_result, reterr, true);
}

static int
method_restore(struct pbd_call *call, json_t *params, json_t **ret_result,
               struct pb_rpc_error *reterr)
{
        return set_broken(call, params, ret_result, reterr, false);
}

/* SPEC §5: us, eu, asia; one-way latencies between them. */
static const char *const default_names[] = { "us", "eu", "asia" };
static const struct {
        int a, b;
        int latency_ms;
} default_links[] = { { 0, 1, 40 }, { 0, 2, 95 }, { 1, 2, 120 } };

static int
method_add_defaults(struct pbd_call *call, json_t *params, json_t **ret_result,
                    struct pb_rpc_error *reterr)
{
        struct pbl_region *rg[ELEMENTSOF(default_names)] = { NULL };
        struct pbl_status st = { 0 };
        json_auto_t *res = json_array();
        struct pbd_lab *lab;
        size_t n = 0;
        int r;

        if (!res)
                return -ENOMEM;
        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(default_names); i++)
                if (pbl_lab_region(lab->engine, default_names[i])) {
                        pb_rpc_errorf(reterr, PB_ERR_NAME_TAKEN,
                                      "lab '%s' already has a region '%s'", lab->name,
                                      default_names[i]);
                        return -EEXIST;
                }
        /* All or nothing: a failure removes what was built. */
        for (; n < ELEMENTSOF(default_names) && r >= 0; n++)
                r = add_region(lab, default_names[n], &rg[n], &st);
        if (r < 0)
                n--;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(default_links); i++) {
                json_auto_t *cond = json_pack("{s:i}", "latency_ms", default_links[i].latency_ms);
                struct pbl_region_link *l;
                struct pbl_condition c = { .latency_ms = default_links[i].latency_ms };

                if (!cond) {
                        r = -ENOMEM;
                        break;
                }
                r = pbl_region_link(lab->engine, rg[default_links[i].a], rg[default_links[i].b], &c,
                                    &l, &st);
                if (r >= 0)
                        l->ext = json_incref(cond);
        }
        if (r < 0) {
                struct pbl_status scratch = { 0 };

                while (n-- > 0)
                        (void)remove_region(lab, rg[n], &scratch);
                return pbd_status_to_error(&st, r, reterr);
        }
        for (size_t i = 0; i < ELEMENTSOF(rg); i++) {
                json_t *j = pbd_region_json(rg[i]);

                pbd_event(lab, "region_added", json_pack("{s:O}", "region", j));
                if (json_array_append_new(res, j) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < ELEMENTSOF(default_links); i++) {
                struct pbl_region_link *l = pbl_region_link_find(
                        lab->engine, rg[default_links[i].a], rg[default_links[i].b]);

                pbd_event(lab, "region_linked",
                          json_pack("{s:s, s:s, s:O}", "a", l->a->name, "b", l->b->name,
                                    "condition", l->ext));
        }
        *ret_result = json_incref(res);
        return 0;
}

const struct pbd_method pbd_methods_region[] = {
        { "region.add", method_add, PBD_METHOD_MUTATES },
        { "region.add_defaults", method_add_defaults, PBD_METHOD_MUTATES },
        { "region.break", method_break, PBD_METHOD_MUTATES },
        { "region.link", method_link, PBD_METHOD_MUTATES },
        { "region.remove", method_remove, PBD_METHOD_MUTATES },
        { "region.restore", method_restore, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_region_count = ELEMENTSOF(pbd_methods_region);
