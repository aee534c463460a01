/* SPDX-License-Identifier: MIT */
/* pbctl: human forms of labs, routers, devices and interfaces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

static const char *
str(json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

/* The non-NULL strings among 'parts', joined by 'sep'; NULL if none. */
static char *
join(const char *sep, const char *const *parts, size_t n)
{
        char *buf = NULL;
        size_t len = 0;
        bool any = false;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (parts[i] && parts[i][0]) {
                        fprintf(f, "%s%s", any ? sep : "", parts[i]);
                        any = true;
                }
        fclose(f);
        if (!any) {
                free(buf);
                return NULL;
        }
        return buf;
}

/* "198.18.0.0/24" from an address and a prefix length, or the address alone. */
static char *
addr_prefix(json_t *obj, const char *ip_key, const char *prefix_key)
{
        const char *ip = str(obj, ip_key);
        json_t *prefix = json_object_get(obj, prefix_key);

        if (!ip)
                return NULL;
        if (json_is_integer(prefix))
                return output_fmt("%s/%lld", ip, (long long)json_integer_value(prefix));
        return strdup(ip);
}

static char *
render_ix(json_t *ix)
{
        _cleanup_free_ char *v4 = NULL, *v6 = NULL;

        if (str(ix, "gw4"))
                v4 = output_fmt("%s (%s)", str(ix, "gw4"), str(ix, "cidr4") ?: "?");
        if (str(ix, "gw6"))
                v6 = output_fmt("%s (%s)", str(ix, "gw6"), str(ix, "cidr6") ?: "?");
        return join(", ", (const char *const[]){ v4, v6 }, 2);
}

/* A firewall in the command line's syntax: "corporate", "inbound=block,tcp=80+443". */
static char *
render_firewall(json_t *fw)
{
        static const char *const protos[] = { "tcp", "udp" };
        char *parts[3] = {}, *text;
        json_t *allow;

        if (!json_is_object(fw))
                return output_render(fw);
        if (json_object_get(fw, "block_inbound"))
                parts[0] = output_fmt("inbound=%s",
                                      json_is_true(json_object_get(fw, "block_inbound")) ? "block"
                                                                                         : "allow");
        for (size_t i = 0; i < 2; i++) {
                json_t *policy = json_object_get(fw, protos[i]), *port;
                char *ports = NULL;
                size_t len = 0, k;
                FILE *f;

                if (json_is_string(policy)) {
                        parts[i + 1] = output_fmt("%s=%s", protos[i], json_string_value(policy));
                        continue;
                }
                allow = json_object_get(policy, "allow");
                if (!json_is_array(allow) || !(f = open_memstream(&ports, &len)))
                        continue;
                json_array_foreach (allow, k, port)
                        fprintf(f, "%s%lld", k ? "+" : "", (long long)json_integer_value(port));
                fclose(f);
                parts[i + 1] = output_fmt("%s=%s", protos[i], ports && ports[0] ? ports : "none");
                free(ports);
        }
        text = join(",", (const char *const *)parts, 3);
        output_cells_free(parts, ELEMENTSOF(parts));
        return text;
}

void
print_lab_summary(struct pbctl *ctl, json_t *lab)
{
        static const char *const keys[] = { "name",    "lifetime", "created", "outdir", "ix",
                                            "routers", "devices",  "regions", "procs",  NULL };
        json_auto_t *o = json_copy(lab);
        _cleanup_free_ char *ix = render_ix(json_object_get(lab, "ix"));

        if (!o)
                return;
        if (ix)
                json_object_set_new(o, "ix", json_string(ix));
        output_kv(ctl, o, keys);
}

void
print_labs(struct pbctl *ctl, json_t *labs)
{
        static const char *const headers[] = { "NAME",    "LIFETIME", "ROUTERS", "DEVICES",
                                               "REGIONS", "PROCS",    "CREATED", NULL };
        static const char *const keys[] = { "name",    "lifetime", "routers", "devices",
                                            "regions", "procs",    "created" };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        char *cells[ELEMENTSOF(keys)] = {};
        json_t *lab;
        size_t i;

        json_array_foreach (labs, i, lab) {
                for (size_t c = 0; c < ELEMENTSOF(keys); c++)
                        cells[c] = output_render(json_object_get(lab, keys[c]));
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
        table_print(ctl, t);
}

/* Where a router hangs: its parent router, its region, or the IX. */
static char *
router_via(json_t *r)
{
        if (str(r, "upstream"))
                return strdup(str(r, "upstream"));
        if (str(r, "region"))
                return output_fmt("region %s", str(r, "region"));
        return strdup("ix");
}

void
print_router(struct pbctl *ctl, json_t *r)
{
        static const char *const keys[] = {
                "name", "uplink", "lan",      "nat",       "nat_v6",  "firewall", "ip_support",
                "via",  "mtu",    "downlink", "icmp_frag", "devices", NULL,
        };
        json_t *up = json_object_get(r, "uplink"), *down = json_object_get(r, "downstream");
        _cleanup_free_ char *uplink = NULL, *lan4 = NULL, *lan6 = NULL, *lan = NULL, *nat = NULL,
                            *fw = NULL, *via = router_via(r), *cond = NULL;
        json_auto_t *o = json_object();

        if (!o)
                return;
        uplink = join(" ", (const char *const[]){ str(up, "iface"), str(up, "ip"), str(up, "ip6") },
                      3);
        if (str(down, "cidr"))
                lan4 = output_fmt("%s gw %s", str(down, "cidr"), str(down, "gw") ?: "-");
        if (str(down, "cidr6"))
                lan6 = output_fmt("%s gw %s", str(down, "cidr6"), str(down, "gw6") ?: "-");
        lan = join(", ", (const char *const[]){ lan4, lan6 }, 2);
        if (json_is_object(json_object_get(r, "nat_config"))) {
                _cleanup_free_ char *cfg = output_render(json_object_get(r, "nat_config"));

                nat = output_fmt("custom %s", cfg ?: "?");
        }
        fw = render_firewall(json_object_get(r, "firewall"));
        cond = output_condition(json_object_get(r, "downlink_condition"));
        json_object_set(o, "name", json_object_get(r, "name"));
        json_object_set_new(o, "uplink", json_string(uplink ?: "-"));
        json_object_set_new(o, "lan", json_string(lan ?: "-"));
        /* json_object_set() of a missing value fails and leaves the key out. */
        if (nat)
                json_object_set_new(o, "nat", json_string(nat));
        else
                json_object_set(o, "nat", json_object_get(r, "nat"));
        json_object_set(o, "nat_v6", json_object_get(r, "nat_v6"));
        json_object_set_new(o, "firewall", json_string(fw ?: "-"));
        json_object_set(o, "ip_support", json_object_get(r, "ip_support"));
        json_object_set_new(o, "via", json_string(via ?: "-"));
        json_object_set(o, "mtu", json_object_get(r, "mtu"));
        if (json_object_get(r, "downlink_condition"))
                json_object_set_new(o, "downlink", json_string(cond ?: "-"));
        if (json_is_true(json_object_get(r, "block_icmp_frag_needed")))
                json_object_set_new(o, "icmp_frag", json_string("needed messages dropped"));
        json_object_set(o, "devices", json_object_get(r, "devices"));
        output_kv(ctl, o, keys);
}

void
print_routers(struct pbctl *ctl, json_t *routers)
{
        static const char *const headers[] = { "NAME", "UPLINK",   "LAN", "NAT",
                                               "NAT6", "FIREWALL", "VIA", NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        char *cells[ELEMENTSOF(headers) - 1] = {};
        json_t *r;
        size_t i;

        json_array_foreach (routers, i, r) {
                json_t *up = json_object_get(r, "uplink"), *down = json_object_get(r, "downstream");

                cells[0] = output_render(json_object_get(r, "name"));
                cells[1] = strdup(str(up, "ip") ?: str(up, "ip6") ?: "-");
                cells[2] = strdup(str(down, "cidr") ?: str(down, "cidr6") ?: "-");
                cells[3] = output_render(json_object_get(r, "nat"));
                cells[4] = output_render(json_object_get(r, "nat_v6"));
                cells[5] = render_firewall(json_object_get(r, "firewall"));
                cells[6] = router_via(r);
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
        table_print(ctl, t);
}

/* "10.0.1.2/24", followed by any extra addresses. */
static char *
iface_ips(json_t *iface)
{
        _cleanup_free_ char *ip = addr_prefix(iface, "ip", "prefix"), *extra = NULL;

        extra = output_render(json_object_get(iface, "extra_ips"));
        if (!json_array_size(json_object_get(iface, "extra_ips")))
                return TAKE_PTR(ip);
        return join(", ", (const char *const[]){ ip, extra }, 2);
}

static char *
iface_condition(json_t *iface)
{
        _cleanup_free_ char *cond = output_condition(json_object_get(iface, "condition"));
        const char *dir = str(iface, "direction");

        if (cond && dir && strcmp(dir, "up") != 0 &&
            !json_is_null(json_object_get(iface, "condition")))
                return output_fmt("%s (%s)", cond, dir);
        return TAKE_PTR(cond);
}

/* Rows of one device's interfaces; 'full' adds state and counters. */
static void
add_iface_rows(struct table *t, json_t *dev, bool full, bool mark_default)
{
        json_t *ifaces = json_object_get(dev, "ifaces"), *iface;
        const char *def = str(dev, "default_via");
        char *cells[9] = {};
        char rx[32], tx[32];
        size_t i;

        json_array_foreach (ifaces, i, iface) {
                json_t *counters = json_object_get(iface, "counters");
                const char *name = str(iface, "name") ?: "?";
                bool is_def = mark_default && def && json_array_size(ifaces) > 1 &&
                              strcmp(name, def) == 0;

                cells[0] = strdup(i == 0 || full ? str(dev, "name") ?: "?" : "");
                cells[1] = output_fmt("%s%s", name, is_def ? "*" : "");
                cells[2] = output_render(json_object_get(iface, "router"));
                cells[3] = iface_ips(iface);
                cells[4] = output_render(json_object_get(iface, "ip6"));
                cells[5] = iface_condition(iface);
                if (full) {
                        json_t *up = json_object_get(iface, "up");

                        cells[6] = strdup(!up ? "-" : json_is_true(up) ? "up" : "down");
                        cells[7] = strdup(
                                output_size(json_object_get(counters, "rx_bytes"), rx, sizeof(rx)));
                        cells[8] = strdup(
                                output_size(json_object_get(counters, "tx_bytes"), tx, sizeof(tx)));
                }
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
}

void
print_device(struct pbctl *ctl, json_t *dev)
{
        static const char *const keys[] = { "name", "ip", "ip6", "default_via", "mtu", NULL };
        static const char *const headers[] = { "DEVICE",    "IFACE", "ROUTER", "IP", "IP6",
                                               "CONDITION", "STATE", "RX",     "TX", NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);

        output_kv(ctl, dev, keys);
        putchar('\n');
        add_iface_rows(t, dev, true, false);
        table_print(ctl, t);
}

void
print_devices(struct pbctl *ctl, json_t *devices)
{
        static const char *const headers[] = { "NAME", "IFACES", "IP", "IP6", "DEFAULT_VIA", NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        char *cells[ELEMENTSOF(headers) - 1] = {};
        json_t *dev, *iface;
        size_t i, k;

        json_array_foreach (devices, i, dev) {
                char *buf = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&buf, &len);

                if (f) {
                        json_array_foreach (json_object_get(dev, "ifaces"), k, iface)
                                fprintf(f, "%s%s@%s", k ? ", " : "", str(iface, "name") ?: "?",
                                        str(iface, "router") ?: "?");
                        fclose(f);
                }
                cells[0] = output_render(json_object_get(dev, "name"));
                cells[1] = buf;
                cells[2] = output_render(json_object_get(dev, "ip"));
                cells[3] = output_render(json_object_get(dev, "ip6"));
                cells[4] = output_render(json_object_get(dev, "default_via"));
                table_add(t, (const char *const *)cells);
                output_cells_free(cells, ELEMENTSOF(cells));
        }
        table_print(ctl, t);
}

void
print_ifaces(struct pbctl *ctl, json_t *devices)
{
        static const char *const headers[] = { "DEVICE",    "IFACE", "ROUTER", "IP", "IP6",
                                               "CONDITION", "STATE", "RX",     "TX", NULL };
        _cleanup_(table_freep) struct table *t = table_new(headers);
        json_t *dev;
        size_t i;

        json_array_foreach (devices, i, dev)
                add_iface_rows(t, dev, true, false);
        table_print(ctl, t);
}

void
print_lab_state(struct pbctl *ctl, json_t *state)
{
        static const char *const dev_headers[] = { "DEVICE", "IFACE",     "ROUTER", "IP",
                                                   "IP6",    "CONDITION", NULL };
        json_t *routers = json_object_get(state, "routers"), *devices, *dev, *procs, *dns, *v;
        _cleanup_free_ char *ix = render_ix(json_object_get(state, "ix"));
        bool marked = false;
        size_t i;

        printf("%sLab %s%s  (%s", ctl->tty ? "\033[1m" : "", str(state, "name") ?: "?",
               ctl->tty ? "\033[0m" : "", str(state, "lifetime") ?: "?");
        if (str(state, "created"))
                printf(", created %s", str(state, "created"));
        if (str(state, "outdir"))
                printf(", outdir %s", str(state, "outdir"));
        printf(")\nIX %s\n", ix ?: "-");

        if (json_array_size(routers)) {
                putchar('\n');
                output_section(ctl, "Routers");
                print_routers(ctl, routers);
        }
        devices = json_object_get(state, "devices");
        if (json_array_size(devices)) {
                _cleanup_(table_freep) struct table *t = table_new(dev_headers);

                json_array_foreach (devices, i, dev) {
                        add_iface_rows(t, dev, false, true);
                        marked |= json_array_size(json_object_get(dev, "ifaces")) > 1;
                }
                putchar('\n');
                output_section(ctl, "Devices");
                table_print(ctl, t);
                if (marked)
                        printf("(* carries the default route)\n");
        }
        print_counters(ctl, state);
        if (json_array_size(json_object_get(state, "regions"))) {
                putchar('\n');
                output_section(ctl, "Regions");
                print_regions(ctl, state);
        }
        procs = json_object_get(state, "procs");
        if (json_array_size(procs)) {
                putchar('\n');
                output_section(ctl, "Processes");
                print_procs(ctl, procs);
        }
        dns = json_object_get(state, "dns");
        if (json_array_size(json_object_get(dns, "entries")) || str(dns, "nameserver")) {
                putchar('\n');
                output_section(ctl, "DNS");
                print_dns(ctl, dns);
        }
        if (json_array_size(v = json_object_get(state, "reflectors"))) {
                putchar('\n');
                output_section(ctl, "Reflectors");
                print_reflectors(ctl, v);
        }
        if (json_array_size(v = json_object_get(state, "captures"))) {
                putchar('\n');
                output_section(ctl, "Captures");
                print_captures(ctl, v);
        }
}
