/* SPDX-License-Identifier: MIT */
/*
 * pbctl argument parsing: one parser for every verb, driven by its table.
 *
 * Options may come anywhere before "--", mixed with positionals, as
 * --name VALUE, --name=VALUE, -k VALUE, -kVALUE or clustered flags.  A verb
 * that runs a command takes it after its last positional, with or without
 * "--": option parsing stops there.  Words like "-9" are positionals.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

static bool
is_option(const char *w)
{
        return w[0] == '-' && w[1] && !isdigit((unsigned char)w[1]);
}

static const struct pbctl_arg *
lookup(const struct pbctl_arg *opts, const char *name, size_t len, char key)
{
        for (const struct pbctl_arg *o = opts; o && (o->name || o->key); o++)
                if (key ? o->key == key : strlen(o->name) == len && !strncmp(o->name, name, len))
                        return o;
        return NULL;
}

/* The verb's own option first, then a global one; '*global' says which. */
static const struct pbctl_arg *
find_option(const struct pbctl_verb *v, const char *name, size_t len, char key, bool *global)
{
        const struct pbctl_arg *o = v ? lookup(v->opts, name, len, key) : NULL;

        *global = !o;
        return o ? o : lookup(pbctl_global_opts, name, len, key);
}

static int
vusage(const struct pbctl_group *g, const struct pbctl_verb *v, const char *fmt, va_list ap)
{
        char title[64];

        if (v)
                fprintf(stderr, "pbctl: %s: ", pbctl_verb_title(g, v, title, sizeof(title)));
        else
                fputs("pbctl: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        if (v) {
                pbctl_usage_line(stderr, g, v);
                fprintf(stderr, "See 'pbctl %s --help'.\n", title);
        } else {
                fputs("See 'pbctl --help'.\n", stderr);
        }
        return PBCTL_EXIT_USAGE;
}

static int __attribute__((format(printf, 3, 4)))
usage(const struct pbctl_group *g, const struct pbctl_verb *v, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vusage(g, v, fmt, ap);
        va_end(ap);
        return r;
}

int
pbctl_usage_error(const struct pbctl_args *a, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vusage(a->group, a->verb, fmt, ap);
        va_end(ap);
        return r;
}

static int
take_option(struct pbctl *ctl, const struct pbctl_group *g, const struct pbctl_verb *v,
            const struct pbctl_arg *o, bool global, const char *value, struct pbctl_args *a)
{
        if (global && o->key == 'h') {
                if (v)
                        pbctl_help_verb(stdout, g, v);
                else
                        pbctl_help_main(stdout);
                return -1;
        }
        if (global)
                return pbctl_apply_global(ctl, o, value);
        a->given[a->n_given].opt = o;
        a->given[a->n_given++].value = value;
        return PBCTL_EXIT_OK;
}

/* Parses the option word argv[*i] and its value, advancing '*i' past them. */
static int
parse_option(struct pbctl *ctl, const struct pbctl_group *g, const struct pbctl_verb *v, int argc,
             char **argv, int *i, struct pbctl_args *a)
{
        const char *w = argv[*i], *value;
        const struct pbctl_arg *o;
        bool global;
        int r;

        if (w[1] == '-') {
                const char *name = w + 2, *eq = strchr(name, '=');
                size_t len = eq ? (size_t)(eq - name) : strlen(name);

                o = find_option(v, name, len, 0, &global);
                if (!o)
                        return usage(g, v, "unknown option '--%.*s'", (int)len, name);
                if (!o->metavar && eq)
                        return usage(g, v, "option '--%s' takes no value", o->name);
                value = eq ? eq + 1 : o->metavar && *i + 1 < argc ? argv[++*i] : NULL;
                if (o->metavar && !value)
                        return usage(g, v, "option '--%s' needs %s", o->name, o->metavar);
                return take_option(ctl, g, v, o, global, value ? value : "", a);
        }
        for (const char *c = w + 1; *c; c++) {
                o = find_option(v, NULL, 0, *c, &global);
                if (!o)
                        return usage(g, v, "unknown option '-%c'", *c);
                if (o->metavar) {
                        value = c[1] ? c + 1 : *i + 1 < argc ? argv[++*i] : NULL;
                        if (!value)
                                return usage(g, v, "option '-%c' needs %s", *c, o->metavar);
                        return take_option(ctl, g, v, o, global, value, a);
                }
                r = take_option(ctl, g, v, o, global, "", a);
                if (r != PBCTL_EXIT_OK)
                        return r;
        }
        return PBCTL_EXIT_OK;
}

int
pbctl_args_global(struct pbctl *ctl, int argc, char **argv, int *ret_index)
{
        int i, r;

        for (i = 1; i < argc && is_option(argv[i]); i++) {
                if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                }
                r = parse_option(ctl, NULL, NULL, argc, argv, &i, NULL);
                if (r != PBCTL_EXIT_OK)
                        return r;
        }
        *ret_index = i;
        return PBCTL_EXIT_OK;
}

/* Converts 'text' for 'arg' and stores it in 'params'. */
static int
put_param(const struct pbctl_args *a, json_t *params, const struct pbctl_arg *arg, const char *text)
{
        const char *key = arg->param;
        json_t *value, *list;
        char err[160] = "", label[64];

        value = pbctl_parse_value(arg->type, text, err, sizeof(err));
        if (!value) {
                if (arg->name)
                        snprintf(label, sizeof(label), "--%s", arg->name);
                else
                        snprintf(label, sizeof(label), "%s", arg->metavar);
                return pbctl_usage_error(a, "%s '%s': %s", label, text,
                                         err[0] ? err : "out of memory");
        }
        /* A NAT given as key=value or JSON is a custom configuration. */
        if (arg->type == PBCTL_T_NAT && json_is_object(value))
                key = "nat_config";
        if (arg->flags & PBCTL_REPEAT) {
                list = json_object_get(params, key);
                if (!list && json_object_set_new(params, key, list = json_array()) < 0)
                        list = NULL;
                if (!list || json_array_append_new(list, value) < 0)
                        return pbctl_usage_error(a, "out of memory");
                return PBCTL_EXIT_OK;
        }
        if (json_object_set_new(params, key, value) < 0)
                return pbctl_usage_error(a, "out of memory");
        return PBCTL_EXIT_OK;
}

/* The table entry of positional 'k': a repeating last entry takes the rest. */
static const struct pbctl_arg *
pos_entry(const struct pbctl_arg *pos, size_t k)
{
        size_t e = 0;

        while (e < k && pos[e + 1].metavar && pos[e + 1].type != PBCTL_T_ARGV)
                e++;
        return &pos[e];
}

static int
build_params(const struct pbctl_args *a, json_t **ret)
{
        const struct pbctl_arg *pos = a->verb->pos;
        json_auto_t *params = json_object();
        int r;

        if (!params)
                return pbctl_usage_error(a, "out of memory");
        for (size_t k = 0; k < a->n_pos; k++) {
                const struct pbctl_arg *e = pos_entry(pos, k);

                if (e->param && (r = put_param(a, params, e, a->pos[k])))
                        return r;
        }
        for (const struct pbctl_arg *p = pos; p && p->metavar; p++)
                if (p->type == PBCTL_T_ARGV && p->param && a->cmd) {
                        json_t *argv = json_array();

                        if (!argv || json_object_set_new(params, p->param, argv) < 0)
                                return pbctl_usage_error(a, "out of memory");
                        for (size_t k = 0; k < a->n_cmd; k++) {
                                json_t *s = json_string(a->cmd[k]);

                                if (!s)
                                        return pbctl_usage_error(
                                                a, "the command is not valid UTF-8: '%s'",
                                                a->cmd[k]);
                                if (json_array_append_new(argv, s) < 0)
                                        return pbctl_usage_error(a, "out of memory");
                        }
                }
        for (size_t k = 0; k < a->n_given; k++)
                if (a->given[k].opt->param &&
                    (r = put_param(a, params, a->given[k].opt, a->given[k].value)))
                        return r;
        *ret = TAKE_PTR(params);
        return PBCTL_EXIT_OK;
}

int
pbctl_args_parse(struct pbctl *ctl, const struct pbctl_group *g, const struct pbctl_verb *v,
                 int argc, char **argv, struct pbctl_args *a, json_t **ret_params)
{
        size_t min = 0, max = 0, fixed = 0;
        bool has_cmd = false, unlimited = false, options_done = false;
        const struct pbctl_arg *p;
        int i, r;

        *a = (struct pbctl_args){ .group = g, .verb = v };
        for (p = v->pos; p && p->metavar; p++) {
                if (p->type == PBCTL_T_ARGV) {
                        has_cmd = true;
                        continue;
                }
                fixed++;
                if (!(p->flags & PBCTL_OPTIONAL))
                        min++;
                if (p->flags & PBCTL_REPEAT)
                        unlimited = true;
                else
                        max++;
        }
        a->pos = calloc((size_t)argc + 1, sizeof(*a->pos));
        a->given = calloc((size_t)argc + 1, sizeof(*a->given));
        if (!a->pos || !a->given)
                return pbctl_usage_error(a, "out of memory");

        for (i = 1; i < argc; i++) {
                char *w = argv[i];

                if (!options_done && strcmp(w, "--") == 0) {
                        if (has_cmd) {
                                a->cmd = argv + i + 1;
                                break;
                        }
                        options_done = true;
                        continue;
                }
                if (!options_done && is_option(w)) {
                        r = parse_option(ctl, g, v, argc, argv, &i, a);
                        if (r != PBCTL_EXIT_OK)
                                return r;
                        continue;
                }
                if (has_cmd && a->n_pos == fixed) {
                        a->cmd = argv + i;
                        break;
                }
                if (!unlimited && a->n_pos == max)
                        return pbctl_usage_error(a, "unexpected argument '%s'", w);
                a->pos[a->n_pos++] = w;
        }
        if (a->n_pos < min)
                return pbctl_usage_error(a, "missing %s", v->pos[a->n_pos].metavar);
        if (a->cmd)
                a->n_cmd = (size_t)(argc - (a->cmd - argv));
        if (has_cmd && !a->n_cmd)
                return pbctl_usage_error(a, "missing the command to run (after --)");
        return build_params(a, ret_params);
}

void
pbctl_args_done(struct pbctl_args *a)
{
        free(a->pos);
        free(a->given);
        a->pos = NULL;
        a->given = NULL;
}

static const struct pbctl_arg *
known_option(const struct pbctl_args *a, const char *name)
{
        const struct pbctl_arg *o = lookup(a->verb->opts, name, strlen(name), 0);

        if (!o) {
                /* A typo in the command table: fail loudly in every test. */
                fprintf(stderr, "pbctl: internal error: no option --%s\n", name);
                abort();
        }
        return o;
}

const char *
pbctl_arg(const struct pbctl_args *a, const char *name)
{
        const struct pbctl_arg *o = known_option(a, name);

        for (size_t k = a->n_given; k > 0; k--)
                if (a->given[k - 1].opt == o)
                        return a->given[k - 1].value;
        return NULL;
}

const char *
pbctl_arg_next(const struct pbctl_args *a, const char *name, size_t *i)
{
        const struct pbctl_arg *o = known_option(a, name);

        for (; *i < a->n_given; (*i)++)
                if (a->given[*i].opt == o)
                        return a->given[(*i)++].value;
        return NULL;
}
