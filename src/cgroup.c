/* cgroup.c - a pids cgroup per script, when mlab is root and the pids
 * controller is writable (cgroup v1's pids hierarchy, or a v2 tree with
 * pids delegated): the process cap that binds uid 0, where RLIMIT_NPROC
 * does not.  Groups are named mlab-PID-N under the folder this process
 * sits in; cg_sweep removes those of an mlab that was killed.  See
 * cgroup.h. */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The pids cgroup folder this process sits in, when it is writable: cgroup
 * v1's pids hierarchy, or a cgroup v2 tree with pids delegated.  "" when
 * there is none. */
static char cg_base[PATH_MAX];
static int cg_base_done;

static void
find_base(void)
{
  if (cg_base_done)
    return;
  cg_base_done = 1;
  FILE *f = fopen("/proc/self/cgroup", "re");
  if (!f)
    return;
  char line[PATH_MAX + 64], v1[PATH_MAX] = "", v2[PATH_MAX] = "";
  int have_v1 = 0, have_v2 = 0;
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = '\0';
    char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
    if (!b)
      continue;
    *b = '\0';
    const char *ctl = a + 1, *path = b + 1;
    if (!strcmp(ctl, "pids")) {
      have_v1 = snprintf(v1, sizeof v1, "/sys/fs/cgroup/pids%s",
                         strcmp(path, "/") ? path : "") < (int)sizeof v1;
    } else if (!strcmp(line, "0") && !*ctl) {
      have_v2 = snprintf(v2, sizeof v2, "/sys/fs/cgroup%s",
                         strcmp(path, "/") ? path : "") < (int)sizeof v2;
    }
  }
  fclose(f);
  if (have_v1 && access(v1, W_OK) == 0) {
    snprintf(cg_base, sizeof cg_base, "%s", v1);
    return;
  }
  char ctl[PATH_MAX + 32], buf[256] = "";
  if (!have_v2 || access("/sys/fs/cgroup/cgroup.controllers", R_OK) != 0 ||
      snprintf(ctl, sizeof ctl, "%s/cgroup.subtree_control", v2) >=
          (int)sizeof ctl)
    return;
  f = fopen(ctl, "re");
  if (!f)
    return;
  int delegated = fgets(buf, sizeof buf, f) && strstr(buf, "pids");
  fclose(f);
  if (delegated && access(v2, W_OK) == 0)
    snprintf(cg_base, sizeof cg_base, "%s", v2);
}

static int
write_str(const char *path, const char *s)
{
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write(fd, s, strlen(s));
  close(fd);
  return n == (ssize_t)strlen(s) ? 0 : -1;
}

static void
sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* rmdir, waiting up to about 2 s for the group's last processes to go
 * (the pid namespace's teardown takes a moment after the leader is
 * reaped). */
void
cg_remove(const char *dir)
{
  long step = 1;
  for (long waited = 0; waited < 2000; waited += step) {
    if (rmdir(dir) == 0 || errno == ENOENT)
      return;
    sleep_ms(step);
    step = step < 50 ? step * 2 : 100;
  }
  rmdir(dir);
}

/* Removes groups left by an mlab that was killed (their pid is gone). */
void
cg_sweep(void)
{
  find_base();
  if (!cg_base[0])
    return;
  DIR *d = opendir(cg_base);
  struct dirent *e;
  if (!d)
    return;
  while ((e = readdir(d)) != NULL) {
    long pid;
    char dir[PATH_MAX];
    if (sscanf(e->d_name, "mlab-%ld-", &pid) != 1 || pid <= 0 ||
        (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
      continue;
    if (snprintf(dir, sizeof dir, "%s/%s", cg_base, e->d_name) <
        (int)sizeof dir)
      rmdir(dir);
  }
  closedir(d);
}

/* A fresh group with pids.max = max; *procs_fd opened on its cgroup.procs
 * (the child writes itself there).  -1 when it cannot be had. */
int
cg_make(char dir[PATH_MAX], int *procs_fd, int max)
{
  static unsigned seq;
  char p[PATH_MAX + 16], v[32];
  *procs_fd = -1;
  dir[0] = '\0';
  find_base();
  if (!cg_base[0] || snprintf(dir, PATH_MAX, "%s/mlab-%ld-%u", cg_base,
                              (long)getpid(), seq++) >= PATH_MAX)
    goto fail;
  if (mkdir(dir, 0755) != 0)
    goto fail;
  snprintf(v, sizeof v, "%d", max);
  snprintf(p, sizeof p, "%s/pids.max", dir);
  if (write_str(p, v) != 0)
    goto fail;
  snprintf(p, sizeof p, "%s/cgroup.procs", dir);
  *procs_fd = open(p, O_WRONLY | O_CLOEXEC);
  if (*procs_fd >= 0)
    return 0;
fail:
  if (dir[0])
    rmdir(dir);
  dir[0] = '\0';
  return -1;
}

int
cg_available(void)
{
  find_base();
  return cg_base[0] != '\0';
}
