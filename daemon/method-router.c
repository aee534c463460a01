/* SPDX-License-Identifier: MIT */
/* router.add, router.get, router.remove: presets, validation, JSON. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "model.h"
#include "pb-macro.h"

/* SPEC §4: what each preset sets; explicit fields override. */
static const struct preset {
        const char *name;
        const char *nat, *nat_v6, *firewall;
        enum pbl_ip_support ip_support;
        enum pbl_pool pool;
} presets[] = {
        { "home", "home", "none", "block-inbound", PBL_IP_DUAL_STACK, PBL_POOL_PRIVATE },
        { "public", "none", "none", "none", PBL_IP_DUAL_STACK, PBL_POOL_PUBLIC },
        { "public-v4", "none", "none", "none", PBL_IP_V4_ONLY, PBL_POOL_PUBLIC },
        { "isp-cgnat", "cgnat", "none", "none", PBL_IP_DUAL_STACK, PBL_POOL_PRIVATE },
        { "isp-v6", "none", "nat64", "block-inbound", PBL_IP_V6_ONLY, PBL_POOL_PUBLIC },
        { "corporate", "corporate", "none", "corporate", PBL_IP_DUAL_STACK, PBL_POOL_PRIVATE },
        { "hotel", "corporate", "none", "captive-portal", PBL_IP_V4_ONLY, PBL_POOL_PRIVATE },
        { "cloud", "cloud-nat", "none", "none", PBL_IP_DUAL_STACK, PBL_POOL_PRIVATE },
};

static enum pbl_ip_support
ip_support_from(const char *s)
{
        if (strcmp(s, "v6-only") == 0)
                return PBL_IP_V6_ONLY;
        if (strcmp(s, "dual-stack") == 0)
                return PBL_IP_DUAL_STACK;
        return PBL_IP_V4_ONLY;
}

/* Resolves preset and explicit fields into 'spec' and 'cfg'. */
static int
resolve(json_t *params, struct pbl_router_spec *spec, struct pbd_router_cfg *cfg,
        struct pbl_condition *downlink, struct pb_rpc_error *reterr)
{
        const char *preset = json_string_value(json_object_get(params, "preset"));
        const char *nat = json_string_value(json_object_get(params, "nat"));
        const char *nat_v6 = json_string_value(json_object_get(params, "nat_v6"));
        const char *ip = json_string_value(json_object_get(params, "ip_support"));
        const char *cidr = json_string_value(json_object_get(params, "downstream_cidr"));
        json_t *nat_config = json_object_get(params, "nat_config");
        json_t *firewall = json_object_get(params, "firewall");
        json_t *cond = json_object_get(params, "downlink_condition");
        const struct preset *p = NULL;
        int r;

        if (nat && nat_config)
                return pb_rpc_error_param(reterr, "nat_config",
                                          "give either nat or nat_config, not both");
        for (size_t i = 0; preset && i < ELEMENTSOF(presets); i++)
                if (strcmp(presets[i].name, preset) == 0)
                        p = &presets[i];
        if (p) {
                snprintf(cfg->preset, sizeof(cfg->preset), "%s", p->name);
                snprintf(cfg->nat, sizeof(cfg->nat), "%s", p->nat);
                snprintf(cfg->nat_v6, sizeof(cfg->nat_v6), "%s", p->nat_v6);
                json_decref(cfg->firewall);
                cfg->firewall = json_string(p->firewall);
                spec->ip_support = p->ip_support;
                spec->pool = p->pool;
        }
        if (nat)
                snprintf(cfg->nat, sizeof(cfg->nat), "%s", nat);
        if (nat_config) {
                snprintf(cfg->nat, sizeof(cfg->nat), "custom");
                cfg->nat_config = json_incref(nat_config);
        }
        if (nat_v6)
                snprintf(cfg->nat_v6, sizeof(cfg->nat_v6), "%s", nat_v6);
        if (firewall) {
                json_decref(cfg->firewall);
                cfg->firewall = json_incref(firewall);
        }
        if (ip)
                spec->ip_support = ip_support_from(ip);
        /* Without a preset, or when NAT is set explicitly, the pool follows the NAT. */
        if (!p || nat || nat_config)
                spec->pool = strcmp(cfg->nat, "none") == 0 ? PBL_POOL_PUBLIC : PBL_POOL_PRIVATE;
        cfg->block_icmp_frag_needed =
                json_is_true(json_object_get(params, "block_icmp_frag_needed"));
        if (cond) {
                json_decref(cfg->downlink_condition);
                cfg->downlink_condition = json_incref(cond);
        }
        if (cidr) {
                if (pbl_prefix_parse(cidr, false, &spec->downstream_cidr) < 0)
                        return pb_rpc_error_param(reterr, "downstream_cidr",
                                                  "downstream_cidr '%s' is not a network prefix "
                                                  "(host bits must be zero)",
                                                  cidr);
                spec->has_downstream_cidr = true;
        }
        spec->mtu = (unsigned)json_integer_value(json_object_get(params, "mtu"));

        r = pbd_policy_from_cfg(cfg, &spec->policy, reterr);
        r = r ?: pbd_condition_from_json(cond, downlink, "downlink_condition", reterr);
        if (r < 0)
                return r;
        spec->downlink = downlink;
        return 0;
}

static int
lookup_router(struct pbd_call *call, json_t *params, struct pbd_lab **ret_lab,
              struct pbl_router **ret, struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "name"));
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, ret_lab, reterr);
        if (r < 0)
                return r;
        *ret = pbl_lab_router((*ret_lab)->engine, name);
        if (!*ret) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE, "no router named '%s' in lab '%s'", name,
                              (*ret_lab)->name);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "name");
                return -ENOENT;
        }
        return 0;
}

int
pbd_apply_router_add(struct pbd_lab *lab, json_t *params, json_t **ret_result,
                     struct pb_rpc_error *reterr)
{
        struct pbl_router_spec spec = {
                .name = json_string_value(json_object_get(params, "name")),
                .upstream = json_string_value(json_object_get(params, "upstream")),
                .ip_support = PBL_IP_V4_ONLY,
        };
        const char *region = json_string_value(json_object_get(params, "region"));
        struct pbd_router_cfg *cfg = pbd_router_cfg_new();
        struct pbl_condition downlink;
        struct pbl_status st = { 0 };
        struct pbl_router *router;
        int r;

        if (!cfg)
                return -ENOMEM;
        r = resolve(params, &spec, cfg, &downlink, reterr);
        if (r >= 0 && region) {
                spec.region = pbl_lab_region(lab->engine, region);
                if (!spec.region) {
                        pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_REGION,
                                      "no region named '%s' in lab '%s'", region, lab->name);
                        snprintf(reterr->parameter, sizeof(reterr->parameter), "region");
                        r = -ENOENT;
                }
        }
        if (r < 0) {
                pbd_router_cfg_free(cfg);
                return r;
        }
        r = pbl_router_add(lab->engine, &spec, &router, &st);
        if (r < 0) {
                pbd_router_cfg_free(cfg);
                return pbd_status_to_error(&st, r, reterr);
        }
        router->ext = cfg;
        *ret_result = pbd_router_json(router);
        pbd_event(lab, "router_added", json_pack("{s:O}", "router", *ret_result));
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_add(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        return r < 0 ? r : pbd_apply_router_add(lab, params, ret_result, reterr);
}

static int
method_get(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbl_router *router;
        struct pbd_lab *lab;
        int r;

        r = lookup_router(call, params, &lab, &router, reterr);
        if (r < 0)
                return r;
        *ret_result = pbd_router_json(router);
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_remove(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_router *router;
        struct pbd_router_cfg *cfg;
        struct pbd_lab *lab;
        char name[PBL_NAME_MAX];
        int r;

        r = lookup_router(call, params, &lab, &router, reterr);
        if (r < 0)
                return r;
        if (router->n_children > 0) /* Checked first: nothing of it may be touched. */
                return pbd_status_to_error(&st, pbl_router_remove(lab->engine, router, &st),
                                           reterr);
        pbd_proc_node_gone(lab, &router->node);
        pbd_probe_node_gone(lab, &router->node);
        pbd_capture_node_gone(lab, &router->node);
        cfg = router->ext;
        snprintf(name, sizeof(name), "%s", router->node.name);
        r = pbl_router_remove(lab->engine, router, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_router_cfg_free(cfg);
        pbd_capture_sweep(lab); /* Its uplink's other end went with it. */
        pbd_event(lab, "router_removed", json_pack("{s:s}", "name", name));
        *ret_result = json_object();
        return 0;
}

/* Applies 'next' to 'router' (one nf_tables transaction); keeps 'cfg' on success. */
static int
apply(struct pbl_router *router, struct pbd_router_cfg *next, struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_policy policy;
        int r;

        r = pbd_policy_from_cfg(next, &policy, reterr);
        if (r < 0)
                return r;
        r = pbl_router_set_policy(router, &policy, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        return 0;
}

/* A copy of the router's configuration to modify. */
static struct pbd_router_cfg *
cfg_copy(const struct pbd_router_cfg *c)
{
        struct pbd_router_cfg *n = pbd_router_cfg_new();

        if (!n)
                return NULL;
        json_decref(n->firewall);
        json_decref(n->downlink_condition);
        *n = *c;
        json_incref(n->firewall);
        json_incref(n->downlink_condition);
        json_incref(n->nat_config);
        return n;
}

static int
change(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr,
       const char *kind, void (*edit)(struct pbd_router_cfg *, json_t *))
{
        struct pbd_router_cfg *next;
        struct pbl_router *router;
        struct pbd_lab *lab;
        json_t *ev;
        int r;

        r = lookup_router(call, params, &lab, &router, reterr);
        if (r < 0)
                return r;
        next = cfg_copy(router_cfg(router));
        if (!next)
                return -ENOMEM;
        edit(next, params);
        r = apply(router, next, reterr);
        if (r < 0) {
                pbd_router_cfg_free(next);
                return r;
        }
        pbd_router_cfg_free(router->ext);
        router->ext = next;
        *ret_result = pbd_router_json(router);
        ev = json_pack("{s:s}", "router", router->node.name);
        if (ev && *ret_result) {
                static const char *const fields[] = { "nat", "nat_config", "nat_v6", "firewall",
                                                      "block_icmp_frag_needed" };

                for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                        if (json_object_get(params, fields[i]) ||
                            (strcmp(kind, "nat_changed") == 0 && i < 2) ||
                            (strcmp(kind, "firewall_changed") == 0 && i >= 3))
                                json_object_set(ev, fields[i],
                                                json_object_get(*ret_result, fields[i]));
        }
        pbd_event(lab, kind, ev);
        return *ret_result ? 0 : -ENOMEM;
}

static void
edit_nat(struct pbd_router_cfg *c, json_t *params)
{
        json_t *config = json_object_get(params, "nat_config");
        const char *nat = json_string_value(json_object_get(params, "nat"));

        json_decref(c->nat_config);
        c->nat_config = json_incref(config);
        snprintf(c->nat, sizeof(c->nat), "%s", config ? "custom" : nat);
}

static void
edit_nat_v6(struct pbd_router_cfg *c, json_t *params)
{
        snprintf(c->nat_v6, sizeof(c->nat_v6), "%s",
                 json_string_value(json_object_get(params, "nat_v6")));
}

static void
edit_firewall(struct pbd_router_cfg *c, json_t *params)
{
        json_t *block = json_object_get(params, "block_icmp_frag_needed");

        json_decref(c->firewall);
        c->firewall = json_incref(json_object_get(params, "firewall"));
        if (block)
                c->block_icmp_frag_needed = json_is_true(block);
}

static int
method_set_nat(struct pbd_call *call, json_t *params, json_t **ret_result,
               struct pb_rpc_error *reterr)
{
        bool nat = json_object_get(params, "nat"), config = json_object_get(params, "nat_config");

        if (nat == config)
                return pb_rpc_error_param(reterr, nat ? "nat_config" : "nat",
                                          "give exactly one of nat and nat_config");
        return change(call, params, ret_result, reterr, "nat_changed", edit_nat);
}

static int
method_set_nat_v6(struct pbd_call *call, json_t *params, json_t **ret_result,
                  struct pb_rpc_error *reterr)
{
        return change(call, params, ret_result, reterr, "nat_v6_changed", edit_nat_v6);
}

static int
method_set_firewall(struct pbd_call *call, json_t *params, json_t **ret_result,
                    struct pb_rpc_error *reterr)
{
        return change(call, params, ret_result, reterr, "firewall_changed", edit_firewall);
}

static int
method_flush_nat(struct pbd_call *call, json_t *params, json_t **ret_result,
                 struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_router *router;
        struct pbd_lab *lab;
        int r;

        r = lookup_router(call, params, &lab, &router, reterr);
        if (r < 0)
                return r;
        r = pbl_router_flush_nat(router, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_event(lab, "nat_flushed", json_pack("{s:s}", "router", router->node.name));
        *ret_result = json_object();
        return 0;
}

static int
method_set_downlink_condition(struct pbd_call *call, json_t *params, json_t **ret_result,
                              struct pb_rpc_error *reterr)
{
        json_t *cond = json_object_get(params, "condition");
        struct pbl_status st = { 0 };
        struct pbd_router_cfg *cfg;
        struct pbl_router *router;
        struct pbl_condition c;
        struct pbd_lab *lab;
        int r;

        r = lookup_router(call, params, &lab, &router, reterr);
        r = r ?: pbd_condition_from_json(cond, &c, "condition", reterr);
        if (r < 0)
                return r;
        r = pbl_router_set_downlink(router, &c, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        cfg = router->ext;
        json_decref(cfg->downlink_condition);
        cfg->downlink_condition = json_incref(cond ? cond : json_null());
        pbd_event(lab, "condition_changed",
                  json_pack("{s:s, s:s, s:O}", "target", "downlink", "router", router->node.name,
                            "condition", cfg->downlink_condition));
        *ret_result = pbd_router_json(router);
        return *ret_result ? 0 : -ENOMEM;
}

const struct pbd_method pbd_methods_router[] = {
        { "router.add", method_add, PBD_METHOD_MUTATES },
        { "router.flush_nat", method_flush_nat, PBD_METHOD_MUTATES },
        { "router.get", method_get, 0 },
        { "router.remove", method_remove, PBD_METHOD_MUTATES },
        { "router.set_downlink_condition", method_set_downlink_condition, PBD_METHOD_MUTATES },
        { "router.set_firewall", method_set_firewall, PBD_METHOD_MUTATES },
        { "router.set_nat", method_set_nat, PBD_METHOD_MUTATES },
        { "router.set_nat_v6", method_set_nat_v6, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_router_count = ELEMENTSOF(pbd_methods_router);
