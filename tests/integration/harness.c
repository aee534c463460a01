/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "pb-macro.h"

static char root[256];

int
pbt_count_dir(const char *path)
{
        DIR *dp = opendir(path);
        struct dirent *e;
        int n = 0;

        if (!dp)
                return -1;
        while ((e = readdir(dp)))
                n += e->d_name[0] != '.';
        closedir(dp);
        return n;
}

long long
pbt_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
pbt_daemon_binary(void)
{
        const char *p = getenv("PATCHBAYD");

        return p && *p ? p : "patchbayd";
}

void
pbt_root_setup(void)
{
        snprintf(root, sizeof(root), "/tmp/pbt-XXXXXX");
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                abort();
        }
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

void
pbt_track_pid(pid_t pid)
{
        char path[300];
        FILE *f;

        snprintf(path, sizeof(path), "%s/pids", root);
        f = fopen(path, "a");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
}

/* Kills daemons a failed test could not stop itself (autostarted ones). */
static void
kill_tracked(void)
{
        char path[300];
        FILE *f;
        int pid;

        snprintf(path, sizeof(path), "%s/pids", root);
        f = fopen(path, "r");
        if (!f)
                return;
        while (fscanf(f, "%d", &pid) == 1)
                if (pid > 1)
                        kill(pid, SIGKILL);
        fclose(f);
}

bool
pbt_process_gone(pid_t pid)
{
        char path[64], buf[512], *p;
        FILE *f;
        bool gone = true;

        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        f = fopen(path, "r");
        if (!f)
                return true;
        if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
                gone = p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
        fclose(f);
        return gone;
}

void
pbt_root_teardown(void)
{
        if (root[0])
                kill_tracked();
        if (root[0] && nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "warning: cannot remove %s: %s\n", root, strerror(errno));
        root[0] = '\0';
}

void
pbt_mkdir(char *buf, size_t n)
{
        ck_assert_msg(root[0], "no scratch root: add the pbt_root fixture");
        snprintf(buf, n, "%s/tXXXXXX", root);
        ck_assert_ptr_nonnull(mkdtemp(buf));
}

/*
 * A datagram socket in the abstract namespace for the daemon's sd_notify
 * readiness message: the real readiness protocol, and no probe connection
 * that the daemon would count.
 */
static int
notify_socket(char *name, size_t n)
{
        static unsigned counter;
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        socklen_t len;
        int fd;

        snprintf(name, n, "@pbt-notify-%d-%u", (int)getpid(), counter++);
        memcpy(sun.sun_path + 1, name + 1, strlen(name) - 1);
        len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, len), 0);
        return fd;
}

void
pbt_daemon_start(struct pbt_daemon *d, const char *const *extra)
{
        const char *level = getenv("PBT_LOG_LEVEL");
        const char *argv[32] = { "patchbayd", "--foreground", "--socket",
                                 d->sock,     "--log-level",  level && *level ? level : "notice" };
        size_t argc = 6;
        pid_t parent = getpid();
        char name[64];
        int nfd;

        if (!d->sock[0]) {
                pbt_mkdir(d->dir, sizeof(d->dir));
                snprintf(d->sock, sizeof(d->sock), "%s/sock", d->dir);
        }
        for (; extra && *extra && argc < ELEMENTSOF(argv) - 1; extra++)
                argv[argc++] = *extra;
        argv[argc] = NULL;

        nfd = notify_socket(name, sizeof(name));
        d->pid = fork();
        ck_assert_int_ge(d->pid, 0);
        if (d->pid == 0) {
                /* Stop the daemon if the test process dies, even on a failed assertion. */
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                        _exit(1);
                setenv("NOTIFY_SOCKET", name, 1);
                execv(pbt_daemon_binary(), (char **)argv);
                _exit(127);
        }
        for (long long deadline = pbt_now_ms() + 10000;;) {
                struct pollfd pfd = { .fd = nfd, .events = POLLIN };
                char buf[128] = "";
                int status;

                if (poll(&pfd, 1, 20) == 1 && recv(nfd, buf, sizeof(buf) - 1, 0) > 0 &&
                    strstr(buf, "READY=1"))
                        break;
                ck_assert_msg(waitpid(d->pid, &status, WNOHANG) == 0,
                              "patchbayd exited during start-up (status %d)", status);
                ck_assert_msg(pbt_now_ms() < deadline, "patchbayd did not start within 10 s");
        }
        close(nfd);
}

int
pbt_daemon_kill(struct pbt_daemon *d, int sig)
{
        int status;

        ck_assert_int_gt(d->pid, 0);
        kill(d->pid, sig);
        while (waitpid(d->pid, &status, 0) < 0)
                ck_assert_int_eq(errno, EINTR);
        d->pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void
pbt_daemon_stop(struct pbt_daemon *d)
{
        struct stat st;

        ck_assert_int_eq(pbt_daemon_kill(d, SIGTERM), 0);
        ck_assert_msg(stat(d->sock, &st) < 0 && errno == ENOENT,
                      "socket %s still exists after SIGTERM", d->sock);
}

struct pb_client *
pbt_connect(const struct pbt_daemon *d)
{
        struct pb_client *c = NULL;
        struct pb_error err;
        int r;

        r = pb_client_connect(d->sock, 0, &c, &err);
        ck_assert_msg(r == 0, "connect %s: %s", d->sock, err.message);
        return c;
}

json_t *
pbt_call(struct pb_client *c, const char *method, const char *params)
{
        char *text = NULL;
        struct pb_error err;
        json_error_t jerr;
        json_t *res;
        int r;

        r = pb_call(c, method, params, 30000, &text, &err);
        ck_assert_msg(r == 0, "%s failed: %d %s [%s] param=%s", method, err.code, err.message,
                      err.name, err.parameter);
        res = json_loads(text, JSON_DECODE_ANY, &jerr);
        free(text);
        ck_assert_ptr_nonnull(res);
        return res;
}

struct pb_error
pbt_call_fail(struct pb_client *c, const char *method, const char *params)
{
        char *text = NULL;
        struct pb_error err;
        int r;

        r = pb_call(c, method, params, 30000, &text, &err);
        ck_assert_msg(r == -EREMOTEIO, "%s: expected a server error, got %d (%s)", method, r,
                      text ? text : err.message);
        return err;
}

int
pbt_raw_connect(const struct pbt_daemon *d)
{
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_uint_lt(strlen(d->sock), sizeof(sun.sun_path));
        memcpy(sun.sun_path, d->sock, strlen(d->sock));
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
        return fd;
}

void
pbt_raw_send(int fd, const char *text)
{
        size_t len = strlen(text), off = 0;

        while (off < len) {
                ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);

                ck_assert_msg(n > 0, "send: %s", strerror(errno));
                off += (size_t)n;
        }
}

json_t *
pbt_raw_read(int fd, int timeout_ms, bool *eof)
{
        char buf[1 << 16];
        size_t len = 0;
        long long deadline = pbt_now_ms() + timeout_ms;

        *eof = false;
        /* One byte at a time: slow, but never consumes the next frame. */
        while (len < sizeof(buf) - 1) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                long long left = deadline - pbt_now_ms();
                ssize_t n;

                if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
                        return NULL;
                n = read(fd, buf + len, 1);
                if (n <= 0) {
                        *eof = true;
                        return NULL;
                }
                if (buf[len] == '\n') {
                        json_error_t jerr;
                        json_t *v = json_loadb(buf, len, JSON_DECODE_ANY, &jerr);

                        ck_assert_msg(v, "daemon sent invalid JSON: %s", jerr.text);
                        return v;
                }
                len++;
        }
        ck_abort_msg("frame from daemon too long for the test buffer");
        return NULL;
}

bool
pbt_raw_wait_eof(int fd, int timeout_ms)
{
        long long deadline = pbt_now_ms() + timeout_ms;
        char buf[65536];

        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                long long left = deadline - pbt_now_ms();
                ssize_t n;

                if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
                        return false;
                n = read(fd, buf, sizeof(buf));
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return true;
                if (n < 0 && errno != EINTR && errno != EAGAIN)
                        return true;
        }
}
