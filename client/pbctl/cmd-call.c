/* SPDX-License-Identifier: MIT */
/* pbctl call METHOD [JSON|-]: the raw escape hatch. */
#include <stdio.h>
#include <string.h>

#include "pbctl.h"

int
cmd_call(struct pbctl *ctl, int argc, char **argv)
{
        json_auto_t *params = NULL, *res = NULL;
        json_error_t jerr;
        int r;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "Usage: pbctl call METHOD [JSON|-]\n");
                return PBCTL_EXIT_USAGE;
        }
        if (argc == 3) {
                if (strcmp(argv[2], "-") == 0)
                        params = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
                else
                        params = json_loads(argv[2], JSON_REJECT_DUPLICATES, &jerr);
                if (!params) {
                        fprintf(stderr, "pbctl: params are not valid JSON: %s (line %d)\n",
                                jerr.text, jerr.line);
                        return PBCTL_EXIT_USAGE;
                }
        }
        r = pbctl_call(ctl, argv[1], json_incref(params), &res);
        return r ? r : pbctl_print(ctl, res, NULL);
}
