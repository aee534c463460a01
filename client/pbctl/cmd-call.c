/* SPDX-License-Identifier: MIT */
/* pbctl call METHOD [JSON|-]: the raw escape hatch. */
#include <stdio.h>
#include <string.h>

#include "pbctl.h"

static int
call(struct pbctl *ctl, const struct pbctl_args *a, json_t *unused)
{
        json_auto_t *params = NULL;
        json_error_t jerr;

        if (a->n_pos == 2) {
                if (strcmp(a->pos[1], "-") == 0)
                        params = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
                else
                        params = json_loads(a->pos[1], JSON_REJECT_DUPLICATES, &jerr);
                if (!params) {
                        fprintf(stderr, "pbctl: params are not valid JSON: %s (line %d)\n",
                                jerr.text, jerr.line);
                        return PBCTL_EXIT_USAGE;
                }
        }
        return pbctl_invoke(ctl, a->pos[0], json_incref(params), NULL);
}

static const struct pbctl_verb call_verbs[] = {
        { .help = "call any API method with JSON params ('-' reads them from standard input)",
          .run = call,
          .pos = (const struct pbctl_arg[]){ { .metavar = "METHOD" },
                                             { .metavar = "JSON", .flags = PBCTL_OPTIONAL },
                                             {} } },
};
PBCTL_GROUP(pbctl_group_call, "call", "call any API method with JSON params", call_verbs);
