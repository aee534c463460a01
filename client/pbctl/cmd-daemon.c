/* SPDX-License-Identifier: MIT */
/* pbctl info / shutdown / methods. */
#include <stdio.h>
#include <string.h>

#include "pbctl.h"

static void
print_info(struct pbctl *ctl, json_t *info)
{
        static const char *const keys[] = { "version",   "api_version", "pid",      "uid",
                                            "rootless",  "shaper",      "labs",     "connections",
                                            "uptime_ms", "outdir",      "features", NULL };

        output_kv(ctl, info, keys);
}

int
cmd_info(struct pbctl *ctl, int argc, char **argv)
{
        json_auto_t *res = NULL;
        int r;

        if (argc != 1) {
                fprintf(stderr, "pbctl: info takes no arguments\n");
                return PBCTL_EXIT_USAGE;
        }
        r = pbctl_call(ctl, "daemon.info", NULL, &res);
        return r ? r : pbctl_print(ctl, res, print_info);
}

int
cmd_shutdown(struct pbctl *ctl, int argc, char **argv)
{
        json_auto_t *res = NULL;
        int r;

        if (argc != 1) {
                fprintf(stderr, "pbctl: shutdown takes no arguments\n");
                return PBCTL_EXIT_USAGE;
        }
        /* Stopping a daemon that is not running must not start one. */
        ctl->autostart = false;
        r = pbctl_call(ctl, "daemon.shutdown", NULL, &res);
        if (r != PBCTL_EXIT_OK)
                return r;
        /* The daemon closes the connection after removing its socket: wait for that. */
        for (int i = 0; i < 100 && pb_client_wait(ctl->client, 100) >= 0; i++)
                ;
        return ctl->json ? pbctl_print(ctl, res, NULL) : PBCTL_EXIT_OK;
}

static void
print_methods(struct pbctl *ctl, json_t *doc)
{
        json_t *methods = json_object_get(doc, "methods"), *m;
        size_t i;

        json_array_foreach (methods, i, m) {
                const char *name = json_string_value(json_object_get(m, "name"));
                const char *summary = json_string_value(json_object_get(m, "summary"));
                bool impl = json_is_true(json_object_get(m, "x-implemented"));

                printf("%-28s %s%s\n", name ? name : "?", impl ? "" : "(not yet) ",
                       summary ? summary : "");
        }
}

int
cmd_methods(struct pbctl *ctl, int argc, char **argv)
{
        json_auto_t *res = NULL;
        int r;

        r = pbctl_call(ctl, "rpc.discover", NULL, &res);
        return r ? r : pbctl_print(ctl, res, print_methods);
}
