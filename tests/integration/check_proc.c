/* SPDX-License-Identifier: MIT */
/*
 * Processes in nodes (SPEC §7): node.exec, node.spawn and proc.*, with real
 * programs in a real lab.  The fixture and helpers are in proc-util.c; the
 * tests of process lifetimes and node.enter in check_proc_life.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc-util.h"
#include "suites.h"

/* --- node.exec --------------------------------------------------------------- */

START_TEST(exec_shows_device_address)
{
        json_t *dev = pbt_call(pt_c, "device.get", "{\"lab\":\"t\",\"name\":\"d1\"}");
        json_t *r = pt_callf("node.exec", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"ip\",\"-br\","
                                          "\"addr\"]}");
        char want[80];

        snprintf(want, sizeof(want), "%s/24", pt_str(dev, "ip"));
        ck_assert_int_eq(pt_num(r, "exit_code"), 0);
        ck_assert(json_is_null(json_object_get(r, "signal")));
        ck_assert_msg(strstr(pt_str(r, "stdout"), want), "no %s in: %s", want, pt_str(r, "stdout"));
        ck_assert_ptr_nonnull(strstr(pt_str(r, "stdout"), "eth0"));
        ck_assert_str_eq(pt_str(r, "stderr"), "");
        ck_assert(json_is_false(json_object_get(r, "truncated")));
        ck_assert(json_is_false(json_object_get(r, "timed_out")));
        ck_assert(json_number_value(json_object_get(r, "wall_ms")) >= 0);
        json_decref(r);
        json_decref(dev);
}
END_TEST

START_TEST(exec_ping_across_routers)
{
        char cmd[256];
        json_t *r;

        snprintf(cmd, sizeof(cmd), "ping -n -c 1 -W 2 %s", pt_d2_ip);
        r = pt_sh("d1", cmd);
        ck_assert_msg(pt_num(r, "exit_code") == 0, "ping %s: %s %s", pt_d2_ip, pt_str(r, "stdout"),
                      pt_str(r, "stderr"));
        json_decref(r);
        /* Nobody answers on d2's LAN at .99: ping says 1. */
        snprintf(cmd, sizeof(cmd), "ping -n -c 1 -W 2 %.*s99",
                 (int)(strrchr(pt_d2_ip, '.') - pt_d2_ip + 1), pt_d2_ip);
        r = pt_sh("d1", cmd);
        ck_assert_int_eq(pt_num(r, "exit_code"), 1);
        json_decref(r);
}
END_TEST

START_TEST(exec_status_streams_stdin_env)
{
        json_t *r;

        r = pt_sh("d1", "exit 7");
        ck_assert_int_eq(pt_num(r, "exit_code"), 7);
        ck_assert(json_is_null(json_object_get(r, "signal")));
        json_decref(r);

        r = pt_sh("d1", "kill -9 $$");
        ck_assert(json_is_null(json_object_get(r, "exit_code")));
        ck_assert_int_eq(pt_num(r, "signal"), 9);
        json_decref(r);

        r = pt_sh("d1", "echo out; echo err >&2; echo more");
        ck_assert_str_eq(pt_str(r, "stdout"), "out\nmore\n");
        ck_assert_str_eq(pt_str(r, "stderr"), "err\n");
        json_decref(r);

        r = pt_callf("node.exec", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"cat\"],"
                                  "\"stdin\":\"hello\\nworld\"}");
        ck_assert_str_eq(pt_str(r, "stdout"), "hello\nworld");
        json_decref(r);

        r = pt_callf("node.exec", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"sh\",\"-c\","
                                  "\"echo $FOO:$HOME; pwd\"],\"env\":{\"FOO\":\"bar\"},"
                                  "\"cwd\":\"/tmp\"}");
        ck_assert_str_eq(pt_str(r, "stdout"), "bar:/root\n/tmp\n");
        json_decref(r);

        /* Invalid UTF-8 arrives as U+FFFD. */
        r = pt_sh("d1", "printf 'a\\377b'");
        ck_assert_str_eq(pt_str(r, "stdout"), "a\xef\xbf\xbd"
                                              "b");
        json_decref(r);
}
END_TEST

START_TEST(exec_start_failures_are_errors)
{
        struct pb_error e;

        e = pt_failf("node.exec", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"no-such-program\"]}");
        ck_assert_int_eq(e.code, PB_ERROR_SYSTEM);
        ck_assert_int_eq(e.errnum, ENOENT);
        ck_assert_str_eq(e.op, "exec no-such-program");

        e = pt_failf("node.spawn", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"/no/such/file\"]}");
        ck_assert_int_eq(e.code, PB_ERROR_SYSTEM);
        ck_assert_int_eq(e.errnum, ENOENT);

        e = pt_failf("node.exec", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"true\"],"
                                  "\"cwd\":\"/no/such/dir\"}");
        ck_assert_int_eq(e.errnum, ENOENT);
        ck_assert_str_eq(e.op, "chdir /no/such/dir");

        e = pt_failf("node.exec", "{\"lab\":\"t\",\"node\":\"nope\",\"argv\":[\"true\"]}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchNode");
        e = pt_failf("node.exec", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"true\"],"
                                  "\"env\":{\"A\":1}}");
        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
        ck_assert_str_eq(e.parameter, "env.A");
}
END_TEST

START_TEST(exec_timeout_kills_the_group)
{
        char cmd[256];
        json_t *r;

        snprintf(cmd, sizeof(cmd), "sleep %s & sleep %s", pt_marker(1), pt_marker(1));
        r = pt_callf("node.exec",
                     "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"sh\",\"-c\",\"%s\"],"
                     "\"timeout_ms\":300}",
                     cmd);
        ck_assert(json_is_null(json_object_get(r, "exit_code")));
        ck_assert_int_eq(pt_num(r, "signal"), 9);
        ck_assert(json_is_true(json_object_get(r, "timed_out")));
        ck_assert(json_number_value(json_object_get(r, "wall_ms")) >= 300);
        ck_assert(json_number_value(json_object_get(r, "wall_ms")) < 5000);
        json_decref(r);
        pt_await_host(pt_marker(1), false);
}
END_TEST

START_TEST(exec_output_is_bounded)
{
        json_t *r =
                pt_call_nul("node.exec", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"sh\","
                                         "\"-c\",\"head -c 2000000 /dev/zero; echo done >&2\"]}");

        /* 1 MiB of NULs: a reply of 6 MiB (\u0000 each), over a request frame's limit. */

        ck_assert_int_eq(pt_num(r, "exit_code"), 0);
        ck_assert_uint_eq(json_string_length(json_object_get(r, "stdout")), 1024 * 1024);
        ck_assert_str_eq(pt_str(r, "stderr"), "done\n");
        ck_assert(json_is_true(json_object_get(r, "truncated")));
        json_decref(r);

        r = pt_sh("d1", "head -c 1048576 /dev/zero | tr '\\0' x");
        ck_assert_uint_eq(json_string_length(json_object_get(r, "stdout")), 1024 * 1024);
        ck_assert(json_is_false(json_object_get(r, "truncated")));
        json_decref(r);
}
END_TEST

START_TEST(exec_in_ix_and_router)
{
        json_t *r = pt_sh("ix", "ip -br addr show ix");

        ck_assert_int_eq(pt_num(r, "exit_code"), 0);
        ck_assert_ptr_nonnull(strstr(pt_str(r, "stdout"), "198.18.0.1/24"));
        json_decref(r);
        r = pt_sh("r1", "ip -br addr");
        ck_assert_msg(strstr(pt_str(r, "stdout"), pt_r1_ip), "no %s in %s", pt_r1_ip,
                      pt_str(r, "stdout"));
        json_decref(r);
}
END_TEST

START_TEST(device_has_own_mount_namespace)
{
        json_t *a = pt_sh("d1", "cat /etc/hosts >/dev/null && readlink /proc/self/ns/mnt");
        json_t *b = pt_sh("r1", "readlink /proc/self/ns/mnt");
        json_t *e = pt_sh("d2", "readlink /proc/self/ns/mnt");

        ck_assert_int_eq(pt_num(a, "exit_code"), 0);
        ck_assert_ptr_nonnull(strstr(pt_str(a, "stdout"), "mnt:["));
        ck_assert_str_ne(pt_str(a, "stdout"), pt_str(b, "stdout"));
        ck_assert_str_ne(pt_str(a, "stdout"), pt_str(e, "stdout"));
        json_decref(a);
        json_decref(b);
        json_decref(e);
}
END_TEST

/* --- node.spawn and proc.* ----------------------------------------------------- */

START_TEST(spawn_write_output_wait)
{
        long long id = pt_spawn_sh(pt_c, "t", "d1",
                                   "while read l; do echo \"got $l\"; done; echo bye >&2; exit 3");
        struct pb_error e;
        json_t *r;
        char *out;

        json_decref(pt_callf("proc.write", "{\"proc\":%lld,\"data\":\"one\\n\"}", id));
        free(pt_await_output(id, "stdout", "got one\n"));
        /* "two\n" in base64, then stdin closes. */
        json_decref(pt_callf("proc.write",
                             "{\"proc\":%lld,\"data\":\"dHdvCg==\",\"encoding\":\"base64\","
                             "\"close\":true}",
                             id));
        r = pt_callf("proc.wait", "{\"proc\":%lld}", id);
        ck_assert_int_eq(pt_num(r, "exit_code"), 3);
        ck_assert(json_is_null(json_object_get(r, "signal")));
        json_decref(r);
        out = pt_await_output(id, "stdout", "got two\n");
        ck_assert_str_eq(out, "got one\ngot two\n");
        free(out);
        r = pt_callf("proc.output", "{\"proc\":%lld,\"stream\":\"stderr\"}", id);
        ck_assert_str_eq(pt_str(r, "data"), "bye\n");
        ck_assert_int_eq(pt_num(r, "offset"), 4);
        ck_assert(json_is_true(json_object_get(r, "eof")));
        json_decref(r);

        e = pt_failf("proc.write", "{\"proc\":%lld,\"data\":\"x\"}", id);
        ck_assert_str_eq(e.name, "patchbay.InvalidState");
        e = pt_failf("proc.kill", "{\"proc\":%lld}", id);
        ck_assert_str_eq(e.name, "patchbay.InvalidState");
        e = pt_failf("proc.wait", "{\"proc\":99999}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchProc");
        e = pt_failf("proc.write", "{\"proc\":%lld,\"data\":\"!!\",\"encoding\":\"base64\"}", id);
        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
}
END_TEST

START_TEST(kill_signals_and_wait_timeout)
{
        static const struct {
                const char *sig;
                int num;
        } cases[] = { { NULL, 15 },          { "\"INT\"", 2 }, { "\"sigkill\"", 9 },
                      { "\"SIGUSR1\"", 10 }, { "1", 1 },       { "\"15\"", 15 } };
        struct pb_error e;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                long long id = pt_spawn_sh(pt_c, "t", "d2", "exec sleep 1000");
                json_t *r;

                if (i == 0) {
                        e = pt_failf("proc.wait", "{\"proc\":%lld,\"timeout_ms\":100}", id);
                        ck_assert_str_eq(e.name, "patchbay.Timeout");
                        e = pt_failf("proc.kill", "{\"proc\":%lld,\"signal\":\"NOSUCH\"}", id);
                        ck_assert_int_eq(e.code, PB_ERROR_INVALID_PARAMS);
                        ck_assert_str_eq(e.parameter, "signal");
                        e = pt_failf("proc.kill", "{\"proc\":%lld,\"signal\":\"99\"}", id);
                        ck_assert_str_eq(e.parameter, "signal");
                        json_decref(pt_callf("proc.kill", "{\"proc\":%lld}", id));
                } else {
                        json_decref(pt_callf("proc.kill", "{\"proc\":%lld,\"signal\":%s}", id,
                                             cases[i].sig));
                }
                r = pt_callf("proc.wait", "{\"proc\":%lld,\"timeout_ms\":10000}", id);
                ck_assert_int_eq(pt_num(r, "signal"), cases[i].num);
                ck_assert(json_is_null(json_object_get(r, "exit_code")));
                json_decref(r);
        }
}
END_TEST

START_TEST(output_offsets_and_loss)
{
        long long id = pt_spawn_sh(pt_c, "t", "d1", "printf abcdef");
        long long big = pt_spawn_sh(pt_c, "t", "d1", "head -c 1500000 /dev/zero | tr '\\0' x");
        json_t *r;

        json_decref(pt_callf("proc.wait", "{\"proc\":%lld}", id));
        r = pt_callf("proc.output", "{\"proc\":%lld,\"max\":2}", id);
        ck_assert_str_eq(pt_str(r, "data"), "ab");
        ck_assert_int_eq(pt_num(r, "offset"), 2);
        ck_assert(json_is_false(json_object_get(r, "eof")));
        json_decref(r);
        r = pt_callf("proc.output", "{\"proc\":%lld,\"offset\":2,\"encoding\":\"base64\"}", id);
        ck_assert_str_eq(pt_str(r, "data"), "Y2RlZg==");
        ck_assert_int_eq(pt_num(r, "offset"), 6);
        ck_assert(json_is_true(json_object_get(r, "eof")));
        ck_assert_int_eq(pt_num(r, "lost"), 0);
        json_decref(r);
        r = pt_callf("proc.output", "{\"proc\":%lld,\"offset\":100}", id);
        ck_assert_str_eq(pt_str(r, "data"), "");
        ck_assert_int_eq(pt_num(r, "offset"), 6);
        json_decref(r);

        /* Only the last 1 MiB stays in memory: the rest is reported lost. */
        json_decref(pt_callf("proc.wait", "{\"proc\":%lld}", big));
        r = pt_callf("proc.output", "{\"proc\":%lld,\"max\":10}", big);
        ck_assert_str_eq(pt_str(r, "data"), "xxxxxxxxxx");
        ck_assert_int_eq(pt_num(r, "lost"), 1500000 - 1048576);
        ck_assert_int_eq(pt_num(r, "offset"), 1500000 - 1048576 + 10);
        json_decref(r);
}
END_TEST

static void
on_event(struct pb_client *cl, const char *method, const char *params, void *userdata)
{
        json_t **events = userdata;
        json_t *ev = json_loads(params, 0, NULL);

        if (ev && strncmp(pt_str(ev, "kind"), "proc_", 5) == 0)
                json_array_append(*events, ev);
        json_decref(ev);
}

START_TEST(events_started_and_exited)
{
        json_t *events = json_array(), *ev;
        long long deadline, id;
        json_t *r;

        pb_client_set_event_handler(pt_c, on_event, &events);
        json_decref(pbt_call(pt_c, "events.subscribe", "{\"lab\":\"t\"}"));
        r = pt_callf("node.spawn", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"sh\",\"-c\",\"exit "
                                   "4\"],\"name\":\"ev1\"}");
        id = pt_num(r, "proc");
        json_decref(r);
        deadline = pbt_now_ms() + 10000;
        while (json_array_size(events) < 2) {
                ck_assert(pbt_now_ms() < deadline);
                ck_assert_int_ge(pb_client_wait(pt_c, 100), 0);
        }
        ev = json_array_get(events, 0);
        ck_assert_str_eq(pt_str(ev, "kind"), "proc_started");
        ck_assert_int_eq(pt_num(ev, "proc"), id);
        ck_assert_str_eq(pt_str(ev, "node"), "d1");
        ck_assert_str_eq(pt_str(ev, "name"), "ev1");
        ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ev, "argv"), 2)),
                         "exit 4");
        ev = json_array_get(events, 1);
        ck_assert_str_eq(pt_str(ev, "kind"), "proc_exited");
        ck_assert_int_eq(pt_num(ev, "proc"), id);
        ck_assert_int_eq(pt_num(ev, "exit_code"), 4);
        ck_assert(json_is_null(json_object_get(ev, "signal")));
        pb_client_set_event_handler(pt_c, NULL, NULL);
        json_decref(events);
}
END_TEST

START_TEST(list_and_state)
{
        long long b = pt_spawn_sh(pt_c, "t", "r1", "true"), a;
        json_t *list, *state, *p;
        struct pb_error e;
        char path[64];
        FILE *f;

        json_decref(pt_callf("proc.wait", "{\"proc\":%lld}", b));
        p = pt_callf("node.spawn", "{\"lab\":\"t\",\"node\":\"d1\",\"argv\":[\"sleep\",\"1000\"]}");
        a = pt_num(p, "proc");
        json_decref(p);
        list = pbt_call(pt_c, "proc.list", "{\"lab\":\"t\"}");
        ck_assert_uint_eq(json_array_size(list), 2);
        p = json_array_get(list, 1);
        ck_assert_int_eq(pt_num(p, "proc"), a);
        ck_assert_str_eq(pt_str(p, "lab"), "t");
        ck_assert_str_eq(pt_str(p, "node"), "d1");
        ck_assert(json_is_true(json_object_get(p, "running")));
        ck_assert(json_is_null(json_object_get(p, "name")));
        ck_assert_ptr_nonnull(strstr(pt_str(p, "started"), "T"));
        /* "pid" is the host's view: its /proc entry is our sleep. */
        snprintf(path, sizeof(path), "/proc/%lld/comm", pt_num(p, "pid"));
        f = fopen(path, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_int_eq(fscanf(f, "%63s", path), 1);
        fclose(f);
        ck_assert_str_eq(path, "sleep");
        p = json_array_get(list, 0);
        ck_assert_int_eq(pt_num(p, "proc"), b);
        ck_assert(json_is_false(json_object_get(p, "running")));
        ck_assert_int_eq(pt_num(p, "exit_code"), 0);
        json_decref(list);

        state = pbt_call(pt_c, "lab.state", "{\"lab\":\"t\"}");
        ck_assert_uint_eq(json_array_size(json_object_get(state, "procs")), 2);
        json_decref(state);
        list = pbt_call(pt_c, "lab.list", NULL);
        ck_assert_int_eq(pt_num(json_array_get(list, 0), "procs"), 1);
        json_decref(list);
        list = pbt_call(pt_c, "proc.list", NULL);
        ck_assert_uint_eq(json_array_size(list), 2);
        json_decref(list);
        e = pt_failf("proc.list", "{\"lab\":\"nope\"}");
        ck_assert_str_eq(e.name, "patchbay.NoSuchLab");
}
END_TEST

START_TEST(outdir_log_files)
{
        char dir[256], cmd[300], want[400], text[64] = "";
        json_t *list, *p;
        long long id;
        FILE *f;

        pbt_mkdir(dir, sizeof(dir));
        snprintf(cmd, sizeof(cmd), "{\"name\":\"lg\",\"outdir\":\"%s\"}", dir);
        json_decref(pbt_call(pt_c, "lab.create", cmd));
        json_decref(pt_callf("node.spawn",
                             "{\"lab\":\"lg\",\"node\":\"ix\",\"argv\":[\"sh\",\"-c\","
                             "\"echo hello; echo oops >&2\"],\"name\":\"greeter\"}"));
        list = pbt_call(pt_c, "proc.list", "{\"lab\":\"lg\"}");
        p = json_array_get(list, 0);
        id = pt_num(p, "proc");
        json_decref(pt_callf("proc.wait", "{\"proc\":%lld}", id));
        snprintf(want, sizeof(want), "%s/proc-%lld-greeter.stdout.log", dir, id);
        ck_assert_str_eq(pt_str(p, "stdout_log"), want);
        f = fopen(want, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
        fclose(f);
        ck_assert_str_eq(text, "hello\n");
        snprintf(want, sizeof(want), "%s/proc-%lld-greeter.stderr.log", dir, id);
        ck_assert_str_eq(pt_str(p, "stderr_log"), want);
        f = fopen(want, "r");
        ck_assert_ptr_nonnull(f);
        ck_assert_ptr_nonnull(fgets(text, sizeof(text), f));
        fclose(f);
        ck_assert_str_eq(text, "oops\n");
        json_decref(list);
}
END_TEST

START_TEST(exited_processes_are_capped)
{
        long long first = 0, last = 0, deadline;
        json_t *list;

        for (int i = 0; i < 1030; i++) {
                json_t *r = pbt_call(pt_c, "node.spawn",
                                     "{\"lab\":\"t\",\"node\":\"ix\",\"argv\":[\"true\"]}");

                last = pt_num(r, "proc");
                if (i == 0)
                        first = last;
                json_decref(r);
        }
        json_decref(pt_callf("proc.wait", "{\"proc\":%lld}", last));
        deadline = pbt_now_ms() + 20000;
        for (;;) {
                json_t *l = pbt_call(pt_c, "lab.list", NULL);
                long long running = pt_num(json_array_get(l, 0), "procs");

                json_decref(l);
                if (running == 0)
                        break;
                ck_assert(pbt_now_ms() < deadline);
                usleep(20000);
        }
        list = pbt_call(pt_c, "proc.list", "{\"lab\":\"t\"}");
        ck_assert_uint_eq(json_array_size(list), 1024);
        ck_assert_int_eq(pt_num(json_array_get(list, 0), "proc"), first + 6);
        ck_assert_int_eq(pt_num(json_array_get(list, 1023), "proc"), last);
        json_decref(list);
}
END_TEST

Suite *
make_proc_suite(void)
{
        Suite *s = suite_create("proc");
        TCase *tc = tcase_create("proc");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, pt_setup, pt_teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, exec_shows_device_address);
        tcase_add_test(tc, exec_ping_across_routers);
        tcase_add_test(tc, exec_status_streams_stdin_env);
        tcase_add_test(tc, exec_start_failures_are_errors);
        tcase_add_test(tc, exec_timeout_kills_the_group);
        tcase_add_test(tc, exec_output_is_bounded);
        tcase_add_test(tc, exec_in_ix_and_router);
        tcase_add_test(tc, device_has_own_mount_namespace);
        tcase_add_test(tc, spawn_write_output_wait);
        tcase_add_test(tc, kill_signals_and_wait_timeout);
        tcase_add_test(tc, output_offsets_and_loss);
        tcase_add_test(tc, events_started_and_exited);
        tcase_add_test(tc, list_and_state);
        tcase_add_test(tc, outdir_log_files);
        tcase_add_test(tc, exited_processes_are_capped);
        pt_add_life_tests(tc);
        suite_add_tcase(s, tc);
        return s;
}
