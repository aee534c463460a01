/* SPDX-License-Identifier: MIT */
#include "shape.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include "lab.h"
#include "netns.h"
#include "node.h"
#include "pb-macro.h"
#include "port.h"
#include "shaper.h"
#include "tc.h"

enum backend {
        BACKEND_TBF,
        BACKEND_NETEM,
        BACKEND_USERSPACE,
};

struct pbl_shape {
        enum backend backend;
        struct pbl_link_end from, to;
        struct pbl_condition cond;
        /* Userspace only. */
        uint32_t link; /* In the shaper. */
        struct pbl_port cap, inj;
        bool clsact;
        bool stealing; /* Listed in 'stealers': its capture port gets the sender's egress. */
        LIST_ENTRY(pbl_shape) stealers;
};

static enum pbl_shaper_mode mode = PBL_SHAPER_USERSPACE;
static struct pbl_shaper *shaper;
static unsigned port_serial;
static LIST_HEAD(, pbl_shape) stealers = LIST_HEAD_INITIALIZER(stealers);
static pbl_shape_port_fn *port_watch;
static void *port_watch_ctx;

void
pbl_shape_watch_ports(pbl_shape_port_fn *fn, void *ctx)
{
        port_watch = fn;
        port_watch_ctx = ctx;
}

int
pbl_shape_egress_port(const struct pbl_node *node, int ifindex)
{
        struct pbl_shape *s;

        LIST_FOREACH (s, &stealers, stealers)
                if (s->from.node == node && s->from.ifindex == ifindex)
                        return s->cap.ifindex;
        return 0;
}

int
pbl_shape_ingress_port(const struct pbl_node *node, int ifindex)
{
        struct pbl_shape *s;

        LIST_FOREACH (s, &stealers, stealers)
                if (s->to.node == node && s->to.ifindex == ifindex)
                        return s->inj.ifindex;
        return 0;
}

/* Lists (or unlists) 's' as stealing its sender's egress and tells the watcher. */
static void
note_stealing(struct pbl_shape *s, bool on)
{
        if (s->stealing == on)
                return;
        s->stealing = on;
        if (on)
                LIST_INSERT_HEAD(&stealers, s, stealers);
        else
                LIST_REMOVE(s, stealers);
        if (port_watch)
                port_watch(port_watch_ctx, &s->from, s->cap.ifindex, on);
}

void
pbl_shape_setup(enum pbl_shaper_mode m, struct pbl_shaper *s)
{
        mode = m;
        shaper = s;
        if (!s)
                pbl_ports_done();
}

bool
pbl_netem_available(void)
{
        static int known = -1;
        struct pbl_condition c = { .latency_ms = 1 };
        struct pbl_node n = { .netfd = -1 };
        struct pbl_error err = { 0 };
        struct pbl_nl_batch *b;

        if (known >= 0)
                return known;
        /* A scratch namespace: add netem to its loopback and see. */
        if (pbl_node_init(&n, NULL, PBL_NODE_ROUTER, "netem-probe", 0, &err) < 0)
                return false;
        b = pbl_node_batch(&n);
        known = b && pbl_tc_netem(b, 1, &c) == 0 && pbl_nl_batch_run(b, &err) == 0;
        free(b);
        pbl_node_done(&n);
        return known;
}

const char *
pbl_shape_backend(const struct pbl_shape *s)
{
        static const char *const names[] = { "tbf", "netem", "userspace" };

        return s ? names[s->backend] : "none";
}

const struct pbl_condition *
pbl_shape_condition(const struct pbl_shape *s)
{
        return s ? &s->cond : NULL;
}

static enum backend
choose(const struct pbl_condition *c)
{
        if (pbl_condition_rate_only(c))
                return BACKEND_TBF;
        return mode == PBL_SHAPER_NETEM ? BACKEND_NETEM : BACKEND_USERSPACE;
}

/* Runs one tc request on 'end''s node. */
static int
run(struct pbl_node *node, int (*build)(struct pbl_nl_batch *, void *), void *arg,
    struct pbl_error *err)
{
        _cleanup_free_ struct pbl_nl_batch *b = pbl_node_batch(node);
        int r;

        if (!b)
                return -ENOMEM;
        r = build(b, arg);
        return r < 0 ? pbl_error_set(err, r, "building a tc request") : pbl_nl_batch_run(b, err);
}

struct qdisc_args {
        int ifindex;
        const struct pbl_condition *c;
};

static int
build_kernel(struct pbl_nl_batch *b, void *arg)
{
        const struct qdisc_args *a = arg;

        if (a->c->rate_kbit && pbl_condition_rate_only(a->c))
                return pbl_tc_tbf(b, a->ifindex, a->c->rate_kbit, 400);
        return pbl_tc_netem(b, a->ifindex, a->c);
}

static int
build_root_delete(struct pbl_nl_batch *b, void *arg)
{
        return pbl_tc_root_delete(b, *(int *)arg);
}

struct redirect_args {
        int ifindex, to;
        bool egress, to_ingress, clsact;
};

static int
build_redirect(struct pbl_nl_batch *b, void *arg)
{
        const struct redirect_args *a = arg;
        int r = a->clsact ? pbl_tc_clsact(b, a->ifindex, true) : 0;

        return r ?: pbl_tc_redirect(b, a->ifindex, a->egress, a->to, a->to_ingress);
}

static int
build_clsact_delete(struct pbl_nl_batch *b, void *arg)
{
        return pbl_tc_clsact(b, *(int *)arg, false);
}

/* Lets go of the shaper's side: its sockets, then its ports. */
static void
release_ports(struct pbl_shape *s)
{
        note_stealing(s, false);
        if (s->link)
                (void)pbl_shaper_remove(shaper, s->link);
        s->link = 0;
        pbl_port_delete(s->from.node, &s->cap);
        pbl_port_delete(s->to.node, &s->inj);
        s->cap.ifindex = s->inj.ifindex = 0;
}

/* Undoes whatever 's' put in the kernel; failures are ignored (links may be gone). */
static void
teardown(struct pbl_shape *s)
{
        struct pbl_error scratch = { 0 };

        switch (s->backend) {
        case BACKEND_TBF:
        case BACKEND_NETEM:
                (void)run(s->from.node, build_root_delete, &s->from.ifindex, &scratch);
                break;
        case BACKEND_USERSPACE:
                /* Stop stealing frames first, then take the path apart. */
                if (s->clsact)
                        (void)run(s->from.node, build_clsact_delete, &s->from.ifindex, &scratch);
                release_ports(s);
                break;
        }
}

/* Builds the userspace path for 's'. */
static int
build_userspace(struct pbl_shape *s, struct pbl_error *err)
{
        struct redirect_args ra;
        unsigned serial = ++port_serial;
        uint8_t mac[6];
        int r;

        if (!shaper)
                return pbl_error_set(err, -EOPNOTSUPP, "the userspace shaper is not running");
        r = pbl_ports_init(err);
        if (r < 0)
                return r;
        r = pbl_link_mac(s->to.node->netfd, s->to.ifindex, mac);
        if (r < 0)
                return pbl_error_set(err, r, "reading the MAC address of the receiver");
        r = pbl_port_capture(s->from.node, serial, &s->cap, err);
        if (r < 0)
                return r;
        r = pbl_port_inject(s->to.node, serial, mac, &s->inj, err);
        if (r < 0) {
                s->cap.fd = safe_close(s->cap.fd);
                return r;
        }
        /* Re-injection first, so that no stolen frame finds the far side unready. */
        ra = (struct redirect_args){ .ifindex = s->inj.ifindex,
                                     .to = s->to.ifindex,
                                     .egress = false,
                                     .to_ingress = true,
                                     .clsact = true };
        r = run(s->to.node, build_redirect, &ra, err);
        if (r >= 0) {
                r = pbl_port_offload(s->from.node, &s->cap, !pbl_condition_per_packet(&s->cond));
                if (r < 0)
                        (void)pbl_error_set(err, r, "setting the offloads of the capture port");
        }
        if (r >= 0) {
                r = pbl_shaper_add(shaper, TAKE_FD(s->cap.fd), TAKE_FD(s->inj.fd), true, &s->cond,
                                   &s->link);
                if (r < 0 && !err->code)
                        (void)pbl_error_set(err, r, "starting the shaper on the link");
        }
        s->cap.fd = safe_close(s->cap.fd);
        s->inj.fd = safe_close(s->inj.fd);
        if (r < 0)
                return r;
        note_stealing(s, true);
        ra = (struct redirect_args){ .ifindex = s->from.ifindex,
                                     .to = s->cap.ifindex,
                                     .egress = true,
                                     .to_ingress = false,
                                     .clsact = true };
        r = run(s->from.node, build_redirect, &ra, err);
        if (r >= 0)
                s->clsact = true;
        return r;
}

int
pbl_shape_set(struct pbl_shape **slot, const struct pbl_link_end *from,
              const struct pbl_link_end *to, const struct pbl_condition *c, struct pbl_error *err)
{
        struct pbl_shape *old = *slot, *s;
        struct qdisc_args qa;
        int r;

        if (!c || pbl_condition_is_null(c)) {
                *slot = pbl_shape_free(old);
                return 0;
        }
        /* Same backend: change the condition in place. */
        if (old && old->backend == choose(c)) {
                if (old->backend == BACKEND_USERSPACE) {
                        r = pbl_port_offload(old->from.node, &old->cap,
                                             !pbl_condition_per_packet(c));
                        if (r < 0)
                                return pbl_error_set(err, r, "setting the offloads of %s's port",
                                                     old->from.node->name);
                        r = pbl_shaper_update(shaper, old->link, c);
                        if (r < 0)
                                return pbl_error_set(err, r, "updating the shaper");
                } else {
                        qa = (struct qdisc_args){ .ifindex = old->from.ifindex, .c = c };
                        r = run(old->from.node, build_kernel, &qa, err);
                        if (r < 0)
                                return r;
                }
                old->cond = *c;
                return 0;
        }
        if (choose(c) == BACKEND_NETEM && !pbl_netem_available())
                return pbl_error_set(err, -EOPNOTSUPP,
                                     "this kernel has no sch_netem (run patchbayd with "
                                     "--shaper=userspace or auto)");
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->cap.fd = s->inj.fd = -EBADF;
        s->backend = choose(c);
        s->from = *from;
        s->to = *to;
        s->cond = *c;
        /* Another backend: the old one goes first (it may hold the same root
         * qdisc); should the new one fail, the old condition is put back. */
        if (old) {
                struct pbl_condition prev = old->cond;

                *slot = pbl_shape_free(old);
                r = pbl_shape_set(slot, from, to, c, err);
                if (r < 0) {
                        struct pbl_error scratch = { 0 };

                        (void)pbl_shape_set(slot, from, to, &prev, &scratch);
                }
                free(s);
                return r;
        }
        if (s->backend == BACKEND_USERSPACE) {
                r = build_userspace(s, err);
        } else {
                qa = (struct qdisc_args){ .ifindex = from->ifindex, .c = c };
                r = run(from->node, build_kernel, &qa, err);
        }
        if (r < 0) {
                pbl_shape_free(s);
                return r;
        }
        *slot = s;
        return 0;
}

struct pbl_shape *
pbl_shape_free(struct pbl_shape *s)
{
        if (!s)
                return NULL;
        teardown(s);
        free(s);
        return NULL;
}

struct pbl_shape *
pbl_shape_abandon(struct pbl_shape *s)
{
        if (!s)
                return NULL;
        if (s->backend == BACKEND_USERSPACE)
                release_ports(s);
        free(s);
        return NULL;
}
