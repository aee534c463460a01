/* SPDX-License-Identifier: MIT */
/*
 * bench_lab: time to build and to destroy labs of 10, 100 and 1000 devices
 * (public routers, 10 devices each) through patchbayd, next to baseline_lab
 * doing the same kernel work directly, and the daemon's RSS at the largest.
 *
 * Usage: bench_lab [-s SIZES] [PATCHBAYD]   e.g. -s 10,100,1000 (default)
 * Namespace teardown is asynchronous in the kernel and slows what follows,
 * so every run waits for the previous one to drain (see drain()).
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

static long
rss_kb(pid_t pid)
{
        char path[64], line[256];
        long kb = -1;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        f = fopen(path, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
                        break;
        fclose(f);
        return kb;
}

/*
 * Lets the kernel finish tearing down namespaces: it runs cleanup_net() in a
 * workqueue, and new namespaces created meanwhile are slowed by it.  We
 * wait until creating a namespace is fast again.
 */
static void
drain(int nodes)
{
        usleep((useconds_t)(200000 + nodes * 1500));
}

struct row {
        int n;
        double build, teardown, base_build, base_teardown;
        long rss;
};

static void
run_daemon(struct pb_client *c, pid_t dpid, struct row *row)
{
        int routers = (row->n + 9) / 10;
        char params[256];
        double t0, t1;

        t0 = pbb_now_ms();
        pbb_call(c, "lab.create", "{\"name\":\"bench\"}");
        for (int r = 0; r < routers; r++) {
                snprintf(params, sizeof(params), "{\"lab\":\"bench\",\"name\":\"r%d\"}", r);
                pbb_call(c, "router.add", params);
        }
        for (int i = 0; i < row->n; i++) {
                snprintf(params, sizeof(params),
                         "{\"lab\":\"bench\",\"name\":\"d%d\",\"ifaces\":[{\"name\":\"eth0\","
                         "\"router\":\"r%d\"}]}",
                         i, i / 10);
                pbb_call(c, "device.add", params);
        }
        t1 = pbb_now_ms();
        row->rss = rss_kb(dpid);
        pbb_call(c, "lab.destroy", "{\"lab\":\"bench\"}");
        row->build = (t1 - t0) / (row->n + routers);
        row->teardown = pbb_now_ms() - t1;
}

static void
run_baseline(const char *bin, struct row *row)
{
        char cmd[PATH_MAX + 32], out[512];
        double build_ms = 0, teardown_ms = 0;
        FILE *p;

        snprintf(cmd, sizeof(cmd), "%s %d", bin, row->n);
        p = popen(cmd, "r");
        if (!p || !fgets(out, sizeof(out), p) ||
            sscanf(strstr(out, "build") ?: "", "build %lf ms", &build_ms) != 1 ||
            sscanf(strstr(out, "teardown") ?: "", "teardown %lf ms", &teardown_ms) != 1)
                pbb_die("baseline_lab", NULL);
        pclose(p);
        row->base_build = build_ms / (row->n + (row->n + 9) / 10);
        row->base_teardown = teardown_ms;
}

int
main(int argc, char **argv)
{
        char dir[PATH_MAX - 64], bin[PATH_MAX], base[PATH_MAX], sock[64];
        const char *sizes = "10,100,1000";
        struct row rows[8];
        struct pb_client *c = NULL;
        struct pb_error e;
        int nrows = 0, opt;
        ssize_t len;
        char *info = NULL, *p;
        pid_t dpid, pid;

        pbb_name = "bench_lab";
        while ((opt = getopt(argc, argv, "s:")) >= 0) {
                if (opt != 's') {
                        fprintf(stderr, "Usage: bench_lab [-s 10,100,1000] [PATCHBAYD]\n");
                        return 1;
                }
                sizes = optarg;
        }
        len = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
        if (len <= 0)
                pbb_die("readlink", NULL);
        dir[len] = '\0';
        *strrchr(dir, '/') = '\0';
        snprintf(bin, sizeof(bin), "%s", optind < argc ? argv[optind] : getenv("PATCHBAYD") ?: "");
        if (!bin[0])
                snprintf(bin, sizeof(bin), "%s/patchbayd", dir);
        snprintf(base, sizeof(base), "%s/baseline_lab", dir);
        snprintf(sock, sizeof(sock), "/tmp/bench-lab-%d.sock", (int)getpid());

        pid = pbb_start_daemon(bin, sock);
        if (pb_client_connect(sock, 0, &c, &e) < 0)
                pbb_die("connect", &e);
        if (pb_call(c, "daemon.info", NULL, 5000, &info, &e) < 0)
                pbb_die("daemon.info", &e);
        p = strstr(info, "\"pid\":");
        dpid = p ? (pid_t)atoi(p + 6) : 0;
        free(info);

        for (char *s = strdup(sizes), *tok = strtok(s, ","); tok && nrows < 8;
             tok = strtok(NULL, ",")) {
                struct row *row = &rows[nrows++];

                row->n = atoi(tok);
                run_daemon(c, dpid, row);
                drain(row->n);
                run_baseline(base, row);
                drain(row->n);
        }

        printf("bench_lab: public routers with 10 devices each; ms per node (routers + devices)\n");
        printf("%8s %14s %14s %8s %14s %14s %10s\n", "devices", "build ms/node", "baseline",
               "ratio", "teardown ms", "baseline ms", "RSS MB");
        for (int i = 0; i < nrows; i++)
                printf("%8d %14.3f %14.3f %8.2f %14.1f %14.1f %10.1f\n", rows[i].n, rows[i].build,
                       rows[i].base_build, rows[i].build / rows[i].base_build, rows[i].teardown,
                       rows[i].base_teardown, rows[i].rss / 1024.0);
        pb_client_free(c);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return 0;
}
