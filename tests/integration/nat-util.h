/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the NAT and firewall suites (check_nat.c, check_natpath.c,
 * check_firewall.c): SPEC §4 checked with real traffic.
 *
 * Every test gets a daemon (nt_setup) and one connection, nt_c; every lab is
 * a session lab of that connection, so a failed test leaves nothing behind.
 * The reflectors and probes are the daemon's own (node.reflector,
 * node.probe); "blocked" means a probe that gets no answer at all (a drop,
 * patchbay.Timeout), never a refusal.
 */
#ifndef PBT_NAT_UTIL_H
#define PBT_NAT_UTIL_H

#include <jansson.h>
#include <stdbool.h>

#include "harness.h"

/* A probe expected to be dropped waits this long, once. */
#define NT_DROP_MS 300

extern struct pbt_daemon nt_d;
extern struct pb_client *nt_c;

/* Checked fixture: a daemon and nt_c; nt_teardown() closes both. */
void nt_setup(void);
void nt_teardown(void);

/* pbt_call() / pbt_call_fail() on nt_c with printf-built JSON params. */
json_t *nt_call(const char *method, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct pb_error nt_fail(const char *method, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* A session lab; a router ('extra': more JSON members, with a leading comma, or NULL). */
void nt_lab(const char *lab);
void nt_router(const char *lab, const char *name, const char *extra);
/* A device with one interface eth0 on 'router'. */
void nt_device(const char *lab, const char *name, const char *router);

struct nt_addrs {
        char ip[64], ip6[64]; /* "" when absent */
};

/* A router's uplink (WAN) addresses; a device's addresses. */
struct nt_addrs nt_wan(const char *lab, const char *router);
struct nt_addrs nt_dev(const char *lab, const char *device);

/* Starts a reflector (asserted); returns its id. */
int nt_reflector(const char *lab, const char *node, const char *bind, const char *proto);
void nt_reflector_stop(const char *lab, int id);

struct nt_ep {
        char text[96];  /* observed "ip:port" / "[ip]:port" */
        char host[64];  /* its address */
        unsigned port;  /* its port */
        char local[96]; /* the probe's own address */
        char err[400];  /* on failure: error name and message */
        bool timeout;   /* on failure: patchbay.Timeout (no answer at all) */
};

/*
 * node.probe; returns true with the observed endpoint, or false with the
 * error in ep->err.  'bind' may be NULL; 'timeout_ms'/'attempts' <= 0 mean
 * 1000 / 3.
 */
bool nt_probe(struct nt_ep *ep, const char *lab, const char *node, const char *target,
              const char *proto, const char *bind, int timeout_ms, int attempts);
/* nt_probe() that must be answered (1 s x 3). */
struct nt_ep nt_probe_ok(const char *lab, const char *node, const char *target, const char *proto,
                         const char *bind);
/* True if a probe gets no answer within NT_DROP_MS (one attempt); false if answered. */
bool nt_dropped(const char *lab, const char *node, const char *target, const char *proto,
                const char *bind);

/* One probe of a batch: the request, then the outcome. */
struct nt_req {
        const char *proto, *bind; /* static strings; bind may be NULL */
        char node[32], target[96];
        bool expect_drop; /* probed NT_DROP_MS x 1, else 1 s x 3 */
        char what[96];    /* for messages */
        bool done, ok;
        struct nt_ep ep;
};

/* Runs the probes of 'reqs' concurrently (at most 256) and waits for all of them. */
void nt_probe_all(const char *lab, struct nt_req *reqs, size_t n);

/* Splits "ip:port" / "[ip]:port". */
unsigned nt_split(const char *ep, char *host, size_t n);

/* True if a ping is answered: pings every 0.2 s until one is, for up to 2 s. */
bool nt_ping(const char *lab, const char *node, const char *ip);
/* True if one ping gets no answer within 0.5 s (a drop, or no route). */
bool nt_unreachable(const char *lab, const char *node, const char *ip);

/* "sh -c CMD" in a node: stdout (static storage), asserting exit status 0. */
const char *nt_sh(const char *lab, const char *node, const char *cmd);

/* --- the reference's build_nat_case (B.6) -------------------------------- */

enum nt_wiring { NT_DIRECT, NT_PUBLIC_ISP, NT_CGNAT_ISP };
extern const char *const nt_wiring_name[3];

struct nt_case {
        char lab[32];
        enum nt_wiring wiring;
        struct nt_addrs dc, isp, nat, dev; /* WANs of dc, isp, nat; dev's addresses */
        char r_dc[96], r_ix[96];           /* UDP+TCP reflectors on dc's uplink and the IX */
        char expect[64];                   /* the reflexive address SPEC §4 promises */
};

/*
 * Lab 'lab': routers dc (public, on the IX), isp (none / cgnat, unless
 * NT_DIRECT), nat ('nat': its JSON members without leading comma, e.g.
 * "\"nat\":\"home\"", upstream isp if any), device dev on nat.  UDP and TCP
 * reflectors on <dc WAN>:3478 and 198.18.0.1:3479.
 */
void nt_build_nat_case(struct nt_case *k, const char *lab, const char *nat, enum nt_wiring w);

/* --- events --------------------------------------------------------------- */

/* Subscribes nt_c to 'lab' and starts recording its events. */
void nt_events_start(const char *lab);
/*
 * Waits up to 3 s for a recorded event 'kind' whose string member 'key' is
 * 'value' (key NULL: any) and, if 'key2', whose 'key2' is 'value2';
 * removes and returns it (a new reference).
 */
json_t *nt_event_match(const char *kind, const char *key, const char *value, const char *key2,
                       const char *value2);
/* nt_event_match() of an event 'kind' about 'router'. */
json_t *nt_event_wait(const char *kind, const char *router);

/* The first object of lab.state's 'array' whose string 'key' is 'value' (new reference), or NULL.
 */
json_t *nt_state_find(const char *lab, const char *array, const char *key, const char *value);

/* Appends a failure line to 'buf' (matrix tests report every failure at once). */
void nt_fail_add(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- round-trip times ------------------------------------------------------ */

#define NT_RTT_SAMPLES 5

/* One UDP node.probe: true with its RTT, false with the error. */
bool nt_probe_rtt(const char *lab, const char *node, const char *target, int timeout_ms,
                  int attempts, double *ms, struct pb_error *err);
/*
 * A steady-state RTT: warms the path (ARP/ND cross shaped links too), then
 * returns the median of NT_RTT_SAMPLES probes, each tried up to 'attempts'
 * times (for lossy links); 'samples' gets them all as text, for messages.
 */
double nt_rtt_median(const char *what, const char *lab, const char *node, const char *target,
                     int attempts, char *samples, size_t n);
/* Asserts that median within [lo, hi] ms (printing it); returns it. */
double nt_expect_rtt_in(const char *what, const char *lab, const char *node, const char *target,
                        double lo, double hi, int attempts);

/* --- processes ------------------------------------------------------------ */

/* node.spawn of argv (NULL-terminated); returns the proc id. */
long long nt_spawn(const char *lab, const char *node, const char *const *argv);
/* Polls proc.output (stdout) until it holds 'needle' (up to 'timeout_ms'); returns all of it
 * (static storage), or NULL on timeout. */
const char *nt_await_output(long long proc, const char *needle, int timeout_ms);
/* proc.wait; returns the exit code (-1 if killed by a signal). */
int nt_proc_wait(long long proc, int timeout_ms);
void nt_proc_write(long long proc, const char *text);

#endif
