/* SPDX-License-Identifier: MIT */
/* pbctl: human forms of processes, regions, DNS entries, captures and reflectors. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

static const char *
str(json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

void
print_nothing(struct pbctl *ctl, json_t *result)
{
}

void
print_kv_all(struct pbctl *ctl, json_t *obj)
{
        const char *keys[32], *key;
        size_t n = 0;
        json_t *v;

        if (!json_is_object(obj)) {
                _cleanup_free_ char *text = output_render(obj);

                printf("%s\n", text ? text : "?");
                return;
        }
        json_object_foreach (obj, key, v)
                if (n < ELEMENTSOF(keys) - 1)
                        keys[n++] = key;
        keys[n] = NULL;
        output_kv(ctl, obj, keys);
}

const char *
render_status(json_t *obj, char *buf, size_t n)
{
        json_t *sig = json_object_get(obj, "signal"), *code = json_object_get(obj, "exit_code");

        if (json_is_true(json_object_get(obj, "running")))
                return "running";
        if (json_is_integer(sig)) {
                const char *name = sigabbrev_np((int)json_integer_value(sig));

                if (name)
                        snprintf(buf, n, "killed by SIG%s", name);
                else
                        snprintf(buf, n, "killed by signal %lld",
                                 (long long)json_integer_value(sig));
                return buf;
        }
        if (json_is_integer(code)) {
                snprintf(buf, n, "exited %lld", (long long)json_integer_value(code));
                return buf;
        }
        return "exited";
}

/* argv as one line; words with spaces are quoted so they read unambiguously. */
static char *
render_argv(json_t *argv)
{
        char *buf = NULL;
        size_t len = 0, i;
        json_t *w;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        json_array_foreach (argv, i, w) {
                const char *s = json_string_value(w) ?: "?";

                fprintf(f, strpbrk(s, " \t'\"") || !s[0] ? "%s'%s'" : "%s%s", i ? " " : "", s);
        }
        fclose(f);
        return buf;
}

void
print_procs(struct pbctl *ctl, json_t *procs)
{
        static const char *const headers[] = { "ID",   "PID",    "LAB",     "NODE",
                                               "NAME", "STATUS", "COMMAND", NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        char *cells[ELEMENTSOF(headers) - 1] = {};
        char status[64];
        json_t *p;
        size_t i;

        json_array_foreach (procs, i, p) {
                cells[0] = output_render(json_object_get(p, "proc"));
                cells[1] = output_render(json_object_get(p, "pid"));
                cells[2] = output_render(json_object_get(p, "lab"));
                cells[3] = output_render(json_object_get(p, "node"));
                cells[4] = output_render(json_object_get(p, "name"));
                cells[5] = strdup(render_status(p, status, sizeof(status)));
                cells[6] = render_argv(json_object_get(p, "argv"));
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
        table_print(ctl, t);
}

void
print_regions(struct pbctl *ctl, json_t *state)
{
        static const char *const headers[] = { "REGION", "ROUTER", "CIDR", "LINKS", NULL };
        static const char *const link_headers[] = { "LINK", "CONDITION", "STATE", NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        json_t *links = json_object_get(state, "region_links"), *r;
        char *cells[4] = {};
        size_t i;

        json_array_foreach (json_object_get(state, "regions"), i, r) {
                cells[0] = output_render(json_object_get(r, "name"));
                cells[1] = output_render(json_object_get(r, "router"));
                cells[2] = output_render(json_object_get(r, "cidr4"));
                cells[3] = output_render(json_object_get(r, "links"));
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
        table_print(ctl, t);
        if (!json_array_size(links))
                return;
        t = table_free(t);
        t = table_new(link_headers);
        putchar('\n');
        json_array_foreach (links, i, r) {
                cells[0] = output_fmt("%s <-> %s", str(r, "a") ?: "?", str(r, "b") ?: "?");
                cells[1] = output_condition(json_object_get(r, "condition"));
                cells[2] = strdup(json_is_true(json_object_get(r, "broken")) ? "broken" : "up");
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
        table_print(ctl, t);
}

void
print_dns(struct pbctl *ctl, json_t *dns)
{
        static const char *const headers[] = { "NAME", "IP", "DEVICE", NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        char *cells[3] = {};
        json_t *e;
        size_t i;

        json_array_foreach (json_object_get(dns, "entries"), i, e) {
                cells[0] = output_render(json_object_get(e, "name"));
                cells[1] = output_render(json_object_get(e, "ip"));
                cells[2] = strdup(str(e, "device") ?: "(lab)");
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
        table_print(ctl, t);
        printf("nameserver %s\n", str(dns, "nameserver") ?: "-");
}

static void
print_simple(struct pbctl *ctl, json_t *list, const char *const *headers, const char *const *keys)
{
        _cleanup_(table_freep) struct table *t = table_new(headers);
        char *cells[8] = {};
        size_t i, n = 0;
        json_t *e;

        while (keys[n])
                n++;
        json_array_foreach (list, i, e) {
                for (size_t c = 0; c < n; c++)
                        cells[c] = output_render(json_object_get(e, keys[c]));
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, n);
        }
        table_print(ctl, t);
}

void
print_captures(struct pbctl *ctl, json_t *captures)
{
        static const char *const headers[] = { "ID", "NODE", "IFACE", "PACKETS", "PATH", NULL };
        static const char *const keys[] = { "id", "node", "iface", "packets", "path", NULL };

        print_simple(ctl, captures, headers, keys);
}

void
print_reflectors(struct pbctl *ctl, json_t *reflectors)
{
        static const char *const headers[] = { "ID", "NODE", "PROTO", "BIND", NULL };
        static const char *const keys[] = { "id", "node", "proto", "bind", NULL };

        print_simple(ctl, reflectors, headers, keys);
}
