/* SPDX-License-Identifier: MIT */
/* Processes in nodes: placeholder until node.exec/node.spawn land. */
#include "dispatch.h"
#include "labs.h"

void
pbd_proc_node_gone(struct pbd_lab *lab, struct pbl_node *node)
{
}

void
pbd_proc_lab_gone(struct pbd_lab *lab)
{
}

json_t *
pbd_proc_state(struct pbd_lab *lab)
{
        return json_array();
}

unsigned
pbd_proc_count_running(struct pbd_lab *lab)
{
        return 0;
}

const struct pbd_method pbd_methods_proc[1];
const size_t pbd_methods_proc_count = 0;
