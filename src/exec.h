/* exec.h - run a program under limits and capture what it prints.
 *
 * The child runs in its own session and process group (and, when bubblewrap
 * is available and opts->sandbox is set, in its own pid and network
 * namespaces with the listed paths hidden), with rlimits for memory and
 * process count.  stdout and stderr are merged into one capture that keeps
 * the first and last out_cap/2 bytes and puts a marker line between them:
 *   "\n[... N bytes of output truncated ...]\n"
 * A timeout kills the whole process group (SIGKILL); leftovers in the group
 * are killed when the main child exits, so nothing outlives exec_run().
 */
#ifndef MLAB_EXEC_H
#define MLAB_EXEC_H

#include <signal.h>
#include <stddef.h>

struct exec_opts {
  const char *const *argv; /* argv[0]: absolute path, or a name searched in
                              PATH of the child's environment */
  const char *const *envp; /* NULL: exec_default_env() */
  const char *cwd;         /* required; also the only writable path when
                              sandboxed */
  double timeout_s;        /* wall clock; <= 0: no limit */
  size_t mem_bytes;        /* RLIMIT_AS; 0: no limit */
  int max_procs;           /* RLIMIT_NPROC; 0: no limit */
  size_t out_cap;          /* bytes of output kept; 0: EXEC_OUT_CAP */
  int sandbox;             /* 1: use bwrap when present (exec_has_bwrap()) */
  const char *const *hide; /* NULL-terminated paths to mask (tmpfs) in the
                              sandbox, e.g. the hidden-data cache */
  const volatile sig_atomic_t *cancel; /* when it becomes non-zero (a
                              signal handler's flag), the group is killed as
                              on a timeout and `cancelled` is set; may be
                              NULL */
};

#define EXEC_OUT_CAP (32 * 1024)

struct exec_result {
  int status;    /* exit code; -1 when killed by a signal (in the
                    sandbox a signal shows as 128 + signal: bwrap
                    reports its child's death that way) */
  int signal;    /* terminating signal, 0 when it exited */
  int timed_out; /* 1 when the timeout killed it */
  int cancelled; /* 1 when opts->cancel killed it */
  char *output;  /* owned, NUL-terminated, head + marker + tail */
  size_t len;    /* bytes in output */
  size_t total;  /* bytes the child wrote in all */
  int truncated; /* total > kept */
  double duration_s;
};

/* Runs opts->argv and waits.  Returns 0 when the program was started and
 * reaped (whatever its status), MLAB_ENOTFOUND when argv[0] cannot be
 * executed, MLAB_EINVAL on bad options, MLAB_ERROR on a system failure.
 * *out is filled on 0 and must be released with exec_result_free(). */
int exec_run(struct exec_result *out, const struct exec_opts *opts);

void exec_result_free(struct exec_result *r);

/* The environment agent scripts get: PATH=/usr/bin:/bin (Debian's python3
 * first), HOME and TMPDIR, LANG=C.UTF-8, PYTHONDONTWRITEBYTECODE=1,
 * PYTHONUNBUFFERED=1, MPLBACKEND=Agg, and OPENBLAS_* / OMP_NUM_THREADS copied
 * from ours.  No credentials.  Static storage; cwd is used for HOME. */
const char *const *exec_default_env(const char *home);

/* 1 when /usr/bin/bwrap exists and works here (checked once). */
int exec_has_bwrap(void);

#endif
