/* SPDX-License-Identifier: MIT */
/* pbctl probe and reflector ...: the daemon's built-in NAT probes. */
#include <string.h>

#include "pb-macro.h"
#include "pbctl.h"

#define PROTO_OPT PBCTL_OPT("proto", 'p', "PROTO", "proto", PBCTL_T_STRING, "udp (default) or tcp")

/* A bare port ("3478" or ":3478") binds every IPv4 address. */
static int
reflector_start(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *bind = a->pos[2], *port = bind[0] == ':' ? bind + 1 : bind;
        _cleanup_free_ char *full = NULL;

        if (port[0] && strspn(port, "0123456789") == strlen(port)) {
                full = output_fmt("0.0.0.0:%s", port);
                if (!full || json_object_set_new(params, "bind", json_string(full)) < 0)
                        return pbctl_usage_error(a, "out of memory");
        }
        return pbctl_invoke(ctl, "node.reflector", json_incref(params), print_kv_all);
}

static int
reflector_ls(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        return pbctl_show_state_part(ctl, a->pos[0], "reflectors", print_reflectors);
}

static void
print_probe(struct pbctl *ctl, json_t *res)
{
        json_t *rtt = json_object_get(res, "rtt_ms");
        const char *local = json_string_value(json_object_get(res, "local"));

        printf("observed %s", json_string_value(json_object_get(res, "observed")) ?: "?");
        if (json_is_number(rtt))
                printf("  rtt %.3f ms", json_number_value(rtt));
        if (local)
                printf("  local %s", local);
        if (json_integer_value(json_object_get(res, "attempts_used")) > 1)
                printf("  attempts %lld",
                       (long long)json_integer_value(json_object_get(res, "attempts_used")));
        putchar('\n');
}

static const struct pbctl_verb probe_verbs[] = {
        { .help = "send PROBE to a reflector from a node; print the address it saw and the rtt",
          .method = "node.probe",
          .print = print_probe,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_LAB, PBCTL_POS("NODE", "node"), PBCTL_POS("TARGET", "target"), {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PROTO_OPT,
                          PBCTL_OPT("bind", 'b', "ADDR:PORT", "bind", PBCTL_T_STRING,
                                    "local address and port to send from"),
                          PBCTL_OPT("timeout", 0, "MS", "timeout_ms", PBCTL_T_INT,
                                    "wait per attempt (default 1000)"),
                          PBCTL_OPT("attempts", 'n', "N", "attempts", PBCTL_T_INT,
                                    "attempts (default 3)"),
                          {} },
          .details = "TARGET and ADDR:PORT are ip:port, or [ipv6]:port.\n" },
};
PBCTL_GROUP(pbctl_group_probe, "probe", "probe a reflector: the reflexive address and rtt",
            probe_verbs);

static const struct pbctl_verb reflector_verbs[] = {
        { .name = "start",
          .help = "start a reflector answering OBSERVED ip:port",
          .method = "node.reflector",
          .run = reflector_start,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_LAB, PBCTL_POS("NODE", "node"), PBCTL_POS("BIND", "bind"), {} },
          .opts = (const struct pbctl_arg[]){ PROTO_OPT, {} },
          .details = "BIND is ip:port or [ipv6]:port; a bare PORT means 0.0.0.0:PORT, and port 0\n"
                     "picks a free one.\n" },
        { .name = "stop",
          .help = "stop a reflector",
          .method = "node.reflector_stop",
          .print = print_nothing,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB,
                                             PBCTL_POS_T("ID", "id", PBCTL_T_INT, 0),
                                             {} } },
        { .name = "ls",
          .alias = "list",
          .help = "list a lab's reflectors",
          .method = "lab.state",
          .run = reflector_ls,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
};
PBCTL_GROUP(pbctl_group_reflector, "reflector", "built-in UDP/TCP reflectors", reflector_verbs);
