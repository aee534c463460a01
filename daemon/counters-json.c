/* SPDX-License-Identifier: MIT */
/*
 * Interface counters in lab.state (SPEC §9): one RTM_GETLINK dump per node
 * (lib/counters.h), spread over the interfaces of the routers' and
 * devices' JSON objects.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "labs.h"
#include "log.h"
#include "pb-macro.h"
#include "shape.h"

static json_t *
counters_json(const struct pbl_link_counters *c)
{
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_packets",
                         (json_int_t)c->rx_packets, "rx_bytes", (json_int_t)c->rx_bytes,
                         "tx_packets", (json_int_t)c->tx_packets, "tx_bytes",
                         (json_int_t)c->tx_bytes, "rx_dropped", (json_int_t)c->rx_dropped,
                         "tx_dropped", (json_int_t)c->tx_dropped, "rx_errors",
                         (json_int_t)c->rx_errors, "tx_errors", (json_int_t)c->tx_errors);
}

/*
 * A userspace shape moves a link's frames past its interfaces' own
 * counters: the sender's egress leaves through a capture port, and enters
 * the receiver from an inject port.  Their counts are the interface's.
 */
static struct pbl_link_counters
folded(struct pbl_node *node, const struct pbl_link_counters *list, size_t n,
       const struct pbl_link_counters *c)
{
        struct pbl_link_counters f = *c;
        const struct pbl_link_counters *p;

        p = pbl_counters_find(list, n, pbl_shape_egress_port(node, c->ifindex));
        if (p && p->ifindex) {
                f.tx_packets += p->tx_packets;
                f.tx_bytes += p->tx_bytes;
                f.tx_dropped += p->tx_dropped;
        }
        p = pbl_counters_find(list, n, pbl_shape_ingress_port(node, c->ifindex));
        if (p && p->ifindex) {
                f.rx_packets += p->rx_packets;
                f.rx_bytes += p->rx_bytes;
                f.rx_dropped += p->rx_dropped;
        }
        return f;
}

/* The shaper's ports ("pbc7", "pbi7") are its business, not the node's. */
static bool
shaper_port(const char *name)
{
        return (strncmp(name, "pbc", 3) == 0 || strncmp(name, "pbi", 3) == 0) && name[3] >= '0' &&
               name[3] <= '9';
}

/* Dumps 'node'; NULL list (and 0) when the dump failed, which is logged. */
static int
dump(struct pbl_node *node, struct pbl_link_counters **ret, size_t *ret_n)
{
        struct pbl_error err = { 0 };
        int r = pbl_node_counters(node, ret, ret_n, &err);

        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_warning_errno(r, "counters of '%s': %s: %m", node->name, err.op);
                *ret = NULL;
                *ret_n = 0;
        }
        return 0;
}

/*
 * Sets a router's "counters": {ifname: counters} for every interface but lo
 * and the shaper's ports (uplink, br-lan, LAN ports, region links).
 */
static int
router_counters(struct pbl_router *r, json_t *obj)
{
        _cleanup_free_ struct pbl_link_counters *list = NULL;
        json_t *all;
        size_t n;

        if (dump(&r->node, &list, &n) < 0)
                return -ENOMEM;
        all = json_object();
        if (!all || json_object_set_new(obj, "counters", all) < 0)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                struct pbl_link_counters f;

                if (!list[k].name[0] || strcmp(list[k].name, "lo") == 0 ||
                    shaper_port(list[k].name))
                        continue;
                f = folded(&r->node, list, n, &list[k]);
                if (json_object_set_new(all, list[k].name, counters_json(&f)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* Sets "counters" on each of a device's interface objects (same order as its list). */
static int
device_counters(struct pbl_device *d, json_t *obj)
{
        _cleanup_free_ struct pbl_link_counters *list = NULL;
        json_t *ifaces = json_object_get(obj, "ifaces");
        struct pbl_iface *i;
        size_t n, k = 0;

        if (dump(&d->node, &list, &n) < 0)
                return -ENOMEM;
        TAILQ_FOREACH (i, &d->ifaces, link) {
                const struct pbl_link_counters *c = pbl_counters_find(list, n, i->ifindex);
                json_t *e = json_array_get(ifaces, k++);
                struct pbl_link_counters f;

                if (!c || !e)
                        continue;
                f = folded(&d->node, list, n, c);
                if (json_object_set_new(e, "counters", counters_json(&f)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int
pbd_counters_attach(struct pbd_lab *lab, json_t *routers, json_t *devices)
{
        struct pbl_router *r;
        struct pbl_device *d;
        size_t k = 0;

        TAILQ_FOREACH (r, &lab->engine->routers, link) {
                json_t *obj = json_array_get(routers, k++);

                if (obj && router_counters(r, obj) < 0)
                        return -ENOMEM;
        }
        k = 0;
        TAILQ_FOREACH (d, &lab->engine->devices, link) {
                json_t *obj = json_array_get(devices, k++);

                if (obj && device_counters(d, obj) < 0)
                        return -ENOMEM;
        }
        return 0;
}
