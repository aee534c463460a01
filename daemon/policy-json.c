/* SPDX-License-Identifier: MIT */
/* The API's NAT, IPv6 NAT and firewall values (SPEC §4) as engine policies. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "pb-macro.h"
#include "pb-rpc.h"

/* SPEC §4's NAT table; custom configurations default to home's. */
static const struct {
        const char *name;
        struct pbl_nat nat;
} nat_modes[] = {
        { "none", { PBL_MAPPING_NONE, PBL_FILTERING_NONE, false, 0, 0, 0 } },
        { "home", { PBL_MAPPING_EIM, PBL_FILTERING_APDF, false, 30, 300, 7200 } },
        { "corporate", { PBL_MAPPING_EDM, PBL_FILTERING_APDF, false, 30, 120, 3600 } },
        { "cloud-nat", { PBL_MAPPING_EDM, PBL_FILTERING_APDF, false, 30, 350, 3600 } },
        { "full-cone", { PBL_MAPPING_EIM, PBL_FILTERING_EIF, true, 30, 300, 7200 } },
        { "cgnat", { PBL_MAPPING_MASQ, PBL_FILTERING_NONE, false, 0, 0, 0 } },
};

int
pbd_nat_from_json(const char *mode, json_t *config, struct pbl_nat *ret,
                  struct pb_rpc_error *reterr)
{
        json_t *v, *timeouts;

        if (!config) {
                for (size_t i = 0; i < ELEMENTSOF(nat_modes); i++)
                        if (strcmp(nat_modes[i].name, mode) == 0) {
                                *ret = nat_modes[i].nat;
                                return 0;
                        }
                return pb_rpc_error_param(reterr, "nat", "unknown NAT mode '%s'", mode);
        }
        *ret = nat_modes[1].nat; /* home */
        if ((v = json_object_get(config, "mapping")))
                ret->mapping = strcmp(json_string_value(v), "edm") == 0 ? PBL_MAPPING_EDM
                                                                        : PBL_MAPPING_EIM;
        if ((v = json_object_get(config, "filtering")))
                ret->filtering = strcmp(json_string_value(v), "eif") == 0 ? PBL_FILTERING_EIF
                                                                          : PBL_FILTERING_APDF;
        if ((v = json_object_get(config, "hairpin")))
                ret->hairpin = json_is_true(v);
        timeouts = json_object_get(config, "timeouts");
        if ((v = json_object_get(timeouts, "udp")))
                ret->timeout_udp = (unsigned)json_integer_value(v);
        if ((v = json_object_get(timeouts, "udp_stream")))
                ret->timeout_udp_stream = (unsigned)json_integer_value(v);
        if ((v = json_object_get(timeouts, "tcp_established")))
                ret->timeout_tcp_established = (unsigned)json_integer_value(v);
        return 0;
}

int
pbd_nat6_from_string(const char *s, enum pbl_nat6 *ret)
{
        static const char *const names[] = { "none", "masquerade", "nptv6", "nat64" };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcmp(names[i], s) == 0) {
                        *ret = (enum pbl_nat6)i;
                        return 0;
                }
        return -EINVAL;
}

static int
ports_from_json(json_t *v, const char *param, struct pbl_ports *ret, struct pb_rpc_error *reterr)
{
        json_t *allow, *port;
        size_t i;

        memset(ret, 0, sizeof(*ret));
        if (!v || (json_is_string(v) && strcmp(json_string_value(v), "all") == 0))
                return 0;
        if (json_is_string(v)) {
                ret->kind = PBL_PORTS_NONE;
                return 0;
        }
        allow = json_object_get(v, "allow");
        if (json_array_size(allow) > PBL_PORTS_MAX)
                return pb_rpc_error_param(reterr, param, "at most %d ports may be allowed",
                                          PBL_PORTS_MAX);
        ret->kind = PBL_PORTS_ALLOW;
        json_array_foreach (allow, i, port)
                ret->port[ret->n++] = (uint16_t)json_integer_value(port);
        return 0;
}

int
pbd_firewall_from_json(json_t *fw, struct pbl_firewall *ret, struct pb_rpc_error *reterr)
{
        const char *name = json_string_value(fw);
        int r;

        memset(ret, 0, sizeof(*ret));
        if (!name) {
                ret->block_inbound = json_is_true(json_object_get(fw, "block_inbound"));
                r = ports_from_json(json_object_get(fw, "tcp"), "firewall.tcp", &ret->tcp, reterr);
                return r
                               ?: ports_from_json(json_object_get(fw, "udp"), "firewall.udp",
                                                  &ret->udp, reterr);
        }
        if (strcmp(name, "none") == 0)
                return 0;
        ret->block_inbound = true;
        if (strcmp(name, "block-inbound") == 0)
                return 0;
        ret->udp = (struct pbl_ports){ .kind = PBL_PORTS_ALLOW, .n = 1, .port = { 53 } };
        if (strcmp(name, "captive-portal") == 0)
                return 0;
        if (strcmp(name, "corporate") == 0) {
                ret->tcp =
                        (struct pbl_ports){ .kind = PBL_PORTS_ALLOW, .n = 2, .port = { 80, 443 } };
                return 0;
        }
        return pb_rpc_error_param(reterr, "firewall", "unknown firewall '%s'", name);
}

int
pbd_policy_from_cfg(const struct pbd_router_cfg *c, struct pbl_policy *ret,
                    struct pb_rpc_error *reterr)
{
        int r;

        memset(ret, 0, sizeof(*ret));
        r = pbd_nat_from_json(c->nat, c->nat_config, &ret->nat, reterr);
        if (r < 0)
                return r;
        if (pbd_nat6_from_string(c->nat_v6, &ret->nat6) < 0)
                return pb_rpc_error_param(reterr, "nat_v6", "unknown IPv6 NAT mode '%s'",
                                          c->nat_v6);
        r = pbd_firewall_from_json(c->firewall, &ret->fw, reterr);
        ret->block_icmp_frag_needed = c->block_icmp_frag_needed;
        return r;
}
