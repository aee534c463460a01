/* SPDX-License-Identifier: MIT */
/*
 * pbctl load on a terminal: a progress bar on stderr driven by the lab's
 * events.  pbctl subscribes to events before it sends lab.load, counts the
 * regions, routers and devices the daemon reports as added, and compares
 * that with the document's node count after `count` expansion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pb-macro.h"
#include "pbctl.h"

#define BAR_WIDTH 30

struct progress {
        struct pbctl *ctl;
        char lab[64]; /* The lab being built: given, or the first one created. */
        long total;   /* Nodes the document describes. */
        long done;    /* Nodes added so far. */
        long shown;   /* What the bar shows. */
        double shown_at;
        bool finished; /* lab.load answered. */
        char *result;  /* Its result (malloc'd), or NULL. */
        struct pb_error error;
};

/* Nodes the document describes: regions, routers and devices, `count` expanded. */
long
pbctl_topology_nodes(json_t *topo)
{
        static const char *const keys[] = { "regions", "routers", "devices" };
        long n = 0;

        for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
                json_t *item;
                size_t i;

                json_array_foreach (json_object_get(topo, keys[k]), i, item) {
                        json_int_t c = json_integer_value(json_object_get(item, "count"));

                        n += c > 0 ? (long)c : 1;
                }
        }
        return n;
}

static double
now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
draw(struct progress *p, bool force)
{
        double t = now_s();
        long fill;

        if (!force && (p->done == p->shown || t - p->shown_at < 0.05))
                return;
        fill = p->total > 0 ? p->done * BAR_WIDTH / p->total : BAR_WIDTH;
        if (fill > BAR_WIDTH)
                fill = BAR_WIDTH;
        fprintf(stderr, "\r\033[Kloading %s [", p->lab[0] ? p->lab : "lab");
        for (long i = 0; i < BAR_WIDTH; i++)
                fputc(i < fill ? '#' : '.', stderr);
        fprintf(stderr, "] %ld/%ld nodes", p->done, p->total);
        fflush(stderr);
        p->shown = p->done;
        p->shown_at = t;
}

static void
on_event(struct pb_client *c, const char *method, const char *params, void *userdata)
{
        struct progress *p = userdata;
        json_auto_t *ev = NULL;
        const char *lab, *kind;

        if (strcmp(method, "event") != 0 || !(ev = json_loads(params, JSON_ALLOW_NUL, NULL)))
                return;
        lab = json_string_value(json_object_get(ev, "lab"));
        kind = json_string_value(json_object_get(ev, "kind"));
        if (!lab || !kind)
                return;
        if (!p->lab[0] && strcmp(kind, "lab_created") == 0)
                snprintf(p->lab, sizeof(p->lab), "%s", lab);
        if (strcmp(lab, p->lab) != 0)
                return;
        if (strcmp(kind, "router_added") == 0 || strcmp(kind, "device_added") == 0 ||
            strcmp(kind, "region_added") == 0)
                p->done++;
        draw(p, false);
}

static void
on_reply(struct pb_client *c, const char *result, const struct pb_error *error, void *userdata)
{
        struct progress *p = userdata;

        p->finished = true;
        if (result)
                p->result = strdup(result);
        else
                p->error = *error;
}

int
pbctl_load_progress(struct pbctl *ctl, json_t *params, json_t **ret)
{
        struct progress p = { .ctl = ctl };
        const char *name = json_string_value(json_object_get(params, "name"));
        _cleanup_free_ char *text = NULL;
        json_auto_t *sub = NULL;
        json_error_t jerr;
        int r;

        p.total = pbctl_topology_nodes(json_object_get(params, "topology"));
        if (name)
                snprintf(p.lab, sizeof(p.lab), "%s", name);
        r = pbctl_connect(ctl);
        if (r != PBCTL_EXIT_OK)
                return r;
        pb_client_set_event_handler(ctl->client, on_event, &p);
        /* Every lab's events: this one does not exist yet. */
        r = pbctl_call(ctl, "events.subscribe", NULL, &sub);
        if (r != PBCTL_EXIT_OK)
                return r;
        text = json_dumps(params, JSON_COMPACT);
        if (!text)
                return PBCTL_EXIT_USAGE;
        draw(&p, true);
        if (pb_call_async(ctl->client, "lab.load", text, on_reply, &p) < 0) {
                fprintf(stderr, "\r\033[Kpbctl: lab.load: cannot send the request\n");
                return PBCTL_EXIT_USAGE;
        }
        while (!p.finished) {
                r = pb_client_wait(ctl->client, ctl->timeout_ms);
                if (r < 0 || (r == 0 && ctl->timeout_ms >= 0))
                        break;
        }
        pb_client_set_event_handler(ctl->client, NULL, NULL);
        fputs("\r\033[K", stderr);
        if (!p.finished) {
                fprintf(stderr, "pbctl: lab.load: no reply from patchbayd\n");
                return PBCTL_EXIT_USAGE;
        }
        if (!p.result) {
                pbctl_print_error(ctl, "lab.load", &p.error);
                return p.error.code != 0 ? PBCTL_EXIT_SERVER : PBCTL_EXIT_USAGE;
        }
        *ret = json_loads(p.result, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        free(p.result);
        if (!*ret) {
                fprintf(stderr, "pbctl: lab.load: unreadable reply: %s\n", jerr.text);
                return PBCTL_EXIT_USAGE;
        }
        return PBCTL_EXIT_OK;
}
