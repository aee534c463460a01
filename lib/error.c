/* SPDX-License-Identifier: MIT */
#include "error.h"

#include <stdio.h>
#include <string.h>

static int
set(struct pbl_error *e, int code, const char *kernel, const char *fmt, va_list ap)
{
        if (!e || e->code)
                return code;
        e->code = code;
        vsnprintf(e->op, sizeof(e->op), fmt, ap);
        snprintf(e->kernel, sizeof(e->kernel), "%s", kernel ? kernel : "");
        return code;
}

int
pbl_error_set(struct pbl_error *e, int code, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        code = set(e, code, NULL, fmt, ap);
        va_end(ap);
        return code;
}

int
pbl_error_set_kernel(struct pbl_error *e, int code, const char *kernel, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        code = set(e, code, kernel, fmt, ap);
        va_end(ap);
        return code;
}
