/* SPDX-License-Identifier: MIT */
/*
 * What the daemon keeps next to the engine's objects (their 'ext'
 * pointers): the configuration as the API expressed it, for lab.state and
 * lab.export.  And the JSON views of routers, devices and interfaces.
 */
#ifndef PBD_MODEL_H
#define PBD_MODEL_H

#include <jansson.h>
#include <stdbool.h>

#include "lab.h"
#include "pb-rpc.h"

struct pbd_lab;

struct pbd_router_cfg {
        char preset[16];    /* "" without a preset. */
        char nat[16];       /* "none", a mode, or "custom". */
        json_t *nat_config; /* Custom NAT, or NULL. */
        char nat_v6[16];
        json_t *firewall; /* A preset name (string) or a custom object. */
        bool block_icmp_frag_needed;
        json_t *downlink_condition; /* JSON null when none. */
        json_t *uplink_condition;   /* link.set_condition on its uplink; JSON null when none. */
        char uplink_direction[8];   /* "up", "down", "both" (up: towards the parent). */
};

struct pbd_iface_cfg {
        json_t *condition; /* JSON null when none. */
        char direction[8]; /* "up", "down", "both". */
};

struct pbd_router_cfg *pbd_router_cfg_new(void);
void pbd_router_cfg_free(struct pbd_router_cfg *c);
struct pbd_iface_cfg *pbd_iface_cfg_new(void);
void pbd_iface_cfg_free(struct pbd_iface_cfg *c);

/* Frees the 'ext' of every object of the lab (before the engine frees them). */
void pbd_lab_free_ext(struct pbl_lab *lab);
/* Frees the 'ext' of a device and its interfaces. */
void pbd_device_free_ext(struct pbl_device *d);

static inline struct pbd_router_cfg *
router_cfg(const struct pbl_router *r)
{
        return r->ext;
}

static inline struct pbd_iface_cfg *
iface_cfg(const struct pbl_iface *i)
{
        return i->ext;
}

/* API values to engine policies (policy-json.c); -32602 errors name the parameter. */
int pbd_nat_from_json(const char *mode, json_t *config, struct pbl_nat *ret,
                      struct pb_rpc_error *reterr);
int pbd_nat6_from_string(const char *s, enum pbl_nat6 *ret);
int pbd_firewall_from_json(json_t *fw, struct pbl_firewall *ret, struct pb_rpc_error *reterr);
int pbd_policy_from_cfg(const struct pbd_router_cfg *c, struct pbl_policy *ret,
                        struct pb_rpc_error *reterr);

/*
 * A condition from its JSON (null, a preset name, or an object with an
 * optional base preset); errors name 'param'.  Null yields a null
 * condition (pbl_condition_is_null()).
 */
int pbd_condition_from_json(json_t *j, struct pbl_condition *ret, const char *param,
                            struct pb_rpc_error *reterr);
/* The condition's values as an object (JSON null for none). */
json_t *pbd_condition_json(const struct pbl_condition *c);
/* "up"/"a-to-b", "down"/"b-to-a", "both" (NULL: up); -EINVAL otherwise. */
int pbd_direction_from_string(const char *s, enum pbl_direction *ret);
const char *pbd_direction_to_string(enum pbl_direction d);

/* JSON views (new references, NULL on ENOMEM). */
json_t *pbd_router_json(const struct pbl_router *r);
json_t *pbd_device_json(const struct pbl_device *d);
json_t *pbd_iface_json(const struct pbl_iface *i);
json_t *pbd_ix_json(const struct pbl_lab *lab);
json_t *pbd_region_json(const struct pbl_region *rg);
json_t *pbd_region_link_json(const struct pbl_region_link *l);
/* Every link that carries a condition, with what each direction does and how. */
json_t *pbd_links_json(const struct pbl_lab *lab);

/* "a.b.c.d" / "x::y" or JSON null for an absent address. */
json_t *pbd_json_ip(const struct pbl_ip *ip);
json_t *pbd_json_prefix(const struct pbl_prefix *p);

#endif
