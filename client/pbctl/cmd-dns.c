/* SPDX-License-Identifier: MIT */
/* pbctl dns ...: hosts entries and the lab nameserver. */
#include <stdio.h>

#include "pbctl.h"

static const struct pbctl_arg device_opt[] = {
        PBCTL_OPT("device", 'd', "DEVICE", "device", PBCTL_T_STRING,
                  "only for this device (default: the whole lab)"),
        {},
};

/* The address alone, so that $(pbctl dns resolve ...) works; nothing when unknown. */
static void
print_resolved(struct pbctl *ctl, json_t *res)
{
        const char *ip = json_string_value(json_object_get(res, "ip"));

        if (ip)
                printf("%s\n", ip);
        else
                fprintf(stderr, "pbctl: no such name\n");
}

static int
dns_ls(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        return pbctl_show_state_part(ctl, a->pos[0], "dns", print_dns);
}

static const struct pbctl_verb dns_verbs[] = {
        { .name = "add",
          .help = "add a hosts entry for the lab, or for one device",
          .method = "dns.add",
          .print = print_nothing,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_LAB, PBCTL_POS("HOST", "name"), PBCTL_POS("IP", "ip"), {} },
          .opts = device_opt },
        { .name = "ns",
          .alias = "nameserver",
          .help = "set the lab nameserver (resolv.conf of every device)",
          .method = "dns.set_nameserver",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, PBCTL_POS("IP", "ip"), {} } },
        { .name = "resolve",
          .help = "look a name up as the lab, or one device, sees it",
          .method = "dns.resolve",
          .print = print_resolved,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, PBCTL_POS("HOST", "name"), {} },
          .opts = device_opt },
        { .name = "ls",
          .alias = "list",
          .help = "list hosts entries and the nameserver",
          .method = "lab.state",
          .run = dns_ls,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
};
PBCTL_GROUP(pbctl_group_dns, "dns", "hosts entries and the nameserver of a lab", dns_verbs);
