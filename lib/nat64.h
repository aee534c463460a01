/* SPDX-License-Identifier: MIT */
/*
 * NAT64 on a router (SPEC §4, docs/nat.md): interface "nat64" in the router
 * is a veth into the shaper's namespace, where the translator thread reads
 * every frame the router routes into it (64:ff9b::/96 and the router's pool
 * 192.0.2.0/24 go there), translates it statelessly (siit.h) and writes the
 * translation back, so the router receives it on "nat64" and routes it on.
 *
 * Each IPv6 host gets its own IPv4 address of the pool, so no ports are
 * translated in userspace: the router's masquerade (policy.c) does that,
 * with conntrack.  An address stays a host's while it is used and for at
 * least PBL_NAT64_IDLE_S after; only then, and only when the pool is full,
 * is the least recently used one given to another host.
 *
 * One thread serves every router of the daemon; it starts with the first.
 */
#ifndef PBL_NAT64_H
#define PBL_NAT64_H

#include <stdint.h>

#include "error.h"
#include "siit.h"

#define PBL_NAT64_IFNAME "nat64"
#define PBL_NAT64_POOL   "192.0.2.0/24"
#define PBL_NAT64_IDLE_S (2 * 3600)

struct pbl_router;

struct pbl_nat64_stats {
        uint64_t v6_to_v4, v4_to_v6;           /* Packets translated. */
        uint64_t dropped;                      /* Packets not translated (sum of 'drops'). */
        uint64_t drops[_PBL_SIIT_VERDICT_MAX]; /* By reason (drops[PBL_SIIT_OK] unused). */
        uint64_t ignored;                      /* Frames neither IPv4 nor IPv6. */
        uint64_t write_errors;                 /* Translations the socket refused. */
        unsigned clients;                      /* IPv6 hosts holding a pool address. */
};

/*
 * Builds NAT64 in router 'r': the interface, its routes and the
 * translator.  The masquerade rule is the policy's.  Undone on failure.
 */
int pbl_nat64_attach(struct pbl_router *r, struct pbl_error *err);

/* Removes it again (no-op without); nothing of it is left. */
void pbl_nat64_detach(struct pbl_router *r);

int pbl_nat64_stats(const struct pbl_router *r, struct pbl_nat64_stats *ret);

/* Stops the thread; every router must be detached. */
void pbl_nat64_shutdown(void);

#endif
