/* SPDX-License-Identifier: MIT */
/* Devices and their interfaces: veths into routers' LANs, addresses, default routes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "dns.h"
#include "lab.h"
#include "node.h"
#include "pb-macro.h"
#include "rtnl.h"

#define MAX_IFACES 32

struct pbl_iface *
pbl_device_iface(struct pbl_device *d, const char *name)
{
        struct pbl_iface *i;

        TAILQ_FOREACH (i, &d->ifaces, link)
                if (strcmp(i->name, name) == 0)
                        return i;
        return NULL;
}

/* Takes a host number on 'router's LAN and fills the iface's addresses. */
static int
assign_host(struct pbl_device *d, struct pbl_iface *i, struct pbl_router *router,
            struct pbl_status *st)
{
        int h = pbl_bitmap_take(&router->lan.hosts);

        if (h < 0)
                return pbl_fault(st, PBL_FAULT_POOL_EXHAUSTED, "router",
                                 "the LAN of router '%s' has no free address", router->node.name);
        i->router = router;
        i->host = h;
        memset(&i->ip4, 0, sizeof(i->ip4));
        memset(&i->ip6, 0, sizeof(i->ip6));
        memset(&i->ll6, 0, sizeof(i->ll6));
        if (router->lan.v4.ip.family)
                i->ip4 = pbl_prefix_host(&router->lan.v4, (uint64_t)h);
        if (router->lan.v6.ip.family) {
                i->ip6 = pbl_prefix_host(&router->lan.v6, (uint64_t)h);
                i->ll6 = pbl_ll6(d->node.lab->id, d->node.id, i->id);
        }
        return 0;
}

static void
release_host(struct pbl_iface *i)
{
        if (i->router && i->host > 0)
                pbl_bitmap_set(&i->router->lan.hosts, i->host, false);
        i->host = 0;
}

/*
 * Creates the veth of 'i': the port in the router's namespace, up and
 * enslaved to its LAN bridge, and the far end in the device, named 'name'
 * (may be a temporary name), still down.
 */
static int
wire(struct pbl_device *d, struct pbl_iface *i, const char *name, struct pbl_status *st)
{
        struct pbl_router *router = i->router;
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&router->node);
        struct pbl_veth v;
        int r;

        if (!b)
                return -ENOMEM;
        snprintf(i->port_name, sizeof(i->port_name), "v%u", i->id);
        i->port_ifindex = pbl_node_alloc_ifindex(&router->node);
        i->ifindex = pbl_node_alloc_ifindex(&d->node);
        v = (struct pbl_veth){
                .name = i->port_name,
                .ifindex = i->port_ifindex,
                .master = router->lan.bridge_ifindex,
                .peer_name = name,
                .peer_ifindex = i->ifindex,
                .peer_netfd = d->node.netfd,
                .peer_mtu = d->mtu,
                .up = true,
        };
        r = pbl_rtnl_veth(b, &v);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        if (r < 0)
                i->port_ifindex = 0;
        return r;
}

/* Deletes the router-side port; the device end goes with it. */
static void
unwire(struct pbl_iface *i)
{
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        struct pbl_error scratch = { 0 };

        if (!i->port_ifindex || !i->router || !(b = pbl_node_batch(&i->router->node)))
                return;
        if (pbl_rtnl_link_del(b, i->port_ifindex, i->port_name) == 0)
                (void)pbl_nl_batch_run(b, &scratch);
        i->port_ifindex = 0;
}

static int
queue_up(struct pbl_nl_batch *b, const struct pbl_iface *i, bool up)
{
        struct pbl_link_set set = PBL_LINK_SET_INIT(i->ifindex);

        set.up = up;
        return pbl_rtnl_link_set(b, &set);
}

static int
queue_addrs(struct pbl_nl_batch *b, const struct pbl_iface *i, bool add)
{
        const struct pbl_lan *lan = &i->router->lan;
        int r = 0;

        if (i->ip4.family)
                r = pbl_rtnl_addr(b, add, &i->ip4, lan->v4.len, i->ifindex, true);
        if (!r && i->ip6.family)
                r = pbl_rtnl_addr(b, add, &i->ip6, lan->v6.len, i->ifindex, true);
        if (!r && add && i->ll6.family)
                r = pbl_rtnl_addr(b, add, &i->ll6, 64, i->ifindex, true);
        return r;
}

/* Queues "default via <router gateway> dev <i>" for each family 'i' has. */
static int
queue_default_routes(struct pbl_nl_batch *b, const struct pbl_iface *i)
{
        const struct pbl_lan *lan = &i->router->lan;
        int r = 0;

        if (i->ip4.family) {
                struct pbl_route rt = { .dst = { .ip = { .family = AF_INET } },
                                        .gw = lan->gw4,
                                        .oif = i->ifindex };

                r = pbl_rtnl_route(b, true, true, &rt);
        }
        if (!r && i->ip6.family) {
                struct pbl_route rt = { .dst = { .ip = { .family = AF_INET6 } },
                                        .gw = lan->gw6,
                                        .oif = i->ifindex };

                r = pbl_rtnl_route(b, true, true, &rt);
        }
        return r;
}

/* Removes the default route of each family 'i' lacks (failures ignored). */
static void
drop_other_defaults(struct pbl_device *d, const struct pbl_iface *i)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&d->node);
        struct pbl_error scratch = { 0 };
        struct pbl_route v4 = { .dst = { .ip = { .family = AF_INET } } };
        struct pbl_route v6 = { .dst = { .ip = { .family = AF_INET6 } } };

        if (!b)
                return;
        if (!i->ip4.family)
                (void)pbl_rtnl_route(b, false, false, &v4);
        if (!i->ip6.family)
                (void)pbl_rtnl_route(b, false, false, &v6);
        (void)pbl_nl_batch_run(b, &scratch);
}

static struct pbl_iface *
iface_new(struct pbl_device *d, const struct pbl_iface_spec *spec)
{
        struct pbl_iface *i = calloc(1, sizeof(*i));

        if (!i)
                return NULL;
        i->dev = d;
        i->id = d->node.lab->next_id++;
        i->up = true;
        snprintf(i->name, sizeof(i->name), "%s", spec->name);
        i->lc.set = spec->condition && !pbl_condition_is_null(spec->condition);
        if (i->lc.set)
                i->lc.cond = *spec->condition;
        i->lc.dir = spec->direction ? spec->direction : PBL_DIR_UP;
        return i;
}

/* Puts the link's conditions in force, if it has any. */
static int
shape(struct pbl_iface *i, struct pbl_status *st)
{
        return pbl_iface_shaped(i) ? pbl_iface_reapply_condition(i, st) : 0;
}

void
pbl_device_free(struct pbl_device *d)
{
        struct pbl_iface *i;

        if (!d)
                return;
        while ((i = TAILQ_FIRST(&d->ifaces))) {
                TAILQ_REMOVE(&d->ifaces, i, link);
                pbl_link_cond_release(&i->lc);
                free(i);
        }
        pbl_dns_device_detach(d);
        pbl_node_done(&d->node);
        free(d);
}

/* 'name_param' and 'router_param' name the fields blamed in errors. */
static int
check_iface_spec(struct pbl_lab *lab, struct pbl_device *d, const struct pbl_iface_spec *s,
                 const char *name_param, const char *router_param, struct pbl_router **ret,
                 struct pbl_status *st)
{
        if (!pbl_ifname_valid(s->name) || strcmp(s->name, "lo") == 0)
                return pbl_fault(st, PBL_FAULT_BAD_NAME, name_param, "invalid interface name '%s'",
                                 s->name);
        if (pbl_device_iface(d, s->name))
                return pbl_fault(st, PBL_FAULT_NAME_TAKEN, name_param,
                                 "device '%s' already has an interface '%s'", d->node.name,
                                 s->name);
        *ret = pbl_lab_router(lab, s->router);
        if (!*ret)
                return pbl_fault(st, PBL_FAULT_NO_SUCH_NODE, router_param,
                                 "no router '%s' in lab '%s'", s->router, lab->name);
        return 0;
}

int
pbl_device_add(struct pbl_lab *lab, const struct pbl_device_spec *spec, struct pbl_device **ret,
               struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        struct pbl_device *d;
        struct pbl_iface *i;
        char param[48], rparam[48];
        int r = 0;

        if (!pbl_name_valid(spec->name))
                return pbl_fault(st, PBL_FAULT_BAD_NAME, "name", "invalid node name '%s'",
                                 spec->name);
        if (strcmp(spec->name, "ix") == 0 || strncmp(spec->name, "region_", 7) == 0)
                return pbl_fault(st, PBL_FAULT_BAD_NAME, "name", "node name '%s' is reserved",
                                 spec->name);
        if (pbl_lab_node(lab, spec->name))
                return pbl_fault(st, PBL_FAULT_NAME_TAKEN, "name",
                                 "lab '%s' already has a node named '%s'", lab->name, spec->name);
        if (spec->n_ifaces < 1 || spec->n_ifaces > MAX_IFACES)
                return pbl_fault(st, PBL_FAULT_INVALID, "ifaces", "a device has 1 to %d interfaces",
                                 MAX_IFACES);

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        TAILQ_INIT(&d->ifaces);
        d->node.netfd = d->node.mntfd = -1;
        d->node.lab = lab;
        d->node.id = lab->next_id++;
        d->mtu = spec->mtu;
        snprintf(d->node.name, sizeof(d->node.name), "%s", spec->name);

        /* Validate and allocate everything before touching the kernel. */
        for (unsigned k = 0; k < spec->n_ifaces && r >= 0; k++) {
                struct pbl_router *router = NULL;

                snprintf(param, sizeof(param), "ifaces[%u].name", k);
                snprintf(rparam, sizeof(rparam), "ifaces[%u].router", k);
                r = check_iface_spec(lab, d, &spec->ifaces[k], param, rparam, &router, st);
                if (r < 0)
                        break;
                i = iface_new(d, &spec->ifaces[k]);
                if (!i) {
                        r = -ENOMEM;
                        break;
                }
                TAILQ_INSERT_TAIL(&d->ifaces, i, link);
                d->n_ifaces++;
                r = assign_host(d, i, router, st);
        }
        if (r >= 0) {
                d->default_via = spec->default_via ? pbl_device_iface(d, spec->default_via)
                                                   : TAILQ_FIRST(&d->ifaces);
                if (!d->default_via)
                        r = pbl_fault(st, PBL_FAULT_NO_SUCH_IFACE, "default_via",
                                      "default_via '%s' is not one of the device's interfaces",
                                      spec->default_via);
        }

        /* Build: namespaces, veths, then addresses and routes in one batch. */
        if (r >= 0)
                r = pbl_node_init(&d->node, lab, PBL_NODE_DEVICE, d->node.name, d->node.id,
                                  &st->sys);
        /* Its /etc/hosts and /etc/resolv.conf, before any process can run there. */
        if (r >= 0)
                r = pbl_dns_device_attach(d, st);
        TAILQ_FOREACH (i, &d->ifaces, link) {
                if (r < 0)
                        break;
                r = wire(d, i, i->name, st);
        }
        if (r >= 0 && !(b = pbl_node_batch(&d->node)))
                r = -ENOMEM;
        TAILQ_FOREACH (i, &d->ifaces, link) {
                if (r < 0)
                        break;
                /* Addresses before up: coming up announces them (node.c). */
                r = queue_addrs(b, i, true);
                r = r ?: queue_up(b, i, true);
        }
        if (r >= 0)
                r = queue_default_routes(b, d->default_via);
        if (r >= 0)
                r = pbl_nl_batch_run(b, &st->sys);
        TAILQ_FOREACH (i, &d->ifaces, link) {
                if (r < 0)
                        break;
                r = shape(i, st);
        }

        if (r < 0) {
                TAILQ_FOREACH (i, &d->ifaces, link) {
                        pbl_link_cond_release(&i->lc);
                        unwire(i);
                        release_host(i);
                }
                pbl_device_free(d);
                return r;
        }
        TAILQ_FOREACH (i, &d->ifaces, link)
                i->router->n_children++;
        TAILQ_INSERT_TAIL(&lab->devices, d, link);
        lab->n_devices++;
        *ret = d;
        return 0;
}

int
pbl_device_remove(struct pbl_lab *lab, struct pbl_device *d, struct pbl_status *st)
{
        struct pbl_iface *i;

        /* Explicitly, so the bridges lose their ports now, not when the kernel
         * gets round to cleaning up the namespace. */
        TAILQ_FOREACH (i, &d->ifaces, link) {
                unwire(i);
                release_host(i);
                i->router->n_children--;
        }
        TAILQ_REMOVE(&lab->devices, d, link);
        lab->n_devices--;
        pbl_device_free(d);
        return 0;
}

int
pbl_device_set_default_route(struct pbl_device *d, struct pbl_iface *iface, struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&d->node);
        int r;

        if (!b)
                return -ENOMEM;
        r = queue_default_routes(b, iface);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        if (r < 0)
                return r;
        drop_other_defaults(d, iface);
        d->default_via = iface;
        return 0;
}

int
pbl_iface_add(struct pbl_device *d, const struct pbl_iface_spec *spec, struct pbl_iface **ret,
              struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        struct pbl_router *router;
        struct pbl_iface *i;
        int r;

        if (d->n_ifaces >= MAX_IFACES)
                return pbl_fault(st, PBL_FAULT_LIMIT, "iface", "a device has at most %d interfaces",
                                 MAX_IFACES);
        r = check_iface_spec(d->node.lab, d, spec, "iface", "router", &router, st);
        if (r < 0)
                return r;
        i = iface_new(d, spec);
        if (!i)
                return -ENOMEM;
        r = assign_host(d, i, router, st);
        r = r ?: wire(d, i, i->name, st);
        if (r >= 0 && !(b = pbl_node_batch(&d->node)))
                r = -ENOMEM;
        r = r ?: queue_addrs(b, i, true);
        r = r ?: queue_up(b, i, true);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        r = r ?: shape(i, st);
        if (r < 0) {
                pbl_link_cond_release(&i->lc);
                unwire(i);
                release_host(i);
                free(i);
                return r;
        }
        router->n_children++;
        TAILQ_INSERT_TAIL(&d->ifaces, i, link);
        d->n_ifaces++;
        *ret = i;
        return 0;
}

int
pbl_iface_remove(struct pbl_device *d, struct pbl_iface *i, struct pbl_status *st)
{
        if (d->n_ifaces == 1)
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "iface",
                                 "cannot remove '%s', the last interface of device '%s'", i->name,
                                 d->node.name);
        pbl_link_cond_release(&i->lc);
        unwire(i);
        release_host(i);
        i->router->n_children--;
        TAILQ_REMOVE(&d->ifaces, i, link);
        d->n_ifaces--;
        if (d->default_via == i) {
                /* The kernel took the default route with the link: give it a new one. */
                d->default_via = TAILQ_FIRST(&d->ifaces);
                (void)pbl_device_set_default_route(d, d->default_via, st);
        }
        free(i);
        return 0;
}

int
pbl_iface_replug(struct pbl_device *d, struct pbl_iface *i, struct pbl_router *to,
                 struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&d->node);
        struct pbl_iface fresh = *i;
        char tmp[PBL_IFNAME_MAX];
        struct pbl_link_set set;
        int r;

        if (!b)
                return -ENOMEM;
        /* Wire the new link under a temporary name while the old one still works. */
        r = assign_host(d, &fresh, to, st);
        if (r < 0)
                return r;
        snprintf(tmp, sizeof(tmp), "pbtmp%u", fresh.id);
        r = wire(d, &fresh, tmp, st);
        r = r ?: queue_addrs(b, &fresh, true);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        if (r < 0) {
                unwire(&fresh);
                release_host(&fresh);
                return r;
        }

        /* Swap: drop the old link, give the new one its name, bring it up. */
        pbl_link_cond_release(&i->lc);
        fresh.lc.up = fresh.lc.down = NULL;
        unwire(i);
        release_host(i);
        i->router->n_children--;
        set = (struct pbl_link_set)PBL_LINK_SET_INIT(fresh.ifindex);
        set.name = i->name;
        set.up = i->up;
        r = pbl_rtnl_link_set(b, &set);
        if (!r && d->default_via == i && i->up)
                r = queue_default_routes(b, &fresh);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        *i = fresh;
        to->n_children++;
        /* The condition follows the interface (and meets the new router's downlink). */
        r = r ?: shape(i, st);
        if (r < 0)
                return r; /* The new link exists; report what the kernel refused. */
        if (d->default_via == i && i->up)
                drop_other_defaults(d, i);
        return 0;
}

int
pbl_iface_set_up(struct pbl_device *d, struct pbl_iface *i, bool up, struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&d->node);
        struct pbl_link_set set = PBL_LINK_SET_INIT(i->ifindex);
        int r;

        if (!b)
                return -ENOMEM;
        set.up = up;
        r = pbl_rtnl_link_set(b, &set);
        /* IPv4 drops routes through a link that goes down: restore the default. */
        if (!r && up && d->default_via == i)
                r = queue_default_routes(b, i);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        if (r < 0)
                return r;
        i->up = up;
        return 0;
}

int
pbl_iface_renew_ip(struct pbl_device *d, struct pbl_iface *i, struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&d->node);
        struct pbl_iface fresh = *i;
        struct pbl_error scratch = { 0 };
        int r;

        if (!b)
                return -ENOMEM;
        /* New addresses first, so the link never has none and keeps its routes. */
        r = assign_host(d, &fresh, i->router, st);
        if (r < 0)
                return r;
        fresh.ll6 = i->ll6;
        fresh.ll6.family = 0; /* The link-local stays. */
        r = queue_addrs(b, &fresh, true);
        if (!r && d->default_via == i && i->up)
                r = queue_default_routes(b, &fresh);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        if (r < 0) {
                (void)queue_addrs(b, &fresh, false);
                (void)pbl_nl_batch_run(b, &scratch);
                release_host(&fresh);
                return r;
        }
        (void)queue_addrs(b, i, false);
        (void)pbl_nl_batch_run(b, &scratch);
        release_host(i);
        fresh.ll6 = i->ll6;
        *i = fresh;
        return 0;
}

int
pbl_iface_add_ip(struct pbl_device *d, struct pbl_iface *i, const struct pbl_prefix *p,
                 struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(&d->node);
        int r;

        if (!b)
                return -ENOMEM;
        if (i->n_extra >= ELEMENTSOF(i->extra))
                return pbl_fault(st, PBL_FAULT_LIMIT, "ip",
                                 "an interface takes at most %zu extra addresses",
                                 ELEMENTSOF(i->extra));
        r = pbl_rtnl_addr(b, true, &p->ip, p->len, i->ifindex, true);
        r = r ?: pbl_nl_batch_run(b, &st->sys);
        if (r == -EEXIST)
                return pbl_fault(st, PBL_FAULT_NAME_TAKEN, "ip", "the interface already has it");
        if (r < 0)
                return r;
        i->extra[i->n_extra++] = *p;
        return 0;
}
