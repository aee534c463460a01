/* SPDX-License-Identifier: MIT */
/*
 * Interface counters (SPEC §9): the kernel's 64-bit link statistics of
 * every interface of a node, read with one RTM_GETLINK dump on the node's
 * rtnetlink socket, so a whole lab costs one round trip per node.
 */
#ifndef PBL_COUNTERS_H
#define PBL_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "lab.h"

struct pbl_link_counters {
        int ifindex;
        char name[PBL_IFNAME_MAX];
        uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
        uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
};

/*
 * Every interface of 'node' with its counters, in the kernel's (ifindex)
 * order: '*ret' is a malloc'd array of '*ret_n'.  Returns 0 or a negative
 * errno with 'err' filled.
 */
int pbl_node_counters(struct pbl_node *node, struct pbl_link_counters **ret, size_t *ret_n,
                      struct pbl_error *err);

/* The entry of 'ifindex' in 'list', or NULL. */
const struct pbl_link_counters *pbl_counters_find(const struct pbl_link_counters *list, size_t n,
                                                  int ifindex);

#endif
