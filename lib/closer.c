/* SPDX-License-Identifier: MIT */
#include "closer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct pbl_closer {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int *fds; /* Under 'lock': queued for closing. */
        unsigned n, cap;
        bool stop;
};

static void *
closer_main(void *arg)
{
        struct pbl_closer *c = arg;

        pthread_mutex_lock(&c->lock);
        for (;;) {
                while (c->n == 0 && !c->stop)
                        pthread_cond_wait(&c->cond, &c->lock);
                if (c->n == 0)
                        break;
                /* Closes from the end, unlocked: others may queue meanwhile. */
                while (c->n > 0) {
                        int fd = c->fds[--c->n];

                        pthread_mutex_unlock(&c->lock);
                        (void)close(fd); /* Nothing to do about a failed close. */
                        pthread_mutex_lock(&c->lock);
                }
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

int
pbl_closer_new(struct pbl_closer **ret)
{
        struct pbl_closer *c = calloc(1, sizeof(*c));
        sigset_t all, old;
        int r;

        if (!c)
                return -ENOMEM;
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->cond, NULL);
        /* The thread takes no signals: they are the main loop's. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = -pthread_create(&c->thread, NULL, closer_main, c);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0) {
                pthread_cond_destroy(&c->cond);
                pthread_mutex_destroy(&c->lock);
                free(c);
                return r;
        }
        (void)pthread_setname_np(c->thread, "pb-closer"); /* A name is only a nicety. */
        *ret = c;
        return 0;
}

void
pbl_closer_close(struct pbl_closer *c, int fd)
{
        bool queued = false;

        if (fd < 0)
                return;
        if (c) {
                pthread_mutex_lock(&c->lock);
                if (c->n == c->cap) {
                        unsigned cap = c->cap ? c->cap * 2 : 64;
                        int *fds = reallocarray(c->fds, cap, sizeof(*fds));

                        if (fds) {
                                c->fds = fds;
                                c->cap = cap;
                        }
                }
                if (c->n < c->cap && !c->stop) {
                        c->fds[c->n++] = fd;
                        queued = true;
                        pthread_cond_signal(&c->cond);
                }
                pthread_mutex_unlock(&c->lock);
        }
        if (!queued)
                (void)close(fd); /* As above. */
}

struct pbl_closer *
pbl_closer_free(struct pbl_closer *c)
{
        if (!c)
                return NULL;
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->cond);
        pthread_mutex_unlock(&c->lock);
        (void)pthread_join(c->thread, NULL); /* Cannot fail: ours, joinable, not us. */
        free(c->fds);
        pthread_cond_destroy(&c->cond);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return NULL;
}
