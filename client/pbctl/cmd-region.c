/* SPDX-License-Identifier: MIT */
/* pbctl region ...: regions and the links between them. */
#include "pb-macro.h"
#include "pbctl.h"

#define REGION_A PBCTL_POS("REGION", "a")
#define REGION_B PBCTL_POS("REGION", "b")

/* The condition is required by the API; left out it means an unimpaired link. */
static int
region_link(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        if (!json_object_get(params, "condition") &&
            json_object_set_new(params, "condition", json_null()) < 0)
                return pbctl_usage_error(a, "out of memory");
        return pbctl_invoke(ctl, "region.link", json_incref(params), print_nothing);
}

static void
print_region_list(struct pbctl *ctl, json_t *regions)
{
        json_auto_t *state = json_pack("{s:O}", "regions", regions);

        if (state)
                print_regions(ctl, state);
}

static int
region_ls(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        json_auto_t *state = NULL, *part = NULL;
        int r;

        r = pbctl_call(ctl, "lab.state", json_pack("{s:s}", "lab", a->pos[0]), &state);
        if (r != PBCTL_EXIT_OK)
                return r;
        part = json_pack("{s:O?, s:O?}", "regions", json_object_get(state, "regions"),
                         "region_links", json_object_get(state, "region_links"));
        return part ? pbctl_print(ctl, part, print_regions) : PBCTL_EXIT_USAGE;
}

static const struct pbctl_verb region_verbs[] = {
        { .name = "add",
          .help = "add a region (a backbone router on the IX)",
          .method = "region.add",
          .print = print_kv_all,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, PBCTL_POS("REGION", "name"), {} } },
        { .name = "rm",
          .alias = "remove",
          .help = "remove a region with no routers left in it",
          .method = "region.remove",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, PBCTL_POS("REGION", "name"), {} } },
        { .name = "link",
          .help = "link two regions (the condition applies both ways; default none)",
          .method = "region.link",
          .run = region_link,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB,
                                             REGION_A,
                                             REGION_B,
                                             PBCTL_POS_T("COND", "condition", PBCTL_T_COND,
                                                         PBCTL_OPTIONAL),
                                             {} } },
        { .name = "break",
          .help = "take a region link down (a partition)",
          .method = "region.break",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, REGION_A, REGION_B, {} } },
        { .name = "restore",
          .help = "bring a broken region link back",
          .method = "region.restore",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, REGION_A, REGION_B, {} } },
        { .name = "defaults",
          .help = "add us, eu and asia, linked 40/95/120 ms apart",
          .method = "region.add_defaults",
          .print = print_region_list,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
        { .name = "ls",
          .alias = "list",
          .help = "list regions and region links",
          .method = "lab.state",
          .run = region_ls,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
};
PBCTL_GROUP(pbctl_group_region, "region", "add, link and partition regions", region_verbs);
