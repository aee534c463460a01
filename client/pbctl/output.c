/* SPDX-License-Identifier: MIT */
/* pbctl output: JSON for scripts, aligned tables for people. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

#define BOLD  "\033[1m"
#define RESET "\033[0m"

void
output_json(FILE *f, json_t *value, bool pretty)
{
        _cleanup_free_ char *text =
                json_dumps(value, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT));

        if (text)
                fprintf(f, "%s\n", text);
}

char *
output_render(json_t *v)
{
        char *s = NULL;

        if (!v || json_is_null(v))
                return strdup("-");
        if (json_is_string(v))
                return strdup(json_string_value(v));
        if (json_is_array(v) && json_array_size(v) == 0)
                return strdup("-");
        if (json_is_array(v)) {
                size_t i, len = 0;
                json_t *e;

                s = strdup("");
                json_array_foreach (v, i, e) {
                        _cleanup_free_ char *part = output_render(e);
                        char *n;

                        if (!s || !part)
                                break;
                        n = realloc(s, len + strlen(part) + 3);
                        if (!n)
                                break;
                        s = n;
                        len += (size_t)sprintf(s + len, "%s%s", i ? ", " : "", part);
                }
                return s;
        }
        return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

char *
output_condition(json_t *cond)
{
        /* The command line's short names, in the order people read them. */
        static const char *const keys[][2] = {
                { "preset", "preset" },           { "latency_ms", "latency" },
                { "jitter_ms", "jitter" },        { "loss_pct", "loss" },
                { "rate_kbit", "rate" },          { "reorder_pct", "reorder" },
                { "duplicate_pct", "duplicate" }, { "corrupt_pct", "corrupt" },
        };
        char *buf = NULL;
        size_t len = 0;
        FILE *f;

        if (!json_is_object(cond))
                return output_render(cond);
        f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_t *v = json_object_get(cond, keys[i][0]);
                _cleanup_free_ char *text = NULL;

                if (!v)
                        continue;
                text = output_render(v);
                fprintf(f, "%s%s=%s", ftell(f) ? "," : "", keys[i][1], text ? text : "?");
        }
        if (ftell(f) == 0)
                fputs("none", f);
        fclose(f);
        return buf;
}

const char *
output_size(json_t *v, char *buf, size_t n)
{
        static const char units[] = "KMGTP";
        double x;

        if (!json_is_integer(v))
                return "-";
        x = (double)json_integer_value(v);
        if (x < 1024) {
                snprintf(buf, n, "%lld", (long long)json_integer_value(v));
                return buf;
        }
        for (size_t i = 0; i < sizeof(units) - 1; i++) {
                x /= 1024;
                if (x < 1024 || i == sizeof(units) - 2) {
                        snprintf(buf, n, "%.1f%c", x, units[i]);
                        break;
                }
        }
        return buf;
}

void
output_kv(struct pbctl *ctl, json_t *obj, const char *const *keys)
{
        size_t width = 0;

        for (size_t i = 0; keys[i]; i++)
                if (json_object_get(obj, keys[i]))
                        width = MAX(width, strlen(keys[i]));
        for (size_t i = 0; keys[i]; i++) {
                json_t *v = json_object_get(obj, keys[i]);
                _cleanup_free_ char *text = NULL;

                if (!v)
                        continue;
                text = output_render(v);
                printf("%s%-*s%s  %s\n", ctl->tty ? BOLD : "", (int)width, keys[i],
                       ctl->tty ? RESET : "", text ? text : "?");
        }
}

void
output_section(struct pbctl *ctl, const char *title)
{
        printf("%s%s%s\n", ctl->tty ? BOLD : "", title, ctl->tty ? RESET : "");
}

/* Walks "a.b.0.c" through objects and arrays. */
int
output_field(json_t *result, const char *path)
{
        _cleanup_free_ char *copy = strdup(path);
        json_t *v = result;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        for (char *tok = strtok_r(copy, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
                if (json_is_array(v)) {
                        char *end;
                        unsigned long idx = strtoul(tok, &end, 10);

                        v = *end ? NULL : json_array_get(v, idx);
                } else {
                        v = json_object_get(v, tok);
                }
        }
        if (!v)
                return -ENOENT;
        if (json_is_string(v))
                printf("%s\n", json_string_value(v));
        else
                output_json(stdout, v, false);
        return 0;
}

struct table {
        const char *const *headers;
        size_t n_cols, n_rows, cap;
        char **cells;
};

struct table *
table_new(const char *const *headers)
{
        struct table *t = calloc(1, sizeof(*t));

        if (!t)
                return NULL;
        t->headers = headers;
        while (headers[t->n_cols])
                t->n_cols++;
        return t;
}

int
table_add(struct table *t, const char *const *cells)
{
        if (!t)
                return -ENOMEM;
        if (t->n_rows == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 16;
                char **n = realloc(t->cells, cap * t->n_cols * sizeof(*n));

                if (!n)
                        return -ENOMEM;
                t->cells = n;
                t->cap = cap;
        }
        for (size_t c = 0; c < t->n_cols; c++)
                t->cells[t->n_rows * t->n_cols + c] = strdup(cells[c] ? cells[c] : "-");
        t->n_rows++;
        return 0;
}

/* Display width of UTF-8 text: one column per code point. */
static size_t
width(const char *s)
{
        size_t w = 0;

        for (; s && *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

static void
print_cell(const char *s, size_t pad, bool last)
{
        fputs(s ? s : "?", stdout);
        if (!last)
                printf("%*s", (int)(pad - width(s) + 2), "");
}

void
table_print(struct pbctl *ctl, struct table *t)
{
        _cleanup_free_ size_t *w = NULL;

        if (!t || !(w = calloc(t->n_cols, sizeof(*w))))
                return;
        for (size_t c = 0; c < t->n_cols; c++) {
                w[c] = width(t->headers[c]);
                for (size_t r = 0; r < t->n_rows; r++)
                        w[c] = MAX(w[c], width(t->cells[r * t->n_cols + c]));
        }
        if (ctl->tty)
                fputs(BOLD, stdout);
        for (size_t c = 0; c < t->n_cols; c++)
                print_cell(t->headers[c], w[c], c + 1 == t->n_cols);
        printf("%s\n", ctl->tty ? RESET : "");
        for (size_t r = 0; r < t->n_rows; r++) {
                for (size_t c = 0; c < t->n_cols; c++)
                        print_cell(t->cells[r * t->n_cols + c], w[c], c + 1 == t->n_cols);
                putchar('\n');
        }
}

struct table *
table_free(struct table *t)
{
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

void
table_freep(struct table **t)
{
        *t = table_free(*t);
}

char *
output_fmt(const char *fmt, ...)
{
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

void
output_cells_free(char **cells, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(cells[i]);
                cells[i] = NULL;
        }
}
