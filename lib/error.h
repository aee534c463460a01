/* SPDX-License-Identifier: MIT */
/*
 * Failure detail from the engine: the negative errno, the operation that
 * failed and the kernel's extended-ack text.  The daemon turns it into a
 * JSON-RPC system error; nothing in lib/ knows about JSON.
 */
#ifndef PBL_ERROR_H
#define PBL_ERROR_H

#include <stdarg.h>

struct pbl_error {
        int code;         /* Negative errno, 0 when unset. */
        char op[128];     /* "RTM_NEWLINK veth v3/eth0 in device dev1". */
        char kernel[256]; /* NLMSGERR_ATTR_MSG, or "". */
};

/* Records 'code' for operation 'fmt' unless 'e' already holds an error.  Returns 'code'. */
int pbl_error_set(struct pbl_error *e, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Same, keeping 'kernel' (may be NULL). */
int pbl_error_set_kernel(struct pbl_error *e, int code, const char *kernel, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#endif
