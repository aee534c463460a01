/* SPDX-License-Identifier: MIT */
/* Link conditions (SPEC §6): what a link does to the frames it carries. */
#ifndef PBL_CONDITION_H
#define PBL_CONDITION_H

#include <stdbool.h>
#include <stdint.h>

struct pbl_condition {
        double latency_ms;  /* One-way delay. */
        double jitter_ms;   /* Uniform jitter: delay is latency ± jitter. */
        double loss_pct;    /* 0..100 */
        double reorder_pct; /* Sent at once, overtaking the delayed ones (netem's reorder). */
        double duplicate_pct;
        double corrupt_pct; /* One random bit flipped. */
        uint32_t rate_kbit; /* 0: unlimited. */
};

/* Fills 'ret' with preset 'name' (lan, wifi, wifi-bad, mobile-4g, mobile-3g,
 * satellite, satellite-geo).  Returns 0 or -ENOENT. */
int pbl_condition_preset(const char *name, struct pbl_condition *ret);

/* True if 'c' changes nothing (the "lan" preset). */
bool pbl_condition_is_null(const struct pbl_condition *c);

/* True if only the rate is limited: the kernel's tbf does it alone. */
bool pbl_condition_rate_only(const struct pbl_condition *c);

/*
 * True if 'c' acts on single frames (loss, duplication, corruption,
 * reordering, jitter): each wire frame must then meet its own fate, so a
 * GSO super-packet may not cross whole.
 */
bool pbl_condition_per_packet(const struct pbl_condition *c);

bool pbl_condition_equal(const struct pbl_condition *a, const struct pbl_condition *b);

#endif
