/* SPDX-License-Identifier: MIT */
/*
 * pbctl __complete ...: what the bash completion offers, read from the
 * command table (and, for names, from the daemon), one word per line.
 *
 *   groups                     the commands
 *   verbs GROUP                a group's verbs
 *   args GROUP [VERB]          positional metavars ("CMD..." for a command)
 *   opts GROUP [VERB]          "--name METAVAR" or "--name" (and "-k ..."), then
 *                              the global ones
 *   values METAVAR             fixed choices (COND, NAT, FW, ...)
 *   names KIND [LAB [DEVICE]]  labs, routers, devices, nodes, ifaces, regions,
 *                              procs, captures, reflectors, methods
 */
#include <stdio.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

static const struct {
        const char *metavar, *words;
} choices[] = {
        { "COND", "none lan wifi wifi-bad mobile-4g mobile-3g satellite satellite-geo" },
        { "NAT", "none home corporate cloud-nat full-cone cgnat" },
        { "NAT6", "none masquerade nptv6 nat64" },
        { "FW", "none block-inbound corporate captive-portal" },
        { "PRESET", "home public public-v4 isp-cgnat isp-v6 corporate hotel cloud" },
        { "FAMILY", "v4 v6 dual" },
        { "LIFETIME", "daemon session" },
        { "DIRECTION", "up down both" },
        { "LINKDIR", "a-to-b b-to-a both" },
        { "PROTO", "udp tcp" },
        { "SIGNAL", "TERM KILL INT HUP QUIT USR1 USR2 STOP CONT" },
};

static void
print_opts(const struct pbctl_arg *opts)
{
        for (const struct pbctl_arg *o = opts; o && (o->name || o->key); o++) {
                printf("--%s%s%s\n", o->name, o->metavar ? " " : "", o->metavar ?: "");
                if (o->key)
                        printf("-%c%s%s\n", o->key, o->metavar ? " " : "", o->metavar ?: "");
        }
}

static const struct pbctl_verb *
verb_of(const struct pbctl_args *a)
{
        const struct pbctl_group *g = a->n_pos > 1 ? pbctl_find_group(a->pos[1]) : NULL;

        if (!g)
                return NULL;
        if (pbctl_group_is_command(g))
                return &g->verbs[0];
        return a->n_pos > 2 ? pbctl_find_verb(g, a->pos[2]) : NULL;
}

static void
print_names(json_t *list, const char *key)
{
        json_t *e;
        size_t i;

        json_array_foreach (list, i, e) {
                json_t *v = json_object_get(e, key);

                if (json_is_string(v))
                        printf("%s\n", json_string_value(v));
                else if (json_is_integer(v))
                        printf("%lld\n", (long long)json_integer_value(v));
        }
}

static int
names(struct pbctl *ctl, const struct pbctl_args *a)
{
        const char *kind = a->pos[1], *lab = a->n_pos > 2 ? a->pos[2] : NULL;
        json_auto_t *res = NULL;
        json_t *dev;
        size_t i;

        if (strcmp(kind, "labs") == 0 || strcmp(kind, "methods") == 0) {
                bool labs = kind[0] == 'l';

                if (pbctl_call(ctl, labs ? "lab.list" : "rpc.discover", NULL, &res))
                        return PBCTL_EXIT_USAGE;
                print_names(labs ? res : json_object_get(res, "methods"), "name");
                return PBCTL_EXIT_OK;
        }
        if (strcmp(kind, "procs") == 0) {
                if (pbctl_call(ctl, "proc.list", lab ? json_pack("{s:s}", "lab", lab) : NULL, &res))
                        return PBCTL_EXIT_USAGE;
                print_names(res, "proc");
                return PBCTL_EXIT_OK;
        }
        if (!lab || pbctl_call(ctl, "lab.state", json_pack("{s:s}", "lab", lab), &res))
                return PBCTL_EXIT_USAGE;
        if (!strcmp(kind, "routers") || !strcmp(kind, "nodes"))
                print_names(json_object_get(res, "routers"), "name");
        if (!strcmp(kind, "devices") || !strcmp(kind, "nodes"))
                print_names(json_object_get(res, "devices"), "name");
        if (!strcmp(kind, "nodes"))
                printf("ix\n");
        if (!strcmp(kind, "regions"))
                print_names(json_object_get(res, "regions"), "name");
        if (!strcmp(kind, "captures") || !strcmp(kind, "reflectors"))
                print_names(json_object_get(res, kind), "id");
        if (!strcmp(kind, "ifaces"))
                json_array_foreach (json_object_get(res, "devices"), i, dev)
                        if (a->n_pos < 4 ||
                            !strcmp(json_string_value(json_object_get(dev, "name")) ?: "",
                                    a->pos[3]))
                                print_names(json_object_get(dev, "ifaces"), "name");
        return PBCTL_EXIT_OK;
}

static int
complete(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *what = a->pos[0];
        const struct pbctl_group *g = a->n_pos > 1 ? pbctl_find_group(a->pos[1]) : NULL;
        const struct pbctl_verb *v = verb_of(a);

        if (strcmp(what, "groups") == 0) {
                for (const struct pbctl_section *s = pbctl_sections; s->title; s++)
                        for (const struct pbctl_group *const *p = s->groups; *p && s->title[0]; p++)
                                printf("%s\n", (*p)->name);
        } else if (strcmp(what, "verbs") == 0) {
                for (size_t i = 0; g && i < g->n_verbs; i++)
                        if (g->verbs[i].name)
                                printf("%s\n", g->verbs[i].name);
        } else if (strcmp(what, "args") == 0) {
                for (const struct pbctl_arg *p = v ? v->pos : NULL; p && p->metavar; p++)
                        printf("%s%s\n", p->metavar,
                               p->type == PBCTL_T_ARGV || (p->flags & PBCTL_REPEAT) ? "..." : "");
        } else if (strcmp(what, "opts") == 0) {
                if (v)
                        print_opts(v->opts);
                print_opts(pbctl_global_opts);
        } else if (strcmp(what, "values") == 0) {
                for (size_t i = 0; a->n_pos > 1 && i < ELEMENTSOF(choices); i++)
                        if (strcmp(a->pos[1], choices[i].metavar) == 0)
                                printf("%s\n", choices[i].words);
        } else if (strcmp(what, "names") == 0 && a->n_pos > 1) {
                return names(ctl, a);
        } else {
                return PBCTL_EXIT_USAGE;
        }
        return PBCTL_EXIT_OK;
}

static const struct pbctl_verb complete_verbs[] = {
        { .help = "print completions for the shell",
          .run = complete,
          .pos = (const struct pbctl_arg[]){ { .metavar = "WHAT" },
                                             { .metavar = "ARG",
                                               .flags = PBCTL_OPTIONAL | PBCTL_REPEAT },
                                             {} } },
};
PBCTL_GROUP(pbctl_group_complete, "__complete", "print completions for the shell", complete_verbs);
