/* SPDX-License-Identifier: MIT */
/* Namespace-backed nodes: creation with their sysctls, and teardown. */
#include "node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "lab.h"
#include "netns.h"
#include "pb-macro.h"
#include "rtnl.h"

static int
sysctls(const struct pbl_node *n, bool ipv6_dad, struct pbl_error *err)
{
        static const char *const nodad[] = {
                "net/ipv6/conf/all/accept_dad",
                "net/ipv6/conf/default/accept_dad",
                "net/ipv6/conf/all/dad_transmits",
                "net/ipv6/conf/default/dad_transmits",
        };
        bool forwarding = n->kind != PBL_NODE_DEVICE;
        int r;

        /* Removing an interface's primary address keeps the others (renew_ip). */
        r = pbl_sysctl_write("net/ipv4/conf/all/promote_secondaries", "1");
        r = r ?: pbl_sysctl_write("net/ipv4/conf/default/promote_secondaries", "1");
        if (r < 0)
                return pbl_error_set(err, r, "sysctl net.ipv4.conf.*.promote_secondaries");

        /*
         * Announce addresses when an interface comes up or changes its MAC
         * (gratuitous ARP, unsolicited NA): a node that takes the address of
         * one removed a moment ago is reachable at once, not once its
         * neighbours' stale entries time out.
         */
        r = pbl_sysctl_write("net/ipv4/conf/all/arp_notify", "1");
        r = r ?: pbl_sysctl_write("net/ipv4/conf/default/arp_notify", "1");
        r = r ?: pbl_sysctl_write("net/ipv6/conf/all/ndisc_notify", "1");
        r = r ?: pbl_sysctl_write("net/ipv6/conf/default/ndisc_notify", "1");
        if (r < 0)
                return pbl_error_set(err, r, "sysctl net.ipv*.conf.*.{arp,ndisc}_notify");

        /* Only the deterministic link-locals we add: no kernel-generated ones. */
        r = pbl_sysctl_write("net/ipv6/conf/default/addr_gen_mode", "1");
        if (r < 0)
                return pbl_error_set(err, r, "sysctl net.ipv6.conf.default.addr_gen_mode");
        for (size_t i = 0; !ipv6_dad && i < ELEMENTSOF(nodad); i++) {
                r = pbl_sysctl_write(nodad[i], "0");
                if (r < 0)
                        return pbl_error_set(err, r, "sysctl %s", nodad[i]);
        }
        if (forwarding) {
                r = pbl_sysctl_write("net/ipv4/ip_forward", "1");
                if (r < 0)
                        return pbl_error_set(err, r, "sysctl net.ipv4.ip_forward");
                r = pbl_sysctl_write("net/ipv6/conf/all/forwarding", "1");
                if (r < 0)
                        return pbl_error_set(err, r, "sysctl net.ipv6.conf.all.forwarding");
        }
        return 0;
}

int
pbl_node_init(struct pbl_node *n, struct pbl_lab *lab, enum pbl_node_kind kind, const char *name,
              unsigned id, struct pbl_error *err)
{
        struct pbl_link_set lo = PBL_LINK_SET_INIT(1);
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        int r;

        char copy[PBL_NAME_MAX];

        /* 'name' may point into 'n' itself. */
        snprintf(copy, sizeof(copy), "%s", name);
        name = copy;
        memset(n, 0, sizeof(*n));
        n->kind = kind;
        n->id = id;
        n->lab = lab;
        n->netfd = -1;
        n->mntfd = -1;
        n->next_ifindex = 2;
        snprintf(n->name, sizeof(n->name), "%s", name);

        r = pbl_netns_create_and_enter(&n->netfd);
        if (r < 0) {
                pbl_netns_leave();
                return pbl_error_set(err, r, "creating the network namespace of %s", name);
        }
        r = sysctls(n, lab ? lab->ipv6_dad : false, err);
        if (r >= 0) {
                r = pbl_nl_open(&n->nl, -1);
                if (r < 0)
                        pbl_error_set(err, r, "rtnetlink socket in %s", name);
        }
        pbl_netns_leave();
        if (r >= 0 && kind == PBL_NODE_DEVICE) {
                r = pbl_mntns_create(&n->mntfd);
                if (r < 0)
                        pbl_error_set(err, r, "mount namespace of %s", name);
        }
        if (r >= 0) {
                b = pbl_node_batch(n);
                lo.up = 1;
                r = b ? pbl_rtnl_link_set(b, &lo) : -ENOMEM;
                if (r >= 0)
                        r = pbl_nl_batch_run(b, err);
        }
        if (r < 0)
                pbl_node_done(n);
        return r;
}

void
pbl_node_done(struct pbl_node *n)
{
        pbl_nl_close(&n->nl);
        n->netfd = safe_close(n->netfd);
        n->mntfd = safe_close(n->mntfd);
}

struct pbl_nl_batch *
pbl_node_batch(struct pbl_node *n)
{
        struct pbl_nl_batch *b = malloc(sizeof(*b));

        if (b)
                pbl_nl_batch_init(b, &n->nl);
        return b;
}

int
pbl_node_alloc_ifindex(struct pbl_node *n)
{
        return n->next_ifindex++;
}

void
pbl_node_note_ifindex(struct pbl_node *n, int ifindex)
{
        if (ifindex >= n->next_ifindex)
                n->next_ifindex = ifindex + 1;
}
