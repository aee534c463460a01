/* SPDX-License-Identifier: MIT */
/*
 * Newline framing.  Each message on the wire is one compact JSON value
 * followed by '\n'.  jansson escapes control characters inside strings and
 * never emits a raw newline in compact mode, so '\n' cannot occur inside a
 * frame.  A trailing '\r' before the '\n' is tolerated so that people can
 * talk to the daemon with socat/telnet.
 */
#ifndef PB_FRAME_H
#define PB_FRAME_H

#include <stddef.h>

#include <sys/types.h>

/* Largest frame accepted, delimiter excluded (SPEC §10). */
#define PB_FRAME_MAX (1024 * 1024)

/*
 * Largest frame a client accepts from the daemon.  Requests stay within
 * PB_FRAME_MAX, but replies carry process output: a node.exec result holds
 * up to 1 MiB of each of stdout and stderr, which JSON escaping can grow
 * six-fold (\u0000).
 */
#define PB_REPLY_FRAME_MAX (16 * 1024 * 1024)

/*
 * Looks for the end of the first frame in 'buf' (of 'len' bytes).
 * '*scanned' remembers how many bytes were already searched, so that a frame
 * arriving in many small reads costs O(n), not O(n^2); set it to 0 for a new
 * frame and leave it alone between calls for the same frame.
 *
 * Returns the frame length including the '\n' (and resets '*scanned' to 0),
 * 0 if more input is needed, or -EMSGSIZE when no delimiter occurs within
 * PB_FRAME_MAX + 1 bytes (the frame is too large and its end is unknown).
 */
ssize_t pb_frame_next(const char *buf, size_t len, size_t *scanned);

/* Same, with 'max' instead of PB_FRAME_MAX as the limit. */
ssize_t pb_frame_next_max(const char *buf, size_t len, size_t *scanned, size_t max);

/*
 * Returns the length of the frame payload of a frame of 'n' bytes returned
 * by pb_frame_next(): the delimiter and an optional '\r' stripped.
 */
size_t pb_frame_payload_len(const char *frame, size_t n);

/* Returns nonzero if the payload consists only of JSON whitespace. */
int pb_frame_is_blank(const char *payload, size_t n);

#endif
