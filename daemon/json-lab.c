/* SPDX-License-Identifier: MIT */
/* JSON views of labs, routers, devices and interfaces (lab.state and friends). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "daemon.h"
#include "labs.h"
#include "model.h"
#include "pb-macro.h"

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
        struct pbl_router *r;
        struct pbl_device *d;

        TAILQ_FOREACH (r, &lab->routers, link) {
                pbd_router_cfg_free(r->ext);
                r->ext = NULL;
        }
        TAILQ_FOREACH (d, &lab->devices, link)
                pbd_device_free_ext(d);
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

json_t *
pbd_router_json(const struct pbl_router *r)
{
        const struct pbd_router_cfg *c = router_cfg(r);

        return json_pack(
                "{s:s, s:s?, s:{s:s, s:o, s:o, s:o, s:s}, "
                "s:{s:o, s:o, s:o, s:o, s:o, s:s}, s:s, s:O?, s:s, s:O, s:b, s:s, s:o, s:s?, "
                "s:s?, s:O, s:o, s:o}",
                "name", r->node.name, "preset", c->preset[0] ? c->preset : NULL, "uplink", "iface",
                r->wan_name, "ip", pbd_json_ip(&r->wan4), "ip6", pbd_json_ip(&r->wan6), "ll6",
                pbd_json_ip(&r->wan_ll6), "peer", r->port_name, "downstream", "cidr",
                pbd_json_prefix(&r->lan.v4), "gw", pbd_json_ip(&r->lan.gw4), "cidr6",
                pbd_json_prefix(&r->lan.v6), "gw6", pbd_json_ip(&r->lan.gw6), "ll6",
                pbd_json_ip(&r->lan.ll6), "bridge", "br-lan", "nat", c->nat, "nat_config",
                c->nat_config, "nat_v6", c->nat_v6, "firewall", c->firewall,
                "block_icmp_frag_needed", c->block_icmp_frag_needed, "ip_support",
                ip_support_name(r->ip_support), "mtu", r->mtu ? json_integer(r->mtu) : json_null(),
                "region", c->region[0] ? c->region : NULL, "upstream",
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
pbd_lab_summary(struct pbd_lab *lab)
{
        return json_pack("{s:s, s:s, s:s?, s:s, s:o, s:i, s:i, s:i, s:i}", "name", lab->name,
                         "lifetime", lab->lifetime == PBD_LIFETIME_SESSION ? "session" : "daemon",
                         "outdir", lab->outdir, "created", lab->created, "ix",
                         pbd_ix_json(lab->engine), "routers", (int)lab->engine->n_routers,
                         "devices", (int)lab->engine->n_devices, "regions", 0, "procs",
                         (int)pbd_proc_count_running(lab));
}

json_t *
pbd_lab_state(struct pbd_lab *lab)
{
        json_auto_t *routers = json_array(), *devices = json_array();
        struct pbl_router *r;
        struct pbl_device *d;

        if (!routers || !devices)
                return NULL;
        TAILQ_FOREACH (r, &lab->engine->routers, link)
                if (json_array_append_new(routers, pbd_router_json(r)) < 0)
                        return NULL;
        TAILQ_FOREACH (d, &lab->engine->devices, link)
                if (json_array_append_new(devices, pbd_device_json(d)) < 0)
                        return NULL;
        return json_pack("{s:s, s:s, s:s?, s:s, s:I, s:o, s:O, s:O, s:[], s:[], s:[], s:o, s:o}",
                         "name", lab->name, "lifetime",
                         lab->lifetime == PBD_LIFETIME_SESSION ? "session" : "daemon", "outdir",
                         lab->outdir, "created", lab->created, "seq", (json_int_t)lab->seq, "ix",
                         pbd_ix_json(lab->engine), "routers", routers, "devices", devices,
                         "regions", "region_links", "links", "procs", pbd_proc_state(lab),
                         "reflectors", pbd_probe_state(lab));
}
