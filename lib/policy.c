/* SPDX-License-Identifier: MIT */
/*
 * A router's NAT and firewall as nf_tables rule sets (see docs/nat.md).
 *
 *   table ip pb_nat        IPv4 NAT: mapping, full-cone map, hairpin
 *   table ip6 pb_nat6      IPv6 masquerade or NPTv6
 *   table inet pb_filter   forward-path filtering: the NAT's, then the firewall's
 *   table ip pb_nat64      NAT64: the translator's pool leaves with the WAN address
 *
 * Every rule carries a comment saying why it exists, so `nft list ruleset`
 * inside a router explains the router.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/netfilter_ipv4.h>
#include <sys/socket.h>

#include "lab.h"
#include "nat64.h"
#include "netns.h"
#include "nft.h"
#include "node.h"
#include "pb-macro.h"

/* Full-cone map entries live as long as the flows they serve would. */
#define MAP_TIMEOUT_UDP_MS (300 * 1000)
#define MAP_TIMEOUT_TCP_MS (7200 * 1000)

static const struct {
        int proto;
        const char *name, *map;
} l4[] = {
        { IPPROTO_UDP, "udp", "fullcone_udp" },
        { IPPROTO_TCP, "tcp", "fullcone_tcp" },
};

/*
 * Every EIM/EDM NAT keeps the mapping table and sends new inbound flows
 * through it, whatever its filtering.  Without that, an unsolicited packet
 * to a mapped port would be delivered to the router itself, conntrack would
 * confirm it there, and a later flow from the inside to that very peer would
 * collide with it and lose its port (breaking EIM and hole punching).
 * Redirected, it meets the filter in FORWARD and is dropped before it is
 * ever confirmed.
 */
static bool
uses_map(const struct pbl_nat *n)
{
        return n->mapping == PBL_MAPPING_EIM || n->mapping == PBL_MAPPING_EDM;
}

static uint32_t
map_timeout(const struct pbl_nat *n, int proto)
{
        if (proto == IPPROTO_UDP)
                return n->timeout_udp_stream ? n->timeout_udp_stream * 1000 : MAP_TIMEOUT_UDP_MS;
        return n->timeout_tcp_established ? n->timeout_tcp_established * 1000 : MAP_TIMEOUT_TCP_MS;
}

/* Which of our tables the router has now (a policy in force says so). */
static bool
has_nat4(const struct pbl_policy *p)
{
        return p->nat.mapping != PBL_MAPPING_NONE;
}

static bool
has_nat6(const struct pbl_policy *p)
{
        return p->nat6 == PBL_NAT6_MASQUERADE || p->nat6 == PBL_NAT6_NPTV6;
}

static bool
has_nat64(const struct pbl_policy *p)
{
        return p->nat6 == PBL_NAT6_NAT64;
}

static bool
has_filter(const struct pbl_policy *p)
{
        return p->nat.mapping == PBL_MAPPING_EIM || p->nat.mapping == PBL_MAPPING_EDM ||
               p->fw.block_inbound || p->fw.tcp.kind != PBL_PORTS_ALL ||
               p->fw.udp.kind != PBL_PORTS_ALL || p->block_icmp_frag_needed;
}

static void
nat4(struct pbl_nft *t, const struct pbl_router *r, const struct pbl_nat *n)
{
        const char *w = r->wan_name;
        struct pbl_prefix wan = { .ip = r->wan4, .len = 32 };
        struct nftnl_rule *rule;

        pbl_nft_table(t, NFPROTO_IPV4, "pb_nat", has_nat4(&r->policy),
                      n->mapping != PBL_MAPPING_NONE);
        if (n->mapping == PBL_MAPPING_NONE)
                return;
        if (uses_map(n)) {
                for (size_t i = 0; i < ELEMENTSOF(l4); i++)
                        pbl_nft_port_map(t, l4[i].map, map_timeout(n, l4[i].proto));
                pbl_nft_chain(t, "prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST);
                pbl_nft_chain(t, "mapping", "filter", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC + 10);
        }
        pbl_nft_chain(t, "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);

        for (size_t i = 0; uses_map(n) && i < ELEMENTSOF(l4); i++) {
                rule = pbl_nft_rule(t, "prerouting",
                                    n->filtering == PBL_FILTERING_EIF
                                            ? "full-cone: anyone may reach a mapped port"
                                            : "inbound to a mapped port meets the filter in "
                                              "forward");
                pbl_nft_match_iifname(rule, w, true);
                pbl_nft_match_l4proto(rule, l4[i].proto);
                pbl_nft_dnat_map(rule, l4[i].map);
                if (n->hairpin) {
                        rule = pbl_nft_rule(t, "prerouting",
                                            "hairpin: the WAN address reaches mapped hosts from "
                                            "inside too");
                        pbl_nft_match_iifname(rule, w, false);
                        pbl_nft_match_daddr(rule, &wan);
                        pbl_nft_match_l4proto(rule, l4[i].proto);
                        pbl_nft_dnat_map(rule, l4[i].map);
                }
                rule = pbl_nft_rule(t, "mapping",
                                    "remember each mapping: external port to inside host and port");
                pbl_nft_match_oifname(rule, w, true);
                pbl_nft_match_l4proto(rule, l4[i].proto);
                pbl_nft_match_ct_status(rule, PBL_CT_STATUS_SNAT, true);
                pbl_nft_update_map(rule, l4[i].map, map_timeout(n, l4[i].proto));
        }
        if (n->hairpin && r->lan.v4.ip.family) {
                rule = pbl_nft_rule(t, "postrouting",
                                    "hairpin: looped-back flows come from the WAN address");
                pbl_nft_match_oifname(rule, w, false);
                pbl_nft_match_saddr(rule, &r->lan.v4);
                pbl_nft_match_ct_status(rule, PBL_CT_STATUS_DNAT, true);
                pbl_nft_snat_to(rule, &r->wan4);
        }
        switch (n->mapping) {
        case PBL_MAPPING_EIM:
                rule = pbl_nft_rule(t, "postrouting",
                                    "EIM: leave with the WAN address; the source port is kept "
                                    "(port-preserving)");
                pbl_nft_match_oifname(rule, w, true);
                pbl_nft_snat_to(rule, &r->wan4);
                break;
        case PBL_MAPPING_EDM:
                rule = pbl_nft_rule(t, "postrouting",
                                    "EDM: leave with the WAN address and a random port per flow");
                pbl_nft_match_oifname(rule, w, true);
                pbl_nft_masquerade(rule, true);
                break;
        case PBL_MAPPING_MASQ:
                rule = pbl_nft_rule(t, "postrouting", "CGNAT: masquerade to the WAN address");
                pbl_nft_match_oifname(rule, w, true);
                pbl_nft_masquerade(rule, false);
                break;
        case PBL_MAPPING_NONE: break;
        }
}

static void
nat6(struct pbl_nft *t, const struct pbl_router *r, enum pbl_nat6 mode)
{
        const char *w = r->wan_name;
        struct nftnl_rule *rule;

        pbl_nft_table(t, NFPROTO_IPV6, "pb_nat6", has_nat6(&r->policy),
                      mode == PBL_NAT6_MASQUERADE || mode == PBL_NAT6_NPTV6);
        if (mode == PBL_NAT6_MASQUERADE) {
                pbl_nft_chain(t, "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);
                rule = pbl_nft_rule(t, "postrouting", "IPv6 masquerade to the WAN address");
                pbl_nft_match_oifname(rule, w, true);
                pbl_nft_masquerade(rule, false);
        } else if (mode == PBL_NAT6_NPTV6) {
                pbl_nft_chain(t, "prerouting", "nat", NF_INET_PRE_ROUTING, NF_IP_PRI_NAT_DST);
                pbl_nft_chain(t, "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC);
                rule = pbl_nft_rule(t, "postrouting",
                                    "NPTv6 (RFC 6296): the LAN prefix leaves as the external one, "
                                    "host bits kept");
                pbl_nft_match_oifname(rule, w, true);
                pbl_nft_match_saddr(rule, &r->lan.v6);
                pbl_nft_nat_prefix(rule, true, &r->npt6);
                rule = pbl_nft_rule(t, "prerouting",
                                    "NPTv6: the external prefix comes back as the LAN prefix");
                pbl_nft_match_iifname(rule, w, true);
                pbl_nft_match_daddr(rule, &r->npt6);
                pbl_nft_nat_prefix(rule, false, &r->lan.v6);
        }
}

/*
 * The translator gives each IPv6 host an address of the pool; leaving
 * through the WAN, those flows are masqueraded.  After the router's own
 * NAT (pb_nat), so that a NAT mode, when there is one, maps them as it
 * maps the LAN's.
 */
static void
nat64(struct pbl_nft *t, const struct pbl_router *r, bool on)
{
        struct pbl_prefix pool;
        struct nftnl_rule *rule;

        pbl_nft_table(t, NFPROTO_IPV4, "pb_nat64", has_nat64(&r->policy), on);
        if (!on || pbl_prefix_parse(PBL_NAT64_POOL, false, &pool) < 0)
                return;
        pbl_nft_chain(t, "postrouting", "nat", NF_INET_POST_ROUTING, NF_IP_PRI_NAT_SRC + 5);
        rule = pbl_nft_rule(t, "postrouting",
                            "NAT64: translated IPv6 hosts leave with the WAN address");
        pbl_nft_match_oifname(rule, r->wan_name, true);
        pbl_nft_match_saddr(rule, &pool);
        pbl_nft_masquerade(rule, false);
}

static void
outbound(struct pbl_nft *t, const char *w, const char *name, int proto, const struct pbl_ports *p)
{
        struct nftnl_rule *rule;
        char comment[64];

        if (p->kind == PBL_PORTS_ALL)
                return;
        for (unsigned i = 0; p->kind == PBL_PORTS_ALLOW && i < p->n; i++) {
                snprintf(comment, sizeof(comment), "firewall: outbound %s to port %u allowed", name,
                         p->port[i]);
                rule = pbl_nft_rule(t, "forward", comment);
                pbl_nft_match_oifname(rule, w, true);
                pbl_nft_match_l4proto(rule, proto);
                pbl_nft_match_dport(rule, p->port[i]);
                pbl_nft_verdict(rule, NF_ACCEPT);
        }
        snprintf(comment, sizeof(comment), "firewall: other outbound %s blocked", name);
        rule = pbl_nft_rule(t, "forward", comment);
        pbl_nft_match_oifname(rule, w, true);
        pbl_nft_match_l4proto(rule, proto);
        pbl_nft_verdict(rule, NF_DROP);
}

static void
filter(struct pbl_nft *t, const struct pbl_router *r, const struct pbl_policy *p)
{
        const struct pbl_nat *n = &p->nat;
        bool nat_filters = n->mapping == PBL_MAPPING_EIM || n->mapping == PBL_MAPPING_EDM;
        bool fw = p->fw.block_inbound || p->fw.tcp.kind != PBL_PORTS_ALL ||
                  p->fw.udp.kind != PBL_PORTS_ALL;
        const char *w = r->wan_name;
        struct nftnl_rule *rule;

        pbl_nft_table(t, NFPROTO_INET, "pb_filter", has_filter(&r->policy), has_filter(p));
        if (!nat_filters && !fw && !p->block_icmp_frag_needed)
                return;
        pbl_nft_chain(t, "forward", "filter", NF_INET_FORWARD, 0);
        if (p->block_icmp_frag_needed) {
                /* The router's own frag-needed leaves through OUTPUT, not FORWARD. */
                pbl_nft_chain(t, "output", "filter", NF_INET_LOCAL_OUT, 0);
                for (int k = 0; k < 2; k++) {
                        rule = pbl_nft_rule(t, k ? "output" : "forward",
                                            "PMTU black hole: ICMP fragmentation-needed dropped");
                        pbl_nft_match_icmp(rule, 3, 4);
                        pbl_nft_verdict(rule, NF_DROP);
                }
        }
        if (!nat_filters && !fw)
                return;
        rule = pbl_nft_rule(t, "forward", "replies and related flows pass");
        pbl_nft_match_ct_state(rule, PBL_CT_ESTABLISHED | PBL_CT_RELATED);
        pbl_nft_verdict(rule, NF_ACCEPT);
        if (nat_filters && n->filtering == PBL_FILTERING_APDF) {
                rule = pbl_nft_rule(t, "forward",
                                    "NAT filtering (address and port dependent): nothing from "
                                    "outside starts a flow");
                pbl_nft_match_iifname(rule, w, true);
                pbl_nft_match_nfproto(rule, NFPROTO_IPV4);
                pbl_nft_match_ct_state(rule, PBL_CT_NEW);
                pbl_nft_verdict(rule, NF_DROP);
        } else if (nat_filters) {
                rule = pbl_nft_rule(t, "forward",
                                    "NAT filtering (endpoint independent): new inbound flows only "
                                    "through a mapping");
                pbl_nft_match_iifname(rule, w, true);
                pbl_nft_match_nfproto(rule, NFPROTO_IPV4);
                pbl_nft_match_ct_state(rule, PBL_CT_NEW);
                pbl_nft_match_ct_status(rule, PBL_CT_STATUS_DNAT, false);
                pbl_nft_verdict(rule, NF_DROP);
        }
        if (p->fw.block_inbound) {
                rule = pbl_nft_rule(t, "forward",
                                    "firewall: no new flow from outside, IPv4 or IPv6 (RFC 6092)");
                pbl_nft_match_iifname(rule, w, true);
                pbl_nft_match_ct_state(rule, PBL_CT_NEW);
                pbl_nft_verdict(rule, NF_DROP);
        }
        outbound(t, w, "tcp", IPPROTO_TCP, &p->fw.tcp);
        outbound(t, w, "udp", IPPROTO_UDP, &p->fw.udp);
}

static const char *const ct_keys[3] = {
        "net/netfilter/nf_conntrack_udp_timeout",
        "net/netfilter/nf_conntrack_udp_timeout_stream",
        "net/netfilter/nf_conntrack_tcp_timeout_established",
};

/* Sets the NAT's conntrack timeouts, or the kernel's where it has none. */
static int
set_timeouts(struct pbl_router *r, const struct pbl_nat *n, struct pbl_error *err)
{
        unsigned want[3] = { n->timeout_udp, n->timeout_udp_stream, n->timeout_tcp_established };
        char path[128], buf[32];
        int rr = pbl_netns_enter(r->node.netfd);

        if (rr < 0)
                return pbl_error_set(err, rr, "entering router %s", r->node.name);
        for (int i = 0; i < 3 && rr >= 0; i++) {
                if (!r->ct_defaults[i]) {
                        FILE *f;

                        snprintf(path, sizeof(path), "/proc/sys/%s", ct_keys[i]);
                        f = fopen(path, "re");
                        if (!f || !fgets(buf, sizeof(buf), f)) {
                                rr = pbl_error_set(err, f ? -EIO : -errno, "reading sysctl %s",
                                                   ct_keys[i]);
                                if (f)
                                        fclose(f);
                                break;
                        }
                        fclose(f);
                        r->ct_defaults[i] = (unsigned)strtoul(buf, NULL, 10);
                }
                snprintf(buf, sizeof(buf), "%u", want[i] ? want[i] : r->ct_defaults[i]);
                rr = pbl_sysctl_write(ct_keys[i], buf);
                if (rr < 0)
                        pbl_error_set(err, rr, "sysctl %s", ct_keys[i]);
        }
        pbl_netns_leave();
        return rr;
}

static bool
policy_is_empty(const struct pbl_policy *p)
{
        return p->nat.mapping == PBL_MAPPING_NONE && p->nat6 == PBL_NAT6_NONE &&
               !p->fw.block_inbound && p->fw.tcp.kind == PBL_PORTS_ALL &&
               p->fw.udp.kind == PBL_PORTS_ALL && !p->block_icmp_frag_needed;
}

int
pbl_router_set_policy(struct pbl_router *r, const struct pbl_policy *p, struct pbl_status *st)
{
        struct pbl_nft *t;
        int rr;

        if (p->nat.mapping != PBL_MAPPING_NONE && !r->wan4.family)
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "nat",
                                 "router '%s' has no IPv4 uplink to NAT to", r->node.name);
        if (p->nat6 == PBL_NAT6_NAT64 && (!r->wan4.family || !r->lan.v6.ip.family))
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "nat_v6",
                                 "router '%s' has no IPv4 uplink or no IPv6 LAN for NAT64",
                                 r->node.name);
        if (p->nat6 != PBL_NAT6_NONE && p->nat6 != PBL_NAT6_NAT64 &&
            (!r->wan6.family || !r->lan.v6.ip.family))
                return pbl_fault(st, PBL_FAULT_INVALID_STATE, "nat_v6",
                                 "router '%s' has no IPv6 uplink or LAN", r->node.name);
        /* The translator first, so that the rules never point at nothing. */
        if (has_nat64(p) && !r->nat64_ifindex) {
                rr = pbl_nat64_attach(r, &st->sys);
                if (rr < 0)
                        return rr;
        }
        if (p->nat6 == PBL_NAT6_NPTV6 && !r->npt6.ip.family) {
                rr = pbl_router_npt6_prefix(r, true, st);
                if (rr < 0)
                        return rr;
        }
        /* A router that never had rules needs no transaction to have none. */
        if (policy_is_empty(p) && policy_is_empty(&r->policy)) {
                r->policy = *p;
                return 0;
        }
        t = pbl_nft_new();
        if (!t) {
                if (has_nat64(p) && !has_nat64(&r->policy))
                        pbl_nat64_detach(r);
                return -ENOMEM;
        }
        if (has_nat4(p) || has_nat4(&r->policy))
                nat4(t, r, &p->nat);
        if (has_nat64(p) || has_nat64(&r->policy))
                nat64(t, r, has_nat64(p));
        if (has_nat6(p) || has_nat6(&r->policy))
                nat6(t, r, p->nat6);
        if (has_filter(p) || has_filter(&r->policy))
                filter(t, r, p);
        rr = pbl_nft_commit(t, r->node.netfd, &st->sys);
        pbl_nft_free(t);
        if (rr < 0) {
                if (p->nat6 == PBL_NAT6_NPTV6 && r->policy.nat6 != PBL_NAT6_NPTV6)
                        (void)pbl_router_npt6_prefix(r, false, st);
                if (has_nat64(p) && !has_nat64(&r->policy))
                        pbl_nat64_detach(r);
                return rr;
        }
        if (!has_nat64(p))
                pbl_nat64_detach(r);
        if (p->nat6 != PBL_NAT6_NPTV6 && r->npt6.ip.family)
                (void)pbl_router_npt6_prefix(r, false, st);
        if (p->nat.mapping != PBL_MAPPING_NONE || r->policy.nat.mapping != PBL_MAPPING_NONE) {
                rr = set_timeouts(r, &p->nat, &st->sys);
                if (rr < 0)
                        return rr;
        }
        r->policy = *p;
        return 0;
}

int
pbl_router_flush_nat(struct pbl_router *r, struct pbl_status *st)
{
        int rr;

        if (uses_map(&r->policy.nat)) {
                struct pbl_nft *t = pbl_nft_new();

                if (!t)
                        return -ENOMEM;
                /* The mappings belong to flows that are about to be forgotten:
                 * rebuilding the table starts them empty. */
                nat4(t, r, &r->policy.nat);
                rr = pbl_nft_commit(t, r->node.netfd, &st->sys);
                pbl_nft_free(t);
                if (rr < 0)
                        return rr;
        }
        return pbl_conntrack_flush(r->node.netfd, &st->sys);
}
