/* SPDX-License-Identifier: MIT */
#include "daemon.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "conn.h"
#include "dispatch.h"
#include "dns.h"
#include "log.h"
#include "nat64.h"
#include "netns.h"
#include "pb-macro.h"
#include "pb-path.h"
#include "pb-schema.h"
#include "pidns.h"
#include "server.h"
#include "shape.h"
#include "shaper.h"
#include "userns.h"

/* How long a shutdown waits for queued replies to leave. */
#define DRAIN_TICK_S 0.01
#define DRAIN_TICKS  100

static const char *const shaper_names[_PBD_SHAPER_MAX] = {
        [PBD_SHAPER_AUTO] = "auto",
        [PBD_SHAPER_NETEM] = "netem",
        [PBD_SHAPER_USERSPACE] = "userspace",
};

const char *
pbd_shaper_to_string(enum pbd_shaper s)
{
        return (unsigned)s < _PBD_SHAPER_MAX ? shaper_names[s] : "?";
}

enum pbd_shaper
pbd_shaper_from_string(const char *s)
{
        for (int i = 0; i < _PBD_SHAPER_MAX; i++)
                if (strcmp(s, shaper_names[i]) == 0)
                        return (enum pbd_shaper)i;
        return (enum pbd_shaper) - 1;
}

int64_t
pbd_now_usec(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
        struct pbd_daemon *d = w->data;

        pbd_daemon_stop(d, strsignal(w->signum));
}

static void
on_parent_gone(struct ev_loop *loop, ev_io *w, int revents)
{
        struct pbd_daemon *d = w->data;
        char buf[16];

        if (read(w->fd, buf, sizeof(buf)) > 0)
                return;
        ev_io_stop(loop, w);
        pbd_daemon_stop(d, "supervisor exited");
}

static void
on_drain(struct ev_loop *loop, ev_timer *w, int revents)
{
        struct pbd_daemon *d = container_of(w, struct pbd_daemon, drain);

        pbd_conn_flush_all(d->server);
        if (pbd_conn_backlog_all(d->server) == 0 || ++d->drain_ticks >= DRAIN_TICKS) {
                ev_timer_stop(loop, w);
                ev_break(loop, EVBREAK_ALL);
        }
}

/*
 * Which link shaper serves conditions: "auto" takes the kernel's netem when
 * a scratch namespace shows it exists, else the userspace shaper.  A forced
 * "netem" stays netem on a kernel without it: conditions then fail with
 * patchbay.Unsupported naming netem, rather than silently doing less.
 */
static int
setup_shaper(struct pbd_daemon *d)
{
        bool netem = pbl_netem_available();
        int r;

        d->netem = netem;
        d->shaper = d->cfg.shaper == PBD_SHAPER_AUTO
                            ? (netem ? PBD_SHAPER_NETEM : PBD_SHAPER_USERSPACE)
                            : d->cfg.shaper;
        if (d->shaper == PBD_SHAPER_NETEM) {
                if (!netem)
                        log_warning("--shaper=netem, but this kernel has no sch_netem: link "
                                    "conditions will be refused");
                pbl_shape_setup(PBL_SHAPER_NETEM, NULL);
                return 0;
        }
        r = pbl_shaper_new(&d->shaper_thread);
        if (r < 0)
                return log_error_errno(r, "starting the userspace shaper: %m");
        pbl_shape_setup(PBL_SHAPER_USERSPACE, d->shaper_thread);
        return 0;
}

/*
 * The DNS overlay's files live on a tmpfs mounted on "<socket path>.dns" in
 * our private mount namespace (before any device copies it): nothing of
 * them reaches the host, and they vanish with the daemon however it dies.
 * A socket passed by systemd is asked for its path; an abstract one falls
 * back to the default socket path's directory.
 */
static int
setup_dns(struct pbd_daemon *d)
{
        struct sockaddr_un sun = { 0 };
        socklen_t len = sizeof(sun);
        struct pbl_error err = { 0 };
        char path[PATH_MAX], *slash;
        int r;

        if (!d->listener.activated) {
                snprintf(path, sizeof(path) - 4, "%s", d->listener.path);
        } else if (getsockname(d->listener.fd, (struct sockaddr *)&sun, &len) == 0 &&
                   len > offsetof(struct sockaddr_un, sun_path) && sun.sun_path[0] == '/') {
                snprintf(path, sizeof(path) - 4, "%.*s",
                         (int)(len - offsetof(struct sockaddr_un, sun_path)), sun.sun_path);
        } else {
                r = pb_socket_path(getenv("PATCHBAY_SOCKET"), getenv("XDG_RUNTIME_DIR"),
                                   d->outer_uid, path, sizeof(path) - 4);
                if (r < 0)
                        return log_error_errno(r, "DNS directory: %m");
                slash = strrchr(path, '/');
                if (slash && slash != path) {
                        *slash = '\0';
                        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                                return log_error_errno(-errno, "DNS directory: mkdir %s: %m", path);
                        *slash = '/';
                }
        }
        strcat(path, ".dns");
        r = pbl_dns_setup(path, &err);
        if (r < 0)
                return log_error_errno(r, "DNS overlay: %s: %m", err.op);
        return 0;
}

int
pbd_daemon_init(struct pbd_daemon *d, int parent_fd)
{
        struct pb_rpc_error e;
        int r;

        d->started_usec = pbd_now_usec();
        TAILQ_INIT(&d->deferred);
        r = pb_self_outer_pid(&d->outer_pid);
        if (r < 0)
                return log_error_errno(r, "reading our pid from /proc/self/status: %m");
        r = pbl_netns_init();
        if (r < 0)
                return log_error_errno(r, "opening our network namespace: %m");
        r = setup_shaper(d);
        if (r < 0)
                return r;
        r = pbl_pidns_init();
        if (r < 0)
                return log_error_errno(r, "opening our PID namespace: %m");
        r = setup_dns(d);
        if (r < 0)
                return r;

        r = pbd_dispatch_init();
        if (r < 0)
                return log_error_errno(r, "method table: %m");
        r = pb_schema_new_builtin(&d->schema, &e);
        if (r < 0)
                return log_error_errno(r, "API document: %s", e.message);

        /* The default loop is the one that reaps children (ev_child). */
        d->loop = ev_default_loop(EVFLAG_AUTO | EVFLAG_NOENV);
        if (!d->loop)
                return log_error_errno(-ENOMEM, "cannot create the event loop");

        ev_signal_init(&d->sig_term, on_signal, SIGTERM);
        ev_signal_init(&d->sig_int, on_signal, SIGINT);
        ev_signal_init(&d->sig_hup, on_signal, SIGHUP);
        d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
        ev_signal_start(d->loop, &d->sig_term);
        ev_signal_start(d->loop, &d->sig_int);
        ev_signal_start(d->loop, &d->sig_hup);
        if (parent_fd >= 0) {
                ev_io_init(&d->parent_watch, on_parent_gone, parent_fd, EV_READ);
                d->parent_watch.data = d;
                ev_io_start(d->loop, &d->parent_watch);
        }
        ev_timer_init(&d->drain, on_drain, DRAIN_TICK_S, DRAIN_TICK_S);

        pbd_labs_init(d);
        r = pbd_server_new(d, d->listener.fd, &d->server);
        if (r < 0)
                return log_error_errno(r, "server: %m");
        return 0;
}

int
pbd_daemon_run(struct pbd_daemon *d)
{
        log_info("serving %s (pid %d, %s, shaper %s)", d->listener.path, (int)d->outer_pid,
                 d->rootless ? "rootless" : "root", pbd_shaper_to_string(d->shaper));
        ev_run(d->loop, 0);
        return d->exit_status;
}

void
pbd_daemon_stop(struct pbd_daemon *d, const char *why)
{
        if (d->stopping)
                return;
        d->stopping = true;
        log_info("shutting down: %s", why);
        pbd_server_stop_accepting(d->server);
        d->drain_ticks = 0;
        ev_timer_start(d->loop, &d->drain);
}

void
pbd_deferred_add(struct pbd_daemon *d, struct pbd_deferred *dfr)
{
        TAILQ_INSERT_TAIL(&d->deferred, dfr, link);
}

void
pbd_deferred_remove(struct pbd_daemon *d, struct pbd_deferred *dfr)
{
        TAILQ_REMOVE(&d->deferred, dfr, link);
}

void
pbd_daemon_done(struct pbd_daemon *d)
{
        struct pbd_deferred *dfr;

        /* The socket goes first: once a client sees EOF, the path is free. */
        pbd_listener_close(&d->listener);
        if (d->deferred.tqh_last) /* Initialized: init may have failed earlier. */
                while ((dfr = TAILQ_FIRST(&d->deferred)))
                        dfr->cancel(dfr);
        if (d->labs.labs.tqh_last)
                pbd_labs_done(d);
        pbl_dns_cleanup(); /* After the labs: their devices' files are on it. */
        /* After the labs' routers, before the shaper ports' namespace goes. */
        pbl_nat64_shutdown();
        /* After the labs: their links hold the shaper's ports. */
        pbl_shape_setup(PBL_SHAPER_USERSPACE, NULL);
        d->shaper_thread = pbl_shaper_free(d->shaper_thread);
        d->server = pbd_server_free(d->server);
        d->schema = pb_schema_free(d->schema);
        json_decref(d->discover);
        d->discover = NULL;
        free(d->cfg.outdir);
        d->cfg.outdir = NULL;
        if (d->loop) {
                ev_loop_destroy(d->loop);
                d->loop = NULL;
        }
}
