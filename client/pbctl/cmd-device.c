/* SPDX-License-Identifier: MIT */
/* pbctl device ...: devices and their interfaces at creation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

#define DEVICE PBCTL_POS("DEVICE", "name")

/*
 * NAME:ROUTER[:COND[:DIRECTION]].  The direction is split off the end, so
 * a JSON condition may contain ':'.
 */
static json_t *
parse_iface(const char *spec, char *err, size_t n)
{
        static const char *const dirs[] = { "up", "down", "both" };
        _cleanup_free_ char *copy = strdup(spec);
        json_auto_t *iface = NULL;
        char *router, *cond, *dir;

        if (!copy || !(router = strchr(copy, ':')) || router == copy || !router[1]) {
                snprintf(err, n, "not NAME:ROUTER[:COND[:DIRECTION]]");
                return NULL;
        }
        *router++ = '\0';
        cond = strchr(router, ':');
        if (cond)
                *cond++ = '\0';
        iface = json_pack("{s:s, s:s}", "name", copy, "router", router);
        if (!iface || !cond)
                return TAKE_PTR(iface);
        dir = strrchr(cond, ':');
        for (size_t i = 0; dir && i < ELEMENTSOF(dirs); i++)
                if (strcmp(dir + 1, dirs[i]) == 0) {
                        *dir = '\0';
                        json_object_set_new(iface, "direction", json_string(dirs[i]));
                }
        if (json_object_set_new(iface, "condition", pbctl_parse_condition(cond, err, n)) < 0) {
                if (!err[0])
                        snprintf(err, n, "out of memory");
                return NULL;
        }
        return TAKE_PTR(iface);
}

static int
device_add(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *via = pbctl_arg(a, "via"), *cond = pbctl_arg(a, "cond");
        const char *dir = pbctl_arg(a, "dir"), *spec;
        json_t *ifaces = json_array(), *iface;
        char err[160] = "";
        size_t i = 0;

        if (!ifaces || json_object_set_new(params, "ifaces", ifaces) < 0)
                return pbctl_usage_error(a, "out of memory");
        while ((spec = pbctl_arg_next(a, "iface", &i))) {
                iface = parse_iface(spec, err, sizeof(err));
                if (!iface)
                        return pbctl_usage_error(a, "--iface '%s': %s", spec, err);
                json_array_append_new(ifaces, iface);
        }
        if (via && json_array_size(ifaces))
                return pbctl_usage_error(a, "--via and --iface exclude each other");
        if ((cond || dir) && !via)
                return pbctl_usage_error(a, "--cond and --dir go with --via (use --iface "
                                            "NAME:ROUTER:COND:DIRECTION)");
        if (via) {
                iface = json_pack("{s:s, s:s, s:s*}", "name", "eth0", "router", via, "direction",
                                  dir);
                if (!iface)
                        return pbctl_usage_error(a, "out of memory");
                json_array_append_new(ifaces, iface);
                if (cond) {
                        json_t *c = pbctl_parse_condition(cond, err, sizeof(err));

                        if (!c)
                                return pbctl_usage_error(a, "--cond '%s': %s", cond, err);
                        json_object_set_new(iface, "condition", c);
                }
        }
        if (!json_array_size(ifaces))
                return pbctl_usage_error(a, "missing --iface NAME:ROUTER or --via ROUTER");
        return pbctl_invoke(ctl, "device.add", json_incref(params), print_device);
}

static int
device_ls(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        return pbctl_show_state_part(ctl, a->pos[0], "devices", print_devices);
}

static const struct pbctl_arg add_opts[] = {
        { .name = "iface",
          .key = 'i',
          .metavar = "SPEC",
          .flags = PBCTL_REPEAT,
          .help = "an interface NAME:ROUTER[:COND[:DIRECTION]] into ROUTER's LAN; the first "
                  "carries the default route" },
        PBCTL_OPT("via", 'v', "ROUTER", NULL, PBCTL_T_NONE,
                  "short for --iface eth0:ROUTER (with --cond and --dir)"),
        PBCTL_OPT("cond", 'c', "COND", NULL, PBCTL_T_NONE, "condition of the --via interface"),
        PBCTL_OPT("dir", 0, "DIRECTION", NULL, PBCTL_T_NONE,
                  "what --cond shapes: up (default), down or both"),
        PBCTL_OPT("default-via", 0, "IFACE", "default_via", PBCTL_T_STRING,
                  "interface that carries the default route"),
        PBCTL_OPT("mtu", 0, "N", "mtu", PBCTL_T_INT, "MTU of every interface"),
        {},
};

static const struct pbctl_verb device_verbs[] = {
        { .name = "add",
          .help = "add a device with one or more interfaces",
          .method = "device.add",
          .run = device_add,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, PBCTL_POS("NAME", "name"), {} },
          .opts = add_opts,
          .details = "Give --iface once per interface, or --via for a single eth0.  DIRECTION\n"
                     "says what the condition shapes: up (the device's egress), down (the\n"
                     "router's egress towards the interface) or both.  Example:\n"
                     "  pbctl device add lab1 laptop --iface eth0:home:wifi --iface "
                     "wwan0:isp:mobile-4g\n" },
        { .name = "ls",
          .alias = "list",
          .help = "list a lab's devices",
          .method = "lab.state",
          .run = device_ls,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
        { .name = "show",
          .alias = "get",
          .help = "describe a device and its interfaces",
          .method = "device.get",
          .print = print_device,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, DEVICE, {} } },
        { .name = "rm",
          .alias = "remove",
          .help = "remove a device, killing its processes",
          .method = "device.remove",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, DEVICE, {} } },
        { .name = "set-default",
          .help = "move a device's default route to another interface",
          .method = "device.set_default_route",
          .print = print_device,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, DEVICE, PBCTL_POS("IFACE", "iface"), {} } },
};
PBCTL_GROUP(pbctl_group_device, "device", "add, inspect and remove devices", device_verbs);
