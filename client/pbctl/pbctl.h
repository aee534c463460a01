/* SPDX-License-Identifier: MIT */
/*
 * pbctl: shared state of the command-line client and its command table.
 *
 * Commands form two levels, group then verb ("pbctl router add"); a group
 * with a single unnamed verb is a command of its own ("pbctl info").  The
 * table describes each verb's positional arguments and options, which API
 * parameter each one fills and how its text converts to JSON, so that one
 * parser builds the params, one printer writes the help, and the bash
 * completion asks pbctl itself (pbctl __complete) what to offer.
 */
#ifndef PBCTL_H
#define PBCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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

/* How the text of an argument becomes a parameter value. */
enum pbctl_type {
        PBCTL_T_NONE,     /* Not a parameter: the command reads it itself. */
        PBCTL_T_STRING,   /* As given. */
        PBCTL_T_INT,      /* A decimal integer. */
        PBCTL_T_TRUE,     /* A flag that sets true. */
        PBCTL_T_FALSE,    /* A flag that sets false. */
        PBCTL_T_COND,     /* Link condition: preset, none, key=value,... or JSON. */
        PBCTL_T_NAT,      /* NAT mode (param 'nat'), or key=value/JSON ('nat_config'). */
        PBCTL_T_FIREWALL, /* Firewall preset, key=value,... or JSON. */
        PBCTL_T_OBJECT,   /* JSON object, or key=value,... of strings. */
        PBCTL_T_PATH,     /* A path, made absolute against pbctl's directory. */
        PBCTL_T_IP,       /* Address families: v4, v6, dual (or the API's names). */
        PBCTL_T_SIGNAL,   /* Signal name or number. */
        PBCTL_T_ARGV,     /* The command after '--': an array of strings. */
};

enum {
        PBCTL_OPTIONAL = 1 << 0, /* Positional: may be left out. */
        PBCTL_REPEAT = 1 << 1,   /* Positional: takes the rest; option: may repeat. */
};

/*
 * A positional argument ('name' NULL) or an option --name [METAVAR].  The
 * metavar also tells the completion what to offer (LAB, ROUTER, COND, ...).
 */
struct pbctl_arg {
        const char *name;    /* Long option name without "--"; NULL for positionals. */
        char key;            /* Short option letter, or 0. */
        const char *metavar; /* Option argument; NULL for a flag. */
        const char *param;   /* API parameter it fills; NULL: read by the command. */
        enum pbctl_type type;
        unsigned flags;
        const char *help;
};

/* Table shorthands: positionals and options. */
#define PBCTL_POS(m, p)                                              \
        {                                                            \
                .metavar = (m), .param = (p), .type = PBCTL_T_STRING \
        }
#define PBCTL_POS_T(m, p, t, f)                                         \
        {                                                               \
                .metavar = (m), .param = (p), .type = (t), .flags = (f) \
        }
#define PBCTL_LAB PBCTL_POS("LAB", "lab")
#define PBCTL_CMD                                                       \
        {                                                               \
                .metavar = "CMD", .param = "argv", .type = PBCTL_T_ARGV \
        }
#define PBCTL_OPT(n, k, m, p, t, h)                                                             \
        {                                                                                       \
                .name = (n), .key = (k), .metavar = (m), .param = (p), .type = (t), .help = (h) \
        }

struct pbctl_args;

struct pbctl_verb {
        const char *name;  /* NULL: the group itself is the command. */
        const char *alias; /* Another accepted name, or NULL. */
        const char *help;  /* One line. */
        const char *method;
        /*
         * NULL: call 'method' with the params and print the result with
         * 'print'.  Otherwise 'run' does the work with 'params', built from
         * the table (borrowed: take a reference to keep or pass it on).
         */
        int (*run)(struct pbctl *ctl, const struct pbctl_args *a, json_t *params);
        void (*print)(struct pbctl *ctl, json_t *result);
        const struct pbctl_arg *pos;  /* Ends with { 0 }; may be NULL. */
        const struct pbctl_arg *opts; /* Ends with { 0 }; may be NULL. */
        const char *details;          /* Extra help paragraph, or NULL. */
};

struct pbctl_group {
        const char *name;
        const char *help;
        const struct pbctl_verb *verbs;
        size_t n_verbs;
};

#define PBCTL_GROUP(var, gname, ghelp, verbs_)                   \
        const struct pbctl_group var = {                         \
                .name = gname,                                   \
                .help = ghelp,                                   \
                .verbs = verbs_,                                 \
                .n_verbs = sizeof(verbs_) / sizeof((verbs_)[0]), \
        }

/* The parsed command line of one verb. */
struct pbctl_args {
        const struct pbctl_group *group;
        const struct pbctl_verb *verb;
        char **pos; /* Positional arguments, 'n_pos' of them. */
        size_t n_pos;
        char **cmd; /* The command after '--' (NULL-terminated), or NULL. */
        size_t n_cmd;
        struct pbctl_given {
                const struct pbctl_arg *opt;
                const char *value; /* "" for flags. */
        } * given;
        size_t n_given;
};

/* table.c: every group, by section in help order; a NULL title ends the list. */
struct pbctl_section {
        const char *title;
        const struct pbctl_group *const *groups; /* NULL-terminated. */
};
extern const struct pbctl_section pbctl_sections[];
const struct pbctl_group *pbctl_find_group(const char *name);
const struct pbctl_verb *pbctl_find_verb(const struct pbctl_group *g, const char *name);
bool pbctl_group_is_command(const struct pbctl_group *g);

/* main.c */
extern const struct pbctl_arg pbctl_global_opts[];
int pbctl_apply_global(struct pbctl *ctl, const struct pbctl_arg *opt, const char *value);

/* Prints a failed call's error: a line for people, a JSON object with --json. */
void pbctl_print_error(struct pbctl *ctl, const char *method, const struct pb_error *e);

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

/* pbctl_call() then pbctl_print(). */
int pbctl_invoke(struct pbctl *ctl, const char *method, json_t *params,
                 void (*human)(struct pbctl *, json_t *));

/* args.c */

/*
 * Parses the arguments of 'v' (argv[0] is the verb or command name) into
 * 'a' and builds its params into '*ret_params' (NULL when 'v' calls no
 * method).  Returns PBCTL_EXIT_OK, an exit code after printing a usage
 * error, or -1 after printing the help that was asked for.
 */
int pbctl_args_parse(struct pbctl *ctl, const struct pbctl_group *g, const struct pbctl_verb *v,
                     int argc, char **argv, struct pbctl_args *a, json_t **ret_params);
void pbctl_args_done(struct pbctl_args *a);

/*
 * Parses the global options before the command and stores the index of the
 * command word in '*ret_index'.  Returns like pbctl_args_parse().
 */
int pbctl_args_global(struct pbctl *ctl, int argc, char **argv, int *ret_index);

/* The last value of option 'name' ("" for a set flag), or NULL. */
const char *pbctl_arg(const struct pbctl_args *a, const char *name);
/* Iterates every value of option 'name': start with *i = 0. */
const char *pbctl_arg_next(const struct pbctl_args *a, const char *name, size_t *i);

/* Prints "pbctl: GROUP VERB: message" and the verb's usage line; returns PBCTL_EXIT_USAGE. */
int pbctl_usage_error(const struct pbctl_args *a, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* help.c */
void pbctl_help_main(FILE *f);
void pbctl_help_group(FILE *f, const struct pbctl_group *g);
void pbctl_help_verb(FILE *f, const struct pbctl_group *g, const struct pbctl_verb *v);
void pbctl_usage_line(FILE *f, const struct pbctl_group *g, const struct pbctl_verb *v);
/* "router add", or "info" for a group that is a command. */
const char *pbctl_verb_title(const struct pbctl_group *g, const struct pbctl_verb *v, char *buf,
                             size_t n);

/* params.c: argument text to JSON.  NULL with a message in 'err' when invalid. */
json_t *pbctl_parse_value(enum pbctl_type type, const char *text, char *err, size_t n);
json_t *pbctl_parse_condition(const char *text, char *err, size_t n);
/* Reads a whole file ('-': standard input); NULL with errno set on failure. */
char *pbctl_read_file(const char *path, size_t *ret_len);

/* base64.c (RFC 4648): both return malloc'd buffers, NULL when invalid or out of memory. */
char *pbctl_base64_encode(const void *data, size_t len);
void *pbctl_base64_decode(const char *text, size_t *ret_len);

/* output.c */
void output_json(FILE *f, json_t *value, bool pretty);
void output_kv(struct pbctl *ctl, json_t *obj, const char *const *keys);
int output_field(json_t *result, const char *path);
/* Renders a value as plain text ("-" for null); malloc'd, NULL on OOM. */
char *output_render(json_t *v);
/* A condition in the syntax the command line takes ("wifi", "latency=20,loss=1"). */
char *output_condition(json_t *cond);
/* Byte counts as 512, 1.5K, 3.2M, ... into 'buf'. */
const char *output_size(json_t *v, char *buf, size_t n);

/* Aligned columns; a bold header on a terminal. */
struct table;
struct table *table_new(const char *const *headers);
/* Adds a row of 'strings' (copied; NULL prints as "-"), as many as headers. */
int table_add(struct table *t, const char *const *cells);
void table_print(struct pbctl *ctl, struct table *t);
struct table *table_free(struct table *t);
void table_freep(struct table **t);
/* asprintf() that returns the string, or NULL. */
char *output_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Frees 'n' strings of a row of cells. */
void output_cells_free(char **cells, size_t n);
/* Prints a section title (bold on a terminal) for multi-part output. */
void output_section(struct pbctl *ctl, const char *title);

/* render.c: human forms of the API's objects. */
void print_nothing(struct pbctl *ctl, json_t *result);
void print_kv_all(struct pbctl *ctl, json_t *obj);
void print_lab_summary(struct pbctl *ctl, json_t *lab);
void print_labs(struct pbctl *ctl, json_t *labs);
void print_lab_state(struct pbctl *ctl, json_t *state);
void print_router(struct pbctl *ctl, json_t *router);
void print_routers(struct pbctl *ctl, json_t *routers);
void print_device(struct pbctl *ctl, json_t *device);
void print_devices(struct pbctl *ctl, json_t *devices);
void print_ifaces(struct pbctl *ctl, json_t *devices);
void print_regions(struct pbctl *ctl, json_t *state);
void print_procs(struct pbctl *ctl, json_t *procs);
void print_dns(struct pbctl *ctl, json_t *dns);
void print_captures(struct pbctl *ctl, json_t *captures);
/* render-counters.c: an "Interfaces" section of a lab state's counters, if it has any. */
void print_counters(struct pbctl *ctl, json_t *state);
void print_reflectors(struct pbctl *ctl, json_t *reflectors);
/* "exited 3", "killed by SIGKILL", "running". */
const char *render_status(json_t *obj, char *buf, size_t n);

/*
 * cmd-lab.c: calls lab.state for 'lab' and prints the member 'key' of it
 * with 'human' (the whole state when 'key' is NULL).
 */
int pbctl_show_state_part(struct pbctl *ctl, const char *lab, const char *key,
                          void (*human)(struct pbctl *, json_t *));

/* progress.c: nodes of a topology document after `count` expansion. */
long pbctl_topology_nodes(json_t *topo);
/*
 * lab.load with 'params' (borrowed) and a progress bar on stderr fed by the
 * lab's events.  Returns like pbctl_call().
 */
int pbctl_load_progress(struct pbctl *ctl, json_t *params, json_t **ret);

/* The groups. */
extern const struct pbctl_group pbctl_group_lab, pbctl_group_load, pbctl_group_export,
        pbctl_group_router, pbctl_group_device, pbctl_group_iface, pbctl_group_link,
        pbctl_group_region, pbctl_group_dns, pbctl_group_capture, pbctl_group_exec,
        pbctl_group_shell, pbctl_group_run, pbctl_group_spawn, pbctl_group_proc, pbctl_group_probe,
        pbctl_group_reflector, pbctl_group_events, pbctl_group_call, pbctl_group_info,
        pbctl_group_methods, pbctl_group_shutdown, pbctl_group_help, pbctl_group_complete;

#endif
