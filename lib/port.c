/* SPDX-License-Identifier: MIT */
#include "port.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lab.h"
#include "netns.h"
#include "node.h"
#include "pb-macro.h"
#include "rtnl.h"
#include "tc.h"

/* As large as a veth takes: the ports must never be a link's bottleneck. */
#define PORT_MTU 65535
/* Socket buffers: what the host's rmem_max/wmem_max grant (no FORCE in a user namespace). */
#define PORT_SOCKBUF (4 << 20)

/* The shaper's namespace: the far ends of every port. */
static struct pbl_node shaper_ns = { .netfd = -1, .mntfd = -1 };

int
pbl_ports_init(struct pbl_error *err)
{
        int r;

        if (shaper_ns.netfd >= 0)
                return 0;
        r = pbl_node_init(&shaper_ns, NULL, PBL_NODE_ROUTER, "shaper", 0, err);
        if (r < 0)
                return r;
        /* Nothing here may answer, solicit or report: no IPv6 at all. */
        r = pbl_sysctl_write_in(shaper_ns.netfd, "net/ipv6/conf/all/disable_ipv6", "1");
        if (r >= 0)
                r = pbl_sysctl_write_in(shaper_ns.netfd, "net/ipv6/conf/default/disable_ipv6", "1");
        if (r < 0 && r != -ENOENT) {
                pbl_node_done(&shaper_ns);
                shaper_ns.netfd = -1;
                return pbl_error_set(err, r, "disabling IPv6 in the shaper namespace");
        }
        return 0;
}

void
pbl_ports_done(void)
{
        if (shaper_ns.netfd >= 0)
                pbl_node_done(&shaper_ns);
        shaper_ns.netfd = -1;
}

/*
 * Creates veth 'name' in 'n' (its ifindex in 'p') with peer 'far' in the
 * shaper namespace (its ifindex returned), both up; 'mac' on the node end.
 */
static int
make_pair(struct pbl_node *n, const char *name, const char *far, const uint8_t *mac,
          struct pbl_port *p, struct pbl_error *err)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(n), *sb = pbl_node_batch(&shaper_ns);
        int far_ifindex = pbl_node_alloc_ifindex(&shaper_ns);
        struct pbl_link_set up = PBL_LINK_SET_INIT(far_ifindex);
        struct pbl_veth v;
        int r;

        if (!b || !sb)
                return -ENOMEM;
        p->ifindex = pbl_node_alloc_ifindex(n);
        v = (struct pbl_veth){
                .name = name,
                .ifindex = p->ifindex,
                .mtu = PORT_MTU,
                .mac = mac,
                .peer_name = far,
                .peer_ifindex = far_ifindex,
                .peer_netfd = shaper_ns.netfd,
                .peer_mtu = PORT_MTU,
                .up = true,
                .noarp = true,
        };
        r = pbl_rtnl_veth(b, &v);
        r = r ?: pbl_nl_batch_run(b, err);
        if (r < 0) {
                p->ifindex = 0;
                return r;
        }
        up.up = 1;
        r = pbl_rtnl_link_set(sb, &up);
        r = r ?: pbl_nl_batch_run(sb, err);
        return r < 0 ? r : far_ifindex;
}

/*
 * An AF_PACKET socket in the shaper namespace on 'ifindex' ('rx': capture,
 * else inject; 'duplex': both, plain frames without a virtio-net header).
 */
static int
make_socket(int ifindex, bool rx, bool duplex)
{
        _cleanup_close_ int fd = -EBADF;
        uint16_t proto = rx ? ETH_P_ALL : 0; /* 0: never receives. */
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(proto),
                .sll_ifindex = ifindex,
        };
        int one = 1, size = PORT_SOCKBUF, r;

        r = pbl_netns_enter(shaper_ns.netfd);
        if (r < 0)
                return r;
        fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(proto));
        r = fd < 0 ? -errno : 0;
        pbl_netns_leave();
        if (r < 0)
                return r;
        if (!duplex && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0)
                return -errno;
        if (rx && setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
                return -errno;
        if ((!rx || duplex) &&
            setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
                return -errno;
        /* Best effort: the host caps them. */
        if (rx)
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
        if (!rx || duplex)
                (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
        if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

static int
make_port(struct pbl_node *n, const char *name, const char *far, const uint8_t *mac, bool rx,
          bool duplex, struct pbl_port *ret, struct pbl_error *err)
{
        struct pbl_port p = { .fd = -EBADF };
        int far_ifindex, r;

        if (shaper_ns.netfd < 0)
                return pbl_error_set(err, -EOPNOTSUPP, "the shaper namespace is not set up");
        far_ifindex = make_pair(n, name, far, mac, &p, err);
        if (far_ifindex < 0) {
                r = far_ifindex;
                if (!err->code)
                        (void)pbl_error_set(err, r, "building shaper port %s in %s", name, n->name);
                pbl_port_delete(n, &p);
                return r;
        }
        p.fd = make_socket(far_ifindex, rx, duplex);
        if (p.fd < 0) {
                r = pbl_error_set(err, p.fd, "AF_PACKET socket on %s (shaper end of %s in %s)", far,
                                  name, n->name);
                pbl_port_delete(n, &p);
                return r;
        }
        *ret = p;
        return 0;
}

int
pbl_port_capture(struct pbl_node *n, unsigned serial, struct pbl_port *ret, struct pbl_error *err)
{
        char name[PBL_IFNAME_MAX], far[PBL_IFNAME_MAX];

        snprintf(name, sizeof(name), "pbc%u", serial);
        snprintf(far, sizeof(far), "c%u", serial);
        return make_port(n, name, far, NULL, true, false, ret, err);
}

int
pbl_port_inject(struct pbl_node *n, unsigned serial, const uint8_t mac[6], struct pbl_port *ret,
                struct pbl_error *err)
{
        char name[PBL_IFNAME_MAX], far[PBL_IFNAME_MAX];

        snprintf(name, sizeof(name), "pbi%u", serial);
        snprintf(far, sizeof(far), "i%u", serial);
        return make_port(n, name, far, mac, false, false, ret, err);
}

int
pbl_port_duplex(struct pbl_node *n, const char *name, const char *far, struct pbl_port *ret,
                struct pbl_error *err)
{
        return make_port(n, name, far, NULL, true, true, ret, err);
}

void
pbl_port_delete(struct pbl_node *n, const struct pbl_port *p)
{
        _cleanup_free_ struct pbl_nl_batch *b = NULL;
        struct pbl_error scratch = { 0 };

        /*
         * A dying lab's namespaces take their ends of the ports with them, in
         * one batch of the kernel's; deleting each pair first would cost an
         * RCU grace period per pair (seconds for a few hundred links).
         */
        if (!p->ifindex || n->netfd < 0 || (n->lab && n->lab->dying) || !(b = pbl_node_batch(n)))
                return;
        /* Deleting one end deletes the pair; its filters go with it. */
        if (pbl_rtnl_link_del(b, p->ifindex, "shaper port") == 0)
                (void)pbl_nl_batch_run(b, &scratch);
}

/* --- offloads through the legacy ethtool ioctl, by feature name ----------- */

static bool
offload_feature(const char *name)
{
        size_t len = strlen(name);

        /* Checksumming, scatter-gather and every kind of segmentation; not
         * tx-lockless and the like, which cannot change. */
        return strncmp(name, "tx-checksum", 11) == 0 || strcmp(name, "tx-scatter-gather") == 0 ||
               strcmp(name, "tx-gso-partial") == 0 || strcmp(name, "tx-gso-list") == 0 ||
               (strncmp(name, "tx-", 3) == 0 && len > 13 &&
                strcmp(name + len - 13, "-segmentation") == 0);
}

/*
 * The feature bits to toggle, from the kernel's own names (read once), and
 * the number of 32-bit blocks the kernel's feature set has.
 */
static int
offload_mask(int sockfd, struct ifreq *ifr, uint32_t *mask, unsigned blocks, unsigned *ret_blocks)
{
        struct {
                struct ethtool_sset_info hdr;
                uint32_t len;
        } info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_FEATURES } };
        _cleanup_free_ struct ethtool_gstrings *names = NULL;
        uint32_t count;

        ifr->ifr_data = (void *)&info;
        if (ioctl(sockfd, SIOCETHTOOL, ifr) < 0)
                return -errno;
        count = info.hdr.sset_mask ? info.len : 0;
        if (count == 0 || count > blocks * 32)
                return -EOPNOTSUPP;
        names = calloc(1, sizeof(*names) + (size_t)count * ETH_GSTRING_LEN);
        if (!names)
                return -ENOMEM;
        names->cmd = ETHTOOL_GSTRINGS;
        names->string_set = ETH_SS_FEATURES;
        names->len = count;
        ifr->ifr_data = (void *)names;
        if (ioctl(sockfd, SIOCETHTOOL, ifr) < 0)
                return -errno;
        for (uint32_t i = 0; i < count; i++) {
                char name[ETH_GSTRING_LEN + 1] = { 0 };

                memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
                if (offload_feature(name))
                        mask[i / 32] |= 1u << (i % 32);
        }
        *ret_blocks = (count + 31) / 32;
        return 0;
}

#define FEATURE_BLOCKS 4

int
pbl_port_offload(struct pbl_node *n, const struct pbl_port *p, bool on)
{
        _cleanup_close_ int sockfd = -EBADF;
        static uint32_t mask[FEATURE_BLOCKS];
        static unsigned blocks; /* The kernel's ETHTOOL_DEV_FEATURE_WORDS; 0: not known yet. */
        struct {
                struct ethtool_sfeatures hdr;
                struct ethtool_set_features_block blocks[FEATURE_BLOCKS];
        } set = { .hdr = { .cmd = ETHTOOL_SFEATURES } };
        struct ifreq ifr = { .ifr_ifindex = p->ifindex };
        int r;

        r = pbl_netns_enter(n->netfd);
        if (r < 0)
                return r;
        sockfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        r = sockfd < 0 ? -errno : 0;
        pbl_netns_leave();
        if (r < 0)
                return r;
        if (ioctl(sockfd, SIOCGIFNAME, &ifr) < 0)
                return -errno;
        if (!blocks) {
                r = offload_mask(sockfd, &ifr, mask, FEATURE_BLOCKS, &blocks);
                if (r < 0)
                        return r;
        }
        set.hdr.size = blocks; /* Exactly the kernel's, or EINVAL. */
        for (unsigned i = 0; i < blocks; i++) {
                set.blocks[i].valid = mask[i];
                set.blocks[i].requested = on ? mask[i] : 0;
        }
        ifr.ifr_data = (void *)&set;
        /* A positive answer flags features this device cannot change: fine. */
        return ioctl(sockfd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

int
pbl_link_mac(int netfd, int ifindex, uint8_t mac[6])
{
        struct ifreq ifr = { .ifr_ifindex = ifindex };
        _cleanup_close_ int s = -EBADF;
        int r = pbl_netns_enter(netfd);

        if (r < 0)
                return r;
        s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        r = s < 0 ? -errno : 0;
        pbl_netns_leave();
        if (r < 0)
                return r;
        if (ioctl(s, SIOCGIFNAME, &ifr) < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
                return -errno;
        memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
        return 0;
}
