/* SPDX-License-Identifier: MIT */
/*
 * The error table of the patchbay API (SPEC §10).  Every error a client can
 * see has one identity here: a JSON-RPC code, a stable symbolic name that
 * goes into error.data.error, and the errno that the C code uses for it
 * internally.  Clients switch on code and name, never on the message.
 */
#ifndef PB_ERRORS_H
#define PB_ERRORS_H

#include <stdbool.h>

enum pb_err {
        PB_ERR_NONE = 0,
        PB_ERR_PARSE,           /* -32700 */
        PB_ERR_INVALID_REQUEST, /* -32600 */
        PB_ERR_METHOD_NOT_FOUND,
        PB_ERR_INVALID_PARAMS,
        PB_ERR_INTERNAL,
        PB_ERR_SYSTEM, /* -32000 */
        PB_ERR_NO_SUCH_LAB,
        PB_ERR_NO_SUCH_NODE,
        PB_ERR_NAME_TAKEN,
        PB_ERR_IN_USE,
        PB_ERR_POOL_EXHAUSTED,
        PB_ERR_UNSUPPORTED,
        PB_ERR_LIMIT,
        PB_ERR_NO_SUCH_IFACE,
        PB_ERR_NO_SUCH_PROC,
        PB_ERR_NO_SUCH_REGION,
        PB_ERR_TIMEOUT,
        PB_ERR_INVALID_STATE,
        PB_ERR_SHUTTING_DOWN,
        _PB_ERR_MAX,
};

struct pb_err_info {
        int code;            /* JSON-RPC error code. */
        const char *name;    /* Stable symbolic name, "patchbay.NoSuchLab". */
        const char *summary; /* Default human-readable message. */
        int errnum;          /* errno used for this error inside the C code. */
};

/* Returns the table entry for 'e'; never NULL (out-of-range maps to PB_ERR_INTERNAL). */
const struct pb_err_info *pb_err_info(enum pb_err e);

/* Looks an error up by JSON-RPC code and symbolic name (name may be NULL).
 * Returns PB_ERR_NONE when nothing matches. */
enum pb_err pb_err_from_wire(int code, const char *name);

/* Returns the symbolic errno name ("ENOENT") of 'errnum', or NULL if unknown. */
const char *pb_errno_name(int errnum);

#endif
