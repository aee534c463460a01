/* SPDX-License-Identifier: MIT */
/* pbctl lab ..., load, export: labs as a whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-macro.h"
#include "pbctl.h"

int
pbctl_show_state_part(struct pbctl *ctl, const char *lab, const char *key,
                      void (*human)(struct pbctl *, json_t *))
{
        json_auto_t *state = NULL, *empty = NULL;
        json_t *part;
        int r;

        r = pbctl_call(ctl, "lab.state", json_pack("{s:s}", "lab", lab), &state);
        if (r != PBCTL_EXIT_OK)
                return r;
        part = key ? json_object_get(state, key) : state;
        if (!part)
                part = empty = json_array();
        return pbctl_print(ctl, part, human);
}

/* A CLI process ends at once: a session lab would vanish with it. */
static int
set_lifetime(const struct pbctl_args *a, json_t *params)
{
        const char *lifetime = json_string_value(json_object_get(params, "lifetime"));

        if (!lifetime)
                return json_object_set_new(params, "lifetime", json_string("daemon")) < 0
                               ? pbctl_usage_error(a, "out of memory")
                               : PBCTL_EXIT_OK;
        if (strcmp(lifetime, "session") == 0)
                fprintf(stderr, "pbctl: note: a session lab is destroyed as soon as pbctl "
                                "exits\n");
        return PBCTL_EXIT_OK;
}

static int
lab_create(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        int r = set_lifetime(a, params);

        return r ? r : pbctl_invoke(ctl, "lab.create", json_incref(params), print_lab_summary);
}

static int
destroy(struct pbctl *ctl, const char *lab)
{
        json_auto_t *res = NULL;

        return pbctl_call(ctl, "lab.destroy", json_pack("{s:s}", "lab", lab), &res);
}

/* Every lab named (or all of them); the worst exit code wins. */
static int
lab_rm(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        json_auto_t *labs = NULL;
        json_t *lab;
        int r, worst = PBCTL_EXIT_OK;
        size_t i;

        if (!pbctl_arg(a, "all")) {
                if (a->n_pos == 0)
                        return pbctl_usage_error(a, "missing LAB (or --all)");
                for (i = 0; i < a->n_pos; i++) {
                        r = destroy(ctl, a->pos[i]);
                        worst = MAX(worst, r);
                }
                return worst;
        }
        if (a->n_pos > 0)
                return pbctl_usage_error(a, "--all and lab names exclude each other");
        r = pbctl_call(ctl, "lab.list", NULL, &labs);
        if (r != PBCTL_EXIT_OK)
                return r;
        json_array_foreach (labs, i, lab) {
                r = destroy(ctl, json_string_value(json_object_get(lab, "name")) ?: "?");
                worst = MAX(worst, r);
        }
        return worst;
}

static int
lab_show(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        return pbctl_show_state_part(ctl, a->pos[0], NULL, print_lab_state);
}

/* A topology document: indented unless --json, since people keep it in files. */
static int
lab_export(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        json_auto_t *res = NULL;
        int r;

        const char *path = pbctl_arg(a, "output");
        FILE *f = stdout;

        r = pbctl_call(ctl, "lab.export", json_incref(params), &res);
        if (r != PBCTL_EXIT_OK)
                return r;
        if (ctl->field)
                return pbctl_print(ctl, res, NULL);
        if (path && strcmp(path, "-") != 0 && !(f = fopen(path, "we"))) {
                fprintf(stderr, "pbctl: export: cannot write %s: %s\n", path, strerror(errno));
                return PBCTL_EXIT_USAGE;
        }
        output_json(f, res, !ctl->json);
        if (f != stdout && fclose(f) != 0) {
                fprintf(stderr, "pbctl: export: writing %s failed: %s\n", path, strerror(errno));
                return PBCTL_EXIT_USAGE;
        }
        return PBCTL_EXIT_OK;
}

/*
 * FILE holds a topology document, or whole lab.load params (with a
 * "topology" member); --name and --lifetime override what it says.
 */
static int
load(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *file = a->pos[0];
        _cleanup_free_ char *text = NULL;
        json_auto_t *doc = NULL, *p = NULL;
        json_error_t jerr;
        const char *key;
        json_t *v;
        int r;

        text = pbctl_read_file(file, NULL);
        if (!text) {
                fprintf(stderr, "pbctl: load: cannot read %s: %s\n",
                        strcmp(file, "-") ? file : "standard input", strerror(errno));
                return PBCTL_EXIT_USAGE;
        }
        doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(doc)) {
                fprintf(stderr, "pbctl: load: %s: %s (line %d)\n", file,
                        doc ? "not a JSON object" : jerr.text, jerr.line);
                return PBCTL_EXIT_USAGE;
        }
        p = json_object_get(doc, "topology") ? json_incref(doc)
                                             : json_pack("{s:O}", "topology", doc);
        if (!p)
                return pbctl_usage_error(a, "out of memory");
        json_object_foreach (params, key, v)
                json_object_set(p, key, v);
        r = set_lifetime(a, p);
        if (r)
                return r;
        /* On a terminal, a progress bar driven by the lab's events. */
        if (!ctl->json && !ctl->field && isatty(STDERR_FILENO)) {
                json_auto_t *res = NULL;

                r = pbctl_load_progress(ctl, p, &res);
                return r ? r : pbctl_print(ctl, res, print_lab_state);
        }
        return pbctl_invoke(ctl, "lab.load", TAKE_PTR(p), print_lab_state);
}

static const struct pbctl_arg export_opts[] = {
        PBCTL_OPT("output", 'o', "FILE", NULL, PBCTL_T_NONE,
                  "write the document to FILE instead of standard output"),
        {},
};

static const struct pbctl_arg create_opts[] = {
        PBCTL_OPT("lifetime", 0, "LIFETIME", "lifetime", PBCTL_T_STRING,
                  "daemon (default: lives until 'lab rm') or session"),
        PBCTL_OPT("outdir", 'o', "DIR", "outdir", PBCTL_T_PATH,
                  "write events.jsonl, state.json and process logs there"),
        PBCTL_OPT("dad", 0, NULL, "ipv6_dad", PBCTL_T_TRUE,
                  "enable IPv6 duplicate address detection"),
        PBCTL_OPT("no-dad", 0, NULL, "ipv6_dad", PBCTL_T_FALSE,
                  "disable it (the default: addresses work at once)"),
        PBCTL_OPT("addressing", 0, "POOLS", "addressing", PBCTL_T_OBJECT,
                  "address pools: JSON or key=CIDR,... (ix4 ix6 public4 private4 public6 "
                  "private6)"),
        {},
};

static const struct pbctl_verb lab_verbs[] = {
        { .name = "create",
          .help = "create a lab (named by the daemon when NAME is left out)",
          .method = "lab.create",
          .run = lab_create,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_POS_T("NAME", "name", PBCTL_T_STRING, PBCTL_OPTIONAL), {} },
          .opts = create_opts },
        { .name = "ls",
          .alias = "list",
          .help = "list labs",
          .method = "lab.list",
          .print = print_labs },
        { .name = "show",
          .help = "summarize a lab: routers, devices, regions, processes",
          .method = "lab.state",
          .run = lab_show,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
        { .name = "state",
          .help = "print a lab's whole state as JSON",
          .method = "lab.state",
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
        { .name = "export",
          .help = "print a lab as a topology document that 'pbctl load' rebuilds",
          .method = "lab.export",
          .run = lab_export,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} },
          .opts = export_opts },
        { .name = "rm",
          .alias = "destroy",
          .help = "destroy labs and everything in them",
          .method = "lab.destroy",
          .run = lab_rm,
          .pos = (const struct pbctl_arg[]){ PBCTL_POS_T("LAB", NULL, PBCTL_T_NONE,
                                                         PBCTL_OPTIONAL | PBCTL_REPEAT),
                                             {} },
          .opts = (const struct pbctl_arg[]){ PBCTL_OPT("all", 'a', NULL, NULL, PBCTL_T_NONE,
                                                        "destroy every lab"),
                                              {} } },
};
PBCTL_GROUP(pbctl_group_lab, "lab", "create, list, inspect and destroy labs", lab_verbs);

static const struct pbctl_verb load_verbs[] = {
        { .help = "build a lab from a topology document (FILE '-' reads standard input)",
          .method = "lab.load",
          .run = load,
          .pos = (const struct pbctl_arg[]){ PBCTL_POS_T("FILE", NULL, PBCTL_T_NONE, 0), {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PBCTL_OPT(
                                  "name", 'n', "NAME", "name", PBCTL_T_STRING,
                                  "name of the new lab (default: the document's, else the daemon's "
                                  "choice)"),
                          PBCTL_OPT("lifetime", 0, "LIFETIME", "lifetime", PBCTL_T_STRING,
                                    "daemon (default) or session"),
                          {} },
          .details = "FILE holds a topology document as 'pbctl export' prints it, or whole\n"
                     "lab.load params ({\"name\", \"lifetime\", \"topology\"}).\n" },
};
PBCTL_GROUP(pbctl_group_load, "load", "build a lab from a topology document", load_verbs);

static const struct pbctl_verb export_verbs[] = {
        { .help = "print a lab as a topology document (same as 'lab export')",
          .method = "lab.export",
          .run = lab_export,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} },
          .opts = export_opts },
};
PBCTL_GROUP(pbctl_group_export, "export", "print a lab as a topology document", export_verbs);
