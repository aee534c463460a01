/* SPDX-License-Identifier: MIT */
/*
 * Packet captures, control side: sockets, files, the capture thread's life
 * (started with the first capture, stopped with the last) and the shaper's
 * capture ports, which a capture follows through pbl_shape_watch_ports().
 */
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include "capture-thread.h"
#include "log.h"
#include "netns.h"
#include "pb-macro.h"
#include "shape.h"

#define RCVBUF (4 * 1024 * 1024) /* Room for bursts while the thread writes. */

struct pbl_capture {
        LIST_ENTRY(pbl_capture) link;
        struct pbl_node *node;
        int ifindex;
        char iface[IF_NAMESIZE];
        int ctl_fd; /* A socket in the node's namespace, for interface lookups. */
        int port;   /* The shaper's capture port also read, or 0. */
        struct pbl_cap_file *cf;
};

static LIST_HEAD(, pbl_capture) captures = LIST_HEAD_INITIALIZER(captures);
static struct pbl_cap_thread *thread;

/*
 * A packet socket in 'netfd' bound to 'ifindex' for every protocol.  It is
 * created for no protocol and bound with ETH_P_ALL, so that it never sees
 * another interface's frames.
 */
static int
packet_socket(int netfd, int ifindex, struct pbl_error *err)
{
        struct sockaddr_ll sll = {
                .sll_family = AF_PACKET,
                .sll_protocol = htons(ETH_P_ALL),
                .sll_ifindex = ifindex,
        };
        _cleanup_close_ int fd = -EBADF;
        int one = 1, size = RCVBUF;

        fd = pbl_netns_socket(netfd, AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return pbl_error_set(err, fd, "socket(AF_PACKET)");
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0)
                return pbl_error_set(err, -errno, "setsockopt SO_TIMESTAMPNS");
        /* Past rmem_max where we may (CAP_NET_ADMIN over the namespace), else what it allows. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0)
                return pbl_error_set(err, -errno, "setsockopt SO_RCVBUF");
        if (ifindex > 0 && bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
                return pbl_error_set(err, -errno, "bind(AF_PACKET) to ifindex %d", ifindex);
        return TAKE_FD(fd);
}

/* The ifindex of 'name' in the namespace of socket 'fd': 0 if none. */
static int
lookup_ifindex(int fd, const char *name)
{
        struct ifreq ifr = { 0 };

        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
        if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
                return errno == ENODEV ? 0 : -errno;
        return ifr.ifr_ifindex;
}

/* Starts reading shaper port 'port' into 'c' too. */
static void
port_attach(struct pbl_capture *c, int port)
{
        struct pbl_error err = { 0 };
        int fd, r;

        fd = packet_socket(c->node->netfd, port, &err);
        r = fd < 0 ? fd : pbl_cap_thread_add_port(thread, c->cf, fd);
        if (r < 0) {
                log_warning_errno(r, "capture of %s/%s: cannot read its shaped egress: %m",
                                  c->node->name, c->iface);
                return;
        }
        c->port = port;
}

static void
port_detach(struct pbl_capture *c)
{
        if (!c->port)
                return;
        if (pbl_cap_thread_drop_port(thread, c->cf) < 0)
                log_warning("capture of %s/%s: cannot close its port socket", c->node->name,
                            c->iface);
        c->port = 0;
}

/* pbl_shape_port_fn: a userspace shape starts or stops stealing an egress. */
static void
on_port(void *ctx, const struct pbl_link_end *from, int port, bool added)
{
        struct pbl_capture *c;

        LIST_FOREACH (c, &captures, link) {
                if (c->node != from->node || c->ifindex != from->ifindex)
                        continue;
                if (!added)
                        port_detach(c);
                else if (!c->port)
                        port_attach(c, port);
        }
}

int
pbl_capture_start(struct pbl_node *node, const char *iface, const char *path,
                  struct pbl_capture **ret, struct pbl_status *st)
{
        _cleanup_close_ int ctl = -EBADF, sock = -EBADF, file = -EBADF;
        struct pbl_capture *c;
        int ifindex, port, r;

        ctl = pbl_netns_socket(node->netfd, AF_PACKET, SOCK_RAW, 0);
        if (ctl < 0)
                return pbl_error_set(&st->sys, ctl, "socket(AF_PACKET) in node '%s'", node->name);
        ifindex = lookup_ifindex(ctl, iface);
        if (ifindex < 0)
                return pbl_error_set(&st->sys, ifindex, "looking up interface '%s'", iface);
        if (ifindex == 0)
                return pbl_fault(st, PBL_FAULT_NO_SUCH_IFACE, "iface",
                                 "node '%s' has no interface '%s'", node->name, iface);
        LIST_FOREACH (c, &captures, link)
                if (c->node == node && c->ifindex == ifindex)
                        return pbl_fault(st, PBL_FAULT_IN_USE, "iface",
                                         "interface '%s' of '%s' is being captured already", iface,
                                         node->name);
        sock = packet_socket(node->netfd, ifindex, &st->sys);
        if (sock < 0)
                return sock;
        file = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (file < 0)
                return pbl_error_set(&st->sys, -errno, "open %s", path);
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        if (!thread) {
                r = pbl_cap_thread_new(&thread);
                if (r < 0) {
                        free(c);
                        return pbl_error_set(&st->sys, r, "starting the capture thread");
                }
                pbl_shape_watch_ports(on_port, NULL);
        }
        r = pbl_cap_thread_add(thread, TAKE_FD(file), TAKE_FD(sock), &c->cf);
        if (r < 0) {
                free(c);
                if (LIST_EMPTY(&captures)) {
                        pbl_shape_watch_ports(NULL, NULL);
                        thread = pbl_cap_thread_free(thread);
                }
                return pbl_error_set(&st->sys, r, "writing %s", path);
        }
        c->node = node;
        c->ifindex = ifindex;
        snprintf(c->iface, sizeof(c->iface), "%s", iface);
        c->ctl_fd = TAKE_FD(ctl);
        LIST_INSERT_HEAD(&captures, c, link);
        port = pbl_shape_egress_port(node, ifindex);
        if (port)
                port_attach(c, port);
        *ret = c;
        return 0;
}

int
pbl_capture_stop(struct pbl_capture *c, struct pbl_capture_stats *ret)
{
        int r;

        LIST_REMOVE(c, link);
        r = pbl_cap_thread_remove(thread, c->cf, ret);
        safe_close(c->ctl_fd);
        free(c);
        if (LIST_EMPTY(&captures)) {
                pbl_shape_watch_ports(NULL, NULL);
                thread = pbl_cap_thread_free(thread);
        }
        return r;
}

void
pbl_capture_peek(const struct pbl_capture *c, struct pbl_capture_stats *ret)
{
        pbl_cap_file_peek(c->cf, ret);
}

bool
pbl_capture_iface_exists(const struct pbl_capture *c)
{
        return lookup_ifindex(c->ctl_fd, c->iface) == c->ifindex;
}

bool
pbl_capture_reads_port(const struct pbl_capture *c)
{
        return c->port != 0;
}
