/* exec.c - run a program under limits and capture what it prints; see
 * exec.h.
 *
 * Everything that allocates (PATH search, the bwrap argv, the capture
 * buffer, the cgroup) happens before fork(), so the child only makes
 * async-signal-safe calls: the host may have threads (curl), and a malloc
 * lock held by one of them at fork time would deadlock the child.
 *
 * Why the sandbox is built this way (measured with bubblewrap 0.8.0 on
 * Debian 12, kernel 6.x, as root):
 *   - plain bwrap as root leaves the script every capability: it can
 *     umount the masks over the task cache and remount / read-write;
 *   - `--unshare-user --uid N --cap-drop ALL` as root gives CapEff 0, but
 *     the script is still host uid 0 to the kernel, which checks some
 *     interfaces by uid alone: it could write /proc/sys/kernel/core_pattern
 *     (a way out to host root) and read every root-owned 0600 file it could
 *     see (/etc/shadow, ~root);
 *   - so a root host runs bwrap as EXEC_SANDBOX_UID (bwrap then makes its
 *     user namespace as that uid): core_pattern and /etc/shadow are refused
 *     as for any user.  bwrap running as that uid resolves the workspace's
 *     path with its rights, and a workspace under a 0700 folder (~root, a
 *     mktemp -d) is out of its reach: the child, still root, first puts the
 *     workspace on a private tmpfs at STAGE_DIR in a mount namespace of its
 *     own, then drops to the uid and runs bwrap on that path;
 *   - RLIMIT_NPROC does not bind uid 0 at all and binds a uid across all
 *     its processes (concurrent runs share it), so a root host gives each
 *     call a pids cgroup when it can, and falls back to the rlimit.
 */
#include "exec.h"
#include "cgroup.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
/* Where a root child stages the workspace in its own mount namespace. */
#define STAGE_DIR "/tmp"
#define STAGE_WS STAGE_DIR "/w"
/* uid and gid of the script inside its user namespace. */
#define INNER_ID "1000"
/* Sizes of the sandbox's tmpfs folders (they use memory, not disk). */
#define TMPFS_DEFAULT ((size_t)512 << 20)
#define TMPFS_MAX ((size_t)1 << 30)
#define SHM_SIZE ((size_t)64 << 20)
/* Most entries of /etc that are masked; most levels a tree walk descends. */
#define MAX_MASKS 256
#define MAX_DEPTH 128

extern char **environ;

/* What a child that failed before or at execve() tells the parent. */
enum { STAGE_RLIMIT = 1, STAGE_CHDIR, STAGE_CONFINE, STAGE_EXEC };
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

/* Like wait_readable, but also wakes when the process behind pidfd (>= 0)
 * exits, so a child that closed its output is seen at once, not at the
 * end of a slice. */
static int
wait_output_or_exit(int fd, int pidfd, int ms)
{
  struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                        {.fd = pidfd, .events = POLLIN}};
  int r = poll(p, 2, ms); /* negative fds are ignored */
  return r > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR));
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

/* --- string vectors ----------------------------------------------------- */

/* A growing NULL-terminated array of malloc'd strings; `oom` sticks. */
struct strv {
  char **v;
  size_t n, cap;
  int oom;
};

static void
sv_add(struct strv *sv, const char *s)
{
  if (sv->oom)
    return;
  if (sv->n + 2 > sv->cap) {
    size_t cap = sv->cap ? sv->cap * 2 : 64;
    char **v = realloc(sv->v, cap * sizeof *v);
    if (!v) {
      sv->oom = 1;
      return;
    }
    sv->v = v;
    sv->cap = cap;
  }
  char *d = strdup(s);
  if (!d) {
    sv->oom = 1;
    return;
  }
  sv->v[sv->n++] = d;
  sv->v[sv->n] = NULL;
}

static void
sv_add2(struct strv *sv, const char *a, const char *b)
{
  sv_add(sv, a);
  sv_add(sv, b);
}

static void
sv_add3(struct strv *sv, const char *a, const char *b, const char *c)
{
  sv_add(sv, a);
  sv_add(sv, b);
  sv_add(sv, c);
}

static void
sv_free(struct strv *sv)
{
  for (size_t i = 0; i < sv->n; i++)
    free(sv->v[i]);
  free(sv->v);
  memset(sv, 0, sizeof *sv);
}

static int
inside_dir(const char *path, const char *dir)
{
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* --- the view: what of the host a sandboxed script sees ------------------ */

/* Read-only system folders (or the links to them of a merged /usr). */
static const char *const view_dirs[] = {"/usr", "/etc",   "/bin",   "/sbin",
                                        "/lib", "/lib32", "/lib64", "/libx32"};

/* Entries of /etc that an unprivileged user could not read: masked even
 * from a script that could (its uid or groups own them). */
static struct strv etc_masks;
static int etc_masks_done;

static int
etc_visit(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
  (void)f;
  if (etc_masks.n >= MAX_MASKS * 2)
    return FTW_STOP;
  if (flag == FTW_D || flag == FTW_DNR) {
    if ((sb->st_mode & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH)) {
      sv_add2(&etc_masks, "d", p);
      return FTW_SKIP_SUBTREE;
    }
    return FTW_CONTINUE;
  }
  if (flag == FTW_F && !(sb->st_mode & S_IROTH))
    sv_add2(&etc_masks, "f", p);
  return FTW_CONTINUE;
}

static void
find_etc_masks(void)
{
  if (etc_masks_done)
    return;
  etc_masks_done = 1;
  nftw("/etc", etc_visit, 16, FTW_PHYS | FTW_ACTIONRETVAL);
}

/* Adds the mask of path (a folder: empty and read-only; else /dev/null). */
static void
add_mask(struct strv *sv, const char *path, int is_dir)
{
  if (is_dir) {
    sv_add2(sv, "--tmpfs", path);
    sv_add2(sv, "--remount-ro", path);
  } else {
    sv_add3(sv, "--ro-bind", "/dev/null", path);
  }
}

/* --- tree walks (no link is followed) ----------------------------------- */

struct walk {
  uint64_t bytes, apparent, files, max_files;
  int chown; /* hand every entry to uid/gid */
  uid_t uid;
  gid_t gid;
  int stop;
};

static void
walk_entry(struct walk *w, int dfd, const char *name, const struct stat *st)
{
  w->files++;
  w->bytes += (uint64_t)st->st_blocks * 512;
  w->apparent += (uint64_t)st->st_size;
  if (w->max_files && w->files > w->max_files)
    w->stop = 1;
  /* A file with other links might have one outside the workspace: its
   * owner is not ours to change. */
  if (w->chown && (st->st_uid != w->uid || st->st_gid != w->gid) &&
      (S_ISDIR(st->st_mode) || st->st_nlink <= 1))
    fchownat(dfd, name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW);
}

/* Walks the folder open at fd (consumed). */
static void
walk_dir(struct walk *w, int fd, int depth)
{
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return;
  }
  struct dirent *e;
  while (!w->stop && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    walk_entry(w, dirfd(d), e->d_name, &st);
    if (!S_ISDIR(st.st_mode) || depth >= MAX_DEPTH)
      continue;
    int sub = openat(dirfd(d), e->d_name,
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub >= 0)
      walk_dir(w, sub, depth + 1);
  }
  closedir(d);
}

static int
walk_tree(struct walk *w, const char *dir)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mlab_fail(errno == ENOENT ? MLAB_ENOTFOUND : MLAB_ERROR,
                     "exec: cannot open %s: %s", dir, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) == 0 && w->chown &&
      (st.st_uid != w->uid || st.st_gid != w->gid))
    fchown(fd, w->uid, w->gid);
  walk_dir(w, fd, 0);
  return 0;
}

int
exec_disk_usage(const char *dir, uint64_t *bytes, uint64_t *apparent,
                uint64_t *files, uint64_t max_files)
{
  struct walk w = {0};
  w.max_files = max_files ? max_files : EXEC_DU_MAX_FILES;
  int error = walk_tree(&w, dir);
  if (bytes)
    *bytes = w.bytes;
  if (apparent)
    *apparent = w.apparent;
  if (files)
    *files = w.files;
  if (!error && w.stop)
    error = mlab_fail(MLAB_EBUDGET, "exec: %s holds more than %llu files", dir,
                      (unsigned long long)w.max_files);
  return error;
}

/* Copies the folder open at sfd into the folder open at dfd (both
 * consumed): see exec_copy_plain(). */
static int
copy_plain_dir(int sfd, int dfd, size_t max_file, uint64_t *skipped, int depth)
{
  int error = 0;
  DIR *d = fdopendir(sfd);
  if (!d) {
    close(sfd);
    close(dfd);
    return mlab_fail(MLAB_ERROR, "exec: cannot list a folder: %s",
                     strerror(errno));
  }
  struct dirent *e;
  char buf[65536];
  while (!error && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (S_ISDIR(st.st_mode) && depth < MAX_DEPTH) {
      int s2 = openat(dirfd(d), e->d_name,
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s2 < 0 || mkdirat(dfd, e->d_name, 0755) != 0) {
        if (s2 >= 0)
          close(s2);
        (*skipped)++;
        continue;
      }
      int d2 = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d2 < 0) {
        close(s2);
        (*skipped)++;
        continue;
      }
      error = copy_plain_dir(s2, d2, max_file, skipped, depth + 1);
      continue;
    }
    if (!S_ISREG(st.st_mode) || st.st_nlink > 1 ||
        (size_t)st.st_size > max_file) {
      (*skipped)++;
      continue;
    }
    int in = openat(dirfd(d), e->d_name,
                    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_nlink > 1 || (size_t)st.st_size > max_file) {
      if (in >= 0)
        close(in);
      (*skipped)++;
      continue;
    }
    int out = openat(dfd, e->d_name,
                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     (st.st_mode & 0111) ? 0755 : 0644);
    size_t left = max_file;
    ssize_t n = 0;
    while (out >= 0 && left > 0) {
      n = read(in, buf, sizeof buf < left ? sizeof buf : left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      left -= (size_t)n;
      for (ssize_t w = 0; w < n;) {
        ssize_t k = write(out, buf + w, (size_t)(n - w));
        if (k < 0 && errno == EINTR)
          continue;
        if (k < 0) {
          n = -1;
          break;
        }
        w += k;
      }
      if (n < 0)
        break;
    }
    if (out < 0 || n < 0)
      error = mlab_fail(MLAB_ERROR, "exec: cannot copy %s: %s", e->d_name,
                        strerror(errno));
    close(in);
    if (out >= 0)
      close(out);
  }
  closedir(d);
  close(dfd);
  return error;
}

int
exec_copy_plain(const char *src, const char *dst, size_t max_file,
                uint64_t *skipped)
{
  uint64_t skip = 0;
  int sfd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sfd < 0)
    return mlab_fail(errno == ENOENT ? MLAB_ENOTFOUND : MLAB_ERROR,
                     "exec: cannot open %s: %s", src, strerror(errno));
  if (mkdir(dst, 0755) != 0) {
    close(sfd);
    return mlab_fail(errno == EEXIST ? MLAB_EEXISTS : MLAB_ERROR,
                     "exec: cannot create %s: %s", dst, strerror(errno));
  }
  int dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    close(sfd);
    return mlab_fail(MLAB_ERROR, "exec: cannot open %s: %s", dst,
                     strerror(errno));
  }
  int error = copy_plain_dir(sfd, dfd, max_file, &skip, 0);
  if (skipped)
    *skipped = skip;
  return error;
}

/* --- the plan of one call ----------------------------------------------- */

struct plan {
  int confined;
  struct strv argv; /* bwrap's, when confined */
  int drop;         /* root: become EXEC_SANDBOX_UID before bwrap */
  int cg_fd;        /* the call's cgroup.procs, or -1 */
  char cg_dir[PATH_MAX];
  int nproc_rlimit; /* max_procs as RLIMIT_NPROC */
};

static void
plan_free(struct plan *p)
{
  sv_free(&p->argv);
  if (p->cg_fd >= 0)
    close(p->cg_fd);
  if (p->cg_dir[0])
    cg_remove(p->cg_dir);
  p->cg_fd = -1;
  p->cg_dir[0] = '\0';
}

static int
add_view(struct strv *sv)
{
  for (size_t k = 0; k < sizeof view_dirs / sizeof *view_dirs; k++) {
    const char *d = view_dirs[k];
    struct stat st;
    char target[PATH_MAX];
    if (lstat(d, &st) != 0)
      continue;
    if (S_ISLNK(st.st_mode)) {
      ssize_t n = readlink(d, target, sizeof target - 1);
      if (n <= 0)
        continue;
      target[n] = '\0';
      sv_add3(sv, "--symlink", target, d);
    } else if (S_ISDIR(st.st_mode)) {
      sv_add3(sv, "--ro-bind", d, d);
    }
  }
  find_etc_masks();
  for (size_t k = 0; k + 1 < etc_masks.n; k += 2)
    add_mask(sv, etc_masks.v[k + 1], etc_masks.v[k][0] == 'd');
  return 0;
}

/* Where a hidden path shows in the sandbox: inside the workspace (under
 * EXEC_WORKSPACE) or a system folder (as is); NULL elsewhere. */
static int
hide_target(char out[PATH_MAX], const char *real, const char *cwd)
{
  if (inside_dir(real, cwd) && strcmp(real, cwd) != 0)
    return snprintf(out, PATH_MAX, "%s%s", EXEC_WORKSPACE, real + strlen(cwd)) <
           PATH_MAX;
  for (size_t k = 0; k < sizeof view_dirs / sizeof *view_dirs; k++)
    if (inside_dir(real, view_dirs[k]))
      return snprintf(out, PATH_MAX, "%s", real) < PATH_MAX;
  return 0;
}

static char *
fmt_size(char buf[32], size_t n)
{
  snprintf(buf, 32, "%zu", n);
  return buf;
}

/* The bwrap command line around prog + argv[1..]. */
static int
build_bwrap(struct plan *p, const char *prog, const struct exec_opts *o,
            const char *cwd)
{
  struct strv *sv = &p->argv;
  char num[32], path[PATH_MAX];
  sv_add(sv, BWRAP);
  sv_add(sv, "--unshare-user");
  sv_add2(sv, "--uid", INNER_ID);
  sv_add2(sv, "--gid", INNER_ID);
  sv_add2(sv, "--cap-drop", "ALL");
  sv_add(sv, "--disable-userns");
  sv_add(sv, "--unshare-pid");
  sv_add(sv, "--unshare-net");
  sv_add(sv, "--unshare-ipc");
  sv_add(sv, "--unshare-uts");
  sv_add(sv, "--unshare-cgroup-try");
  sv_add2(sv, "--hostname", "mlab");
  sv_add(sv, "--die-with-parent");
  sv_add(sv, "--new-session");
  add_view(sv);
  sv_add2(sv, "--dev", "/dev");
  sv_add2(sv, "--size", fmt_size(num, SHM_SIZE));
  sv_add2(sv, "--tmpfs", "/dev/shm");
  sv_add2(sv, "--remount-ro", "/dev");
  sv_add2(sv, "--proc", "/proc");
  size_t tmp = o->mem_bytes ? o->mem_bytes : TMPFS_DEFAULT;
  sv_add2(sv, "--size", fmt_size(num, tmp < TMPFS_MAX ? tmp : TMPFS_MAX));
  sv_add2(sv, "--tmpfs", "/tmp");
  sv_add3(sv, "--bind", p->drop ? STAGE_WS : cwd, EXEC_WORKSPACE);
  for (size_t k = 0; o->hide && o->hide[k]; k++) {
    if (o->hide[k][0] != '/')
      return mlab_fail(MLAB_EINVAL, "exec: hidden path '%s' is not absolute",
                       o->hide[k]);
    /* bwrap mounts on resolved targets; a missing path hides nothing. */
    char *real = realpath(o->hide[k], NULL);
    struct stat st;
    if (real && hide_target(path, real, cwd) && stat(real, &st) == 0)
      add_mask(sv, path, S_ISDIR(st.st_mode));
    free(real);
  }
  sv_add2(sv, "--chdir", EXEC_WORKSPACE);
  sv_add3(sv, "--setenv", "HOME", EXEC_HOME);
  sv_add3(sv, "--setenv", "TMPDIR", EXEC_HOME);
  sv_add3(sv, "--setenv", "PWD", EXEC_WORKSPACE);
  sv_add2(sv, "--remount-ro", "/");
  sv_add(sv, "--");
  /* A program in the workspace is seen under EXEC_WORKSPACE. */
  if (inside_dir(prog, cwd)) {
    snprintf(path, sizeof path, "%s%s", EXEC_WORKSPACE, prog + strlen(cwd));
    sv_add(sv, path);
  } else {
    sv_add(sv, prog);
  }
  for (size_t k = 1; o->argv[k]; k++)
    sv_add(sv, o->argv[k]);
  if (sv->oom)
    return mlab_fail(MLAB_ENOMEM, "exec: no memory for the sandbox argv");
  return 0;
}

static int
make_plan(struct plan *p, const char *prog, const struct exec_opts *o,
          const char *cwd, int confined)
{
  memset(p, 0, sizeof *p);
  p->cg_fd = -1;
  p->confined = confined;
  p->nproc_rlimit = o->max_procs > 0;
  if (!confined)
    return 0;
  if (geteuid() == 0) {
    p->drop = 1;
    /* The script's uid must own the workspace to write in it. */
    struct walk w = {0};
    w.chown = 1;
    w.uid = EXEC_SANDBOX_UID;
    w.gid = EXEC_SANDBOX_UID;
    int error = walk_tree(&w, cwd);
    if (error)
      return error;
    if (o->max_procs > 0 &&
        cg_make(p->cg_dir, &p->cg_fd, o->max_procs + 4) == 0)
      p->nproc_rlimit = 0;
  }
  return build_bwrap(p, prog, o, cwd);
}

/* --- the child ---------------------------------------------------------- */

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

/* Root only: the workspace onto STAGE_WS in a mount namespace of our own,
 * where EXEC_SANDBOX_UID can reach it; then become that uid.  The source
 * is ".": the working directory, which unshare() moved into the new
 * namespace (a path opened before it would name a mount of the old one,
 * which mount(2) refuses to bind). */
static int
stage_and_drop(const struct plan *p)
{
  if (p->cg_fd >= 0 && write(p->cg_fd, "0", 1) != 1)
    return -1;
  if (unshare(CLONE_NEWNS) < 0 ||
      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
      mount("mlab", STAGE_DIR, "tmpfs", MS_NOSUID | MS_NODEV,
            "size=64k,mode=0755") < 0 ||
      mkdir(STAGE_WS, 0755) < 0 ||
      mount(".", STAGE_WS, NULL, MS_BIND, NULL) < 0)
    return -1;
  gid_t g = EXEC_SANDBOX_UID;
  uid_t u = EXEC_SANDBOX_UID;
  if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 ||
      setresuid(u, u, u) < 0)
    return -1;
  /* Never go on as root. */
  if (getuid() == 0 || geteuid() == 0)
    return errno = EPERM, -1;
  return 0;
}

/* The child between fork() and execve(): async-signal-safe calls only.
 * Failures go to the status pipe as {stage, errno}, and as a line to the
 * output pipe for whoever reads it. */
static void __attribute__((noreturn))
child(const char *file, char *const *argv, char *const *envp,
      const struct exec_opts *o, const struct plan *p, const char *cwd,
      int out_w, int st_w)
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
  /* bwrap's own processes count too. */
  int procs = o->max_procs + (p->confined ? 4 : 0);
  if ((o->mem_bytes && set_limit(RLIMIT_AS, (rlim_t)o->mem_bytes) < 0) ||
      (p->nproc_rlimit && set_limit(RLIMIT_NPROC, (rlim_t)procs) < 0) ||
      (o->fsize_bytes && set_limit(RLIMIT_FSIZE, (rlim_t)o->fsize_bytes) < 0) ||
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
  if (p->drop && stage_and_drop(p) < 0) {
    st = (struct child_status){STAGE_CONFINE, errno};
    put(2, "exec: cannot drop root for the sandbox\n");
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
  case STAGE_CONFINE:
    return mlab_fail(MLAB_EDENIED,
                     "exec: cannot confine the script (dropping root to uid "
                     "%d in a private mount namespace): %s",
                     EXEC_SANDBOX_UID, why);
  default:
    if (st->err == ENOMEM || st->err == E2BIG)
      return mlab_fail(MLAB_ERROR, "exec: cannot execute '%s': %s", name, why);
    return mlab_fail(MLAB_ENOTFOUND, "exec: cannot execute '%s': %s", name,
                     why);
  }
}

/* --- the parent --------------------------------------------------------- */

struct watch {
  const char *cwd; /* measured when disk_bytes */
  size_t disk_bytes;
  double next_disk;
};

/* 1 when the workspace is over its disk cap (or holds too many files). */
static int
over_disk(struct watch *w)
{
  if (!w->disk_bytes || now_s() < w->next_disk)
    return 0;
  uint64_t bytes = 0;
  double t = now_s();
  int error = exec_disk_usage(w->cwd, &bytes, NULL, NULL, 0);
  /* A big tree is measured less often: at most ~5% of a core. */
  double took = now_s() - t;
  w->next_disk =
      now_s() + (took * 20 > EXEC_DISK_POLL_S ? took * 20 : EXEC_DISK_POLL_S);
  return error == MLAB_EBUDGET || bytes > w->disk_bytes;
}

/* Reads the output until the child exits or the deadline passes or cancel
 * is raised or the disk cap is passed (then kills the group); returns with
 * the child exited but not yet reaped. */
static void
watch(pid_t pid, int *fd, struct capture *c, double deadline,
      const volatile sig_atomic_t *cancel, struct watch *wd,
      struct exec_result *r)
{
  int *timed_out = &r->timed_out;
  /* Without pidfds (Linux < 5.3) the slice bounds the wait. */
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  for (;;) {
    int ms = SLICE_MS;
    if (cancel && *cancel && !r->cancelled) {
      killpg(pid, SIGKILL);
      r->cancelled = 1;
    }
    if (!r->disk_exceeded && over_disk(wd)) {
      killpg(pid, SIGKILL);
      r->disk_exceeded = 1;
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
    if (wait_output_or_exit(*fd, pidfd, ms))
      read_some(fd, c);
    if (has_exited(pid))
      break;
  }
  if (pidfd >= 0)
    close(pidfd);
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

static int
run_mode(struct exec_result *out, const struct exec_opts *opts, int confined)
{
  int error = 0;
  char *cwd = NULL, *prog = NULL;
  struct plan plan;
  struct capture cap = {0};
  int out_p[2] = {-1, -1}, st_p[2] = {-1, -1};
  pid_t pid = -1;

  memset(&plan, 0, sizeof plan);
  plan.cg_fd = -1;
  struct stat sb;
  cwd = realpath(opts->cwd, NULL);
  if (!cwd || stat(cwd, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
    error =
        mlab_fail(MLAB_EINVAL, "exec: cwd '%s' is not a directory", opts->cwd);
    goto done;
  }
  const char *const *envp =
      opts->envp ? opts->envp : exec_default_env(confined ? NULL : cwd);
  error = resolve_program(&prog, opts->argv[0], envp, cwd);
  if (error)
    goto done;
  error = make_plan(&plan, prog, opts, cwd, confined);
  if (error)
    goto done;
  const char *file = confined ? BWRAP : prog;
  char *const *argv = confined ? plan.argv.v : (char *const *)opts->argv;

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
    child(file, argv, (char *const *)envp, opts, &plan, cwd, out_p[1], st_p[1]);

  close_fd(&out_p[1]);
  close_fd(&st_p[1]);
  struct child_status st;
  if (read_status(st_p[0], &st)) {
    error = status_error(&st, opts->argv[0]);
    goto done; /* done reaps it */
  }

  double deadline = opts->timeout_s > 0 ? t0 + opts->timeout_s : 0;
  struct watch wd = {cwd, confined ? opts->disk_bytes : 0,
                     t0 + EXEC_DISK_POLL_S};
  out->confined = confined;
  watch(pid, &out_p[0], &cap, deadline, opts->cancel, &wd, out);
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
  if (out->disk_exceeded) {
    char note[128];
    snprintf(note, sizeof note,
             "\n[mlab: stopped: the workspace used more than %zu MB of "
             "disk]\n",
             opts->disk_bytes >> 20);
    capture_add(&cap, note, strlen(note));
  }
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
  plan_free(&plan);
  free(cap.head);
  free(prog);
  free(cwd);
  if (error && out)
    memset(out, 0, sizeof *out);
  return error;
}

int
exec_run(struct exec_result *out, const struct exec_opts *opts)
{
  if (out)
    memset(out, 0, sizeof *out);
  if (!out || !opts || !opts->argv || !opts->argv[0] || !opts->argv[0][0])
    return mlab_fail(MLAB_EINVAL, "exec: no program given");
  if (!opts->cwd)
    return mlab_fail(MLAB_EINVAL, "exec: no working directory given");
  int confined = 0;
  if (opts->sandbox) {
    const struct exec_confinement *c = exec_confinement();
    if (c->ok)
      confined = 1;
    else if (!opts->unconfined)
      return mlab_fail(MLAB_EDENIED,
                       "exec: scripts cannot be confined here (%s); "
                       "`mlab run --unconfined` runs them without confinement",
                       c->reason);
  }
  return run_mode(out, opts, confined);
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
  snprintf(home_var, sizeof home_var, "HOME=%s", home ? home : EXEC_HOME);
  env[n++] = home_var;
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

/* --- what confinement gives here ---------------------------------------- */

static int
rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

/* Runs /bin/true confined in a scratch workspace, as every call would. */
static void
probe(struct exec_confinement *c)
{
  c->uid = geteuid() == 0 ? EXEC_SANDBOX_UID : (int)geteuid();
  c->drops_root = geteuid() == 0;
  /* Can only take confinement away (runs then need --unconfined): for
   * tests of that path, and for machines where it must not be tried. */
  const char *off = getenv("MLAB_NO_SANDBOX");
  if (off && *off && strcmp(off, "0") != 0) {
    snprintf(c->reason, sizeof c->reason,
             "MLAB_NO_SANDBOX is set in the environment");
    return;
  }
  if (access(BWRAP, X_OK) != 0) {
    snprintf(c->reason, sizeof c->reason,
             "bubblewrap (%s) is not installed: apt-get install bubblewrap",
             BWRAP);
    return;
  }
  if (geteuid() == 0)
    cg_sweep();
  char dir[] = "/tmp/mlab-probe-XXXXXX";
  if (!mkdtemp(dir)) {
    snprintf(c->reason, sizeof c->reason, "cannot make a scratch folder: %s",
             strerror(errno));
    return;
  }
  const char *argv[] = {"/bin/true", NULL};
  struct exec_opts o = {0};
  o.argv = argv;
  o.cwd = dir;
  o.timeout_s = 30;
  /* No process cap: as RLIMIT_NPROC it would count every process of a
   * non-root user, and a busy user would be told confinement fails. */
  struct exec_result r;
  int error = run_mode(&r, &o, 1);
  if (error) {
    snprintf(c->reason, sizeof c->reason, "%s", mlab_error_last());
  } else if (r.status != 0) {
    /* bwrap's first line says what the kernel refused. */
    size_t n = strcspn(r.output, "\n");
    snprintf(c->reason, sizeof c->reason,
             "bubblewrap cannot make an unprivileged sandbox here: %.*s",
             (int)(n < 200 ? n : 200), r.output);
  } else {
    c->ok = 1;
    c->user_ns = 1;
    c->pids = geteuid() == 0 && cg_available() ? "cgroup" : "rlimit";
  }
  exec_result_free(&r);
  nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const struct exec_confinement *
exec_confinement(void)
{
  static struct exec_confinement c;
  static int done;
  if (!done) {
    done = 1;
    probe(&c);
  }
  return &c;
}

int
exec_has_bwrap(void)
{
  return exec_confinement()->ok;
}
