/* SPDX-License-Identifier: MIT */
/* Starting, stopping and finding the daemon: signals, autostart, systemd, credentials. */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"
#include "suites.h"

static struct pbt_daemon d;

static void
setup(void)
{
        memset(&d, 0, sizeof(d));
}

static void
teardown(void)
{
        if (d.pid > 0)
                pbt_daemon_kill(&d, SIGTERM);
}

static pid_t
daemon_pid(struct pb_client *c)
{
        json_t *info = pbt_call(c, "daemon.info", NULL);
        pid_t pid = (pid_t)json_integer_value(json_object_get(info, "pid"));

        json_decref(info);
        return pid;
}

static void
await_gone(pid_t pid)
{
        long long deadline = pbt_now_ms() + 10000;

        while (!pbt_process_gone(pid)) {
                ck_assert_msg(pbt_now_ms() < deadline, "daemon %d still running", (int)pid);
                usleep(10000);
        }
}

/* Waits until the daemon closes 'c'. */
static void
await_eof(struct pb_client *c)
{
        long long deadline = pbt_now_ms() + 10000;

        while (pb_client_wait(c, 100) >= 0)
                ck_assert_msg(pbt_now_ms() < deadline, "connection still open");
}

static void
check_stops_on(int sig)
{
        struct pb_client *c;
        struct stat st;
        pid_t pid;

        pbt_daemon_start(&d, NULL);
        c = pbt_connect(&d);
        pid = daemon_pid(c);
        ck_assert_int_eq(pbt_daemon_kill(&d, sig), 0);
        ck_assert_msg(stat(d.sock, &st) < 0 && errno == ENOENT, "socket left behind");
        await_gone(pid);
        await_eof(c);
        pb_client_free(c);
}

START_TEST(sigterm_removes_socket)
{
        check_stops_on(SIGTERM);
}
END_TEST

START_TEST(sigint_removes_socket)
{
        check_stops_on(SIGINT);
}
END_TEST

START_TEST(shutdown_method_stops_cleanly)
{
        struct pb_client *c;
        struct stat st;
        int status;

        pbt_daemon_start(&d, NULL);
        c = pbt_connect(&d);
        json_decref(pbt_call(c, "daemon.shutdown", NULL));
        while (waitpid(d.pid, &status, 0) < 0)
                ck_assert_int_eq(errno, EINTR);
        d.pid = 0;
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        ck_assert(stat(d.sock, &st) < 0 && errno == ENOENT);
        pb_client_free(c);
}
END_TEST

START_TEST(second_daemon_refused)
{
        struct pbt_daemon second;
        struct pb_client *c;
        pid_t pid;
        int status;

        pbt_daemon_start(&d, NULL);
        c = pbt_connect(&d);
        memset(&second, 0, sizeof(second));
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                execl(pbt_daemon_binary(), "patchbayd", "--foreground", "--socket", d.sock,
                      (char *)NULL);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                ck_assert_int_eq(errno, EINTR);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 3);
        /* The first daemon kept its socket and still serves. */
        json_decref(pbt_call(c, "daemon.ping", NULL));
        pb_client_free(c);
        pbt_daemon_stop(&d);
}
END_TEST

START_TEST(stale_socket_after_kill9_is_replaced)
{
        struct pb_client *c;
        struct stat st;
        pid_t pid;

        pbt_daemon_start(&d, NULL);
        c = pbt_connect(&d);
        pid = daemon_pid(c);
        pb_client_free(c);
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        /* The supervisor reports the daemon's death. */
        ck_assert_int_eq(pbt_daemon_kill(&d, 0), 128 + SIGKILL);
        ck_assert_int_eq(stat(d.sock, &st), 0); /* Left behind, as nothing could remove it. */

        pbt_daemon_start(&d, NULL); /* Same path: the stale socket is replaced. */
        c = pbt_connect(&d);
        ck_assert_int_ne(daemon_pid(c), pid);
        pb_client_free(c);
        pbt_daemon_stop(&d);
}
END_TEST

START_TEST(supervisor_death_stops_daemon)
{
        struct pb_client *c;
        struct stat st;
        pid_t pid;

        pbt_daemon_start(&d, NULL);
        c = pbt_connect(&d);
        pid = daemon_pid(c);
        ck_assert_int_eq(pbt_daemon_kill(&d, SIGKILL), 128 + SIGKILL);
        await_gone(pid);
        ck_assert(stat(d.sock, &st) < 0 && errno == ENOENT);
        pb_client_free(c);
}
END_TEST

START_TEST(autostart_and_private_socket_dir)
{
        char dir[256], sock[320], run[300];
        struct pb_client *c = NULL;
        struct pb_error err;
        struct stat st;
        json_t *info;
        pid_t pid;

        pbt_mkdir(dir, sizeof(dir));
        snprintf(run, sizeof(run), "%s/run", dir);
        snprintf(sock, sizeof(sock), "%s/patchbayd.sock", run);
        ck_assert_int_eq(pb_client_connect(sock, 0, &c, &err), -ENOENT);
        ck_assert_msg(pb_client_connect(sock, PB_CONNECT_AUTOSTART, &c, &err) == 0, "%s",
                      err.message);
        info = pbt_call(c, "daemon.info", NULL);
        pid = (pid_t)json_integer_value(json_object_get(info, "pid"));
        pbt_track_pid(pid);
        ck_assert(json_is_true(json_object_get(info, "rootless")) == (geteuid() != 0));
        json_decref(info);

        ck_assert_int_eq(stat(run, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0700);
        ck_assert_int_eq(st.st_uid, geteuid());
        ck_assert_int_eq(stat(sock, &st), 0);
        ck_assert(S_ISSOCK(st.st_mode));
        ck_assert_int_eq(st.st_mode & 0777, 0600);

        /* A second autostarting client finds the running daemon. */
        {
                struct pb_client *c2 = NULL;

                ck_assert_int_eq(pb_client_connect(sock, PB_CONNECT_AUTOSTART, &c2, &err), 0);
                ck_assert_int_eq(daemon_pid(c2), pid);
                pb_client_free(c2);
        }
        json_decref(pbt_call(c, "daemon.shutdown", NULL));
        await_eof(c);
        await_gone(pid);
        ck_assert(stat(sock, &st) < 0 && errno == ENOENT);
        pb_client_free(c);
}
END_TEST

START_TEST(socket_activation_and_readiness)
{
        struct sockaddr_un lsun = { .sun_family = AF_UNIX }, nsun = { .sun_family = AF_UNIX };
        char dir[256], buf[256];
        struct pollfd pfd;
        struct pb_client *c;
        int lfd, nfd;
        ssize_t n;

        pbt_mkdir(dir, sizeof(dir));
        snprintf(d.sock, sizeof(d.sock), "%s/activated.sock", dir);
        ck_assert_uint_lt(strlen(d.sock) + 8, sizeof(lsun.sun_path));
        memcpy(lsun.sun_path, d.sock, strlen(d.sock));
        memcpy(nsun.sun_path, d.sock, strlen(d.sock));
        strcat(nsun.sun_path, ".notify");
        lfd = socket(AF_UNIX, SOCK_STREAM, 0);
        ck_assert_int_eq(bind(lfd, (struct sockaddr *)&lsun, sizeof(lsun)), 0);
        ck_assert_int_eq(listen(lfd, 16), 0);
        nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(bind(nfd, (struct sockaddr *)&nsun, sizeof(nsun)), 0);

        d.pid = fork();
        ck_assert_int_ge(d.pid, 0);
        if (d.pid == 0) {
                char pidbuf[32];

                prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (dup2(lfd, 3) != 3)
                        _exit(126);
                snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
                setenv("LISTEN_PID", pidbuf, 1);
                setenv("LISTEN_FDS", "1", 1);
                setenv("NOTIFY_SOCKET", nsun.sun_path, 1);
                execl(pbt_daemon_binary(), "patchbayd", "--foreground", (char *)NULL);
                _exit(127);
        }
        close(lfd);

        /* Readiness comes from the main pid, once the socket is served. */
        pfd = (struct pollfd){ .fd = nfd, .events = POLLIN };
        ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
        n = recv(nfd, buf, sizeof(buf) - 1, 0);
        ck_assert_int_gt(n, 0);
        buf[n] = '\0';
        ck_assert_ptr_nonnull(strstr(buf, "READY=1"));
        snprintf(dir, sizeof(dir), "MAINPID=%d", (int)d.pid);
        ck_assert_ptr_nonnull(strstr(buf, dir));
        close(nfd);

        c = pbt_connect(&d);
        json_decref(pbt_call(c, "daemon.ping", NULL));
        pb_client_free(c);
        /* systemd owns an activated socket: the daemon leaves the path alone. */
        ck_assert_int_eq(pbt_daemon_kill(&d, SIGTERM), 0);
        ck_assert_int_eq(access(d.sock, F_OK), 0);
}
END_TEST

START_TEST(other_users_are_refused)
{
        struct pb_client *c;
        pid_t child;
        int status;

        if (geteuid() != 0) {
                /* Unprivileged, we cannot become another user to try. */
                fprintf(stderr, "SKIP other_users_are_refused: needs root\n");
                return;
        }
        pbt_daemon_start(&d, NULL);
        /* Let "nobody" reach the socket, so that only the daemon's check stops it. */
        {
                char parent[256];

                snprintf(parent, sizeof(parent), "%s", d.dir);
                *strrchr(parent, '/') = '\0';
                ck_assert_int_eq(chmod(parent, 0711), 0);
        }
        ck_assert_int_eq(chmod(d.dir, 0755), 0);
        ck_assert_int_eq(chmod(d.sock, 0666), 0);
        child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                bool eof = false;
                json_t *resp;
                int fd;

                if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
                        _exit(10);
                fd = pbt_raw_connect(&d);
                resp = pbt_raw_read(fd, 5000, &eof);
                if (!resp || !json_object_get(resp, "error"))
                        _exit(11);
                if (!pbt_raw_wait_eof(fd, 5000))
                        _exit(12);
                _exit(0);
        }
        while (waitpid(child, &status, 0) < 0)
                ck_assert_int_eq(errno, EINTR);
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
        c = pbt_connect(&d); /* Our own user still gets in. */
        json_decref(pbt_call(c, "daemon.ping", NULL));
        pb_client_free(c);
        pbt_daemon_stop(&d);
}
END_TEST

Suite *
make_lifecycle_suite(void)
{
        Suite *s = suite_create("lifecycle");
        TCase *tc = tcase_create("lifecycle");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, sigterm_removes_socket);
        tcase_add_test(tc, sigint_removes_socket);
        tcase_add_test(tc, shutdown_method_stops_cleanly);
        tcase_add_test(tc, second_daemon_refused);
        tcase_add_test(tc, stale_socket_after_kill9_is_replaced);
        tcase_add_test(tc, supervisor_death_stops_daemon);
        tcase_add_test(tc, autostart_and_private_socket_dir);
        tcase_add_test(tc, socket_activation_and_readiness);
        tcase_add_test(tc, other_users_are_refused);
        suite_add_tcase(s, tc);
        return s;
}
