/* SPDX-License-Identifier: MIT */
/*
 * JSON-RPC 2.0 codec: frames to validated messages and back.  Pure
 * functions over jansson values; no I/O, no event loop.
 *
 * Ownership follows jansson's words: "new reference" results belong to the
 * caller, "borrowed" ones live as long as the message they come from, and a
 * parameter documented as "stolen" is consumed even when the call fails.
 */
#ifndef PB_RPC_H
#define PB_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "pb-errors.h"

#define PB_RPC_VERSION   "2.0"
#define PB_RPC_BATCH_MAX 64

/* Rich error detail carried across the boundaries (parsers, handlers, client). */
struct pb_rpc_error {
        enum pb_err err;     /* Identity; PB_ERR_NONE when unset. */
        int errnum;          /* Positive errno, or 0. */
        char message[256];   /* Human-readable, no trailing newline. */
        char parameter[128]; /* Offending parameter path ("ifaces[0].router"), or "". */
        char method[96];     /* Unknown method name (-32601), or "". */
        char kernel[256];    /* Netlink extended-ack text, or "". */
        char op[128];        /* Operation that failed ("RTM_NEWLINK veth ix"), or "". */
};

/*
 * Fills 'e' with error 'err' and a printf-style message (the table's summary
 * when 'fmt' is NULL).  Returns the negative errno associated with 'err', so
 * handlers can write "return pb_rpc_errorf(reterr, PB_ERR_NO_SUCH_LAB, ...);".
 */
int pb_rpc_errorf(struct pb_rpc_error *e, enum pb_err err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Fills 'e' as a -32602 error naming 'parameter'.  Returns -EINVAL. */
int pb_rpc_error_param(struct pb_rpc_error *e, const char *parameter, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * Fills 'e' as a -32000 system error for the negative errno 'r' raised by
 * operation 'op'; 'kernel' is the extended-ack text or NULL.  Returns 'r'.
 */
int pb_rpc_error_system(struct pb_rpc_error *e, int r, const char *op, const char *kernel);

/* Returns the JSON-RPC code of 'e'. */
int pb_rpc_error_code(const struct pb_rpc_error *e);

/*
 * Builds the JSON-RPC error object {"code","message","data"} for 'e'.
 * data always holds "error" (the symbolic name) plus whichever of
 * parameter, method, errno/errnoName, kernel and op are set.
 * Returns a new reference, or NULL on ENOMEM.
 */
json_t *pb_rpc_error_to_json(const struct pb_rpc_error *e);

/*
 * Parses a JSON-RPC error object back into 'ret'.  Unknown codes keep the
 * code in a PB_ERR_NONE-tagged error whose message carries the text.
 * Returns the wire code (never 0 for a well-formed object) or -EBADMSG.
 */
int pb_rpc_error_from_json(const json_t *error, struct pb_rpc_error *ret, int *ret_code);

/*
 * Decodes one frame payload of 'len' bytes.  Duplicate object keys are
 * rejected.  Returns 0 and a new reference in '*ret_msg', or -EBADMSG with a
 * PB_ERR_PARSE error in 'reterr'.
 */
int pb_rpc_decode(const char *buf, size_t len, json_t **ret_msg, struct pb_rpc_error *reterr);

/*
 * Same, for messages from the daemon: their strings may hold NUL characters
 * (\u0000), as process output does.  Requests never may: C strings would
 * silently cut them short.
 */
int pb_rpc_decode_reply(const char *buf, size_t len, json_t **ret_msg, struct pb_rpc_error *reterr);

/* One request or notification; every pointer borrows from the message. */
struct pb_rpc_request {
        const char *method;
        json_t *id;     /* NULL for a notification; json null for "id": null. */
        json_t *params; /* Always an object (an absent member reads as {}). */
};

/*
 * Validates the envelope of one request object 'msg' (borrowed): "jsonrpc"
 * must be "2.0", "method" a string, "id" absent, null, a string or a number,
 * "params" absent or an object, and no other member present.
 * On success fills 'ret' (borrowing from 'msg'; '*empty_params' must hold a
 * caller-owned empty object used when params is absent) and returns 0.
 * On failure returns negative, fills 'reterr' (-32600, or -32602 for
 * positional params) and points ret->id at the usable id or NULL.
 */
int pb_rpc_check_request(json_t *msg, json_t *empty_params, struct pb_rpc_request *ret,
                         struct pb_rpc_error *reterr);

/* A message received by a client. */
enum pb_rpc_kind {
        PB_RPC_KIND_RESPONSE,
        PB_RPC_KIND_NOTIFICATION,
};

struct pb_rpc_response {
        enum pb_rpc_kind kind;
        json_t *id;         /* Response: the id (borrowed). */
        json_t *result;     /* Response: result (borrowed), or NULL on error. */
        json_t *error;      /* Response: error object (borrowed), or NULL. */
        const char *method; /* Notification: method name (borrowed). */
        json_t *params;     /* Notification: params (borrowed), or NULL. */
};

/* Classifies and validates a message sent by the server.  Returns 0 or -EBADMSG. */
int pb_rpc_parse_response(json_t *msg, struct pb_rpc_response *ret);

/*
 * Builders.  'id' is borrowed (NULL means JSON null); 'result' and 'params'
 * are stolen.  Each returns a new reference, or NULL on ENOMEM.
 */
json_t *pb_rpc_build_result(json_t *id, json_t *result);
json_t *pb_rpc_build_error(json_t *id, const struct pb_rpc_error *e);
json_t *pb_rpc_build_request(const char *method, json_t *params, json_int_t id);
json_t *pb_rpc_build_notification(const char *method, json_t *params);

/*
 * Encodes 'msg' as compact JSON followed by '\n'.  Returns a malloc'd buffer
 * (not NUL-terminated at the length; a NUL follows for convenience) and its
 * length in '*ret_len', or NULL on ENOMEM.
 */
char *pb_rpc_encode(const json_t *msg, size_t *ret_len);

#endif
