/* SPDX-License-Identifier: MIT */
/*
 * A worker thread off the control loop (the link shaper's, the NAT64
 * translator's): it waits in its own epoll set, and the control side hands
 * it commands through a one-slot synchronous queue (eventfd + mutex +
 * condition variable).  pbl_worker_call() returns once the thread ran the
 * command.  The thread blocks every signal.
 *
 * The thread's loop is the user's: it waits on 'epfd', and when an event's
 * data.ptr is NULL (the queue's eventfd), it calls pbl_worker_take(), which
 * runs the pending command through 'run' and returns false once told to stop.
 * pbl_worker_turn() does one such wait for the usual loop.
 */
#ifndef PBL_WORKER_H
#define PBL_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct pbl_worker_slot;

struct pbl_worker {
        pthread_t thread;
        int epfd, evfd;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct pbl_worker_slot *slot; /* Under 'lock'. */
        int (*run)(void *ctx, void *cmd);
        void *ctx;
};

/*
 * Starts thread 'name' running main(ctx); commands go to run(ctx, cmd).
 * Returns 0 or a negative errno (nothing left to undo).
 */
int pbl_worker_start(struct pbl_worker *w, const char *name, void *(*main)(void *),
                     int (*run)(void *ctx, void *cmd), void *ctx);

/* Stops and joins the thread, closes the queue and the epoll set. */
void pbl_worker_stop(struct pbl_worker *w);

/* Control side: runs 'cmd' on the thread and returns run()'s result. */
int pbl_worker_call(struct pbl_worker *w, void *cmd);

/* Thread side: runs the pending command, if any.  Returns false when told to stop. */
bool pbl_worker_take(struct pbl_worker *w);

/*
 * Thread side, one turn of the loop: waits up to 'timeout' (NULL: for ever)
 * for events, calls serve(ctx, data.ptr) for every ready fd of the user's,
 * then runs the pending command (after the frames: a command may free what
 * an event names).  Returns false when told to stop or when waiting failed.
 */
bool pbl_worker_turn(struct pbl_worker *w, const struct timespec *timeout,
                     void (*serve)(void *ctx, void *ptr));

#endif
