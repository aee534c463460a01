/* SPDX-License-Identifier: MIT */
/* lab.create, lab.destroy, lab.list, lab.state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "log.h"
#include "model.h"
#include "pb-macro.h"

/* Labs a daemon holds at once: each has a PID namespace, a reaper and fds. */
#define MAX_LABS 256

const struct pbd_addressing_field pbd_addressing_fields[] = {
        { "ix4", offsetof(struct pbl_addressing, ix4) },
        { "ix6", offsetof(struct pbl_addressing, ix6) },
        { "public4", offsetof(struct pbl_addressing, public4) },
        { "private4", offsetof(struct pbl_addressing, private4) },
        { "public6", offsetof(struct pbl_addressing, public6) },
        { "private6", offsetof(struct pbl_addressing, private6) },
        { "regions4", offsetof(struct pbl_addressing, regions4) },
        { "regions6", offsetof(struct pbl_addressing, regions6) },
};
const size_t pbd_addressing_fields_count = ELEMENTSOF(pbd_addressing_fields);

static int
parse_addressing(json_t *obj, struct pbl_addressing *plan, struct pb_rpc_error *reterr)
{
        const struct pbd_addressing_field *fields = pbd_addressing_fields;

        pbl_addressing_default(plan);
        for (size_t i = 0; obj && i < pbd_addressing_fields_count; i++) {
                const char *text = json_string_value(json_object_get(obj, fields[i].key));
                char param[32];

                if (!text)
                        continue;
                snprintf(param, sizeof(param), "addressing.%s", fields[i].key);
                if (pbl_prefix_parse(text, false,
                                     (struct pbl_prefix *)((char *)plan + fields[i].off)) < 0)
                        return pb_rpc_error_param(reterr, param,
                                                  "%s is not a network prefix (host bits must "
                                                  "be zero)",
                                                  param);
        }
        return 0;
}

/* "<base>/<YYYYmmdd_HHMMSS>-<lab>" under the daemon's --outdir. */
static void
nested_outdir(const char *base, const char *lab, char *buf, size_t n)
{
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        snprintf(buf, n, "%s/%04d%02d%02d_%02d%02d%02d-%s", base, tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, lab);
}

int
pbd_apply_lab_create(struct pbd_call *call, json_t *params, struct pbd_lab **ret,
                     struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        const char *name = json_string_value(json_object_get(params, "name"));
        const char *lifetime = json_string_value(json_object_get(params, "lifetime"));
        const char *outdir = json_string_value(json_object_get(params, "outdir"));
        bool dad = json_is_true(json_object_get(params, "ipv6_dad"));
        struct pbl_addressing plan;
        struct pbl_status st = { 0 };
        char generated[PBL_NAME_MAX], dir[4096];
        struct pbd_lab *lab;
        int r;

        r = parse_addressing(json_object_get(params, "addressing"), &plan, reterr);
        if (r < 0)
                return r;
        if (d->labs.n_labs >= MAX_LABS)
                return pb_rpc_errorf(reterr, PB_ERR_LIMIT, "a daemon holds at most %d labs",
                                     MAX_LABS);
        if (!name) {
                do
                        snprintf(generated, sizeof(generated), "lab%u", d->labs.next_id++);
                while (pbd_lab_find(d, generated));
                name = generated;
        }
        if (pbd_lab_find(d, name)) {
                pb_rpc_errorf(reterr, PB_ERR_NAME_TAKEN, "a lab named '%s' exists", name);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "name");
                return -EEXIST;
        }
        lab = calloc(1, sizeof(*lab));
        if (!lab)
                return -ENOMEM;
        lab->daemon = d;
        snprintf(lab->name, sizeof(lab->name), "%s", name);
        lab->lifetime = lifetime && strcmp(lifetime, "daemon") == 0 ? PBD_LIFETIME_DAEMON
                                                                    : PBD_LIFETIME_SESSION;
        pbd_timestamp(lab->created, sizeof(lab->created));

        r = pbl_lab_create(name, d->labs.next_id++, &plan, dad, &lab->engine, &st);
        if (r < 0) {
                free(lab);
                return pbd_status_to_error(&st, r, reterr);
        }
        if (outdir || d->cfg.outdir) {
                if (!outdir)
                        nested_outdir(d->cfg.outdir, name, dir, sizeof(dir));
                r = pbd_lab_outdir_open(lab, outdir ? outdir : dir, reterr);
                if (r < 0) {
                        pbd_lab_outdir_close(lab);
                        pbl_lab_destroy(lab->engine);
                        free(lab->outdir);
                        free(lab);
                        return r;
                }
        }
        TAILQ_INSERT_TAIL(&d->labs.labs, lab, link);
        d->labs.n_labs++;
        if (lab->lifetime == PBD_LIFETIME_SESSION)
                pbd_lab_attach_owner(lab, pbd_call_conn(call));
        pbd_event(lab, "lab_created",
                  json_pack("{s:s, s:s?, s:o}", "lifetime",
                            lab->lifetime == PBD_LIFETIME_SESSION ? "session" : "daemon", "outdir",
                            lab->outdir, "ix", pbd_ix_json(lab->engine)));
        *ret = lab;
        return 0;
}

static int
method_create(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_apply_lab_create(call, params, &lab, reterr);
        if (r < 0)
                return r;
        *ret_result = pbd_lab_summary(lab);
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_destroy(struct pbd_call *call, json_t *params, json_t **ret_result,
               struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        if (r < 0)
                return r;
        pbd_lab_destroy(lab);
        *ret_result = json_object();
        return 0;
}

static int
method_list(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_daemon *d = pbd_call_daemon(call);
        json_auto_t *arr = json_array();
        struct pbd_lab *lab;

        if (!arr)
                return -ENOMEM;
        TAILQ_FOREACH (lab, &d->labs.labs, link)
                if (json_array_append_new(arr, pbd_lab_summary(lab)) < 0)
                        return -ENOMEM;
        *ret_result = TAKE_PTR(arr);
        return 0;
}

static int
method_state(struct pbd_call *call, json_t *params, json_t **ret_result,
             struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        if (r < 0)
                return r;
        *ret_result = pbd_lab_state(lab);
        return *ret_result ? 0 : -ENOMEM;
}

const struct pbd_method pbd_methods_lab[] = {
        { "lab.create", method_create, PBD_METHOD_MUTATES },
        { "lab.destroy", method_destroy, PBD_METHOD_MUTATES },
        { "lab.list", method_list, 0 },
        { "lab.state", method_state, 0 },
};
const size_t pbd_methods_lab_count = ELEMENTSOF(pbd_methods_lab);
