/* SPDX-License-Identifier: MIT */
/* pbctl help: every help text is printed from the command table. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

/* Syntax notes, appended to the help of verbs that take such a value. */
static const struct {
        enum pbctl_type type;
        const char *text;
} syntax_notes[] = {
        { PBCTL_T_COND,
          "COND is a preset (lan, wifi, wifi-bad, mobile-4g, mobile-3g, satellite,\n"
          "satellite-geo), none, key=value pairs joined by commas, or a JSON object.\n"
          "Keys: latency, jitter (ms; or with a unit: 2s, 500us), loss, reorder,\n"
          "duplicate, corrupt (%), rate (kbit/s; or 2mbit, 1gbit), preset (a base the\n"
          "others override).  Example: latency=20,jitter=3,loss=1.5,rate=2mbit\n" },
        { PBCTL_T_NAT,
          "NAT is a mode (none, home, corporate, cloud-nat, full-cone, cgnat), or a\n"
          "custom configuration as key=value pairs (mapping=eim|edm, filtering=eif|apdf,\n"
          "hairpin=yes|no, udp=S, udp_stream=S, tcp_established=S) or a JSON object.\n" },
        { PBCTL_T_FIREWALL,
          "FW is a preset (none, block-inbound, corporate, captive-portal), key=value\n"
          "pairs (inbound=block|allow, tcp=all|none|PORT+PORT..., udp=...), or a JSON\n"
          "object.  Example: inbound=block,tcp=80+443,udp=53\n" },
};

const char *
pbctl_verb_title(const struct pbctl_group *g, const struct pbctl_verb *v, char *buf, size_t n)
{
        if (v->name)
                snprintf(buf, n, "%s %s", g->name, v->name);
        else
                snprintf(buf, n, "%s", g->name);
        return buf;
}

#define HELP_WIDTH 79

/*
 * Prints 'text' from column 'col' (the cursor is there already), wrapping
 * at word boundaries to HELP_WIDTH with continuation lines indented to 'col'.
 */
static void
print_wrapped(FILE *f, size_t col, const char *text, const char *suffix)
{
        char buf[512];
        size_t pos = col;
        char *save = NULL;

        snprintf(buf, sizeof(buf), "%s%s", text, suffix);
        for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
                size_t len = strlen(w);

                if (pos > col && pos + 1 + len > HELP_WIDTH) {
                        fprintf(f, "\n%*s", (int)col, "");
                        pos = col;
                }
                fprintf(f, "%s%s", pos > col ? " " : "", w);
                pos += (pos > col ? 1 : 0) + len;
        }
        fputc('\n', f);
}

/* "Add a router." from the table's "add a router". */
static void
print_sentence(FILE *f, const char *text)
{
        fprintf(f, "%c%s.", toupper((unsigned char)text[0]), text + 1);
}

static bool
has_opts(const struct pbctl_verb *v)
{
        return v->opts && (v->opts[0].name || v->opts[0].key);
}

/* "LAB NODE [OPTIONS] -- CMD..." */
static void
synopsis(FILE *f, const struct pbctl_verb *v)
{
        bool opts_done = !has_opts(v);

        for (const struct pbctl_arg *p = v->pos; p && p->metavar; p++) {
                bool opt = p->flags & PBCTL_OPTIONAL, rep = p->flags & PBCTL_REPEAT;

                if (p->type == PBCTL_T_ARGV) {
                        if (!opts_done)
                                fputs(" [OPTIONS]", f);
                        opts_done = true;
                        fprintf(f, " -- %s...", p->metavar);
                        continue;
                }
                fprintf(f, " %s%s%s%s", opt ? "[" : "", p->metavar, rep ? "..." : "",
                        opt ? "]" : "");
        }
        if (!opts_done)
                fputs(" [OPTIONS]", f);
}

void
pbctl_usage_line(FILE *f, const struct pbctl_group *g, const struct pbctl_verb *v)
{
        char title[64];

        fprintf(f, "Usage: pbctl %s", pbctl_verb_title(g, v, title, sizeof(title)));
        synopsis(f, v);
        fputc('\n', f);
}

static void
print_options(FILE *f, const struct pbctl_arg *opts)
{
        size_t width = 0;
        char buf[64];

        for (const struct pbctl_arg *o = opts; o && (o->name || o->key); o++) {
                snprintf(buf, sizeof(buf), "--%s%s%s", o->name, o->metavar ? " " : "",
                         o->metavar ?: "");
                width = MAX(width, strlen(buf));
        }
        for (const struct pbctl_arg *o = opts; o && (o->name || o->key); o++) {
                snprintf(buf, sizeof(buf), "--%s%s%s", o->name, o->metavar ? " " : "",
                         o->metavar ?: "");
                if (o->key)
                        fprintf(f, "  -%c, %-*s  ", o->key, (int)width, buf);
                else
                        fprintf(f, "      %-*s  ", (int)width, buf);
                print_wrapped(f, width + 8, o->help,
                              o->flags & PBCTL_REPEAT ? " (repeatable)" : "");
        }
}

static bool
uses_type(const struct pbctl_verb *v, enum pbctl_type type)
{
        for (const struct pbctl_arg *p = v->pos; p && p->metavar; p++)
                if (p->type == type)
                        return true;
        for (const struct pbctl_arg *o = v->opts; o && (o->name || o->key); o++)
                if (o->type == type)
                        return true;
        return false;
}

void
pbctl_help_verb(FILE *f, const struct pbctl_group *g, const struct pbctl_verb *v)
{
        pbctl_usage_line(f, g, v);
        print_sentence(f, v->help);
        if (v->method)
                fprintf(f, "  API: %s.", v->method);
        fputc('\n', f);
        if (has_opts(v)) {
                fputs("\nOptions:\n", f);
                print_options(f, v->opts);
        }
        if (v->details)
                fprintf(f, "\n%s", v->details);
        for (size_t i = 0; i < ELEMENTSOF(syntax_notes); i++)
                if (uses_type(v, syntax_notes[i].type))
                        fprintf(f, "\n%s", syntax_notes[i].text);
        fputs("\nGlobal options (--json, --field, --socket, ...) may follow the command too.\n", f);
}

void
pbctl_help_group(FILE *f, const struct pbctl_group *g)
{
        size_t width = 0;
        char line[160];

        if (pbctl_group_is_command(g)) {
                pbctl_help_verb(f, g, &g->verbs[0]);
                return;
        }
        fprintf(f, "Usage: pbctl %s COMMAND [ARGS...]\n", g->name);
        print_sentence(f, g->help);
        fputs("\n\nCommands:\n", f);
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < g->n_verbs; i++) {
                        const struct pbctl_verb *v = &g->verbs[i];
                        FILE *m = fmemopen(line, sizeof(line), "w");

                        if (!m)
                                return;
                        /* A group's unnamed verb: "capture LAB NODE IFACE". */
                        fprintf(m, "%s", v->name ?: g->name);
                        synopsis(m, v);
                        fputc('\0', m);
                        fclose(m);
                        if (pass == 0)
                                width = MAX(width, strlen(line));
                        else {
                                fprintf(f, "  %-*s  ", (int)width, line);
                                print_wrapped(f, width + 4, v->help, "");
                        }
                }
        fprintf(f, "\nSee 'pbctl %s COMMAND --help' for a command's options.\n", g->name);
}

void
pbctl_help_main(FILE *f)
{
        fputs("Usage: pbctl [OPTIONS] COMMAND [ARGS...]\n"
              "Drive patchbayd, the network lab daemon: build labs of routers and devices,\n"
              "change their NAT, firewalls and link conditions live, run programs in them.\n\n"
              "Options:\n",
              f);
        print_options(f, pbctl_global_opts);
        for (const struct pbctl_section *s = pbctl_sections; s->title; s++) {
                if (!s->title[0])
                        continue;
                fprintf(f, "\n%s:\n", s->title);
                for (const struct pbctl_group *const *g = s->groups; *g; g++)
                        fprintf(f, "  %-10s %s\n", (*g)->name, (*g)->help);
        }
        fputs("\nSee 'pbctl help COMMAND' or 'pbctl COMMAND --help' for details.\n"
              "Exit status: 0 success, 1 usage or connection error, 2 error from the daemon;\n"
              "exec, shell, run and proc wait exit with the status of the command they ran.\n",
              f);
}

static int
cmd_help(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const struct pbctl_group *g;
        const struct pbctl_verb *v;

        if (a->n_pos == 0) {
                pbctl_help_main(stdout);
                return PBCTL_EXIT_OK;
        }
        g = pbctl_find_group(a->pos[0]);
        if (!g)
                return pbctl_usage_error(a, "unknown command '%s'", a->pos[0]);
        if (a->n_pos == 1) {
                pbctl_help_group(stdout, g);
                return PBCTL_EXIT_OK;
        }
        v = pbctl_group_is_command(g) ? NULL : pbctl_find_verb(g, a->pos[1]);
        if (!v)
                return pbctl_usage_error(a, "'%s' has no command '%s'", g->name, a->pos[1]);
        pbctl_help_verb(stdout, g, v);
        return PBCTL_EXIT_OK;
}

static const struct pbctl_verb help_verbs[] = {
        { .help = "show help for pbctl, a command or one of its verbs",
          .run = cmd_help,
          .pos =
                  (const struct pbctl_arg[]){
                          { .metavar = "COMMAND", .flags = PBCTL_OPTIONAL },
                          { .metavar = "VERB", .flags = PBCTL_OPTIONAL },
                          {},
                  } },
};
PBCTL_GROUP(pbctl_group_help, "help", "show help for pbctl or one of its commands", help_verbs);
