/* SPDX-License-Identifier: MIT */
/* Labs: names, the address plan and its pools, the IX, lab life cycle. */
#include "lab.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "dns.h"
#include "node.h"
#include "pb-macro.h"
#include "pidns.h"
#include "rtnl.h"

/* At most this many subnets are tracked per pool (a bit each). */
#define POOL_SLOTS_MAX 65536

bool
pbl_name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n < 1 || n >= PBL_NAME_MAX)
                return false;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= '0' && name[0] <= '9')))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-", name[i]))
                        return false;
        return true;
}

bool
pbl_ifname_valid(const char *name)
{
        size_t n = strlen(name);

        if (n < 1 || n >= PBL_IFNAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
                            name[i]))
                        return false;
        return true;
}

static const int fault_errno[] = {
        [PBL_FAULT_NONE] = EIO,
        [PBL_FAULT_BAD_NAME] = EINVAL,
        [PBL_FAULT_NAME_TAKEN] = EEXIST,
        [PBL_FAULT_NO_SUCH_NODE] = ENOENT,
        [PBL_FAULT_NO_SUCH_IFACE] = ENODEV,
        [PBL_FAULT_IN_USE] = EBUSY,
        [PBL_FAULT_POOL_EXHAUSTED] = ENOSPC,
        [PBL_FAULT_UNSUPPORTED] = EOPNOTSUPP,
        [PBL_FAULT_INVALID] = EINVAL,
        [PBL_FAULT_INVALID_STATE] = EALREADY,
        [PBL_FAULT_LIMIT] = EMFILE,
};

int
pbl_fault(struct pbl_status *st, enum pbl_fault fault, const char *parameter, const char *fmt, ...)
{
        va_list ap;

        st->fault = fault;
        snprintf(st->parameter, sizeof(st->parameter), "%s", parameter ? parameter : "");
        va_start(ap, fmt);
        vsnprintf(st->message, sizeof(st->message), fmt, ap);
        va_end(ap);
        return -fault_errno[fault];
}

static uint64_t
splitmix64(uint64_t x)
{
        x += 0x9E3779B97F4A7C15ULL;
        x = (x ^ x >> 30) * 0xBF58476D1CE4E5B9ULL;
        x = (x ^ x >> 27) * 0x94D049BB133111EBULL;
        return x ^ x >> 31;
}

struct pbl_ip
pbl_ll6(unsigned lab_id, unsigned node_id, unsigned slot)
{
        uint64_t iid = splitmix64((uint64_t)node_id << 32 | slot);

        (void)lab_id;                /* Link-locals only need to differ on one link. */
        iid |= UINT64_C(0x02) << 56; /* Locally administered, as in modified EUI-64. */
        return pbl_ip6_from_parts(UINT64_C(0xfe80) << 48, iid);
}

void
pbl_mac(unsigned lab_id, unsigned node_id, unsigned slot, uint8_t mac[6])
{
        uint64_t h = splitmix64((uint64_t)lab_id << 40 ^ (uint64_t)node_id << 8 ^ slot);

        mac[0] = 0x02; /* Locally administered, unicast. */
        for (int i = 1; i < 6; i++, h >>= 8)
                mac[i] = (uint8_t)h;
}

/* --- the address plan ---------------------------------------------------- */

static void
prefix_set(struct pbl_prefix *p, const char *text)
{
        (void)pbl_prefix_parse(text, false, p);
}

void
pbl_addressing_default(struct pbl_addressing *a)
{
        prefix_set(&a->ix4, "198.18.0.0/24");
        prefix_set(&a->ix6, "2001:db8::/64");
        prefix_set(&a->public4, "198.18.0.0/16");
        prefix_set(&a->private4, "10.0.0.0/16");
        prefix_set(&a->public6, "2001:db8:1::/48");
        prefix_set(&a->private6, "fd10::/48");
        prefix_set(&a->regions4, "198.19.0.0/16");
        prefix_set(&a->regions6, "2001:db8:2::/48");
}

int
pbl_addressing_check(const struct pbl_addressing *a, struct pbl_status *st)
{
        const struct {
                const struct pbl_prefix *p;
                const char *name;
                int family, minlen, maxlen;
        } pools[] = {
                { &a->ix4, "ix4", AF_INET, 8, 28 },
                { &a->ix6, "ix6", AF_INET6, 48, 112 },
                { &a->public4, "public4", AF_INET, 8, 24 },
                { &a->private4, "private4", AF_INET, 8, 24 },
                { &a->public6, "public6", AF_INET6, 16, 64 },
                { &a->private6, "private6", AF_INET6, 16, 64 },
                /* 16 blocks of 16 LANs each: /20s of /24s, /52s of /64s at least. */
                { &a->regions4, "regions4", AF_INET, 8, 16 },
                { &a->regions6, "regions6", AF_INET6, 16, 56 },
        };

        for (size_t i = 0; i < ELEMENTSOF(pools); i++) {
                if (pools[i].p->ip.family != pools[i].family || pools[i].p->len < pools[i].minlen ||
                    pools[i].p->len > pools[i].maxlen)
                        return pbl_fault(st, PBL_FAULT_INVALID, pools[i].name,
                                         "addressing.%s must be an IPv%c prefix of length %d..%d",
                                         pools[i].name, pools[i].family == AF_INET ? '4' : '6',
                                         pools[i].minlen, pools[i].maxlen);
        }
        /* The public v4 pool may contain the IX (its subnet is skipped); nothing else overlaps. */
        for (size_t i = 0; i < ELEMENTSOF(pools); i++)
                for (size_t j = i + 1; j < ELEMENTSOF(pools); j++) {
                        bool ix_in_public = i == 0 && j == 2;

                        if (pools[i].family == pools[j].family && !ix_in_public &&
                            !(i == 1 && j == 4) && pbl_prefix_overlap(pools[i].p, pools[j].p))
                                return pbl_fault(st, PBL_FAULT_INVALID, pools[j].name,
                                                 "addressing.%s overlaps addressing.%s",
                                                 pools[j].name, pools[i].name);
                }
        return 0;
}

static int
pool_slots(const struct pbl_prefix *pool, int sublen)
{
        int bits = sublen - pool->len;

        return bits >= 16 ? POOL_SLOTS_MAX : 1 << bits;
}

static int
subnet_len(int family)
{
        return family == AF_INET ? 24 : 64;
}

static struct pbl_bitmap *
pool_bitmap(struct pbl_lab *lab, int family, enum pbl_pool pool)
{
        if (family == AF_INET)
                return pool == PBL_POOL_PUBLIC ? &lab->pool_public4 : &lab->pool_private4;
        return pool == PBL_POOL_PUBLIC ? &lab->pool_public6 : &lab->pool_private6;
}

static const struct pbl_prefix *
pool_prefix(const struct pbl_lab *lab, int family, enum pbl_pool pool)
{
        if (family == AF_INET)
                return pool == PBL_POOL_PUBLIC ? &lab->plan.public4 : &lab->plan.private4;
        return pool == PBL_POOL_PUBLIC ? &lab->plan.public6 : &lab->plan.private6;
}

/* True if 'p' overlaps the IX or any router's LAN. */
bool
pbl_lab_prefix_in_use(const struct pbl_lab *lab, const struct pbl_prefix *p)
{
        const struct pbl_router *r;

        if (pbl_prefix_overlap(p, p->ip.family == AF_INET ? &lab->plan.ix4 : &lab->plan.ix6))
                return true;
        /* Region blocks are kept whole, taken or not: their routers' LANs come later. */
        if (pbl_prefix_overlap(p,
                               p->ip.family == AF_INET ? &lab->plan.regions4 : &lab->plan.regions6))
                return true;
        TAILQ_FOREACH (r, &lab->routers, link) {
                const struct pbl_prefix *lan = p->ip.family == AF_INET ? &r->lan.v4 : &r->lan.v6;

                if (lan->ip.family && pbl_prefix_overlap(p, lan))
                        return true;
        }
        return false;
}

int
pbl_lab_take_subnet(struct pbl_lab *lab, int family, enum pbl_pool pool, struct pbl_prefix *ret)
{
        struct pbl_bitmap *b = pool_bitmap(lab, family, pool);
        const struct pbl_prefix *pp = pool_prefix(lab, family, pool);

        for (int slot = b->lo; slot <= b->hi; slot++) {
                struct pbl_prefix p;

                if (pbl_bitmap_test(b, slot))
                        continue;
                p = pbl_prefix_subnet(pp, subnet_len(family), slot);
                if (pbl_lab_prefix_in_use(lab, &p))
                        continue;
                pbl_bitmap_set(b, slot, true);
                *ret = p;
                return slot;
        }
        return -ENOSPC;
}

void
pbl_lab_put_subnet(struct pbl_lab *lab, int family, enum pbl_pool pool, int slot)
{
        if (slot >= 0)
                pbl_bitmap_set(pool_bitmap(lab, family, pool), slot, false);
}

int
pbl_lab_pools_init(struct pbl_lab *lab)
{
        const struct pbl_prefix *ix4 = &lab->plan.ix4;
        int r = 0;

        /* IX routers take .10 upwards (below is left for the gateway and services). */
        r |= pbl_bitmap_init(&lab->ix_hosts4, 10, (1 << (32 - ix4->len)) - 2);
        r |= pbl_bitmap_init(&lab->ix_hosts6, 0x10, 0xfffe);
        /* Slot 0 of every pool stays unused: LANs are numbered from 1. */
        r |= pbl_bitmap_init(&lab->pool_public4, 1, pool_slots(&lab->plan.public4, 24) - 1);
        r |= pbl_bitmap_init(&lab->pool_private4, 1, pool_slots(&lab->plan.private4, 24) - 1);
        r |= pbl_bitmap_init(&lab->pool_public6, 1, pool_slots(&lab->plan.public6, 64) - 1);
        r |= pbl_bitmap_init(&lab->pool_private6, 1, pool_slots(&lab->plan.private6, 64) - 1);
        r |= pbl_bitmap_init(&lab->region_slots, 0, PBL_MAX_REGIONS - 1);
        r |= pbl_bitmap_init(&lab->region_link_slots, 0, PBL_MAX_REGION_LINKS - 1);
        return r ? -ENOMEM : 0;
}

void
pbl_lab_pools_done(struct pbl_lab *lab)
{
        pbl_bitmap_done(&lab->ix_hosts4);
        pbl_bitmap_done(&lab->ix_hosts6);
        pbl_bitmap_done(&lab->pool_public4);
        pbl_bitmap_done(&lab->pool_private4);
        pbl_bitmap_done(&lab->pool_public6);
        pbl_bitmap_done(&lab->pool_private6);
        pbl_bitmap_done(&lab->region_slots);
        pbl_bitmap_done(&lab->region_link_slots);
}

/* --- labs ---------------------------------------------------------------- */

static int
build_ix(struct pbl_lab *lab, struct pbl_status *st)
{
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        uint8_t mac[6];
        int r;

        r = pbl_node_init(&lab->ix, lab, PBL_NODE_IX, "ix", 0, &st->sys);
        if (r < 0)
                return r;
        lab->ix_bridge = pbl_node_alloc_ifindex(&lab->ix);
        lab->ix_gw4 = pbl_prefix_host(&lab->plan.ix4, 1);
        lab->ix_gw6 = pbl_prefix_host(&lab->plan.ix6, 1);
        lab->ix_ll6 = pbl_ll6(lab->id, 0, 0);
        pbl_mac(lab->id, 0, 0, mac);
        b = pbl_node_batch(&lab->ix);
        if (!b)
                return -ENOMEM;
        r = pbl_rtnl_bridge(b, "ix", lab->ix_bridge, mac, 0, true);
        r = r ?: pbl_rtnl_addr(b, true, &lab->ix_gw4, lab->plan.ix4.len, lab->ix_bridge, true);
        r = r ?: pbl_rtnl_addr(b, true, &lab->ix_gw6, lab->plan.ix6.len, lab->ix_bridge, true);
        r = r ?: pbl_rtnl_addr(b, true, &lab->ix_ll6, 64, lab->ix_bridge, true);
        return r ?: pbl_nl_batch_run(b, &st->sys);
}

int
pbl_lab_create(const char *name, unsigned id, const struct pbl_addressing *plan, bool ipv6_dad,
               struct pbl_lab **ret, struct pbl_status *st)
{
        struct pbl_lab *lab;
        int r;

        if (!pbl_name_valid(name))
                return pbl_fault(st, PBL_FAULT_BAD_NAME, "name",
                                 "invalid lab name '%s': use [a-z0-9][a-z0-9_-]{0,30}", name);
        r = pbl_addressing_check(plan, st);
        if (r < 0)
                return r;
        lab = calloc(1, sizeof(*lab));
        if (!lab)
                return -ENOMEM;
        snprintf(lab->name, sizeof(lab->name), "%s", name);
        lab->id = id;
        lab->plan = *plan;
        lab->ipv6_dad = ipv6_dad;
        lab->next_id = 1;
        lab->pidns_fd = -1;
        lab->ix.netfd = lab->ix.mntfd = -1;
        TAILQ_INIT(&lab->routers);
        TAILQ_INIT(&lab->devices);
        TAILQ_INIT(&lab->regions);
        TAILQ_INIT(&lab->region_links);

        r = pbl_lab_pools_init(lab);
        if (r >= 0)
                r = build_ix(lab, st);
        if (r >= 0) {
                r = pbl_pidns_create(&lab->reaper, &lab->pidns_fd);
                if (r < 0)
                        pbl_error_set(&st->sys, r, "creating the PID namespace of lab %s", name);
        }
        if (r < 0) {
                pbl_lab_destroy(lab);
                return r;
        }
        *ret = lab;
        return 0;
}

struct pbl_lab *
pbl_lab_destroy(struct pbl_lab *lab)
{
        struct pbl_router *r;
        struct pbl_device *d;

        if (!lab)
                return NULL;
        lab->dying = true;
        /* First the processes: they could hold namespaces alive. */
        if (lab->pidns_fd >= 0)
                (void)pbl_pidfd_kill(lab->pidns_fd, SIGKILL);
        lab->pidns_fd = safe_close(lab->pidns_fd);
        while ((d = TAILQ_FIRST(&lab->devices))) {
                TAILQ_REMOVE(&lab->devices, d, link);
                pbl_device_free(d);
        }
        pbl_dns_lab_free(lab);
        pbl_regions_free(lab);
        /* Children before parents, so no router outlives its own uplink's owner. */
        while ((r = TAILQ_LAST(&lab->routers, pbl_router_list))) {
                TAILQ_REMOVE(&lab->routers, r, link);
                pbl_router_free(r);
        }
        pbl_node_done(&lab->ix);
        pbl_lab_pools_done(lab);
        free(lab);
        return NULL;
}

struct pbl_router *
pbl_lab_router(struct pbl_lab *lab, const char *name)
{
        struct pbl_router *r;

        TAILQ_FOREACH (r, &lab->routers, link)
                if (strcmp(r->node.name, name) == 0)
                        return r;
        return NULL;
}

struct pbl_device *
pbl_lab_device(struct pbl_lab *lab, const char *name)
{
        struct pbl_device *d;

        TAILQ_FOREACH (d, &lab->devices, link)
                if (strcmp(d->node.name, name) == 0)
                        return d;
        return NULL;
}

struct pbl_node *
pbl_lab_node(struct pbl_lab *lab, const char *name)
{
        struct pbl_router *r;
        struct pbl_device *d;

        if (strcmp(name, "ix") == 0)
                return &lab->ix;
        if ((r = pbl_lab_router(lab, name)))
                return &r->node;
        if ((d = pbl_lab_device(lab, name)))
                return &d->node;
        return NULL;
}
