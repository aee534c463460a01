/* SPDX-License-Identifier: MIT */
/*
 * lab.export: the current model as a topology document that lab.load
 * rebuilds.  Every value that decides behaviour is written explicitly
 * (NAT, IPv6 NAT, firewall, address families, ...), in creation order, so
 * that a lab rebuilt from it numbers its nodes the same way.  Defaults
 * that carry no information (an empty array, a null condition, direction
 * "up", no MTU) are left out, so export(load(export(x))) == export(x).
 * DNS entries follow in the order their names were first added, then the
 * nameserver.  Not exported: processes, reflectors, captures, broken region
 * links, interfaces taken down, iface.add_ip addresses.
 */
#include <errno.h>
#include <string.h>

#include "apply.h"
#include "dns.h"
#include "labs.h"
#include "model.h"
#include "pb-macro.h"

/* Sets 'key' to 'v' (stolen) unless 'v' is NULL; false on ENOMEM. */
static bool
put(json_t *obj, const char *key, json_t *v)
{
        return v && json_object_set_new(obj, key, v) == 0;
}

/* Adds 'arr' (stolen) under 'key' when it is not empty. */
static bool
put_array(json_t *obj, const char *key, json_t *arr)
{
        if (!arr)
                return false;
        if (json_array_size(arr) == 0) {
                json_decref(arr);
                return true;
        }
        return put(obj, key, arr);
}

static json_t *
addressing_json(const struct pbl_addressing *plan)
{
        const struct pbd_addressing_field *fields = pbd_addressing_fields;
        struct pbl_addressing def;
        json_t *obj = json_object();

        pbl_addressing_default(&def);
        for (size_t i = 0; obj && i < pbd_addressing_fields_count; i++) {
                const struct pbl_prefix *p = (const void *)((const char *)plan + fields[i].off),
                                        *dp = (const void *)((const char *)&def + fields[i].off);
                char a[64], b[64];

                if (strcmp(pbl_prefix_str(p, a), pbl_prefix_str(dp, b)) != 0 &&
                    !put(obj, fields[i].key, json_string(a)))
                        json_decref(obj), obj = NULL;
        }
        return obj;
}

static const char *
ip_support_name(enum pbl_ip_support s)
{
        return s == PBL_IP_V6_ONLY ? "v6-only" : s == PBL_IP_DUAL_STACK ? "dual-stack" : "v4-only";
}

/* A v4 LAN that came from neither a pool nor a region block was given as downstream_cidr. */
static bool
explicit_cidr(const struct pbl_router *r)
{
        return r->lan.v4.ip.family && r->lan.pool4 < 0 && r->region_subnet < 0;
}

static json_t *
router_json(const struct pbl_router *r)
{
        const struct pbd_router_cfg *c = router_cfg(r);
        json_t *o = json_pack("{s:s}", "name", r->node.name);
        bool ok = o != NULL;

        if (ok && c->preset[0])
                ok = put(o, "preset", json_string(c->preset));
        if (ok && strcmp(c->nat, "custom") == 0 && c->nat_config)
                ok = put(o, "nat_config", json_deep_copy(c->nat_config));
        else if (ok)
                ok = put(o, "nat", json_string(c->nat));
        ok = ok && put(o, "nat_v6", json_string(c->nat_v6));
        ok = ok && put(o, "firewall", json_deep_copy(c->firewall));
        ok = ok && put(o, "ip_support", json_string(ip_support_name(r->ip_support)));
        ok = ok && put(o, "block_icmp_frag_needed", json_boolean(c->block_icmp_frag_needed));
        if (ok && r->region)
                ok = put(o, "region", json_string(r->region->name));
        else if (ok && r->upstream)
                ok = put(o, "upstream", json_string(r->upstream->node.name));
        if (ok && explicit_cidr(r))
                ok = put(o, "downstream_cidr", pbd_json_prefix(&r->lan.v4));
        if (ok && r->mtu)
                ok = put(o, "mtu", json_integer(r->mtu));
        if (ok && !json_is_null(c->downlink_condition))
                ok = put(o, "downlink_condition", json_deep_copy(c->downlink_condition));
        if (!ok)
                json_decref(o);
        return ok ? o : NULL;
}

static json_t *
device_json(const struct pbl_device *d)
{
        json_t *o = json_pack("{s:s, s:[], s:s}", "name", d->node.name, "ifaces", "default_via",
                              d->default_via->name);
        const struct pbl_iface *i;
        bool ok = o != NULL;

        TAILQ_FOREACH (i, &d->ifaces, link) {
                const struct pbd_iface_cfg *c = iface_cfg(i);
                json_t *f =
                        json_pack("{s:s, s:s}", "name", i->name, "router", i->router->node.name);

                ok = ok && f;
                if (ok && !json_is_null(c->condition))
                        ok = put(f, "condition", json_deep_copy(c->condition));
                if (ok && strcmp(c->direction, "up") != 0)
                        ok = put(f, "direction", json_string(c->direction));
                if (!ok || json_array_append_new(json_object_get(o, "ifaces"), f) < 0) {
                        json_decref(f);
                        ok = false;
                        break;
                }
        }
        if (ok && d->mtu)
                ok = put(o, "mtu", json_integer(d->mtu));
        if (!ok)
                json_decref(o);
        return ok ? o : NULL;
}

/* A condition on a router's uplink, as the link.set_condition that set it. */
static json_t *
uplink_json(const struct pbl_router *r)
{
        const struct pbd_router_cfg *c = router_cfg(r);
        const char *dir = strcmp(c->uplink_direction, "down") == 0   ? "b-to-a"
                          : strcmp(c->uplink_direction, "both") == 0 ? "both"
                                                                     : "a-to-b";

        return json_pack("{s:s, s:s, s:O, s:s}", "a", r->node.name, "b",
                         r->upstream ? r->upstream->node.name : "ix", "condition",
                         c->uplink_condition, "direction", dir);
}

/* Host entries in their order, then the nameserver if one was set. */
static json_t *
dns_json(const struct pbl_lab *lab)
{
        const struct pbl_dns *dns = pbl_lab_dns(lab);
        json_t *arr = json_array();
        char text[PBL_IP_STRLEN];

        for (unsigned i = 0; arr && i < dns->n; i++) {
                const struct pbl_dns_entry *e = &dns->entries[i];

                if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s*}", "name", e->name, "ip",
                                                         pbl_ip_str(&e->ip, text), "device",
                                                         e->device[0] ? e->device : NULL)) < 0)
                        json_decref(arr), arr = NULL;
        }
        if (arr && dns->nameserver.family &&
            json_array_append_new(
                    arr, json_pack("{s:s}", "nameserver", pbl_ip_str(&dns->nameserver, text))) < 0)
                json_decref(arr), arr = NULL;
        return arr;
}

json_t *
pbd_lab_export(struct pbd_lab *lab)
{
        json_auto_t *doc = json_object();
        json_t *regions = json_array(), *rlinks = json_array(), *routers = json_array(),
               *devices = json_array(), *links = json_array(), *plan;
        const struct pbl_lab *e = lab->engine;
        const struct pbl_region_link *l;
        const struct pbl_region *rg;
        const struct pbl_router *r;
        const struct pbl_device *d;
        bool ok = doc && regions && rlinks && routers && devices && links;

        TAILQ_FOREACH (rg, &e->regions, link)
                ok = ok &&
                     json_array_append_new(regions, json_pack("{s:s}", "name", rg->name)) == 0;
        TAILQ_FOREACH (l, &e->region_links, link) {
                json_t *o = json_pack("{s:s, s:s}", "a", l->a->name, "b", l->b->name);
                json_t *cond = l->ext;

                if (o && cond && !json_is_null(cond) && json_object_set(o, "condition", cond) < 0)
                        json_decref(o), o = NULL;
                ok = ok && json_array_append_new(rlinks, o) == 0;
        }
        TAILQ_FOREACH (r, &e->routers, link) {
                if (!r->backbone_of)
                        ok = ok && json_array_append_new(routers, router_json(r)) == 0;
                if (!json_is_null(router_cfg(r)->uplink_condition))
                        ok = ok && json_array_append_new(links, uplink_json(r)) == 0;
        }
        TAILQ_FOREACH (d, &e->devices, link)
                ok = ok && json_array_append_new(devices, device_json(d)) == 0;

        plan = addressing_json(&e->plan);
        ok = ok && plan &&
             (json_object_size(plan) == 0 || json_object_set(doc, "addressing", plan) == 0);
        json_decref(plan);
        if (ok && e->ipv6_dad)
                ok = put(doc, "ipv6_dad", json_true());
        ok = put_array(doc, "regions", regions) && ok;
        ok = put_array(doc, "region_links", rlinks) && ok;
        ok = put_array(doc, "routers", routers) && ok;
        ok = put_array(doc, "devices", devices) && ok;
        ok = put_array(doc, "links", links) && ok;
        ok = put_array(doc, "dns", dns_json(e)) && ok;
        return ok ? json_incref(doc) : NULL;
}
