/* SPDX-License-Identifier: MIT */
/* Link conditions and directions between the API's JSON and the engine (SPEC §6). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pb-macro.h"

/* Latency and jitter above an hour are surely a unit mistake. */
#define MAX_DELAY_MS 3600000.0

static int
field(json_t *obj, const char *name, double max, double *ret, const char *param,
      struct pb_rpc_error *reterr)
{
        json_t *v = json_object_get(obj, name);
        double d;

        if (!v)
                return 0;
        d = json_number_value(v);
        if (!json_is_number(v) || !isfinite(d) || d < 0 || d > max)
                return pb_rpc_error_param(reterr, param, "%s.%s must be a number in [0, %g]", param,
                                          name, max);
        *ret = d;
        return 0;
}

int
pbd_condition_from_json(json_t *j, struct pbl_condition *ret, const char *param,
                        struct pb_rpc_error *reterr)
{
        const char *preset =
                json_string_value(json_is_string(j) ? j : json_object_get(j, "preset"));
        double rate = 0;
        int r = 0;

        *ret = (struct pbl_condition){ 0 };
        if (!j || json_is_null(j))
                return 0;
        if (!json_is_string(j) && !json_is_object(j))
                return pb_rpc_error_param(reterr, param,
                                          "a condition is null, a preset name or an object");
        if (preset && pbl_condition_preset(preset, ret) < 0)
                return pb_rpc_error_param(reterr, param, "unknown condition preset '%s'", preset);
        if (json_is_string(j))
                return 0;
        rate = ret->rate_kbit;
        r = r ?: field(j, "rate_kbit", (double)UINT32_MAX, &rate, param, reterr);
        r = r ?: field(j, "latency_ms", MAX_DELAY_MS, &ret->latency_ms, param, reterr);
        r = r ?: field(j, "jitter_ms", MAX_DELAY_MS, &ret->jitter_ms, param, reterr);
        r = r ?: field(j, "loss_pct", 100, &ret->loss_pct, param, reterr);
        r = r ?: field(j, "reorder_pct", 100, &ret->reorder_pct, param, reterr);
        r = r ?: field(j, "duplicate_pct", 100, &ret->duplicate_pct, param, reterr);
        r = r ?: field(j, "corrupt_pct", 100, &ret->corrupt_pct, param, reterr);
        ret->rate_kbit = (uint32_t)llround(rate);
        if (r == 0 && rate > 0 && ret->rate_kbit == 0)
                ret->rate_kbit = 1;
        return r;
}

json_t *
pbd_condition_json(const struct pbl_condition *c)
{
        if (!c || pbl_condition_is_null(c))
                return json_null();
        return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "rate_kbit",
                         (json_int_t)c->rate_kbit, "latency_ms", c->latency_ms, "jitter_ms",
                         c->jitter_ms, "loss_pct", c->loss_pct, "reorder_pct", c->reorder_pct,
                         "duplicate_pct", c->duplicate_pct, "corrupt_pct", c->corrupt_pct);
}

int
pbd_direction_from_string(const char *s, enum pbl_direction *ret)
{
        if (!s || strcmp(s, "up") == 0 || strcmp(s, "a-to-b") == 0)
                *ret = PBL_DIR_UP;
        else if (strcmp(s, "down") == 0 || strcmp(s, "b-to-a") == 0)
                *ret = PBL_DIR_DOWN;
        else if (strcmp(s, "both") == 0)
                *ret = PBL_DIR_BOTH;
        else
                return -EINVAL;
        return 0;
}

const char *
pbd_direction_to_string(enum pbl_direction d)
{
        return d == PBL_DIR_DOWN ? "down" : d == PBL_DIR_BOTH ? "both" : "up";
}
