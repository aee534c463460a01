/* SPDX-License-Identifier: MIT */
/*
 * Lab lifetimes and leaks: session labs die with their connection, daemon
 * labs stay; destroying a lab or killing the daemon leaves no process,
 * namespace, interface or mount behind.  Events and the output directory.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "topo.h"

static struct pbt_daemon d;

static void
setup(void)
{
        memset(&d, 0, sizeof(d));
        pbt_daemon_start(&d, NULL);
}

static void
teardown(void)
{
        if (d.pid > 0)
                pbt_daemon_kill(&d, SIGTERM);
}

static int
count_lines(const char *path)
{
        FILE *f = fopen(path, "r");
        int n = 0, ch;

        if (!f)
                return -1;
        while ((ch = fgetc(f)) != EOF)
                n += ch == '\n';
        fclose(f);
        return n;
}

/* What the host has: our netns's interfaces, our mounts. */
struct host_snapshot {
        int links, mounts;
};

static struct host_snapshot
host_snapshot(void)
{
        struct host_snapshot s = { pbt_count_dir("/sys/class/net"),
                                   count_lines("/proc/self/mountinfo") };

        return s;
}

static pid_t
daemon_pid(struct pb_client *c)
{
        json_t *info = pbt_call(c, "daemon.info", NULL);
        pid_t pid = (pid_t)json_integer_value(json_object_get(info, "pid"));

        json_decref(info);
        return pid;
}

static int
daemon_fds(pid_t pid)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
        return pbt_count_dir(path);
}

/* True once no process runs with 'marker' ("1000.4242") in its command line. */
static bool
marker_gone(const char *marker, int timeout_ms)
{
        long long deadline = pbt_now_ms() + timeout_ms;
        char cmd[128];

        /* "[1]000\.4242" matches the marker but not this shell's own command line. */
        snprintf(cmd, sizeof(cmd), "pgrep -f '[%c]%s' >/dev/null", marker[0], marker + 1);
        while (system(cmd) == 0)
                if (pbt_now_ms() > deadline)
                        return false;
                else
                        usleep(20000);
        return true;
}

/* A lab with routers, devices and long-running processes marked by 'marker'. */
static void
build_busy_lab(struct pb_client *c, const char *lab, const char *marker, const char *lifetime)
{
        json_decref(
                pbt_callf(c, "lab.create", "{\"name\":\"%s\",\"lifetime\":\"%s\"}", lab, lifetime));
        for (int r = 0; r < 3; r++)
                json_decref(
                        pbt_callf(c, "router.add", "{\"lab\":\"%s\",\"name\":\"r%d\"}", lab, r));
        for (int i = 0; i < 5; i++)
                json_decref(pbt_callf(c, "device.add",
                                      "{\"lab\":\"%s\",\"name\":\"d%d\",\"ifaces\":[{\"name\":"
                                      "\"eth0\",\"router\":\"r%d\"}]}",
                                      lab, i, i % 3));
        /* A process, and one it forks off, in a device and in a router. */
        json_decref(
                pbt_callf(c, "node.spawn",
                          "{\"lab\":\"%s\",\"node\":\"d0\",\"argv\":[\"sh\",\"-c\",\"sleep %s & "
                          "exec sleep %s\"]}",
                          lab, marker, marker));
        json_decref(pbt_callf(c, "node.spawn",
                              "{\"lab\":\"%s\",\"node\":\"r1\",\"argv\":[\"sleep\",\"%s\"]}", lab,
                              marker));
        ck_assert(!marker_gone(marker, 0));
}

START_TEST(session_lab_dies_with_its_connection)
{
        struct pb_client *a = pbt_connect(&d), *b = pbt_connect(&d);
        json_t *list;

        json_decref(pbt_call(a, "lab.create", "{\"name\":\"sess\"}"));
        json_decref(pbt_call(a, "lab.create", "{\"name\":\"keep\",\"lifetime\":\"daemon\"}"));
        list = pbt_call(b, "lab.list", NULL);
        ck_assert_int_eq(json_array_size(list), 2);
        json_decref(list);
        pb_client_free(a);
        for (long long deadline = pbt_now_ms() + 5000;; usleep(10000)) {
                list = pbt_call(b, "lab.list", NULL);
                if (json_array_size(list) == 1)
                        break;
                json_decref(list);
                ck_assert_msg(pbt_now_ms() < deadline, "session lab still listed");
        }
        ck_assert_str_eq(pbt_str(json_array_get(list, 0), "name"), "keep");
        json_decref(list);
        json_decref(pbt_call(b, "lab.destroy", "{\"lab\":\"keep\"}"));
        list = pbt_call(b, "lab.list", NULL);
        ck_assert_int_eq(json_array_size(list), 0);
        json_decref(list);
        pb_client_free(b);
}
END_TEST

START_TEST(destroy_leaves_nothing)
{
        struct pb_client *c = pbt_connect(&d);
        struct host_snapshot before = host_snapshot(), after;
        pid_t pid = daemon_pid(c);
        int fds = daemon_fds(pid);
        json_t *info;

        ck_assert_int_gt(fds, 0);
        build_busy_lab(c, "busy", "1000.4242", "daemon");
        ck_assert_int_gt(daemon_fds(pid), fds);
        json_decref(pbt_call(c, "lab.destroy", "{\"lab\":\"busy\"}"));
        ck_assert(marker_gone("1000.4242", 5000));
        /* Every namespace, socket and pipe of the lab is closed in the daemon. */
        ck_assert_int_eq(daemon_fds(pid), fds);
        after = host_snapshot();
        ck_assert_int_eq(after.links, before.links);
        ck_assert_int_eq(after.mounts, before.mounts);
        info = pbt_call(c, "daemon.info", NULL);
        ck_assert_int_eq(json_integer_value(json_object_get(info, "labs")), 0);
        json_decref(info);
        pb_client_free(c);
}
END_TEST

START_TEST(kill9_of_the_daemon_leaves_nothing)
{
        struct pb_client *c = pbt_connect(&d);
        struct host_snapshot before = host_snapshot(), after;
        pid_t pid = daemon_pid(c);

        build_busy_lab(c, "busy", "1000.4343", "daemon");
        ck_assert_int_eq(kill(pid, SIGKILL), 0);
        ck_assert(marker_gone("1000.4343", 5000));
        ck_assert_int_eq(pbt_daemon_kill(&d, 0), 128 + SIGKILL);
        after = host_snapshot();
        ck_assert_int_eq(after.links, before.links);
        ck_assert_int_eq(after.mounts, before.mounts);
        pb_client_free(c);
}
END_TEST

struct seen {
        int n;
        long long last_seq;
        char kinds[16][32];
};

static void
on_event(struct pb_client *c, const char *method, const char *params, void *userdata)
{
        struct seen *s = userdata;
        json_t *ev = json_loads(params, 0, NULL);

        ck_assert_str_eq(method, "event");
        ck_assert_ptr_nonnull(ev);
        ck_assert_str_eq(pbt_str(ev, "lab"), "ev");
        ck_assert_int_gt(json_integer_value(json_object_get(ev, "seq")), s->last_seq);
        s->last_seq = json_integer_value(json_object_get(ev, "seq"));
        if (s->n < 16)
                snprintf(s->kinds[s->n], sizeof(s->kinds[0]), "%s", pbt_str(ev, "kind"));
        s->n++;
        json_decref(ev);
}

START_TEST(events_and_output_directory)
{
        struct pb_client *a = pbt_connect(&d), *b = pbt_connect(&d);
        struct seen seen = { 0 };
        char dir[256], path[320];
        json_t *state;

        pbt_mkdir(dir, sizeof(dir));
        json_decref(pbt_callf(a, "lab.create", "{\"name\":\"ev\",\"outdir\":\"%s/out\"}", dir));
        pb_client_set_event_handler(b, on_event, &seen);
        json_decref(pbt_call(b, "events.subscribe", "{\"lab\":\"ev\"}"));
        json_decref(pbt_call(a, "router.add", "{\"lab\":\"ev\",\"name\":\"dc\"}"));
        json_decref(pbt_call(a, "device.add",
                             "{\"lab\":\"ev\",\"name\":\"dev\",\"ifaces\":[{\"name\":\"eth0\","
                             "\"router\":\"dc\"}]}"));
        json_decref(pbt_call(a, "iface.down",
                             "{\"lab\":\"ev\",\"device\":\"dev\",\"iface\":\"eth0\"}"));
        for (long long deadline = pbt_now_ms() + 5000; seen.n < 3;)
                ck_assert(pbt_now_ms() < deadline && pb_client_wait(b, 100) >= 0);
        ck_assert_str_eq(seen.kinds[0], "router_added");
        ck_assert_str_eq(seen.kinds[1], "device_added");
        ck_assert_str_eq(seen.kinds[2], "iface_down");
        /* Unknown labs cannot be subscribed to. */
        ck_assert_str_eq(pbt_call_fail(b, "events.subscribe", "{\"lab\":\"nope\"}").name,
                         "patchbay.NoSuchLab");

        /* events.jsonl: lab_created plus the three. */
        snprintf(path, sizeof(path), "%s/out/events.jsonl", dir);
        ck_assert_int_eq(count_lines(path), 4);
        /* state.json is rewritten shortly after each change. */
        snprintf(path, sizeof(path), "%s/out/state.json", dir);
        for (long long deadline = pbt_now_ms() + 5000;; usleep(20000)) {
                state = json_load_file(path, 0, NULL);
                if (state && json_array_size(json_object_get(state, "devices")) == 1)
                        break;
                json_decref(state);
                ck_assert_msg(pbt_now_ms() < deadline, "state.json never showed the device");
        }
        ck_assert_str_eq(pbt_str(state, "status"), "running");
        json_decref(state);
        json_decref(pbt_call(a, "lab.destroy", "{\"lab\":\"ev\"}"));
        state = json_load_file(path, 0, NULL);
        ck_assert_ptr_nonnull(state);
        ck_assert_str_eq(pbt_str(state, "status"), "destroyed");
        json_decref(state);
        pb_client_free(a);
        pb_client_free(b);
}
END_TEST

Suite *
make_lifetime_suite(void)
{
        Suite *s = suite_create("lifetime");
        TCase *tc = tcase_create("lifetime");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, session_lab_dies_with_its_connection);
        tcase_add_test(tc, destroy_leaves_nothing);
        tcase_add_test(tc, kill9_of_the_daemon_leaves_nothing);
        tcase_add_test(tc, events_and_output_directory);
        suite_add_tcase(s, tc);
        return s;
}
