/* SPDX-License-Identifier: MIT */
/*
 * Netlink with extended acks and batching.  Requests are queued in a batch,
 * sent with one sendmsg(), and every ack is collected; the first failure is
 * reported with the operation that caused it and the kernel's message.
 *
 * rtnetlink executes each message of a batch on its own: a failed message
 * does not stop the ones after it.  Callers therefore batch only steps whose
 * partial effect their rollback removes anyway (typically: everything inside
 * a namespace that is dropped on failure).
 */
#ifndef PBL_NL_H
#define PBL_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

#include "error.h"

#define PBL_NL_BATCH_MAX   48
#define PBL_NL_BATCH_BYTES (48 * 1024)

struct pbl_nl {
        struct mnl_socket *sk;
        uint32_t portid;
        uint32_t seq;
};

struct pbl_nl_batch {
        struct pbl_nl *nl;
        unsigned n;
        uint32_t first_seq;
        size_t len;
        struct nlmsghdr *cur;
        char ops[PBL_NL_BATCH_MAX][96];
        char buf[PBL_NL_BATCH_BYTES] __attribute__((aligned(8)));
};

/*
 * Opens an rtnetlink socket inside namespace 'netfd' (-1: the current one),
 * with NETLINK_EXT_ACK and capped acks.  Returns 0 or a negative errno.
 */
int pbl_nl_open(struct pbl_nl *nl, int netfd);
void pbl_nl_close(struct pbl_nl *nl);

void pbl_nl_batch_init(struct pbl_nl_batch *b, struct pbl_nl *nl);

/*
 * Starts a message of 'type' with 'flags' (NLM_F_REQUEST | NLM_F_ACK are
 * added) described by 'fmt' for error reports.  The caller appends the
 * family header and attributes with libmnl.  Returns NULL when the batch is
 * full: run it first.
 */
struct nlmsghdr *pbl_nl_batch_add(struct pbl_nl_batch *b, uint16_t type, uint16_t flags,
                                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Appends a complete message built elsewhere (libnl's request builders):
 * 'src' is copied, given the batch's sequence number and NLM_F_ACK.
 * Returns 0 or -ENOBUFS when the batch is full.
 */
int pbl_nl_batch_copy(struct pbl_nl_batch *b, const struct nlmsghdr *src, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Sends every queued message and collects every ack.  Returns 0, or the
 * first failure (recorded in 'err').  The batch is empty afterwards.
 */
int pbl_nl_batch_run(struct pbl_nl_batch *b, struct pbl_error *err);

/* Copies the kernel's message out of an extended ack (NLMSG_ERROR) into 'buf', or "". */
void pbl_nl_extack(const struct nlmsghdr *nlh, char *buf, size_t n);

/*
 * Sends one dump request built by the caller in 'nlh' and calls 'cb' for
 * every message of the answer (libmnl callback contract).
 */
int pbl_nl_dump(struct pbl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);

#endif
