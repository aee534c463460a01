/* SPDX-License-Identifier: MIT */
/*
 * The DNS overlay's files: <dir>/<lab>/resolv.conf (one per lab) and
 * <dir>/<lab>/<device>.hosts, on a tmpfs mounted on <dir> in the daemon's
 * private mount namespace.  A device's mount namespace is a copy of the
 * daemon's made after that mount, so the files can be bind-mounted there
 * (the kernel binds only mounts of the caller's own namespace); the copy of
 * the tmpfs is then unmounted in the device, which keeps only its two
 * files.  Files are rewritten in place, never replaced: a bind mount pins
 * the inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "dns.h"
#include "log.h"
#include "pb-macro.h"

#define RESOLV_FILE "resolv.conf"

/* What a lab has: the model and its directory on the tmpfs. */
struct pbl_lab_dns {
        struct pbl_dns model;
        int dirfd; /* <dir>/<lab>, or -1 without pbl_dns_setup(). */
};

static char root_dir[PATH_MAX];
static int root_fd = -1;

int
pbl_dns_setup(const char *dir, struct pbl_error *err)
{
        char abs[PATH_MAX];
        struct stat st;
        int r;

        if (root_fd >= 0)
                return 0;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return pbl_error_set(err, -errno, "mkdir %s", dir);
        if (lstat(dir, &st) < 0)
                return pbl_error_set(err, -errno, "stat %s", dir);
        if (!S_ISDIR(st.st_mode))
                return pbl_error_set(err, -ENOTDIR, "DNS directory %s", dir);
        /* Absolute: the bind mounts resolve it after joining a device's namespace. */
        if (!realpath(dir, abs))
                return pbl_error_set(err, -errno, "realpath %s", dir);
        dir = abs;
        if (mount("patchbay-dns", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") < 0)
                return pbl_error_set(err, -errno, "mount tmpfs on %s", dir);
        root_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (root_fd < 0) {
                r = -errno;
                /* Undoing: the open's error is the one to report. */
                (void)umount2(dir, MNT_DETACH);
                return pbl_error_set(err, r, "open %s", dir);
        }
        snprintf(root_dir, sizeof(root_dir), "%s", dir);
        return 0;
}

void
pbl_dns_cleanup(void)
{
        if (root_fd < 0)
                return;
        root_fd = safe_close(root_fd);
        if (umount2(root_dir, MNT_DETACH) < 0)
                log_warning_errno(-errno, "unmounting %s: %m", root_dir);
        else if (rmdir(root_dir) < 0 && errno != ENOENT)
                log_warning_errno(-errno, "removing %s: %m", root_dir);
        root_dir[0] = '\0';
}

const char *
pbl_dns_dir(void)
{
        return root_fd >= 0 ? root_dir : NULL;
}

/*
 * Replaces the content of 'file' in place (creating it if missing).  When
 * the file shrinks, its old tail first becomes a comment line, so a reader
 * between the write and the truncation still sees a well-formed file.
 */
static int
write_in_place(int dirfd, const char *file, const char *buf, size_t len)
{
        _cleanup_close_ int fd =
                openat(dirfd, file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        _cleanup_free_ char *padded = NULL;
        size_t total = len;
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -errno;
        if ((size_t)st.st_size > len) {
                total = (size_t)st.st_size;
                padded = malloc(total);
                if (!padded)
                        return -ENOMEM;
                memcpy(padded, buf, len);
                memset(padded + len, ' ', total - len);
                padded[len] = '#';
                padded[total - 1] = '\n';
                buf = padded;
        }
        for (size_t off = 0; off < total;) {
                ssize_t n = pwrite(fd, buf + off, total - off, (off_t)off);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                off += (size_t)n;
        }
        if (total != len && ftruncate(fd, (off_t)len) < 0)
                return -errno;
        return 0;
}

static int
write_resolv(struct pbl_lab *lab, struct pbl_status *st)
{
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        if (lab->dns->dirfd < 0)
                return 0;
        text = pbl_dns_render_resolv(&lab->dns->model, &len);
        if (!text)
                return -ENOMEM;
        r = write_in_place(lab->dns->dirfd, RESOLV_FILE, text, len);
        return r < 0 ? pbl_error_set(&st->sys, r, "writing %s/%s/" RESOLV_FILE, root_dir, lab->name)
                     : 0;
}

static void
hosts_file(const struct pbl_device *d, char *buf, size_t n)
{
        snprintf(buf, n, "%s.hosts", d->node.name);
}

static int
write_hosts(struct pbl_lab *lab, const struct pbl_device *d, struct pbl_status *st)
{
        _cleanup_free_ char *text = NULL;
        char file[PBL_NAME_MAX + 8];
        size_t len;
        int r;

        if (lab->dns->dirfd < 0)
                return 0;
        text = pbl_dns_render_hosts(&lab->dns->model, d->node.name, &len);
        if (!text)
                return -ENOMEM;
        hosts_file(d, file, sizeof(file));
        r = write_in_place(lab->dns->dirfd, file, text, len);
        return r < 0 ? pbl_error_set(&st->sys, r, "writing %s/%s/%s", root_dir, lab->name, file)
                     : 0;
}

/* The lab's DNS state, created (with its directory and resolv.conf) on first use. */
static int
lab_dns(struct pbl_lab *lab, struct pbl_status *st)
{
        struct pbl_lab_dns *ld;
        int r = 0;

        if (lab->dns)
                return 0;
        ld = calloc(1, sizeof(*ld));
        if (!ld)
                return -ENOMEM;
        pbl_dns_init(&ld->model);
        ld->dirfd = -1;
        if (root_fd >= 0) {
                /* A leftover of an earlier lab of this name would be reused. */
                if (mkdirat(root_fd, lab->name, 0755) < 0 && errno != EEXIST)
                        r = -errno;
                if (r == 0) {
                        ld->dirfd = openat(root_fd, lab->name,
                                           O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                        if (ld->dirfd < 0)
                                r = -errno;
                }
                if (r < 0) {
                        free(ld);
                        return pbl_error_set(&st->sys, r, "creating %s/%s", root_dir, lab->name);
                }
        }
        lab->dns = ld;
        r = write_resolv(lab, st);
        if (r < 0)
                pbl_dns_lab_free(lab);
        return r;
}

const struct pbl_dns *
pbl_lab_dns(const struct pbl_lab *lab)
{
        static const struct pbl_dns empty;

        return lab->dns ? &lab->dns->model : &empty;
}

/* Rewrites the hosts file of 'd', or of every device (d NULL). */
static int
rewrite_hosts(struct pbl_lab *lab, const struct pbl_device *d, struct pbl_status *st)
{
        int r = 0;

        if (d)
                return write_hosts(lab, d, st);
        TAILQ_FOREACH (d, &lab->devices, link) {
                r = write_hosts(lab, d, st);
                if (r < 0)
                        break;
        }
        return r;
}

int
pbl_lab_dns_add(struct pbl_lab *lab, const char *name, const struct pbl_ip *ip,
                struct pbl_device *dev, struct pbl_status *st)
{
        const char *scope = dev ? dev->node.name : NULL;
        struct pbl_status ignored = { 0 };
        struct pbl_ip old;
        int r, added;

        r = pbl_dns_check(name, "name", NULL, NULL, NULL, st);
        if (r < 0)
                return r;
        if (ip->family != AF_INET && ip->family != AF_INET6)
                return pbl_fault(st, PBL_FAULT_INVALID, "ip", "no IP address given");
        r = lab_dns(lab, st);
        if (r < 0)
                return r;
        added = pbl_dns_set(&lab->dns->model, name, ip, scope, &old);
        if (added == -ENOSPC)
                return pbl_fault(st, PBL_FAULT_LIMIT, "name", "lab '%s' has %d DNS entries already",
                                 lab->name, PBL_DNS_ENTRIES_MAX);
        if (added < 0)
                return added;
        r = rewrite_hosts(lab, dev, st);
        if (r < 0) {
                /* Back to the old model, and the files that were already rewritten with it. */
                if (added == 0)
                        pbl_dns_unset(&lab->dns->model, name, scope);
                else
                        (void)pbl_dns_set(&lab->dns->model, name, &old, scope, NULL);
                if (rewrite_hosts(lab, dev, &ignored) < 0)
                        log_warning_errno(ignored.sys.code, "lab %s: restoring hosts files: %s: %m",
                                          lab->name, ignored.sys.op);
        }
        return r;
}

int
pbl_lab_dns_set_nameserver(struct pbl_lab *lab, const struct pbl_ip *ip, struct pbl_status *st)
{
        struct pbl_status ignored = { 0 };
        struct pbl_ip old;
        int r;

        if (ip->family != AF_INET && ip->family != AF_INET6)
                return pbl_fault(st, PBL_FAULT_INVALID, "ip", "no IP address given");
        r = lab_dns(lab, st);
        if (r < 0)
                return r;
        old = lab->dns->model.nameserver;
        lab->dns->model.nameserver = *ip;
        r = write_resolv(lab, st);
        if (r < 0) {
                lab->dns->model.nameserver = old;
                if (write_resolv(lab, &ignored) < 0)
                        log_warning_errno(ignored.sys.code, "lab %s: restoring %s: %m", lab->name,
                                          ignored.sys.op);
        }
        return r;
}

const struct pbl_ip *
pbl_lab_dns_resolve(const struct pbl_lab *lab, const char *name, const struct pbl_device *dev)
{
        return pbl_dns_resolve(pbl_lab_dns(lab), name, dev ? dev->node.name : NULL);
}

/* --- the bind mounts ------------------------------------------------------ */

struct bind_args {
        int mntfd;
        const char *hosts, *resolv;
        const char *step;
        int err;
};

/* Runs in a child sharing our memory (CLONE_VM | CLONE_VFORK): syscalls only. */
static int
bind_child(void *arg)
{
        static const unsigned long ro =
                MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        struct bind_args *a = arg;

        a->step = "setns into the mount namespace";
        if (setns(a->mntfd, CLONE_NEWNS) < 0)
                goto fail;
        a->step = "bind-mount over /etc/hosts";
        if (mount(a->hosts, "/etc/hosts", NULL, MS_BIND, NULL) < 0)
                goto fail;
        a->step = "remount /etc/hosts read-only";
        if (mount(NULL, "/etc/hosts", NULL, ro, NULL) < 0)
                goto fail;
        a->step = "bind-mount over /etc/resolv.conf";
        if (mount(a->resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL) < 0)
                goto fail;
        a->step = "remount /etc/resolv.conf read-only";
        if (mount(NULL, "/etc/resolv.conf", NULL, ro, NULL) < 0)
                goto fail;
        /* The device keeps its two files, not a view of every lab's. */
        a->step = "unmount the DNS directory";
        if (umount2(root_dir, MNT_DETACH) < 0)
                goto fail;
        return 0;
fail:
        a->err = -errno;
        return 1;
}

static int
bind_files(int mntfd, const char *hosts, const char *resolv, const char **ret_step)
{
        /* The child runs on this stack while we are suspended (CLONE_VFORK). */
        char stack[64 * 1024] __attribute__((aligned(16)));
        struct bind_args a = { .mntfd = mntfd, .hosts = hosts, .resolv = resolv, .step = "clone" };
        pid_t pid;

        pid = clone(bind_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
        if (pid < 0) {
                *ret_step = a.step;
                return -errno;
        }
        /* Already exited; the event loop's SIGCHLD handler may have reaped it. */
        (void)waitpid(pid, NULL, 0);
        *ret_step = a.step;
        return a.err;
}

int
pbl_dns_device_attach(struct pbl_device *d, struct pbl_status *st)
{
        struct pbl_lab *lab = d->node.lab;
        char file[PBL_NAME_MAX + 8], hosts[PATH_MAX], resolv[PATH_MAX];
        const char *step;
        int r, n1, n2;

        if (root_fd < 0 || d->node.mntfd < 0)
                return 0;
        r = lab_dns(lab, st);
        r = r ?: write_hosts(lab, d, st);
        if (r < 0)
                return r;
        hosts_file(d, file, sizeof(file));
        n1 = snprintf(hosts, sizeof(hosts), "%s/%s/%s", root_dir, lab->name, file);
        n2 = snprintf(resolv, sizeof(resolv), "%s/%s/" RESOLV_FILE, root_dir, lab->name);
        if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof(hosts) || (size_t)n2 >= sizeof(resolv)) {
                r = -ENAMETOOLONG;
                step = "DNS file path";
        } else {
                r = bind_files(d->node.mntfd, hosts, resolv, &step);
        }
        if (r < 0) {
                if (unlinkat(lab->dns->dirfd, file, 0) < 0)
                        log_warning_errno(-errno, "removing %s: %m", hosts);
                return pbl_error_set(&st->sys, r, "%s in device %s", step, d->node.name);
        }
        return 0;
}

void
pbl_dns_device_detach(struct pbl_device *d)
{
        struct pbl_lab *lab = d->node.lab;
        char file[PBL_NAME_MAX + 8];

        if (!lab || !lab->dns)
                return;
        pbl_dns_forget_device(&lab->dns->model, d->node.name);
        hosts_file(d, file, sizeof(file));
        if (lab->dns->dirfd >= 0 && unlinkat(lab->dns->dirfd, file, 0) < 0 && errno != ENOENT)
                log_warning_errno(-errno, "removing %s/%s/%s: %m", root_dir, lab->name, file);
}

void
pbl_dns_lab_free(struct pbl_lab *lab)
{
        struct pbl_lab_dns *ld = lab->dns;

        if (!ld)
                return;
        if (ld->dirfd >= 0) {
                if (unlinkat(ld->dirfd, RESOLV_FILE, 0) < 0 && errno != ENOENT)
                        log_warning_errno(-errno, "removing %s/%s/" RESOLV_FILE ": %m", root_dir,
                                          lab->name);
                /* After every device: the directory is empty now. */
                if (root_fd >= 0 && unlinkat(root_fd, lab->name, AT_REMOVEDIR) < 0)
                        log_warning_errno(-errno, "removing %s/%s: %m", root_dir, lab->name);
                ld->dirfd = safe_close(ld->dirfd);
        }
        pbl_dns_done(&ld->model);
        free(ld);
        lab->dns = NULL;
}
