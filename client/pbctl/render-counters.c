/* SPDX-License-Identifier: MIT */
/* pbctl: the interface counters of lab.state, one row per interface. */
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

/* Adds the row of interface 'iface' of 'node' with counters 'c' (skipped when absent). */
static size_t
add_row(struct table *t, const char *node, const char *iface, json_t *c)
{
        char *cells[7] = {}, b[4][32];
        long long drops;

        if (!json_is_object(c))
                return 0;
        drops = json_integer_value(json_object_get(c, "rx_dropped")) +
                json_integer_value(json_object_get(c, "tx_dropped"));
        cells[0] = strdup(node);
        cells[1] = strdup(iface);
        cells[2] = strdup(output_size(json_object_get(c, "rx_packets"), b[0], sizeof(b[0])));
        cells[3] = strdup(output_size(json_object_get(c, "rx_bytes"), b[1], sizeof(b[1])));
        cells[4] = strdup(output_size(json_object_get(c, "tx_packets"), b[2], sizeof(b[2])));
        cells[5] = strdup(output_size(json_object_get(c, "tx_bytes"), b[3], sizeof(b[3])));
        cells[6] = drops ? output_fmt("%lld", drops) : strdup("-");
        table_add(t, (const char *const *)cells);
        output_cells_free(cells, ELEMENTSOF(cells));
        return 1;
}

void
print_counters(struct pbctl *ctl, json_t *state)
{
        static const char *const headers[] = { "NODE",    "IFACE", "RX PKTS", "RX",
                                               "TX PKTS", "TX",    "DROPS",   NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        json_t *n, *i, *c;
        const char *name;
        size_t k, j, rows = 0;

        if (!t)
                return;
        json_array_foreach (json_object_get(state, "routers"), k, n)
                json_object_foreach (json_object_get(n, "counters"), name, c)
                        rows += add_row(t, json_string_value(json_object_get(n, "name")) ?: "?",
                                        name, c);
        json_array_foreach (json_object_get(state, "devices"), k, n)
                json_array_foreach (json_object_get(n, "ifaces"), j, i)
                        rows += add_row(t, json_string_value(json_object_get(n, "name")) ?: "?",
                                        json_string_value(json_object_get(i, "name")) ?: "?",
                                        json_object_get(i, "counters"));
        if (!rows)
                return;
        putchar('\n');
        output_section(ctl, "Interfaces");
        table_print(ctl, t);
}
