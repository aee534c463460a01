/* SPDX-License-Identifier: MIT */
/*
 * Processes die with their node, lab, session and daemon (SPEC §2.2, §7),
 * and node.enter / pb_node_enter() put a client's own process into a node.
 * Part of the "proc" suite (check_proc.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

#include "proc-util.h"

START_TEST(lab_destroy_kills_everything)
{
        struct pt_answer w = { 0 }, x = { 0 };
        char cmd[256], params[256], *out;
        long long id;
        json_t *r;

        snprintf(cmd, sizeof(cmd), "sleep %s & echo $!; wait", pt_marker(2));
        id = pt_spawn_sh(pt_c, "t", "d1", cmd);
        out = pt_await_output(id, "stdout", "\n");
        pt_await_host(pt_marker(2), true);
        /* The echoed pid belongs to the lab's PID namespace: valid in there. */
        snprintf(cmd, sizeof(cmd), "kill -0 %d", atoi(out));
        r = pt_sh("d2", cmd);
        ck_assert_int_eq(pt_num(r, "exit_code"), 0);
        json_decref(r);
        free(out);

        snprintf(params, sizeof(params), "{\"proc\":%lld}", id);
        ck_assert_int_eq(pb_call_async(pt_c, "proc.wait", params, pt_on_answer, &w), 0);
        snprintf(params, sizeof(params),
                 "{\"lab\":\"t\",\"node\":\"r2\",\"argv\":[\"sh\",\"-c\",\"echo partial; "
                 "exec sleep %s\"]}",
                 pt_marker(3));
        ck_assert_int_eq(pb_call_async(pt_c, "node.exec", params, pt_on_answer, &x), 0);
        pt_await_host(pt_marker(3), true);
        json_decref(pbt_call(pt_c, "lab.destroy", "{\"lab\":\"t\"}"));

        r = pt_await_answer(pt_c, &w);
        ck_assert_int_eq(pt_num(r, "signal"), 9);
        ck_assert(json_is_null(json_object_get(r, "exit_code")));
        json_decref(r);
        r = pt_await_answer(pt_c, &x);
        ck_assert_int_eq(pt_num(r, "signal"), 9);
        ck_assert_str_eq(pt_str(r, "stdout"), "partial\n");
        json_decref(r);
        free(w.result);
        free(x.result);

        r = pbt_call(pt_c, "proc.list", NULL);
        ck_assert_uint_eq(json_array_size(r), 0);
        json_decref(r);
        pt_await_host(pt_marker(2), false);
        pt_await_host(pt_marker(3), false);
}
END_TEST

START_TEST(device_remove_kills_its_processes)
{
        struct pt_answer w = { 0 };
        char cmd[256], params[64];
        long long id, other;
        json_t *r;

        snprintf(cmd, sizeof(cmd), "sleep %s & wait", pt_marker(4));
        id = pt_spawn_sh(pt_c, "t", "d2", cmd);
        snprintf(cmd, sizeof(cmd), "exec sleep %s", pt_marker(5));
        other = pt_spawn_sh(pt_c, "t", "d1", cmd);
        pt_await_host(pt_marker(4), true);
        pt_await_host(pt_marker(5), true);
        snprintf(params, sizeof(params), "{\"proc\":%lld}", id);
        ck_assert_int_eq(pb_call_async(pt_c, "proc.wait", params, pt_on_answer, &w), 0);
        json_decref(pbt_call(pt_c, "device.remove", "{\"lab\":\"t\",\"name\":\"d2\"}"));
        r = pt_await_answer(pt_c, &w);
        ck_assert_int_eq(pt_num(r, "signal"), 9);
        json_decref(r);
        free(w.result);
        pt_await_host(pt_marker(4), false);
        /* Still listed, as exited; the other device's process lives on. */
        r = pt_callf("proc.output", "{\"proc\":%lld}", id);
        ck_assert(json_is_true(json_object_get(r, "eof")));
        json_decref(r);
        ck_assert(pt_host_has(pt_marker(5)));
        r = pbt_call(pt_c, "lab.list", NULL);
        ck_assert_int_eq(pt_num(json_array_get(r, 0), "procs"), 1);
        json_decref(r);
        json_decref(pt_callf("proc.kill", "{\"proc\":%lld,\"signal\":\"KILL\"}", other));
}
END_TEST

START_TEST(session_end_kills_its_processes)
{
        struct pb_client *c2 = pbt_connect(&pt_d);
        struct pt_answer x = { 0 };
        char cmd[256], params[256];
        json_t *r;

        /* The second client's own session lab, and an exec of its in lab "t". */
        json_decref(pbt_call(c2, "lab.create", "{\"name\":\"s2\"}"));
        snprintf(cmd, sizeof(cmd), "exec sleep %s", pt_marker(6));
        pt_spawn_sh(c2, "s2", "ix", cmd);
        snprintf(params, sizeof(params),
                 "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"sleep\",\"%s\"]}", pt_marker(7));
        ck_assert_int_eq(pb_call_async(c2, "node.exec", params, pt_on_answer, &x), 0);
        pt_await_host(pt_marker(6), true);
        pt_await_host(pt_marker(7), true);
        pb_client_free(c2);
        pt_await_host(pt_marker(6), false);
        pt_await_host(pt_marker(7), false);
        r = pbt_call(pt_c, "lab.list", NULL);
        ck_assert_uint_eq(json_array_size(r), 1);
        json_decref(r);
}
END_TEST

START_TEST(daemon_kill9_leaves_nothing)
{
        char cmd[256];
        json_t *info;
        pid_t pid;

        snprintf(cmd, sizeof(cmd), "sleep %s & wait", pt_marker(8));
        pt_spawn_sh(pt_c, "t", "r1", cmd);
        snprintf(cmd, sizeof(cmd), "exec sleep %s", pt_marker(9));
        pt_spawn_sh(pt_c, "t", "d1", cmd);
        pt_await_host(pt_marker(8), true);
        pt_await_host(pt_marker(9), true);
        info = pbt_call(pt_c, "daemon.info", NULL);
        pid = (pid_t)pt_num(info, "pid");
        json_decref(info);
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        pt_await_host(pt_marker(8), false);
        pt_await_host(pt_marker(9), false);
        /* The supervisor exits with the daemon's status. */
        ck_assert_int_eq(pbt_daemon_kill(&pt_d, 0), 137);
}
END_TEST

/* --- node.enter -------------------------------------------------------------- */

START_TEST(enter_returns_namespace_fds)
{
        json_t *info = pbt_call(pt_c, "daemon.info", NULL), *r;
        bool rootless = json_is_true(json_object_get(info, "rootless"));
        long long pid = pt_num(info, "pid");
        char *text = NULL, prefix[64];
        struct pb_error e;
        unsigned n = 0;
        int fds[8];

        ck_assert_int_eq(pb_call_fds(pt_c, "node.enter", "{\"lab\":\"t\",\"node\":\"d1\"}", 10000,
                                     &text, fds, 8, &n, &e),
                         0);
        r = json_loads(text, 0, NULL);
        free(text);
        ck_assert_uint_eq(n, rootless ? 4 : 3);
        ck_assert_uint_eq(json_array_size(json_object_get(r, "fds")), n);
        ck_assert_int_eq(pt_num(r, "pid"), pid);
        ck_assert(json_is_null(json_object_get(r, "userns")) == !rootless);
        snprintf(prefix, sizeof(prefix), "/proc/%lld/fd/", pid);
        ck_assert_ptr_eq(strstr(pt_str(r, "netns"), prefix), pt_str(r, "netns"));
        ck_assert_ptr_eq(strstr(pt_str(r, "mntns"), prefix), pt_str(r, "mntns"));
        ck_assert_ptr_eq(strstr(pt_str(r, "pidns"), prefix), pt_str(r, "pidns"));
        for (unsigned i = 0; i < n; i++)
                close(fds[i]);
        json_decref(r);

        ck_assert_int_eq(pb_call_fds(pt_c, "node.enter", "{\"lab\":\"t\",\"node\":\"r1\"}", 10000,
                                     &text, fds, 8, &n, &e),
                         0);
        r = json_loads(text, 0, NULL);
        free(text);
        snprintf(prefix, sizeof(prefix), "/proc/%lld/ns/mnt", pid);
        ck_assert_str_eq(pt_str(r, "mntns"), prefix);
        for (unsigned i = 0; i < n; i++)
                close(fds[i]);
        json_decref(r);
        json_decref(info);
}
END_TEST

START_TEST(pb_node_enter_runs_a_child_in_the_node)
{
        const char *script = "ip -br link; sh -c 'readlink /proc/self/ns/pid'";
        char buf[4096] = "";
        json_t *lab_pidns;
        size_t len = 0;
        int fds[2], status;
        ssize_t k;
        pid_t pid;

        ck_assert_int_eq(pipe(fds), 0);
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                /* Single-threaded, as pb_node_enter() requires; no Check calls in here. */
                struct pb_client *cl = NULL;
                struct pb_error e;

                if (pb_client_connect(pt_d.sock, 0, &cl, &e) < 0)
                        _exit(2);
                if (pb_node_enter(cl, "t", "d1", &e) < 0) {
                        fprintf(stderr, "pb_node_enter: %s\n", e.message);
                        _exit(3);
                }
                pb_client_free(cl);
                if (dup2(fds[1], STDOUT_FILENO) < 0)
                        _exit(4);
                execl("/bin/sh", "sh", "-c", script, (char *)NULL);
                _exit(5);
        }
        close(fds[1]);
        while ((k = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t)k;
        close(fds[0]);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
        ck_assert_msg(strstr(buf, "eth0"), "no eth0 in: %s", buf);
        ck_assert_msg(!strstr(buf, "br-lan"), "a router's links: %s", buf);
        /* The shell's child runs in the lab's PID namespace, like node.exec's processes. */
        lab_pidns = pt_sh("d2", "readlink /proc/self/ns/pid");
        ck_assert_msg(strstr(buf, pt_str(lab_pidns, "stdout")), "%s not in: %s",
                      pt_str(lab_pidns, "stdout"), buf);
        json_decref(lab_pidns);
}
END_TEST

void
pt_add_life_tests(TCase *tc)
{
        tcase_add_test(tc, lab_destroy_kills_everything);
        tcase_add_test(tc, device_remove_kills_its_processes);
        tcase_add_test(tc, session_end_kills_its_processes);
        tcase_add_test(tc, daemon_kill9_leaves_nothing);
        tcase_add_test(tc, enter_returns_namespace_fds);
        tcase_add_test(tc, pb_node_enter_runs_a_child_in_the_node);
}
