/* SPDX-License-Identifier: MIT */
/*
 * A thread that closes file descriptors whose close is slow: closing a
 * bound AF_PACKET socket waits for an RCU grace period (milliseconds), so a
 * thread that drops hundreds of them at once (a lab of shaped links being
 * destroyed) hands them over here instead of waiting.
 */
#ifndef PBL_CLOSER_H
#define PBL_CLOSER_H

struct pbl_closer;

/* Starts the thread.  Returns 0 or a negative errno. */
int pbl_closer_new(struct pbl_closer **ret);

/*
 * Closes 'fd' (ignored if negative) on the closer's thread; on the
 * caller's, at once, when 'c' is NULL or the fd cannot be queued.
 */
void pbl_closer_close(struct pbl_closer *c, int fd);

/* Closes whatever is still queued, stops the thread and frees 'c'.  Returns NULL. */
struct pbl_closer *pbl_closer_free(struct pbl_closer *c);

#endif
