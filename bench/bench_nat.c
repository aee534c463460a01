/* SPDX-License-Identifier: MIT */
/*
 * bench_nat: what NAT and firewalls cost.
 *
 *  1. Applying a NAT + firewall rule set to a router that has none
 *     (router.set_nat home on a router with a block-inbound firewall), and
 *     replacing it (router.set_nat toggling home <-> full-cone, which
 *     rebuilds every table in one transaction): median and p99 of many.
 *     Baseline in the same run: the reference's method, `nft -f` of the
 *     same rule set text, timed inside the router.
 *  2. Building 100 home routers with one device each, against the same lab
 *     with NAT none.
 *
 * Usage: bench_nat [-n ROUNDS] [PATCHBAYD]
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/wait.h>

#include "bench-util.h"
#include "patchbay.h"

/* The rule set `home` applies, as nft text, for the reference's method. */
static const char *nft_home = "table ip pb_nat {\\n chain postrouting {\\n"
                              "  type nat hook postrouting priority srcnat;\\n"
                              "  oifname \\\"ix\\\" snat to %s\\n }\\n}\\n"
                              "table inet pb_filter {\\n chain forward {\\n"
                              "  type filter hook forward priority filter;\\n"
                              "  ct state established,related accept\\n"
                              "  iifname \\\"ix\\\" meta nfproto ipv4 ct state new drop\\n"
                              "  iifname \\\"ix\\\" ct state new drop\\n }\\n}\\n";

static double
nft_baseline(struct pb_client *c, const char *wan, int rounds)
{
        char rules[1024], params[4096], *res;
        double ms = -1;
        char *p;

        snprintf(rules, sizeof(rules), nft_home, wan);
        /* printf 'rules' > f; time N x (delete tables; nft -f f) inside the router. */
        snprintf(
                params, sizeof(params),
                "{\"lab\":\"bench\",\"node\":\"nat0\",\"timeout_ms\":600000,\"argv\":[\"sh\","
                "\"-c\",\"printf '%s' > /tmp/pb-bench.nft && s=$(date +%%s%%N) && i=0 && while "
                "[ $i -lt %d ]; do nft -f /tmp/pb-bench.nft || exit 1; nft delete table ip pb_nat; "
                "nft delete table inet pb_filter; i=$((i+1)); done; e=$(date +%%s%%N); rm -f "
                "/tmp/pb-bench.nft; echo $(( (e - s) / %d ))\"]}",
                rules, rounds, rounds);
        res = pbb_callr(c, "node.exec", params);
        p = strstr(res, "\"stdout\":\"");
        if (p && strstr(res, "\"exit_code\":0"))
                ms = atof(p + 10) / 1e6;
        free(res);
        return ms;
}

static double
build_routers(struct pb_client *c, const char *lab, const char *preset, int n)
{
        char params[256];
        double t0;

        snprintf(params, sizeof(params), "{\"name\":\"%s\"}", lab);
        pbb_call(c, "lab.create", params);
        t0 = pbb_now_ms();
        for (int i = 0; i < n; i++) {
                snprintf(params, sizeof(params),
                         "{\"lab\":\"%s\",\"name\":\"r%d\",\"preset\":\"%s\"}", lab, i, preset);
                pbb_call(c, "router.add", params);
                snprintf(params, sizeof(params),
                         "{\"lab\":\"%s\",\"name\":\"d%d\",\"ifaces\":[{\"name\":\"eth0\","
                         "\"router\":\"r%d\"}]}",
                         lab, i, i);
                pbb_call(c, "device.add", params);
        }
        t0 = pbb_now_ms() - t0;
        snprintf(params, sizeof(params), "{\"lab\":\"%s\"}", lab);
        pbb_call(c, "lab.destroy", params);
        return t0;
}

int
main(int argc, char **argv)
{
        char bin[PATH_MAX], self[PATH_MAX - 16], sock[64], params[256], wan[64] = "";
        int rounds = 200, opt;
        double *apply, *replace, am, ap, rm, rp, nft, home_ms, none_ms;
        struct pb_client *c = NULL;
        struct pb_error e;
        ssize_t len;
        pid_t pid;
        char *res, *p;

        pbb_name = "bench_nat";
        while ((opt = getopt(argc, argv, "n:")) >= 0) {
                if (opt != 'n' || (rounds = atoi(optarg)) < 10) {
                        fprintf(stderr, "Usage: bench_nat [-n ROUNDS>=10] [PATCHBAYD]\n");
                        return 1;
                }
        }
        len = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (len <= 0)
                pbb_die("readlink", NULL);
        self[len] = '\0';
        *strrchr(self, '/') = '\0';
        if (optind < argc)
                snprintf(bin, sizeof(bin), "%s", argv[optind]);
        else
                snprintf(bin, sizeof(bin), "%s/patchbayd", self);
        snprintf(sock, sizeof(sock), "/tmp/bench-nat-%d.sock", (int)getpid());
        apply = calloc((size_t)rounds, sizeof(*apply));
        replace = calloc((size_t)rounds, sizeof(*replace));
        if (!apply || !replace)
                pbb_die("calloc", NULL);

        pid = pbb_start_daemon(bin, sock);
        if (pb_client_connect(sock, 0, &c, &e) < 0)
                pbb_die("connect", &e);
        pbb_call(c, "lab.create", "{\"name\":\"bench\"}");
        for (int i = 0; i < rounds; i++) {
                double t0;

                /* A fresh router each time: applying to one that has no rules. */
                snprintf(params, sizeof(params),
                         "{\"lab\":\"bench\",\"name\":\"nat%d\",\"firewall\":\"block-inbound\"}",
                         i);
                pbb_call(c, "router.add", params);
                snprintf(params, sizeof(params),
                         "{\"lab\":\"bench\",\"name\":\"nat%d\",\"nat\":\"home\"}", i);
                t0 = pbb_now_ms();
                pbb_call(c, "router.set_nat", params);
                apply[i] = pbb_now_ms() - t0;
                if (i > 0) {
                        snprintf(params, sizeof(params), "{\"lab\":\"bench\",\"name\":\"nat%d\"}",
                                 i);
                        pbb_call(c, "router.remove", params);
                }
        }
        for (int i = 0; i < rounds; i++) {
                double t0 = pbb_now_ms();

                pbb_call(c, "router.set_nat",
                         i % 2 ? "{\"lab\":\"bench\",\"name\":\"nat0\",\"nat\":\"home\"}"
                               : "{\"lab\":\"bench\",\"name\":\"nat0\",\"nat\":"
                                 "\"full-cone\"}");
                replace[i] = pbb_now_ms() - t0;
        }
        pbb_percentiles(apply, rounds, &am, &ap);
        pbb_percentiles(replace, rounds, &rm, &rp);

        /* The reference's way, on a second router with nat none (no rules yet). */
        pbb_call(c, "router.set_nat", "{\"lab\":\"bench\",\"name\":\"nat0\",\"nat\":\"none\"}");
        pbb_call(c, "router.set_firewall",
                 "{\"lab\":\"bench\",\"name\":\"nat0\",\"firewall\":\"none\"}");
        res = pbb_callr(c, "router.get", "{\"lab\":\"bench\",\"name\":\"nat0\"}");
        p = strstr(res, "\"ip\":\"");
        if (p)
                snprintf(wan, sizeof(wan), "%.*s", (int)strcspn(p + 6, "\""), p + 6);
        free(res);
        nft = nft_baseline(c, wan, rounds);
        pbb_call(c, "lab.destroy", "{\"lab\":\"bench\"}");

        none_ms = build_routers(c, "none100", "public", 100);
        usleep(500000);
        home_ms = build_routers(c, "home100", "home", 100);

        printf("bench_nat: NAT + firewall rule set on one router (home NAT, block-inbound), "
               "%d rounds\n",
               rounds);
        printf("  %-44s %10s %10s\n", "", "median ms", "p99 ms");
        printf("  %-44s %10.3f %10.3f\n", "apply: router.set_nat on a router without NAT", am, ap);
        printf("  %-44s %10.3f %10.3f\n", "replace: router.set_nat home <-> full-cone", rm, rp);
        if (nft > 0)
                printf("  %-44s %10.3f %10s\n", "baseline: nft -f of the same rules (mean)", nft,
                       "-");
        else
                printf("  baseline: nft -f unavailable in the router (is nftables installed?)\n");
        printf("bench_nat: 100 dual-stack routers with one device each\n");
        printf("  preset public (nat none): %8.1f ms (%.2f ms per router + device)\n", none_ms,
               none_ms / 100);
        printf("  preset home (NAT, firewall): %5.1f ms (%.2f ms per router + device, %+.2f ms "
               "for the rules)\n",
               home_ms, home_ms / 100, (home_ms - none_ms) / 100);
        pb_client_free(c);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        free(apply);
        free(replace);
        return 0;
}
