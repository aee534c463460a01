/* SPDX-License-Identifier: MIT */
/*
 * Suite "errors": the error table (proto/pb-errors.h) is unique, uses the
 * JSON-RPC codes exactly and matches components.errors of the OpenRPC
 * document in both directions.
 */
#include <errno.h>
#include <string.h>

#include "pb-errors.h"
#include "pb-macro.h"
#include "pb-schema.h"
#include "suites.h"

#define APP_FIRST PB_ERR_NO_SUCH_LAB

START_TEST(test_entry)
{
        const struct pb_err_info *info = pb_err_info((enum pb_err)_i);

        ck_assert_ptr_nonnull(info);
        ck_assert_ptr_nonnull(info->name);
        ck_assert_ptr_nonnull(info->summary);
        ck_assert_msg(strncmp(info->name, "patchbay.", 9) == 0 && info->name[9] != '\0',
                      "%d: bad name '%s'", _i, info->name);
        ck_assert_str_ne(info->summary, "");
        ck_assert_int_gt(info->errnum, 0);
        ck_assert_int_ne(info->code, 0);

        /* Unique code and name. */
        for (int j = 1; j < _PB_ERR_MAX; j++) {
                const struct pb_err_info *other = pb_err_info((enum pb_err)j);

                if (j == _i)
                        continue;
                ck_assert_msg(other->code != info->code, "%s and %s share code %d", info->name,
                              other->name, info->code);
                ck_assert_msg(strcmp(other->name, info->name) != 0, "%d and %d share name %s", _i,
                              j, info->name);
        }
}
END_TEST

START_TEST(test_standard_codes)
{
        static const struct {
                enum pb_err err;
                int code;
                const char *name;
        } std[] = {
                { PB_ERR_PARSE, -32700, "patchbay.ParseError" },
                { PB_ERR_INVALID_REQUEST, -32600, "patchbay.InvalidRequest" },
                { PB_ERR_METHOD_NOT_FOUND, -32601, "patchbay.MethodNotFound" },
                { PB_ERR_INVALID_PARAMS, -32602, "patchbay.InvalidParams" },
                { PB_ERR_INTERNAL, -32603, "patchbay.Internal" },
                { PB_ERR_SYSTEM, -32000, "patchbay.System" },
        };

        for (size_t i = 0; i < ELEMENTSOF(std); i++) {
                ck_assert_int_eq(pb_err_info(std[i].err)->code, std[i].code);
                ck_assert_str_eq(pb_err_info(std[i].err)->name, std[i].name);
        }
        /* The errno each one maps to inside the C code. */
        ck_assert_int_eq(pb_err_info(PB_ERR_INVALID_PARAMS)->errnum, EINVAL);
        ck_assert_int_eq(pb_err_info(PB_ERR_PARSE)->errnum, EBADMSG);
}
END_TEST

START_TEST(test_app_codes)
{
        /* Application errors count down from -32001 without gaps. */
        ck_assert_int_gt(_PB_ERR_MAX, APP_FIRST);
        for (int i = APP_FIRST; i < _PB_ERR_MAX; i++)
                ck_assert_msg(pb_err_info((enum pb_err)i)->code == -32001 - (i - APP_FIRST),
                              "%s has code %d, want %d", pb_err_info((enum pb_err)i)->name,
                              pb_err_info((enum pb_err)i)->code, -32001 - (i - APP_FIRST));
        /* And nothing else lies in the server-error range. */
        for (int i = 1; i < APP_FIRST; i++) {
                int code = pb_err_info((enum pb_err)i)->code;

                ck_assert(code == -32000 || (code <= -32600 && code >= -32700));
        }
}
END_TEST

START_TEST(test_out_of_range)
{
        ck_assert_ptr_eq(pb_err_info(_PB_ERR_MAX), pb_err_info(PB_ERR_INTERNAL));
        ck_assert_ptr_eq(pb_err_info((enum pb_err)1000), pb_err_info(PB_ERR_INTERNAL));
        ck_assert_ptr_eq(pb_err_info((enum pb_err) - 1), pb_err_info(PB_ERR_INTERNAL));
        ck_assert_int_eq(pb_err_info(PB_ERR_NONE)->code, 0);
}
END_TEST

START_TEST(test_from_wire)
{
        const struct pb_err_info *info = pb_err_info((enum pb_err)_i);

        ck_assert_int_eq(pb_err_from_wire(info->code, info->name), _i);
        ck_assert_int_eq(pb_err_from_wire(info->code, NULL), _i);
        /* The name wins over the code. */
        ck_assert_int_eq(pb_err_from_wire(12345, info->name), _i);
        /* An unknown name falls back to the code. */
        ck_assert_int_eq(pb_err_from_wire(info->code, "other.Name"), _i);
}
END_TEST

START_TEST(test_from_wire_unknown)
{
        ck_assert_int_eq(pb_err_from_wire(0, NULL), PB_ERR_NONE);
        ck_assert_int_eq(pb_err_from_wire(-31999, NULL), PB_ERR_NONE);
        ck_assert_int_eq(pb_err_from_wire(-32099, "patchbay.Bogus"), PB_ERR_NONE);
        /* "patchbay.None" names the unset entry, which is never a wire error. */
        ck_assert_int_eq(pb_err_from_wire(0, "patchbay.None"), PB_ERR_NONE);
}
END_TEST

/* The error table and components.errors of the OpenRPC document agree. */
START_TEST(test_matches_openrpc)
{
        struct pb_schema *s = NULL;
        struct pb_rpc_error err;
        json_t *errors, *e;
        const char *key;
        size_t n = 0;

        ck_assert_int_eq(pb_schema_new_builtin(&s, &err), 0);
        errors = json_object_get(json_object_get(pb_schema_document(s), "components"), "errors");
        ck_assert(json_is_object(errors));

        /* Document -> table. */
        json_object_foreach (errors, key, e) {
                json_t *code = json_object_get(e, "code");
                const char *name =
                        json_string_value(json_object_get(json_object_get(e, "data"), "error"));
                enum pb_err pe;

                ck_assert_msg(json_is_integer(code) && name, "components.errors.%s malformed", key);
                pe = pb_err_from_wire((int)json_integer_value(code), name);
                ck_assert_msg(pe != PB_ERR_NONE, "%s (%s) is not in the error table", key, name);
                ck_assert_str_eq(pb_err_info(pe)->name, name);
                ck_assert_int_eq(pb_err_info(pe)->code, json_integer_value(code));
                /* The member key is the name without its prefix. */
                ck_assert_str_eq(name + strlen("patchbay."), key);
                n++;
        }

        /* Table -> document. */
        for (int i = 1; i < _PB_ERR_MAX; i++) {
                const struct pb_err_info *info = pb_err_info((enum pb_err)i);
                bool found = false;

                json_object_foreach (errors, key, e) {
                        const char *name = json_string_value(
                                json_object_get(json_object_get(e, "data"), "error"));

                        if (name && strcmp(name, info->name) == 0) {
                                ck_assert_int_eq(json_integer_value(json_object_get(e, "code")),
                                                 info->code);
                                found = true;
                        }
                }
                ck_assert_msg(found, "%s is not documented in components.errors", info->name);
        }
        ck_assert_uint_eq(n, _PB_ERR_MAX - 1);
        pb_schema_free(s);
}
END_TEST

START_TEST(test_errno_name)
{
        ck_assert_str_eq(pb_errno_name(ENOENT), "ENOENT");
        ck_assert_str_eq(pb_errno_name(EEXIST), "EEXIST");
        ck_assert_str_eq(pb_errno_name(EPERM), "EPERM");
        ck_assert_ptr_null(pb_errno_name(0));
        ck_assert_ptr_null(pb_errno_name(-ENOENT));
        ck_assert_ptr_null(pb_errno_name(100000));
}
END_TEST

Suite *
make_errors_suite(void)
{
        Suite *s = suite_create("errors");
        TCase *tc;

        tc = tcase_create("table");
        tcase_add_loop_test(tc, test_entry, 1, _PB_ERR_MAX);
        tcase_add_test(tc, test_standard_codes);
        tcase_add_test(tc, test_app_codes);
        tcase_add_test(tc, test_out_of_range);
        tcase_add_loop_test(tc, test_from_wire, 1, _PB_ERR_MAX);
        tcase_add_test(tc, test_from_wire_unknown);
        tcase_add_test(tc, test_errno_name);
        suite_add_tcase(s, tc);

        tc = tcase_create("openrpc");
        tcase_add_test(tc, test_matches_openrpc);
        suite_add_tcase(s, tc);
        return s;
}
