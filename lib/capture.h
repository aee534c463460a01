/* SPDX-License-Identifier: MIT */
/*
 * Packet captures (SPEC §9): every frame of one interface of a node, both
 * directions, into a pcap file (pcap.h: nanosecond timestamps, Ethernet).
 *
 * The control side (this API, on the daemon's main thread) opens an
 * AF_PACKET socket inside the node's network namespace, bound to the
 * interface, and the file; a capture thread (capture-thread.h) reads the
 * sockets and writes the files, off the control loop.
 *
 * A userspace-shaped egress (shape.h) is stolen into a capture port before
 * the interface's packet taps see it: a capture of such an interface also
 * reads that port's outgoing frames into the same file, and follows
 * condition changes made while it runs (the port comes and goes).
 */
#ifndef PBL_CAPTURE_H
#define PBL_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "lab.h"

struct pbl_capture;

struct pbl_capture_stats {
        uint64_t packets; /* Frames written to the file. */
        uint64_t bytes;   /* Their original lengths. */
        uint64_t dropped; /* Frames the kernel dropped (full socket buffer) or the file refused. */
};

/*
 * Starts capturing interface 'iface' of 'node' into 'path' (created or
 * truncated; the pcap header is written at once).  Faults: NoSuchIface,
 * InUse (that interface is captured already).  Returns 0 or a negative
 * errno with 'st' filled.
 */
int pbl_capture_start(struct pbl_node *node, const char *iface, const char *path,
                      struct pbl_capture **ret, struct pbl_status *st);

/*
 * Stops a capture: reads what its sockets still hold, flushes and closes
 * the file and frees 'c'.  '*ret' (may be NULL) gets the final counts.
 * Returns 0, or a negative errno when the file could not be written
 * completely (the capture is gone all the same).
 */
int pbl_capture_stop(struct pbl_capture *c, struct pbl_capture_stats *ret);

/* The counts so far (no round trip to the thread). */
void pbl_capture_peek(const struct pbl_capture *c, struct pbl_capture_stats *ret);

/* False once the captured interface was deleted (or renamed). */
bool pbl_capture_iface_exists(const struct pbl_capture *c);

/* True if the capture also reads a shaper's capture port. */
bool pbl_capture_reads_port(const struct pbl_capture *c);

#endif
