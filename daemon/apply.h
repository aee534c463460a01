/* SPDX-License-Identifier: MIT */
/*
 * The parse-and-apply half of the building methods, without the lab lookup:
 * the method handlers call them with the lab named by "lab", and lab.load
 * calls them for every entry of a topology document, so both go through
 * exactly the same code (validation, engine calls, 'ext' configuration,
 * events).  'params' are the method's params (a "lab" member is ignored);
 * errors name parameters relative to them.
 */
#ifndef PBD_APPLY_H
#define PBD_APPLY_H

#include <jansson.h>
#include <stddef.h>

#include "pb-rpc.h"

struct pbd_call;
struct pbd_lab;

/* The prefixes of lab.create's "addressing": their keys and places in struct pbl_addressing. */
struct pbd_addressing_field {
        const char *key;
        size_t off;
};
extern const struct pbd_addressing_field pbd_addressing_fields[];
extern const size_t pbd_addressing_fields_count;

/* lab.create: registers the lab and emits lab_created. */
int pbd_apply_lab_create(struct pbd_call *call, json_t *params, struct pbd_lab **ret,
                         struct pb_rpc_error *reterr);

/* region.add, region.link (no result), router.add, device.add, link.set_condition (no result). */
int pbd_apply_region_add(struct pbd_lab *lab, json_t *params, json_t **ret_result,
                         struct pb_rpc_error *reterr);
int pbd_apply_region_link(struct pbd_lab *lab, json_t *params, struct pb_rpc_error *reterr);
int pbd_apply_router_add(struct pbd_lab *lab, json_t *params, json_t **ret_result,
                         struct pb_rpc_error *reterr);
int pbd_apply_device_add(struct pbd_lab *lab, json_t *params, json_t **ret_result,
                         struct pb_rpc_error *reterr);
int pbd_apply_link_condition(struct pbd_lab *lab, json_t *params, struct pb_rpc_error *reterr);

/* lab.export: the lab as a topology document (new reference, NULL on ENOMEM). */
json_t *pbd_lab_export(struct pbd_lab *lab);

#endif
