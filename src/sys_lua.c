/* sys_lua.c - "mlab.sys": files, clocks and processes for the host's Lua
 * (lua/).  Agents never see it: the sandbox does not resolve "mlab.*".
 *
 *   sys.read(path)  sys.write_atomic(path, data)  sys.append(path, data [, sync])
 *   sys.mkdir_p(path)  sys.copy_tree(src, dst)  sys.remove_tree(path)
 *   sys.stat(path) -> {size, mtime, type}  sys.list_dir(path) -> sorted names
 *   sys.now() (wall clock)  sys.mono() (monotonic)  sys.sleep(s)
 *   sys.getenv(name)  sys.pid()  sys.alive(pid)  sys.random_hex(n)  sys.isatty(fd)
 *   sys.ncpu() -> the processors this process may run on (its affinity)
 */
#include "budget.h"
#include "error.h"
#include "fsutil.h"
#include "luahost.h"

#include <lauxlib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
lsys_mkdir_p(lua_State *L)
{
  return lh_result(L, fsu_mkdir_p(luaL_checkstring(L, 1)));
}

static int
lsys_read(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  struct lh_box *box = lh_box(L, free); /* pushing may raise */
  char *data;
  size_t len;
  int error = fsu_read(path, &data, &len);
  if (error)
    return lh_failerr(L, error);
  box->p = data;
  lua_pushlstring(L, data, len);
  lh_box_release(box);
  return 1;
}

static int
lsys_write_atomic(lua_State *L)
{
  size_t len;
  const char *path = luaL_checkstring(L, 1);
  const char *data = luaL_checklstring(L, 2, &len);
  return lh_result(L, fsu_write_atomic(path, data, len));
}

/* host.append(path, data [, sync]): sync defaults to true; false leaves
 * the flush to the caller (a step ends with one snap:sync). */
static int
lsys_append(lua_State *L)
{
  size_t len;
  const char *path = luaL_checkstring(L, 1);
  const char *data = luaL_checklstring(L, 2, &len);
  int sync = lua_isnoneornil(L, 3) || lua_toboolean(L, 3);
  return lh_result(L, sync ? fsu_append(path, data, len)
                           : fsu_append_nosync(path, data, len));
}

static int
lsys_copy_tree(lua_State *L)
{
  return lh_result(
      L, fsu_copy_tree(luaL_checkstring(L, 1), luaL_checkstring(L, 2)));
}

static int
lsys_remove_tree(lua_State *L)
{
  return lh_result(L, fsu_remove_tree(luaL_checkstring(L, 1)));
}

static int
lsys_stat(lua_State *L)
{
  struct stat st;
  const char *path = luaL_checkstring(L, 1);
  if (stat(path, &st) != 0)
    return lh_fail(L, MLAB_ENOTFOUND, "%s: %s", path, strerror(errno));
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)st.st_size);
  lua_setfield(L, -2, "size");
  lua_pushnumber(L, (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9);
  lua_setfield(L, -2, "mtime");
  lua_pushstring(L, S_ISDIR(st.st_mode) ? "directory" : "file");
  lua_setfield(L, -2, "type");
  return 1;
}

static void
dir_close(void *d)
{
  closedir(d);
}

/* Sorted names in a directory (no "." or ".."). */
static int
lsys_list_dir(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  struct lh_box *box = lh_box(L, dir_close); /* pushing may raise */
  DIR *d = opendir(path);
  if (!d)
    return lh_fail(L, errno == ENOENT ? MLAB_ENOTFOUND : MLAB_ERROR,
                   "cannot list %s: %s", path, strerror(errno));
  box->p = d;
  lua_newtable(L);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      lua_pushstring(L, e->d_name);
      lua_rawseti(L, -2, ++n);
    }
  }
  lh_box_release(box); /* closedir */
  /* Sort through Lua to keep allocation on the Lua heap. */
  lua_getglobal(L, "table");
  lua_getfield(L, -1, "sort");
  lua_pushvalue(L, -3);
  lua_call(L, 1, 0);
  lua_pop(L, 1);
  return 1;
}

/* -- clocks, process ------------------------------------------------------ */

static int
lsys_now(lua_State *L)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + ts.tv_nsec / 1e9);
  return 1;
}

static int
lsys_mono(lua_State *L)
{
  lua_pushnumber(L, budget_now());
  return 1;
}

/* sys.sleep(s) -> true, or false when a signal cut it short.  While an
 * agent runs (the backoff of a model call) the wait is capped at the run's
 * time left, and a signal raises the run's stop, even inside run.critical:
 * the run is ending.  In slices, so a signal arriving just before a slice
 * starts waits one slice at most. */
static int
lsys_sleep(lua_State *L)
{
  double s = luaL_checknumber(L, 1);
  int agent = lh_run(L)->hooked;
  if (agent) {
    lh_budget_check(L);
    double left = budget_time_left(lh_budget(L));
    if (s > left)
      s = left;
  }
  const volatile sig_atomic_t *stop = lh_signal_flag();
  double end = budget_now() + s;
  for (double d = s; d > 0 && !*stop; d = end - budget_now()) {
    if (d > 0.25)
      d = 0.25;
    struct timespec ts = {.tv_sec = (time_t)d,
                          .tv_nsec = (long)((d - floor(d)) * 1e9)};
    nanosleep(&ts, NULL); /* EINTR: the loop looks at the flag */
  }
  if (agent) {
    lh_budget_check(L); /* a sleep cut short by the deadline ends here */
    if (*stop)
      return lh_budget_raise(L);
  }
  lua_pushboolean(L, !*stop);
  return 1;
}

static int
lsys_getenv(lua_State *L)
{
  lua_pushstring(L, getenv(luaL_checkstring(L, 1)));
  return 1;
}

static int
lsys_pid(lua_State *L)
{
  lua_pushinteger(L, getpid());
  return 1;
}

/* A zombie is dead for our purposes: a killed host whose parent has not
 * reaped it still answers kill(pid, 0). */
static int
lsys_alive(lua_State *L)
{
  pid_t pid = (pid_t)luaL_checkinteger(L, 1);
  int alive = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = alive ? open(path, O_RDONLY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    const char *paren = strrchr(buf, ')');
    if (paren && paren[1] == ' ' && paren[2] == 'Z')
      alive = 0;
  }
  lua_pushboolean(L, alive);
  return 1;
}

static int
lsys_random_hex(lua_State *L)
{
  int n = (int)luaL_optinteger(L, 1, 4);
  luaL_argcheck(L, n > 0 && n <= 32, 1, "1 to 32 bytes");
  unsigned char buf[32];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read(fd, buf, (size_t)n) != n) {
    if (fd >= 0)
      close(fd);
    return luaL_error(L, "cannot read /dev/urandom");
  }
  close(fd);
  char hex[65];
  for (int i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", buf[i]);
  lua_pushstring(L, hex);
  return 1;
}

static int
lsys_isatty(lua_State *L)
{
  lua_pushboolean(L, isatty((int)luaL_optinteger(L, 1, 1)));
  return 1;
}

static int
lsys_ncpu(lua_State *L)
{
  cpu_set_t set;
  long n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                      : sysconf(_SC_NPROCESSORS_ONLN);
  lua_pushinteger(L, n > 0 ? n : 1);
  return 1;
}

static const luaL_Reg sys_funcs[] = {
    {"mkdir_p", lsys_mkdir_p},
    {"read", lsys_read},
    {"write_atomic", lsys_write_atomic},
    {"append", lsys_append},
    {"copy_tree", lsys_copy_tree},
    {"remove_tree", lsys_remove_tree},
    {"stat", lsys_stat},
    {"list_dir", lsys_list_dir},
    {"now", lsys_now},
    {"mono", lsys_mono},
    {"sleep", lsys_sleep},
    {"getenv", lsys_getenv},
    {"pid", lsys_pid},
    {"alive", lsys_alive},
    {"random_hex", lsys_random_hex},
    {"isatty", lsys_isatty},
    {"ncpu", lsys_ncpu},
    {NULL, NULL}};

int
luaopen_mlab_sys(lua_State *L)
{
  luaL_newlib(L, sys_funcs);
  return 1;
}
