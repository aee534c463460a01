/* SPDX-License-Identifier: MIT */
/*
 * baseline_lab: the kernel work of building a lab, done directly — no
 * daemon, no JSON, no model.  The same calls patchbayd makes for a lab of
 * public routers with 10 devices each: per node a network namespace (plus a
 * mount namespace per device), the same sysctls, one veth created straight
 * into both namespaces, addresses and default routes, batched the same way.
 *
 * Usage: baseline_lab N   (N devices; prints build and teardown ms/node)
 * Run it in a user namespace when not root (it enters one itself).
 */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/mount.h>
#include <sys/wait.h>

struct ns {
        int fd, mnt;
        struct mnl_socket *nl;
};

static int self_net;
static char buf[32768] __attribute__((aligned(8)));
static size_t len;
static unsigned seq, count;

static double
now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
die(const char *what)
{
        fprintf(stderr, "baseline_lab: %s: %s\n", what, strerror(errno));
        exit(1);
}

static void
sysctl(const char *key, const char *value)
{
        char path[128];
        int fd;

        snprintf(path, sizeof(path), "/proc/sys/%s", key);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, value, strlen(value)) < 0)
                die(path);
        close(fd);
}

static int
child_mnt(void *arg)
{
        int *fd = arg;

        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return 1;
        *fd = open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
        return 0;
}

static void
ns_new(struct ns *n, int forwarding, int mount_ns)
{
        static char stack[64 * 1024] __attribute__((aligned(16)));
        int one = 1;

        if (unshare(CLONE_NEWNET) < 0)
                die("unshare");
        n->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        sysctl("net/ipv4/conf/all/promote_secondaries", "1");
        sysctl("net/ipv4/conf/default/promote_secondaries", "1");
        sysctl("net/ipv6/conf/default/addr_gen_mode", "1");
        sysctl("net/ipv6/conf/all/accept_dad", "0");
        sysctl("net/ipv6/conf/default/accept_dad", "0");
        sysctl("net/ipv6/conf/all/dad_transmits", "0");
        sysctl("net/ipv6/conf/default/dad_transmits", "0");
        if (forwarding) {
                sysctl("net/ipv4/ip_forward", "1");
                sysctl("net/ipv6/conf/all/forwarding", "1");
        }
        n->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
        if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
            mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0)
                die("netlink");
        if (setns(self_net, CLONE_NEWNET) < 0)
                die("setns back");
        n->mnt = -1;
        if (mount_ns) {
                pid_t pid = clone(child_mnt, stack + sizeof(stack),
                                  CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &n->mnt);

                if (pid < 0 || waitpid(pid, NULL, 0) < 0 || n->mnt < 0)
                        die("mount namespace");
        }
}

static struct nlmsghdr *
msg(uint16_t type, uint16_t flags)
{
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        nlh->nlmsg_seq = ++seq;
        count++;
        return nlh;
}

static void
done(struct nlmsghdr *nlh)
{
        len += MNL_ALIGN(nlh->nlmsg_len);
}

static void
run(struct ns *n)
{
        char rbuf[32768] __attribute__((aligned(8)));
        unsigned acked = 0;

        if (mnl_socket_sendto(n->nl, buf, len) < 0)
                die("sendto");
        while (acked < count) {
                ssize_t r = mnl_socket_recvfrom(n->nl, rbuf, sizeof(rbuf));
                const struct nlmsghdr *h;
                int rest = (int)r;

                if (r < 0)
                        die("recvfrom");
                for (h = (void *)rbuf; mnl_nlmsg_ok(h, rest); h = mnl_nlmsg_next(h, &rest)) {
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

                        if (h->nlmsg_type != NLMSG_ERROR)
                                continue;
                        acked++;
                        if (e->error) {
                                errno = -e->error;
                                die("netlink request");
                        }
                }
        }
        len = count = 0;
}

static void
link_up(int ifindex)
{
        struct nlmsghdr *nlh = msg(RTM_NEWLINK, 0);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

        ifi->ifi_index = ifindex;
        ifi->ifi_change = ifi->ifi_flags = IFF_UP;
        done(nlh);
}

static void
bridge(const char *name, int ifindex)
{
        struct nlmsghdr *nlh = msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
        uint8_t mac[6] = { 2, 0, 0, 0, (uint8_t)(ifindex >> 8), (uint8_t)ifindex };
        struct nlattr *li;

        ifi->ifi_index = ifindex;
        ifi->ifi_change = ifi->ifi_flags = IFF_UP;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, li);
        done(nlh);
}

static void
veth(const char *name, int ifindex, int master, const char *peer, int peer_index, int peer_ns)
{
        struct nlmsghdr *nlh = msg(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
        struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi)), *pifi;
        struct nlattr *li, *data, *p;

        ifi->ifi_index = ifindex;
        ifi->ifi_change = ifi->ifi_flags = IFF_UP;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
        li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
        pifi->ifi_index = peer_index;
        mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns);
        mnl_attr_nest_end(nlh, p);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, li);
        done(nlh);
}

static void
addr4(uint32_t ip, int plen, int ifindex)
{
        struct nlmsghdr *nlh = msg(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
        struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
        uint32_t be = htonl(ip);

        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (uint8_t)plen;
        ifa->ifa_index = (uint32_t)ifindex;
        mnl_attr_put(nlh, IFA_LOCAL, 4, &be);
        mnl_attr_put(nlh, IFA_ADDRESS, 4, &be);
        done(nlh);
}

static void
route4(uint32_t dst, int dlen, uint32_t gw)
{
        struct nlmsghdr *nlh = msg(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
        struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
        uint32_t d = htonl(dst), g = htonl(gw);

        rtm->rtm_family = AF_INET;
        rtm->rtm_dst_len = (uint8_t)dlen;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_STATIC;
        rtm->rtm_type = RTN_UNICAST;
        if (dlen)
                mnl_attr_put(nlh, RTA_DST, 4, &d);
        mnl_attr_put(nlh, RTA_GATEWAY, 4, &g);
        done(nlh);
}

static void
enter_userns(void)
{
        char map[64];
        uid_t uid = geteuid();
        gid_t gid = getegid();
        int fd;

        if (uid == 0) {
                if (unshare(CLONE_NEWNS) < 0)
                        die("unshare mount");
                mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
                return;
        }
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                die("unshare user");
        fd = open("/proc/self/setgroups", O_WRONLY);
        if (fd < 0 || write(fd, "deny", 4) < 0)
                die("setgroups");
        close(fd);
        snprintf(map, sizeof(map), "0 %u 1", uid);
        fd = open("/proc/self/uid_map", O_WRONLY);
        if (fd < 0 || write(fd, map, strlen(map)) < 0)
                die("uid_map");
        close(fd);
        snprintf(map, sizeof(map), "0 %u 1", gid);
        fd = open("/proc/self/gid_map", O_WRONLY);
        if (fd < 0 || write(fd, map, strlen(map)) < 0)
                die("gid_map");
        close(fd);
        mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
}

int
main(int argc, char **argv)
{
        int n = argc > 1 ? atoi(argv[1]) : 100, nr = (n + 9) / 10;
        struct ns root, *routers, *devs;
        double t0, t1, t2;
        char name[16];

        if (n < 1)
                return 1;
        enter_userns();
        if (unshare(CLONE_NEWNET) < 0)
                die("private netns");
        self_net = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        routers = calloc((size_t)nr, sizeof(*routers));
        devs = calloc((size_t)n, sizeof(*devs));
        if (!routers || !devs)
                die("calloc");

        t0 = now_ms();
        ns_new(&root, 1, 0);
        link_up(1);
        bridge("ix", 2);
        addr4(0xc6120001, 24, 2); /* 198.18.0.1/24 */
        run(&root);
        for (int r = 0; r < nr; r++) {
                uint32_t wan = 0xc612000a + (uint32_t)r, lan = 0xc6120000 | (uint32_t)(r + 1) << 8;

                ns_new(&routers[r], 1, 0);
                link_up(1);
                bridge("br-lan", 3);
                addr4(lan | 1, 24, 3);
                run(&routers[r]);
                snprintf(name, sizeof(name), "r%d", r);
                veth(name, 3 + r, 2, "ix", 2, routers[r].fd);
                run(&root);
                link_up(2);
                addr4(wan, 24, 2);
                route4(0, 0, 0xc6120001);
                run(&routers[r]);
                route4(lan, 24, wan);
                run(&root);
        }
        for (int i = 0; i < n; i++) {
                int r = i / 10;
                uint32_t lan = 0xc6120000 | (uint32_t)(r + 1) << 8;

                ns_new(&devs[i], 0, 1);
                link_up(1);
                run(&devs[i]);
                snprintf(name, sizeof(name), "v%d", i);
                veth(name, 4 + i % 10, 3, "eth0", 2, devs[i].fd);
                run(&routers[r]);
                link_up(2);
                addr4(lan | (uint32_t)(2 + i % 10), 24, 2);
                route4(0, 0, lan | 1);
                run(&devs[i]);
        }
        t1 = now_ms();
        for (int i = 0; i < n; i++) {
                mnl_socket_close(devs[i].nl);
                close(devs[i].fd);
                close(devs[i].mnt);
        }
        for (int r = 0; r < nr; r++) {
                mnl_socket_close(routers[r].nl);
                close(routers[r].fd);
        }
        mnl_socket_close(root.nl);
        close(root.fd);
        t2 = now_ms();
        printf("baseline_lab: %d devices, %d routers: build %.1f ms (%.3f ms/node), teardown "
               "%.1f ms\n",
               n, nr, t1 - t0, (t1 - t0) / (n + nr), t2 - t1);
        free(routers);
        free(devs);
        return 0;
}
