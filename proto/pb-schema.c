/* SPDX-License-Identifier: MIT */
#include "pb-schema.h"

#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "pb-macro.h"

/* Schemas nest a handful of levels; the cap only guards against $ref cycles. */
#define MAX_DEPTH  48
#define REF_PREFIX "#/components/schemas/"

struct method_entry {
        const char *name; /* Borrowed from the document. */
        json_t *method;
};

struct pattern_entry {
        const char *pattern; /* Borrowed from the document. */
        regex_t re;
};

struct pb_schema {
        json_t *doc;
        json_t *components; /* components.schemas, or NULL. */
        struct method_entry *methods;
        size_t n_methods;
        struct pattern_entry *patterns;
        size_t n_patterns;
};

static const char *const annotation_keys[] = { "description", "title", "default", "examples" };
static const char *const keyword_keys[] = { "type",
                                            "enum",
                                            "minimum",
                                            "maximum",
                                            "minLength",
                                            "maxLength",
                                            "pattern",
                                            "items",
                                            "minItems",
                                            "maxItems",
                                            "properties",
                                            "required",
                                            "additionalProperties",
                                            "oneOf",
                                            "anyOf",
                                            "$ref" };

static bool
in_list(const char *key, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(key, list[i]) == 0)
                        return true;
        return false;
}

static int
cmp_method(const void *a, const void *b)
{
        return strcmp(((const struct method_entry *)a)->name,
                      ((const struct method_entry *)b)->name);
}

static int
cmp_pattern(const void *a, const void *b)
{
        return strcmp(((const struct pattern_entry *)a)->pattern,
                      ((const struct pattern_entry *)b)->pattern);
}

static const regex_t *
find_pattern(const struct pb_schema *s, const char *pattern)
{
        struct pattern_entry key = { .pattern = pattern };
        const struct pattern_entry *e;

        e = bsearch(&key, s->patterns, s->n_patterns, sizeof(key), cmp_pattern);
        return e ? &e->re : NULL;
}

static json_t *
resolve_ref(const struct pb_schema *s, const json_t *schema)
{
        const json_t *ref = json_object_get(schema, "$ref");

        if (!ref)
                return (json_t *)schema;
        if (!json_is_string(ref) || !s->components ||
            strncmp(json_string_value(ref), REF_PREFIX, strlen(REF_PREFIX)) != 0)
                return NULL;
        return json_object_get(s->components, json_string_value(ref) + strlen(REF_PREFIX));
}

/* --- loading ----------------------------------------------------------- */

static int
load_fail(struct pb_rpc_error *e, const char *where, const char *what)
{
        return pb_rpc_errorf(e, PB_ERR_INTERNAL, "OpenRPC document: %s: %s", where, what);
}

static const char *const type_names[] = { "null",   "boolean", "integer", "number",
                                          "string", "array",   "object" };

static bool
all_strings(const json_t *v)
{
        const json_t *e;
        size_t i;

        if (!json_is_array(v))
                return false;
        json_array_foreach (v, i, e) {
                if (!json_is_string(e))
                        return false;
        }
        return true;
}

static bool
type_keyword_valid(const json_t *v)
{
        const json_t *e;
        size_t i;

        if (json_is_string(v))
                return in_list(json_string_value(v), type_names, ELEMENTSOF(type_names));
        if (!all_strings(v) || json_array_size(v) == 0)
                return false;
        json_array_foreach (v, i, e) {
                if (!in_list(json_string_value(e), type_names, ELEMENTSOF(type_names)))
                        return false;
        }
        return true;
}

static int
add_pattern(struct pb_schema *s, const char *pattern, struct pb_rpc_error *reterr)
{
        struct pattern_entry *n;

        for (size_t i = 0; i < s->n_patterns; i++)
                if (strcmp(s->patterns[i].pattern, pattern) == 0)
                        return 0;
        n = realloc(s->patterns, (s->n_patterns + 1) * sizeof(*n));
        if (!n)
                return pb_rpc_errorf(reterr, PB_ERR_INTERNAL, "out of memory");
        s->patterns = n;
        if (regcomp(&n[s->n_patterns].re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return load_fail(reterr, pattern, "pattern does not compile");
        n[s->n_patterns++].pattern = pattern;
        return 0;
}

static int
lint_schema(struct pb_schema *s, const json_t *schema, const char *where, int depth,
            struct pb_rpc_error *reterr)
{
        const char *key;
        json_t *v;
        int r;

        if (depth > MAX_DEPTH)
                return load_fail(reterr, where, "schema nests too deeply");
        if (!json_is_object(schema))
                return load_fail(reterr, where, "schema is not an object");
        json_object_foreach ((json_t *)schema, key, v) {
                if (in_list(key, annotation_keys, ELEMENTSOF(annotation_keys)))
                        continue;
                if (!in_list(key, keyword_keys, ELEMENTSOF(keyword_keys)))
                        return load_fail(reterr, where, key);
                if (strcmp(key, "$ref") == 0 && !resolve_ref(s, schema))
                        return load_fail(reterr, where, "unresolved $ref");
                if (strcmp(key, "pattern") == 0) {
                        if (!json_is_string(v))
                                return load_fail(reterr, where, "pattern is not a string");
                        r = add_pattern(s, json_string_value(v), reterr);
                        if (r < 0)
                                return r;
                }
                if (strcmp(key, "type") == 0 && !type_keyword_valid(v))
                        return load_fail(reterr, where, "type must name JSON types");
                if ((strcmp(key, "minimum") == 0 || strcmp(key, "maximum") == 0) &&
                    !json_is_number(v))
                        return load_fail(reterr, where, "minimum/maximum must be numbers");
                if ((strcmp(key, "minLength") == 0 || strcmp(key, "maxLength") == 0 ||
                     strcmp(key, "minItems") == 0 || strcmp(key, "maxItems") == 0) &&
                    (!json_is_integer(v) || json_integer_value(v) < 0))
                        return load_fail(reterr, where, "length limits must be integers >= 0");
                if (strcmp(key, "enum") == 0 && (!json_is_array(v) || json_array_size(v) == 0))
                        return load_fail(reterr, where, "enum must be a non-empty list");
                if (strcmp(key, "required") == 0 && !all_strings(v))
                        return load_fail(reterr, where, "required must list names");
                if (strcmp(key, "additionalProperties") == 0 && !json_is_boolean(v))
                        return load_fail(reterr, where, "additionalProperties must be boolean");
                if (strcmp(key, "items") == 0) {
                        r = lint_schema(s, v, where, depth + 1, reterr);
                        if (r < 0)
                                return r;
                }
                if (strcmp(key, "properties") == 0) {
                        const char *pk;
                        json_t *pv;

                        if (!json_is_object(v))
                                return load_fail(reterr, where, "properties is not an object");
                        json_object_foreach (v, pk, pv) {
                                r = lint_schema(s, pv, where, depth + 1, reterr);
                                if (r < 0)
                                        return r;
                        }
                }
                if (strcmp(key, "oneOf") == 0 || strcmp(key, "anyOf") == 0) {
                        size_t i;
                        json_t *alt;

                        if (!json_is_array(v) || json_array_size(v) == 0)
                                return load_fail(reterr, where, "oneOf/anyOf must be a list");
                        json_array_foreach (v, i, alt) {
                                r = lint_schema(s, alt, where, depth + 1, reterr);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        return 0;
}

static int
index_methods(struct pb_schema *s, struct pb_rpc_error *reterr)
{
        json_t *methods = json_object_get(s->doc, "methods");
        json_t *m, *params, *p;
        size_t i, j;
        int r;

        if (!json_is_array(methods))
                return load_fail(reterr, "methods", "missing");
        s->methods = calloc(json_array_size(methods) + 1, sizeof(*s->methods));
        if (!s->methods)
                return pb_rpc_errorf(reterr, PB_ERR_INTERNAL, "out of memory");
        json_array_foreach (methods, i, m) {
                const json_t *name = json_object_get(m, "name");

                params = json_object_get(m, "params");
                if (!json_is_string(name) || !json_is_array(params))
                        return load_fail(reterr, "methods", "method without name or params");
                json_array_foreach (params, j, p) {
                        if (!json_is_string(json_object_get(p, "name")))
                                return load_fail(reterr, json_string_value(name),
                                                 "param without name");
                        r = lint_schema(s, json_object_get(p, "schema"), json_string_value(name), 0,
                                        reterr);
                        if (r < 0)
                                return r;
                }
                s->methods[s->n_methods].name = json_string_value(name);
                s->methods[s->n_methods++].method = m;
        }
        qsort(s->methods, s->n_methods, sizeof(*s->methods), cmp_method);
        for (i = 1; i < s->n_methods; i++)
                if (strcmp(s->methods[i - 1].name, s->methods[i].name) == 0)
                        return load_fail(reterr, s->methods[i].name, "duplicate method");
        return 0;
}

int
pb_schema_new(json_t *doc, struct pb_schema **ret, struct pb_rpc_error *reterr)
{
        struct pb_schema *s;
        const char *key;
        json_t *v;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s) {
                json_decref(doc);
                return pb_rpc_errorf(reterr, PB_ERR_INTERNAL, "out of memory");
        }
        s->doc = doc;
        if (!json_is_object(doc)) {
                r = load_fail(reterr, "document", "not an object");
                goto fail;
        }
        s->components = json_object_get(json_object_get(doc, "components"), "schemas");
        if (s->components) {
                json_object_foreach (s->components, key, v) {
                        r = lint_schema(s, v, key, 0, reterr);
                        if (r < 0)
                                goto fail;
                }
        }
        r = index_methods(s, reterr);
        if (r < 0)
                goto fail;
        if (s->n_patterns > 0)
                qsort(s->patterns, s->n_patterns, sizeof(*s->patterns), cmp_pattern);
        *ret = s;
        return 0;
fail:
        pb_schema_free(s);
        return r;
}

int
pb_schema_new_builtin(struct pb_schema **ret, struct pb_rpc_error *reterr)
{
        json_t *doc;
        int r;

        r = pb_rpc_decode(pb_openrpc_text, pb_openrpc_len, &doc, reterr);
        if (r < 0)
                return r;
        return pb_schema_new(doc, ret, reterr);
}

struct pb_schema *
pb_schema_free(struct pb_schema *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_patterns; i++)
                regfree(&s->patterns[i].re);
        free(s->patterns);
        free(s->methods);
        json_decref(s->doc);
        free(s);
        return NULL;
}

json_t *
pb_schema_document(const struct pb_schema *s)
{
        return s->doc;
}

json_t *
pb_schema_method(const struct pb_schema *s, const char *name)
{
        struct method_entry key = { .name = name };
        const struct method_entry *e;

        e = bsearch(&key, s->methods, s->n_methods, sizeof(key), cmp_method);
        return e ? e->method : NULL;
}

size_t
pb_schema_method_count(const struct pb_schema *s)
{
        return s->n_methods;
}

const char *
pb_schema_method_name(const struct pb_schema *s, size_t i)
{
        return i < s->n_methods ? s->methods[i].name : NULL;
}

/* --- validation -------------------------------------------------------- */

struct path {
        char buf[128];
        size_t len;
};

static size_t
path_push_key(struct path *p, const char *key)
{
        size_t old = p->len;
        int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "%s%s", p->len ? "." : "", key);

        if (n > 0)
                p->len = MIN(p->len + (size_t)n, sizeof(p->buf) - 1);
        return old;
}

static size_t
path_push_index(struct path *p, size_t index)
{
        size_t old = p->len;
        int n = snprintf(p->buf + p->len, sizeof(p->buf) - p->len, "[%zu]", index);

        if (n > 0)
                p->len = MIN(p->len + (size_t)n, sizeof(p->buf) - 1);
        return old;
}

static void
path_pop(struct path *p, size_t old)
{
        p->len = old;
        p->buf[old] = '\0';
}

static const char *
json_type_name(const json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "object";
        case JSON_ARRAY: return "array";
        case JSON_STRING: return "string";
        case JSON_INTEGER: return "integer";
        case JSON_REAL: return "number";
        case JSON_TRUE:
        case JSON_FALSE: return "boolean";
        case JSON_NULL: return "null";
        }
        return "value";
}

static bool
type_matches(const char *type, const json_t *v)
{
        if (strcmp(type, "null") == 0)
                return json_is_null(v);
        if (strcmp(type, "boolean") == 0)
                return json_is_boolean(v);
        if (strcmp(type, "integer") == 0)
                return json_is_integer(v);
        if (strcmp(type, "number") == 0)
                return json_is_number(v);
        if (strcmp(type, "string") == 0)
                return json_is_string(v);
        if (strcmp(type, "array") == 0)
                return json_is_array(v);
        if (strcmp(type, "object") == 0)
                return json_is_object(v);
        return false;
}

/* Returns true if the "type" keyword value 'type' admits 'v'. */
static bool
type_keyword_matches(const json_t *type, const json_t *v)
{
        const json_t *e;
        size_t i;

        if (json_is_string(type))
                return type_matches(json_string_value(type), v);
        json_array_foreach (type, i, e) {
                if (json_is_string(e) && type_matches(json_string_value(e), v))
                        return true;
        }
        return false;
}

/* Returns true if 'schema' admits the JSON type of 'v' at its top level. */
static bool
admits_type(const struct pb_schema *s, const json_t *schema, const json_t *v, int depth)
{
        const json_t *type, *e, *alts;
        size_t i;

        schema = resolve_ref(s, schema);
        if (!schema || depth > MAX_DEPTH)
                return false;
        type = json_object_get(schema, "type");
        if (type)
                return type_keyword_matches(type, v);
        if ((e = json_object_get(schema, "enum"))) {
                const json_t *x;

                json_array_foreach (e, i, x) {
                        if (json_typeof(x) == json_typeof(v) ||
                            (json_is_boolean(x) && json_is_boolean(v)))
                                return true;
                }
                return false;
        }
        alts = json_object_get(schema, "oneOf");
        if (!alts)
                alts = json_object_get(schema, "anyOf");
        if (alts) {
                json_array_foreach (alts, i, e) {
                        if (admits_type(s, e, v, depth + 1))
                                return true;
                }
                return false;
        }
        return true;
}

static int check_value(const struct pb_schema *s, const json_t *schema, const json_t *v,
                       struct path *p, int depth, struct pb_rpc_error *e);

static int
fail(struct pb_rpc_error *e, const struct path *p, const char *fmt, const char *a, const char *b)
{
        char msg[200];

        snprintf(msg, sizeof(msg), fmt, a, b);
        return pb_rpc_error_param(e, p->buf, "invalid params: parameter '%s' %s", p->buf, msg);
}

static void
describe_enum(const json_t *en, char *buf, size_t n)
{
        size_t i, len = 0;
        const json_t *x;

        buf[0] = '\0';
        json_array_foreach (en, i, x) {
                char *t = json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT);
                int w;

                if (!t)
                        break;
                w = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", t);
                free(t);
                if (w < 0 || (size_t)w >= n - len)
                        break;
                len += (size_t)w;
        }
}

static int
check_alternatives(const struct pb_schema *s, const json_t *alts, bool one, const json_t *v,
                   struct path *p, int depth, struct pb_rpc_error *e)
{
        const json_t *alt, *only = NULL;
        size_t i, matches = 0, admitting = 0;
        struct pb_rpc_error scratch;

        json_array_foreach (alts, i, alt) {
                if (check_value(s, alt, v, p, depth + 1, &scratch) == 0)
                        matches++;
                if (admits_type(s, alt, v, 0)) {
                        admitting++;
                        only = alt;
                }
        }
        if (matches == 1 || (matches > 1 && !one))
                return 0;
        if (matches > 1)
                return fail(e, p, "matches more than one allowed form%s%s", "", "");
        /* Report the detailed error of the only form that takes this type. */
        if (admitting == 1)
                return check_value(s, only, v, p, depth + 1, e);
        return fail(e, p, "has no allowed form for a value of type %s%s", json_type_name(v), "");
}

static int
check_object(const struct pb_schema *s, const json_t *schema, const json_t *v, struct path *p,
             int depth, struct pb_rpc_error *e)
{
        const json_t *props = json_object_get(schema, "properties");
        const json_t *req = json_object_get(schema, "required");
        const json_t *addl = json_object_get(schema, "additionalProperties");
        const json_t *x;
        const char *key;
        json_t *val;
        size_t i, old;
        int r;

        json_array_foreach (req, i, x) {
                if (json_is_string(x) && !json_object_get(v, json_string_value(x))) {
                        old = path_push_key(p, json_string_value(x));
                        r = fail(e, p, "is required%s%s", "", "");
                        path_pop(p, old);
                        return r;
                }
        }
        json_object_foreach ((json_t *)v, key, val) {
                const json_t *sub = props ? json_object_get(props, key) : NULL;

                old = path_push_key(p, key);
                if (!sub && json_is_false(addl)) {
                        r = fail(e, p, "is not a known field%s%s", "", "");
                        path_pop(p, old);
                        return r;
                }
                r = sub ? check_value(s, sub, val, p, depth + 1, e) : 0;
                path_pop(p, old);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int
check_value(const struct pb_schema *s, const json_t *schema, const json_t *v, struct path *p,
            int depth, struct pb_rpc_error *e)
{
        const json_t *x;
        char buf[160];
        size_t i;
        int r;

        if (depth > MAX_DEPTH)
                return fail(e, p, "nests too deeply%s%s", "", "");
        schema = resolve_ref(s, schema);
        if (!schema)
                return pb_rpc_errorf(e, PB_ERR_INTERNAL, "unresolved schema reference");

        if ((x = json_object_get(schema, "type")) && !type_keyword_matches(x, v)) {
                char *t = json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT);

                snprintf(buf, sizeof(buf), "%s", t ? t : "?");
                free(t);
                return fail(e, p, "must be of type %s, not %s", buf, json_type_name(v));
        }
        if ((x = json_object_get(schema, "enum"))) {
                bool found = false;
                const json_t *opt;

                json_array_foreach (x, i, opt) {
                        if (json_equal((json_t *)opt, (json_t *)v))
                                found = true;
                }
                if (!found) {
                        describe_enum(x, buf, sizeof(buf));
                        return fail(e, p, "must be one of %s%s", buf, "");
                }
        }
        if (json_is_number(v)) {
                double d = json_number_value(v);

                if ((x = json_object_get(schema, "minimum")) && d < json_number_value(x)) {
                        snprintf(buf, sizeof(buf), "%g", json_number_value(x));
                        return fail(e, p, "must be at least %s%s", buf, "");
                }
                if ((x = json_object_get(schema, "maximum")) && d > json_number_value(x)) {
                        snprintf(buf, sizeof(buf), "%g", json_number_value(x));
                        return fail(e, p, "must be at most %s%s", buf, "");
                }
        }
        if (json_is_string(v)) {
                size_t len = json_string_length(v);
                const regex_t *re;

                if ((x = json_object_get(schema, "minLength")) &&
                    len < (size_t)json_integer_value(x))
                        return fail(e, p, "is too short%s%s", "", "");
                if ((x = json_object_get(schema, "maxLength")) &&
                    len > (size_t)json_integer_value(x))
                        return fail(e, p, "is too long%s%s", "", "");
                if ((x = json_object_get(schema, "pattern"))) {
                        re = find_pattern(s, json_string_value(x));
                        if (!re || strlen(json_string_value(v)) != len ||
                            regexec(re, json_string_value(v), 0, NULL, 0) != 0)
                                return fail(e, p, "does not match %s%s", json_string_value(x), "");
                }
        }
        if (json_is_array(v)) {
                const json_t *item;
                size_t old;

                if ((x = json_object_get(schema, "minItems")) &&
                    json_array_size(v) < (size_t)json_integer_value(x))
                        return fail(e, p, "has too few items%s%s", "", "");
                if ((x = json_object_get(schema, "maxItems")) &&
                    json_array_size(v) > (size_t)json_integer_value(x))
                        return fail(e, p, "has too many items%s%s", "", "");
                if ((x = json_object_get(schema, "items"))) {
                        json_array_foreach (v, i, item) {
                                old = path_push_index(p, i);
                                r = check_value(s, x, item, p, depth + 1, e);
                                path_pop(p, old);
                                if (r < 0)
                                        return r;
                        }
                }
        }
        if (json_is_object(v)) {
                r = check_object(s, schema, v, p, depth, e);
                if (r < 0)
                        return r;
        }
        if ((x = json_object_get(schema, "oneOf")))
                return check_alternatives(s, x, true, v, p, depth, e);
        if ((x = json_object_get(schema, "anyOf")))
                return check_alternatives(s, x, false, v, p, depth, e);
        return 0;
}

int
pb_schema_check_params(const struct pb_schema *s, const char *method, const json_t *params,
                       struct pb_rpc_error *reterr)
{
        const json_t *m = pb_schema_method(s, method);
        const json_t *decls, *d;
        struct path p = { .len = 0 };
        const char *key;
        json_t *val;
        size_t i;
        int r;

        if (!m)
                return -ENOENT;
        decls = json_object_get(m, "params");
        json_object_foreach ((json_t *)params, key, val) {
                const json_t *decl = NULL;

                json_array_foreach (decls, i, d) {
                        if (strcmp(json_string_value(json_object_get(d, "name")), key) == 0)
                                decl = d;
                }
                if (!decl)
                        return pb_rpc_error_param(
                                reterr, key, "invalid params: unknown parameter '%.64s' for %s",
                                key, method);
                path_pop(&p, 0);
                path_push_key(&p, key);
                r = check_value(s, json_object_get(decl, "schema"), val, &p, 0, reterr);
                if (r < 0)
                        return r;
        }
        json_array_foreach (decls, i, d) {
                const char *name = json_string_value(json_object_get(d, "name"));

                if (json_is_true(json_object_get(d, "required")) && !json_object_get(params, name))
                        return pb_rpc_error_param(reterr, name,
                                                  "invalid params: missing required parameter "
                                                  "'%s' for %s",
                                                  name, method);
        }
        return 0;
}

int
pb_schema_check_component(const struct pb_schema *s, const char *name, const char *path,
                          const json_t *value, struct pb_rpc_error *reterr)
{
        const json_t *schema = s->components ? json_object_get(s->components, name) : NULL;
        struct path p = { .len = 0 };

        if (!schema)
                return -ENOENT;
        if (path && *path)
                path_push_key(&p, path);
        return check_value(s, schema, value, &p, 0, reterr);
}
