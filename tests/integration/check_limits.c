/* SPDX-License-Identifier: MIT */
/* Hostile and heavy clients: each is contained, and everyone else is served. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "harness.h"
#include "suites.h"

static struct pbt_daemon d;

static void
teardown(void)
{
        if (d.pid > 0)
                pbt_daemon_stop(&d);
}

static json_int_t
connections(struct pb_client *c)
{
        json_t *info = pbt_call(c, "daemon.info", NULL);
        json_int_t n = json_integer_value(json_object_get(info, "connections"));

        json_decref(info);
        return n;
}

/* Waits until the daemon counts 'want' connections (the caller's included). */
static void
await_connections(struct pb_client *c, json_int_t want, int timeout_ms)
{
        long long deadline = pbt_now_ms() + timeout_ms;
        json_int_t n;

        while ((n = connections(c)) != want) {
                ck_assert_msg(pbt_now_ms() < deadline, "daemon still has %lld connections",
                              (long long)n);
                usleep(20000);
        }
}

/* Sends as much of 'buf' as the socket takes within 'timeout_ms'; returns the count. */
static size_t
send_nonblocking(int fd, const char *buf, size_t len, int timeout_ms)
{
        long long deadline = pbt_now_ms() + timeout_ms;
        size_t off = 0;

        while (off < len && pbt_now_ms() < deadline) {
                ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n > 0) {
                        off += (size_t)n;
                        continue;
                }
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        break; /* EPIPE / ECONNRESET: the daemon hung up. */
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                (void)poll(&pfd, 1, 50);
        }
        return off;
}

START_TEST(oversized_frame_closes_that_connection)
{
        size_t big = 1024 * 1024 + 4096;
        char *buf = malloc(big);
        struct pb_client *other;
        json_t *resp;
        int fd;
        bool eof;

        pbt_daemon_start(&d, NULL);
        other = pbt_connect(&d);
        fd = pbt_raw_connect(&d);
        ck_assert_ptr_nonnull(buf);
        memcpy(buf, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":{\"data\":\"", 58);
        memset(buf + 58, 'a', big - 58);
        send_nonblocking(fd, buf, big, 5000);

        resp = pbt_raw_read(fd, 5000, &eof);
        ck_assert_msg(resp, "no error reply to an oversized frame (eof=%d)", eof);
        ck_assert(json_is_null(json_object_get(resp, "id")));
        ck_assert_int_eq(
                json_integer_value(json_object_get(json_object_get(resp, "error"), "code")),
                -32600);
        json_decref(resp);
        ck_assert(pbt_raw_wait_eof(fd, 5000));
        close(fd);

        /* The other client never noticed. */
        json_decref(pbt_call(other, "daemon.ping", NULL));
        await_connections(other, 1, 5000);
        pb_client_free(other);
        free(buf);
}
END_TEST

START_TEST(disconnect_mid_frame_harms_nobody)
{
        struct pb_client *other;

        pbt_daemon_start(&d, NULL);
        other = pbt_connect(&d);
        for (int i = 0; i < 20; i++) {
                int fd = pbt_raw_connect(&d);

                pbt_raw_send(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.in");
                close(fd);
        }
        json_decref(pbt_call(other, "daemon.info", NULL));
        await_connections(other, 1, 5000);
        pb_client_free(other);
}
END_TEST

START_TEST(non_reader_is_cut_off)
{
        static const char *const args[] = { "--stall-timeout", "1000", NULL };
        const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"params\":{\"data\":"
                          "\"0123456789012345678901234567890123456789012345678901234567890123"
                          "456789012345678901234567890123456789012345678901234567890123456789"
                          "\"},\"id\":1}\n";
        size_t one = strlen(req), total = one * 40000, sent;
        char *flood = malloc(total);
        struct pb_client *other;
        long long worst = 0;
        int fd;

        ck_assert_ptr_nonnull(flood);
        for (size_t i = 0; i < total; i += one)
                memcpy(flood + i, req, one);
        pbt_daemon_start(&d, args);
        other = pbt_connect(&d);
        fd = pbt_raw_connect(&d);
        /* Pipeline thousands of requests and never read a reply. */
        sent = send_nonblocking(fd, flood, total, 2000);
        ck_assert_uint_gt(sent, 1024 * 1024);

        /* Meanwhile everyone else is served promptly. */
        for (int i = 0; i < 200; i++) {
                long long t0 = pbt_now_ms();

                json_decref(pbt_call(other, "daemon.ping", NULL));
                if (pbt_now_ms() - t0 > worst)
                        worst = pbt_now_ms() - t0;
        }
        ck_assert_msg(worst < 1000, "a call took %lld ms next to a flooding client", worst);

        /* The stalled peer is dropped without ever reading. */
        await_connections(other, 1, 10000);
        ck_assert(pbt_raw_wait_eof(fd, 5000));
        close(fd);
        pb_client_free(other);
        free(flood);
}
END_TEST

struct worker {
        const struct pbt_daemon *d;
        int ok;
        int failed_connect;
};

static void *
hammer(void *arg)
{
        struct worker *w = arg;
        struct pb_client *c = NULL;

        if (pb_client_connect(w->d->sock, 0, &c, NULL) < 0) {
                w->failed_connect = 1;
                return NULL;
        }
        for (int i = 0; i < 100; i++) {
                char *res = NULL;

                if (pb_call(c, "daemon.info", NULL, 30000, &res, NULL) == 0 && res &&
                    strstr(res, "\"api_version\":1"))
                        w->ok++;
                free(res);
        }
        pb_client_free(c);
        return NULL;
}

START_TEST(hundred_clients_hundred_calls)
{
        pthread_t th[100];
        struct worker w[100];
        int total = 0;

        pbt_daemon_start(&d, NULL);
        for (int i = 0; i < 100; i++) {
                w[i] = (struct worker){ .d = &d };
                ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &w[i]), 0);
        }
        for (int i = 0; i < 100; i++) {
                ck_assert_int_eq(pthread_join(th[i], NULL), 0);
                ck_assert_int_eq(w[i].failed_connect, 0);
                total += w[i].ok;
        }
        ck_assert_int_eq(total, 100 * 100);
}
END_TEST

START_TEST(connection_cap_refuses_with_limit)
{
        static const char *const args[] = { "--max-connections", "3", NULL };
        struct pb_client *c;
        int fds[2], extra;
        json_t *resp, *err;
        bool eof;

        pbt_daemon_start(&d, args);
        c = pbt_connect(&d);
        /* The harness's readiness probe may still be counted: let it go first. */
        await_connections(c, 1, 5000);
        fds[0] = pbt_raw_connect(&d);
        fds[1] = pbt_raw_connect(&d);
        await_connections(c, 3, 5000);

        extra = pbt_raw_connect(&d); /* The kernel accepts; the daemon refuses. */
        resp = pbt_raw_read(extra, 5000, &eof);
        ck_assert_ptr_nonnull(resp);
        err = json_object_get(resp, "error");
        ck_assert_str_eq(json_string_value(json_object_get(json_object_get(err, "data"), "error")),
                         "patchbay.Limit");
        ck_assert(pbt_raw_wait_eof(extra, 5000));
        close(extra);
        json_decref(resp);

        /* Closing one makes room again. */
        close(fds[0]);
        await_connections(c, 2, 5000);
        extra = pbt_raw_connect(&d);
        pbt_raw_send(extra, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.ping\",\"id\":1}\n");
        resp = pbt_raw_read(extra, 5000, &eof);
        ck_assert_ptr_nonnull(json_object_get(resp, "result"));
        json_decref(resp);
        close(extra);
        close(fds[1]);
        pb_client_free(c);
}
END_TEST

/*
 * A large lab keeps more than 1024 fds open in the daemon (namespaces,
 * netlink sockets): programs it starts get the usual soft limit of 1024
 * back, and still start.
 */
START_TEST(programs_start_beyond_1024_daemon_fds)
{
        json_t *doc = json_object(), *routers = json_array(), *devices = json_array(), *info, *r;
        struct pb_client *c;
        char *params;
        char fdir[64];
        long long pid;
        int fds;

        pbt_daemon_start(&d, NULL);
        c = pbt_connect(&d);
        for (int i = 0; i < 4; i++) {
                char name[8], dev[8];

                snprintf(name, sizeof(name), "r%d", i);
                snprintf(dev, sizeof(dev), "d%d", i);
                json_array_append_new(routers, json_pack("{s:s}", "name", name));
                json_array_append_new(devices,
                                      json_pack("{s:s, s:i, s:[{s:s, s:s}]}", "name", dev, "count",
                                                100, "ifaces", "name", "eth0", "router", name));
        }
        json_object_set_new(doc, "routers", routers);
        json_object_set_new(doc, "devices", devices);
        doc = json_pack("{s:s, s:o}", "name", "big", "topology", doc);
        params = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        ck_assert_ptr_nonnull(params);
        json_decref(pbt_call(c, "lab.load", params));
        free(params);

        info = pbt_call(c, "daemon.info", NULL);
        pid = json_integer_value(json_object_get(info, "pid"));
        json_decref(info);
        snprintf(fdir, sizeof(fdir), "/proc/%lld/fd", pid);
        fds = pbt_count_dir(fdir);
        ck_assert_msg(fds > 1024, "the daemon holds only %d fds: the case is not exercised", fds);
        r = pbt_call(c, "node.exec",
                     "{\"lab\":\"big\",\"node\":\"d3-99\",\"argv\":[\"sh\",\"-c\",\"ulimit -n\"]}");
        ck_assert_int_eq(json_integer_value(json_object_get(r, "exit_code")), 0);
        ck_assert_str_eq(json_string_value(json_object_get(r, "stdout")), "1024\n");
        json_decref(r);
        pb_client_free(c);
}
END_TEST

Suite *
make_limits_suite(void)
{
        Suite *s = suite_create("limits");
        TCase *tc = tcase_create("limits");

        tcase_add_unchecked_fixture(tc, pbt_root_setup, pbt_root_teardown);
        tcase_add_checked_fixture(tc, NULL, teardown);
        tcase_set_timeout(tc, 120);
        tcase_add_test(tc, oversized_frame_closes_that_connection);
        tcase_add_test(tc, disconnect_mid_frame_harms_nobody);
        tcase_add_test(tc, non_reader_is_cut_off);
        tcase_add_test(tc, hundred_clients_hundred_calls);
        tcase_add_test(tc, connection_cap_refuses_with_limit);
        tcase_add_test(tc, programs_start_beyond_1024_daemon_fds);
        suite_add_tcase(s, tc);
        return s;
}
