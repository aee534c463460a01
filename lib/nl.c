/* SPDX-License-Identifier: MIT */
#include "nl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <linux/netlink.h>
#include <sys/socket.h>

#include "netns.h"
#include "pb-macro.h"

/* Room kept free for the message being built; our messages stay far below. */
#define MSG_RESERVE 2048

int
pbl_nl_open(struct pbl_nl *nl, int netfd)
{
        int one = 1, r;

        memset(nl, 0, sizeof(*nl));
        if (netfd >= 0) {
                r = pbl_netns_enter(netfd);
                if (r < 0)
                        return r;
        }
        nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        r = nl->sk ? 0 : -errno;
        if (netfd >= 0)
                pbl_netns_leave();
        if (r < 0)
                return r;
        if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0 ||
            mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
            mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one)) < 0) {
                r = -errno;
                pbl_nl_close(nl);
                return r;
        }
        nl->portid = mnl_socket_get_portid(nl->sk);
        nl->seq = 1;
        return 0;
}

void
pbl_nl_close(struct pbl_nl *nl)
{
        if (nl->sk)
                mnl_socket_close(nl->sk);
        nl->sk = NULL;
}

void
pbl_nl_batch_init(struct pbl_nl_batch *b, struct pbl_nl *nl)
{
        b->nl = nl;
        b->n = 0;
        b->len = 0;
        b->cur = NULL;
}

static void
close_current(struct pbl_nl_batch *b)
{
        if (b->cur) {
                b->len += MNL_ALIGN(b->cur->nlmsg_len);
                b->cur = NULL;
        }
}

struct nlmsghdr *
pbl_nl_batch_add(struct pbl_nl_batch *b, uint16_t type, uint16_t flags, const char *fmt, ...)
{
        struct nlmsghdr *nlh;
        va_list ap;

        close_current(b);
        if (b->n >= PBL_NL_BATCH_MAX || b->len + MSG_RESERVE > sizeof(b->buf))
                return NULL;
        if (b->n == 0)
                b->first_seq = b->nl->seq;
        nlh = mnl_nlmsg_put_header(b->buf + b->len);
        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        nlh->nlmsg_seq = b->nl->seq++;
        va_start(ap, fmt);
        vsnprintf(b->ops[b->n], sizeof(b->ops[0]), fmt, ap);
        va_end(ap);
        b->n++;
        b->cur = nlh;
        return nlh;
}

int
pbl_nl_batch_copy(struct pbl_nl_batch *b, const struct nlmsghdr *src, const char *fmt, ...)
{
        struct nlmsghdr *nlh;
        va_list ap;

        close_current(b);
        if (b->n >= PBL_NL_BATCH_MAX || b->len + MNL_ALIGN(src->nlmsg_len) > sizeof(b->buf))
                return -ENOBUFS;
        if (b->n == 0)
                b->first_seq = b->nl->seq;
        nlh = (struct nlmsghdr *)(b->buf + b->len);
        memcpy(nlh, src, src->nlmsg_len);
        nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = b->nl->seq++;
        nlh->nlmsg_pid = 0;
        va_start(ap, fmt);
        vsnprintf(b->ops[b->n], sizeof(b->ops[0]), fmt, ap);
        va_end(ap);
        b->n++;
        b->len += MNL_ALIGN(src->nlmsg_len);
        return 0;
}

void
pbl_nl_extack(const struct nlmsghdr *nlh, char *buf, size_t n)
{
        const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
        size_t off = sizeof(*nlh) + sizeof(*e);
        const struct nlattr *attr;

        buf[0] = '\0';
        if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
                return;
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
                off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
        if (off >= nlh->nlmsg_len)
                return;
        for (attr = (const struct nlattr *)((const char *)nlh + MNL_ALIGN(off));
             mnl_attr_ok(attr, (int)((const char *)nlh + nlh->nlmsg_len - (const char *)attr));
             attr = mnl_attr_next(attr)) {
                if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
                    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
                        snprintf(buf, n, "%s", mnl_attr_get_str(attr));
                        return;
                }
        }
}

int
pbl_nl_batch_run(struct pbl_nl_batch *b, struct pbl_error *err)
{
        char rbuf[32 * 1024] __attribute__((aligned(8)));
        unsigned acked = 0, n = b->n;
        int first = 0;

        close_current(b);
        if (n == 0)
                return 0;
        if (mnl_socket_sendto(b->nl->sk, b->buf, b->len) < 0) {
                int r = -errno;

                pbl_nl_batch_init(b, b->nl);
                return pbl_error_set(err, r, "sending netlink batch (%s)", b->ops[0]);
        }
        while (acked < n) {
                ssize_t len = mnl_socket_recvfrom(b->nl->sk, rbuf, sizeof(rbuf));
                const struct nlmsghdr *nlh;
                int rest;

                if (len < 0) {
                        int r = -errno;

                        if (r == -EINTR)
                                continue;
                        first = first ? first : pbl_error_set(err, r, "reading netlink acks");
                        break;
                }
                rest = (int)len;
                for (nlh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, rest);
                     nlh = mnl_nlmsg_next(nlh, &rest)) {
                        const struct nlmsgerr *e;
                        uint32_t idx = nlh->nlmsg_seq - b->first_seq;
                        char kmsg[256];

                        if (nlh->nlmsg_type != NLMSG_ERROR || idx >= n)
                                continue;
                        acked++;
                        e = mnl_nlmsg_get_payload(nlh);
                        if (e->error == 0 || first)
                                continue;
                        pbl_nl_extack(nlh, kmsg, sizeof(kmsg));
                        first = pbl_error_set_kernel(err, e->error, kmsg, "%s", b->ops[idx]);
                }
        }
        pbl_nl_batch_init(b, b->nl);
        return first;
}

int
pbl_nl_dump(struct pbl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
        char buf[32768] __attribute__((aligned(8)));
        uint32_t seq = nl->seq++;
        ssize_t n;
        int r;

        nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = seq;
        if (mnl_socket_sendto(nl->sk, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                n = mnl_socket_recvfrom(nl->sk, buf, sizeof(buf));
                if (n < 0)
                        return -errno;
                r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
                if (r <= MNL_CB_STOP)
                        return r < 0 ? -errno : 0;
        }
}
