/* SPDX-License-Identifier: MIT */
/* pbctl: shared state of the command-line client and its subcommand table. */
#ifndef PBCTL_H
#define PBCTL_H

#include <jansson.h>
#include <stdbool.h>

#include "patchbay.h"

/* Exit codes: a stable contract for scripts. */
enum {
        PBCTL_EXIT_OK = 0,
        PBCTL_EXIT_USAGE = 1,  /* Bad usage, or the daemon could not be reached. */
        PBCTL_EXIT_SERVER = 2, /* The daemon answered with an error. */
};

struct pbctl {
        const char *socket; /* NULL: default path. */
        bool json;          /* Machine-readable output. */
        bool autostart;
        int timeout_ms;
        const char *field; /* Print only this field of the result. */
        bool tty;          /* stdout is a terminal. */
        struct pb_client *client;
};

struct pbctl_cmd {
        const char *name;
        int (*run)(struct pbctl *ctl, int argc, char **argv);
        const char *args;
        const char *help;
};

/* Connects (starting the daemon if allowed).  Returns an exit code. */
int pbctl_connect(struct pbctl *ctl);

/*
 * Calls 'method' with 'params' (stolen; NULL for none).  On success returns
 * PBCTL_EXIT_OK and the result in '*ret' (new reference); otherwise prints
 * the error and returns the exit code.
 */
int pbctl_call(struct pbctl *ctl, const char *method, json_t *params, json_t **ret);

/*
 * Prints 'result': only the --field path if given, JSON with --json (or
 * when 'human' is NULL), else through 'human'.  Returns an exit code.
 */
int pbctl_print(struct pbctl *ctl, json_t *result, void (*human)(struct pbctl *, json_t *));

/* output.c */
void output_json(FILE *f, json_t *value, bool pretty);
void output_kv(struct pbctl *ctl, json_t *obj, const char *const *keys);
int output_field(json_t *result, const char *path);

/* Subcommands. */
int cmd_info(struct pbctl *ctl, int argc, char **argv);
int cmd_shutdown(struct pbctl *ctl, int argc, char **argv);
int cmd_call(struct pbctl *ctl, int argc, char **argv);
int cmd_methods(struct pbctl *ctl, int argc, char **argv);

#endif
