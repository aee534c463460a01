/* SPDX-License-Identifier: MIT */
/* iface.add, iface.remove, iface.replug, iface.up, iface.down, iface.renew_ip, iface.add_ip. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sys/socket.h>

#include "daemon.h"
#include "dispatch.h"
#include "labs.h"
#include "method-node.h"
#include "model.h"
#include "pb-macro.h"

/* The result of every iface method: the device after the change. */
static int
reply_device(struct pbl_device *dev, json_t **ret_result)
{
        *ret_result = pbd_device_json(dev);
        return *ret_result ? 0 : -ENOMEM;
}

static int
lookup_router(struct pbd_lab *lab, json_t *params, struct pbl_router **ret,
              struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "router"));

        *ret = pbl_lab_router(lab->engine, name);
        if (*ret)
                return 0;
        pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE, "no router named '%s' in lab '%s'", name,
                      lab->name);
        snprintf(reterr->parameter, sizeof(reterr->parameter), "router");
        return -ENOENT;
}

static int
method_add(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        struct pbl_iface_spec spec = {
                .name = json_string_value(json_object_get(params, "iface")),
                .router = json_string_value(json_object_get(params, "router")),
        };
        json_t *cond = json_object_get(params, "condition");
        struct pbl_condition c;
        struct pbl_status st = { 0 };
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        int r;

        spec.condition = &c;
        r = pbd_lookup_device(call, params, "device", &lab, &dev, reterr);
        r = r ?: pbd_parse_iface_condition(cond, NULL, &c, &spec.direction, "condition", reterr);
        if (r < 0)
                return r;
        r = pbl_iface_add(dev, &spec, &i, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        if (pbd_attach_iface_cfg(i, cond, NULL) < 0) {
                (void)pbl_iface_remove(dev, i, &st);
                return -ENOMEM;
        }
        pbd_event(lab, "iface_added",
                  json_pack("{s:s, s:o}", "device", dev->node.name, "iface", pbd_iface_json(i)));
        return reply_device(dev, ret_result);
}

static int
method_remove(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbd_iface_cfg *cfg;
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        char name[PBL_IFNAME_MAX];
        int r;

        r = pbd_lookup_iface(call, params, &lab, &dev, &i, reterr);
        if (r < 0)
                return r;
        cfg = i->ext;
        snprintf(name, sizeof(name), "%s", i->name);
        r = pbl_iface_remove(dev, i, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_iface_cfg_free(cfg);
        pbd_capture_sweep(lab);
        pbd_event(lab, "iface_removed",
                  json_pack("{s:s, s:s, s:s}", "device", dev->node.name, "iface", name,
                            "default_via", dev->default_via->name));
        return reply_device(dev, ret_result);
}

static int
method_replug(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_router *to = NULL;
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        char from[PBL_NAME_MAX];
        int r;

        r = pbd_lookup_iface(call, params, &lab, &dev, &i, reterr);
        r = r ?: lookup_router(lab, params, &to, reterr);
        if (r < 0)
                return r;
        snprintf(from, sizeof(from), "%s", i->router->node.name);
        r = pbl_iface_replug(dev, i, to, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_capture_sweep(lab); /* The link was rebuilt: captures of either end are over. */
        pbd_event(lab, "iface_replugged",
                  json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "device", dev->node.name, "iface",
                            i->name, "from_router", from, "to_router", to->node.name, "ip",
                            pbd_json_ip(&i->ip4), "ip6", pbd_json_ip(&i->ip6)));
        return reply_device(dev, ret_result);
}

static int
set_up(struct pbd_call *call, json_t *params, bool up, json_t **ret_result,
       struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_iface(call, params, &lab, &dev, &i, reterr);
        if (r < 0)
                return r;
        r = pbl_iface_set_up(dev, i, up, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_event(lab, up ? "iface_up" : "iface_down",
                  json_pack("{s:s, s:s}", "device", dev->node.name, "iface", i->name));
        return reply_device(dev, ret_result);
}

static int
method_up(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        return set_up(call, params, true, ret_result, reterr);
}

static int
method_down(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        return set_up(call, params, false, ret_result, reterr);
}

static int
method_renew_ip(struct pbd_call *call, json_t *params, json_t **ret_result,
                struct pb_rpc_error *reterr)
{
        struct pbl_status st = { 0 };
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        json_t *old4, *old6;
        int r;

        r = pbd_lookup_iface(call, params, &lab, &dev, &i, reterr);
        if (r < 0)
                return r;
        old4 = pbd_json_ip(&i->ip4);
        old6 = pbd_json_ip(&i->ip6);
        r = pbl_iface_renew_ip(dev, i, &st);
        if (r < 0) {
                json_decref(old4);
                json_decref(old6);
                return pbd_status_to_error(&st, r, reterr);
        }
        pbd_event(lab, "ip_changed",
                  json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "device", dev->node.name, "iface",
                            i->name, "ip", pbd_json_ip(&i->ip4), "ip6", pbd_json_ip(&i->ip6),
                            "old_ip", old4, "old_ip6", old6));
        return reply_device(dev, ret_result);
}

static int
method_add_ip(struct pbd_call *call, json_t *params, json_t **ret_result,
              struct pb_rpc_error *reterr)
{
        const char *ip = json_string_value(json_object_get(params, "ip"));
        int prefix = (int)json_integer_value(json_object_get(params, "prefix"));
        struct pbl_status st = { 0 };
        struct pbl_prefix p = { .len = prefix };
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_iface(call, params, &lab, &dev, &i, reterr);
        if (r < 0)
                return r;
        if (pbl_ip_parse(ip, &p.ip) < 0)
                return pb_rpc_error_param(reterr, "ip", "'%s' is not an IP address", ip);
        if ((p.ip.family == AF_INET && prefix > 32) || prefix > 128)
                return pb_rpc_error_param(reterr, "prefix", "prefix %d is too long for %s", prefix,
                                          ip);
        r = pbl_iface_add_ip(dev, i, &p, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_event(lab, "ip_changed",
                  json_pack("{s:s, s:s, s:o, s:o, s:o}", "device", dev->node.name, "iface", i->name,
                            "ip", pbd_json_ip(&i->ip4), "ip6", pbd_json_ip(&i->ip6), "added",
                            pbd_json_prefix(&p)));
        return reply_device(dev, ret_result);
}

static int
method_set_condition(struct pbd_call *call, json_t *params, json_t **ret_result,
                     struct pb_rpc_error *reterr)
{
        json_t *cond = json_object_get(params, "condition");
        const char *dirname = json_string_value(json_object_get(params, "direction"));
        struct pbl_status st = { 0 };
        struct pbd_iface_cfg *cfg;
        enum pbl_direction dir;
        struct pbl_condition c;
        struct pbl_device *dev;
        struct pbl_iface *i;
        struct pbd_lab *lab;
        int r;

        r = pbd_lookup_iface(call, params, &lab, &dev, &i, reterr);
        r = r ?: pbd_parse_iface_condition(cond, dirname, &c, &dir, "condition", reterr);
        if (r < 0)
                return r;
        r = pbl_iface_set_condition(i, &c, dir, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        cfg = i->ext;
        json_decref(cfg->condition);
        cfg->condition = json_incref(cond ? cond : json_null());
        snprintf(cfg->direction, sizeof(cfg->direction), "%s", pbd_direction_to_string(dir));
        pbd_event(lab, "condition_changed",
                  json_pack("{s:s, s:s, s:s, s:O, s:s}", "target", "iface", "device",
                            dev->node.name, "iface", i->name, "condition", cfg->condition,
                            "direction", cfg->direction));
        return reply_device(dev, ret_result);
}

const struct pbd_method pbd_methods_iface[] = {
        { "iface.add", method_add, PBD_METHOD_MUTATES },
        { "iface.add_ip", method_add_ip, PBD_METHOD_MUTATES },
        { "iface.down", method_down, PBD_METHOD_MUTATES },
        { "iface.remove", method_remove, PBD_METHOD_MUTATES },
        { "iface.renew_ip", method_renew_ip, PBD_METHOD_MUTATES },
        { "iface.replug", method_replug, PBD_METHOD_MUTATES },
        { "iface.set_condition", method_set_condition, PBD_METHOD_MUTATES },
        { "iface.up", method_up, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_iface_count = ELEMENTSOF(pbd_methods_iface);
