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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int
regular_file(const char *rel, const char *path, size_t *size)
{
  struct stat st;
  if (stat(path, &st) != 0)
    return mlab_fail(MLAB_ENOTFOUND, "'%s' does not exist", rel);
  if (S_ISDIR(st.st_mode))
    return mlab_fail(MLAB_EINVAL, "'%s' is a directory, not a file", rel);
  if (!S_ISREG(st.st_mode))
    return mlab_fail(MLAB_EINVAL, "'%s' is not a regular file", rel);
  if (size)
    *size = (size_t)st.st_size;
  return 0;
}

int
ws_read(const struct ws *ws, const char *rel, char **out, size_t *len)
{
  char path[PATH_MAX];
  size_t size = 0;
  int error = ws_resolve(ws, rel, path);
  if (!error)
    error = regular_file(rel, path, &size);
  if (error)
    return error;
  if (size > WS_MAX_READ)
    return mlab_fail(MLAB_EINVAL,
                     "'%s' is %zu bytes, more than the %d a read may return: "
                     "read a line range instead",
                     rel, size, WS_MAX_READ);
  return fsu_read(path, out, len);
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

static int
undo_push(struct ws *ws, const char *abs)
{
  char dir[PATH_MAX], p[PATH_MAX];
  undo_dir_of(ws, abs, dir);
  int error = fsu_mkdir_p(dir);
  if (error)
    return error;
  long n = undo_depth(dir);
  struct stat st;
  if (stat(abs, &st) != 0) {
    if (pathf(p, "%s/%ld.absent", dir, n))
      return mlab_fail(MLAB_EINVAL, "undo store path too long");
    return fsu_write_atomic(p, "", 0);
  }
  if (pathf(p, "%s/%ld", dir, n))
    return mlab_fail(MLAB_EINVAL, "undo store path too long");
  return fsu_copy_file(abs, p);
}

int
ws_undo(struct ws *ws, const char *rel)
{
  char abs[PATH_MAX], dir[PATH_MAX], p[PATH_MAX];
  int error = ws_resolve(ws, rel, abs);
  if (error)
    return error;
  undo_dir_of(ws, abs, dir);
  long n = undo_depth(dir);
  if (n == 0)
    return mlab_fail(MLAB_ENOTFOUND, "there is no edit of '%s' to undo", rel);
  if (pathf(p, "%s/%ld.absent", dir, n - 1))
    return mlab_fail(MLAB_EINVAL, "undo store path too long");
  if (fsu_exists(p)) {
    if (unlink(abs) != 0 && errno != ENOENT)
      return mlab_fail(MLAB_ERROR, "cannot remove '%s': %s", rel,
                       strerror(errno));
    return unlink(p) == 0 ? 0 : mlab_fail(MLAB_ERROR, "undo store: %s", p);
  }
  if (pathf(p, "%s/%ld", dir, n - 1))
    return mlab_fail(MLAB_EINVAL, "undo store path too long");
  error = fsu_copy_file(p, abs);
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

/* Writes a file the agent named, keeping its previous version for undo. */
static int
put(struct ws *ws, const char *rel, const char *data, size_t len, int append)
{
  char abs[PATH_MAX];
  int error = ws_resolve(ws, rel, abs);
  if (error)
    return error;
  if (strcmp(abs, ws->root) == 0)
    return mlab_fail(MLAB_EINVAL, "'%s' is the workspace itself", rel);
  if (fsu_is_dir(abs))
    return mlab_fail(MLAB_EINVAL, "'%s' is a directory, not a file", rel);
  if ((error = parent_dirs(abs)) || (error = undo_push(ws, abs)))
    return error;
  if (append)
    return fsu_append(abs, data, len);
  return fsu_write_atomic(abs, data, len);
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
splice(struct ws *ws, const char *rel, const char *text, size_t a, size_t b,
       const char *mid, int whole_lines)
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
  error = splice(ws, rel, old, a, b, text, 1);
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
    error = splice(ws, rel, text, (size_t)(hit - text),
                   (size_t)(hit - text) + strlen(old_text), new_text, 0);
  free(text);
  return error;
}
