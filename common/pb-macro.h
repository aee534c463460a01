/* SPDX-License-Identifier: MIT */
/*
 * Header-only helpers shared by every layer: cleanup attributes, ownership
 * hand-off and small arithmetic helpers.  Nothing here does I/O or pulls in a
 * library, so proto/, lib/, daemon/ and client/ may all include it without
 * breaking the one-way dependency rule.
 */
#ifndef PB_MACRO_H
#define PB_MACRO_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _must_check_   __attribute__((warn_unused_result))
#define _likely_(x)    __builtin_expect(!!(x), 1)
#define _unlikely_(x)  __builtin_expect(!!(x), 0)
#define ELEMENTSOF(a)  (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)      ((a) < (b) ? (a) : (b))
#define MAX(a, b)      ((a) > (b) ? (a) : (b))
#define STRINGIFY_(x)  #x
#define STRINGIFY(x)   STRINGIFY_(x)

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

static inline void
freep(void *p)
{
        free(*(void **)p);
}

static inline void
closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                (void)close(*fd);
                errno = saved;
        }
}

static inline void
fclosep(FILE **f)
{
        if (*f)
                (void)fclose(*f);
}

#define _cleanup_free_  _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hands a pointer or fd out of a cleanup variable, leaving NULL / -EBADF. */
#define TAKE_PTR(p)                        \
        ({                                 \
                __typeof__(p) _tmp_ = (p); \
                (p) = NULL;                \
                _tmp_;                     \
        })
#define TAKE_FD(fd)               \
        ({                        \
                int _tmp_ = (fd); \
                (fd) = -EBADF;    \
                _tmp_;            \
        })

/* Closes 'fd' if valid and returns -EBADF, for "fd = safe_close(fd);". */
static inline int
safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;
                (void)close(fd);
                errno = saved;
        }
        return -EBADF;
}

/* Returns -errno, never 0, for call sites where errno must be set. */
static inline int
negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

#endif
