/* SPDX-License-Identifier: MIT */
#include "pb-rpc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pb-macro.h"
#include "pb-utf8.h"

static void
copy_str(char *dst, size_t n, const char *src)
{
        if (!src) {
                dst[0] = '\0';
                return;
        }
        snprintf(dst, n, "%s", src);
}

/* Every text field must stay valid UTF-8, whatever was cut or copied into it. */
static void
error_fix_text(struct pb_rpc_error *e)
{
        pb_utf8_sanitize(e->message);
        pb_utf8_sanitize(e->parameter);
        pb_utf8_sanitize(e->method);
        pb_utf8_sanitize(e->kernel);
        pb_utf8_sanitize(e->op);
}

static void
error_reset(struct pb_rpc_error *e, enum pb_err err)
{
        memset(e, 0, sizeof(*e));
        e->err = err;
}

int
pb_rpc_errorf(struct pb_rpc_error *e, enum pb_err err, const char *fmt, ...)
{
        const struct pb_err_info *info = pb_err_info(err);

        error_reset(e, err);
        if (fmt) {
                va_list ap;

                va_start(ap, fmt);
                vsnprintf(e->message, sizeof(e->message), fmt, ap);
                va_end(ap);
        } else {
                copy_str(e->message, sizeof(e->message), info->summary);
        }
        error_fix_text(e);
        return -info->errnum;
}

int
pb_rpc_error_param(struct pb_rpc_error *e, const char *parameter, const char *fmt, ...)
{
        va_list ap;

        error_reset(e, PB_ERR_INVALID_PARAMS);
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
        copy_str(e->parameter, sizeof(e->parameter), parameter);
        error_fix_text(e);
        return -EINVAL;
}

int
pb_rpc_error_system(struct pb_rpc_error *e, int r, const char *op, const char *kernel)
{
        int errnum = r < 0 ? -r : r;

        error_reset(e, PB_ERR_SYSTEM);
        e->errnum = errnum;
        copy_str(e->op, sizeof(e->op), op);
        copy_str(e->kernel, sizeof(e->kernel), kernel);
        if (op && kernel && *kernel)
                snprintf(e->message, sizeof(e->message), "%s: %s (%s)", op, strerror(errnum),
                         kernel);
        else if (op)
                snprintf(e->message, sizeof(e->message), "%s: %s", op, strerror(errnum));
        else
                snprintf(e->message, sizeof(e->message), "%s", strerror(errnum));
        error_fix_text(e);
        return r < 0 ? r : -r;
}

int
pb_rpc_error_code(const struct pb_rpc_error *e)
{
        return pb_err_info(e->err == PB_ERR_NONE ? PB_ERR_INTERNAL : e->err)->code;
}

static int
set_str(json_t *obj, const char *key, const char *value)
{
        if (!value || !*value)
                return 0;
        return json_object_set_new(obj, key, json_string(value));
}

json_t *
pb_rpc_error_to_json(const struct pb_rpc_error *orig)
{
        struct pb_rpc_error copy = *orig, *e = &copy;
        enum pb_err err = e->err == PB_ERR_NONE ? PB_ERR_INTERNAL : e->err;
        const struct pb_err_info *info = pb_err_info(err);
        json_auto_t *data = json_object();
        json_auto_t *obj = json_object();
        int r = 0;

        if (!data || !obj)
                return NULL;
        error_fix_text(e);
        r |= json_object_set_new(data, "error", json_string(info->name));
        if (err == PB_ERR_INVALID_PARAMS)
                r |= json_object_set_new(data, "parameter", json_string(e->parameter));
        else
                r |= set_str(data, "parameter", e->parameter);
        r |= set_str(data, "method", e->method);
        if (e->errnum > 0) {
                r |= json_object_set_new(data, "errno", json_integer(e->errnum));
                r |= set_str(data, "errnoName", pb_errno_name(e->errnum));
        }
        r |= set_str(data, "kernel", e->kernel);
        r |= set_str(data, "op", e->op);
        r |= json_object_set_new(obj, "code", json_integer(info->code));
        r |= json_object_set_new(obj, "message",
                                 json_string(e->message[0] ? e->message : info->summary));
        r |= json_object_set(obj, "data", data);
        if (r)
                return NULL;
        return TAKE_PTR(obj);
}

int
pb_rpc_error_from_json(const json_t *error, struct pb_rpc_error *ret, int *ret_code)
{
        const json_t *code, *message, *data, *v;
        const char *name = NULL;

        if (!json_is_object(error))
                return -EBADMSG;
        code = json_object_get(error, "code");
        message = json_object_get(error, "message");
        if (!json_is_integer(code) || json_integer_value(code) == 0)
                return -EBADMSG;
        data = json_object_get(error, "data");
        if (json_is_object(data) && json_is_string(json_object_get(data, "error")))
                name = json_string_value(json_object_get(data, "error"));

        error_reset(ret, pb_err_from_wire((int)json_integer_value(code), name));
        copy_str(ret->message, sizeof(ret->message),
                 json_is_string(message) ? json_string_value(message) : "");
        if (json_is_object(data)) {
                if ((v = json_object_get(data, "parameter")) && json_is_string(v))
                        copy_str(ret->parameter, sizeof(ret->parameter), json_string_value(v));
                if ((v = json_object_get(data, "method")) && json_is_string(v))
                        copy_str(ret->method, sizeof(ret->method), json_string_value(v));
                if ((v = json_object_get(data, "kernel")) && json_is_string(v))
                        copy_str(ret->kernel, sizeof(ret->kernel), json_string_value(v));
                if ((v = json_object_get(data, "op")) && json_is_string(v))
                        copy_str(ret->op, sizeof(ret->op), json_string_value(v));
                if ((v = json_object_get(data, "errno")) && json_is_integer(v))
                        ret->errnum = (int)json_integer_value(v);
        }
        error_fix_text(ret);
        if (ret_code)
                *ret_code = (int)json_integer_value(code);
        return (int)json_integer_value(code);
}

static int
decode(const char *buf, size_t len, size_t flags, json_t **ret_msg, struct pb_rpc_error *reterr)
{
        json_error_t jerr;
        json_t *msg;

        msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | flags, &jerr);
        if (!msg) {
                pb_rpc_errorf(reterr, PB_ERR_PARSE, "parse error at byte %d: %s", jerr.position,
                              jerr.text);
                return -EBADMSG;
        }
        *ret_msg = msg;
        return 0;
}

int
pb_rpc_decode(const char *buf, size_t len, json_t **ret_msg, struct pb_rpc_error *reterr)
{
        return decode(buf, len, 0, ret_msg, reterr);
}

int
pb_rpc_decode_reply(const char *buf, size_t len, json_t **ret_msg, struct pb_rpc_error *reterr)
{
        return decode(buf, len, JSON_ALLOW_NUL, ret_msg, reterr);
}

static bool
id_is_valid(const json_t *id)
{
        return json_is_null(id) || json_is_string(id) || json_is_number(id);
}

int
pb_rpc_check_request(json_t *msg, json_t *empty_params, struct pb_rpc_request *ret,
                     struct pb_rpc_error *reterr)
{
        const char *key;
        json_t *value, *version, *method, *params, *id;

        memset(ret, 0, sizeof(*ret));
        if (!json_is_object(msg))
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_REQUEST,
                                     "a request must be a JSON object");

        id = json_object_get(msg, "id");
        if (id && id_is_valid(id))
                ret->id = id;
        else if (id)
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_REQUEST,
                                     "\"id\" must be a string, a number or null");

        json_object_foreach (msg, key, value) {
                if (strcmp(key, "jsonrpc") && strcmp(key, "method") && strcmp(key, "params") &&
                    strcmp(key, "id"))
                        return pb_rpc_errorf(reterr, PB_ERR_INVALID_REQUEST,
                                             "unexpected member \"%.64s\" in request", key);
        }
        version = json_object_get(msg, "jsonrpc");
        if (!json_is_string(version) || strcmp(json_string_value(version), PB_RPC_VERSION) != 0)
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\"");
        method = json_object_get(msg, "method");
        if (!json_is_string(method))
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_REQUEST, "\"method\" must be a string");
        params = json_object_get(msg, "params");
        if (params && json_is_array(params))
                return pb_rpc_error_param(reterr, "params",
                                          "params must be given by name (a JSON object)");
        if (params && !json_is_object(params))
                return pb_rpc_errorf(reterr, PB_ERR_INVALID_REQUEST,
                                     "\"params\" must be an object");

        ret->method = json_string_value(method);
        ret->params = params ? params : empty_params;
        return 0;
}

int
pb_rpc_parse_response(json_t *msg, struct pb_rpc_response *ret)
{
        json_t *version, *id, *result, *error, *method, *params;

        memset(ret, 0, sizeof(*ret));
        if (!json_is_object(msg))
                return -EBADMSG;
        version = json_object_get(msg, "jsonrpc");
        if (!json_is_string(version) || strcmp(json_string_value(version), PB_RPC_VERSION) != 0)
                return -EBADMSG;

        method = json_object_get(msg, "method");
        id = json_object_get(msg, "id");
        if (method) {
                params = json_object_get(msg, "params");
                if (!json_is_string(method) || id ||
                    (params && !json_is_object(params) && !json_is_array(params)))
                        return -EBADMSG;
                ret->kind = PB_RPC_KIND_NOTIFICATION;
                ret->method = json_string_value(method);
                ret->params = params;
                return 0;
        }

        result = json_object_get(msg, "result");
        error = json_object_get(msg, "error");
        if (!id || !id_is_valid(id) || (!result == !error))
                return -EBADMSG;
        if (error && !json_is_object(error))
                return -EBADMSG;
        ret->kind = PB_RPC_KIND_RESPONSE;
        ret->id = id;
        ret->result = result;
        ret->error = error;
        return 0;
}

static json_t *
envelope(void)
{
        json_t *obj = json_object();

        if (obj && json_object_set_new(obj, "jsonrpc", json_string(PB_RPC_VERSION)) < 0)
                return json_decref(obj), NULL;
        return obj;
}

json_t *
pb_rpc_build_result(json_t *id, json_t *result)
{
        json_auto_t *res = result;
        json_auto_t *obj = envelope();

        if (!obj || !res)
                return NULL;
        if (json_object_set_new(obj, "id", id ? json_incref(id) : json_null()) < 0 ||
            json_object_set(obj, "result", res) < 0)
                return NULL;
        return TAKE_PTR(obj);
}

json_t *
pb_rpc_build_error(json_t *id, const struct pb_rpc_error *e)
{
        json_auto_t *obj = envelope();

        if (!obj)
                return NULL;
        if (json_object_set_new(obj, "id", id ? json_incref(id) : json_null()) < 0 ||
            json_object_set_new(obj, "error", pb_rpc_error_to_json(e)) < 0)
                return NULL;
        return TAKE_PTR(obj);
}

json_t *
pb_rpc_build_request(const char *method, json_t *params, json_int_t id)
{
        json_auto_t *p = params;
        json_auto_t *obj = envelope();

        if (!obj)
                return NULL;
        if (json_object_set_new(obj, "method", json_string(method)) < 0 ||
            (p && json_object_set(obj, "params", p) < 0) ||
            json_object_set_new(obj, "id", json_integer(id)) < 0)
                return NULL;
        return TAKE_PTR(obj);
}

json_t *
pb_rpc_build_notification(const char *method, json_t *params)
{
        json_auto_t *p = params;
        json_auto_t *obj = envelope();

        if (!obj)
                return NULL;
        if (json_object_set_new(obj, "method", json_string(method)) < 0 ||
            (p && json_object_set(obj, "params", p) < 0))
                return NULL;
        return TAKE_PTR(obj);
}

char *
pb_rpc_encode(const json_t *msg, size_t *ret_len)
{
        size_t n = json_dumpb(msg, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
        char *buf;

        if (n == 0)
                return NULL;
        buf = malloc(n + 2);
        if (!buf)
                return NULL;
        if (json_dumpb(msg, buf, n, JSON_COMPACT | JSON_ENCODE_ANY) != n) {
                free(buf);
                return NULL;
        }
        buf[n] = '\n';
        buf[n + 1] = '\0';
        *ret_len = n + 1;
        return buf;
}
