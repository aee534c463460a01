/* SPDX-License-Identifier: MIT */
#include "nft.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "netns.h"
#include "nl.h"
#include "pb-macro.h"

#define BATCH_PAGE (128 * 1024)
#define MAX_MSGS   512

/* nft's datatype ids, so that `nft list ruleset` prints the maps readably. */
#define TYPE_IPADDR       7
#define TYPE_INET_SERVICE 13
#define TYPE_CONCAT(a, b) ((a) << 6 | (b))

struct pbl_nft {
        struct nftnl_batch *batch;
        uint32_t seq, begin_seq;
        unsigned n_msgs;
        char ops[MAX_MSGS][96];
        int err;    /* First building error. */
        int family; /* Of the current table. */
        char table[32];
        struct nftnl_rule *rule; /* Being built; queued at the next step. */
        char rule_comment[64];
};

static void
fail(struct pbl_nft *t, int r)
{
        if (!t->err)
                t->err = r;
}

/* Starts a message of the batch; the caller adds the payload, then calls done(). */
static struct nlmsghdr *
msg(struct pbl_nft *t, uint16_t type, uint16_t flags, const char *fmt, ...)
{
        struct nlmsghdr *nlh;
        unsigned idx;
        va_list ap;

        if (t->err)
                return NULL;
        if (t->n_msgs >= MAX_MSGS) {
                fail(t, -E2BIG);
                return NULL;
        }
        idx = t->seq - t->begin_seq - 1;
        nlh = nftnl_nlmsg_build_hdr(nftnl_batch_buffer(t->batch), type, (uint16_t)t->family,
                                    flags | NLM_F_ACK, t->seq++);
        va_start(ap, fmt);
        vsnprintf(t->ops[idx], sizeof(t->ops[0]), fmt, ap);
        va_end(ap);
        t->n_msgs++;
        return nlh;
}

static void
done(struct pbl_nft *t)
{
        if (nftnl_batch_update(t->batch) < 0)
                fail(t, -ENOMEM);
}

struct pbl_nft *
pbl_nft_new(void)
{
        struct pbl_nft *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        t->batch = nftnl_batch_alloc(BATCH_PAGE, MNL_SOCKET_BUFFER_SIZE);
        if (!t->batch) {
                free(t);
                return NULL;
        }
        t->seq = 1;
        t->begin_seq = t->seq++;
        nftnl_batch_begin(nftnl_batch_buffer(t->batch), t->begin_seq);
        done(t);
        return t;
}

struct pbl_nft *
pbl_nft_free(struct pbl_nft *t)
{
        if (!t)
                return NULL;
        if (t->rule)
                nftnl_rule_free(t->rule);
        nftnl_batch_free(t->batch);
        free(t);
        return NULL;
}

/* Queues the rule under construction, if any. */
static void
flush_rule(struct pbl_nft *t)
{
        struct nftnl_rule *r = t->rule;
        struct nlmsghdr *nlh;

        if (!r)
                return;
        t->rule = NULL;
        nlh = msg(t, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "add rule %s %s (%s)", t->table,
                  nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), t->rule_comment);
        if (nlh) {
                nftnl_rule_nlmsg_build_payload(nlh, r);
                done(t);
        }
        nftnl_rule_free(r);
}

static void
table_msg(struct pbl_nft *t, uint16_t type, uint16_t flags)
{
        struct nftnl_table *tb = nftnl_table_alloc();
        struct nlmsghdr *nlh;

        if (!tb)
                return fail(t, -ENOMEM);
        nftnl_table_set_str(tb, NFTNL_TABLE_NAME, t->table);
        nftnl_table_set_u32(tb, NFTNL_TABLE_FAMILY, (uint32_t)t->family);
        nlh = msg(t, type, flags, "%s table %s", type == NFT_MSG_DELTABLE ? "delete" : "add",
                  t->table);
        if (nlh) {
                nftnl_table_nlmsg_build_payload(nlh, tb);
                done(t);
        }
        nftnl_table_free(tb);
}

void
pbl_nft_table(struct pbl_nft *t, int family, const char *name, bool exists, bool keep)
{
        flush_rule(t);
        t->family = family;
        snprintf(t->table, sizeof(t->table), "%s", name);
        /* Create (a no-op if it exists), delete, and create again: "replace",
         * without failing on a table that was not there.  Deleting costs the
         * kernel an RCU grace period, so it is skipped for tables never made. */
        if (exists) {
                table_msg(t, NFT_MSG_NEWTABLE, NLM_F_CREATE);
                table_msg(t, NFT_MSG_DELTABLE, 0);
        }
        if (keep)
                table_msg(t, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL);
}

void
pbl_nft_chain(struct pbl_nft *t, const char *name, const char *type, int hook, int prio)
{
        struct nftnl_chain *c = nftnl_chain_alloc();
        struct nlmsghdr *nlh;

        flush_rule(t);
        if (!c)
                return fail(t, -ENOMEM);
        nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, t->table);
        nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, (uint32_t)t->family);
        if (hook >= 0) {
                nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
                nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
                nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
                nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
        }
        nlh = msg(t, NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain %s %s", t->table, name);
        if (nlh) {
                nftnl_chain_nlmsg_build_payload(nlh, c);
                done(t);
        }
        nftnl_chain_free(c);
}

void
pbl_nft_port_map(struct pbl_nft *t, const char *name, uint32_t timeout_ms)
{
        struct nftnl_set *s = nftnl_set_alloc();
        struct nlmsghdr *nlh;
        uint32_t id = t->seq;

        flush_rule(t);
        if (!s)
                return fail(t, -ENOMEM);
        nftnl_set_set_str(s, NFTNL_SET_TABLE, t->table);
        nftnl_set_set_str(s, NFTNL_SET_NAME, name);
        nftnl_set_set_u32(s, NFTNL_SET_FAMILY, (uint32_t)t->family);
        nftnl_set_set_u32(s, NFTNL_SET_ID, id);
        nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP | NFT_SET_TIMEOUT | NFT_SET_EVAL);
        nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, TYPE_INET_SERVICE);
        nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 2);
        nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, TYPE_CONCAT(TYPE_IPADDR, TYPE_INET_SERVICE));
        nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 8);
        nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, timeout_ms);
        nlh = msg(t, NFT_MSG_NEWSET, NLM_F_CREATE, "add map %s %s", t->table, name);
        if (nlh) {
                nftnl_set_nlmsg_build_payload(nlh, s);
                done(t);
        }
        nftnl_set_free(s);
}

struct nftnl_rule *
pbl_nft_rule(struct pbl_nft *t, const char *chain, const char *comment)
{
        struct nftnl_udata_buf *ud;
        struct nftnl_rule *r;

        flush_rule(t);
        r = nftnl_rule_alloc();
        ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
        if (!r || !ud) {
                if (r)
                        nftnl_rule_free(r);
                nftnl_udata_buf_free(ud);
                fail(t, -ENOMEM);
                /* A scratch rule keeps callers simple; it is never sent. */
                r = nftnl_rule_alloc();
                if (!r)
                        abort(); /* Out of memory twice in a row: nothing sensible left. */
                return r;
        }
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, t->table);
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, (uint32_t)t->family);
        if (comment && nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment))
                nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
                                    nftnl_udata_buf_len(ud));
        nftnl_udata_buf_free(ud);
        snprintf(t->rule_comment, sizeof(t->rule_comment), "%s", comment ? comment : "");
        t->rule = r;
        return r;
}

/* --- expressions ---------------------------------------------------------- */

static struct nftnl_expr *
expr(struct nftnl_rule *r, const char *name)
{
        struct nftnl_expr *e = nftnl_expr_alloc(name);

        if (e)
                nftnl_rule_add_expr(r, e);
        return e;
}

static void
load_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
        struct nftnl_expr *e = expr(r, "meta");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

static void
cmp(struct nftnl_rule *r, uint32_t op, const void *data, uint32_t len)
{
        struct nftnl_expr *e = expr(r, "cmp");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
}

static void
load_payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
        struct nftnl_expr *e = expr(r, "payload");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

static void
mask(struct nftnl_rule *r, const void *m, uint32_t len)
{
        struct nftnl_expr *e = expr(r, "bitwise");
        uint8_t zero[16] = { 0 };

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, m, len);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
}

static void
load_ct(struct nftnl_rule *r, uint32_t key, int dir, uint32_t dreg)
{
        struct nftnl_expr *e = expr(r, "ct");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
        if (dir >= 0)
                nftnl_expr_set_u8(e, NFTNL_EXPR_CT_DIR, (uint8_t)dir);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, dreg);
}

static void
immediate(struct nftnl_rule *r, uint32_t dreg, const void *data, uint32_t len)
{
        struct nftnl_expr *e = expr(r, "immediate");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, dreg);
        nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
}

static int
rule_family(struct nftnl_rule *r)
{
        return (int)nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
}

static void
match_ifname(struct nftnl_rule *r, uint32_t key, const char *ifname, bool eq)
{
        char name[IFNAMSIZ] = { 0 };

        snprintf(name, sizeof(name), "%s", ifname);
        load_meta(r, key, NFT_REG_1);
        cmp(r, eq ? NFT_CMP_EQ : NFT_CMP_NEQ, name, sizeof(name));
}

void
pbl_nft_match_iifname(struct nftnl_rule *r, const char *ifname, bool eq)
{
        match_ifname(r, NFT_META_IIFNAME, ifname, eq);
}

void
pbl_nft_match_oifname(struct nftnl_rule *r, const char *ifname, bool eq)
{
        match_ifname(r, NFT_META_OIFNAME, ifname, eq);
}

void
pbl_nft_match_nfproto(struct nftnl_rule *r, int nfproto)
{
        uint8_t v = (uint8_t)nfproto;

        load_meta(r, NFT_META_NFPROTO, NFT_REG_1);
        cmp(r, NFT_CMP_EQ, &v, 1);
}

void
pbl_nft_match_l4proto(struct nftnl_rule *r, int proto)
{
        uint8_t v = (uint8_t)proto;

        load_meta(r, NFT_META_L4PROTO, NFT_REG_1);
        cmp(r, NFT_CMP_EQ, &v, 1);
}

void
pbl_nft_match_dport(struct nftnl_rule *r, uint16_t port)
{
        uint16_t be = htons(port);

        load_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        cmp(r, NFT_CMP_EQ, &be, 2);
}

static void
match_addr(struct nftnl_rule *r, const struct pbl_prefix *p, bool src)
{
        bool v4 = p->ip.family == AF_INET;
        uint32_t off = v4 ? (src ? 12 : 16) : (src ? 8 : 24);
        uint32_t len = (uint32_t)(p->len + 7) / 8;
        uint8_t m[16] = { 0 }, data[16];

        if (rule_family(r) == NFPROTO_INET)
                pbl_nft_match_nfproto(r, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
        if (len == 0)
                return;
        load_payload(r, NFT_PAYLOAD_NETWORK_HEADER, off, len);
        memcpy(data, p->ip.bytes, len);
        if (p->len % 8) {
                memset(m, 0xff, len);
                m[len - 1] = (uint8_t)(0xff << (8 - p->len % 8));
                mask(r, m, len);
                data[len - 1] &= m[len - 1];
        }
        cmp(r, NFT_CMP_EQ, data, len);
}

void
pbl_nft_match_saddr(struct nftnl_rule *r, const struct pbl_prefix *p)
{
        match_addr(r, p, true);
}

void
pbl_nft_match_daddr(struct nftnl_rule *r, const struct pbl_prefix *p)
{
        match_addr(r, p, false);
}

static void
match_bits(struct nftnl_rule *r, uint32_t key, uint32_t bits, bool set)
{
        uint32_t zero = 0;

        load_ct(r, key, -1, NFT_REG_1);
        mask(r, &bits, 4);
        cmp(r, set ? NFT_CMP_NEQ : NFT_CMP_EQ, &zero, 4);
}

void
pbl_nft_match_ct_state(struct nftnl_rule *r, uint32_t any_of)
{
        match_bits(r, NFT_CT_STATE, any_of, true);
}

void
pbl_nft_match_ct_status(struct nftnl_rule *r, uint32_t bits, bool set)
{
        match_bits(r, NFT_CT_STATUS, bits, set);
}

void
pbl_nft_match_icmp(struct nftnl_rule *r, uint8_t type, uint8_t code)
{
        uint8_t tc[2] = { type, code };

        if (rule_family(r) == NFPROTO_INET)
                pbl_nft_match_nfproto(r, NFPROTO_IPV4);
        pbl_nft_match_l4proto(r, IPPROTO_ICMP);
        load_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2);
        cmp(r, NFT_CMP_EQ, tc, 2);
}

/* --- actions --------------------------------------------------------------- */

void
pbl_nft_verdict(struct nftnl_rule *r, int verdict)
{
        struct nftnl_expr *e = expr(r, "immediate");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
}

static void
nat(struct nftnl_rule *r, uint32_t type, int family, int reg_min, int reg_max, int reg_proto,
    uint32_t flags)
{
        struct nftnl_expr *e = expr(r, "nat");

        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, (uint32_t)family);
        nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, (uint32_t)reg_min);
        if (reg_max)
                nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, (uint32_t)reg_max);
        if (reg_proto)
                nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, (uint32_t)reg_proto);
        if (flags)
                nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, flags);
}

void
pbl_nft_snat_to(struct nftnl_rule *r, const struct pbl_ip *ip)
{
        immediate(r, NFT_REG_1, ip->bytes, (uint32_t)pbl_ip_len(ip));
        nat(r, NFT_NAT_SNAT, ip->family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6, NFT_REG_1, 0, 0,
            0);
}

void
pbl_nft_masquerade(struct nftnl_rule *r, bool random)
{
        struct nftnl_expr *e = expr(r, "masq");

        if (e && random)
                nftnl_expr_set_u32(e, NFTNL_EXPR_MASQ_FLAGS, NF_NAT_RANGE_PROTO_RANDOM);
}

void
pbl_nft_nat_prefix(struct nftnl_rule *r, bool src, const struct pbl_prefix *to)
{
        struct pbl_ip max = to->ip;

        /* The range covers the whole prefix; NETMAP keeps the host bits. */
        for (int bit = to->len; bit < 128; bit++)
                max.bytes[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
        immediate(r, NFT_REG_1, to->ip.bytes, 16);
        immediate(r, NFT_REG_2, max.bytes, 16);
        nat(r, src ? NFT_NAT_SNAT : NFT_NAT_DNAT, NFPROTO_IPV6, NFT_REG_1, NFT_REG_2, 0,
            NF_NAT_RANGE_NETMAP);
}

void
pbl_nft_dnat_map(struct nftnl_rule *r, const char *map)
{
        struct nftnl_expr *e;

        load_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
        e = expr(r, "lookup");
        if (e) {
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
                nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_1);
                nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map);
        }
        /* The map's data: the address in reg 1's first word, the port in the next. */
        nat(r, NFT_NAT_DNAT, NFPROTO_IPV4, NFT_REG_1, 0, NFT_REG32_01, 0);
}

void
pbl_nft_update_map(struct nftnl_rule *r, const char *map, uint32_t timeout_ms)
{
        struct nftnl_expr *e;

        load_ct(r, NFT_CT_PROTO_DST, IP_CT_DIR_REPLY, NFT_REG_1);
        load_ct(r, NFT_CT_SRC_IP, IP_CT_DIR_ORIGINAL, NFT_REG_2);
        load_ct(r, NFT_CT_PROTO_SRC, IP_CT_DIR_ORIGINAL, NFT_REG32_05);
        e = expr(r, "dynset");
        if (!e)
                return;
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_DATA, NFT_REG_2);
        nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
        nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, map);
        nftnl_expr_set_u64(e, NFTNL_EXPR_DYNSET_TIMEOUT, timeout_ms);
}

/* --- sending ---------------------------------------------------------------- */

static struct mnl_socket *
open_nfnl(int netfd, int *ret)
{
        struct mnl_socket *nl;
        int one = 1;

        *ret = pbl_netns_enter(netfd);
        if (*ret < 0)
                return NULL;
        nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        *ret = nl ? 0 : -errno;
        pbl_netns_leave();
        if (!nl)
                return NULL;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
            mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
            mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
                *ret = -errno;
                mnl_socket_close(nl);
                return NULL;
        }
        return nl;
}

/*
 * Reads the acks of 'n' requests numbered from 'first'.  Records the first
 * failure, labelled by 'ops' (may be NULL).  After a failure the kernel may
 * not ack every message, so waiting stops once the socket stays quiet.
 */
static int
read_acks(struct mnl_socket *nl, uint32_t first, unsigned n, char (*ops)[96], const char *what,
          struct pbl_error *err)
{
        char buf[32 * 1024] __attribute__((aligned(8)));
        unsigned acked = 0;
        int result = 0;

        while (acked < n) {
                struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
                const struct nlmsghdr *nlh;
                ssize_t len;
                int rest;

                if (poll(&pfd, 1, result ? 50 : 5000) <= 0)
                        return result ? result : pbl_error_set(err, -ETIMEDOUT, "%s", what);
                len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
                if (len < 0)
                        return result ? result
                                      : pbl_error_set(err, -errno, "%s: reading acks", what);
                rest = (int)len;
                for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
                        const struct nlmsgerr *e;
                        uint32_t idx = nlh->nlmsg_seq - first;
                        char kmsg[256];

                        if (nlh->nlmsg_type != NLMSG_ERROR || idx >= n)
                                continue;
                        acked++;
                        e = mnl_nlmsg_get_payload(nlh);
                        if (e->error == 0 || result)
                                continue;
                        pbl_nl_extack(nlh, kmsg, sizeof(kmsg));
                        result = pbl_error_set_kernel(err, e->error, kmsg, "%s",
                                                      ops ? ops[idx] : what);
                }
        }
        return result;
}

int
pbl_nft_commit(struct pbl_nft *t, int netfd, struct pbl_error *err)
{
        struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
        struct mnl_socket *nl;
        struct msghdr mh = { .msg_name = &snl, .msg_namelen = sizeof(snl) };
        int r;

        flush_rule(t);
        if (t->err)
                return pbl_error_set(err, t->err, "building the nf_tables transaction");
        nftnl_batch_end(nftnl_batch_buffer(t->batch), t->seq++);
        done(t);
        nl = open_nfnl(netfd, &r);
        if (!nl)
                return pbl_error_set(err, r, "nfnetlink socket");
        {
                int n = nftnl_batch_iovec_len(t->batch);
                struct iovec iov[n];

                nftnl_batch_iovec(t->batch, iov, (uint32_t)n);
                mh.msg_iov = iov;
                mh.msg_iovlen = (size_t)n;
                if (sendmsg(mnl_socket_get_fd(nl), &mh, 0) < 0) {
                        r = pbl_error_set(err, -errno, "sending the nf_tables transaction");
                        mnl_socket_close(nl);
                        return r;
                }
        }
        r = read_acks(nl, t->begin_seq + 1, t->n_msgs, t->ops, "nf_tables transaction", err);
        mnl_socket_close(nl);
        return r;
}

int
pbl_conntrack_flush(int netfd, struct pbl_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct nfgenmsg *nfg;
        struct mnl_socket *nl;
        int r;

        nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = 1;
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = AF_UNSPEC; /* Every family: no tuple given means "flush". */
        nfg->version = NFNETLINK_V0;
        nl = open_nfnl(netfd, &r);
        if (!nl)
                return pbl_error_set(err, r, "nfnetlink socket");
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                r = pbl_error_set(err, -errno, "IPCTNL_MSG_CT_DELETE (flush)");
        else
                r = read_acks(nl, 1, 1, NULL, "IPCTNL_MSG_CT_DELETE (flush)", err);
        mnl_socket_close(nl);
        return r;
}
