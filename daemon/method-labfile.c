/* SPDX-License-Identifier: MIT */
/*
 * lab.load and lab.export: topology documents (SPEC §10).
 *
 * lab.load first checks the whole document without touching anything:
 * every entry, after `count` expansion, is validated against the schema of
 * the method it stands for (router.add, device.add, ...), routers are
 * ordered parents first, and dangling or cyclic upstreams are refused.  It
 * then creates the lab and applies each entry through the very functions
 * the methods use (apply.h), so validation, events and state are the
 * same.  Any failure destroys the lab, kernel state included, and returns
 * the entry's error with its place in the document ("topology.routers[3]").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "log.h"
#include "pb-macro.h"
#include "pb-schema.h"

/* One entry to apply: the params of its method, and where it came from. */
struct entry {
        json_t *params; /* Owned; carries "lab" (a placeholder until the lab exists). */
        char where[48]; /* "topology.routers[3]" */
};

struct plan {
        struct entry *e;
        size_t n, cap;
};

static void
plan_done(struct plan *p)
{
        for (size_t i = 0; i < p->n; i++)
                json_decref(p->e[i].params);
        free(p->e);
        *p = (struct plan){ 0 };
}

static int
plan_add(struct plan *p, json_t *params, const char *where)
{
        if (p->n == p->cap) {
                size_t cap = p->cap ? p->cap * 2 : 16;
                struct entry *e = reallocarray(p->e, cap, sizeof(*e));

                if (!e) {
                        json_decref(params);
                        return -ENOMEM;
                }
                p->e = e;
                p->cap = cap;
        }
        p->e[p->n].params = params;
        snprintf(p->e[p->n].where, sizeof(p->e[p->n].where), "%s", where);
        p->n++;
        return 0;
}

/* Appends 's' to 'buf' (size 'n', 'len' used), cutting it short; 'buf' stays terminated. */
static void
append(char *buf, size_t n, size_t *len, const char *s)
{
        size_t k = strnlen(s, n - 1 - *len);

        memcpy(buf + *len, s, k);
        *len += k;
        buf[*len] = '\0';
}

/*
 * Puts the entry's place in front of an error: the parameter becomes
 * "topology.routers[3].nat" and the message names the entry.  A long
 * parameter path or message is cut short.
 */
static int
locate_error(struct pb_rpc_error *e, const char *where, json_t *params, int r)
{
        const char *name = json_string_value(json_object_get(params, "name"));
        char param[sizeof(e->parameter)], msg[sizeof(e->message)];
        size_t lp = 0, lm = 0;

        if (e->err == PB_ERR_NONE) {
                if (r == -ENOMEM)
                        pb_rpc_errorf(e, PB_ERR_INTERNAL, "out of memory");
                else
                        pb_rpc_error_system(e, r, NULL, NULL);
        }
        append(param, sizeof(param), &lp, where);
        if (e->parameter[0]) {
                append(param, sizeof(param), &lp, ".");
                append(param, sizeof(param), &lp, e->parameter);
        }
        append(msg, sizeof(msg), &lm, where);
        if (name) {
                append(msg, sizeof(msg), &lm, " ('");
                append(msg, sizeof(msg), &lm, name);
                append(msg, sizeof(msg), &lm, "')");
        }
        append(msg, sizeof(msg), &lm, ": ");
        append(msg, sizeof(msg), &lm, e->message);
        memcpy(e->parameter, param, sizeof(param));
        memcpy(e->message, msg, sizeof(msg));
        return r < 0 ? r : -EINVAL;
}

/*
 * Checks 'params' (owned) against 'method''s schema and adds them to 'p';
 * a failure names the entry 'where'.
 */
static int
plan_checked(struct pbd_daemon *d, const char *method, json_t *params, const char *where,
             struct plan *p, struct pb_rpc_error *reterr)
{
        int r = pb_schema_check_params(d->schema, method, params, reterr);

        if (r < 0) {
                r = locate_error(reterr, where, params, r);
                json_decref(params);
                return r;
        }
        return plan_add(p, params, where);
}

/*
 * Adds the entries of document array 'key', each checked against 'method'
 * (with a placeholder lab), expanding `count` when 'countable'.
 */
static int
plan_array(struct pbd_daemon *d, json_t *topo, const char *key, const char *method, bool countable,
           struct plan *p, struct pb_rpc_error *reterr)
{
        json_t *arr = json_object_get(topo, key), *item;
        size_t i;
        int r;

        json_array_foreach (arr, i, item) {
                json_int_t count = json_integer_value(json_object_get(item, "count"));
                const char *name = json_string_value(json_object_get(item, "name"));
                char where[48];

                snprintf(where, sizeof(where), "topology.%s[%zu]", key, i);
                for (json_int_t k = 0; k < (countable && count > 0 ? count : 1); k++) {
                        json_t *params = json_copy(item);
                        char expanded[64];

                        if (!params || json_object_set_new(params, "lab", json_string("x")) < 0) {
                                json_decref(params);
                                return -ENOMEM;
                        }
                        (void)json_object_del(params, "count"); /* Absent is fine. */
                        if (countable && count > 0) {
                                snprintf(expanded, sizeof(expanded), "%s-%lld", name, (long long)k);
                                if (json_object_set_new(params, "name", json_string(expanded)) <
                                    0) {
                                        json_decref(params);
                                        return -ENOMEM;
                                }
                        }
                        if (strcmp(method, "region.link") == 0 &&
                            !json_object_get(params, "condition") &&
                            json_object_set_new(params, "condition", json_null()) < 0) {
                                json_decref(params);
                                return -ENOMEM;
                        }
                        r = plan_checked(d, method, params, where, p, reterr);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Depth-first: each router after its parent, document order otherwise. */
enum { WHITE, GREY, BLACK };

static int
visit(struct plan *in, size_t i, json_t *index, unsigned char *mark, struct plan *out,
      struct pb_rpc_error *reterr)
{
        struct entry *e = &in->e[i];
        const char *up = json_string_value(json_object_get(e->params, "upstream"));
        json_t *parent = up ? json_object_get(index, up) : NULL;
        int r;

        if (mark[i] == BLACK)
                return 0;
        if (mark[i] == GREY) {
                pb_rpc_error_param(reterr, "upstream", "upstream '%s' leads to a cycle", up);
                return locate_error(reterr, e->where, e->params, -EINVAL);
        }
        mark[i] = GREY;
        if (up && !parent && strncmp(up, "region_", 7) != 0) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE, "no router '%s' in the document", up);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "upstream");
                return locate_error(reterr, e->where, e->params, -ENOENT);
        }
        if (parent) {
                r = visit(in, (size_t)json_integer_value(parent), index, mark, out, reterr);
                if (r < 0)
                        return r;
        }
        mark[i] = BLACK;
        r = plan_add(out, e->params, e->where);
        e->params = NULL; /* Moved. */
        return r;
}

static int
sort_routers(struct plan *routers, struct pb_rpc_error *reterr)
{
        _cleanup_free_ unsigned char *mark = calloc(routers->n + 1, 1);
        json_auto_t *index = json_object();
        struct plan out = { 0 };
        int r = 0;

        if (!mark || !index)
                return -ENOMEM;
        for (size_t i = 0; i < routers->n; i++) {
                const char *name = json_string_value(json_object_get(routers->e[i].params, "name"));

                /* A duplicate name fails when it is built (NameTaken): keep the first. */
                if (!json_object_get(index, name) &&
                    json_object_set_new(index, name, json_integer((json_int_t)i)) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < routers->n && r >= 0; i++)
                if (mark[i] != BLACK)
                        r = visit(routers, i, index, mark, &out, reterr);
        if (r < 0) {
                plan_done(&out);
                return r;
        }
        plan_done(routers);
        *routers = out;
        return 0;
}

/* The sections in build order, with the method each entry stands for. */
static const struct {
        const char *key, *method;
        bool countable;
} sections[] = {
        { "regions", "region.add", false },
        { "region_links", "region.link", false },
        { "routers", "router.add", true },
        { "devices", "device.add", true },
        { "links", "link.set_condition", false },
        { "dns", NULL, false }, /* plan_dns(): dns.add or dns.set_nameserver. */
};

/*
 * DNS entries, as dns.add ({name, ip, device?}) or dns.set_nameserver
 * ({nameserver} becomes {ip}); applied through the methods' own handlers.
 */
static int
plan_dns(struct pbd_daemon *d, json_t *topo, struct plan *p, struct pb_rpc_error *reterr)
{
        json_t *item;
        size_t i;
        int r;

        json_array_foreach (json_object_get(topo, "dns"), i, item) {
                json_t *ns = json_object_get(item, "nameserver");
                json_t *params = ns ? json_pack("{s:O}", "ip", ns) : json_copy(item);
                const char *method = ns ? "dns.set_nameserver" : "dns.add";
                char where[48];

                snprintf(where, sizeof(where), "topology.dns[%zu]", i);
                if (!params || json_object_set_new(params, "lab", json_string("x")) < 0) {
                        json_decref(params);
                        return -ENOMEM;
                }
                r = plan_checked(d, method, params, where, p, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* dns.add / dns.set_nameserver through their handlers, with the real lab name. */
static int
apply_dns(struct pbd_call *call, struct pbd_lab *lab, json_t *params, struct pb_rpc_error *reterr)
{
        /* A host entry has a name; the nameserver has only an address. */
        bool host = json_object_get(params, "name");
        const struct pbd_method *m = pbd_dispatch_lookup(host ? "dns.add" : "dns.set_nameserver");
        json_auto_t *res = NULL;
        int r;

        if (!m)
                return pb_rpc_errorf(reterr, PB_ERR_UNSUPPORTED,
                                     "this patchbayd does not implement DNS");
        if (json_object_set_new(params, "lab", json_string(lab->name)) < 0)
                return -ENOMEM;
        r = m->fn(call, params, &res, reterr);
        return r == PBD_REPLY_DEFERRED ? -EINVAL : r;
}

/* lab.create's params: the call's name and lifetime, the document's plan. */
static json_t *
create_params(json_t *params, json_t *topo)
{
        static const char *const from_call[] = { "name", "lifetime" };
        static const char *const from_doc[] = { "addressing", "ipv6_dad" };
        json_t *p = json_object();

        for (size_t i = 0; p && i < ELEMENTSOF(from_call); i++)
                if (json_object_get(params, from_call[i]) &&
                    json_object_set(p, from_call[i], json_object_get(params, from_call[i])) < 0)
                        json_decref(p), p = NULL;
        for (size_t i = 0; p && i < ELEMENTSOF(from_doc); i++)
                if (json_object_get(topo, from_doc[i]) &&
                    json_object_set(p, from_doc[i], json_object_get(topo, from_doc[i])) < 0)
                        json_decref(p), p = NULL;
        return p;
}

static int
apply_entry(struct pbd_call *call, struct pbd_lab *lab, int section, json_t *params,
            struct pb_rpc_error *reterr)
{
        json_auto_t *res = NULL;

        switch (section) {
        case 0: return pbd_apply_region_add(lab, params, &res, reterr);
        case 1: return pbd_apply_region_link(lab, params, reterr);
        case 2: return pbd_apply_router_add(lab, params, &res, reterr);
        case 3: return pbd_apply_device_add(lab, params, &res, reterr);
        case 4: return pbd_apply_link_condition(lab, params, reterr);
        default: return apply_dns(call, lab, params, reterr);
        }
}

static int
build(struct pbd_call *call, struct pbd_lab *lab, struct plan *plans, struct pb_rpc_error *reterr)
{
        for (size_t s = 0; s < ELEMENTSOF(sections); s++)
                for (size_t i = 0; i < plans[s].n; i++) {
                        struct entry *e = &plans[s].e[i];
                        int r;

                        *reterr = (struct pb_rpc_error){ 0 };
                        r = apply_entry(call, lab, (int)s, e->params, reterr);
                        if (r < 0)
                                return locate_error(reterr, e->where, e->params, r);
                }
        return 0;
}

static int
method_load(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        json_t *topo = json_object_get(params, "topology");
        struct plan plans[ELEMENTSOF(sections)] = { 0 };
        json_auto_t *cparams = NULL;
        struct pbd_lab *lab = NULL;
        int r = 0;

        for (size_t s = 0; s < ELEMENTSOF(sections) - 1 && r >= 0; s++)
                r = plan_array(d, topo, sections[s].key, sections[s].method, sections[s].countable,
                               &plans[s], reterr);
        r = r ?: plan_dns(d, topo, &plans[ELEMENTSOF(sections) - 1], reterr);
        r = r ?: sort_routers(&plans[2], reterr);
        if (r >= 0) {
                cparams = create_params(params, topo);
                r = cparams ? pbd_apply_lab_create(call, cparams, &lab, reterr) : -ENOMEM;
        }
        if (r >= 0) {
                r = build(call, lab, plans, reterr);
                if (r < 0) {
                        log_info("lab '%s': lab.load failed at %s, destroying it", lab->name,
                                 reterr->parameter);
                        pbd_lab_destroy(lab);
                }
        }
        for (size_t s = 0; s < ELEMENTSOF(sections); s++)
                plan_done(&plans[s]);
        if (r < 0)
                return r;
        *ret_result = pbd_lab_state(lab);
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_export(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        if (r < 0)
                return r;
        *ret_result = pbd_lab_export(lab);
        return *ret_result ? 0 : -ENOMEM;
}

const struct pbd_method pbd_methods_labfile[] = {
        { "lab.export", method_export, 0 },
        { "lab.load", method_load, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_labfile_count = ELEMENTSOF(pbd_methods_labfile);
