/* SPDX-License-Identifier: MIT */
/*
 * Runs a fuzz target without libFuzzer: calls LLVMFuzzerTestOneInput() once
 * per file named on the command line or found (non-recursively, in name
 * order) in a directory named there.  Dotfiles and README* are skipped, so
 * that a directory can carry .gitkeep and its README.  Each input is read
 * into a buffer of exactly its size, so ASan catches overreads.
 *
 * Usage: fuzz_replay FILE|DIR...
 * Exits 0 after replaying at least one input, 1 on I/O errors or when no
 * input was found.  A crash or sanitizer report is the target's own.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "fuzz.h"
#include "pb-macro.h"

static int
replay_file(const char *path, unsigned *n_inputs)
{
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t size, done = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
                return -errno;
        }
        size = (size_t)st.st_size;
        buf = malloc(size ? size : 1);
        if (!buf)
                return -ENOMEM;
        while (done < size) {
                ssize_t r = read(fd, buf + done, size - done);

                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        fprintf(stderr, "fuzz_replay: %s: short read\n", path);
                        return -EIO;
                }
                done += (size_t)r;
        }
        fprintf(stderr, "fuzz_replay: %s (%zu bytes)\n", path, size);
        (void)LLVMFuzzerTestOneInput(buf, size);
        (*n_inputs)++;
        return 0;
}

static int
keep_entry(const struct dirent *d)
{
        return d->d_name[0] != '.' && strncmp(d->d_name, "README", 6) != 0;
}

static int
replay_dir(const char *dir, unsigned *n_inputs)
{
        struct dirent **names = NULL;
        int n, ret = 0;

        n = scandir(dir, &names, keep_entry, alphasort);
        if (n < 0) {
                fprintf(stderr, "fuzz_replay: %s: %s\n", dir, strerror(errno));
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
                        path = NULL;
                        ret = -ENOMEM;
                } else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                        if (replay_file(path, n_inputs) < 0)
                                ret = -EIO;
                }
                free(names[i]);
        }
        free(names);
        return ret;
}

int
main(int argc, char **argv)
{
        unsigned n_inputs = 0;
        int failed = 0;

        if (argc < 2) {
                fprintf(stderr, "Usage: %s FILE|DIR...\n", argv[0]);
                return EXIT_FAILURE;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "fuzz_replay: %s: %s\n", argv[i], strerror(errno));
                        failed = 1;
                } else if (S_ISDIR(st.st_mode)) {
                        failed |= replay_dir(argv[i], &n_inputs) < 0;
                } else {
                        failed |= replay_file(argv[i], &n_inputs) < 0;
                }
        }
        fprintf(stderr, "fuzz_replay: %u inputs replayed\n", n_inputs);
        if (n_inputs == 0) {
                fprintf(stderr, "fuzz_replay: no input found\n");
                return EXIT_FAILURE;
        }
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
