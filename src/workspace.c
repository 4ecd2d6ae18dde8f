/* workspace.c - agent paths resolved inside the workspace; see workspace.h.
 *
 * Resolution is lexical first (so "a/../b" is fine and "../x" is refused
 * with a message that names the problem), then physical: the longest prefix
 * that exists goes through realpath(3), which follows every symbolic link,
 * and must land inside the root.  A final component that is a dangling link
 * is refused too, since writing through it would create a file elsewhere.
 */
#include "workspace.h"
#include "error.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct ws {
  char root[PATH_MAX]; /* realpath, no trailing slash */
  char undo[PATH_MAX];
};

int
ws_open(struct ws **out, const char *root, const char *undo_dir)
{
  struct ws *ws = calloc(1, sizeof *ws);
  if (!ws)
    return mlab_fail(MLAB_ENOMEM, "out of memory");
  if (!realpath(root, ws->root)) {
    free(ws);
    return mlab_fail(MLAB_ENOTFOUND, "workspace %s: %s", root, strerror(errno));
  }
  int error = fsu_mkdir_p(undo_dir);
  if (error || !realpath(undo_dir, ws->undo)) {
    free(ws);
    return error ? error : mlab_fail(MLAB_ERROR, "undo store %s", undo_dir);
  }
  *out = ws;
  return 0;
}

void
ws_free(struct ws *ws)
{
  free(ws);
}

const char *
ws_root(const struct ws *ws)
{
  return ws->root;
}

/* snprintf into a PATH_MAX buffer; -1 when the path does not fit. */
static int
pathf(char out[PATH_MAX], const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(out, PATH_MAX, fmt, ap);
  va_end(ap);
  return n < 0 || n >= PATH_MAX ? -1 : 0;
}

static int
inside(const struct ws *ws, const char *abs)
{
  size_t n = strlen(ws->root);
  return strncmp(abs, ws->root, n) == 0 && (abs[n] == '\0' || abs[n] == '/');
}

/* Normalises rel into out ("" for the root) or refuses it. */
static int
normalise(const char *rel, char out[PATH_MAX])
{
  if (rel[0] == '/')
    return mlab_fail(MLAB_EDENIED,
                     "'%s' is an absolute path: give a path relative to the "
                     "workspace",
                     rel);
  size_t len = 0;
  const char *p = rel;
  out[0] = '\0';
  while (*p) {
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.')) {
      /* skip "" and "." */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (len == 0)
        return mlab_fail(MLAB_EDENIED,
                         "'%s' leaves the workspace: paths must stay inside it",
                         rel);
      char *slash = strrchr(out, '/');
      len = slash ? (size_t)(slash - out) : 0;
      out[len] = '\0';
    } else {
      /* git refuses a path with a .git component (any case, as its
       * core.protect* checks do): such a file could never enter history. */
      if (n == 4 && strncasecmp(p, ".git", 4) == 0)
        return mlab_fail(MLAB_EDENIED,
                         "'%s': a path with a '.git' part cannot be kept in "
                         "the run's history; choose another name",
                         rel);
      if (len + n + 2 >= PATH_MAX)
        return mlab_fail(MLAB_EINVAL, "path too long: %.64s...", rel);
      if (len)
        out[len++] = '/';
      memcpy(out + len, p, n);
      len += n;
      out[len] = '\0';
    }
    p += n;
    if (*p == '/')
      p++;
  }
  return 0;
}

int
ws_resolve(const struct ws *ws, const char *rel, char out[PATH_MAX])
{
  char norm[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
  int error = normalise(rel, norm);
  if (error)
    return error;
  if (snprintf(path, sizeof path, "%s%s%s", ws->root, norm[0] ? "/" : "",
               norm) >= (int)sizeof path)
    return mlab_fail(MLAB_EINVAL, "path too long: %.64s...", rel);

  struct stat st;
  if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && stat(path, &st) != 0)
    return mlab_fail(MLAB_EDENIED, "'%s' is a symbolic link to nowhere", rel);

  /* The longest existing prefix, resolved physically, must be inside. */
  char probe[PATH_MAX];
  memcpy(probe, path, sizeof probe);
  for (;;) {
    if (realpath(probe, real)) {
      if (!inside(ws, real))
        return mlab_fail(MLAB_EDENIED,
                         "'%s' leaves the workspace through a symbolic link",
                         rel);
      break;
    }
    if (errno != ENOENT && errno != ENOTDIR)
      return mlab_fail(MLAB_ERROR, "cannot resolve '%s': %s", rel,
                       strerror(errno));
    char *slash = strrchr(probe, '/');
    if (!slash || slash == probe)
      return mlab_fail(MLAB_ERROR, "cannot resolve '%s'", rel);
    *slash = '\0';
  }
  memcpy(out, path, PATH_MAX);
  return 0;
}

static int
cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

void
ws_names_free(char **names)
{
  if (!names)
    return;
  for (char **p = names; *p; p++)
    free(*p);
  free(names);
}

int
ws_list(const struct ws *ws, const char *rel, char ***out, size_t *n)
{
  char path[PATH_MAX];
  int error = ws_resolve(ws, rel, path);
  if (error)
    return error;
  DIR *d = opendir(path);
  if (!d)
    return mlab_fail(errno == ENOENT ? MLAB_ENOTFOUND : MLAB_EINVAL,
                     "cannot list '%s': %s", rel, strerror(errno));
  size_t cap = 16, len = 0;
  char **names = malloc(cap * sizeof *names);
  struct dirent *e;
  while (names && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    if (len + 2 > cap) {
      char **nn = realloc(names, (cap *= 2) * sizeof *names);
      if (!nn) {
        names[len] = NULL;
        ws_names_free(names);
        names = NULL;
        break;
      }
      names = nn;
    }
    char sub[PATH_MAX];
    struct stat st;
    int dir = pathf(sub, "%s/%s", path, e->d_name) == 0 &&
              lstat(sub, &st) == 0 && S_ISDIR(st.st_mode);
    size_t k = strlen(e->d_name);
    char *name = malloc(k + 2);
    if (!name)
      break;
    memcpy(name, e->d_name, k);
    if (dir)
      name[k++] = '/';
    name[k] = '\0';
    names[len++] = name;
  }
  closedir(d);
  if (!names)
    return mlab_fail(MLAB_ENOMEM, "out of memory listing '%s'", rel);
  names[len] = NULL;
  qsort(names, len, sizeof *names, cmp_names);
  *out = names;
  if (n)
    *n = len;
  return 0;
}

/* Why a file that is not a plain, single-named regular file is refused:
 * a FIFO or a device would block the host or act on open, a socket is not
 * data, and a file with other hard links may be one outside the workspace
 * under a name inside it. */
static int
refuse_kind(const char *rel, const struct stat *st)
{
  if (S_ISDIR(st->st_mode))
    return mlab_fail(MLAB_EINVAL, "'%s' is a directory, not a file", rel);
  if (!S_ISREG(st->st_mode))
    return mlab_fail(MLAB_EINVAL,
                     "'%s' is not a regular file (it is a %s): actions read "
                     "and write regular files only",
                     rel,
                     S_ISFIFO(st->st_mode)   ? "FIFO"
                     : S_ISSOCK(st->st_mode) ? "socket"
                     : S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)
                         ? "device"
                         : "special file");
  if (st->st_nlink > 1)
    return mlab_fail(MLAB_EDENIED,
                     "'%s' has %lu hard links: actions only touch files with "
                     "one name (copy it from a script to make a file of its "
                     "own)",
                     rel, (unsigned long)st->st_nlink);
  return 0;
}

/* The file abs names after its links (inside the workspace: ws_resolve
 * checked), into real; MLAB_ENOTFOUND when it does not exist. */
static int
real_file(const char *rel, const char *abs, char real[PATH_MAX],
          struct stat *st)
{
  if (!realpath(abs, real))
    return errno == ENOENT || errno == ENOTDIR
               ? mlab_fail(MLAB_ENOTFOUND, "'%s' does not exist", rel)
               : mlab_fail(MLAB_ERROR, "cannot resolve '%s': %s", rel,
                           strerror(errno));
  if (lstat(real, st) != 0)
    return mlab_fail(MLAB_ENOTFOUND, "'%s' does not exist", rel);
  return 0;
}

/* Opens the regular file at real without following a link or blocking,
 * and checks again what was opened (the name may have changed since). */
static int
open_checked(int *fd, const char *rel, const char *real, int flags,
             struct stat *st)
{
  *fd = open(real, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (*fd < 0)
    return mlab_fail(errno == ENOENT ? MLAB_ENOTFOUND : MLAB_ERROR,
                     "cannot open '%s': %s", rel, strerror(errno));
  int error = fstat(*fd, st) != 0
                  ? mlab_fail(MLAB_ERROR, "cannot stat '%s'", rel)
                  : refuse_kind(rel, st);
  if (error) {
    close(*fd);
    *fd = -1;
  }
  return error;
}

static int
read_all(int fd, char *buf, size_t len, size_t *got)
{
  *got = 0;
  while (*got < len) {
    ssize_t n = read(fd, buf + *got, len - *got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      break;
    *got += (size_t)n;
  }
  return 0;
}

int
ws_read(const struct ws *ws, const char *rel, char **out, size_t *len)
{
  char path[PATH_MAX], real[PATH_MAX];
  struct stat st;
  int fd = -1;
  int error = ws_resolve(ws, rel, path);
  if (!error)
    error = real_file(rel, path, real, &st);
  if (!error)
    error = refuse_kind(rel, &st);
  if (!error)
    error = open_checked(&fd, rel, real, O_RDONLY, &st);
  if (error)
    return error;
  if ((size_t)st.st_size > WS_MAX_READ) {
    close(fd);
    return mlab_fail(MLAB_EINVAL,
                     "'%s' is %zu bytes, more than the %d a read may return: "
                     "read a line range instead",
                     rel, (size_t)st.st_size, WS_MAX_READ);
  }
  size_t size = (size_t)st.st_size, got = 0;
  char *buf = malloc(size + 1);
  if (!buf) {
    close(fd);
    return mlab_fail(MLAB_ENOMEM, "out of memory reading '%s'", rel);
  }
  /* A file that grew since fstat is read up to its size then. */
  int rc = read_all(fd, buf, size, &got);
  close(fd);
  if (rc < 0) {
    free(buf);
    return mlab_fail(MLAB_ERROR, "cannot read '%s': %s", rel, strerror(errno));
  }
  buf[got] = '\0';
  *out = buf;
  *len = got;
  return 0;
}

/* Copies the regular file at src (opened without following or blocking)
 * into a new file dst; a file of more than cap bytes is refused. */
static int
copy_capped(const char *rel, const char *src, const char *dst, size_t cap)
{
  int in = -1, out = -1, error = 0;
  struct stat st;
  char buf[65536];
  if ((error = open_checked(&in, rel, src, O_RDONLY, &st)))
    return error;
  if ((size_t)st.st_size > cap) {
    error = mlab_fail(MLAB_EINVAL,
                      "'%s' is %zu bytes, more than the %zu an edit keeps "
                      "for undo: change it from a script instead",
                      rel, (size_t)st.st_size, cap);
    goto done;
  }
  if (unlink(dst) != 0 && errno != ENOENT) {
    error =
        mlab_fail(MLAB_ERROR, "cannot replace %s: %s", dst, strerror(errno));
    goto done;
  }
  out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
             st.st_mode & 0777);
  if (out < 0) {
    error = mlab_fail(MLAB_ERROR, "cannot write %s: %s", dst, strerror(errno));
    goto done;
  }
  /* At most cap bytes, even from a file that grows as we read. */
  size_t left = cap;
  for (;;) {
    ssize_t r = read(in, buf, sizeof buf < left ? sizeof buf : left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0)
      break;
    if (r < 0 || fsu_write_all(out, buf, (size_t)r) != 0) {
      error =
          mlab_fail(MLAB_ERROR, "cannot copy '%s': %s", rel, strerror(errno));
      break;
    }
    left -= (size_t)r;
    if (left == 0)
      break;
  }
done:
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
  return error;
}

/* The undo store keeps, per file, a stack of earlier versions:
 * <undo>/<hex of the relative path>/<n> holds version n, or is an empty
 * file named <n>.absent when the file did not exist. */
static void
undo_dir_of(const struct ws *ws, const char *abs, char out[PATH_MAX])
{
  const char *rel = abs + strlen(ws->root);
  if (*rel == '/')
    rel++;
  size_t k = (size_t)snprintf(out, PATH_MAX, "%s/", ws->undo);
  for (; *rel && k + 3 < PATH_MAX; rel++)
    k += (size_t)snprintf(out + k, PATH_MAX - k, "%02x", (unsigned char)*rel);
}

static long
undo_depth(const char *dir)
{
  long n = 0;
  char p[PATH_MAX];
  for (;;) {
    if (pathf(p, "%s/%ld", dir, n) == 0 && fsu_exists(p))
      goto next;
    if (pathf(p, "%s/%ld.absent", dir, n) == 0 && fsu_exists(p))
      goto next;
    return n;
  next:
    n++;
  }
}

/* Keeps the version of abs before a change: a copy of real (the file it
 * names, at most WS_MAX_UNDO bytes), or a marker that it did not exist
 * (real NULL). */
static int
undo_push(struct ws *ws, const char *rel, const char *abs, const char *real)
{
  char dir[PATH_MAX], p[PATH_MAX];
  undo_dir_of(ws, abs, dir);
  int error = fsu_mkdir_p(dir);
  if (error)
    return error;
  long n = undo_depth(dir);
  if (!real) {
    if (pathf(p, "%s/%ld.absent", dir, n))
      return mlab_fail(MLAB_EINVAL, "undo store path too long");
    return fsu_write_atomic_nosync(p, "", 0);
  }
  if (pathf(p, "%s/%ld", dir, n))
    return mlab_fail(MLAB_EINVAL, "undo store path too long");
  error = copy_capped(rel, real, p, WS_MAX_UNDO);
  if (error)
    unlink(p);
  return error;
}

int
ws_undo(struct ws *ws, const char *rel)
{
  char abs[PATH_MAX], dir[PATH_MAX], p[PATH_MAX];
  struct stat st;
  int error = ws_resolve(ws, rel, abs);
  if (error)
    return error;
  undo_dir_of(ws, abs, dir);
  long n = undo_depth(dir);
  if (n == 0)
    return mlab_fail(MLAB_ENOTFOUND, "there is no edit of '%s' to undo", rel);
  if (lstat(abs, &st) == 0 && S_ISDIR(st.st_mode))
    return mlab_fail(MLAB_EINVAL, "'%s' is now a directory: cannot undo", rel);
  /* Whatever the name holds now (a file, a link, a FIFO) is replaced, never
   * written through. */
  if (unlink(abs) != 0 && errno != ENOENT)
    return mlab_fail(MLAB_ERROR, "cannot remove '%s': %s", rel,
                     strerror(errno));
  if (pathf(p, "%s/%ld.absent", dir, n - 1))
    return mlab_fail(MLAB_EINVAL, "undo store path too long");
  if (fsu_exists(p))
    return unlink(p) == 0 ? 0 : mlab_fail(MLAB_ERROR, "undo store: %s", p);
  if (pathf(p, "%s/%ld", dir, n - 1))
    return mlab_fail(MLAB_EINVAL, "undo store path too long");
  error = copy_capped(rel, p, abs, (size_t)-1);
  if (!error && unlink(p) != 0)
    error = mlab_fail(MLAB_ERROR, "undo store: %s", p);
  return error;
}

static int
parent_dirs(const char *abs)
{
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", abs);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir)
    return 0;
  *slash = '\0';
  return fsu_mkdir_p(dir);
}

/* Appends to path (created when missing) without following a final link
 * or blocking; what is opened must be a regular file with one name. */
static int
append_checked(const char *rel, const char *path, const char *data, size_t len)
{
  int fd;
  struct stat st;
  int error = open_checked(&fd, rel, path, O_WRONLY | O_APPEND | O_CREAT, &st);
  if (error)
    return error;
  /* No fsync: the step that called this ends with one flush of the run's
   * filesystem (snap_sync) covering the workspace, history and trace. */
  if (fsu_write_all(fd, data, len) != 0)
    error = mlab_fail(MLAB_ERROR, "cannot append to '%s': %s", rel,
                      strerror(errno));
  close(fd);
  return error;
}

/* Writes a file the agent named, keeping its previous version for undo. */
static int
put(struct ws *ws, const char *rel, const char *data, size_t len, int append)
{
  char abs[PATH_MAX], real[PATH_MAX];
  struct stat st;
  int error = ws_resolve(ws, rel, abs);
  if (error)
    return error;
  if (strcmp(abs, ws->root) == 0)
    return mlab_fail(MLAB_EINVAL, "'%s' is the workspace itself", rel);
  int exists = real_file(rel, abs, real, &st) == 0;
  if (exists && (error = refuse_kind(rel, &st)))
    return error;
  if ((error = parent_dirs(abs)) ||
      (error = undo_push(ws, rel, abs, exists ? real : NULL)))
    return error;
  if (append)
    return append_checked(rel, exists ? real : abs, data, len);
  return fsu_write_atomic_nosync(abs, data, len);
}

int
ws_write(struct ws *ws, const char *rel, const char *data, size_t len)
{
  return put(ws, rel, data, len, 0);
}

int
ws_append(struct ws *ws, const char *rel, const char *data, size_t len)
{
  return put(ws, rel, data, len, 1);
}

int
ws_copy(struct ws *ws, const char *src, const char *dst)
{
  char *data = NULL;
  size_t len = 0;
  int error = ws_read(ws, src, &data, &len);
  if (!error)
    error = put(ws, dst, data, len, 0);
  free(data);
  return error;
}

/* Offset of the start of line `line` (1-based) in text, or len when the
 * text has fewer lines. */
static size_t
line_offset(const char *text, size_t len, long line)
{
  size_t off = 0;
  for (long l = 1; l < line && off < len; l++) {
    const char *nl = memchr(text + off, '\n', len - off);
    off = nl ? (size_t)(nl - text) + 1 : len;
  }
  return off;
}

static long
count_lines(const char *text, size_t len)
{
  long n = 0;
  for (size_t i = 0; i < len; i++)
    n += text[i] == '\n';
  return n + (len > 0 && text[len - 1] != '\n');
}

/* Builds head + mid + tail and writes it.  With whole_lines, mid is kept
 * on lines of its own: a newline is added before it when the head ends
 * mid-line (a file without a final newline) and after it when missing. */
static int
splice_text(struct ws *ws, const char *rel, const char *text, size_t a,
            size_t b, const char *mid, int whole_lines)
{
  size_t len = strlen(text), m = strlen(mid);
  int lead = whole_lines && m > 0 && a > 0 && text[a - 1] != '\n';
  int nl = whole_lines && m > 0 && mid[m - 1] != '\n';
  size_t total = a + (size_t)lead + m + (size_t)nl + (len - b);
  char *buf = malloc(total + 1), *p = buf;
  if (!buf)
    return mlab_fail(MLAB_ENOMEM, "out of memory editing '%s'", rel);
  memcpy(p, text, a);
  p += a;
  if (lead)
    *p++ = '\n';
  memcpy(p, mid, m);
  p += m;
  if (nl)
    *p++ = '\n';
  memcpy(p, text + b, len - b);
  buf[total] = '\0';
  int error = put(ws, rel, buf, total, 0);
  free(buf);
  return error;
}

int
ws_edit_lines(struct ws *ws, const char *rel, long first, long last,
              const char *text)
{
  char *old = NULL;
  size_t len;
  int error = ws_read(ws, rel, &old, &len);
  if (error)
    return error;
  long lines = count_lines(old, len);
  if (first < 1 || last < first - 1 || first > lines + 1 || last > lines) {
    error = mlab_fail(MLAB_EINVAL,
                      "lines %ld-%ld are not in '%s', which has %ld lines",
                      first, last, rel, lines);
    goto done;
  }
  size_t a = line_offset(old, len, first);
  size_t b = line_offset(old, len, last + 1);
  error = splice_text(ws, rel, old, a, b, text, 1);
done:
  free(old);
  return error;
}

int
ws_edit_string(struct ws *ws, const char *rel, const char *old_text,
               const char *new_text)
{
  char *text = NULL;
  size_t len;
  if (!old_text[0])
    return mlab_fail(MLAB_EINVAL, "the text to replace is empty");
  int error = ws_read(ws, rel, &text, &len);
  if (error)
    return error;
  const char *hit = strstr(text, old_text);
  long count = 0;
  for (const char *p = hit; p; p = strstr(p + 1, old_text))
    count++;
  if (count == 0)
    error =
        mlab_fail(MLAB_ENOTFOUND, "the text to replace is not in '%s'", rel);
  else if (count > 1)
    error = mlab_fail(MLAB_EINVAL,
                      "the text to replace occurs %ld times in '%s': give "
                      "more context so it occurs once",
                      count, rel);
  else
    error = splice_text(ws, rel, text, (size_t)(hit - text),
                        (size_t)(hit - text) + strlen(old_text), new_text, 0);
  free(text);
  return error;
}
