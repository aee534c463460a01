/* SPDX-License-Identifier: MIT */
/*
 * The lab model and the operations that build it in the kernel.
 *
 * A lab is a root namespace holding the IX bridge ("the internet"), routers
 * (a namespace each, one uplink and one LAN bridge) and devices (a namespace
 * and a mount namespace each, one or more interfaces plugged into routers'
 * LANs).  Every operation either completes or leaves the lab exactly as it
 * was: it validates and allocates first, builds in the kernel, and on any
 * failure removes what it built and returns the allocations.
 *
 * The engine speaks C structs and negative errnos (with detail in a struct
 * pbl_error); the daemon maps them to JSON.  Errors that are the caller's
 * fault carry a pbl_fault describing which rule was broken.
 */
#ifndef PBL_LAB_H
#define PBL_LAB_H

#include <stdbool.h>
#include <stdint.h>

#include <sys/queue.h>
#include <sys/types.h>

#include "bitmap.h"
#include "condition.h"
#include "error.h"
#include "ip.h"
#include "nl.h"

#define PBL_NAME_MAX   32 /* Node and lab names: [a-z0-9][a-z0-9_-]{0,30}. */
#define PBL_IFNAME_MAX 16

/* Why a request was refused, beyond the errno (mapped to API errors). */
enum pbl_fault {
        PBL_FAULT_NONE,
        PBL_FAULT_BAD_NAME,       /* InvalidParams */
        PBL_FAULT_NAME_TAKEN,     /* NameTaken */
        PBL_FAULT_NO_SUCH_NODE,   /* NoSuchNode */
        PBL_FAULT_NO_SUCH_IFACE,  /* NoSuchIface */
        PBL_FAULT_IN_USE,         /* InUse */
        PBL_FAULT_POOL_EXHAUSTED, /* PoolExhausted */
        PBL_FAULT_UNSUPPORTED,    /* Unsupported */
        PBL_FAULT_INVALID,        /* InvalidParams: a semantic rule */
        PBL_FAULT_INVALID_STATE,  /* InvalidState */
        PBL_FAULT_LIMIT,          /* Limit */
};

struct pbl_status {
        enum pbl_fault fault;
        char message[200];
        char parameter[64];   /* Offending parameter, when one is to blame. */
        struct pbl_error sys; /* Kernel/syscall failure detail. */
};

enum pbl_ip_support {
        PBL_IP_V4_ONLY,
        PBL_IP_V6_ONLY,
        PBL_IP_DUAL_STACK,
};

enum pbl_node_kind {
        PBL_NODE_IX,
        PBL_NODE_ROUTER,
        PBL_NODE_DEVICE,
};

struct pbl_lab;

/* IPv4 NAT behaviour in RFC 4787 terms (SPEC §4). */
enum pbl_mapping {
        PBL_MAPPING_NONE, /* Routed, no NAT. */
        PBL_MAPPING_EIM,  /* Endpoint-independent, port-preserving. */
        PBL_MAPPING_EDM,  /* Endpoint-dependent: a random port per flow. */
        PBL_MAPPING_MASQ, /* Carrier-grade: plain masquerade, no filtering of its own. */
};

enum pbl_filtering {
        PBL_FILTERING_NONE,
        PBL_FILTERING_EIF,  /* Endpoint-independent: anyone may use a mapping. */
        PBL_FILTERING_APDF, /* Address-and-port-dependent: only the peers written to. */
};

struct pbl_nat {
        enum pbl_mapping mapping;
        enum pbl_filtering filtering;
        bool hairpin;
        /* Conntrack timeouts in seconds; 0 keeps the kernel's. */
        unsigned timeout_udp, timeout_udp_stream, timeout_tcp_established;
};

enum pbl_nat6 {
        PBL_NAT6_NONE,
        PBL_NAT6_MASQUERADE,
        PBL_NAT6_NPTV6,
        PBL_NAT6_NAT64,
};

enum pbl_ports_kind {
        PBL_PORTS_ALL,
        PBL_PORTS_NONE,
        PBL_PORTS_ALLOW,
};

#define PBL_PORTS_MAX 32

struct pbl_ports {
        enum pbl_ports_kind kind;
        unsigned n;
        uint16_t port[PBL_PORTS_MAX];
};

struct pbl_firewall {
        bool block_inbound;        /* New flows from the WAN side are dropped (v4 and v6). */
        struct pbl_ports tcp, udp; /* Which new outbound flows may leave. */
};

/* Everything nf_tables does on a router. */
struct pbl_policy {
        struct pbl_nat nat;
        enum pbl_nat6 nat6;
        struct pbl_firewall fw;
        bool block_icmp_frag_needed;
};

struct pbl_shape;

/* Which way a condition acts on a link (SPEC §6). */
enum pbl_direction {
        PBL_DIR_UP = 1 << 0,   /* Device (or child router) to its router. */
        PBL_DIR_DOWN = 1 << 1, /* Router to the device (or child router). */
        PBL_DIR_BOTH = PBL_DIR_UP | PBL_DIR_DOWN,
};

/* A condition as configured on a link, and the shapes that carry it out. */
struct pbl_link_cond {
        bool set;
        struct pbl_condition cond;
        enum pbl_direction dir;
        struct pbl_shape *up, *down; /* In force, per direction. */
};

/* What every namespace-backed node has. */
struct pbl_node {
        enum pbl_node_kind kind;
        char name[PBL_NAME_MAX];
        unsigned id;      /* Lab-unique. */
        int netfd;        /* Network namespace. */
        int mntfd;        /* Devices: own mount namespace; else -1 (the daemon's). */
        struct pbl_nl nl; /* rtnetlink socket inside the namespace. */
        int next_ifindex; /* We choose ifindexes: lo is 1. */
        struct pbl_lab *lab;
};

/* A router's downstream segment. */
struct pbl_lan {
        struct pbl_prefix v4, v6; /* family 0 when absent. */
        struct pbl_ip gw4, gw6, ll6;
        bool public4;     /* Routed from the IX (return routes). */
        int pool4, pool6; /* Pool slots to give back, or -1. */
        int bridge_ifindex;
        struct pbl_bitmap hosts; /* Host numbers in use (v4 .N and v6 ::N alike). */
};

struct pbl_router {
        struct pbl_node node;
        TAILQ_ENTRY(pbl_router) link;
        struct pbl_router *upstream; /* NULL: on the IX. */
        enum pbl_ip_support ip_support;
        unsigned mtu; /* 0: default. */

        char wan_name[PBL_IFNAME_MAX]; /* "ix" or "wan". */
        int wan_ifindex;
        struct pbl_ip wan4, wan6, wan_ll6;
        int wan_host;                   /* Host number taken on the IX or the parent's LAN. */
        char port_name[PBL_IFNAME_MAX]; /* The uplink's other end, in the parent/root. */
        int port_ifindex;

        struct pbl_lan lan;
        unsigned n_children; /* Device interfaces and sub-routers on the LAN. */

        struct pbl_policy policy; /* In force. */
        struct pbl_prefix npt6;   /* NPTv6: the external /64 (family 0 otherwise). */
        int npt6_slot;
        unsigned ct_defaults[3]; /* The kernel's conntrack timeouts (0: not read yet). */
        int nat64_ifindex;       /* NAT64 (nat64.h): its interface, or 0. */
        uint32_t nat64_id;       /* Its translator entry. */

        struct pbl_region *region;      /* The region it lives in (behind its backbone). */
        int region_subnet;              /* Its public LAN's slot in the region, or -1. */
        struct pbl_region *backbone_of; /* Set on a region's backbone router. */

        struct pbl_link_cond uplink; /* The link to the parent (or the IX). */
        bool has_downlink;
        struct pbl_condition downlink; /* Everything it sends into its LAN. */
        void *ext;                     /* Owned by the daemon (NAT/firewall config). */
};

struct pbl_iface {
        TAILQ_ENTRY(pbl_iface) link;
        struct pbl_device *dev;
        char name[PBL_IFNAME_MAX];
        unsigned id; /* Lab-unique. */
        int ifindex; /* In the device. */
        struct pbl_router *router;
        char port_name[PBL_IFNAME_MAX]; /* Router side, enslaved to its LAN bridge. */
        int port_ifindex;
        int host;                    /* Host number on the router's LAN. */
        struct pbl_ip ip4, ip6, ll6; /* family 0 when absent. */
        bool up;
        struct pbl_link_cond lc; /* Its link to the router. */
        unsigned n_extra;
        struct pbl_prefix extra[8]; /* iface.add_ip addresses (with the prefix length). */
        void *ext;                  /* Owned by the daemon (condition). */
};

struct pbl_device {
        struct pbl_node node;
        TAILQ_ENTRY(pbl_device) link;
        TAILQ_HEAD(pbl_iface_list, pbl_iface) ifaces;
        unsigned n_ifaces;
        struct pbl_iface *default_via;
        unsigned mtu;
        void *ext;
};

/* Address plan (SPEC §3); every pool can be overridden per lab. */
struct pbl_addressing {
        struct pbl_prefix ix4, ix6, public4, private4, public6, private6;
        struct pbl_prefix regions4, regions6; /* 16 region blocks each (SPEC §5). */
};

#define PBL_MAX_REGIONS      16
#define PBL_MAX_REGION_LINKS 64
#define PBL_REGION_SUBNETS   16 /* /24s (and /64s) per region: 0 is its backbone LAN. */

/* A region (SPEC §5): a backbone router on the IX owning a block of addresses. */
struct pbl_region {
        TAILQ_ENTRY(pbl_region) link;
        char name[PBL_NAME_MAX];
        int idx; /* Its block in the plan's regions4/regions6. */
        struct pbl_prefix block4, block6;
        struct pbl_router *router;  /* The backbone, "region_<name>". */
        struct pbl_bitmap subnets;  /* Public LAN /24s (/64s) of its routers: 1.. */
        int route[PBL_MAX_REGIONS]; /* Installed towards each region idx: link slot, or -1/-2. */
        void *ext;
};

/* A link between two regions' backbones: a veth with a condition each way. */
struct pbl_region_link {
        TAILQ_ENTRY(pbl_region_link) link;
        struct pbl_region *a, *b;
        int slot;
        char a_ifname[PBL_IFNAME_MAX], b_ifname[PBL_IFNAME_MAX]; /* In a's and b's backbone. */
        int a_ifindex, b_ifindex;
        struct pbl_ip a4, b4, a6, b6;
        bool broken;
        struct pbl_condition ab, ba; /* Configured, per direction. */
        struct pbl_shape *ab_shape, *ba_shape;
        void *ext;
};

struct pbl_lab {
        char name[PBL_NAME_MAX];
        unsigned id; /* Daemon-wide. */
        bool ipv6_dad;
        struct pbl_addressing plan;
        struct pbl_node ix; /* The lab root namespace. */
        int ix_bridge;
        struct pbl_ip ix_gw4, ix_gw6, ix_ll6;
        struct pbl_bitmap ix_hosts4, ix_hosts6;
        struct pbl_bitmap pool_public4, pool_private4, pool_public6, pool_private6;
        int pidns_fd; /* The lab's PID namespace. */
        pid_t reaper; /* Its pid 1. */
        TAILQ_HEAD(pbl_router_list, pbl_router) routers;
        TAILQ_HEAD(pbl_device_list, pbl_device) devices;
        TAILQ_HEAD(pbl_region_list, pbl_region) regions;
        TAILQ_HEAD(pbl_region_link_list, pbl_region_link) region_links;
        unsigned n_routers, n_devices, n_regions, n_region_links;
        struct pbl_bitmap region_slots, region_link_slots;
        unsigned next_id;
        struct pbl_lab_dns *dns; /* DNS overlay (dns-files.c); NULL until first used. */
        bool dying;              /* Being destroyed: its namespaces go, and all in them. */
        void *ext;
};

/* --- labs ---------------------------------------------------------------- */

/* Fills 'a' with the defaults of SPEC §3. */
void pbl_addressing_default(struct pbl_addressing *a);

/* Checks that the pools are usable and do not overlap each other. */
int pbl_addressing_check(const struct pbl_addressing *a, struct pbl_status *st);

/* True if 'name' is a valid lab or node name. */
bool pbl_name_valid(const char *name);
bool pbl_ifname_valid(const char *name);

/*
 * Builds a lab: its root namespace with the IX bridge, and its PID
 * namespace with a reaper.  Returns 0 and the lab, or a negative errno.
 */
int pbl_lab_create(const char *name, unsigned id, const struct pbl_addressing *plan, bool ipv6_dad,
                   struct pbl_lab **ret, struct pbl_status *st);

/*
 * Tears the lab down: kills every process in its PID namespace, closes
 * every namespace.  The reaper is left for the caller to reap (it is our
 * child).  NULL-tolerant; returns NULL.
 */
struct pbl_lab *pbl_lab_destroy(struct pbl_lab *lab);

/* Looks a node up by name ("ix" is the lab root). */
struct pbl_node *pbl_lab_node(struct pbl_lab *lab, const char *name);
struct pbl_router *pbl_lab_router(struct pbl_lab *lab, const char *name);
struct pbl_device *pbl_lab_device(struct pbl_lab *lab, const char *name);

/* --- routers ------------------------------------------------------------- */

enum pbl_pool {
        PBL_POOL_PUBLIC,
        PBL_POOL_PRIVATE,
};

struct pbl_router_spec {
        const char *name;
        const char *upstream; /* NULL: on the IX. */
        enum pbl_ip_support ip_support;
        enum pbl_pool pool;
        bool has_downstream_cidr;
        struct pbl_prefix downstream_cidr;
        unsigned mtu;
        struct pbl_policy policy;
        const struct pbl_condition *downlink; /* NULL: none. */
        struct pbl_region *region;            /* Lives behind this region's backbone. */
        struct pbl_region *backbone_of;       /* Internal: builds a region's backbone. */
};

int pbl_router_add(struct pbl_lab *lab, const struct pbl_router_spec *spec, struct pbl_router **ret,
                   struct pbl_status *st);

/*
 * Replaces the router's NAT, IPv6 NAT and firewall rules with 'p' in one
 * nf_tables transaction (there is never a moment without rules), then sets
 * the conntrack timeouts.  New flows see the new behaviour; existing
 * conntrack entries keep theirs until they expire or are flushed.
 */
int pbl_router_set_policy(struct pbl_router *r, const struct pbl_policy *p, struct pbl_status *st);

/* Empties the router's conntrack table and its full-cone mappings. */
int pbl_router_flush_nat(struct pbl_router *r, struct pbl_status *st);

/* Refuses (InUse) while devices or sub-routers are attached. */
int pbl_router_remove(struct pbl_lab *lab, struct pbl_router *r, struct pbl_status *st);

/* --- devices and interfaces -------------------------------------------- */

struct pbl_iface_spec {
        const char *name;
        const char *router;
        const struct pbl_condition *condition; /* NULL: none. */
        enum pbl_direction direction;          /* 0: up. */
};

struct pbl_device_spec {
        const char *name;
        const struct pbl_iface_spec *ifaces;
        unsigned n_ifaces;
        const char *default_via; /* NULL: the first. */
        unsigned mtu;
};

int pbl_device_add(struct pbl_lab *lab, const struct pbl_device_spec *spec, struct pbl_device **ret,
                   struct pbl_status *st);
int pbl_device_remove(struct pbl_lab *lab, struct pbl_device *d, struct pbl_status *st);

struct pbl_iface *pbl_device_iface(struct pbl_device *d, const char *name);

/* Moves the device's default routes (v4 and v6) to 'iface'. */
int pbl_device_set_default_route(struct pbl_device *d, struct pbl_iface *iface,
                                 struct pbl_status *st);

int pbl_iface_add(struct pbl_device *d, const struct pbl_iface_spec *spec, struct pbl_iface **ret,
                  struct pbl_status *st);
int pbl_iface_remove(struct pbl_device *d, struct pbl_iface *iface, struct pbl_status *st);
int pbl_iface_replug(struct pbl_device *d, struct pbl_iface *iface, struct pbl_router *to,
                     struct pbl_status *st);
int pbl_iface_set_up(struct pbl_device *d, struct pbl_iface *iface, bool up, struct pbl_status *st);
int pbl_iface_renew_ip(struct pbl_device *d, struct pbl_iface *iface, struct pbl_status *st);
int pbl_iface_add_ip(struct pbl_device *d, struct pbl_iface *iface, const struct pbl_prefix *p,
                     struct pbl_status *st);

/* --- regions ------------------------------------------------------------ */

struct pbl_region *pbl_lab_region(struct pbl_lab *lab, const char *name);

/* The link between 'a' and 'b' (either order), or NULL. */
struct pbl_region_link *pbl_region_link_find(struct pbl_lab *lab, const struct pbl_region *a,
                                             const struct pbl_region *b);

/*
 * Creates a region: its backbone router "region_<name>" on the IX, whose LAN
 * is the first /24 (and /64) of the region's block, hosts from .10.
 */
int pbl_region_add(struct pbl_lab *lab, const char *name, struct pbl_region **ret,
                   struct pbl_status *st);

/* Removes a region and its links; InUse while routers live in it. */
int pbl_region_remove(struct pbl_lab *lab, struct pbl_region *rg, struct pbl_status *st);

/*
 * Links two regions' backbones with condition 'c' both ways (NULL: none)
 * and recomputes inter-region routing.
 */
int pbl_region_link(struct pbl_lab *lab, struct pbl_region *a, struct pbl_region *b,
                    const struct pbl_condition *c, struct pbl_region_link **ret,
                    struct pbl_status *st);

/* Changes a region link's condition: 'dir' UP is a-to-b, DOWN b-to-a.  Routing follows. */
int pbl_region_link_set_condition(struct pbl_lab *lab, struct pbl_region_link *l,
                                  const struct pbl_condition *c, enum pbl_direction dir,
                                  struct pbl_status *st);

/* Takes the link down for real (a partition) or back up; routing is recomputed. */
int pbl_region_link_set_broken(struct pbl_lab *lab, struct pbl_region_link *l, bool broken,
                               struct pbl_status *st);

/*
 * Routes between regions: each backbone reaches every other region's
 * blocks over the path of lowest total latency through links that are up;
 * an unreachable region is blackholed (a partition drops, it does not leak
 * through the IX).
 */
int pbl_regions_route(struct pbl_lab *lab, struct pbl_status *st);

/* Frees the lab's regions and links without touching the kernel (lab teardown). */
void pbl_regions_free(struct pbl_lab *lab);

/* --- link conditions -------------------------------------------------- */

/*
 * Sets the condition of a device interface's link ('c' NULL: none), acting
 * in 'dir'.  The router's egress towards the interface also carries the
 * router's downlink condition, composed with this one.  A failure leaves
 * the old condition in force.
 */
int pbl_iface_set_condition(struct pbl_iface *i, const struct pbl_condition *c,
                            enum pbl_direction dir, struct pbl_status *st);

/* The router's downlink condition ('c' NULL: none), on every link of its LAN. */
int pbl_router_set_downlink(struct pbl_router *r, const struct pbl_condition *c,
                            struct pbl_status *st);

/* The condition of a router's uplink (to its parent or the IX), acting in 'dir'. */
int pbl_router_set_uplink_condition(struct pbl_router *r, const struct pbl_condition *c,
                                    enum pbl_direction dir, struct pbl_status *st);

/* Combines two conditions in series: delays add, losses compound, the lower rate wins. */
struct pbl_condition pbl_condition_compose(const struct pbl_condition *a,
                                           const struct pbl_condition *b);

/*
 * Re-applies an interface's condition (and its router's downlink) after its
 * veth was rebuilt (replug) or first built.
 */
int pbl_iface_reapply_condition(struct pbl_iface *i, struct pbl_status *st);

/* True if the link of 'i' carries a condition in either direction. */
bool pbl_iface_shaped(const struct pbl_iface *i);

/*
 * Lets go of a link's shapes without touching the kernel: its interfaces
 * are about to be deleted and take their qdiscs with them.  The configured
 * condition stays (a replugged interface gets it back).
 */
void pbl_link_cond_release(struct pbl_link_cond *lc);

/* --- helpers shared by the engine's files ------------------------------- */

/* Records a caller fault in 'st' and returns the errno for it. */
int pbl_fault(struct pbl_status *st, enum pbl_fault fault, const char *parameter, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));

/* Deterministic link-local address for (node id, slot). */
struct pbl_ip pbl_ll6(unsigned lab_id, unsigned node_id, unsigned slot);

/* Deterministic locally administered MAC for (lab, node, slot). */
void pbl_mac(unsigned lab_id, unsigned node_id, unsigned slot, uint8_t mac[6]);

#endif
