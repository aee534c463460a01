/* SPDX-License-Identifier: MIT */
/*
 * Processes in nodes: the daemon's process table.  proc.c starts processes
 * (lib/spawn.c does the forking), captures their output into bounded
 * buffers and log files, feeds their stdin, notices their exit through
 * libev's child watchers and tells whoever waits; method-proc.c maps all of
 * it to the API (node.exec, node.spawn, proc.*).
 *
 * A process "finishes" once it has exited and its output has been read to
 * the end (EOF on both pipes, or PBD_PROC_EOF_GRACE_MS after the exit when
 * a descendant still holds them): only then do waiters, node.exec replies
 * and proc_exited events fire, so that everything it wrote is readable.
 */
#ifndef PBD_PROC_H
#define PBD_PROC_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/queue.h>
#include <sys/types.h>

#include "labs.h"
#include "pb-rpc.h"

#define PBD_PROC_OUTPUT_MAX   (1024u * 1024)      /* Bytes kept per stream. */
#define PBD_PROC_EXITED_MAX   1024                /* Exited spawned processes kept per lab. */
#define PBD_PROC_EXITED_BYTES (64u * 1024 * 1024) /* Their kept output, per lab. */
#define PBD_PROC_RUNNING_MAX  1024                /* Running processes per lab. */
#define PBD_PROC_STDIN_MAX    (4u * 1024 * 1024)  /* Bytes queued for one stdin. */
#define PBD_PROC_EOF_GRACE_MS 250

enum pbd_stream_id {
        PBD_STDOUT,
        PBD_STDERR,
        _PBD_STREAM_MAX,
};

/*
 * Captured output.  Spawned processes keep the last PBD_PROC_OUTPUT_MAX
 * bytes (a ring), node.exec the first ones; 'total' counts every byte.
 */
struct pbd_stream {
        struct pbd_proc *proc;
        ev_io io;
        int fd; /* Read end; -1 once closed. */
        bool ring;
        char *buf;
        size_t cap, head, len; /* The held bytes are the last 'len' of 'total'. */
        uint64_t total;
        int logfd; /* -1 without a log file. */
        char *log_path;
};

struct pbd_stdin {
        ev_io io;
        int fd; /* Write end; -1 once closed. */
        char *buf;
        size_t len, off;
        bool close_when_done;
};

/* Someone interested in a process finishing (node.exec, proc.wait). */
struct pbd_proc_watch {
        LIST_ENTRY(pbd_proc_watch) link;
        void (*finished)(struct pbd_proc_watch *w, struct pbd_proc *p);
        bool armed;
};

struct pbd_proc {
        LIST_ENTRY(pbd_proc) link; /* In lab->procs, newest first. */
        struct pbd_lab *lab;
        uint64_t id; /* Daemon-wide, from 1; 0 for node.exec (transient, not listed). */
        char node[PBL_NAME_MAX];
        char **argv;
        char *name;     /* Label given to node.spawn, or NULL. */
        pid_t pid;      /* As the daemon sees it (waitpid, kill). */
        pid_t host_pid; /* As the host sees it (reported in the API). */
        int pidfd;
        char started[32];
        int64_t start_usec, end_usec;
        ev_child child;
        ev_timer grace;
        bool exited;   /* Reaped, or written off with its lab. */
        bool finished; /* Exited and its output read to the end. */
        bool node_gone;
        int exit_code; /* -1 unless it exited normally. */
        int signal;    /* 0 unless a signal ended it. */
        struct pbd_stream out[_PBD_STREAM_MAX];
        struct pbd_stdin in;
        LIST_HEAD(, pbd_proc_watch) watches;
};

struct pbd_proc_spec {
        struct pbd_lab *lab;
        struct pbl_node *node;
        char *const *argv; /* Copied. */
        char *const *envp; /* NULL: the default environment. */
        const char *cwd;   /* NULL: "/". */
        const char *name;  /* node.spawn label, or NULL. */
        bool transient;    /* node.exec: first bytes kept, no id, logs or events. */
        bool stdin_pipe;   /* Else stdin is /dev/null. */
};

/*
 * Starts a process.  Listed ones get an id and log files when the lab has an
 * output directory.  Returns 0 and the process (owned by its lab's table),
 * or a negative errno with 'reterr' filled (patchbay.Limit, or -32000 naming
 * the failed step, e.g. "exec foo").
 */
int pbd_proc_start(const struct pbd_proc_spec *spec, struct pbd_proc **ret,
                   struct pb_rpc_error *reterr);

/*
 * Emits proc_started.  Like every event and reply, sending it may close a
 * connection whose hooks destroy labs: call it last, touching nothing after.
 */
void pbd_proc_announce(struct pbd_proc *p);

/* A listed process by id, in any lab that is not being destroyed. */
struct pbd_proc *pbd_proc_find(struct pbd_daemon *d, uint64_t id);

/*
 * Queues 'n' bytes for stdin and closes it afterwards if 'close'.  Returns
 * 0, or a negative errno with 'reterr' filled (InvalidState when stdin is
 * closed or the process exited, Limit when too much is queued).
 */
int pbd_proc_write(struct pbd_proc *p, const void *data, size_t n, bool close,
                   struct pb_rpc_error *reterr);

/* Sends 'sig' to the process.  InvalidState once it exited. */
int pbd_proc_signal(struct pbd_proc *p, int sig, struct pb_rpc_error *reterr);

/* SIGKILL to the process and its process group, unless it finished. */
void pbd_proc_kill_tree(struct pbd_proc *p);

/*
 * Copies up to 'max' bytes of 'stream' from '*offset' into 'dst'.  An
 * offset before the oldest byte still held moves to that byte; one past the
 * end moves to the end.  Returns the number of bytes copied; '*offset' is
 * where they start.
 */
size_t pbd_stream_read(const struct pbd_stream *s, uint64_t *offset, char *dst, size_t max);

/* True once no more output can arrive on 's'. */
bool pbd_stream_closed(const struct pbd_stream *s);

/*
 * Calls w->finished once 'p' finishes (never at once: check p->finished
 * first).  The callback may read 'p' but must not reply to calls or emit
 * events from inside (schedule that for the next loop iteration): 'p' and
 * its lab are still being worked on.
 */
void pbd_proc_watch_add(struct pbd_proc *p, struct pbd_proc_watch *w);
void pbd_proc_watch_remove(struct pbd_proc_watch *w);

/* {exit_code, signal} of a finished process (new reference or NULL). */
json_t *pbd_proc_status_json(const struct pbd_proc *p);
/* The Proc object of the API (new reference or NULL). */
json_t *pbd_proc_json(const struct pbd_proc *p);

/* --- between proc.c and proc-io.c ---------------------------------------------- */

/* Starts reading the output pipes (p->out[].fd) and readies the stdin watcher. */
void pbd_proc_io_start(struct pbd_proc *p);
/* Reads what a pipe holds, up to 'budget' bytes; closes the stream at EOF. */
void pbd_stream_pump(struct pbd_stream *s, size_t budget);
void pbd_stream_close(struct pbd_stream *s);
/* Closes the stream and its log, frees its buffer. */
void pbd_stream_done(struct pbd_stream *s);
/* Closes stdin and drops what was queued for it. */
void pbd_stdin_close(struct pbd_proc *p);
/* Finishes 'p' if it exited and its streams are closed (else arms the grace timer). */
void pbd_proc_check_finished(struct pbd_proc *p);

/* --- proc-text.c: output as JSON text ------------------------------------- */

/*
 * Converts 'n' bytes to well-formed UTF-8, each invalid byte becoming U+FFFD.
 * Unless 'final', a character cut short at the end is left out (more bytes
 * may complete it).  Returns a malloc'd NUL-terminated string (may hold NUL
 * bytes: use '*ret_len') and the bytes of input used in '*ret_consumed', or
 * NULL on ENOMEM.
 */
char *pbd_text_from_bytes(const char *src, size_t n, bool final, size_t *ret_consumed,
                          size_t *ret_len);

/* RFC 4648 base64 with padding; malloc'd, NUL-terminated, or NULL on ENOMEM. */
char *pbd_base64_encode(const char *src, size_t n, size_t *ret_len);

/* Decodes base64 (padding optional).  Returns 0, -EINVAL or -ENOMEM. */
int pbd_base64_decode(const char *src, size_t n, char **ret, size_t *ret_len);

#endif
