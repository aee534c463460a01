/* SPDX-License-Identifier: MIT */
#include "pb-errors.h"

#include <errno.h>
#include <string.h>

#include "pb-macro.h"

/* The codes and names are part of the wire contract: never renumber. */
static const struct pb_err_info table[_PB_ERR_MAX] = {
        [PB_ERR_NONE] = { 0, "patchbay.None", "no error", 0 },
        [PB_ERR_PARSE] = { -32700, "patchbay.ParseError", "parse error", EBADMSG },
        [PB_ERR_INVALID_REQUEST] = { -32600, "patchbay.InvalidRequest", "invalid request", EPROTO },
        [PB_ERR_METHOD_NOT_FOUND] = { -32601, "patchbay.MethodNotFound", "method not found",
                                      ENOSYS },
        [PB_ERR_INVALID_PARAMS] = { -32602, "patchbay.InvalidParams", "invalid params", EINVAL },
        [PB_ERR_INTERNAL] = { -32603, "patchbay.Internal", "internal error", EIO },
        [PB_ERR_SYSTEM] = { -32000, "patchbay.System", "system error", EIO },
        [PB_ERR_NO_SUCH_LAB] = { -32001, "patchbay.NoSuchLab", "no such lab", ENOENT },
        [PB_ERR_NO_SUCH_NODE] = { -32002, "patchbay.NoSuchNode", "no such node", ENOENT },
        [PB_ERR_NAME_TAKEN] = { -32003, "patchbay.NameTaken", "name already taken", EEXIST },
        [PB_ERR_IN_USE] = { -32004, "patchbay.InUse", "still in use", EBUSY },
        [PB_ERR_POOL_EXHAUSTED] = { -32005, "patchbay.PoolExhausted", "address pool exhausted",
                                    ENOSPC },
        [PB_ERR_UNSUPPORTED] = { -32006, "patchbay.Unsupported", "not supported", EOPNOTSUPP },
        [PB_ERR_LIMIT] = { -32007, "patchbay.Limit", "limit reached", EMFILE },
        [PB_ERR_NO_SUCH_IFACE] = { -32008, "patchbay.NoSuchIface", "no such interface", ENODEV },
        [PB_ERR_NO_SUCH_PROC] = { -32009, "patchbay.NoSuchProc", "no such process", ESRCH },
        [PB_ERR_NO_SUCH_REGION] = { -32010, "patchbay.NoSuchRegion", "no such region", ENOENT },
        [PB_ERR_TIMEOUT] = { -32011, "patchbay.Timeout", "timed out", ETIMEDOUT },
        [PB_ERR_INVALID_STATE] = { -32012, "patchbay.InvalidState",
                                   "not possible in the current state", EALREADY },
        [PB_ERR_SHUTTING_DOWN] = { -32013, "patchbay.ShuttingDown", "daemon is shutting down",
                                   ESHUTDOWN },
};

const struct pb_err_info *
pb_err_info(enum pb_err e)
{
        if ((unsigned)e >= _PB_ERR_MAX)
                e = PB_ERR_INTERNAL;
        return &table[e];
}

enum pb_err
pb_err_from_wire(int code, const char *name)
{
        /* The symbolic name wins: several codes could share a family later. */
        if (name)
                for (unsigned i = 1; i < _PB_ERR_MAX; i++)
                        if (strcmp(table[i].name, name) == 0)
                                return (enum pb_err)i;
        for (unsigned i = 1; i < _PB_ERR_MAX; i++)
                if (table[i].code == code)
                        return (enum pb_err)i;
        return PB_ERR_NONE;
}

const char *
pb_errno_name(int errnum)
{
        if (errnum <= 0)
                return NULL;
        return strerrorname_np(errnum);
}
