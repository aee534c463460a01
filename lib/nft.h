/* SPDX-License-Identifier: MIT */
/*
 * nf_tables through libnftnl + libmnl: a transaction builder and the few
 * expressions patchbay's rule sets need.  A transaction is one nfnetlink
 * batch, which the kernel applies atomically: a rule set is replaced with
 * no moment without rules, and a failure leaves the old one in place.
 *
 * Rules are built as a list of matches followed by one action, e.g.
 *
 *     r = pbl_nft_rule(t, "forward", "drop new inbound flows");
 *     pbl_nft_match_iifname(r, "ix", true);
 *     pbl_nft_match_ct_state(r, PBL_CT_NEW);
 *     pbl_nft_verdict(r, NF_DROP);
 *
 * The comment appears in `nft list ruleset`, so the rules explain
 * themselves to a user inspecting a router.
 */
#ifndef PBL_NFT_H
#define PBL_NFT_H

#include <stdbool.h>
#include <stdint.h>
/* glibc's <netinet/in.h> (through arpa/inet.h) must precede the kernel's <linux/in.h>. */
#include <arpa/inet.h>
#include <linux/netfilter.h>

#include "error.h"
#include "ip.h"

struct pbl_nft;
struct nftnl_rule;

/* ct state bits (NF_CT_STATE_BIT). */
#define PBL_CT_INVALID     (1u << 0)
#define PBL_CT_ESTABLISHED (1u << 1)
#define PBL_CT_RELATED     (1u << 2)
#define PBL_CT_NEW         (1u << 3)

/* ct status bits (IPS_*). */
#define PBL_CT_STATUS_SNAT (1u << 4)
#define PBL_CT_STATUS_DNAT (1u << 5)

/* Starts a transaction.  Returns NULL on ENOMEM. */
struct pbl_nft *pbl_nft_new(void);
struct pbl_nft *pbl_nft_free(struct pbl_nft *t);

/*
 * Replaces table 'name' of 'family' (NFPROTO_IPV4, NFPROTO_IPV6,
 * NFPROTO_INET) by an empty one, in this transaction.  'exists' says whether
 * the caller may have created it before (it is deleted first); 'keep' false
 * only deletes it.  Following chains, maps and rules go into this table.
 */
void pbl_nft_table(struct pbl_nft *t, int family, const char *name, bool exists, bool keep);

/* A base chain ('hook' >= 0, with 'type' "filter"/"nat") or a regular one (hook < 0). */
void pbl_nft_chain(struct pbl_nft *t, const char *name, const char *type, int hook, int prio);

/*
 * A dynamic map with timeouts from a transport port (inet_service) to an
 * IPv4 address and port: the full-cone mapping table.
 */
void pbl_nft_port_map(struct pbl_nft *t, const char *name, uint32_t timeout_ms);

/* A new rule appended to 'chain' of the current table, with a comment. */
struct nftnl_rule *pbl_nft_rule(struct pbl_nft *t, const char *chain, const char *comment);

/* Matches. */
void pbl_nft_match_iifname(struct nftnl_rule *r, const char *ifname, bool eq);
void pbl_nft_match_oifname(struct nftnl_rule *r, const char *ifname, bool eq);
void pbl_nft_match_nfproto(struct nftnl_rule *r, int nfproto);
void pbl_nft_match_l4proto(struct nftnl_rule *r, int proto);
void pbl_nft_match_dport(struct nftnl_rule *r, uint16_t port);
void pbl_nft_match_saddr(struct nftnl_rule *r, const struct pbl_prefix *p);
void pbl_nft_match_daddr(struct nftnl_rule *r, const struct pbl_prefix *p);
void pbl_nft_match_ct_state(struct nftnl_rule *r, uint32_t any_of);
/* ct status has any of 'bits' ('set') or none of them (!'set'). */
void pbl_nft_match_ct_status(struct nftnl_rule *r, uint32_t bits, bool set);
/* ICMP (v4) type and code. */
void pbl_nft_match_icmp(struct nftnl_rule *r, uint8_t type, uint8_t code);

/* Actions. */
void pbl_nft_verdict(struct nftnl_rule *r, int verdict); /* NF_ACCEPT, NF_DROP */
void pbl_nft_snat_to(struct nftnl_rule *r, const struct pbl_ip *ip);
void pbl_nft_masquerade(struct nftnl_rule *r, bool random);
/* NPTv6: translate the prefix to 'to' (snat when 'src', else dnat). */
void pbl_nft_nat_prefix(struct nftnl_rule *r, bool src, const struct pbl_prefix *to);
/* DNAT to the address and port stored in 'map' for the packet's destination port. */
void pbl_nft_dnat_map(struct nftnl_rule *r, const char *map);
/* Records 'ct reply proto-dst' -> 'ct original saddr . proto-src' in 'map'. */
void pbl_nft_update_map(struct nftnl_rule *r, const char *map, uint32_t timeout_ms);

/*
 * Sends the transaction on an nfnetlink socket opened in namespace 'netfd'
 * and waits for every ack.  Returns 0, or the first failure with the
 * operation and the kernel's message in 'err'.
 */
int pbl_nft_commit(struct pbl_nft *t, int netfd, struct pbl_error *err);

/* Flushes the conntrack table of namespace 'netfd' (ctnetlink). */
int pbl_conntrack_flush(int netfd, struct pbl_error *err);

#endif
