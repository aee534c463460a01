/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target "frame_rpc": the daemon's input path minus the socket.
 *
 * The input is a byte stream as a client would send it.  It is fed to a
 * reader buffer in chunks of data[0] bytes (0: all at once), split with
 * pb_frame_next() honouring the 'scanned' cursor, and every frame goes
 * through pb_rpc_decode(), pb_rpc_check_request() (per element for a batch)
 * and, for valid requests of documented methods, pb_schema_check_params().
 *
 * Properties checked (abort() on violation):
 *  - frames end in '\n', hold no other '\n', and the cursor resets;
 *  - only -EMSGSIZE is returned for oversized input, and only past the limit;
 *  - every decoded value survives pb_rpc_encode() -> pb_rpc_decode() unchanged;
 *  - envelope and parameter errors are -32600/-32602 with a usable id, and
 *    their error responses parse back to the same code, name and parameter.
 *
 * The reader buffer is reallocated to its exact fill level so that ASan sees
 * any read past the bytes handed to pb_frame_next().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pb-frame.h"
#include "pb-macro.h"
#include "pb-rpc.h"
#include "pb-schema.h"

/* The built-in document, loaded on first use and kept: the one global. */
static struct pb_schema *schema;

static const struct pb_schema *
builtin_schema(void)
{
        struct pb_rpc_error err;

        if (!schema && pb_schema_new_builtin(&schema, &err) < 0)
                abort();
        return schema;
}

/* pb_rpc_encode() -> pb_rpc_decode() must give back an equal value. */
static void
round_trip(const json_t *v)
{
        json_auto_t *back = NULL;
        struct pb_rpc_error err;
        size_t len = 0, scanned = 0;
        _cleanup_free_ char *buf = pb_rpc_encode(v, &len);

        if (!buf || len < 2 || buf[len - 1] != '\n' || buf[len] != '\0')
                abort();
        if (memchr(buf, '\n', len - 1))
                abort();
        /* Re-encoding may grow a frame ("1e5" -> "100000.0"): only then may it not fit. */
        if (len - 1 <= PB_FRAME_MAX && pb_frame_next(buf, len, &scanned) != (ssize_t)len)
                abort();
        if (pb_rpc_decode(buf, len - 1, &back, &err) < 0)
                abort();
        if (!json_equal(back, v))
                abort();
}

/*
 * The error response for 'e' must exist and parse back to the same error,
 * whatever bytes ended up in its texts (tests/fuzz/regressions/error-utf8-*).
 */
static void
error_round_trip(json_t *id, const struct pb_rpc_error *e)
{
        json_auto_t *resp = pb_rpc_build_error(id, e);
        struct pb_rpc_response r;
        struct pb_rpc_error back;
        int code = 0;

        if (!resp)
                abort();
        if (pb_rpc_parse_response(resp, &r) < 0 || r.kind != PB_RPC_KIND_RESPONSE || !r.error)
                abort();
        if (id ? !json_equal(r.id, id) : !json_is_null(r.id))
                abort();
        if (pb_rpc_error_from_json(r.error, &back, &code) != pb_rpc_error_code(e) ||
            code != pb_rpc_error_code(e))
                abort();
        if (back.err != e->err || strcmp(back.parameter, e->parameter) != 0 ||
            strcmp(back.message, e->message) != 0)
                abort();
        round_trip(resp);
}

static void
handle_request(json_t *msg)
{
        json_auto_t *empty = json_object();
        struct pb_rpc_request req;
        struct pb_rpc_error err;
        json_t *id;
        int r;

        if (!empty)
                abort();
        memset(&err, 0, sizeof(err));
        r = pb_rpc_check_request(msg, empty, &req, &err);
        if (r < 0) {
                if (err.err != PB_ERR_INVALID_REQUEST && err.err != PB_ERR_INVALID_PARAMS)
                        abort();
                /* A usable id is the request's own, and of a valid type. */
                if (req.id &&
                    (!json_is_object(msg) || req.id != json_object_get(msg, "id") ||
                     !(json_is_null(req.id) || json_is_string(req.id) || json_is_number(req.id))))
                        abort();
                error_round_trip(req.id, &err);
                return;
        }
        if (!req.method || !json_is_object(req.params) || json_object_size(empty) != 0)
                abort();
        if (req.id != json_object_get(msg, "id"))
                abort();
        if (!pb_schema_method(builtin_schema(), req.method))
                return;

        memset(&err, 0, sizeof(err));
        r = pb_schema_check_params(builtin_schema(), req.method, req.params, &err);
        if (r == 0)
                return;
        if (r != -EINVAL || err.err != PB_ERR_INVALID_PARAMS)
                abort();
        id = req.id;
        error_round_trip(id, &err);
}

static void
handle_frame(const char *frame, size_t n)
{
        size_t len = pb_frame_payload_len(frame, n);
        json_auto_t *msg = NULL;
        struct pb_rpc_error err;
        json_t *elem;
        size_t i;

        if (pb_frame_is_blank(frame, len))
                return;
        memset(&err, 0, sizeof(err));
        if (pb_rpc_decode(frame, len, &msg, &err) < 0) {
                if (err.err != PB_ERR_PARSE || msg)
                        abort();
                error_round_trip(NULL, &err);
                return;
        }
        round_trip(msg);
        if (json_is_array(msg)) {
                json_array_foreach (msg, i, elem) {
                        handle_request(elem);
                }
        } else {
                handle_request(msg);
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t chunk, off = 0, have = 0, scanned = 0;
        char *buf = NULL, *nb;

        if (size == 0)
                return 0;
        (void)builtin_schema();
        chunk = data[0] ? data[0] : size;

        while (off < size) {
                size_t n = MIN(chunk, size - off);

                nb = realloc(buf, have + n);
                if (!nb)
                        abort();
                buf = nb;
                memcpy(buf + have, data + off, n);
                have += n;
                off += n;

                for (;;) {
                        ssize_t k = pb_frame_next(buf, have, &scanned);

                        if (k == 0) {
                                if (scanned > have)
                                        abort();
                                break;
                        }
                        if (k < 0) {
                                /* Too large: the daemon closes the connection. */
                                if (k != -EMSGSIZE || have < PB_FRAME_MAX + 2)
                                        abort();
                                goto out;
                        }
                        if ((size_t)k > have || (size_t)k > PB_FRAME_MAX + 2 || scanned != 0 ||
                            buf[k - 1] != '\n' || memchr(buf, '\n', (size_t)k - 1))
                                abort();
                        handle_frame(buf, (size_t)k);
                        have -= (size_t)k;
                        memmove(buf, buf + k, have);
                        if (have == 0) {
                                free(buf);
                                buf = NULL;
                        } else if ((nb = realloc(buf, have))) {
                                buf = nb;
                        }
                }
        }
        /* A trailing partial frame is dropped, as on EOF. */
out:
        free(buf);
        return 0;
}
