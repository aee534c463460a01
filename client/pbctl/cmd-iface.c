/* SPDX-License-Identifier: MIT */
/* pbctl iface ... and link ...: device interfaces and links between nodes. */
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

#define DEVICE PBCTL_POS("DEVICE", "device")
#define IFACE  PBCTL_POS("IFACE", "iface")
#define ROUTER PBCTL_POS("ROUTER", "router")

/* IP/PREFIX; a bare address is a host route (/32 or /128). */
static int
iface_add_ip(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        _cleanup_free_ char *ip = strdup(a->pos[3]);
        char *slash, *end;
        long prefix;

        if (!ip)
                return pbctl_usage_error(a, "out of memory");
        slash = strchr(ip, '/');
        if (slash) {
                *slash = '\0';
                prefix = strtol(slash + 1, &end, 10);
                if (!slash[1] || *end || prefix < 0 || prefix > 128)
                        return pbctl_usage_error(a, "'%s': the prefix length is not 0-128",
                                                 a->pos[3]);
        } else {
                prefix = strchr(ip, ':') ? 128 : 32;
        }
        if (json_object_set_new(params, "ip", json_string(ip)) < 0 ||
            json_object_set_new(params, "prefix", json_integer(prefix)) < 0)
                return pbctl_usage_error(a, "out of memory");
        return pbctl_invoke(ctl, "iface.add_ip", json_incref(params), print_device);
}

/* Every interface of the lab, or of one device. */
static int
iface_ls(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        json_auto_t *state = NULL, *devices = NULL;
        json_t *dev;
        size_t i;
        int r;

        r = pbctl_call(ctl, "lab.state", json_pack("{s:s}", "lab", a->pos[0]), &state);
        if (r != PBCTL_EXIT_OK)
                return r;
        devices = json_array();
        json_array_foreach (json_object_get(state, "devices"), i, dev) {
                const char *name = json_string_value(json_object_get(dev, "name"));

                if (a->n_pos < 2 || (name && strcmp(name, a->pos[1]) == 0))
                        json_array_append(devices, dev);
        }
        if (a->n_pos == 2 && json_array_size(devices) == 0) {
                fprintf(stderr, "pbctl: iface ls: lab %s has no device %s\n", a->pos[0], a->pos[1]);
                return PBCTL_EXIT_SERVER;
        }
        return pbctl_print(ctl, devices, print_ifaces);
}

#define IFACE_VERB(verb, what, api)                                                \
        {                                                                          \
                .name = verb, .help = what, .method = api, .print = print_device,  \
                .pos = (const struct pbctl_arg[]){ PBCTL_LAB, DEVICE, IFACE, {} }, \
        }

static const struct pbctl_verb iface_verbs[] = {
        { .name = "add",
          .help = "hot-add an interface into a router's LAN",
          .method = "iface.add",
          .print = print_device,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, DEVICE, IFACE, ROUTER, {} },
          .opts = (const struct pbctl_arg[]){ PBCTL_OPT("cond", 'c', "COND", "condition",
                                                        PBCTL_T_COND,
                                                        "condition of the new interface"),
                                              {} } },
        { .name = "rm",
          .alias = "remove",
          .help = "hot-remove an interface",
          .method = "iface.remove",
          .print = print_device,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, DEVICE, IFACE, {} } },
        IFACE_VERB("up", "bring an interface up", "iface.up"),
        IFACE_VERB("down", "take an interface down (link loss)", "iface.down"),
        IFACE_VERB("renew", "give an interface a new IPv4 address (DHCP renewal)",
                   "iface.renew_ip"),
        { .name = "replug",
          .help = "move an interface into another router's LAN",
          .method = "iface.replug",
          .print = print_device,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, DEVICE, IFACE, ROUTER, {} } },
        { .name = "add-ip",
          .help = "add a secondary address to an interface",
          .method = "iface.add_ip",
          .run = iface_add_ip,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB,
                                             DEVICE,
                                             IFACE,
                                             PBCTL_POS_T("IP/PREFIX", NULL, PBCTL_T_NONE, 0),
                                             {} } },
        { .name = "cond",
          .help = "change an interface's link condition",
          .method = "iface.set_condition",
          .print = print_device,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB,
                                             DEVICE,
                                             IFACE,
                                             PBCTL_POS_T("COND", "condition", PBCTL_T_COND, 0),
                                             {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PBCTL_OPT("dir", 'd', "DIRECTION", "direction", PBCTL_T_STRING,
                                    "up (default: the device's egress), down or both"),
                          {} } },
        { .name = "ls",
          .alias = "list",
          .help = "list interfaces with addresses, conditions and counters",
          .method = "lab.state",
          .run = iface_ls,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB,
                                             PBCTL_POS_T("DEVICE", NULL, PBCTL_T_NONE,
                                                         PBCTL_OPTIONAL),
                                             {} } },
};
PBCTL_GROUP(pbctl_group_iface, "iface", "change device interfaces live", iface_verbs);

static const struct pbctl_verb link_verbs[] = {
        { .name = "cond",
          .help = "shape the link between two adjacent nodes",
          .method = "link.set_condition",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB,
                                             PBCTL_POS("NODE", "a"),
                                             PBCTL_POS("NODE", "b"),
                                             PBCTL_POS_T("COND", "condition", PBCTL_T_COND, 0),
                                             {} },
          .opts = (const struct pbctl_arg[]){ PBCTL_OPT("dir", 'd', "LINKDIR", "direction",
                                                        PBCTL_T_STRING,
                                                        "a-to-b (default), b-to-a or both"),
                                              {} },
          .details = "The nodes are a device and its router, a router and a sub-router, or an\n"
                     "IX-level router and ix.\n" },
};
PBCTL_GROUP(pbctl_group_link, "link", "shape links between adjacent nodes", link_verbs);
