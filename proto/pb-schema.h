/* SPDX-License-Identifier: MIT */
/*
 * Parameter validation against the OpenRPC document (proto/openrpc.json).
 * The document is the single source of truth for method names and their
 * parameters: the daemon checks every request against it before a handler
 * runs, and rpc.discover returns it.
 *
 * Supported JSON Schema subset (anything else in a schema is rejected when
 * the document is loaded, so an unsupported keyword can never be silently
 * ignored): type (string or array), enum, minimum, maximum, minLength,
 * maxLength, pattern (POSIX ERE), items, minItems, maxItems, properties,
 * required, additionalProperties (false), oneOf, anyOf, $ref to
 * "#/components/schemas/<name>"; description, title, default and examples
 * are annotations.
 */
#ifndef PB_SCHEMA_H
#define PB_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "pb-rpc.h"

struct pb_schema;

/* The OpenRPC document compiled into the binary (from proto/openrpc.json). */
extern const char pb_openrpc_text[];
extern const size_t pb_openrpc_len;

/*
 * Compiles the OpenRPC document 'doc' (stolen): indexes its methods,
 * resolves every $ref, checks that only supported keywords occur and
 * compiles every pattern.  Returns 0 and the new schema in '*ret', or a
 * negative errno with details in 'reterr'.
 */
int pb_schema_new(json_t *doc, struct pb_schema **ret, struct pb_rpc_error *reterr);

/* Same, for the built-in document. */
int pb_schema_new_builtin(struct pb_schema **ret, struct pb_rpc_error *reterr);

/* Frees 's' (NULL-tolerant).  Returns NULL. */
struct pb_schema *pb_schema_free(struct pb_schema *s);

/* Returns the OpenRPC document (borrowed). */
json_t *pb_schema_document(const struct pb_schema *s);

/* Returns the method object named 'name' (borrowed), or NULL. */
json_t *pb_schema_method(const struct pb_schema *s, const char *name);

/* Number of methods, and the name of the i-th in sorted order. */
size_t pb_schema_method_count(const struct pb_schema *s);
const char *pb_schema_method_name(const struct pb_schema *s, size_t i);

/*
 * Checks 'params' (an object, borrowed) against the parameters of 'method'.
 * Returns 0, -ENOENT if the document has no such method, or -EINVAL with a
 * -32602 error in 'reterr' naming the offending parameter path
 * ("ifaces[0].router").
 */
int pb_schema_check_params(const struct pb_schema *s, const char *method, const json_t *params,
                           struct pb_rpc_error *reterr);

/*
 * Checks one value against the component schema 'name' (for example the
 * "Topology" of a lab file).  Same return values as pb_schema_check_params();
 * 'path' prefixes parameter paths in errors.
 */
int pb_schema_check_component(const struct pb_schema *s, const char *name, const char *path,
                              const json_t *value, struct pb_rpc_error *reterr);

#endif
