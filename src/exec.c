/* exec.c - run a program under limits and capture what it prints; see
 * exec.h.
 *
 * Everything that allocates (PATH search, the bwrap argv, the capture
 * buffer) happens before fork(), so the child only makes async-signal-safe
 * calls: the host may have threads (curl), and a malloc lock held by one of
 * them at fork time would deadlock the child.
 */
#include "exec.h"
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BWRAP "/usr/bin/bwrap"
#define DEFAULT_PATH "/usr/bin:/bin"
/* How long poll() sleeps before looking at the child again: a child that
 * exits while a background process still holds the pipe gives no EOF. */
#define SLICE_MS 100
/* After the group is killed, how long we keep reading: a setsid() escapee
 * may hold the pipe open for ever. */
#define GRACE_MS 200

extern char **environ;

/* What a child that failed before or at execve() tells the parent. */
enum { STAGE_RLIMIT = 1, STAGE_CHDIR, STAGE_EXEC };
struct child_status {
  int stage;
  int err;
};

/* First out_cap/2 bytes in head, the last out_cap - out_cap/2 in a ring. */
struct capture {
  char *head;
  size_t head_cap, head_len;
  char *ring;
  size_t ring_cap, ring_len, ring_pos;
  size_t total;
};

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* pipe2(O_CLOEXEC) with both ends at fd 3 or above, so the child's dup2()
 * onto 0-2 never lands on one of them (a host that closed its stdio). */
static int
pipe_high(int fds[2])
{
  if (pipe2(fds, O_CLOEXEC) < 0)
    return -1;
  for (int i = 0; i < 2; i++) {
    if (fds[i] > 2)
      continue;
    int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
    close(fds[i]);
    fds[i] = fd;
  }
  if (fds[0] < 0 || fds[1] < 0) {
    close_fd(&fds[0]);
    close_fd(&fds[1]);
    return -1;
  }
  return 0;
}

static void
capture_add(struct capture *c, const char *p, size_t n)
{
  c->total += n;
  size_t h = c->head_cap - c->head_len;
  if (h > n)
    h = n;
  memcpy(c->head + c->head_len, p, h);
  c->head_len += h;
  p += h;
  n -= h;
  if (n == 0 || c->ring_cap == 0)
    return;
  /* Only the last ring_cap bytes of this chunk can survive. */
  if (n > c->ring_cap) {
    p += n - c->ring_cap;
    n = c->ring_cap;
  }
  while (n > 0) {
    size_t k = c->ring_cap - c->ring_pos;
    if (k > n)
      k = n;
    memcpy(c->ring + c->ring_pos, p, k);
    c->ring_pos = (c->ring_pos + k) % c->ring_cap;
    p += k;
    n -= k;
    c->ring_len = c->ring_len + k > c->ring_cap ? c->ring_cap : c->ring_len + k;
  }
}

/* Moves the capture into out->output as head [+ marker] + tail. */
static int
capture_finish(struct capture *c, struct exec_result *out)
{
  size_t kept = c->head_len + c->ring_len;
  char marker[80] = "";
  if (c->total > kept)
    snprintf(marker, sizeof marker,
             "\n[... %zu bytes of output truncated ...]\n", c->total - kept);
  size_t mlen = strlen(marker);
  char *s = malloc(kept + mlen + 1);
  if (!s)
    return mlab_fail(MLAB_ENOMEM, "exec: no memory for the output");
  char *w = s;
  memcpy(w, c->head, c->head_len);
  w += c->head_len;
  memcpy(w, marker, mlen);
  w += mlen;
  /* When the ring is full, its oldest byte sits at ring_pos. */
  size_t start = c->ring_len == c->ring_cap ? c->ring_pos : 0;
  size_t first =
      c->ring_len < c->ring_cap - start ? c->ring_len : c->ring_cap - start;
  if (first)
    memcpy(w, c->ring + start, first);
  w += first;
  if (c->ring_len > first)
    memcpy(w, c->ring, c->ring_len - first);
  w += c->ring_len - first;
  *w = '\0';
  out->output = s;
  out->len = (size_t)(w - s);
  out->total = c->total;
  out->truncated = c->total > kept;
  return 0;
}

/* Reads once from *fd into the capture; closes it at EOF or on error. */
static void
read_some(int *fd, struct capture *c)
{
  char buf[65536];
  ssize_t n = read(*fd, buf, sizeof buf);
  if (n > 0)
    capture_add(c, buf, (size_t)n);
  else if (n == 0 || (errno != EINTR && errno != EAGAIN))
    close_fd(fd);
}

/* poll() on fd (or a plain sleep when fd < 0) for up to ms; 1 readable. */
static int
wait_readable(int fd, int ms)
{
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r = poll(&p, fd >= 0 ? 1 : 0, ms);
  return r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

static int
ms_until(double t)
{
  double left = (t - now_s()) * 1000.0;
  if (left <= 0)
    return 0;
  return left > INT_MAX ? INT_MAX : (int)left + 1;
}

/* 1 when pid has exited; leaves it a zombie so its pid keeps naming the
 * process group until we have killed what is left in it. */
static int
has_exited(pid_t pid)
{
  siginfo_t si;
  for (;;) {
    si.si_pid = 0;
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0)
      return si.si_pid == pid;
    if (errno != EINTR)
      return 1; /* ECHILD: nothing left to wait for */
  }
}

static int
reap(pid_t pid, int *wstatus)
{
  while (waitpid(pid, wstatus, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return 0;
}

/* Reads the child's report; 1 and *st filled when it failed before exec,
 * 0 when the pipe closed on a successful execve(). */
static int
read_status(int fd, struct child_status *st)
{
  ssize_t n;
  do
    n = read(fd, st, sizeof *st);
  while (n < 0 && errno == EINTR);
  return n == (ssize_t)sizeof *st;
}

static int
is_executable(const char *path)
{
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

static const char *
env_get(const char *const *envp, const char *name)
{
  size_t n = strlen(name);
  for (; envp && *envp; envp++)
    if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
      return *envp + n + 1;
  return NULL;
}

/* dir + "/" + name, with a relative dir taken from cwd; malloc'd. */
static char *
join3(const char *cwd, const char *dir, const char *name)
{
  size_t n = strlen(cwd) + strlen(dir) + strlen(name) + 3;
  char *s = malloc(n);
  if (!s)
    return NULL;
  if (dir[0] == '/')
    snprintf(s, n, "%s/%s", dir, name);
  else if (dir[0] == '\0')
    snprintf(s, n, "%s/%s", cwd, name);
  else
    snprintf(s, n, "%s/%s/%s", cwd, dir, name);
  return s;
}

/* Absolute path of argv[0]: as given when it has a slash (relative to cwd,
 * where the child will be), else the first executable in the child's PATH.
 * Done here rather than by execvpe() in the child, which may allocate. */
static int
resolve_program(char **out, const char *name, const char *const *envp,
                const char *cwd)
{
  *out = NULL;
  if (strchr(name, '/')) {
    char *p = name[0] == '/' ? strdup(name) : join3(cwd, "", name);
    if (!p)
      return mlab_fail(MLAB_ENOMEM, "exec: no memory for the program path");
    if (!is_executable(p)) {
      free(p);
      return mlab_fail(MLAB_ENOTFOUND, "exec: '%s' is not an executable file",
                       name);
    }
    *out = p;
    return 0;
  }
  const char *path = env_get(envp, "PATH");
  if (!path)
    path = DEFAULT_PATH;
  char *dirs = strdup(path);
  if (!dirs)
    return mlab_fail(MLAB_ENOMEM, "exec: no memory for PATH");
  int error = 0;
  char *rest = dirs, *dir;
  while ((dir = strsep(&rest, ":")) != NULL) {
    char *p = join3(cwd, dir, name);
    if (!p) {
      error = mlab_fail(MLAB_ENOMEM, "exec: no memory for the program path");
      goto done;
    }
    if (is_executable(p)) {
      *out = p;
      goto done;
    }
    free(p);
  }
  error =
      mlab_fail(MLAB_ENOTFOUND, "exec: '%s' not found in PATH %s", name, path);
done:
  free(dirs);
  return error;
}

/* The bwrap command line around prog + argv[1..]; *out is malloc'd, the
 * strings it points to are borrowed (hidden paths are kept in *hidden). */
static int
bwrap_argv(char ***out, char ***hidden, const char *prog,
           const struct exec_opts *o, const char *cwd)
{
  static const char *const pre[] = {BWRAP,     "--ro-bind", "/",      "/",
                                    "--dev",   "/dev",      "--proc", "/proc",
                                    "--tmpfs", "/tmp"};
  static const char *const post[] = {"--unshare-pid",     "--unshare-net",
                                     "--unshare-ipc",     "--unshare-uts",
                                     "--die-with-parent", "--new-session"};
  size_t nhide = 0, argc = 0;
  while (o->hide && o->hide[nhide])
    nhide++;
  while (o->argv[argc])
    argc++;
  size_t cap = 10 + 3 * nhide + 5 + 6 + argc + 1;
  char **v = calloc(cap, sizeof *v);
  char **h = calloc(nhide + 1, sizeof *h);
  int error = 0;
  size_t i = 0;
  if (!v || !h) {
    error = mlab_fail(MLAB_ENOMEM, "exec: no memory for the sandbox argv");
    goto done;
  }
  for (size_t k = 0; k < 10; k++)
    v[i++] = (char *)pre[k];
  /* Masks come before the workspace bind, so a workspace inside a hidden
   * directory is still bound on top of the tmpfs. */
  for (size_t k = 0, nh = 0; k < nhide; k++) {
    struct stat sb;
    if (o->hide[k][0] != '/') {
      error = mlab_fail(MLAB_EINVAL, "exec: hidden path '%s' is not absolute",
                        o->hide[k]);
      goto done;
    }
    /* bwrap mounts on the resolved target; a missing path has nothing to
     * hide and would make bwrap fail. */
    char *real = realpath(o->hide[k], NULL);
    if (!real)
      continue;
    h[nh++] = real;
    if (stat(real, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      v[i++] = "--tmpfs";
    } else {
      /* A tmpfs cannot cover a file; an empty one can. */
      v[i++] = "--ro-bind";
      v[i++] = "/dev/null";
    }
    v[i++] = real;
  }
  v[i++] = "--bind";
  v[i++] = (char *)cwd;
  v[i++] = (char *)cwd;
  v[i++] = "--chdir";
  v[i++] = (char *)cwd;
  for (size_t k = 0; k < 6; k++)
    v[i++] = (char *)post[k];
  v[i++] = (char *)prog;
  for (size_t k = 1; k < argc; k++)
    v[i++] = (char *)o->argv[k];
  v[i] = NULL;
done:
  if (error) {
    for (size_t k = 0; h && h[k]; k++)
      free(h[k]);
    free(h);
    free(v);
    h = NULL;
    v = NULL;
  }
  *out = v;
  *hidden = h;
  return error;
}

static void
put(int fd, const char *s)
{
  ssize_t n;
  do
    n = write(fd, s, strlen(s));
  while (n < 0 && errno == EINTR);
}

static int
set_limit(int res, rlim_t v)
{
  struct rlimit rl = {v, v};
  struct rlimit cur;
  /* An unprivileged host cannot raise its hard limit: stay under it. */
  if (getrlimit(res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
      v > cur.rlim_max)
    rl.rlim_cur = rl.rlim_max = cur.rlim_max;
  return setrlimit(res, &rl);
}

/* The child between fork() and execve(): async-signal-safe calls only.
 * Failures go to the status pipe as {stage, errno}, and as a line to the
 * output pipe for whoever reads it. */
static void __attribute__((noreturn))
child(const char *file, char *const *argv, char *const *envp,
      const struct exec_opts *o, const char *cwd, int out_w, int st_w)
{
  struct child_status st = {0, 0};
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  /* Ignored signals survive execve(); a host that ignores SIGPIPE would
   * otherwise make `yes | head` spin on EPIPE. */
  signal(SIGPIPE, SIG_DFL);
  setsid();
  int null = open("/dev/null", O_RDONLY);
  if (null >= 0 && null != 0) {
    dup2(null, 0);
    close(null);
  }
  dup2(out_w, 1);
  dup2(out_w, 2);
  /* Whatever else the host has open (sockets, repos) stays out. */
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if ((o->mem_bytes && set_limit(RLIMIT_AS, (rlim_t)o->mem_bytes) < 0) ||
      (o->max_procs > 0 && set_limit(RLIMIT_NPROC, (rlim_t)o->max_procs) < 0) ||
      set_limit(RLIMIT_CORE, 0) < 0) {
    st = (struct child_status){STAGE_RLIMIT, errno};
    put(2, "exec: cannot set resource limits\n");
    goto fail;
  }
  if (chdir(cwd) < 0) {
    st = (struct child_status){STAGE_CHDIR, errno};
    put(2, "exec: cannot enter the working directory\n");
    goto fail;
  }
  execve(file, argv, envp);
  st = (struct child_status){STAGE_EXEC, errno};
  put(2, "exec: cannot execute ");
  put(2, file);
  put(2, ": ");
  put(2, strerrordesc_np(st.err) ? strerrordesc_np(st.err) : "error");
  put(2, "\n");
fail:
  while (write(st_w, &st, sizeof st) < 0 && errno == EINTR)
    ;
  _exit(127);
}

static int
status_error(const struct child_status *st, const char *name)
{
  const char *why = strerror(st->err);
  switch (st->stage) {
  case STAGE_RLIMIT:
    return mlab_fail(MLAB_EINVAL, "exec: cannot set resource limits: %s", why);
  case STAGE_CHDIR:
    return mlab_fail(MLAB_EINVAL,
                     "exec: cannot enter the working directory: %s", why);
  default:
    if (st->err == ENOMEM || st->err == E2BIG)
      return mlab_fail(MLAB_ERROR, "exec: cannot execute '%s': %s", name, why);
    return mlab_fail(MLAB_ENOTFOUND, "exec: cannot execute '%s': %s", name,
                     why);
  }
}

/* Reads the output until the child exits or the deadline passes or cancel
 * is raised (then kills the group); returns with the child exited but not
 * yet reaped. */
static void
watch(pid_t pid, int *fd, struct capture *c, double deadline,
      const volatile sig_atomic_t *cancel, struct exec_result *r)
{
  int *timed_out = &r->timed_out;
  for (;;) {
    int ms = SLICE_MS;
    if (cancel && *cancel && !r->cancelled) {
      killpg(pid, SIGKILL);
      r->cancelled = 1;
    }
    if (deadline > 0 && !*timed_out) {
      int left = ms_until(deadline);
      if (left == 0) {
        /* setsid() ran before the status pipe closed, so pid is the
         * group id. */
        killpg(pid, SIGKILL);
        *timed_out = 1;
      } else if (left < ms) {
        ms = left;
      }
    }
    if (wait_readable(*fd, ms))
      read_some(fd, c);
    if (has_exited(pid))
      return;
  }
}

/* Reads what is left for at most GRACE_MS. */
static void
drain(int *fd, struct capture *c)
{
  double end = now_s() + GRACE_MS / 1000.0;
  while (*fd >= 0) {
    int ms = ms_until(end);
    if (ms == 0)
      break;
    if (wait_readable(*fd, ms))
      read_some(fd, c);
  }
}

int
exec_run(struct exec_result *out, const struct exec_opts *opts)
{
  int error = 0;
  char *cwd = NULL, *prog = NULL;
  char **bargv = NULL, **hidden = NULL;
  struct capture cap = {0};
  int out_p[2] = {-1, -1}, st_p[2] = {-1, -1};
  pid_t pid = -1;

  if (out)
    memset(out, 0, sizeof *out);
  if (!out || !opts || !opts->argv || !opts->argv[0] || !opts->argv[0][0])
    return mlab_fail(MLAB_EINVAL, "exec: no program given");
  if (!opts->cwd)
    return mlab_fail(MLAB_EINVAL, "exec: no working directory given");

  struct stat sb;
  cwd = realpath(opts->cwd, NULL);
  if (!cwd || stat(cwd, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
    error =
        mlab_fail(MLAB_EINVAL, "exec: cwd '%s' is not a directory", opts->cwd);
    goto done;
  }
  const char *const *envp = opts->envp ? opts->envp : exec_default_env(cwd);
  error = resolve_program(&prog, opts->argv[0], envp, cwd);
  if (error)
    goto done;

  const char *file = prog;
  char *const *argv = (char *const *)opts->argv;
  if (opts->sandbox && exec_has_bwrap()) {
    error = bwrap_argv(&bargv, &hidden, prog, opts, cwd);
    if (error)
      goto done;
    file = BWRAP;
    argv = bargv;
  }

  size_t out_cap = opts->out_cap ? opts->out_cap : EXEC_OUT_CAP;
  cap.head_cap = out_cap / 2;
  cap.ring_cap = out_cap - cap.head_cap;
  cap.head = malloc(out_cap);
  if (!cap.head) {
    error = mlab_fail(MLAB_ENOMEM, "exec: no memory for %zu bytes of output",
                      out_cap);
    goto done;
  }
  cap.ring = cap.head + cap.head_cap;

  if (pipe_high(out_p) < 0 || pipe_high(st_p) < 0) {
    error = mlab_fail(MLAB_ERROR, "exec: cannot create a pipe: %s",
                      strerror(errno));
    goto done;
  }

  double t0 = now_s();
  pid = fork();
  if (pid < 0) {
    error = mlab_fail(MLAB_ERROR, "exec: cannot fork: %s", strerror(errno));
    goto done;
  }
  if (pid == 0)
    child(file, argv, (char *const *)envp, opts, cwd, out_p[1], st_p[1]);

  close_fd(&out_p[1]);
  close_fd(&st_p[1]);
  struct child_status st;
  if (read_status(st_p[0], &st)) {
    error = status_error(&st, opts->argv[0]);
    goto done; /* done reaps it */
  }

  double deadline = opts->timeout_s > 0 ? t0 + opts->timeout_s : 0;
  watch(pid, &out_p[0], &cap, deadline, opts->cancel, out);
  /* The leader is a zombie, so pid still names its group: anything left in
   * it (background jobs) dies now, not after we return. */
  killpg(pid, SIGKILL);
  int ws = 0;
  int rc = reap(pid, &ws);
  pid = -1;
  if (rc < 0) {
    error = mlab_fail(MLAB_ERROR, "exec: cannot wait for the child: %s",
                      strerror(errno));
    goto done;
  }
  drain(&out_p[0], &cap);
  out->duration_s = now_s() - t0;
  if (WIFSIGNALED(ws)) {
    out->status = -1;
    out->signal = WTERMSIG(ws);
  } else {
    out->status = WEXITSTATUS(ws);
  }
  error = capture_finish(&cap, out);

done:
  if (pid > 0) {
    int ignored;
    reap(pid, &ignored);
  }
  close_fd(&out_p[0]);
  close_fd(&out_p[1]);
  close_fd(&st_p[0]);
  close_fd(&st_p[1]);
  for (size_t k = 0; hidden && hidden[k]; k++)
    free(hidden[k]);
  free(hidden);
  free(bargv);
  free(cap.head);
  free(prog);
  free(cwd);
  if (error && out)
    memset(out, 0, sizeof *out);
  return error;
}

void
exec_result_free(struct exec_result *r)
{
  if (!r)
    return;
  free(r->output);
  r->output = NULL;
  r->len = 0;
}

/* Static storage, rebuilt on every call: not thread-safe, and a previous
 * result is overwritten. */
const char *const *
exec_default_env(const char *home)
{
  static char home_var[PATH_MAX + 8];
  static char pool[4096];
  static const char *env[32];
  size_t n = 0, used = 0;

  env[n++] = "PATH=" DEFAULT_PATH;
  if (home) {
    snprintf(home_var, sizeof home_var, "HOME=%s", home);
    env[n++] = home_var;
  }
  env[n++] = "TMPDIR=/tmp";
  env[n++] = "LANG=C.UTF-8";
  env[n++] = "PYTHONDONTWRITEBYTECODE=1";
  env[n++] = "PYTHONUNBUFFERED=1";
  env[n++] = "MPLBACKEND=Agg";
  /* Thread counts only: the host's tuning, never its credentials. */
  for (char **e = environ; e && *e && n < 31; e++) {
    if (strncmp(*e, "OPENBLAS_", 9) != 0 &&
        strncmp(*e, "OMP_NUM_THREADS=", 16) != 0)
      continue;
    size_t len = strlen(*e) + 1;
    if (used + len > sizeof pool)
      continue;
    memcpy(pool + used, *e, len);
    env[n++] = pool + used;
    used += len;
  }
  env[n] = NULL;
  return env;
}

int
exec_has_bwrap(void)
{
  static int cached = -1;
  if (cached >= 0)
    return cached;
  cached = 0;
  if (access(BWRAP, X_OK) != 0)
    return cached;
  char *const argv[] = {BWRAP,           "--ro-bind",     "/",         "/",
                        "--unshare-pid", "--unshare-net", "/bin/true", NULL};
  posix_spawn_file_actions_t fa;
  if (posix_spawn_file_actions_init(&fa) != 0)
    return cached;
  /* Its complaints, if any, are not ours to print. */
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int ws = 0;
  if (posix_spawn(&pid, BWRAP, &fa, NULL, argv, environ) == 0 &&
      reap(pid, &ws) == 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
    cached = 1;
  posix_spawn_file_actions_destroy(&fa);
  return cached;
}
