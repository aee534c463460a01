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

static int
shutdown_daemon(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        json_auto_t *res = NULL;
        int r;

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

static const struct pbctl_verb info_verbs[] = {
        { .help = "show the daemon's version, mode and counters",
          .method = "daemon.info",
          .print = print_info },
};
PBCTL_GROUP(pbctl_group_info, "info", "show the daemon's version, mode and counters", info_verbs);

static const struct pbctl_verb methods_verbs[] = {
        { .help = "list the API's methods and whether this daemon implements them yet",
          .method = "rpc.discover",
          .print = print_methods },
};
PBCTL_GROUP(pbctl_group_methods, "methods", "list the API's methods", methods_verbs);

static const struct pbctl_verb shutdown_verbs[] = {
        { .help = "stop the daemon cleanly (destroying every lab); never starts one",
          .method = "daemon.shutdown",
          .run = shutdown_daemon },
};
PBCTL_GROUP(pbctl_group_shutdown, "shutdown", "stop the daemon cleanly", shutdown_verbs);
