/* SPDX-License-Identifier: MIT */
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "pb-macro.h"

/* One request from the control side; it waits until 'done'. */
struct pbl_worker_slot {
        void *cmd; /* NULL: stop. */
        int result;
        bool done;
};

int
pbl_worker_start(struct pbl_worker *w, const char *name, void *(*main)(void *),
                 int (*run)(void *ctx, void *cmd), void *ctx)
{
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
        sigset_t all, old;
        int r;

        *w = (struct pbl_worker){ .epfd = -EBADF, .evfd = -EBADF, .run = run, .ctx = ctx };
        if (pthread_mutex_init(&w->lock, NULL))
                return -ENOMEM;
        if (pthread_cond_init(&w->cond, NULL)) {
                pthread_mutex_destroy(&w->lock);
                return -ENOMEM;
        }
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        w->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->epfd < 0 || w->evfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) < 0) {
                r = -errno;
                goto fail;
        }
        /* Signals are the control loop's business. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        r = -pthread_create(&w->thread, NULL, main, ctx);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (r < 0)
                goto fail;
        (void)pthread_setname_np(w->thread, name);
        return 0;
fail:
        w->epfd = safe_close(w->epfd);
        w->evfd = safe_close(w->evfd);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        return r;
}

/* Hands 'slot' to the thread and waits for it. */
static int
call(struct pbl_worker *w, struct pbl_worker_slot *slot)
{
        uint64_t one = 1;

        pthread_mutex_lock(&w->lock);
        w->slot = slot;
        if (write(w->evfd, &one, sizeof(one)) < 0) {
                w->slot = NULL;
                pthread_mutex_unlock(&w->lock);
                return -errno;
        }
        while (!slot->done)
                pthread_cond_wait(&w->cond, &w->lock);
        w->slot = NULL;
        pthread_mutex_unlock(&w->lock);
        return slot->result;
}

int
pbl_worker_call(struct pbl_worker *w, void *cmd)
{
        struct pbl_worker_slot slot = { .cmd = cmd };

        return cmd ? call(w, &slot) : -EINVAL;
}

void
pbl_worker_stop(struct pbl_worker *w)
{
        struct pbl_worker_slot slot = { .cmd = NULL };

        if (w->evfd < 0)
                return;
        if (call(w, &slot) >= 0)
                (void)pthread_join(w->thread, NULL);
        w->epfd = safe_close(w->epfd);
        w->evfd = safe_close(w->evfd);
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
}

bool
pbl_worker_take(struct pbl_worker *w)
{
        uint64_t v;
        bool go_on = true;

        if (read(w->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                return true;
        pthread_mutex_lock(&w->lock);
        if (w->slot && !w->slot->done) {
                if (!w->slot->cmd)
                        go_on = false;
                else
                        w->slot->result = w->run(w->ctx, w->slot->cmd);
                w->slot->done = true;
                pthread_cond_broadcast(&w->cond);
        }
        pthread_mutex_unlock(&w->lock);
        return go_on;
}

bool
pbl_worker_turn(struct pbl_worker *w, const struct timespec *timeout,
                void (*serve)(void *ctx, void *ptr))
{
        struct epoll_event events[64];
        bool cmd = false;
        int n = epoll_pwait2(w->epfd, events, (int)ELEMENTSOF(events), timeout, NULL);

        if (n < 0)
                return errno == EINTR;
        for (int i = 0; i < n; i++) {
                if (!events[i].data.ptr)
                        cmd = true;
                else
                        serve(w->ctx, events[i].data.ptr);
        }
        return !cmd || pbl_worker_take(w);
}
