/* SPDX-License-Identifier: MIT */
/*
 * The userspace shaper's thread: it reads frames from capture TAPs, passes
 * them through the frame model (shape-model.h) of their link direction and
 * writes them to inject TAPs when they are due.  It runs off the control
 * loop, so RPC latency stays low under heavy shaped traffic.  The control
 * side talks to it through a small synchronous command queue: every call
 * below returns once the thread has done it.
 */
#ifndef PBL_SHAPER_H
#define PBL_SHAPER_H

#include <stdbool.h>
#include <stdint.h>

#include "condition.h"
#include "shape-model.h"

struct pbl_shaper;

struct pbl_shaper_stats {
        struct pbl_shape_stats model; /* What the condition did. */
        uint64_t read_errors;         /* Capture TAP reads that failed. */
        uint64_t write_errors;        /* Frames the inject TAP refused. */
};

/* Starts the thread.  Returns 0 or a negative errno. */
int pbl_shaper_new(struct pbl_shaper **ret);

/* Stops the thread and releases every link.  NULL-tolerant; returns NULL. */
struct pbl_shaper *pbl_shaper_free(struct pbl_shaper *s);

/*
 * Shapes the frames read from 'cap_fd' with 'c' and writes them to
 * 'inj_fd' (packet sockets or TAP fds).  The shaper owns both fds from now
 * on (even on failure) and closes them when the link is removed.  'vnet':
 * frames carry a virtio-net header (kept for the write; GSO packets count
 * as their segments for the rate).  Returns 0 and the link's id, or a
 * negative errno.
 */
int pbl_shaper_add(struct pbl_shaper *s, int cap_fd, int inj_fd, bool vnet,
                   const struct pbl_condition *c, uint32_t *ret_id);

/* Changes a link's condition: new frames see it, queued ones keep their times. */
int pbl_shaper_update(struct pbl_shaper *s, uint32_t id, const struct pbl_condition *c);

/* Removes a link: queued frames are dropped, the fds closed. */
int pbl_shaper_remove(struct pbl_shaper *s, uint32_t id);

int pbl_shaper_stats(struct pbl_shaper *s, uint32_t id, struct pbl_shaper_stats *ret);

/* The number of links. */
unsigned pbl_shaper_links(const struct pbl_shaper *s);

#endif
