/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink request builders: links, addresses and routes, queued into a
 * netlink batch (nl.h).  Interfaces are addressed by ifindex; the engine
 * chooses ifindexes itself when it creates links, so a whole node can be
 * wired in one batch without lookups.
 */
#ifndef PBL_RTNL_H
#define PBL_RTNL_H

#include <stdbool.h>
#include <stdint.h>

#include "ip.h"
#include "nl.h"

/* A veth pair: this end in the batch's namespace, the peer in 'peer_netfd'. */
struct pbl_veth {
        const char *name;
        int ifindex;
        int master;         /* Bridge ifindex in this namespace, or 0. */
        unsigned mtu;       /* 0: kernel default. */
        const uint8_t *mac; /* 6 bytes, or NULL. */
        const char *peer_name;
        int peer_ifindex;
        int peer_netfd; /* -1: same namespace. */
        unsigned peer_mtu;
        const uint8_t *peer_mac; /* 6 bytes, or NULL. */
        bool up;                 /* This end only: the peer must be raised afterwards. */
        bool noarp;              /* Both ends: IFF_NOARP. */
};

/* Field values meaning "leave as is" for pbl_rtnl_link_set(). */
#define PBL_KEEP (-1)

struct pbl_link_set {
        int ifindex;
        int up;           /* 1, 0, or PBL_KEEP. */
        int mtu;          /* > 0, or PBL_KEEP. */
        int master;       /* > 0, 0 (none), or PBL_KEEP. */
        const char *name; /* NULL: keep. */
        int netfd;        /* Move into this namespace, or PBL_KEEP. */
        int new_ifindex;  /* With netfd: the ifindex to take there, or 0. */
};

#define PBL_LINK_SET_INIT(idx)                                                         \
        {                                                                              \
                .ifindex = (idx), .up = PBL_KEEP, .mtu = PBL_KEEP, .master = PBL_KEEP, \
                .netfd = PBL_KEEP                                                      \
        }

int pbl_rtnl_veth(struct pbl_nl_batch *b, const struct pbl_veth *v);
int pbl_rtnl_bridge(struct pbl_nl_batch *b, const char *name, int ifindex, const uint8_t *mac,
                    unsigned mtu, bool up);
int pbl_rtnl_link_set(struct pbl_nl_batch *b, const struct pbl_link_set *s);
int pbl_rtnl_link_del(struct pbl_nl_batch *b, int ifindex, const char *what);

/* RTM_NEWADDR / RTM_DELADDR.  'nodad' sets IFA_F_NODAD (IPv6). */
int pbl_rtnl_addr(struct pbl_nl_batch *b, bool add, const struct pbl_ip *ip, int prefixlen,
                  int ifindex, bool nodad);

struct pbl_route {
        struct pbl_prefix dst; /* dst.len 0: default route. */
        struct pbl_ip gw;      /* family 0: directly connected. */
        int oif;               /* 0: any. */
        bool blackhole;        /* Drop: no gateway, no interface. */
};

/* RTM_NEWROUTE (with NLM_F_REPLACE when 'replace') or RTM_DELROUTE. */
int pbl_rtnl_route(struct pbl_nl_batch *b, bool add, bool replace, const struct pbl_route *r);

#endif
