/* SPDX-License-Identifier: MIT */
/* pbctl: command-line client of patchbayd. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-macro.h"
#include "pbctl.h"

static const struct pbctl_cmd commands[] = {
        { "call", cmd_call, "METHOD [JSON|-]", "call any API method with JSON params" },
        { "info", cmd_info, "", "show the daemon's version, mode and counters" },
        { "methods", cmd_methods, "", "list the API's methods and whether they exist yet" },
        { "shutdown", cmd_shutdown, "", "stop the daemon cleanly" },
};

static void
usage(FILE *f)
{
        fprintf(f, "Usage: pbctl [OPTIONS] COMMAND [ARGS...]\n"
                   "Drive patchbayd, the network lab daemon.\n\n"
                   "Options:\n"
                   "  -s, --socket PATH    daemon socket (default: $PATCHBAY_SOCKET, ...)\n"
                   "  -j, --json           print results as JSON\n"
                   "  -F, --field PATH     print only this field of the result (a.b.0.c)\n"
                   "  -t, --timeout MS     give up waiting for a reply after MS (default: none)\n"
                   "      --no-autostart   do not start patchbayd when none is running\n"
                   "  -h, --help           show this help\n\n"
                   "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-8s %-16s %s\n", commands[i].name, commands[i].args,
                        commands[i].help);
        fprintf(f, "\nExit status: 0 success, 1 usage or connection error, 2 error from the "
                   "daemon.\n");
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

static void
print_error(struct pbctl *ctl, const char *method, const struct pb_error *e)
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
        if (p && !(text = json_dumps(p, JSON_COMPACT)))
                return PBCTL_EXIT_USAGE;
        r = pb_call(ctl->client, method, text, ctl->timeout_ms, &result, &err);
        if (r < 0) {
                print_error(ctl, method, &err);
                return r == -EREMOTEIO ? PBCTL_EXIT_SERVER : PBCTL_EXIT_USAGE;
        }
        *ret = json_loads(result, JSON_DECODE_ANY, &jerr);
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
main(int argc, char **argv)
{
        enum { OPT_NO_AUTOSTART = 0x100 };
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "json", no_argument, NULL, 'j' },
                { "field", required_argument, NULL, 'F' },
                { "timeout", required_argument, NULL, 't' },
                { "no-autostart", no_argument, NULL, OPT_NO_AUTOSTART },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        struct pbctl ctl = { .autostart = true, .timeout_ms = -1, .tty = isatty(STDOUT_FILENO) };
        int c, r;

        /* '+': stop at the command, its options are its own. */
        while ((c = getopt_long(argc, argv, "+s:jF:t:h", options, NULL)) >= 0) {
                switch (c) {
                case 's': ctl.socket = optarg; break;
                case 'j': ctl.json = true; break;
                case 'F': ctl.field = optarg; break;
                case 't': ctl.timeout_ms = atoi(optarg); break;
                case OPT_NO_AUTOSTART: ctl.autostart = false; break;
                case 'h': usage(stdout); return PBCTL_EXIT_OK;
                default: usage(stderr); return PBCTL_EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return PBCTL_EXIT_USAGE;
        }
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                if (strcmp(argv[optind], commands[i].name) == 0) {
                        r = commands[i].run(&ctl, argc - optind, argv + optind);
                        pb_client_free(ctl.client);
                        return r;
                }
        }
        fprintf(stderr, "pbctl: unknown command '%s' (see pbctl --help)\n", argv[optind]);
        return PBCTL_EXIT_USAGE;
}
