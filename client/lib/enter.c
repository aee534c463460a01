/* SPDX-License-Identifier: MIT */
/* pb_node_enter(): move the calling process into a node with node.enter's fds. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "client-internal.h"
#include "patchbay.h"
#include "pb-macro.h"

#define ENTER_TIMEOUT_MS 30000
#define ENTER_MAX_FDS    8

enum { NS_USER, NS_NET, NS_MNT, NS_PID, _NS_MAX };

static const char *const ns_names[_NS_MAX] = { "userns", "netns", "mntns", "pidns" };
static const int ns_flags[_NS_MAX] = { CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID };
static const char *const ns_ops[_NS_MAX] = { "setns(CLONE_NEWUSER)", "setns(CLONE_NEWNET)",
                                             "setns(CLONE_NEWNS)", "setns(CLONE_NEWPID)" };

/* Sorts the received fds by namespace, following the reply's "fds" list. */
static int
assign_fds(const char *result, const int *fds, unsigned n_fds, int ns[_NS_MAX])
{
        json_t *res = json_loads(result, 0, NULL), *names, *name;
        size_t i;
        int r = 0;

        if (!res)
                return -EBADMSG;
        names = json_object_get(res, "fds");
        if (!json_is_array(names) || json_array_size(names) != n_fds) {
                json_decref(res);
                return -EBADMSG;
        }
        json_array_foreach (names, i, name) {
                const char *s = json_string_value(name);
                int k;

                for (k = 0; k < _NS_MAX; k++)
                        if (s && strcmp(s, ns_names[k]) == 0)
                                break;
                if (k == _NS_MAX || ns[k] >= 0) {
                        r = -EBADMSG;
                        break;
                }
                ns[k] = fds[i];
        }
        json_decref(res);
        if (r == 0 && (ns[NS_NET] < 0 || ns[NS_MNT] < 0 || ns[NS_PID] < 0))
                r = -EBADMSG;
        return r;
}

/* True if 'fd' is the user namespace we are in already (joining it again is EINVAL). */
static bool
is_own_userns(int fd)
{
        struct stat a, b;

        return fstat(fd, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

int
pb_node_enter(struct pb_client *c, const char *lab, const char *node, struct pb_error *reterr)
{
        int fds[ENTER_MAX_FDS], ns[_NS_MAX] = { -1, -1, -1, -1 };
        _cleanup_free_ char *params = NULL, *result = NULL;
        unsigned n_fds = 0;
        json_t *p;
        int r;

        p = json_pack("{s:s, s:s}", "lab", lab, "node", node);
        params = p ? json_dumps(p, JSON_COMPACT) : NULL;
        json_decref(p);
        if (!params) {
                client_error_set_local(reterr, -ENOMEM, "node.enter");
                return -ENOMEM;
        }
        r = pb_call_fds(c, "node.enter", params, ENTER_TIMEOUT_MS, &result, fds, ENTER_MAX_FDS,
                        &n_fds, reterr);
        if (r < 0)
                return r;
        r = assign_fds(result, fds, n_fds, ns);
        if (r < 0)
                client_error_set_local(reterr, r, "node.enter: unexpected reply");
        /* The user namespace first: it grants the rights to join the others. */
        for (int k = 0; r == 0 && k < _NS_MAX; k++) {
                if (ns[k] < 0 || (k == NS_USER && is_own_userns(ns[k])))
                        continue;
                if (setns(ns[k], ns_flags[k]) < 0) {
                        r = -errno;
                        client_error_set_local(reterr, r, ns_ops[k]);
                }
        }
        for (unsigned i = 0; i < n_fds; i++)
                safe_close(fds[i]);
        return r;
}
