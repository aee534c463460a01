/* SPDX-License-Identifier: MIT */
/* TAP devices of the userspace shaper, created inside a node's namespace. */
#ifndef PBL_TAP_H
#define PBL_TAP_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Creates TAP 'name' in network namespace 'netfd' and returns its fd
 * (non-blocking, close-on-exec; the device lives as long as the fd) and its
 * ifindex.  'mac' (6 bytes, or NULL) becomes its address: a TAP that
 * re-injects frames for interface X must carry X's address, or the frames
 * are PACKET_OTHERHOST and dropped.  With 'vnet', frames carry a virtio-net
 * header and the kernel may hand over TSO/GSO super-packets (offloads on).
 * The TAP is brought up.
 */
int pbl_tap_create(int netfd, const char *name, const uint8_t *mac, bool vnet, int *ret_fd,
                   int *ret_ifindex);

/* Turns the GSO offloads of a vnet TAP on or off (off: frames arrive wire-sized). */
int pbl_tap_offload(int fd, bool on);

/* The MAC address of interface 'ifindex' in namespace 'netfd'. */
int pbl_link_mac(int netfd, int ifindex, uint8_t mac[6]);

#endif
