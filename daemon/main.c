/* SPDX-License-Identifier: MIT */
/* patchbayd: command line, start-up order and the daemon's lifetime. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/resource.h>

#include "daemon.h"
#include "log.h"
#include "pb-macro.h"
#include "supervise.h"
#include "userns.h"

static void
usage(FILE *f)
{
        fprintf(f,
                "Usage: patchbayd [OPTIONS]\n"
                "Build network labs from Linux namespaces and serve them over JSON-RPC.\n"
                "\n"
                "  -s, --socket PATH        listen on PATH (default: $PATCHBAY_SOCKET,\n"
                "                           $XDG_RUNTIME_DIR/patchbay/patchbayd.sock, ...)\n"
                "  -f, --foreground         stay in the foreground, log to stderr\n"
                "  -l, --log-level LEVEL    error, warning, notice, info (default), debug\n"
                "  -o, --outdir DIR         write per-lab events, state and process logs here\n"
                "      --shaper MODE        link shaper: auto (default), netem, userspace\n"
                "      --max-connections N  refuse connections beyond N (default %u)\n"
                "      --stall-timeout MS   drop a peer that reads no reply for MS (default %u)\n"
                "  -h, --help               show this help\n"
                "  -V, --version            show the version\n",
                PBD_MAX_CONNECTIONS_DEFAULT, PBD_STALL_TIMEOUT_MS_DEFAULT);
}

static int
parse_unsigned(const char *s, unsigned min, unsigned *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v < min || v > 10000000)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

/* Returns 1 to continue, 0 to exit successfully, negative on a usage error. */
static int
parse_args(int argc, char **argv, struct pbd_config *cfg)
{
        enum { OPT_SHAPER = 0x100, OPT_MAX_CONN, OPT_STALL };
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "foreground", no_argument, NULL, 'f' },
                { "log-level", required_argument, NULL, 'l' },
                { "outdir", required_argument, NULL, 'o' },
                { "shaper", required_argument, NULL, OPT_SHAPER },
                { "max-connections", required_argument, NULL, OPT_MAX_CONN },
                { "stall-timeout", required_argument, NULL, OPT_STALL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "s:fl:o:hV", options, NULL)) >= 0) {
                switch (c) {
                case 's':
                        if (strlen(optarg) >= sizeof(cfg->socket_path)) {
                                fprintf(stderr, "patchbayd: socket path too long\n");
                                return -EINVAL;
                        }
                        snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", optarg);
                        break;
                case 'f': cfg->foreground = true; break;
                case 'l':
                        cfg->log_level = log_level_from_string(optarg);
                        if (cfg->log_level < 0) {
                                fprintf(stderr, "patchbayd: unknown log level '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'o':
                        free(cfg->outdir);
                        cfg->outdir = realpath(optarg, NULL);
                        if (!cfg->outdir) {
                                fprintf(stderr, "patchbayd: --outdir %s: %s\n", optarg,
                                        strerror(errno));
                                return -EINVAL;
                        }
                        break;
                case OPT_SHAPER:
                        cfg->shaper = pbd_shaper_from_string(optarg);
                        if ((int)cfg->shaper < 0) {
                                fprintf(stderr, "patchbayd: --shaper must be auto, netem or "
                                                "userspace\n");
                                return -EINVAL;
                        }
                        break;
                case OPT_MAX_CONN:
                        if (parse_unsigned(optarg, 1, &cfg->max_connections) < 0) {
                                fprintf(stderr, "patchbayd: bad --max-connections\n");
                                return -EINVAL;
                        }
                        break;
                case OPT_STALL:
                        if (parse_unsigned(optarg, 10, &cfg->stall_timeout_ms) < 0) {
                                fprintf(stderr, "patchbayd: bad --stall-timeout\n");
                                return -EINVAL;
                        }
                        break;
                case 'h': usage(stdout); return 0;
                case 'V': printf("patchbayd " PB_VERSION "\n"); return 0;
                default: usage(stderr); return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "patchbayd: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* Labs hold many fds (namespaces, netlink sockets, TAPs): use the hard limit. */
static void
raise_fd_limit(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        log_debug_errno(-errno, "raising RLIMIT_NOFILE: %m");
        }
}

static void
detach_stdio(void)
{
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (fd < 0)
                return;
        (void)dup2(fd, STDIN_FILENO);
        (void)dup2(fd, STDOUT_FILENO);
        (void)dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
                close(fd);
}

/*
 * pid 1 of a PID namespace ignores every signal it has no handler for,
 * including the SIGABRT that abort() raises: without this, an assertion or
 * a sanitizer report would leave the daemon spinning instead of dying.
 */
static void
on_abort(int sig)
{
        _exit(128 + sig);
}

int
main(int argc, char **argv)
{
        struct pbd_daemon d = {
                .listener = PBD_LISTENER_INIT,
                .cfg = {
                        .log_level = LOG_INFO,
                        .shaper = PBD_SHAPER_AUTO,
                        .max_connections = PBD_MAX_CONNECTIONS_DEFAULT,
                        .stall_timeout_ms = PBD_STALL_TIMEOUT_MS_DEFAULT,
                        .max_backlog = PBD_MAX_BACKLOG_DEFAULT,
                },
        };
        struct pbd_supervise sup;
        const char *what = NULL;
        int r, status;

        r = parse_args(argc, argv, &d.cfg);
        if (r <= 0)
                return r < 0 ? 1 : 0;
        log_set_max_level(d.cfg.log_level);
        signal(SIGPIPE, SIG_IGN);
        raise_fd_limit();
        d.outer_uid = geteuid();

        /* Bind first: a second daemon fails here, before touching any namespace. */
        r = pbd_listener_open(&d.listener, d.cfg.socket_path, &what);
        if (r < 0) {
                log_error_errno(r, "cannot listen on %s: %s: %m",
                                d.listener.path[0] ? d.listener.path : "socket", what);
                return r == -EADDRINUSE ? 3 : 1;
        }

        /* Namespaces are entered while we are still single-threaded. */
        r = pbd_supervise_fork(d.cfg.foreground, &d.rootless, &sup);
        if (r < 0) {
                log_error_errno(r, "cannot enter the daemon's namespaces: %m%s",
                                geteuid() ? " (are unprivileged user namespaces enabled?)" : "");
                pbd_listener_close(&d.listener);
                return 1;
        }

        if (getpid() == 1) {
                struct sigaction sa = { .sa_handler = on_abort };

                sigaction(SIGABRT, &sa, NULL);
        }

        /* Our own network namespace: we can always come back to it from a lab's,
         * and the host's network stack is out of reach of any bug. */
        r = pb_private_netns();
        if (r < 0) {
                log_error_errno(r, "cannot create the daemon's network namespace: %m");
                return 1;
        }
        r = pbd_daemon_init(&d, sup.parent_fd);
        if (r < 0) {
                pbd_daemon_done(&d);
                return 1;
        }
        if (!d.cfg.foreground) {
                detach_stdio();
                log_set_target(LOG_TARGET_SYSLOG);
        }
        pbd_supervise_ready(&sup);
        status = pbd_daemon_run(&d);
        pbd_daemon_done(&d);
        safe_close(sup.parent_fd);
        log_info("stopped");
        return status;
}
