/* SPDX-License-Identifier: MIT */
/* Lookups and helpers shared by the device and interface handlers. */
#ifndef PBD_METHOD_NODE_H
#define PBD_METHOD_NODE_H

#include <jansson.h>

#include "dispatch.h"
#include "labs.h"

/* Looks up "lab" and the device named by 'param'; NoSuchLab / NoSuchNode otherwise. */
int pbd_lookup_device(struct pbd_call *call, json_t *params, const char *param,
                      struct pbd_lab **ret_lab, struct pbl_device **ret,
                      struct pb_rpc_error *reterr);

/* Looks up "lab", "device" and "iface"; NoSuchIface for a missing interface. */
int pbd_lookup_iface(struct pbd_call *call, json_t *params, struct pbd_lab **ret_lab,
                     struct pbl_device **ret_dev, struct pbl_iface **ret,
                     struct pb_rpc_error *reterr);

/*
 * Parses an interface's "condition" (JSON, may be NULL) and "direction"
 * (NULL: up); errors name 'param'.
 */
int pbd_parse_iface_condition(json_t *condition, const char *direction,
                              struct pbl_condition *ret_cond, enum pbl_direction *ret_dir,
                              const char *param, struct pb_rpc_error *reterr);

/* Gives 'i' its daemon-side configuration. */
int pbd_attach_iface_cfg(struct pbl_iface *i, json_t *condition, const char *direction);

#endif
