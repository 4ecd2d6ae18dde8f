/* exec.h - run a program under limits and capture what it prints.
 *
 * The child runs in its own session and process group, with rlimits for
 * memory, file size and process count.  stdout and stderr are merged into
 * one capture that keeps the first and last out_cap/2 bytes and puts a
 * marker line between them:
 *   "\n[... N bytes of output truncated ...]\n"
 * A timeout kills the whole process group (SIGKILL); leftovers in the group
 * are killed when the main child exits, so nothing outlives exec_run().
 *
 * Confinement (opts->sandbox), with bubblewrap:
 *   - a user namespace with no capabilities, further user namespaces
 *     refused; when mlab runs as root the script runs as the host uid
 *     EXEC_SANDBOX_UID (the workspace is handed to that uid first), so it
 *     is never root on the host, in or out of a namespace;
 *   - its own pid, network (loopback only), ipc and uts namespaces: it sees
 *     no host process and reaches no network; everything dies with it;
 *   - a file system built from pieces: /usr, /etc (less what an
 *     unprivileged user could not read) and the /bin, /lib... links read
 *     only, a fresh /dev and /proc, a size-capped tmpfs at /tmp (also HOME
 *     and TMPDIR) and /dev/shm, and the workspace read-write at
 *     EXEC_WORKSPACE, the working directory.  Nothing else of the host
 *     (homes, /tmp, /var, /run, the task cache, the runs) exists there;
 *   - process count: a pids cgroup per call when mlab is root and cgroups
 *     are writable, else RLIMIT_NPROC (which binds once uid != 0);
 *   - disk: RLIMIT_FSIZE, and the workspace's size is measured every
 *     EXEC_DISK_POLL_S while it runs; past disk_bytes the group is killed
 *     (a script writing fast overshoots by what it writes in that time).
 * When confinement cannot be had here (no bwrap, no user namespaces),
 * exec_run() with sandbox set fails with MLAB_EDENIED and says why, unless
 * opts->unconfined is set: then it runs the program plainly (rlimits only).
 */
#ifndef MLAB_EXEC_H
#define MLAB_EXEC_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define EXEC_WORKSPACE "/workspace" /* the workspace, inside the sandbox */
#define EXEC_HOME "/tmp"            /* HOME and TMPDIR inside the sandbox */
#define EXEC_SANDBOX_UID 65534      /* host uid of scripts when mlab is root */
#define EXEC_DISK_POLL_S                                                       \
  0.25 /* seconds between workspace measures (more                             \
          when a measure takes over 1/20 of it) */

struct exec_opts {
  const char *const *argv; /* argv[0]: absolute path, or a name searched in
                              PATH of the child's environment */
  const char *const *envp; /* NULL: exec_default_env() */
  const char *cwd;         /* required; also the only writable path when
                              sandboxed (seen there as EXEC_WORKSPACE) */
  double timeout_s;        /* wall clock; <= 0: no limit */
  size_t mem_bytes;        /* RLIMIT_AS; 0: no limit */
  int max_procs;           /* processes (cgroup or RLIMIT_NPROC); 0: none */
  size_t fsize_bytes;      /* RLIMIT_FSIZE, the largest file it may write;
                              0: no limit */
  size_t disk_bytes;       /* sandboxed: the most disk cwd may use while it
                              runs (blocks allocated); 0: no limit */
  size_t out_cap;          /* bytes of output kept; 0: EXEC_OUT_CAP */
  int sandbox;             /* 1: confine it (see above) */
  int unconfined;          /* with sandbox: run it plainly when confinement
                              cannot be had, instead of failing */
  const char *const *hide; /* NULL-terminated absolute paths to mask in the
                              sandbox where they would be visible (inside
                              cwd or a system folder) */
  const volatile sig_atomic_t *cancel; /* when it becomes non-zero (a
                              signal handler's flag), the group is killed as
                              on a timeout and `cancelled` is set; may be
                              NULL */
};

#define EXEC_OUT_CAP (32 * 1024)

struct exec_result {
  int status;        /* exit code; -1 when killed by a signal (in the
                        sandbox a signal shows as 128 + signal: bwrap
                        reports its child's death that way) */
  int signal;        /* terminating signal, 0 when it exited */
  int timed_out;     /* 1 when the timeout killed it */
  int cancelled;     /* 1 when opts->cancel killed it */
  int disk_exceeded; /* 1 when cwd passed disk_bytes and it was killed */
  int confined;      /* 1 when it ran confined */
  char *output;      /* owned, NUL-terminated, head + marker + tail */
  size_t len;        /* bytes in output */
  size_t total;      /* bytes the child wrote in all */
  int truncated;     /* total > kept */
  double duration_s;
};

/* Runs opts->argv and waits.  Returns 0 when the program was started and
 * reaped (whatever its status), MLAB_ENOTFOUND when argv[0] cannot be
 * executed, MLAB_EINVAL on bad options, MLAB_EDENIED when it must be
 * confined and cannot be, MLAB_ERROR on a system failure.  *out is filled
 * on 0 and must be released with exec_result_free(). */
int exec_run(struct exec_result *out, const struct exec_opts *opts);

void exec_result_free(struct exec_result *r);

/* The environment agent scripts get: PATH=/usr/bin:/bin (Debian's python3
 * first), HOME=home (EXEC_HOME when NULL) and TMPDIR=/tmp, LANG=C.UTF-8,
 * PYTHONDONTWRITEBYTECODE=1, PYTHONUNBUFFERED=1, MPLBACKEND=Agg, and
 * OPENBLAS_* / OMP_NUM_THREADS copied from ours.  No credentials.  Static
 * storage.  In the sandbox HOME, TMPDIR and PWD are fixed whatever envp
 * says. */
const char *const *exec_default_env(const char *home);

/* What confinement gives here; probed once (the first call runs a
 * confined /bin/true).  MLAB_NO_SANDBOX=1 in the environment makes it
 * report none (it can take confinement away, never weaken it).  Static
 * storage. */
struct exec_confinement {
  int ok;           /* sandboxed runs are confined */
  int user_ns;      /* in a user namespace without capabilities */
  int uid;          /* the host uid scripts run as */
  int drops_root;   /* mlab is root; scripts run as `uid` */
  const char *pids; /* "cgroup" or "rlimit": how max_procs holds */
  char reason[256]; /* when !ok: why */
};
const struct exec_confinement *exec_confinement(void);

/* 1 when /usr/bin/bwrap exists and confinement works here. */
int exec_has_bwrap(void);

/* Disk use of the tree at dir, without following links: *bytes = blocks
 * allocated (st_blocks * 512), *apparent = sum of sizes, *files = entries.
 * Stops after max_files entries (0: EXEC_DU_MAX_FILES) with MLAB_EBUDGET
 * and the counts so far. */
#define EXEC_DU_MAX_FILES 1000000
int exec_disk_usage(const char *dir, uint64_t *bytes, uint64_t *apparent,
                    uint64_t *files, uint64_t max_files);

/* Copies the tree at src into dst (created; must not exist), keeping only
 * folders and regular files with one name of at most max_file bytes:
 * symbolic links (never followed), FIFOs, sockets, devices, hard-linked
 * and bigger files are left out and counted in *skipped.  Files are opened
 * with O_NOFOLLOW | O_NONBLOCK and checked again once open.  This is the
 * copy an evaluator may be given: nothing in it points elsewhere. */
int exec_copy_plain(const char *src, const char *dst, size_t max_file,
                    uint64_t *skipped);

#endif
