/* SPDX-License-Identifier: MIT */
/* JSON views of labs, routers, devices and interfaces (lab.state and friends). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "daemon.h"
#include "labs.h"
#include "model.h"
#include "nat64.h"
#include "pb-macro.h"
#include "shape.h"

struct pbd_router_cfg *
pbd_router_cfg_new(void)
{
        struct pbd_router_cfg *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        strcpy(c->nat, "none");
        strcpy(c->nat_v6, "none");
        c->firewall = json_string("none");
        c->downlink_condition = json_null();
        c->uplink_condition = json_null();
        strcpy(c->uplink_direction, "up");
        if (!c->firewall) {
                free(c);
                return NULL;
        }
        return c;
}

void
pbd_router_cfg_free(struct pbd_router_cfg *c)
{
        if (!c)
                return;
        json_decref(c->nat_config);
        json_decref(c->firewall);
        json_decref(c->downlink_condition);
        json_decref(c->uplink_condition);
        free(c);
}

struct pbd_iface_cfg *
pbd_iface_cfg_new(void)
{
        struct pbd_iface_cfg *c = calloc(1, sizeof(*c));

        if (!c)
                return NULL;
        c->condition = json_null();
        strcpy(c->direction, "up");
        return c;
}

void
pbd_iface_cfg_free(struct pbd_iface_cfg *c)
{
        if (!c)
                return;
        json_decref(c->condition);
        free(c);
}

void
pbd_device_free_ext(struct pbl_device *d)
{
        struct pbl_iface *i;

        TAILQ_FOREACH (i, &d->ifaces, link) {
                pbd_iface_cfg_free(i->ext);
                i->ext = NULL;
        }
}

void
pbd_lab_free_ext(struct pbl_lab *lab)
{
        struct pbl_region_link *l;
        struct pbl_router *r;
        struct pbl_device *d;

        TAILQ_FOREACH (r, &lab->routers, link) {
                pbd_router_cfg_free(r->ext);
                r->ext = NULL;
        }
        TAILQ_FOREACH (d, &lab->devices, link)
                pbd_device_free_ext(d);
        TAILQ_FOREACH (l, &lab->region_links, link) {
                json_decref(l->ext);
                l->ext = NULL;
        }
}

json_t *
pbd_json_ip(const struct pbl_ip *ip)
{
        char buf[PBL_IP_STRLEN];

        return ip->family ? json_string(pbl_ip_str(ip, buf)) : json_null();
}

json_t *
pbd_json_prefix(const struct pbl_prefix *p)
{
        char buf[50];

        return p->ip.family ? json_string(pbl_prefix_str(p, buf)) : json_null();
}

static const char *
ip_support_name(enum pbl_ip_support s)
{
        switch (s) {
        case PBL_IP_V4_ONLY: return "v4-only";
        case PBL_IP_V6_ONLY: return "v6-only";
        case PBL_IP_DUAL_STACK: return "dual-stack";
        }
        return "?";
}

json_t *
pbd_ix_json(const struct pbl_lab *lab)
{
        return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "bridge", "ix", "gw4",
                         pbd_json_ip(&lab->ix_gw4), "gw6", pbd_json_ip(&lab->ix_gw6), "cidr4",
                         pbd_json_prefix(&lab->plan.ix4), "cidr6", pbd_json_prefix(&lab->plan.ix6),
                         "ll6", pbd_json_ip(&lab->ix_ll6));
}

static json_t *
router_devices(const struct pbl_router *r)
{
        json_t *arr = json_array();
        const struct pbl_device *d;
        const struct pbl_iface *i;

        if (!arr)
                return NULL;
        TAILQ_FOREACH (d, &r->node.lab->devices, link)
                TAILQ_FOREACH (i, &d->ifaces, link)
                        if (i->router == r) {
                                json_array_append_new(arr, json_string(d->node.name));
                                break;
                        }
        return arr;
}

static json_t *
router_children(const struct pbl_router *r)
{
        json_t *arr = json_array();
        const struct pbl_router *c;

        if (!arr)
                return NULL;
        TAILQ_FOREACH (c, &r->node.lab->routers, link)
                if (c->upstream == r)
                        json_array_append_new(arr, json_string(c->node.name));
        return arr;
}

static json_t *router_json_base(const struct pbl_router *r, const struct pbd_router_cfg *c);

/* The NAT64 translator's counters, or null without one. */
static json_t *
nat64_json(const struct pbl_router *r)
{
        struct pbl_nat64_stats st;
        json_t *drops;

        if (pbl_nat64_stats(r, &st) < 0 || !(drops = json_object()))
                return json_null();
        for (int v = PBL_SIIT_OK + 1; v < _PBL_SIIT_VERDICT_MAX; v++)
                if (st.drops[v])
                        json_object_set_new(drops, pbl_siit_verdict_name(v),
                                            json_integer((json_int_t)st.drops[v]));
        return json_pack("{s:s, s:s, s:I, s:I, s:I, s:o, s:I, s:I, s:i}", "prefix", "64:ff9b::/96",
                         "pool", PBL_NAT64_POOL, "translated_v6_to_v4", (json_int_t)st.v6_to_v4,
                         "translated_v4_to_v6", (json_int_t)st.v4_to_v6, "dropped",
                         (json_int_t)st.dropped, "drops", drops, "ignored", (json_int_t)st.ignored,
                         "write_errors", (json_int_t)st.write_errors, "clients", (int)st.clients);
}

json_t *
pbd_router_json(const struct pbl_router *r)
{
        const struct pbd_router_cfg *c = router_cfg(r);
        json_t *o = router_json_base(r, c);

        if (o && json_object_set_new(o, "nat64", nat64_json(r)) < 0)
                o = (json_decref(o), NULL);
        return o;
}

static json_t *
router_json_base(const struct pbl_router *r, const struct pbd_router_cfg *c)
{
        return json_pack(
                "{s:s, s:s?, s:{s:s, s:o, s:o, s:o, s:s, s:O, s:s}, "
                "s:{s:o, s:o, s:o, s:o, s:o, s:s}, s:s, s:O?, s:s, s:O, s:b, s:s, s:o, s:s?, "
                "s:s?, s:O, s:o, s:o}",
                "name", r->node.name, "preset", c->preset[0] ? c->preset : NULL, "uplink", "iface",
                r->wan_name, "ip", pbd_json_ip(&r->wan4), "ip6", pbd_json_ip(&r->wan6), "ll6",
                pbd_json_ip(&r->wan_ll6), "peer", r->port_name, "condition", c->uplink_condition,
                "direction", c->uplink_direction, "downstream", "cidr", pbd_json_prefix(&r->lan.v4),
                "gw", pbd_json_ip(&r->lan.gw4), "cidr6", pbd_json_prefix(&r->lan.v6), "gw6",
                pbd_json_ip(&r->lan.gw6), "ll6", pbd_json_ip(&r->lan.ll6), "bridge", "br-lan",
                "nat", c->nat, "nat_config", c->nat_config, "nat_v6", c->nat_v6, "firewall",
                c->firewall, "block_icmp_frag_needed", c->block_icmp_frag_needed, "ip_support",
                ip_support_name(r->ip_support), "mtu", r->mtu ? json_integer(r->mtu) : json_null(),
                "region", r->region ? r->region->name : NULL, "upstream",
                r->upstream ? r->upstream->node.name : NULL, "downlink_condition",
                c->downlink_condition, "devices", router_devices(r), "routers", router_children(r));
}

json_t *
pbd_iface_json(const struct pbl_iface *i)
{
        const struct pbd_iface_cfg *c = iface_cfg(i);
        json_t *extra = json_array();

        if (!extra)
                return NULL;
        for (unsigned k = 0; k < i->n_extra; k++)
                json_array_append_new(extra, pbd_json_prefix(&i->extra[k]));
        return json_pack(
                "{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:O, s:s, s:b, s:s}", "name", i->name,
                "router", i->router->node.name, "ip", pbd_json_ip(&i->ip4), "prefix",
                i->ip4.family ? json_integer(i->router->lan.v4.len) : json_null(), "ip6",
                pbd_json_ip(&i->ip6), "ll6", pbd_json_ip(&i->ll6), "gw",
                pbd_json_ip(&i->router->lan.gw4), "extra_ips", extra, "condition", c->condition,
                "direction", c->direction, "up", i->up, "peer", i->port_name);
}

json_t *
pbd_device_json(const struct pbl_device *d)
{
        const struct pbl_iface *i, *def = d->default_via;
        json_t *ifaces = json_array();

        if (!ifaces)
                return NULL;
        TAILQ_FOREACH (i, &d->ifaces, link)
                if (json_array_append_new(ifaces, pbd_iface_json(i)) < 0) {
                        json_decref(ifaces);
                        return NULL;
                }
        return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o}", "name", d->node.name, "ifaces", ifaces,
                         "default_via", def->name, "ip", pbd_json_ip(&def->ip4), "ip6",
                         pbd_json_ip(&def->ip6), "mtu",
                         d->mtu ? json_integer(d->mtu) : json_null());
}

json_t *
pbd_region_json(const struct pbl_region *rg)
{
        const struct pbl_region_link *l;
        json_t *links = json_array();

        if (!links)
                return NULL;
        TAILQ_FOREACH (l, &rg->router->node.lab->region_links, link)
                if (l->a == rg || l->b == rg)
                        json_array_append_new(links,
                                              json_string(l->a == rg ? l->b->name : l->a->name));
        return json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", rg->name, "router",
                         rg->router->node.name, "cidr4", pbd_json_prefix(&rg->block4), "cidr6",
                         pbd_json_prefix(&rg->block6), "links", links);
}

json_t *
pbd_region_link_json(const struct pbl_region_link *l)
{
        return json_pack(
                "{s:s, s:s, s:O, s:b, s:o, s:o, s:s, s:s, s:s, s:s}", "a", l->a->name, "b",
                l->b->name, "condition", l->ext ? l->ext : json_null(), "broken", l->broken,
                "a_to_b", pbd_condition_json(&l->ab), "b_to_a", pbd_condition_json(&l->ba),
                "shaper_a_to_b", pbl_shape_backend(l->ab_shape), "shaper_b_to_a",
                pbl_shape_backend(l->ba_shape), "iface_a", l->a_ifname, "iface_b", l->b_ifname);
}

/* One link's entry: a is the child side, b the parent side. */
static int
append_link(json_t *arr, const char *a, const char *a_iface, const char *b, const char *b_iface,
            const struct pbl_link_cond *lc)
{
        if (!lc->up && !lc->down)
                return 0;
        return json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}", "a", a, "iface_a", a_iface,
                          "b", b, "iface_b", b_iface, "a_to_b",
                          pbd_condition_json(pbl_shape_condition(lc->up)), "b_to_a",
                          pbd_condition_json(pbl_shape_condition(lc->down)), "shaper_a_to_b",
                          pbl_shape_backend(lc->up), "shaper_b_to_a", pbl_shape_backend(lc->down)));
}

json_t *
pbd_links_json(const struct pbl_lab *lab)
{
        const struct pbl_router *r;
        const struct pbl_device *d;
        const struct pbl_iface *i;
        json_t *arr = json_array();

        if (!arr)
                return NULL;
        TAILQ_FOREACH (d, &lab->devices, link)
                TAILQ_FOREACH (i, &d->ifaces, link)
                        if (append_link(arr, d->node.name, i->name, i->router->node.name,
                                        i->port_name, &i->lc) < 0)
                                goto fail;
        TAILQ_FOREACH (r, &lab->routers, link)
                if (append_link(arr, r->node.name, r->wan_name,
                                r->upstream ? r->upstream->node.name : "ix", r->port_name,
                                &r->uplink) < 0)
                        goto fail;
        return arr;
fail:
        json_decref(arr);
        return NULL;
}

json_t *
pbd_lab_summary(struct pbd_lab *lab)
{
        return json_pack("{s:s, s:s, s:s?, s:s, s:o, s:i, s:i, s:i, s:i}", "name", lab->name,
                         "lifetime", lab->lifetime == PBD_LIFETIME_SESSION ? "session" : "daemon",
                         "outdir", lab->outdir, "created", lab->created, "ix",
                         pbd_ix_json(lab->engine), "routers", (int)lab->engine->n_routers,
                         "devices", (int)lab->engine->n_devices, "regions",
                         (int)lab->engine->n_regions, "procs", (int)pbd_proc_count_running(lab));
}

json_t *
pbd_lab_state(struct pbd_lab *lab)
{
        json_auto_t *routers = json_array(), *devices = json_array(), *regions = json_array(),
                    *rlinks = json_array(), *links = pbd_links_json(lab->engine);
        struct pbl_region_link *l;
        struct pbl_region *rg;
        struct pbl_router *r;
        struct pbl_device *d;

        if (!routers || !devices || !regions || !rlinks || !links)
                return NULL;
        TAILQ_FOREACH (rg, &lab->engine->regions, link)
                if (json_array_append_new(regions, pbd_region_json(rg)) < 0)
                        return NULL;
        TAILQ_FOREACH (l, &lab->engine->region_links, link)
                if (json_array_append_new(rlinks, pbd_region_link_json(l)) < 0)
                        return NULL;
        TAILQ_FOREACH (r, &lab->engine->routers, link)
                if (json_array_append_new(routers, pbd_router_json(r)) < 0)
                        return NULL;
        TAILQ_FOREACH (d, &lab->engine->devices, link)
                if (json_array_append_new(devices, pbd_device_json(d)) < 0)
                        return NULL;
        if (pbd_counters_attach(lab, routers, devices) < 0)
                return NULL;
        return json_pack("{s:s, s:s, s:s?, s:s, s:I, s:o, s:O, s:O, s:O, s:O, s:O, s:o, s:o, s:o, "
                         "s:o}",
                         "name", lab->name, "lifetime",
                         lab->lifetime == PBD_LIFETIME_SESSION ? "session" : "daemon", "outdir",
                         lab->outdir, "created", lab->created, "seq", (json_int_t)lab->seq, "ix",
                         pbd_ix_json(lab->engine), "routers", routers, "devices", devices,
                         "regions", regions, "region_links", rlinks, "links", links, "procs",
                         pbd_proc_state(lab), "reflectors", pbd_probe_state(lab), "captures",
                         pbd_capture_state(lab), "dns", pbd_dns_state(lab));
}
