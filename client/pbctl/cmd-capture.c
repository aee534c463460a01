/* SPDX-License-Identifier: MIT */
/* pbctl capture ...: packet captures to pcap files. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "pbctl.h"

static void
print_capture_done(struct pbctl *ctl, json_t *res)
{
        printf("%s: %lld packets, %lld bytes, %lld dropped\n",
               json_string_value(json_object_get(res, "path")) ?: "-",
               (long long)json_integer_value(json_object_get(res, "packets")),
               (long long)json_integer_value(json_object_get(res, "bytes")),
               (long long)json_integer_value(json_object_get(res, "dropped")));
}

/* Waits for SIGINT or SIGTERM (blocked in 'set'), or 'secs' when > 0. */
static void
wait_stop(const sigset_t *set, double secs)
{
        struct timespec end, now, left;

        if (secs <= 0) {
                while (sigwaitinfo(set, NULL) < 0 && errno == EINTR)
                        ;
                return;
        }
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += (time_t)secs;
        end.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
        if (end.tv_nsec >= 1000000000L) {
                end.tv_sec++;
                end.tv_nsec -= 1000000000L;
        }
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                left.tv_sec = end.tv_sec - now.tv_sec;
                left.tv_nsec = end.tv_nsec - now.tv_nsec;
                if (left.tv_nsec < 0) {
                        left.tv_sec--;
                        left.tv_nsec += 1000000000L;
                }
                if (left.tv_sec < 0)
                        return;
                if (sigtimedwait(set, NULL, &left) >= 0 || errno != EINTR)
                        return; /* A signal, or the time is up (EAGAIN). */
        }
}

/* pbctl capture LAB NODE IFACE [-w FILE] [--duration S]: start, wait, stop, report. */
static int
capture_run(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *dur = pbctl_arg(a, "duration");
        json_auto_t *res = NULL, *done = NULL;
        sigset_t set, old;
        double secs = 0;
        char *end;
        int r;

        if (dur) {
                errno = 0;
                secs = strtod(dur, &end);
                if (errno || end == dur || *end || !isfinite(secs) || secs <= 0 || secs > 1e6)
                        return pbctl_usage_error(a, "--duration wants seconds, not '%s'", dur);
        }
        /* Blocked before the capture starts, so that Ctrl-C always stops it cleanly. */
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigprocmask(SIG_BLOCK, &set, &old);
        r = pbctl_call(ctl, "capture.start", json_incref(params), &res);
        if (r == PBCTL_EXIT_OK && !json_is_integer(json_object_get(res, "id"))) {
                fprintf(stderr, "pbctl: capture.start answered without an id\n");
                r = PBCTL_EXIT_USAGE;
        }
        if (r == PBCTL_EXIT_OK) {
                if (!ctl->json)
                        fprintf(stderr, "pbctl: capturing %s %s into %s (%s)\n", a->pos[1],
                                a->pos[2], json_string_value(json_object_get(res, "path")),
                                dur ? "--duration" : "Ctrl-C stops");
                wait_stop(&set, secs);
                r = pbctl_call(
                        ctl, "capture.stop",
                        json_pack("{s:s, s:O}", "lab", a->pos[0], "id", json_object_get(res, "id")),
                        &done);
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
        return r ? r : pbctl_print(ctl, done, print_capture_done);
}

static int
capture_ls(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        return pbctl_show_state_part(ctl, a->pos[0], "captures", print_captures);
}

static const struct pbctl_verb capture_verbs[] = {
        /* No name: "pbctl capture LAB NODE IFACE" when the word after capture is no verb. */
        { .help = "capture until Ctrl-C (or --duration), then print the file and its counts",
          .method = "capture.start",
          .run = capture_run,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_LAB, PBCTL_POS("NODE", "node"), PBCTL_POS("IFACE", "iface"), {} },
          .opts =
                  (const struct pbctl_arg[]){
                          PBCTL_OPT("path", 'w', "FILE", "path", PBCTL_T_PATH,
                                    "pcap file (relative to pbctl's directory; default: in the "
                                    "lab's outdir)"),
                          PBCTL_OPT("duration", 'd', "SECONDS", NULL, PBCTL_T_NONE,
                                    "stop after SECONDS (default: at Ctrl-C or SIGTERM)"),
                          {} },
          .details = "A lab named like a verb (start, stop, ls, list) needs 'pbctl capture start'\n"
                     "and 'pbctl capture stop' instead.\n" },
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
