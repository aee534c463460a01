/* SPDX-License-Identifier: MIT */
/* device.add, device.get, device.remove, device.set_default_route. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "apply.h"
#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "method-node.h"
#include "model.h"
#include "pb-macro.h"

#define MAX_IFACES 32

int
pbd_lookup_device(struct pbd_call *call, json_t *params, const char *param,
                  struct pbd_lab **ret_lab, struct pbl_device **ret, struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, param));
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, ret_lab, reterr);
        if (r < 0)
                return r;
        *ret = name ? pbl_lab_device((*ret_lab)->engine, name) : NULL;
        if (!*ret) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE, "no device named '%s' in lab '%s'",
                              name ? name : "", (*ret_lab)->name);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "%s", param);
                return -ENOENT;
        }
        return 0;
}

int
pbd_lookup_iface(struct pbd_call *call, json_t *params, struct pbd_lab **ret_lab,
                 struct pbl_device **ret_dev, struct pbl_iface **ret, struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "iface"));
        int r;

        r = pbd_lookup_device(call, params, "device", ret_lab, ret_dev, reterr);
        if (r < 0)
                return r;
        *ret = name ? pbl_device_iface(*ret_dev, name) : NULL;
        if (!*ret) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_IFACE, "device '%s' has no interface '%s'",
                              (*ret_dev)->node.name, name ? name : "");
                snprintf(reterr->parameter, sizeof(reterr->parameter), "iface");
                return -ENODEV;
        }
        return 0;
}

int
pbd_parse_iface_condition(json_t *condition, const char *direction, struct pbl_condition *ret_cond,
                          enum pbl_direction *ret_dir, const char *param,
                          struct pb_rpc_error *reterr)
{
        int r = pbd_condition_from_json(condition, ret_cond, param, reterr);

        if (r < 0)
                return r;
        if (pbd_direction_from_string(direction, ret_dir) < 0 ||
            (direction && strchr(direction, '-')))
                return pb_rpc_error_param(reterr, "direction",
                                          "direction is \"up\", \"down\" or \"both\"");
        return 0;
}

int
pbd_attach_iface_cfg(struct pbl_iface *i, json_t *condition, const char *direction)
{
        struct pbd_iface_cfg *c = pbd_iface_cfg_new();

        if (!c)
                return -ENOMEM;
        if (condition && !json_is_null(condition)) {
                json_decref(c->condition);
                c->condition = json_incref(condition);
        }
        if (direction)
                snprintf(c->direction, sizeof(c->direction), "%s", direction);
        i->ext = c;
        return 0;
}

int
pbd_apply_device_add(struct pbd_lab *lab, json_t *params, json_t **ret_result,
                     struct pb_rpc_error *reterr)
{
        json_t *ifaces = json_object_get(params, "ifaces"), *spec_if;
        struct pbl_iface_spec specs[MAX_IFACES];
        struct pbl_condition conds[MAX_IFACES];
        struct pbl_device_spec spec = {
                .name = json_string_value(json_object_get(params, "name")),
                .ifaces = specs,
                .default_via = json_string_value(json_object_get(params, "default_via")),
                .mtu = (unsigned)json_integer_value(json_object_get(params, "mtu")),
        };
        struct pbl_status st = { 0 };
        struct pbl_device *dev;
        struct pbl_iface *i;
        size_t k;
        int r;

        if (json_array_size(ifaces) > MAX_IFACES)
                return pb_rpc_error_param(reterr, "ifaces", "a device has at most %d interfaces",
                                          MAX_IFACES);
        json_array_foreach (ifaces, k, spec_if) {
                char param[40];

                snprintf(param, sizeof(param), "ifaces[%zu].condition", k);
                specs[k] = (struct pbl_iface_spec){
                        .name = json_string_value(json_object_get(spec_if, "name")),
                        .router = json_string_value(json_object_get(spec_if, "router")),
                        .condition = &conds[k],
                };
                r = pbd_parse_iface_condition(
                        json_object_get(spec_if, "condition"),
                        json_string_value(json_object_get(spec_if, "direction")), &conds[k],
                        &specs[k].direction, param, reterr);
                if (r < 0)
                        return r;
        }
        spec.n_ifaces = (unsigned)json_array_size(ifaces);

        r = pbl_device_add(lab->engine, &spec, &dev, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        k = 0;
        TAILQ_FOREACH (i, &dev->ifaces, link) {
                json_t *s = json_array_get(ifaces, k++);

                if (pbd_attach_iface_cfg(i, json_object_get(s, "condition"),
                                         json_string_value(json_object_get(s, "direction"))) < 0) {
                        /* Nothing half-built stays: undo the whole device. */
                        pbd_device_free_ext(dev);
                        (void)pbl_device_remove(lab->engine, dev, &st);
                        return -ENOMEM;
                }
        }
        *ret_result = pbd_device_json(dev);
        pbd_event(lab, "device_added", json_pack("{s:O}", "device", *ret_result));
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_add(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        return r < 0 ? r : pbd_apply_device_add(lab, params, ret_result, reterr);
}

static int
method_get(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbl_device *dev;
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_device(call, params, "name", &lab, &dev, reterr);
        if (r < 0)
                return r;
        *ret_result = pbd_device_json(dev);
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_remove(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_device *dev;
        struct pbd_lab *lab;
        char name[PBL_NAME_MAX];
        int r;

        r = pbd_lookup_device(call, params, "name", &lab, &dev, reterr);
        if (r < 0)
                return r;
        pbd_proc_node_gone(lab, &dev->node);
        pbd_probe_node_gone(lab, &dev->node);
        pbd_capture_node_gone(lab, &dev->node);
        snprintf(name, sizeof(name), "%s", dev->node.name);
        pbd_device_free_ext(dev);
        r = pbl_device_remove(lab->engine, dev, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_capture_sweep(lab); /* Its router's side of each link went with it. */
        pbd_event(lab, "device_removed", json_pack("{s:s}", "name", name));
        *ret_result = json_object();
        return 0;
}

static int
method_set_default_route(struct pbd_call *call, json_t *params, json_t **ret_result,
                         struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        const char *name;
        int r;

        r = pbd_lookup_device(call, params, "name", &lab, &dev, reterr);
        if (r < 0)
                return r;
        name = json_string_value(json_object_get(params, "iface"));
        i = pbl_device_iface(dev, name);
        if (!i) {
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_IFACE, "device '%s' has no interface '%s'",
                              dev->node.name, name);
                snprintf(reterr->parameter, sizeof(reterr->parameter), "iface");
                return -ENODEV;
        }
        r = pbl_device_set_default_route(dev, i, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        *ret_result = pbd_device_json(dev);
        pbd_event(lab, "default_route_changed",
                  json_pack("{s:s, s:s, s:o, s:o}", "device", dev->node.name, "iface", i->name,
                            "ip", pbd_json_ip(&i->ip4), "ip6", pbd_json_ip(&i->ip6)));
        return *ret_result ? 0 : -ENOMEM;
}

const struct pbd_method pbd_methods_device[] = {
        { "device.add", method_add, PBD_METHOD_MUTATES },
        { "device.get", method_get, 0 },
        { "device.remove", method_remove, PBD_METHOD_MUTATES },
        { "device.set_default_route", method_set_default_route, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_device_count = ELEMENTSOF(pbd_methods_device);
