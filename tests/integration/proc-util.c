/* SPDX-License-Identifier: MIT */
/* The "proc" suite's fixture and helpers (see proc-util.h). */
#include "proc-util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

struct pbt_daemon pt_d;
struct pb_client *pt_c;
char pt_r1_ip[64], pt_d1_ip[64], pt_d2_ip[64];

static json_t *
pt_callv(struct pb_client *cl, const char *method, const char *fmt, va_list ap)
{
        char *params = NULL;
        json_t *r;

        ck_assert_int_ge(vasprintf(&params, fmt, ap), 0);
        r = pbt_call(cl, method, params);
        free(params);
        return r;
}

/* pbt_call() on the test's client, with printf-built params. */
json_t *
pt_callf(const char *method, const char *fmt, ...)
{
        va_list ap;
        json_t *r;

        va_start(ap, fmt);
        r = pt_callv(pt_c, method, fmt, ap);
        va_end(ap);
        return r;
}

struct pb_error
pt_failf(const char *method, const char *fmt, ...)
{
        char *params = NULL;
        struct pb_error e;
        va_list ap;

        va_start(ap, fmt);
        ck_assert_int_ge(vasprintf(&params, fmt, ap), 0);
        va_end(ap);
        e = pbt_call_fail(pt_c, method, params);
        free(params);
        return e;
}

const char *
pt_str(json_t *obj, const char *key)
{
        const char *s = json_string_value(json_object_get(obj, key));

        ck_assert_msg(s, "no string '%s'", key);
        return s;
}

long long
pt_num(json_t *obj, const char *key)
{
        json_t *v = json_object_get(obj, key);

        ck_assert_msg(json_is_integer(v), "no integer '%s'", key);
        return json_integer_value(v);
}

/* node.exec of "sh -c CMD" in 'node' of lab "t". */
json_t *
pt_sh(const char *node, const char *cmd)
{
        json_t *p = json_pack("{s:s, s:s, s:[s, s, s], s:i}", "lab", "t", "node", node, "argv",
                              "sh", "-c", cmd, "timeout_ms", 20000);
        char *text = json_dumps(p, JSON_COMPACT);
        json_t *r;

        r = pbt_call(pt_c, "node.exec", text);
        free(text);
        json_decref(p);
        return r;
}

/* node.spawn of "sh -c CMD" in 'node' of 'lab'; returns the proc id. */
long long
pt_spawn_sh(struct pb_client *cl, const char *lab, const char *node, const char *cmd)
{
        json_t *p = json_pack("{s:s, s:s, s:[s, s, s]}", "lab", lab, "node", node, "argv", "sh",
                              "-c", cmd);
        char *text = json_dumps(p, JSON_COMPACT);
        json_t *r = pbt_call(cl, "node.spawn", text);
        long long id = pt_num(r, "proc");

        ck_assert_int_gt(pt_num(r, "pid"), 1);
        free(text);
        json_decref(p);
        json_decref(r);
        return id;
}

/* A sleep duration nobody else uses: "1000.<pid><n>". */
const char *
pt_marker(int n)
{
        static char buf[4][32];

        snprintf(buf[n % 4], sizeof(buf[0]), "1000.%d%d", (int)getpid(), n);
        return buf[n % 4];
}

/* Runs `pgrep -f PATTERN` on the host: true if it matches a process. */
bool
pt_host_has(const char *pattern)
{
        int status;
        pid_t pid = fork();

        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                if (!freopen("/dev/null", "w", stdout))
                        _exit(127);
                execlp("pgrep", "pgrep", "-f", pattern, (char *)NULL);
                _exit(127);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) <= 1, "pgrep failed");
        return WEXITSTATUS(status) == 0;
}

void
pt_await_host(const char *pattern, bool present)
{
        long long deadline = pbt_now_ms() + 10000;

        while (pt_host_has(pattern) != present) {
                ck_assert_msg(pbt_now_ms() < deadline, "'%s' still %s on the host", pattern,
                              present ? "missing" : "running");
                usleep(20000);
        }
}

/* Polls proc.output until the stream holds 'needle'; returns the data read so far. */
char *
pt_await_output(long long proc, const char *stream, const char *needle)
{
        long long deadline = pbt_now_ms() + 10000;

        for (;;) {
                json_t *r =
                        pt_callf("proc.output", "{\"proc\":%lld,\"stream\":\"%s\"}", proc, stream);
                char *data = strdup(pt_str(r, "data"));

                json_decref(r);
                if (strstr(data, needle))
                        return data;
                free(data);
                ck_assert_msg(pbt_now_ms() < deadline, "no '%s' on %s of proc %lld", needle, stream,
                              proc);
                usleep(20000);
        }
}

void
pt_setup(void)
{
        json_t *r;

        memset(&pt_d, 0, sizeof(pt_d));
        pbt_daemon_start(&pt_d, NULL);
        pt_c = pbt_connect(&pt_d);
        json_decref(pbt_call(pt_c, "lab.create", "{\"name\":\"t\"}"));
        r = pbt_call(pt_c, "router.add", "{\"lab\":\"t\",\"name\":\"r1\"}");
        snprintf(pt_r1_ip, sizeof(pt_r1_ip), "%s", pt_str(json_object_get(r, "uplink"), "ip"));
        json_decref(r);
        json_decref(pbt_call(pt_c, "router.add", "{\"lab\":\"t\",\"name\":\"r2\"}"));
        r = pbt_call(pt_c, "device.add",
                     "{\"lab\":\"t\",\"name\":\"d1\",\"ifaces\":[{\"name\":\"eth0\","
                     "\"router\":\"r1\"}]}");
        snprintf(pt_d1_ip, sizeof(pt_d1_ip), "%s", pt_str(r, "ip"));
        json_decref(r);
        r = pbt_call(pt_c, "device.add",
                     "{\"lab\":\"t\",\"name\":\"d2\",\"ifaces\":[{\"name\":\"eth0\","
                     "\"router\":\"r2\"}]}");
        snprintf(pt_d2_ip, sizeof(pt_d2_ip), "%s", pt_str(r, "ip"));
        json_decref(r);
}

void
pt_teardown(void)
{
        /* Closing the client destroys its session labs. */
        pt_c = pb_client_free(pt_c);
        if (pt_d.pid > 0)
                pbt_daemon_stop(&pt_d);
}

void
pt_on_answer(struct pb_client *cl, const char *result, const struct pb_error *error, void *userdata)
{
        struct pt_answer *a = userdata;

        a->done = true;
        a->result = result ? strdup(result) : NULL;
        if (error)
                a->err = *error;
}

json_t *
pt_await_answer(struct pb_client *cl, struct pt_answer *a)
{
        long long deadline = pbt_now_ms() + 10000;

        while (!a->done) {
                ck_assert_msg(pbt_now_ms() < deadline, "no answer");
                ck_assert_int_ge(pb_client_wait(cl, 100), 0);
        }
        ck_assert_msg(a->result, "call failed: %s", a->err.message);
        return json_loads(a->result, 0, NULL);
}

json_t *
pt_call_nul(const char *method, const char *params)
{
        char *text = NULL;
        struct pb_error err;
        json_error_t jerr;
        json_t *res;
        int r;

        r = pb_call(pt_c, method, params, 30000, &text, &err);
        ck_assert_msg(r == 0, "%s failed: %d %s", method, err.code, err.message);
        res = json_loads(text, JSON_ALLOW_NUL, &jerr);
        free(text);
        ck_assert_msg(res, "bad reply: %s", jerr.text);
        return res;
}
