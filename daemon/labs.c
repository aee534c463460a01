/* SPDX-License-Identifier: MIT */
/* The lab registry: lifetimes, lookups and error mapping for handlers. */
#include "labs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "model.h"
#include "pb-macro.h"

void
pbd_labs_init(struct pbd_daemon *d)
{
        TAILQ_INIT(&d->labs.labs);
        TAILQ_INIT(&d->labs.subs);
        d->labs.next_id = 1;
        pbd_events_init(d);
}

void
pbd_labs_done(struct pbd_daemon *d)
{
        struct pbd_lab *lab;

        while ((lab = TAILQ_FIRST(&d->labs.labs)))
                pbd_lab_destroy(lab);
        pbd_events_done(d);
}

struct pbd_lab *
pbd_lab_find(struct pbd_daemon *d, const char *name)
{
        struct pbd_lab *lab;

        TAILQ_FOREACH (lab, &d->labs.labs, link)
                if (strcmp(lab->name, name) == 0)
                        return lab;
        return NULL;
}

int
pbd_lookup_lab(struct pbd_daemon *d, json_t *params, struct pbd_lab **ret,
               struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "lab"));
        struct pbd_lab *lab;

        if (!name)
                return pb_rpc_error_param(reterr, "lab", "missing parameter 'lab'");
        lab = pbd_lab_find(d, name);
        if (!lab || lab->destroying) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_LAB, "no lab named '%s'", name);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "lab");
                return -ENOENT;
        }
        *ret = lab;
        return 0;
}

int
pbd_lookup_node(struct pbd_daemon *d, json_t *params, const char *node_param,
                struct pbd_lab **ret_lab, struct pbl_node **ret_node, struct pb_rpc_error *reterr)
{
        const char *name;
        struct pbl_node *n;
        int r;

        r = pbd_lookup_lab(d, params, ret_lab, reterr);
        if (r < 0 || !node_param)
                return r;
        name = json_string_value(json_object_get(params, node_param));
        if (!name)
                return pb_rpc_error_param(reterr, node_param, "missing parameter '%s'", node_param);
        n = pbl_lab_node((*ret_lab)->engine, name);
        if (!n) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE, "no node named '%s' in lab '%s'", name,
                              (*ret_lab)->name);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "%s", node_param);
                return -ENOENT;
        }
        *ret_node = n;
        return 0;
}

static const enum pb_err fault_errors[] = {
        [PBL_FAULT_NONE] = PB_ERR_SYSTEM,
        [PBL_FAULT_BAD_NAME] = PB_ERR_INVALID_PARAMS,
        [PBL_FAULT_NAME_TAKEN] = PB_ERR_NAME_TAKEN,
        [PBL_FAULT_NO_SUCH_NODE] = PB_ERR_NO_SUCH_NODE,
        [PBL_FAULT_NO_SUCH_IFACE] = PB_ERR_NO_SUCH_IFACE,
        [PBL_FAULT_IN_USE] = PB_ERR_IN_USE,
        [PBL_FAULT_POOL_EXHAUSTED] = PB_ERR_POOL_EXHAUSTED,
        [PBL_FAULT_UNSUPPORTED] = PB_ERR_UNSUPPORTED,
        [PBL_FAULT_INVALID] = PB_ERR_INVALID_PARAMS,
        [PBL_FAULT_INVALID_STATE] = PB_ERR_INVALID_STATE,
        [PBL_FAULT_LIMIT] = PB_ERR_LIMIT,
};

int
pbd_status_to_error(const struct pbl_status *st, int r, struct pb_rpc_error *reterr)
{
        if (st->fault != PBL_FAULT_NONE) {
                pb_rpc_errorf(reterr, fault_errors[st->fault], "%s", st->message);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "%s", st->parameter);
                return r < 0 ? r : -EINVAL;
        }
        if (r == -ENOMEM)
                return pb_rpc_errorf(reterr, PB_ERR_INTERNAL, "out of memory");
        /*
         * Something this kernel (or the configured shaper) cannot do is the
         * caller's patchbay.Unsupported, not a system failure, wherever in a
         * build it happened.
         */
        if (st->sys.code == -EOPNOTSUPP) {
                if (st->sys.kernel[0])
                        pb_rpc_errorf(reterr, PB_ERR_UNSUPPORTED, "%s (%s)", st->sys.op,
                                      st->sys.kernel);
                else
                        pb_rpc_errorf(reterr, PB_ERR_UNSUPPORTED, "%s", st->sys.op);
                return -EOPNOTSUPP;
        }
        if (st->sys.code)
                return pb_rpc_error_system(reterr, st->sys.code, st->sys.op, st->sys.kernel);
        return pb_rpc_error_system(reterr, r < 0 ? r : -EIO, NULL, NULL);
}

static void
on_owner_closed(struct pbd_conn *conn, struct pbd_conn_hook *hook)
{
        struct pbd_lab *lab = container_of(hook, struct pbd_lab, owner_hook);

        log_info("lab '%s': its session ended, destroying it", lab->name);
        lab->owner = NULL;
        pbd_lab_destroy(lab);
}

void
pbd_lab_attach_owner(struct pbd_lab *lab, struct pbd_conn *conn)
{
        lab->owner = conn;
        lab->owner_hook.fn = on_owner_closed;
        pbd_conn_add_hook(conn, &lab->owner_hook);
}

void
pbd_lab_destroy(struct pbd_lab *lab)
{
        struct pbd_daemon *d = lab->daemon;

        if (lab->destroying)
                return;
        lab->destroying = true;
        if (lab->owner)
                pbd_conn_remove_hook(lab->owner, &lab->owner_hook);
        pbd_proc_lab_gone(lab);
        pbd_probe_lab_gone(lab);
        pbd_capture_lab_gone(lab);
        pbd_event(lab, "lab_destroyed", NULL);
        pbd_lab_outdir_close(lab);
        pbd_lab_free_ext(lab->engine);
        lab->engine = pbl_lab_destroy(lab->engine);
        TAILQ_REMOVE(&d->labs.labs, lab, link);
        d->labs.n_labs--;
        free(lab->outdir);
        free(lab);
}
