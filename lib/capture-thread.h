/* SPDX-License-Identifier: MIT */
/*
 * Internal to capture.c: the capture thread.  It reads AF_PACKET sockets
 * (epoll, recvmmsg batches, kernel timestamps) and appends what they get
 * to each capture's pcap file through a stdio buffer, flushed at least
 * every 200 ms.  The control side talks to it through a one-slot
 * synchronous command queue: every call returns once the thread has done
 * it, so sockets are added and removed exactly when asked.
 */
#ifndef PBL_CAPTURE_THREAD_H
#define PBL_CAPTURE_THREAD_H

#include <stdbool.h>

#include "capture.h"

struct pbl_cap_thread;
struct pbl_cap_file;

int pbl_cap_thread_new(struct pbl_cap_thread **ret);
/* Stops the thread; every capture must have been removed.  NULL-tolerant; returns NULL. */
struct pbl_cap_thread *pbl_cap_thread_free(struct pbl_cap_thread *t);

/*
 * A new capture: writes the pcap header to 'file_fd' (synchronously, so
 * that failures are reported here), then hands it and socket 'fd' to the
 * thread.  Both are owned from now on, even on failure.
 */
int pbl_cap_thread_add(struct pbl_cap_thread *t, int file_fd, int fd, struct pbl_cap_file **ret);

/*
 * Adds socket 'fd' (owned from now on, even on failure) whose outgoing
 * frames go to the same file: a shaper's capture port.  One at a time.
 */
int pbl_cap_thread_add_port(struct pbl_cap_thread *t, struct pbl_cap_file *cf, int fd);

/* Reads what the port's socket still holds, then closes it. */
int pbl_cap_thread_drop_port(struct pbl_cap_thread *t, struct pbl_cap_file *cf);

/*
 * Drains every socket, closes them and the file, frees 'cf' and fills
 * '*ret'.  Returns 0 or the negative errno of a failed write or close.
 */
int pbl_cap_thread_remove(struct pbl_cap_thread *t, struct pbl_cap_file *cf,
                          struct pbl_capture_stats *ret);

/* Frames and bytes written so far (atomic reads). */
void pbl_cap_file_peek(const struct pbl_cap_file *cf, struct pbl_capture_stats *ret);

#endif
