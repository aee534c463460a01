/* SPDX-License-Identifier: MIT */
/*
 * The userspace shaper's ports: where it takes a link's frames from and
 * where it gives them back.  Each port is a veth pair from a lab node into
 * the shaper's own network namespace, where an AF_PACKET socket sits on
 * the far end.  That needs only CAP_NET_RAW in the daemon's user
 * namespace: no /dev/net/tun (often mode 0600, or absent in containers).
 *
 *  capture:  sender --mirred egress--> pbcN ===veth===> cN --> socket
 *  inject:   socket --> iN ===veth===> pbiN --mirred ingress--> receiver
 *
 * The shaper namespace holds nothing else (but the NAT64 translator's
 * two-way ports, pbl_port_duplex()): no addresses, no IPv6, no forwarding,
 * so frames arriving on cN die there once the socket has them.
 * pbiN carries the receiver's MAC address, or the re-injected frames would
 * be PACKET_OTHERHOST and dropped.  The sockets carry virtio-net headers
 * (PACKET_VNET_HDR), so GSO packets cross whole when the capture end's
 * offloads are on; off, frames arrive wire-sized with their checksums.
 */
#ifndef PBL_PORT_H
#define PBL_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct pbl_node;

struct pbl_port {
        int fd;      /* The AF_PACKET socket, in the shaper namespace (the caller closes it). */
        int ifindex; /* In the node: the redirect target (capture), the redirecting end (inject). */
};

/* Creates the shaper namespace (idempotent). */
int pbl_ports_init(struct pbl_error *err);

/* Deletes it; every port must be gone. */
void pbl_ports_done(void);

/* Builds capture port "pbc<serial>" in 'n'. */
int pbl_port_capture(struct pbl_node *n, unsigned serial, struct pbl_port *ret,
                     struct pbl_error *err);

/* Builds inject port "pbi<serial>" in 'n', carrying 'mac'. */
int pbl_port_inject(struct pbl_node *n, unsigned serial, const uint8_t mac[6], struct pbl_port *ret,
                    struct pbl_error *err);

/*
 * Builds a two-way port: veth 'name' in 'n', 'far' in the shaper namespace,
 * whose socket reads every frame 'n' sends into it and writes plain frames
 * (no virtio-net header) that 'n' receives.  The NAT64 translator's.
 */
int pbl_port_duplex(struct pbl_node *n, const char *name, const char *far, struct pbl_port *ret,
                    struct pbl_error *err);

/* Deletes the port's veth pair (failures ignored: the node may be going); left to the
 * kernel when the node's lab is being destroyed. */
void pbl_port_delete(struct pbl_node *n, const struct pbl_port *p);

/*
 * Turns the checksum and segmentation offloads of the port's node end on
 * or off.  Off, the capture socket receives wire-sized frames with their
 * checksums filled in.
 */
int pbl_port_offload(struct pbl_node *n, const struct pbl_port *p, bool on);

/* The MAC address of interface 'ifindex' in namespace 'netfd'. */
int pbl_link_mac(int netfd, int ifindex, uint8_t mac[6]);

#endif
