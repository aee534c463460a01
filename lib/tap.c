/* SPDX-License-Identifier: MIT */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "netns.h"
#include "pb-macro.h"

static int
ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (s < 0)
                return -errno;
        return ioctl(s, req, ifr) < 0 ? -errno : 0;
}

int
pbl_tap_offload(int fd, bool on)
{
        unsigned flags = on ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0;

        return ioctl(fd, TUNSETOFFLOAD, flags) < 0 ? -errno : 0;
}

int
pbl_tap_create(int netfd, const char *name, const uint8_t *mac, bool vnet, int *ret_fd,
               int *ret_ifindex)
{
        _cleanup_close_ int fd = -EBADF;
        struct ifreq ifr = { 0 };
        char key[96];
        int r;

        r = pbl_netns_enter(netfd);
        if (r < 0)
                return r;
        /* The TAP is created in the namespace of the thread that sets it up. */
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                r = -errno;
                goto out;
        }
        if (vnet && (r = pbl_tap_offload(fd, true)) < 0)
                goto out;
        if (mac) {
                ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
                memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
                if ((r = ifreq_ioctl(SIOCSIFHWADDR, &ifr)) < 0)
                        goto out;
        }
        if ((r = ifreq_ioctl(SIOCGIFINDEX, &ifr)) < 0)
                goto out;
        *ret_ifindex = ifr.ifr_ifindex;
        /* A TAP must not speak for itself: no link-local address, no MLD or
         * router solicitations for the shaper to pass off as the link's. */
        snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", name);
        r = pbl_sysctl_write(key, "1");
        if (r < 0 && r != -ENOENT) /* ENOENT: no IPv6 in this kernel. */
                goto out;
        if ((r = ifreq_ioctl(SIOCGIFFLAGS, &ifr)) < 0)
                goto out;
        ifr.ifr_flags |= IFF_UP;
        if ((r = ifreq_ioctl(SIOCSIFFLAGS, &ifr)) < 0)
                goto out;
        *ret_fd = TAKE_FD(fd);
out:
        pbl_netns_leave();
        return r;
}

int
pbl_link_mac(int netfd, int ifindex, uint8_t mac[6])
{
        struct ifreq ifr = { .ifr_ifindex = ifindex };
        int r = pbl_netns_enter(netfd);

        if (r < 0)
                return r;
        r = ifreq_ioctl(SIOCGIFNAME, &ifr);
        if (r >= 0)
                r = ifreq_ioctl(SIOCGIFHWADDR, &ifr);
        if (r >= 0)
                memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
        pbl_netns_leave();
        return r;
}
