/* proc.c - background children for the process pool; see proc.h.
 *
 * posix_spawn (glibc: clone(CLONE_VFORK) + exec) rather than fork: nothing
 * runs in the child between the two but what the attributes and file
 * actions say, and a failed exec comes back as the return value. */
#include "proc.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How often children without a pidfd are looked at. */
#define SLICE_MS 50

static int
open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
  /* pidfds are close-on-exec: later children do not inherit them. */
  return (int)syscall(SYS_pidfd_open, pid, 0);
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

int
proc_spawn(struct proc *out, const struct proc_opts *o)
{
  int error = 0, rc;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t fa;
  int attr_ok = 0, fa_ok = 0;
  sigset_t all, none;

  if (out)
    memset(out, 0, sizeof *out);
  if (!out || !o || !o->argv || !o->argv[0] || !o->argv[0][0])
    return mlab_fail(MLAB_EINVAL, "proc: no program given");
  out->pid = -1;
  out->pidfd = -1;

  if (posix_spawnattr_init(&attr) != 0 ||
      posix_spawn_file_actions_init(&fa) != 0) {
    error = mlab_fail(MLAB_ENOMEM, "proc: cannot set up the child");
    goto done;
  }
  attr_ok = fa_ok = 1;
  sigfillset(&all);
  sigemptyset(&none);
  short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  if (o->new_group)
    flags |= POSIX_SPAWN_SETPGROUP;
  if (posix_spawnattr_setflags(&attr, flags) != 0 ||
      posix_spawnattr_setsigdefault(&attr, &all) != 0 ||
      posix_spawnattr_setsigmask(&attr, &none) != 0 ||
      posix_spawnattr_setpgroup(&attr, 0) != 0) {
    error = mlab_fail(MLAB_ERROR, "proc: cannot set the child's signals");
    goto done;
  }
  /* Order matters: the output file opens relative to the host's cwd, then
   * the child moves to its own. */
  rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0 && o->out_path) {
    rc = posix_spawn_file_actions_addopen(&fa, 1, o->out_path,
                                          O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (rc == 0)
      rc = posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  if (rc == 0 && o->cwd)
    rc = posix_spawn_file_actions_addchdir_np(&fa, o->cwd);
  if (rc == 0)
    rc = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  if (rc != 0) {
    error = mlab_fail(MLAB_ERROR, "proc: cannot set the child's files: %s",
                      strerror(rc));
    goto done;
  }

  pid_t pid;
  char *const *envp = o->envp ? (char *const *)o->envp : environ;
  rc = posix_spawn(&pid, o->argv[0], &fa, &attr, (char *const *)o->argv, envp);
  if (rc != 0) {
    error =
        mlab_fail(rc == ENOMEM || rc == EAGAIN ? MLAB_ERROR : MLAB_ENOTFOUND,
                  "proc: cannot start %s (cwd %s, output %s): %s", o->argv[0],
                  o->cwd ? o->cwd : ".",
                  o->out_path ? o->out_path : "inherited", strerror(rc));
    goto done;
  }
  out->pid = pid;
  out->pidfd = open_pidfd(pid);

done:
  if (fa_ok)
    posix_spawn_file_actions_destroy(&fa);
  if (attr_ok)
    posix_spawnattr_destroy(&attr);
  return error;
}

/* The CPU times of an ended, not yet reaped child (a zombie keeps them):
 * fields 14-17 of /proc/PID/stat, after the command name in parentheses. */
static void
read_times(struct proc *p)
{
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)p->pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0)
    return;
  buf[n] = '\0';
  const char *s = strrchr(buf, ')');
  unsigned long long ut, st;
  long long cut, cst;
  /* After ")": state ppid pgrp session tty tpgid flags minflt cminflt
   * majflt cmajflt utime stime cutime cstime */
  if (!s || sscanf(s + 1,
                   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                   "%llu %llu %lld %lld",
                   &ut, &st, &cut, &cst) != 4)
    return;
  double hz = (double)sysconf(_SC_CLK_TCK);
  if (hz <= 0)
    return;
  p->cpu_self = (double)(ut + st) / hz;
  p->cpu_children = (double)(cut + cst) / hz;
}

static void
set_status(struct proc *p, int ws)
{
  p->exited = 1;
  if (WIFSIGNALED(ws)) {
    p->status = -1;
    p->signal = WTERMSIG(ws);
  } else {
    p->status = WEXITSTATUS(ws);
    p->signal = 0;
  }
  if (p->pidfd >= 0)
    close(p->pidfd);
  p->pidfd = -1;
}

int
proc_poll(struct proc *p)
{
  if (!p || p->pid <= 0)
    return mlab_fail(MLAB_EINVAL, "proc: no such child");
  if (p->exited)
    return 1;
  int ws = 0;
  pid_t r;
  siginfo_t si;
  si.si_pid = 0;
  /* Ended but not reaped: read its times while /proc still has them. */
  if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      si.si_pid == p->pid)
    read_times(p);
  do
    r = waitpid(p->pid, &ws, WNOHANG);
  while (r < 0 && errno == EINTR);
  if (r == 0)
    return 0;
  if (r < 0) {
    if (errno != ECHILD)
      return mlab_fail(MLAB_ERROR, "proc: cannot wait for %d: %s", (int)p->pid,
                       strerror(errno));
    /* Someone else reaped it: ended, status unknown. */
    p->exited = 1;
    p->status = -1;
    p->signal = 0;
    if (p->pidfd >= 0)
      close(p->pidfd);
    p->pidfd = -1;
    return 1;
  }
  set_status(p, ws);
  return 1;
}

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The first child of ps that has ended (reaped), or n. */
static int
first_ended(size_t *out, struct proc *const *ps, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    int r = proc_poll(ps[i]);
    if (r < 0)
      return r;
    if (r == 1) {
      *out = i;
      return 0;
    }
  }
  *out = n;
  return 0;
}

int
proc_wait_any(size_t *out_index, struct proc *const *ps, size_t n,
              double timeout_s)
{
  int error = 0;
  struct pollfd *fds = NULL;
  *out_index = n;
  error = first_ended(out_index, ps, n);
  if (error || *out_index < n || n == 0)
    return error;
  fds = calloc(n, sizeof *fds);
  if (!fds)
    return mlab_fail(MLAB_ENOMEM, "proc: no memory to wait for %zu", n);
  int slices = 0;
  size_t nfds = 0;
  for (size_t i = 0; i < n; i++) {
    if (ps[i]->pidfd < 0) {
      slices = 1;
      continue;
    }
    fds[nfds].fd = ps[i]->pidfd;
    fds[nfds].events = POLLIN;
    nfds++;
  }
  double end = timeout_s >= 0 ? now_s() + timeout_s : -1;
  for (;;) {
    int ms = -1;
    if (end >= 0) {
      double left = (end - now_s()) * 1000.0;
      ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left + 1;
    }
    if (slices && (ms < 0 || ms > SLICE_MS))
      ms = SLICE_MS;
    int r = poll(fds, nfds, ms);
    if (r < 0 && errno != EINTR) {
      error = mlab_fail(MLAB_ERROR, "proc: poll: %s", strerror(errno));
      goto done;
    }
    error = first_ended(out_index, ps, n);
    /* A signal ends the wait: the caller reads its flag. */
    if (error || *out_index < n || r < 0)
      goto done;
    if (end >= 0 && now_s() >= end)
      goto done;
  }
done:
  free(fds);
  return error;
}

int
proc_signal(struct proc *p, int sig, int group)
{
  if (!p || p->pid <= 0)
    return mlab_fail(MLAB_EINVAL, "proc: no such child");
  if (p->exited)
    return 0;
  int r = group ? killpg(p->pid, sig) : kill(p->pid, sig);
  if (r < 0 && errno != ESRCH)
    return mlab_fail(MLAB_ERROR, "proc: cannot signal %d: %s", (int)p->pid,
                     strerror(errno));
  return 0;
}

void
proc_release(struct proc *p)
{
  if (p && p->pidfd >= 0) {
    close(p->pidfd);
    p->pidfd = -1;
  }
}
