/* SPDX-License-Identifier: MIT */
/* pbctl: the command table, shared by dispatch, help and completion. */
#include <string.h>

#include "pbctl.h"

const struct pbctl_section pbctl_sections[] = {
        { "Labs", (const struct pbctl_group *const[]){ &pbctl_group_lab, &pbctl_group_load,
                                                       &pbctl_group_export, NULL } },
        { "Topology",
          (const struct pbctl_group *const[]){ &pbctl_group_router, &pbctl_group_device,
                                               &pbctl_group_iface, &pbctl_group_link,
                                               &pbctl_group_region, &pbctl_group_dns, NULL } },
        { "Running code",
          (const struct pbctl_group *const[]){ &pbctl_group_exec, &pbctl_group_shell,
                                               &pbctl_group_run, &pbctl_group_spawn,
                                               &pbctl_group_proc, NULL } },
        { "Probing and watching",
          (const struct pbctl_group *const[]){ &pbctl_group_probe, &pbctl_group_reflector,
                                               &pbctl_group_capture, &pbctl_group_events, NULL } },
        { "Daemon", (const struct pbctl_group *const[]){ &pbctl_group_info, &pbctl_group_methods,
                                                         &pbctl_group_shutdown, &pbctl_group_call,
                                                         &pbctl_group_help, NULL } },
        /* Hidden: what the bash completion asks. */
        { "", (const struct pbctl_group *const[]){ &pbctl_group_complete, NULL } },
        {},
};

const struct pbctl_group *
pbctl_find_group(const char *name)
{
        for (const struct pbctl_section *s = pbctl_sections; s->title; s++)
                for (const struct pbctl_group *const *g = s->groups; *g; g++)
                        if (strcmp((*g)->name, name) == 0)
                                return *g;
        return NULL;
}

const struct pbctl_verb *
pbctl_find_verb(const struct pbctl_group *g, const char *name)
{
        for (size_t i = 0; i < g->n_verbs; i++) {
                const struct pbctl_verb *v = &g->verbs[i];

                if (v->name &&
                    (strcmp(v->name, name) == 0 || (v->alias && !strcmp(v->alias, name))))
                        return v;
        }
        return NULL;
}

bool
pbctl_group_is_command(const struct pbctl_group *g)
{
        return g->n_verbs == 1 && !g->verbs[0].name;
}
