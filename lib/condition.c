/* SPDX-License-Identifier: MIT */
/* Link conditions (SPEC §6): the preset table and predicates. */
#include "condition.h"

#include <errno.h>
#include <string.h>

#include "pb-macro.h"

static const struct {
        const char *name;
        struct pbl_condition c;
} presets[] = {
        /* The table of SPEC §6; the fields it does not list are 0. */
        { "lan", { .latency_ms = 0, .jitter_ms = 0, .loss_pct = 0, .rate_kbit = 0 } },
        { "wifi", { .latency_ms = 5, .jitter_ms = 2, .loss_pct = 0.1, .rate_kbit = 0 } },
        { "wifi-bad", { .latency_ms = 40, .jitter_ms = 15, .loss_pct = 2, .rate_kbit = 20000 } },
        { "mobile-4g", { .latency_ms = 25, .jitter_ms = 8, .loss_pct = 0.5, .rate_kbit = 0 } },
        { "mobile-3g", { .latency_ms = 100, .jitter_ms = 30, .loss_pct = 2, .rate_kbit = 2000 } },
        { "satellite", { .latency_ms = 40, .jitter_ms = 7, .loss_pct = 1, .rate_kbit = 0 } },
        { "satellite-geo",
          { .latency_ms = 300, .jitter_ms = 20, .loss_pct = 0.5, .rate_kbit = 25000 } },
};

int
pbl_condition_preset(const char *name, struct pbl_condition *ret)
{
        if (!name)
                return -ENOENT;
        for (size_t i = 0; i < ELEMENTSOF(presets); i++) {
                if (strcmp(presets[i].name, name) == 0) {
                        *ret = presets[i].c;
                        return 0;
                }
        }
        return -ENOENT;
}

bool
pbl_condition_is_null(const struct pbl_condition *c)
{
        return !c || (c->latency_ms == 0 && c->jitter_ms == 0 && c->loss_pct == 0 &&
                      c->reorder_pct == 0 && c->duplicate_pct == 0 && c->corrupt_pct == 0 &&
                      c->rate_kbit == 0);
}

bool
pbl_condition_rate_only(const struct pbl_condition *c)
{
        return c && c->rate_kbit > 0 && c->latency_ms == 0 && c->jitter_ms == 0 &&
               c->loss_pct == 0 && c->reorder_pct == 0 && c->duplicate_pct == 0 &&
               c->corrupt_pct == 0;
}

bool
pbl_condition_equal(const struct pbl_condition *a, const struct pbl_condition *b)
{
        return a->latency_ms == b->latency_ms && a->jitter_ms == b->jitter_ms &&
               a->loss_pct == b->loss_pct && a->reorder_pct == b->reorder_pct &&
               a->duplicate_pct == b->duplicate_pct && a->corrupt_pct == b->corrupt_pct &&
               a->rate_kbit == b->rate_kbit;
}

bool
pbl_condition_per_packet(const struct pbl_condition *c)
{
        return c && (c->loss_pct > 0 || c->duplicate_pct > 0 || c->corrupt_pct > 0 ||
                     c->reorder_pct > 0 || c->jitter_ms > 0);
}
