/* SPDX-License-Identifier: MIT */
/* pbctl run, spawn and proc ...: processes the daemon runs in nodes. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

#define PROC PBCTL_POS_T("PROC", "proc", PBCTL_T_INT, 0)

/* --env NAME=VALUE, or NAME alone for pbctl's own value. */
static int
add_env(const struct pbctl_args *a, json_t *params)
{
        json_t *env = NULL;
        const char *kv;
        size_t i = 0;

        while ((kv = pbctl_arg_next(a, "env", &i))) {
                const char *eq = strchr(kv, '='), *value = eq ? eq + 1 : getenv(kv);
                _cleanup_free_ char *name = eq ? strndup(kv, (size_t)(eq - kv)) : strdup(kv);
                json_t *v;

                if (!name)
                        return pbctl_usage_error(a, "out of memory");
                if (!name[0])
                        return pbctl_usage_error(a, "--env '%s': not NAME=VALUE", kv);
                if (!value)
                        return pbctl_usage_error(a, "--env %s: not set in pbctl's environment", kv);
                if (!env && json_object_set_new(params, "env", env = json_object()) < 0)
                        return pbctl_usage_error(a, "out of memory");
                v = json_string(value);
                if (!v || json_object_set_new(env, name, v) < 0)
                        return pbctl_usage_error(a, "--env %s: not valid UTF-8", name);
        }
        return PBCTL_EXIT_OK;
}

/* A shell's view of how a process ended: its code, or 128 + the signal. */
static int
exit_status(json_t *res)
{
        json_t *sig = json_object_get(res, "signal"), *code = json_object_get(res, "exit_code");

        if (json_is_integer(sig))
                return 128 + (int)json_integer_value(sig);
        if (json_is_integer(code))
                return (int)(json_integer_value(code) & 0xff);
        return PBCTL_EXIT_OK;
}

static void
write_string(FILE *f, json_t *s)
{
        if (json_is_string(s))
                fwrite(json_string_value(s), 1, json_string_length(s), f);
        fflush(f);
}

static int
run(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *file = pbctl_arg(a, "stdin-file");
        json_auto_t *res = NULL;
        int r;

        r = add_env(a, params);
        if (r != PBCTL_EXIT_OK)
                return r;
        if (file) {
                _cleanup_free_ char *text = NULL;
                size_t len;
                json_t *s;

                text = pbctl_read_file(file, &len);
                if (!text)
                        return pbctl_usage_error(a, "cannot read %s: %s", file, strerror(errno));
                s = json_stringn(text, len);
                if (!s || json_object_set_new(params, "stdin", s) < 0)
                        return pbctl_usage_error(a, "%s is not UTF-8 text", file);
        }
        r = pbctl_call(ctl, "node.exec", json_incref(params), &res);
        if (r != PBCTL_EXIT_OK)
                return r;
        /* For scripts the call succeeded; the status is in the result. */
        if (ctl->json || ctl->field)
                return pbctl_print(ctl, res, NULL);
        write_string(stdout, json_object_get(res, "stdout"));
        write_string(stderr, json_object_get(res, "stderr"));
        if (json_is_true(json_object_get(res, "truncated")))
                fprintf(stderr, "pbctl: run: the output was truncated\n");
        if (json_is_true(json_object_get(res, "timed_out")))
                fprintf(stderr, "pbctl: run: killed after --timeout %s ms\n",
                        pbctl_arg(a, "timeout") ?: "?");
        return exit_status(res);
}

/* The id alone, for id=$(pbctl spawn ...). */
static void
print_proc_id(struct pbctl *ctl, json_t *res)
{
        printf("%lld\n", (long long)json_integer_value(json_object_get(res, "proc")));
}

static int
spawn(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        int r = add_env(a, params);

        return r ? r : pbctl_invoke(ctl, "node.spawn", json_incref(params), print_proc_id);
}

static int
proc_wait(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        json_auto_t *res = NULL;
        char buf[64];
        int r;

        r = pbctl_call(ctl, "proc.wait", json_incref(params), &res);
        if (r != PBCTL_EXIT_OK)
                return r;
        if (ctl->json || ctl->field)
                return pbctl_print(ctl, res, NULL);
        printf("%s\n", render_status(res, buf, sizeof(buf)));
        return exit_status(res);
}

/* Everything written so far; with --follow, more every 200 ms until the process ends. */
static int
proc_logs(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        bool follow = pbctl_arg(a, "follow");
        json_int_t offset = 0;
        int r;

        if (json_object_set_new(params, "stream",
                                json_string(pbctl_arg(a, "stderr") ? "stderr" : "stdout")) < 0 ||
            json_object_set_new(params, "encoding", json_string(ctl->json ? "text" : "base64")) < 0)
                return pbctl_usage_error(a, "out of memory");
        for (;;) {
                json_auto_t *res = NULL;
                _cleanup_free_ void *data = NULL;
                const char *text;
                size_t len = 0;

                json_object_set_new(params, "offset", json_integer(offset));
                r = pbctl_call(ctl, "proc.output", json_incref(params), &res);
                if (r != PBCTL_EXIT_OK)
                        return r;
                if (ctl->json) {
                        output_json(stdout, res, false);
                        fflush(stdout);
                } else {
                        text = json_string_value(json_object_get(res, "data")) ?: "";
                        data = pbctl_base64_decode(text, &len);
                        if (!data) {
                                fprintf(stderr, "pbctl: proc logs: the daemon sent invalid "
                                                "base64\n");
                                return PBCTL_EXIT_USAGE;
                        }
                        fwrite(data, 1, len, stdout);
                        fflush(stdout);
                }
                if (json_integer_value(json_object_get(res, "lost")) > 0 && !ctl->json)
                        fprintf(stderr,
                                "pbctl: proc logs: %lld bytes are no longer held by the daemon "
                                "(the lab's log files keep everything)\n",
                                (long long)json_integer_value(json_object_get(res, "lost")));
                offset = json_integer_value(json_object_get(res, "offset"));
                if (json_is_true(json_object_get(res, "eof")))
                        return PBCTL_EXIT_OK;
                text = json_string_value(json_object_get(res, "data"));
                if (!text || !text[0]) {
                        if (!follow)
                                return PBCTL_EXIT_OK;
                        poll(NULL, 0, 200);
                }
        }
}

/* TEXT as given ('-': standard input, byte for byte), or nothing with --close. */
static int
proc_write(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *text = a->n_pos > 1 ? a->pos[1] : NULL;
        _cleanup_free_ char *data = NULL, *encoded = NULL;
        size_t len;

        if (!text && !pbctl_arg(a, "close"))
                return pbctl_usage_error(a, "missing TEXT (or --close)");
        if (text && strcmp(text, "-") == 0) {
                data = pbctl_read_file("-", &len);
                if (!data)
                        return pbctl_usage_error(a, "cannot read standard input: %s",
                                                 strerror(errno));
                encoded = pbctl_base64_encode(data, len);
                if (!encoded || json_object_set_new(params, "encoding", json_string("base64")) < 0)
                        return pbctl_usage_error(a, "out of memory");
                text = encoded;
        } else if (pbctl_arg(a, "newline")) {
                data = output_fmt("%s\n", text ?: "");
                text = data;
        }
        if (json_object_set_new(params, "data", json_string(text ?: "")) < 0)
                return pbctl_usage_error(a, "TEXT is not valid UTF-8");
        return pbctl_invoke(ctl, "proc.write", json_incref(params), print_nothing);
}

#define ENV_OPT                                                                              \
        {                                                                                    \
                .name = "env", .key = 'e', .metavar = "NAME[=VALUE]", .flags = PBCTL_REPEAT, \
                .help = "set an environment variable (NAME alone: pbctl's value)"            \
        }
#define CWD_OPT                                           \
        PBCTL_OPT("cwd", 'C', "DIR", "cwd", PBCTL_T_PATH, \
                  "working directory (default /; relative to pbctl's directory)")

static const struct pbctl_verb run_verbs[] = {
        { .help = "run a command in a node through the daemon and print its output",
          .method = "node.exec",
          .run = run,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, PBCTL_POS("NODE", "node"), PBCTL_CMD, {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PBCTL_OPT("timeout", 0, "MS", "timeout_ms", PBCTL_T_INT,
                                    "kill the command after MS and fail"),
                          PBCTL_OPT("stdin-file", 'i', "FILE", NULL, PBCTL_T_NONE,
                                    "feed FILE (text; '-' for pbctl's input) to its stdin"),
                          ENV_OPT,
                          CWD_OPT,
                          {} },
          .details = "pbctl exits with the command's status (128 + N when killed by signal N);\n"
                     "with --json it prints the whole result and exits 0.\n" },
};
PBCTL_GROUP(pbctl_group_run, "run", "run a command in a node, capturing its output", run_verbs);

static const struct pbctl_verb spawn_verbs[] = {
        { .help = "start a background process in a node and print its id",
          .method = "node.spawn",
          .run = spawn,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, PBCTL_POS("NODE", "node"), PBCTL_CMD, {} },
          .opts = (const struct pbctl_arg[]){ PBCTL_OPT("name", 'n', "NAME", "name", PBCTL_T_STRING,
                                                        "label for events, proc ls and log files"),
                                              ENV_OPT,
                                              CWD_OPT,
                                              {} } },
};
PBCTL_GROUP(pbctl_group_spawn, "spawn", "start a background process in a node", spawn_verbs);

static const struct pbctl_verb proc_verbs[] = {
        { .name = "ls",
          .alias = "list",
          .help = "list processes started with spawn, in one lab or all",
          .method = "proc.list",
          .print = print_procs,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_POS_T("LAB", "lab", PBCTL_T_STRING, PBCTL_OPTIONAL), {} } },
        { .name = "wait",
          .help = "wait for a process to exit, and exit with its status",
          .method = "proc.wait",
          .run = proc_wait,
          .pos = (const struct pbctl_arg[]){ PROC, {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PBCTL_OPT("timeout", 0, "MS", "timeout_ms", PBCTL_T_INT,
                                    "give up after MS (the process keeps running)"),
                          {} } },
        { .name = "kill",
          .help = "send a signal (default TERM; a name like KILL or a number)",
          .method = "proc.kill",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PROC,
                                             PBCTL_POS_T("SIGNAL", "signal", PBCTL_T_SIGNAL,
                                                         PBCTL_OPTIONAL),
                                             {} } },
        { .name = "logs",
          .help = "print a process's output (stdout unless --stderr)",
          .method = "proc.output",
          .run = proc_logs,
          .pos = (const struct pbctl_arg[]){ PROC, {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PBCTL_OPT("stderr", 'e', NULL, NULL, PBCTL_T_NONE,
                                    "print stderr instead"),
                          PBCTL_OPT("follow", 'f', NULL, NULL, PBCTL_T_NONE,
                                    "keep printing new output until the process exits"),
                          {} } },
        { .name = "write",
          .help = "write TEXT to a process's stdin ('-': pbctl's standard input)",
          .method = "proc.write",
          .run = proc_write,
          .pos =
                  (const struct pbctl_arg[]){
                          PROC, PBCTL_POS_T("TEXT", NULL, PBCTL_T_NONE, PBCTL_OPTIONAL), {} },
          .opts = (const struct pbctl_arg[]){ PBCTL_OPT("close", 'c', NULL, "close", PBCTL_T_TRUE,
                                                        "close its stdin afterwards"),
                                              PBCTL_OPT("newline", 'n', NULL, NULL, PBCTL_T_NONE,
                                                        "append a newline"),
                                              {} } },
};
PBCTL_GROUP(pbctl_group_proc, "proc", "list, wait for, signal and read spawned processes",
            proc_verbs);
