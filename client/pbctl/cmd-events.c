/* SPDX-License-Identifier: MIT */
/* pbctl events [LAB]: stream lab events until interrupted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pb-macro.h"
#include "pbctl.h"

struct watch {
        struct pbctl *ctl;
        long remaining; /* Events still to print; negative: no limit. */
};

/* "2026-11-25T05:24:27.123Z" as local HH:MM:SS.mmm, or as given if unreadable. */
static void
print_time(const char *rfc3339)
{
        struct tm tm = {};
        const char *rest = rfc3339 ? strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        char buf[16];
        long ms = 0;
        time_t t;

        if (!rest) {
                printf("%s", rfc3339 ? rfc3339 : "?");
                return;
        }
        if (rest[0] == '.')
                for (int i = 1; i <= 3; i++)
                        ms = ms * 10 + (rest[i] >= '0' && rest[i] <= '9' ? rest[i] - '0' : 0);
        t = timegm(&tm);
        if (!localtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%H:%M:%S", &tm)) {
                printf("%s", rfc3339);
                return;
        }
        printf("%s.%03ld", buf, ms);
}

/* key=value: objects by their name, conditions as the command line writes them. */
static void
print_field(const char *key, json_t *v)
{
        const char *name = json_string_value(json_object_get(v, "name"));
        _cleanup_free_ char *text = NULL;

        if (json_is_object(v) && name && strcmp(key, "condition") != 0)
                text = strdup(name);
        else if (strcmp(key, "condition") == 0)
                text = output_condition(v);
        else if (json_is_string(v))
                text = json_dumps(v, JSON_ENCODE_ANY);
        else
                text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (json_is_string(v) && text && !strpbrk(json_string_value(v), " \t\"=\\") &&
            json_string_length(v) > 0)
                printf(" %s=%s", key, json_string_value(v));
        else
                printf(" %s=%s", key, text ? text : "?");
}

static void
print_event(json_t *ev)
{
        const char *key;
        json_t *v;

        print_time(json_string_value(json_object_get(ev, "time")));
        printf(" %s %s", json_string_value(json_object_get(ev, "lab")) ?: "?",
               json_string_value(json_object_get(ev, "kind")) ?: "?");
        json_object_foreach (ev, key, v)
                if (strcmp(key, "seq") && strcmp(key, "time") && strcmp(key, "lab") &&
                    strcmp(key, "kind"))
                        print_field(key, v);
        putchar('\n');
}

static void
on_event(struct pb_client *c, const char *method, const char *params, void *userdata)
{
        struct watch *w = userdata;
        json_auto_t *ev = NULL;

        if (strcmp(method, "event") != 0 || w->remaining == 0)
                return;
        if (w->ctl->json && !w->ctl->field) {
                printf("%s\n", params);
        } else {
                ev = json_loads(params, JSON_ALLOW_NUL, NULL);
                if (!ev)
                        return;
                if (w->ctl->field)
                        output_field(ev, w->ctl->field);
                else
                        print_event(ev);
        }
        fflush(stdout);
        if (w->remaining > 0)
                w->remaining--;
}

static int
events(struct pbctl *ctl, const struct pbctl_args *a, json_t *params)
{
        const char *count = pbctl_arg(a, "count");
        struct watch w = { .ctl = ctl, .remaining = -1 };
        json_auto_t *res = NULL;
        char *end;
        int r;

        if (count) {
                w.remaining = strtol(count, &end, 10);
                if (*end || end == count || w.remaining < 1)
                        return pbctl_usage_error(a, "--count wants a positive number");
        }
        r = pbctl_connect(ctl);
        if (r != PBCTL_EXIT_OK)
                return r;
        pb_client_set_event_handler(ctl->client, on_event, &w);
        r = pbctl_call(ctl, "events.subscribe", json_incref(params), &res);
        if (r != PBCTL_EXIT_OK)
                return r;
        while (w.remaining != 0) {
                r = pb_client_wait(ctl->client, -1);
                if (r < 0) {
                        fprintf(stderr, "pbctl: events: the connection to patchbayd ended: %s\n",
                                strerror(-r));
                        return PBCTL_EXIT_USAGE;
                }
        }
        return PBCTL_EXIT_OK;
}

static const struct pbctl_verb events_verbs[] = {
        { .help = "print lab events as they happen, until interrupted",
          .method = "events.subscribe",
          .run = events,
          .pos =
                  (const struct pbctl_arg[]){
                          PBCTL_POS_T("LAB", "lab", PBCTL_T_STRING, PBCTL_OPTIONAL), {} },
          .opts = (const struct pbctl_arg[]){ PBCTL_OPT("count", 'n', "N", NULL, PBCTL_T_NONE,
                                                        "exit after N events"),
                                              {} },
          .details = "One line per event: local time, lab, kind, then key=value fields; with\n"
                     "--json each event's JSON object on a line of its own.  Without LAB,\n"
                     "events of every lab, including labs created later.\n" },
};
PBCTL_GROUP(pbctl_group_events, "events", "watch lab events as they happen", events_verbs);
