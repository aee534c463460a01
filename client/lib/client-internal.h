/* SPDX-License-Identifier: MIT */
/* Internal glue between the parts of libpatchbay.  Not installed. */
#ifndef PB_CLIENT_INTERNAL_H
#define PB_CLIENT_INTERNAL_H

#include "patchbay.h"

/* Connects once to 'path'.  Returns 0 or a negative errno from connect(2). */
int client_connect_once(const char *path, struct pb_client **ret);

/* Starts patchbayd for 'path' and connects once it serves (autostart.c). */
int client_autostart(const char *path, struct pb_client **ret, struct pb_error *reterr);

/* Fills 'e' (may be NULL) with a local failure: errno 'r' during 'what'. */
void client_error_set_local(struct pb_error *e, int r, const char *what);

#endif
