/* SPDX-License-Identifier: MIT */
#include "counters.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "pb-macro.h"

struct dump {
        struct pbl_link_counters *list;
        size_t n, cap;
        int error;
};

static int
on_link(const struct nlmsghdr *nlh, void *data)
{
        const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
        struct dump *d = data;
        struct pbl_link_counters *c;
        const struct nlattr *a;

        if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
                return MNL_CB_OK;
        if (d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 8;
                struct pbl_link_counters *list = reallocarray(d->list, cap, sizeof(*list));

                if (!list) {
                        d->error = -ENOMEM;
                        return MNL_CB_OK; /* Read the dump to its end all the same. */
                }
                d->list = list;
                d->cap = cap;
        }
        c = &d->list[d->n++];
        *c = (struct pbl_link_counters){ .ifindex = ifi->ifi_index };
        mnl_attr_for_each (a, nlh, sizeof(*ifi)) {
                struct rtnl_link_stats64 s;

                switch (mnl_attr_get_type(a)) {
                case IFLA_IFNAME:
                        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
                                snprintf(c->name, sizeof(c->name), "%s", mnl_attr_get_str(a));
                        break;
                case IFLA_STATS64:
                        /* Older kernels send a shorter struct: what is missing stays 0. */
                        memset(&s, 0, sizeof(s));
                        memcpy(&s, mnl_attr_get_payload(a),
                               MIN(sizeof(s), (size_t)mnl_attr_get_payload_len(a)));
                        c->rx_packets = s.rx_packets;
                        c->rx_bytes = s.rx_bytes;
                        c->tx_packets = s.tx_packets;
                        c->tx_bytes = s.tx_bytes;
                        c->rx_dropped = s.rx_dropped;
                        c->tx_dropped = s.tx_dropped;
                        c->rx_errors = s.rx_errors;
                        c->tx_errors = s.tx_errors;
                        break;
                }
        }
        return MNL_CB_OK;
}

int
pbl_node_counters(struct pbl_node *node, struct pbl_link_counters **ret, size_t *ret_n,
                  struct pbl_error *err)
{
        char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(8)));
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct dump d = { 0 };
        struct ifinfomsg *ifi;
        int r;

        nlh->nlmsg_type = RTM_GETLINK;
        ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        ifi->ifi_family = AF_UNSPEC;
        r = pbl_nl_dump(&node->nl, nlh, on_link, &d);
        if (r >= 0 && d.error)
                r = d.error;
        if (r < 0) {
                free(d.list);
                return pbl_error_set(err, r, "RTM_GETLINK dump in '%s'", node->name);
        }
        *ret = d.list;
        *ret_n = d.n;
        return 0;
}

const struct pbl_link_counters *
pbl_counters_find(const struct pbl_link_counters *list, size_t n, int ifindex)
{
        for (size_t i = 0; i < n; i++)
                if (list[i].ifindex == ifindex)
                        return &list[i];
        return NULL;
}
