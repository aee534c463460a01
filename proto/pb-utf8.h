/* SPDX-License-Identifier: MIT */
/* UTF-8 hygiene for text that goes into JSON strings. */
#ifndef PB_UTF8_H
#define PB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if 's' ('n' bytes) is well-formed UTF-8 (RFC 3629). */
bool pb_utf8_valid(const char *s, size_t n);

/*
 * Makes the NUL-terminated 's' well-formed in place: every byte of an
 * invalid or truncated sequence becomes '?'.  Text cut to a fixed size (an
 * error message, a parameter path) may end in half a character; jansson
 * refuses such strings, which would lose the whole error reply.
 */
void pb_utf8_sanitize(char *s);

#endif
