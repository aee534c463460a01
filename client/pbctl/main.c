/* SPDX-License-Identifier: MIT */
/* pbctl: command-line client of patchbayd. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-macro.h"
#include "pbctl.h"

/* Accepted before the command and, where a command has no option of that name, after it. */
const struct pbctl_arg pbctl_global_opts[] = {
        { "socket", 's', "PATH", NULL, PBCTL_T_NONE, 0,
          "daemon socket (default: $PATCHBAY_SOCKET, ...)" },
        { "json", 'j', NULL, NULL, PBCTL_T_NONE, 0, "print results as JSON" },
        { "field", 'F', "PATH", NULL, PBCTL_T_NONE, 0,
          "print only this field of the result (a.b.0.c)" },
        { "timeout", 't', "MS", NULL, PBCTL_T_NONE, 0,
          "give up waiting for a reply after MS (default: none)" },
        { "no-autostart", 0, NULL, NULL, PBCTL_T_NONE, 0,
          "do not start patchbayd when none is running" },
        { "help", 'h', NULL, NULL, PBCTL_T_NONE, 0, "show help" },
        {},
};

int
pbctl_apply_global(struct pbctl *ctl, const struct pbctl_arg *opt, const char *value)
{
        char *end;
        long ms;

        switch (opt->key) {
        case 's': ctl->socket = value; break;
        case 'j': ctl->json = true; break;
        case 'F': ctl->field = value; break;
        case 't':
                errno = 0;
                ms = strtol(value, &end, 10);
                if (errno || end == value || *end || ms < 0 || ms > INT_MAX) {
                        fprintf(stderr, "pbctl: --timeout wants milliseconds, not '%s'\n", value);
                        return PBCTL_EXIT_USAGE;
                }
                ctl->timeout_ms = (int)ms;
                break;
        case 0: ctl->autostart = false; break; /* --no-autostart */
        default: return PBCTL_EXIT_USAGE;
        }
        return PBCTL_EXIT_OK;
}

int
pbctl_connect(struct pbctl *ctl)
{
        struct pb_error err;
        int r;

        if (ctl->client)
                return PBCTL_EXIT_OK;
        r = pb_client_connect(ctl->socket, ctl->autostart ? PB_CONNECT_AUTOSTART : 0, &ctl->client,
                              &err);
        if (r < 0) {
                fprintf(stderr, "pbctl: %s\n", err.message);
                return PBCTL_EXIT_USAGE;
        }
        return PBCTL_EXIT_OK;
}

void
pbctl_print_error(struct pbctl *ctl, const char *method, const struct pb_error *e)
{
        if (ctl->json && e->code != 0) {
                json_auto_t *obj = json_pack("{s:i, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:i}", "code",
                                             e->code, "message", e->message, "error", e->name,
                                             "parameter", e->parameter[0] ? e->parameter : NULL,
                                             "method", e->method[0] ? e->method : NULL, "kernel",
                                             e->kernel[0] ? e->kernel : NULL, "op",
                                             e->op[0] ? e->op : NULL, "errno", e->errnum);
                if (obj) {
                        output_json(stderr, obj, false);
                        return;
                }
        }
        fprintf(stderr, "pbctl: %s: %s", method, e->message);
        if (e->name[0])
                fprintf(stderr, " [%s]", e->name);
        if (e->kernel[0] && !strstr(e->message, e->kernel))
                fprintf(stderr, " (kernel: %s)", e->kernel);
        fputc('\n', stderr);
        if (e->code == PB_ERROR_METHOD_NOT_FOUND)
                fprintf(stderr,
                        "pbctl: this patchbayd does not implement %s yet "
                        "(see pbctl methods)\n",
                        method);
}

int
pbctl_call(struct pbctl *ctl, const char *method, json_t *params, json_t **ret)
{
        json_auto_t *p = params;
        _cleanup_free_ char *text = NULL, *result = NULL;
        struct pb_error err;
        json_error_t jerr;
        int r;

        r = pbctl_connect(ctl);
        if (r != PBCTL_EXIT_OK)
                return r;
        /* No params at all rather than {}: the request reads as the API describes it. */
        if (json_is_object(p) && json_object_size(p) == 0) {
                json_decref(p);
                p = NULL;
        }
        if (p && !(text = json_dumps(p, JSON_COMPACT))) {
                fprintf(stderr, "pbctl: out of memory\n");
                return PBCTL_EXIT_USAGE;
        }
        r = pb_call(ctl->client, method, text, ctl->timeout_ms, &result, &err);
        if (r < 0) {
                pbctl_print_error(ctl, method, &err);
                return r == -EREMOTEIO ? PBCTL_EXIT_SERVER : PBCTL_EXIT_USAGE;
        }
        /* Process output may hold NUL bytes ("\u0000"). */
        *ret = json_loads(result, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!*ret) {
                fprintf(stderr, "pbctl: %s: unreadable reply: %s\n", method, jerr.text);
                return PBCTL_EXIT_USAGE;
        }
        return PBCTL_EXIT_OK;
}

int
pbctl_print(struct pbctl *ctl, json_t *result, void (*human)(struct pbctl *, json_t *))
{
        if (ctl->field) {
                if (output_field(result, ctl->field) < 0) {
                        fprintf(stderr, "pbctl: the result has no field '%s'\n", ctl->field);
                        return PBCTL_EXIT_USAGE;
                }
                return PBCTL_EXIT_OK;
        }
        if (ctl->json || !human)
                output_json(stdout, result, !ctl->json && ctl->tty);
        else
                human(ctl, result);
        return PBCTL_EXIT_OK;
}

int
pbctl_invoke(struct pbctl *ctl, const char *method, json_t *params,
             void (*human)(struct pbctl *, json_t *))
{
        json_auto_t *res = NULL;
        int r;

        r = pbctl_call(ctl, method, params, &res);
        return r ? r : pbctl_print(ctl, res, human);
}

static int
dispatch(struct pbctl *ctl, const struct pbctl_group *g, int argc, char **argv)
{
        const struct pbctl_verb *v = &g->verbs[0];
        struct pbctl_args a = {};
        json_auto_t *params = NULL;
        int r;

        if (!pbctl_group_is_command(g)) {
                if (argc < 2) {
                        fprintf(stderr, "pbctl: %s: which command?\n", g->name);
                        pbctl_help_group(stderr, g);
                        return PBCTL_EXIT_USAGE;
                }
                if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                        pbctl_help_group(stdout, g);
                        return PBCTL_EXIT_OK;
                }
                v = pbctl_find_verb(g, argv[1]);
                if (!v && !g->verbs[0].name) {
                        /* The group's unnamed verb takes the words as they are. */
                        v = &g->verbs[0];
                        argc++;
                        argv--;
                } else if (!v) {
                        fprintf(stderr, "pbctl: %s: unknown command '%s'\n", g->name, argv[1]);
                        pbctl_help_group(stderr, g);
                        return PBCTL_EXIT_USAGE;
                }
                argc--;
                argv++;
        }
        r = pbctl_args_parse(ctl, g, v, argc, argv, &a, &params);
        if (r == PBCTL_EXIT_OK)
                r = v->run ? v->run(ctl, &a, params)
                           : pbctl_invoke(ctl, v->method, json_incref(params), v->print);
        pbctl_args_done(&a);
        return r < 0 ? PBCTL_EXIT_OK : r;
}

int
main(int argc, char **argv)
{
        struct pbctl ctl = { .autostart = true, .timeout_ms = -1, .tty = isatty(STDOUT_FILENO) };
        const struct pbctl_group *g;
        int i, r;

        /* Global options up to the command; the command's own options follow it. */
        r = pbctl_args_global(&ctl, argc, argv, &i);
        if (r != PBCTL_EXIT_OK)
                return r < 0 ? PBCTL_EXIT_OK : r;
        if (i >= argc) {
                pbctl_help_main(stderr);
                return PBCTL_EXIT_USAGE;
        }
        g = pbctl_find_group(argv[i]);
        if (!g) {
                fprintf(stderr,
                        "pbctl: unknown command '%s'\n"
                        "Usage: pbctl [OPTIONS] COMMAND [ARGS...]\nSee 'pbctl --help'.\n",
                        argv[i]);
                return PBCTL_EXIT_USAGE;
        }
        r = dispatch(&ctl, g, argc - i, argv + i);
        pb_client_free(ctl.client);
        return r;
}
