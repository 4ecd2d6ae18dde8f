/* fsutil.c - host-side file helpers; see fsutil.h. */
#include "fsutil.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fsu_mkdir_p(const char *path)
{
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
    return mlab_fail(MLAB_EINVAL, "path too long: %s", path);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/')
      continue;
    *p = '\0';
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
      return mlab_fail(MLAB_ERROR, "cannot create %s: %s", buf,
                       strerror(errno));
    *p = '/';
  }
  if (mkdir(buf, 0777) != 0 && errno != EEXIST)
    return mlab_fail(MLAB_ERROR, "cannot create %s: %s", buf, strerror(errno));
  if (!fsu_is_dir(buf))
    return mlab_fail(MLAB_ERROR, "%s exists and is not a directory", buf);
  return 0;
}

int
fsu_read(const char *path, char **out, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mlab_fail(errno == ENOENT ? MLAB_ENOTFOUND : MLAB_ERROR,
                     "cannot read %s: %s", path, strerror(errno));
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  int error = 0;
  for (;;) {
    if (!buf) {
      error = mlab_fail(MLAB_ENOMEM, "out of memory reading %s", path);
      break;
    }
    if (cap - n < 2) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        buf = NULL;
        continue;
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n - 1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      error =
          mlab_fail(MLAB_ERROR, "cannot read %s: %s", path, strerror(errno));
      break;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  if (error) {
    free(buf);
    return error;
  }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
fsu_write_all(int fd, const void *buf, size_t len)
{
  const char *data = buf;

  while (len > 0) {
    ssize_t w = write(fd, data, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return -1;
    data += w;
    len -= (size_t)w;
  }
  return 0;
}

static void
sync_parent(const char *path)
{
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash)
    snprintf(dir, sizeof dir, ".");
  else if (slash == dir)
    dir[1] = '\0';
  else
    *slash = '\0';
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

static int
write_atomic(const char *path, const char *data, size_t len, int sync)
{
  char tmp[PATH_MAX];
  if (snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >=
      (int)sizeof tmp)
    return mlab_fail(MLAB_EINVAL, "path too long: %s", path);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return mlab_fail(MLAB_ERROR, "cannot write %s: %s", tmp, strerror(errno));
  if (fsu_write_all(fd, data, len) != 0 || (sync && fsync(fd) != 0)) {
    int e = errno;
    close(fd);
    unlink(tmp);
    return mlab_fail(MLAB_ERROR, "cannot write %s: %s", path, strerror(e));
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return mlab_fail(MLAB_ERROR, "cannot rename to %s: %s", path, strerror(e));
  }
  if (sync)
    sync_parent(path);
  return 0;
}

int
fsu_write_atomic(const char *path, const char *data, size_t len)
{
  return write_atomic(path, data, len, 1);
}

int
fsu_write_atomic_nosync(const char *path, const char *data, size_t len)
{
  return write_atomic(path, data, len, 0);
}

int
fsu_append(const char *path, const char *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return mlab_fail(MLAB_ERROR, "cannot open %s: %s", path, strerror(errno));
  struct stat st;
  int fresh = fstat(fd, &st) == 0 && st.st_size == 0;
  int error = 0;
  if (fsu_write_all(fd, data, len) != 0 || fsync(fd) != 0)
    error =
        mlab_fail(MLAB_ERROR, "cannot append to %s: %s", path, strerror(errno));
  close(fd);
  if (!error && fresh)
    sync_parent(path);
  return error;
}

int
fsu_append_nosync(const char *path, const char *data, size_t len)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    return mlab_fail(MLAB_ERROR, "cannot open %s: %s", path, strerror(errno));
  int error = 0;
  if (fsu_write_all(fd, data, len) != 0)
    error =
        mlab_fail(MLAB_ERROR, "cannot append to %s: %s", path, strerror(errno));
  close(fd);
  return error;
}

int
fsu_copy_file(const char *src, const char *dst)
{
  int in = -1, out = -1, error = 0;
  struct stat st;
  char buf[65536];
  in = open(src, O_RDONLY | O_CLOEXEC);
  if (in < 0 || fstat(in, &st) != 0) {
    error = mlab_fail(errno == ENOENT ? MLAB_ENOTFOUND : MLAB_ERROR,
                      "cannot read %s: %s", src, strerror(errno));
    goto done;
  }
  out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 0777);
  if (out < 0) {
    error = mlab_fail(MLAB_ERROR, "cannot write %s: %s", dst, strerror(errno));
    goto done;
  }
  for (;;) {
    ssize_t r = read(in, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0 || fsu_write_all(out, buf, (size_t)r) != 0) {
      if (r != 0)
        error = mlab_fail(MLAB_ERROR, "cannot copy %s to %s: %s", src, dst,
                          strerror(errno));
      break;
    }
  }
  fchmod(out, st.st_mode & 0777);
done:
  if (in >= 0)
    close(in);
  if (out >= 0)
    close(out);
  return error;
}

int
fsu_copy_tree(const char *src, const char *dst)
{
  struct stat st;
  if (lstat(src, &st) != 0)
    return mlab_fail(MLAB_ENOTFOUND, "cannot copy %s: %s", src,
                     strerror(errno));
  if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlink(src, target, sizeof target - 1);
    if (n < 0)
      return mlab_fail(MLAB_ERROR, "cannot read link %s", src);
    target[n] = '\0';
    unlink(dst);
    if (symlink(target, dst) != 0)
      return mlab_fail(MLAB_ERROR, "cannot link %s: %s", dst, strerror(errno));
    return 0;
  }
  if (!S_ISDIR(st.st_mode))
    return fsu_copy_file(src, dst);
  int error = fsu_mkdir_p(dst);
  if (error)
    return error;
  DIR *d = opendir(src);
  if (!d)
    return mlab_fail(MLAB_ERROR, "cannot list %s: %s", src, strerror(errno));
  struct dirent *e;
  while (!error && (e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    char a[PATH_MAX], b[PATH_MAX];
    if (snprintf(a, sizeof a, "%s/%s", src, e->d_name) >= (int)sizeof a ||
        snprintf(b, sizeof b, "%s/%s", dst, e->d_name) >= (int)sizeof b) {
      error = mlab_fail(MLAB_EINVAL, "path too long under %s", src);
      break;
    }
    error = fsu_copy_tree(a, b);
  }
  closedir(d);
  return error;
}

int
fsu_remove_tree(const char *path)
{
  struct stat st;
  if (lstat(path, &st) != 0)
    return errno == ENOENT ? 0
                           : mlab_fail(MLAB_ERROR, "cannot remove %s: %s", path,
                                       strerror(errno));
  if (S_ISDIR(st.st_mode)) {
    DIR *d = opendir(path);
    if (!d)
      return mlab_fail(MLAB_ERROR, "cannot list %s: %s", path, strerror(errno));
    struct dirent *e;
    int error = 0;
    while (!error && (e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
        continue;
      char sub[PATH_MAX];
      if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >=
          (int)sizeof sub)
        error = mlab_fail(MLAB_EINVAL, "path too long under %s", path);
      else
        error = fsu_remove_tree(sub);
    }
    closedir(d);
    if (error)
      return error;
    if (rmdir(path) != 0)
      return mlab_fail(MLAB_ERROR, "cannot remove %s: %s", path,
                       strerror(errno));
    return 0;
  }
  if (unlink(path) != 0)
    return mlab_fail(MLAB_ERROR, "cannot remove %s: %s", path, strerror(errno));
  return 0;
}

int
fsu_is_dir(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
fsu_exists(const char *path)
{
  struct stat st;
  return lstat(path, &st) == 0;
}

/* --- fsu_lock (appended here, with its includes, to keep merges apart) --- */
#include <sys/file.h>
#include <time.h>

int
fsu_lock(int *out_fd, const char *path, double timeout_s)
{
  *out_fd = -1;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return mlab_fail(MLAB_ERROR, "cannot open lock %s: %s", path,
                     strerror(errno));
  struct timespec t0, now, nap = {0, 50 * 1000000L};
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    if (flock(fd, LOCK_EX | (timeout_s < 0 ? 0 : LOCK_NB)) == 0)
      break;
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int e = errno;
      close(fd);
      return mlab_fail(MLAB_ERROR, "cannot lock %s: %s", path, strerror(e));
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    double waited = (double)(now.tv_sec - t0.tv_sec) +
                    (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
    if (timeout_s >= 0 && waited >= timeout_s) {
      close(fd);
      return mlab_fail(MLAB_ETIMEOUT,
                       "%s is still locked after %.0f s (another mlab is "
                       "preparing it)",
                       path, timeout_s);
    }
    nanosleep(&nap, NULL);
  }
  *out_fd = fd;
  return 0;
}
