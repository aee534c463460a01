/* SPDX-License-Identifier: MIT */
/* Reflectors and probes: placeholder until node.reflector/node.probe land. */
#include "dispatch.h"
#include "labs.h"

void
pbd_probe_node_gone(struct pbd_lab *lab, struct pbl_node *node)
{
}

void
pbd_probe_lab_gone(struct pbd_lab *lab)
{
}

json_t *
pbd_probe_state(struct pbd_lab *lab)
{
        return json_array();
}

const struct pbd_method pbd_methods_probe[1];
const size_t pbd_methods_probe_count = 0;
