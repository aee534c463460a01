/* SPDX-License-Identifier: MIT */
/*
 * libpatchbay: the C client of patchbayd.
 *
 * Plain ISO C (C99); no other header is needed to use it.  Parameters and
 * results travel as JSON text, so any JSON library (or none) works with it.
 *
 * Two ways to use it:
 *  - blocking: pb_client_connect() then pb_call() as often as needed;
 *  - inside your own event loop: watch pb_client_get_fd() for
 *    pb_client_get_events(), call pb_client_process() when it is ready, and
 *    start calls with pb_call_async().
 * Event notifications (after "events.subscribe") reach the handler set with
 * pb_client_set_event_handler() in both modes.
 *
 * Return values: 0 or a positive count on success, a negative errno on
 * failure.  A JSON-RPC error from the daemon is -EREMOTEIO with the details
 * in the struct pb_error.  Nothing here logs, aborts or exits.  A client is
 * not thread-safe: use one per thread.
 */
#ifndef PATCHBAY_H
#define PATCHBAY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PB_CLIENT_API_VERSION 1

struct pb_client;

/* What went wrong, as precisely as the daemon said it. */
struct pb_error {
        int code;            /* JSON-RPC error code; 0 when the failure was local. */
        int errnum;          /* Positive errno when known (system errors, local failures). */
        char name[64];       /* Symbolic identity, e.g. "patchbay.NoSuchLab". */
        char message[256];   /* Human-readable text. */
        char parameter[128]; /* Offending parameter for -32602, e.g. "ifaces[0].router". */
        char method[96];     /* Unknown method for -32601. */
        char kernel[256];    /* Kernel extended-ack message, if any. */
        char op[128];        /* Operation that failed, if reported. */
};

/* Error codes of the API (SPEC §10).  Switch on these and pb_error.name. */
#define PB_ERROR_PARSE            (-32700)
#define PB_ERROR_INVALID_REQUEST  (-32600)
#define PB_ERROR_METHOD_NOT_FOUND (-32601)
#define PB_ERROR_INVALID_PARAMS   (-32602)
#define PB_ERROR_INTERNAL         (-32603)
#define PB_ERROR_SYSTEM           (-32000)

enum pb_connect_flags {
        /* Start patchbayd when no daemon answers, and wait until it serves. */
        PB_CONNECT_AUTOSTART = 1 << 0,
};

/*
 * Writes the default socket path into 'buf': $PATCHBAY_SOCKET, else
 * $XDG_RUNTIME_DIR/patchbay/patchbayd.sock, else /run/patchbay/... for root,
 * else /tmp/patchbay-<uid>/patchbayd.sock.  Returns 0 or -ENAMETOOLONG.
 */
int pb_default_socket_path(char *buf, size_t n);

/*
 * Connects to the daemon at 'path' (NULL: the default path).  With
 * PB_CONNECT_AUTOSTART a missing daemon is started: $PATCHBAYD, else
 * patchbayd next to the running program, else the installed one, else
 * patchbayd on $PATH.  Returns 0 and a new client in '*ret', or a negative
 * errno with 'reterr' (may be NULL) filled.
 */
int pb_client_connect(const char *path, unsigned flags, struct pb_client **ret,
                      struct pb_error *reterr);

/* Closes the connection and frees 'c' (NULL-tolerant).  Returns NULL. */
struct pb_client *pb_client_free(struct pb_client *c);

/* For __attribute__((cleanup(pb_client_freep))) users. */
void pb_client_freep(struct pb_client **c);

/* The socket path this client is connected to. */
const char *pb_client_socket_path(const struct pb_client *c);

/*
 * Calls 'method' with 'params' (a JSON object as text, or NULL for none) and
 * waits up to 'timeout_ms' (negative: forever) for the reply.  Event
 * notifications that arrive meanwhile go to the event handler.
 * On success returns 0 and, if 'ret_result' is not NULL, the result as
 * compact JSON text to be released with free().  A server error returns
 * -EREMOTEIO with 'reterr' filled; -ETIMEDOUT after the timeout (a late
 * reply is discarded); other negative errnos for transport failures.
 */
int pb_call(struct pb_client *c, const char *method, const char *params, int timeout_ms,
            char **ret_result, struct pb_error *reterr);

/*
 * Same as pb_call(), and also returns the file descriptors the daemon passed
 * along with the reply (node.enter): up to 'max_fds' go to 'ret_fds' and
 * their number to '*ret_n_fds'; the caller owns and closes them.  Extra
 * descriptors are closed.
 */
int pb_call_fds(struct pb_client *c, const char *method, const char *params, int timeout_ms,
                char **ret_result, int *ret_fds, unsigned max_fds, unsigned *ret_n_fds,
                struct pb_error *reterr);

/*
 * Moves the calling process into node 'node' (a router, a device or "ix") of
 * lab 'lab', with the file descriptors of "node.enter": it joins the
 * daemon's user namespace when the daemon runs rootless (without calling
 * setgroups(2), which that namespace denies; the caller then is uid 0 there),
 * then the node's network and mount namespaces (the latter also resets the
 * root and working directories), and makes the lab's PID namespace the one
 * of its future children.  The caller itself stays in its PID namespace:
 * fork() afterwards, and the child (and whatever it execs) runs in the lab's
 * PID namespace and dies with the lab.
 *
 * The caller must be single-threaded (a requirement of joining user and
 * mount namespaces), and must run as the daemon's user (or root).  On
 * failure it may have joined some of the namespaces already: exiting is
 * the safe reaction.  Returns 0 or a negative errno; -EREMOTEIO with the
 * daemon's error in 'reterr' (e.g. patchbay.NoSuchNode).
 */
int pb_node_enter(struct pb_client *c, const char *lab, const char *node, struct pb_error *reterr);

/*
 * Completion of an asynchronous call: 'result' is the JSON text (NULL on
 * error) and 'error' the failure (NULL on success); both are valid only
 * during the callback.
 */
typedef void pb_reply_fn(struct pb_client *c, const char *result, const struct pb_error *error,
                         void *userdata);

/*
 * Queues a call and returns at once; 'fn' (may be NULL) runs from
 * pb_client_process() or a blocking call once the reply arrives, or with an
 * error if the connection is lost.  Returns 0 or a negative errno.
 */
int pb_call_async(struct pb_client *c, const char *method, const char *params, pb_reply_fn *fn,
                  void *userdata);

/*
 * An event notification: 'method' is "event" for lab events, 'params' its
 * JSON text (valid during the callback).
 */
typedef void pb_event_fn(struct pb_client *c, const char *method, const char *params,
                         void *userdata);

void pb_client_set_event_handler(struct pb_client *c, pb_event_fn *fn, void *userdata);

/* The socket to watch, and the poll(2) events it currently needs. */
int pb_client_get_fd(const struct pb_client *c);
int pb_client_get_events(const struct pb_client *c);

/*
 * Does whatever I/O is possible without blocking and runs the callbacks of
 * completed calls and events.  Returns 1 if anything happened, 0 if not,
 * or a negative errno once the connection is gone (-ECONNRESET on EOF);
 * pending calls then complete with that error.
 */
int pb_client_process(struct pb_client *c);

/*
 * Waits up to 'timeout_ms' (negative: forever) for the socket, then
 * processes.  Returns like pb_client_process(), 0 on timeout.
 */
int pb_client_wait(struct pb_client *c, int timeout_ms);

/* Number of calls still waiting for a reply. */
unsigned pb_client_pending(const struct pb_client *c);

#ifdef __cplusplus
}
#endif

#endif
