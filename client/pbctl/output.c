/* SPDX-License-Identifier: MIT */
/* pbctl output: JSON for scripts, aligned tables for people. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

void
output_json(FILE *f, json_t *value, bool pretty)
{
        _cleanup_free_ char *text =
                json_dumps(value, JSON_ENCODE_ANY | (pretty ? JSON_INDENT(2) : JSON_COMPACT));

        if (text)
                fprintf(f, "%s\n", text);
}

/* Renders a scalar or a short list as plain text; returns a malloc'd string. */
static char *
render(json_t *v)
{
        char *s = NULL;

        if (json_is_string(v))
                return strdup(json_string_value(v));
        if (json_is_null(v))
                return strdup("-");
        if (json_is_array(v)) {
                size_t i, len = 0;
                json_t *e;

                s = strdup("");
                json_array_foreach (v, i, e) {
                        _cleanup_free_ char *part = render(e);
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
                text = render(v);
                printf("%s%-*s%s  %s\n", ctl->tty ? "\033[1m" : "", (int)width, keys[i],
                       ctl->tty ? "\033[0m" : "", text ? text : "?");
        }
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
