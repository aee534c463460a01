/* SPDX-License-Identifier: MIT */
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>

#include "pb-macro.h"

static int
write_file(const char *path, const char *text)
{
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(text);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, text, len);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

int
pb_userns_bootstrap(bool *ret_rootless)
{
        bool rootless = geteuid() != 0;
        uid_t uid = geteuid();
        gid_t gid = getegid();
        char map[64];
        int r;

        if (rootless) {
                if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0)
                        return -errno;
                /* An unprivileged process may map only itself, and only after
                 * denying setgroups(2) (user_namespaces(7)). */
                r = write_file("/proc/self/setgroups", "deny");
                if (r < 0)
                        return r;
                snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
                r = write_file("/proc/self/uid_map", map);
                if (r < 0)
                        return r;
                snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
                r = write_file("/proc/self/gid_map", map);
                if (r < 0)
                        return r;
                if (geteuid() != 0)
                        return -EPERM;
        } else if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0) {
                return -errno;
        }

        /* Keep receiving the host's mounts but never send ours back. */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return -errno;
        *ret_rootless = rootless;
        return 0;
}

int
pb_private_netns(void)
{
        return unshare(CLONE_NEWNET) < 0 ? -errno : 0;
}

int
pb_self_outer_pid(pid_t *ret)
{
        _cleanup_(fclosep) FILE *f = fopen("/proc/self/status", "re");
        char line[256];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                long pid;
                char *end;

                if (strncmp(line, "NSpid:", 6) != 0)
                        continue;
                errno = 0;
                pid = strtol(line + 6, &end, 10);
                if (errno || end == line + 6 || pid <= 0)
                        return -EBADMSG;
                *ret = (pid_t)pid;
                return 0;
        }
        return -ENOENT;
}
