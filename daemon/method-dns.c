/* SPDX-License-Identifier: MIT */
/* dns.add, dns.set_nameserver, dns.resolve, and the "dns" member of lab.state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "dispatch.h"
#include "dns.h"
#include "labs.h"
#include "pb-macro.h"

/* The optional "device" param: NULL when absent, else a device of the lab (NoSuchNode). */
static int
lookup_device(struct pbd_lab *lab, json_t *params, struct pbl_device **ret,
              struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "device"));

        *ret = NULL;
        if (!name)
                return 0;
        *ret = pbl_lab_device(lab->engine, name);
        if (*ret)
                return 0;
        if (pbl_lab_node(lab->engine, name))
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE,
                              "'%s' is not a device: only devices have their own hosts file", name);
        else
                pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_NODE, "no device named '%s' in lab '%s'", name,
                              lab->name);
        snprintf(reterr->parameter, sizeof(reterr->parameter), "device");
        return -ENOENT;
}

static int
method_add(struct pbd_call *call, json_t *params, json_t **ret_result, struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "name"));
        const char *ip = json_string_value(json_object_get(params, "ip"));
        struct pbl_status st = { 0 };
        struct pbl_device *dev;
        struct pbd_lab *lab;
        struct pbl_ip addr;
        char text[PBL_IP_STRLEN];
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        r = r ?: lookup_device(lab, params, &dev, reterr);
        if (r < 0)
                return r;
        r = pbl_dns_check(name, "name", ip, "ip", &addr, &st);
        r = r ?: pbl_lab_dns_add(lab->engine, name, &addr, dev, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_event(lab, "dns_changed",
                  json_pack("{s:s, s:s, s:s?}", "name", name, "ip", pbl_ip_str(&addr, text),
                            "device", dev ? dev->node.name : NULL));
        *ret_result = json_object();
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_set_nameserver(struct pbd_call *call, json_t *params, json_t **ret_result,
                      struct pb_rpc_error *reterr)
{
        const char *ip = json_string_value(json_object_get(params, "ip"));
        struct pbl_status st = { 0 };
        struct pbd_lab *lab;
        struct pbl_ip addr;
        char text[PBL_IP_STRLEN];
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        if (r < 0)
                return r;
        r = pbl_dns_check(NULL, NULL, ip, "ip", &addr, &st);
        r = r ?: pbl_lab_dns_set_nameserver(lab->engine, &addr, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        pbd_event(lab, "dns_changed", json_pack("{s:s}", "nameserver", pbl_ip_str(&addr, text)));
        *ret_result = json_object();
        return *ret_result ? 0 : -ENOMEM;
}

static int
method_resolve(struct pbd_call *call, json_t *params, json_t **ret_result,
               struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(json_object_get(params, "name"));
        struct pbl_status st = { 0 };
        const struct pbl_ip *ip;
        struct pbl_device *dev;
        struct pbd_lab *lab;
        char text[PBL_IP_STRLEN];
        int r;

        r = pbd_lookup_lab(pbd_call_daemon(call), params, &lab, reterr);
        r = r ?: lookup_device(lab, params, &dev, reterr);
        if (r < 0)
                return r;
        r = pbl_dns_check(name, "name", NULL, NULL, NULL, &st);
        if (r < 0)
                return pbd_status_to_error(&st, r, reterr);
        ip = pbl_lab_dns_resolve(lab->engine, name, dev);
        *ret_result = json_pack("{s:s?}", "ip", ip ? pbl_ip_str(ip, text) : NULL);
        return *ret_result ? 0 : -ENOMEM;
}

json_t *
pbd_dns_state(struct pbd_lab *lab)
{
        const struct pbl_dns *dns = pbl_lab_dns(lab->engine);
        json_auto_t *entries = json_array();
        char text[PBL_IP_STRLEN];

        if (!entries)
                return NULL;
        for (unsigned i = 0; i < dns->n; i++) {
                const struct pbl_dns_entry *e = &dns->entries[i];

                if (json_array_append_new(entries,
                                          json_pack("{s:s, s:s, s:s?}", "name", e->name, "ip",
                                                    pbl_ip_str(&e->ip, text), "device",
                                                    e->device[0] ? e->device : NULL)) < 0)
                        return NULL;
        }
        return json_pack("{s:s?, s:O}", "nameserver",
                         dns->nameserver.family ? pbl_ip_str(&dns->nameserver, text) : NULL,
                         "entries", entries);
}

const struct pbd_method pbd_methods_dns[] = {
        { "dns.add", method_add, PBD_METHOD_MUTATES },
        { "dns.resolve", method_resolve, 0 },
        { "dns.set_nameserver", method_set_nameserver, PBD_METHOD_MUTATES },
};
const size_t pbd_methods_dns_count = ELEMENTSOF(pbd_methods_dns);
