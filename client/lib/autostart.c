/* SPDX-License-Identifier: MIT */
/*
 * Starting patchbayd on demand.  The daemon's supervisor process exits 0
 * once the socket is served, so waiting for it is waiting for readiness.
 * Two clients may race to start it; the loser's daemon finds the lock taken
 * and exits, and the loser simply connects to the winner's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/wait.h>

#include "client-internal.h"
#include "pb-macro.h"

#ifndef PB_INSTALL_BINDIR
#        define PB_INSTALL_BINDIR "/usr/local/bin"
#endif

/* How long to keep trying to connect after starting the daemon. */
#define CONNECT_RETRY_MS 10000

/* Picks the daemon binary: $PATCHBAYD, next to us, installed, or $PATH. */
static void
daemon_binary(char *buf, size_t n)
{
        const char *env = getenv("PATCHBAYD");
        char self[PATH_MAX];
        ssize_t len;

        if (env && *env) {
                snprintf(buf, n, "%s", env);
                return;
        }
        len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len > 0) {
                char *slash;

                self[len] = '\0';
                slash = strrchr(self, '/');
                if (slash) {
                        int w;

                        *slash = '\0';
                        w = snprintf(buf, n, "%s/patchbayd", self);
                        if (w > 0 && (size_t)w < n && access(buf, X_OK) == 0)
                                return;
                }
        }
        snprintf(buf, n, "%s/patchbayd", PB_INSTALL_BINDIR);
        if (access(buf, X_OK) == 0)
                return;
        snprintf(buf, n, "patchbayd");
}

static void
sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int
client_autostart(const char *path, struct pb_client **ret, struct pb_error *reterr)
{
        char bin[PATH_MAX];
        char *argv[] = { "patchbayd", "--socket", (char *)path, NULL };
        int status = 0, r;
        pid_t pid;

        daemon_binary(bin, sizeof(bin));
        pid = fork();
        if (pid < 0) {
                r = -errno;
                client_error_set_local(reterr, r, "starting patchbayd");
                return r;
        }
        if (pid == 0) {
                /* Only async-signal-safe calls between fork and exec. */
                (void)close_range(3, ~0U, 0);
                if (strchr(bin, '/'))
                        execv(bin, argv);
                else
                        execvp(bin, argv);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        status = 0; /* Reaped by someone else: just try to connect. */
                        break;
                }
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                client_error_set_local(reterr, -ENOENT, "cannot run patchbayd (set $PATCHBAYD)");
                return -ENOENT;
        }

        /* Exit status 3 means another daemon won the race: it may still be binding. */
        for (int waited = 0;; waited += 20) {
                r = client_connect_once(path, ret);
                if (r == 0)
                        return 0;
                if ((r != -ENOENT && r != -ECONNREFUSED) || waited >= CONNECT_RETRY_MS)
                        break;
                if (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3)
                        break;
                sleep_ms(20);
        }
        if (reterr) {
                memset(reterr, 0, sizeof(*reterr));
                reterr->errnum = -r;
                snprintf(reterr->message, sizeof(reterr->message),
                         "patchbayd did not start at %.100s (%.80s exited with status %d): %s",
                         path, bin, WIFEXITED(status) ? WEXITSTATUS(status) : -1, strerror(-r));
        }
        return r;
}
