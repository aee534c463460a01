/* SPDX-License-Identifier: MIT */
#include "rtnl.h"

#include <errno.h>
#include <string.h>

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

static struct ifinfomsg *
put_ifinfo(struct nlmsghdr *nlh, int ifindex, int up)
{
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = ifindex;
        if (up != PBL_KEEP) {
                ifi->ifi_change = IFF_UP;
                ifi->ifi_flags = up ? IFF_UP : 0;
        }
        return ifi;
}

int
pbl_rtnl_veth(struct pbl_nl_batch *b, const struct pbl_veth *v)
{
        struct nlmsghdr *nlh;
        struct nlattr *linkinfo, *data, *peer;
        struct ifinfomsg *ifi, *pifi;

        nlh = pbl_nl_batch_add(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "RTM_NEWLINK veth %s/%s",
                               v->name, v->peer_name);
        if (!nlh)
                return -ENOBUFS;
        ifi = put_ifinfo(nlh, v->ifindex, v->up);
        if (v->noarp) {
                ifi->ifi_change |= IFF_NOARP;
                ifi->ifi_flags |= IFF_NOARP;
        }
        mnl_attr_put_strz(nlh, IFLA_IFNAME, v->name);
        if (v->mtu)
                mnl_attr_put_u32(nlh, IFLA_MTU, v->mtu);
        if (v->mac)
                mnl_attr_put(nlh, IFLA_ADDRESS, 6, v->mac);
        if (v->master)
                mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)v->master);
        linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
        pifi->ifi_family = AF_UNSPEC;
        pifi->ifi_index = v->peer_ifindex;
        if (v->noarp) {
                pifi->ifi_change = IFF_NOARP;
                pifi->ifi_flags = IFF_NOARP;
        }
        /* Never IFF_UP here: the peer opens before the pair is linked and
         * veth_open() fails with ENOTCONN.  Callers raise it afterwards. */
        mnl_attr_put_strz(nlh, IFLA_IFNAME, v->peer_name);
        if (v->peer_mtu)
                mnl_attr_put_u32(nlh, IFLA_MTU, v->peer_mtu);
        if (v->peer_mac)
                mnl_attr_put(nlh, IFLA_ADDRESS, 6, v->peer_mac);
        if (v->peer_netfd >= 0)
                mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)v->peer_netfd);
        mnl_attr_nest_end(nlh, peer);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, linkinfo);
        return 0;
}

int
pbl_rtnl_bridge(struct pbl_nl_batch *b, const char *name, int ifindex, const uint8_t *mac,
                unsigned mtu, bool up)
{
        struct nlmsghdr *nlh;
        struct nlattr *linkinfo;

        nlh = pbl_nl_batch_add(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "RTM_NEWLINK bridge %s",
                               name);
        if (!nlh)
                return -ENOBUFS;
        put_ifinfo(nlh, ifindex, up);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        /* A fixed address: otherwise the bridge takes its lowest port's MAC and
         * changes it as ports come and go, stalling traffic through it. */
        if (mac)
                mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        if (mtu)
                mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
        linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, linkinfo);
        return 0;
}

int
pbl_rtnl_link_set(struct pbl_nl_batch *b, const struct pbl_link_set *s)
{
        struct nlmsghdr *nlh;

        nlh = pbl_nl_batch_add(b, RTM_NEWLINK, 0, "RTM_NEWLINK set ifindex %d", s->ifindex);
        if (!nlh)
                return -ENOBUFS;
        put_ifinfo(nlh, s->ifindex, s->up);
        if (s->name)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, s->name);
        if (s->mtu != PBL_KEEP)
                mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)s->mtu);
        if (s->master != PBL_KEEP)
                mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)s->master);
        if (s->netfd != PBL_KEEP) {
                mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->netfd);
                if (s->new_ifindex > 0)
                        mnl_attr_put_u32(nlh, IFLA_NEW_IFINDEX, (uint32_t)s->new_ifindex);
        }
        return 0;
}

int
pbl_rtnl_link_del(struct pbl_nl_batch *b, int ifindex, const char *what)
{
        struct nlmsghdr *nlh;

        nlh = pbl_nl_batch_add(b, RTM_DELLINK, 0, "RTM_DELLINK %s", what);
        if (!nlh)
                return -ENOBUFS;
        put_ifinfo(nlh, ifindex, PBL_KEEP);
        return 0;
}

int
pbl_rtnl_addr(struct pbl_nl_batch *b, bool add, const struct pbl_ip *ip, int prefixlen, int ifindex,
              bool nodad)
{
        char text[PBL_IP_STRLEN];
        struct ifaddrmsg *ifa;
        struct nlmsghdr *nlh;

        nlh = pbl_nl_batch_add(b, add ? RTM_NEWADDR : RTM_DELADDR,
                               add ? NLM_F_CREATE | NLM_F_EXCL : 0, "%s %s/%d ifindex %d",
                               add ? "RTM_NEWADDR" : "RTM_DELADDR", pbl_ip_str(ip, text), prefixlen,
                               ifindex);
        if (!nlh)
                return -ENOBUFS;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        ifa->ifa_family = (uint8_t)ip->family;
        ifa->ifa_prefixlen = (uint8_t)prefixlen;
        ifa->ifa_index = (uint32_t)ifindex;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        if (ip->family == AF_INET6 && ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80)
                ifa->ifa_scope = RT_SCOPE_LINK;
        mnl_attr_put(nlh, IFA_LOCAL, pbl_ip_len(ip), ip->bytes);
        mnl_attr_put(nlh, IFA_ADDRESS, pbl_ip_len(ip), ip->bytes);
        if (add && nodad && ip->family == AF_INET6) {
                ifa->ifa_flags = IFA_F_NODAD;
                mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
        }
        return 0;
}

int
pbl_rtnl_route(struct pbl_nl_batch *b, bool add, bool replace, const struct pbl_route *r)
{
        char dst[50], gw[PBL_IP_STRLEN];
        struct nlmsghdr *nlh;
        struct rtmsg *rtm;
        int family = r->dst.ip.family ? r->dst.ip.family : r->gw.family;

        nlh = pbl_nl_batch_add(b, add ? RTM_NEWROUTE : RTM_DELROUTE,
                               add ? NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL) : 0,
                               "%s %s via %s oif %d", add ? "RTM_NEWROUTE" : "RTM_DELROUTE",
                               r->dst.len || r->dst.ip.family ? pbl_prefix_str(&r->dst, dst)
                                                              : "default",
                               r->gw.family ? pbl_ip_str(&r->gw, gw) : "-", r->oif);
        if (!nlh)
                return -ENOBUFS;
        rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
        rtm->rtm_family = (uint8_t)family;
        rtm->rtm_dst_len = (uint8_t)r->dst.len;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_STATIC;
        rtm->rtm_scope = r->gw.family || r->blackhole ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
        rtm->rtm_type = r->blackhole ? RTN_BLACKHOLE : RTN_UNICAST;
        if (r->dst.len)
                mnl_attr_put(nlh, RTA_DST, pbl_ip_len(&r->dst.ip), r->dst.ip.bytes);
        if (r->gw.family)
                mnl_attr_put(nlh, RTA_GATEWAY, pbl_ip_len(&r->gw), r->gw.bytes);
        if (r->oif)
                mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
        return 0;
}
