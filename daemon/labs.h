/* SPDX-License-Identifier: MIT */
/*
 * The daemon's labs: the registry, lab lifetimes (session labs die with the
 * connection that created them), node lookup for handlers, the event bus,
 * and the hooks other modules use to clean up when a node or lab goes away.
 */
#ifndef PBD_LABS_H
#define PBD_LABS_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sys/queue.h>

#include "conn.h"
#include "lab.h"
#include "pb-rpc.h"

struct pbd_daemon;
struct pbd_proc;

enum pbd_lifetime {
        PBD_LIFETIME_SESSION,
        PBD_LIFETIME_DAEMON,
};

struct pbd_lab {
        TAILQ_ENTRY(pbd_lab) link;
        struct pbd_daemon *daemon;
        struct pbl_lab *engine;
        char name[PBL_NAME_MAX];
        enum pbd_lifetime lifetime;
        struct pbd_conn *owner; /* Session labs: the creating connection. */
        struct pbd_conn_hook owner_hook;
        char *outdir;      /* This lab's output directory, or NULL. */
        char created[32];  /* RFC 3339 UTC. */
        uint64_t seq;      /* Last event's sequence number. */
        FILE *events_file; /* <outdir>/events.jsonl */
        bool state_dirty;
        bool destroying;
        LIST_HEAD(, pbd_proc) procs; /* proc.c: this lab's processes, newest first. */
};

/* A connection's interest in events ("events.subscribe"). */
struct pbd_subscription {
        TAILQ_ENTRY(pbd_subscription) link;
        struct pbd_daemon *daemon;
        struct pbd_conn *conn;
        char lab[PBL_NAME_MAX]; /* "" for every lab. */
        struct pbd_conn_hook hook;
};

/* Per-daemon registry; lives in struct pbd_daemon. */
struct pbd_labs {
        TAILQ_HEAD(, pbd_lab) labs;
        unsigned n_labs;
        unsigned next_id;
        TAILQ_HEAD(, pbd_subscription) subs;
        ev_timer state_timer;  /* Coalesces state.json rewrites. */
        uint64_t last_proc_id; /* proc.c: process ids handed out so far. */
};

void pbd_labs_init(struct pbd_daemon *d);
void pbd_events_init(struct pbd_daemon *d);
void pbd_events_done(struct pbd_daemon *d);

/* Session labs: destroy 'lab' when 'conn' closes. */
void pbd_lab_attach_owner(struct pbd_lab *lab, struct pbd_conn *conn);

/* Output directory of a lab: creates it and opens events.jsonl. */
int pbd_lab_outdir_open(struct pbd_lab *lab, const char *dir, struct pb_rpc_error *reterr);
/* Writes the final state.json and closes the files. */
void pbd_lab_outdir_close(struct pbd_lab *lab);
/* Destroys every lab (daemon shutdown). */
void pbd_labs_done(struct pbd_daemon *d);

struct pbd_lab *pbd_lab_find(struct pbd_daemon *d, const char *name);

/*
 * Looks up params "lab" (and, if 'node_param' is not NULL, that param as a
 * node name, "ix" included).  Fills 'reterr' with NoSuchLab / NoSuchNode and
 * returns a negative errno when missing.
 */
int pbd_lookup_lab(struct pbd_daemon *d, json_t *params, struct pbd_lab **ret,
                   struct pb_rpc_error *reterr);
int pbd_lookup_node(struct pbd_daemon *d, json_t *params, const char *node_param,
                    struct pbd_lab **ret_lab, struct pbl_node **ret_node,
                    struct pb_rpc_error *reterr);

/* Maps an engine status (fault or system error) to an API error.  Returns a negative errno. */
int pbd_status_to_error(const struct pbl_status *st, int r, struct pb_rpc_error *reterr);

/*
 * Emits event 'kind' for 'lab' with extra 'fields' (an object, stolen; may
 * be NULL): adds seq, time, lab and kind, sends it to subscribers, appends
 * it to events.jsonl and schedules a state.json rewrite.
 */
void pbd_event(struct pbd_lab *lab, const char *kind, json_t *fields);

/* Same, for events that belong to no lab (lab is null in the event). */
void pbd_event_global(struct pbd_daemon *d, const char *kind, json_t *fields);

/* The whole lab as JSON (lab.state), a new reference or NULL on ENOMEM. */
json_t *pbd_lab_state(struct pbd_lab *lab);
/* Short summary (lab.list, lab.create). */
json_t *pbd_lab_summary(struct pbd_lab *lab);

/* Destroys a lab: hooks, processes, namespaces; emits lab_destroyed. */
void pbd_lab_destroy(struct pbd_lab *lab);

/*
 * Cleanup hooks of other modules, called before a node or a lab goes away
 * (processes to kill, reflectors to close, ...).  Implemented by the
 * modules that own such things.
 */
void pbd_proc_node_gone(struct pbd_lab *lab, struct pbl_node *node);
void pbd_proc_lab_gone(struct pbd_lab *lab);
void pbd_probe_node_gone(struct pbd_lab *lab, struct pbl_node *node);
void pbd_probe_lab_gone(struct pbd_lab *lab);

/* State contributions of those modules to lab.state ("procs", "reflectors"). */
json_t *pbd_proc_state(struct pbd_lab *lab);
json_t *pbd_probe_state(struct pbd_lab *lab);
json_t *pbd_dns_state(struct pbd_lab *lab); /* method-dns.c: "dns" */

/*
 * Captures (capture.c): stop those of a node about to go, those whose
 * interface went away (after iface.remove, iface.replug and node
 * removals), every one of a lab; their part of lab.state ("captures").
 */
void pbd_capture_node_gone(struct pbd_lab *lab, struct pbl_node *node);
void pbd_capture_sweep(struct pbd_lab *lab);
void pbd_capture_lab_gone(struct pbd_lab *lab);
json_t *pbd_capture_state(struct pbd_lab *lab);

/*
 * Interface counters (counters-json.c): one dump per node, added to the
 * lab.state objects of its routers ("counters") and devices ("ifaces[].counters").
 * Returns 0 or -ENOMEM.
 */
int pbd_counters_attach(struct pbd_lab *lab, json_t *routers, json_t *devices);
unsigned pbd_proc_count_running(struct pbd_lab *lab);

/* RFC 3339 UTC timestamp with milliseconds into 'buf' (32 bytes). */
void pbd_timestamp(char *buf, size_t n);

#endif
