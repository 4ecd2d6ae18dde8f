/* proc.h - child processes the host starts and does not wait for: the
 * process pool of a sweep (many `mlab run` children at once).
 *
 * exec.h runs one script and waits for it, capturing its output; this
 * module starts a program in the background (its output appended to a
 * file), tells when any of several children has ended without spinning
 * (a pidfd per child, polled together), and signals a child or its
 * process group.  Plain C, no Lua: see proc_lua.c for "mlab.proc".
 *
 * A child starts with every signal at its default action and an empty
 * signal mask (the host ignores SIGPIPE and catches SIGINT/SIGTERM; a
 * child must not inherit that), stdin on /dev/null, no file descriptor of
 * the host's above 2, and, when asked, in a process group of its own, so
 * a terminal's Ctrl-C reaches the host only and the host decides what
 * each child gets.
 */
#ifndef MLAB_PROC_H
#define MLAB_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct proc_opts {
  const char *const *argv; /* argv[0]: a path to the program (no PATH
                              search) */
  const char *const *envp; /* NULL: the host's environment */
  const char *cwd;         /* NULL: the host's working directory */
  const char *out_path;    /* stdout and stderr appended to this file
                              (created 0644); NULL: the host's */
  int new_group;           /* 1: the child leads a new process group */
};

struct proc {
  pid_t pid;
  int pidfd;           /* readable once the child has ended; -1 when the kernel
                          has no pidfd_open (then waits poll in slices) */
  int exited;          /* 1 once reaped by proc_poll */
  int status;          /* exit code, or -1 when killed by a signal */
  int signal;          /* the signal that ended it, or 0 */
  double cpu_self;     /* CPU seconds (user + system) of the child itself */
  double cpu_children; /* ... of the children it waited for (its scripts) */
};

/* Starts o->argv.  0 and *out filled on success; MLAB_ENOTFOUND when the
 * program cannot be executed (or out_path/cwd do not work: the message
 * says which), MLAB_EINVAL on bad options, MLAB_ERROR otherwise.  The
 * caller reaps it with proc_poll and releases it with proc_release. */
int proc_spawn(struct proc *out, const struct proc_opts *o);

/* 1 when the child has ended (reaped now or before: status, signal and
 * the CPU times filled; the times are read from /proc just before the
 * child is reaped, 0 where /proc does not say), 0 while it runs, negative
 * on error. */
int proc_poll(struct proc *p);

/* Waits until one of ps[0..n-1] has ended, timeout_s passes (< 0: no
 * limit) or a signal arrives.  *out_index is the first child found ended
 * (reaped, as proc_poll), or n when none has (timeout or signal: the
 * caller looks at its signal flag).  0, or negative on error. */
int proc_wait_any(size_t *out_index, struct proc *const *ps, size_t n,
                  double timeout_s);

/* Sends sig to the child, or to its whole process group when group is
 * set.  A child already reaped gets nothing (0): its pid may be another
 * process's by now. */
int proc_signal(struct proc *p, int sig, int group);

/* Closes the pidfd; does not wait for or signal the child. */
void proc_release(struct proc *p);

#endif
