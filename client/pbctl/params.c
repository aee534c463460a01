/* SPDX-License-Identifier: MIT */
/*
 * pbctl parameter syntax: command-line text to the API's JSON values.
 *
 * Structured values (conditions, NAT configurations, firewalls, address
 * plans) take three forms: a name, "key=value,key=value", or raw JSON
 * starting with '{'.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb-macro.h"
#include "pbctl.h"

static json_t *__attribute__((format(printf, 3, 4))) fail(char *err, size_t n, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
        return NULL;
}

static json_t *
parse_json_object(const char *text, char *err, size_t n)
{
        json_error_t jerr;
        json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

        if (!v)
                return fail(err, n, "invalid JSON: %s (column %d)", jerr.text, jerr.column);
        if (!json_is_object(v)) {
                json_decref(v);
                return fail(err, n, "not a JSON object");
        }
        return v;
}

static json_t *
parse_int(const char *text, char *err, size_t n)
{
        long long v;
        char *end;

        errno = 0;
        v = strtoll(text, &end, 10);
        if (errno || end == text || *end)
                return fail(err, n, "not an integer");
        return json_integer(v);
}

static json_t *
parse_bool(const char *text, char *err, size_t n)
{
        static const char *const yes[] = { "true", "yes", "on", "1", "y" };
        static const char *const no[] = { "false", "no", "off", "0", "n" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(text, yes[i]) == 0)
                        return json_true();
                if (strcasecmp(text, no[i]) == 0)
                        return json_false();
        }
        return fail(err, n, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", text);
}

/* An integral number becomes a JSON integer, so that requests read naturally. */
static json_t *
number(double v)
{
        if (v > -1e15 && v < 1e15 && v == (double)(json_int_t)v)
                return json_integer((json_int_t)v);
        return json_real(v);
}

struct unit {
        const char *suffix;
        double factor;
};

static const struct unit time_units[] = {
        { "", 1 }, { "ms", 1 }, { "s", 1000 }, { "us", 0.001 }, {}
};
static const struct unit rate_units[] = { { "", 1 },       { "kbit", 1 },    { "k", 1 },
                                          { "mbit", 1e3 }, { "m", 1e3 },     { "gbit", 1e6 },
                                          { "g", 1e6 },    { "bit", 0.001 }, {} };
static const struct unit pct_units[] = { { "", 1 }, { "%", 1 }, {} };

static json_t *
parse_number(const char *key, const char *text, const struct unit *units, char *err, size_t n)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(text, &end);
        if (errno || end == text || !isfinite(v))
                return fail(err, n, "%s: '%s' is not a number", key, text);
        for (const struct unit *u = units; u->suffix; u++)
                if (strcasecmp(end, u->suffix) == 0)
                        return number(v * u->factor);
        return fail(err, n, "%s: unknown unit '%s'", key, end);
}

/*
 * Splits "k=v,k=v" and hands each pair to 'set'.  A word without '=' after
 * a pair continues that pair's value ("tcp=80,443" lists two ports), if
 * 'set' accepts continuations.
 */
typedef int kv_setter(json_t *obj, const char *key, const char *value, bool more, char *err,
                      size_t n);

static json_t *
parse_kv(const char *text, kv_setter *set, char *err, size_t n)
{
        _cleanup_free_ char *copy = strdup(text);
        json_auto_t *obj = json_object();
        char *save = NULL, *key = NULL;

        if (!copy || !obj)
                return fail(err, n, "out of memory");
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(tok, '=');
                bool more = !eq;

                if (eq) {
                        *eq = '\0';
                        key = tok;
                } else if (!key) {
                        return fail(err, n, "'%s' is not key=value", tok);
                }
                if (set(obj, key, eq ? eq + 1 : tok, more, err, n) < 0)
                        return NULL;
        }
        if (json_object_size(obj) == 0)
                return fail(err, n, "empty");
        return TAKE_PTR(obj);
}

static int
set_new(json_t *obj, const char *key, json_t *v, char *err, size_t n)
{
        if (!v)
                return -1;
        if (json_object_set_new(obj, key, v) < 0) {
                fail(err, n, "out of memory");
                return -1;
        }
        return 0;
}

static const struct cond_key {
        const char *name, *key;
        const struct unit *units;
} cond_keys[] = {
        { "latency", "latency_ms", time_units },     { "delay", "latency_ms", time_units },
        { "jitter", "jitter_ms", time_units },       { "loss", "loss_pct", pct_units },
        { "rate", "rate_kbit", rate_units },         { "reorder", "reorder_pct", pct_units },
        { "duplicate", "duplicate_pct", pct_units }, { "dup", "duplicate_pct", pct_units },
        { "corrupt", "corrupt_pct", pct_units },
};

static int
set_cond(json_t *obj, const char *key, const char *value, bool more, char *err, size_t n)
{
        if (more) {
                fail(err, n, "'%s' is not key=value", value);
                return -1;
        }
        if (strcmp(key, "preset") == 0)
                return set_new(obj, key, json_string(value), err, n);
        for (size_t i = 0; i < ELEMENTSOF(cond_keys); i++)
                if (strcmp(key, cond_keys[i].name) == 0 || strcmp(key, cond_keys[i].key) == 0)
                        return set_new(obj, cond_keys[i].key,
                                       parse_number(key, value, cond_keys[i].units, err, n), err,
                                       n);
        fail(err, n,
             "unknown condition key '%s' (latency, jitter, loss, rate, reorder, duplicate, "
             "corrupt, preset)",
             key);
        return -1;
}

json_t *
pbctl_parse_condition(const char *text, char *err, size_t n)
{
        if (strcmp(text, "none") == 0 || strcmp(text, "null") == 0)
                return json_null();
        if (text[0] == '{')
                return parse_json_object(text, err, n);
        if (strchr(text, '='))
                return parse_kv(text, set_cond, err, n);
        if (!text[0])
                return fail(err, n, "empty condition");
        return json_string(text);
}

static int
set_nat(json_t *obj, const char *key, const char *value, bool more, char *err, size_t n)
{
        static const char *const timeouts[] = { "udp", "udp_stream", "tcp_established" };
        json_t *t;

        if (more) {
                fail(err, n, "'%s' is not key=value", value);
                return -1;
        }
        if (strcmp(key, "mapping") == 0 || strcmp(key, "filtering") == 0)
                return set_new(obj, key, json_string(value), err, n);
        if (strcmp(key, "hairpin") == 0)
                return set_new(obj, key, parse_bool(value, err, n), err, n);
        for (size_t i = 0; i < ELEMENTSOF(timeouts); i++) {
                if (strcmp(key, timeouts[i]) != 0)
                        continue;
                t = json_object_get(obj, "timeouts");
                if (!t && set_new(obj, "timeouts", t = json_object(), err, n) < 0)
                        return -1;
                return set_new(t, key, parse_int(value, err, n), err, n);
        }
        fail(err, n,
             "unknown NAT key '%s' (mapping, filtering, hairpin, udp, udp_stream, "
             "tcp_established)",
             key);
        return -1;
}

/* "all", "none", or ports joined by '+' (more ports may follow as ",443"). */
static int
set_ports(json_t *obj, const char *key, const char *value, bool more, char *err, size_t n)
{
        _cleanup_free_ char *copy = strdup(value);
        json_t *policy = json_object_get(obj, key), *allow;
        char *save = NULL;

        if (!copy) {
                fail(err, n, "out of memory");
                return -1;
        }
        if (!more && (strcmp(value, "all") == 0 || strcmp(value, "none") == 0))
                return set_new(obj, key, json_string(value), err, n);
        if (!more || !json_is_object(policy)) {
                if (more) {
                        fail(err, n, "'%s' does not continue a port list", value);
                        return -1;
                }
                if (set_new(obj, key, policy = json_pack("{s:[]}", "allow"), err, n) < 0)
                        return -1;
        }
        allow = json_object_get(policy, "allow");
        for (char *p = strtok_r(copy, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
                json_t *port = parse_int(p, err, n);

                if (!port || json_array_append_new(allow, port) < 0) {
                        if (port)
                                fail(err, n, "out of memory");
                        else
                                fail(err, n, "%s: '%s' is not a port", key, p);
                        return -1;
                }
        }
        return 0;
}

static int
set_firewall(json_t *obj, const char *key, const char *value, bool more, char *err, size_t n)
{
        if (strcmp(key, "tcp") == 0 || strcmp(key, "udp") == 0)
                return set_ports(obj, key, value, more, err, n);
        if (more) {
                fail(err, n, "'%s' is not key=value", value);
                return -1;
        }
        if (strcmp(key, "block_inbound") == 0 || strcmp(key, "block-inbound") == 0)
                return set_new(obj, "block_inbound", parse_bool(value, err, n), err, n);
        if (strcmp(key, "inbound") == 0) {
                if (strcmp(value, "block") && strcmp(value, "allow")) {
                        fail(err, n, "inbound: 'block' or 'allow', not '%s'", value);
                        return -1;
                }
                return set_new(obj, "block_inbound", json_boolean(!strcmp(value, "block")), err, n);
        }
        fail(err, n, "unknown firewall key '%s' (block_inbound, tcp, udp)", key);
        return -1;
}

static int
set_string(json_t *obj, const char *key, const char *value, bool more, char *err, size_t n)
{
        if (more) {
                fail(err, n, "'%s' is not key=value", value);
                return -1;
        }
        return set_new(obj, key, json_string(value), err, n);
}

/* A name, key=value,... through 'set', or a JSON object. */
static json_t *
parse_structured(const char *text, kv_setter *set, char *err, size_t n)
{
        if (text[0] == '{')
                return parse_json_object(text, err, n);
        if (strchr(text, '='))
                return parse_kv(text, set, err, n);
        if (!text[0])
                return fail(err, n, "empty");
        return json_string(text);
}

static json_t *
parse_path(const char *text, char *err, size_t n)
{
        _cleanup_free_ char *cwd = NULL, *abs = NULL;

        if (!text[0])
                return fail(err, n, "empty path");
        if (text[0] == '/')
                return json_string(text);
        cwd = getcwd(NULL, 0);
        if (!cwd)
                return fail(err, n, "cannot resolve a relative path: %s", strerror(errno));
        if (asprintf(&abs, "%s/%s", strcmp(cwd, "/") ? cwd : "", text) < 0) {
                abs = NULL;
                return fail(err, n, "out of memory");
        }
        return json_string(abs);
}

static json_t *
parse_ip_support(const char *text, char *err, size_t n)
{
        static const char *const names[][3] = {
                { "v4", "v4-only", "ipv4" },
                { "v6", "v6-only", "ipv6" },
                { "dual", "dual-stack", "both" },
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                for (size_t j = 0; j < 3; j++)
                        if (strcmp(text, names[i][j]) == 0)
                                return json_string(names[i][1]);
        return fail(err, n, "v4, v6 or dual");
}

json_t *
pbctl_parse_value(enum pbctl_type type, const char *text, char *err, size_t n)
{
        json_t *v;

        switch (type) {
        case PBCTL_T_INT: return parse_int(text, err, n);
        case PBCTL_T_TRUE: return json_true();
        case PBCTL_T_FALSE: return json_false();
        case PBCTL_T_COND: return pbctl_parse_condition(text, err, n);
        case PBCTL_T_NAT: return parse_structured(text, set_nat, err, n);
        case PBCTL_T_FIREWALL: return parse_structured(text, set_firewall, err, n);
        case PBCTL_T_OBJECT:
                if (text[0] == '{')
                        return parse_json_object(text, err, n);
                return parse_kv(text, set_string, err, n);
        case PBCTL_T_PATH: return parse_path(text, err, n);
        case PBCTL_T_IP: return parse_ip_support(text, err, n);
        case PBCTL_T_SIGNAL:
                /* "-9" and "-KILL" as kill(1) takes them. */
                if (text[0] == '-')
                        text++;
                if (isdigit((unsigned char)text[0]))
                        return parse_int(text, err, n);
                return json_string(text);
        case PBCTL_T_NONE:
        case PBCTL_T_ARGV:
        case PBCTL_T_STRING: break;
        }
        v = json_string(text);
        return v ? v : fail(err, n, "not valid UTF-8");
}

char *
pbctl_read_file(const char *path, size_t *ret_len)
{
        _cleanup_(fclosep) FILE *owned = NULL;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0, got;
        FILE *f = stdin;

        if (strcmp(path, "-") != 0) {
                f = owned = fopen(path, "re");
                if (!f)
                        return NULL;
        }
        do {
                if (cap - len < 4096) {
                        char *nb = realloc(buf, cap = cap * 2 + 8192);

                        if (!nb)
                                return NULL;
                        buf = nb;
                }
                got = fread(buf + len, 1, cap - len - 1, f);
                len += got;
        } while (got > 0);
        if (ferror(f)) {
                errno = EIO;
                return NULL;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        return TAKE_PTR(buf);
}
