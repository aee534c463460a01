/* SPDX-License-Identifier: MIT */
/* pbctl capture ...: packet captures to pcap files. */
#include "pbctl.h"

static int
capture_ls(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        return pbctl_show_state_part(ctl, a->pos[0], "captures", print_captures);
}

static const struct pbctl_verb capture_verbs[] = {
        { .name = "start",
          .help = "capture every frame on a node's interface to a pcap file",
          .method = "capture.start",
          .print = print_kv_all,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_LAB, PBCTL_POS("NODE", "node"), PBCTL_POS("IFACE", "iface"), {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PBCTL_OPT(
                                  "path", 'w', "FILE", "path", PBCTL_T_PATH,
                                  "pcap file (relative to pbctl's directory; default: in the lab's "
                                  "outdir)"),
                          {} } },
        { .name = "stop",
          .help = "stop a capture and close its file",
          .method = "capture.stop",
          .print = print_kv_all,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB,
                                             PBCTL_POS_T("ID", "id", PBCTL_T_INT, 0),
                                             {} } },
        { .name = "ls",
          .alias = "list",
          .help = "list a lab's running captures",
          .method = "lab.state",
          .run = capture_ls,
          .pos = (const struct pbctl_arg[]){ PBCTL_LAB, {} } },
};
PBCTL_GROUP(pbctl_group_capture, "capture", "packet captures to pcap files", capture_verbs);
