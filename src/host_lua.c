/* host_lua.c - "mlab.host": what the trusted run glue (lua/) needs from C:
 * the run's budgets, the protected agent call, durable files and clocks.
 * Agents never see this module; the sandbox does not resolve "mlab.*". */
#include "budget.h"
#include "error.h"
#include "fsutil.h"
#include "luahost.h"

#include <lauxlib.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* -- budgets ------------------------------------------------------------ */

static double
opt_field(lua_State *L, const char *key, double dflt)
{
  lua_getfield(L, 1, key);
  double v = luaL_optnumber(L, -1, dflt);
  lua_pop(L, 1);
  /* In range for the long and size_t it becomes (else undefined). */
  return v >= 0 ? (v < 1e12 ? v : 1e12) : 0;
}

static int
lhost_budget_set(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  struct budget *b = lh_budget(L);
  b->max_steps = (long)opt_field(L, "steps", (double)b->max_steps);
  b->max_time_s = opt_field(L, "time", b->max_time_s);
  b->max_tokens = (long)opt_field(L, "tokens", (double)b->max_tokens);
  b->max_mem = (size_t)(opt_field(L, "mem_mb", (double)b->max_mem / 1048576.0) *
                        1048576.0);
  return 0;
}

static int
lhost_budget_start(lua_State *L)
{
  budget_start(lh_budget(L));
  return 0;
}

static void
setnum(lua_State *L, const char *k, double v)
{
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static int
lhost_budget(lua_State *L)
{
  struct budget *b = lh_budget(L);
  lua_createtable(L, 0, 12);
  lua_pushinteger(L, b->steps);
  lua_setfield(L, -2, "steps");
  lua_pushinteger(L, b->tokens);
  lua_setfield(L, -2, "tokens");
  lua_pushinteger(L, b->max_steps);
  lua_setfield(L, -2, "max_steps");
  lua_pushinteger(L, b->max_tokens);
  lua_setfield(L, -2, "max_tokens");
  setnum(L, "max_time", b->max_time_s);
  setnum(L, "max_mem_mb", (double)b->max_mem / 1048576.0);
  setnum(L, "mem_mb", (double)b->mem / 1048576.0);
  setnum(L, "elapsed", budget_now() - b->started);
  double left = budget_time_left(b);
  if (!isinf(left))
    setnum(L, "time_left", left);
  lua_pushboolean(L, b->exhausted);
  lua_setfield(L, -2, "exhausted");
  if (b->exhausted) {
    lua_pushstring(L, b->kind);
    lua_setfield(L, -2, "kind");
  }
  return 1;
}

/* Takes one step or raises the budget error: returns the step number. */
static int
lhost_take_step(lua_State *L)
{
  lh_budget_check(L);
  struct budget *b = lh_budget(L);
  if (budget_take_step(b) != 0)
    return lh_budget_raise(L);
  lua_pushinteger(L, b->steps);
  return 1;
}

static int
lhost_time_left(lua_State *L)
{
  lua_pushnumber(L, budget_time_left(lh_budget(L)));
  return 1;
}

static int
lhost_tokens_allow(lua_State *L)
{
  lua_Integer n = luaL_checkinteger(L, 1);
  if (budget_tokens_allow(lh_budget(L), (long)n) != 0)
    return lh_failerr(L, MLAB_EBUDGET);
  lua_pushboolean(L, 1);
  return 1;
}

/* Provider usage arrives as a float from JSON: clamp before converting,
 * so 1e300 or -5 cannot wrap or lower the count. */
static int
lhost_tokens_add(lua_State *L)
{
  lua_Number n = luaL_checknumber(L, 1);
  long v = !(n > 0) ? 0 : n >= (lua_Number)LONG_MAX ? LONG_MAX : (long)n;
  budget_tokens_add(lh_budget(L), v);
  return 0;
}

static int
lhost_tokens_since_mark(lua_State *L)
{
  lua_pushinteger(L, budget_tokens_since_mark(lh_budget(L)));
  return 1;
}

/* host.stop(kind): the run must end (see budget.h for the kinds); agent
 * code dies at its next instruction or primitive. */
static int
lhost_stop(lua_State *L)
{
  lh_stop(L, luaL_checkstring(L, 1));
  return 0;
}

/* -- calling agent code ------------------------------------------------- */

static const char *const status_names[] = {"ok", "error", "budget", "memory"};

/* host.call_agent(fn, ...) -> "ok"|"error"|"budget"|"memory", message
 * Runs fn with the deadline hook armed and the heap capped; afterwards
 * both are lifted so the host can finish the run (evaluate, record). */
static int
lhost_call_agent(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TFUNCTION);
  struct budget *b = lh_budget(L);
  size_t cap = b->max_mem;
  int nargs = lua_gettop(L) - 1;
  struct lh_box *box = lh_box(L, free); /* holds msg while it is pushed */
  lua_insert(L, 1);                     /* [box, fn, args...] */
  char *msg = NULL;
  lh_hook_arm(L);
  enum lh_status st = lh_pcall(L, nargs, 0, &msg);
  box->p = msg;
  lh_hook_disarm(L);
  b->max_mem = 0;
  lua_gc(L, LUA_GCCOLLECT);
  if (st == LH_ERRMEM)
    budget_exhaust(b, "memory");
  /* Still uncapped: what the collection's finalizers allocated must not
   * turn the agent's outcome into a memory error raised here. */
  lua_pushstring(L, status_names[st]);
  if (msg)
    lua_pushstring(L, msg);
  else
    lua_pushnil(L);
  lh_box_release(box);
  b->max_mem = cap;
  return 2;
}

/* host.critical(fn, ...): runs fn while the hook does not raise and the
 * heap is not capped, so recording a step is never cut in half; re-raises
 * errors.  fn must be host code only: agent code run here would run
 * outside its budget (lua/step.lua copies agent values before it). */
static int
lhost_critical(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TFUNCTION);
  struct lh_run *run = lh_run(L);
  run->critical++;
  int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  run->critical--;
  if (rc != LUA_OK)
    return lua_error(L);
  return lua_gettop(L);
}

/* host.step(fn, after, agent_code) -> after's results
 * Runs fn() protected, then after(ok, ...) with fn's results (or its
 * error), the record of a step.  after always runs inside host.critical,
 * entered in C the moment fn returns, so no hook can fire between the two
 * and a step that ran is always recorded.  fn runs inside host.critical
 * too unless agent_code is true (an action written by the agent, which
 * must stay under the budget); host code in fn is bounded on its own
 * (scripts and model calls are capped at the time left).  Errors of after
 * are re-raised. */
static int
lhost_step(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  int agent_code = lua_toboolean(L, 3);
  struct lh_run *run = lh_run(L);
  lua_settop(L, 2);
  lua_pushvalue(L, 2); /* [fn, after, after] */
  lua_pushvalue(L, 1); /* [fn, after, after, fn] */
  if (!agent_code)
    run->critical++;
  int rc = lua_pcall(L, 0, 3, 0);
  if (agent_code)
    run->critical++;
  /* [fn, after, after, v, obs, extra] or [fn, after, after, err] */
  lua_pushboolean(L, rc == LUA_OK);
  lua_insert(L, 4);
  rc = lua_pcall(L, lua_gettop(L) - 3, LUA_MULTRET, 0);
  run->critical--;
  if (rc != LUA_OK)
    return lua_error(L);
  return lua_gettop(L) - 2;
}

static int
sealed_newindex(lua_State *L)
{
  return luaL_error(L, "%s is read-only", luaL_typename(L, 1));
}

/* host.seal(methods, name): a userdata whose only door is methods (its
 * __index).  Agents get capabilities this way: no field to set, nothing to
 * walk with pairs, no metatable to swap, no rawset. */
static int
lhost_seal(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  const char *name = luaL_checkstring(L, 2);
  lua_newuserdatauv(L, 0, 0);
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, sealed_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__name");
  lua_pushstring(L, name);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  return 1;
}

/* -- files ---------------------------------------------------------------- */

static int
lhost_mkdir_p(lua_State *L)
{
  return lh_result(L, fsu_mkdir_p(luaL_checkstring(L, 1)));
}

static int
lhost_read(lua_State *L)
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
lhost_write_atomic(lua_State *L)
{
  size_t len;
  const char *path = luaL_checkstring(L, 1);
  const char *data = luaL_checklstring(L, 2, &len);
  return lh_result(L, fsu_write_atomic(path, data, len));
}

/* host.append(path, data [, sync]): sync defaults to true; false leaves
 * the flush to the caller (a step ends with one snap:sync). */
static int
lhost_append(lua_State *L)
{
  size_t len;
  const char *path = luaL_checkstring(L, 1);
  const char *data = luaL_checklstring(L, 2, &len);
  int sync = lua_isnoneornil(L, 3) || lua_toboolean(L, 3);
  return lh_result(L, sync ? fsu_append(path, data, len)
                           : fsu_append_nosync(path, data, len));
}

static int
lhost_copy_tree(lua_State *L)
{
  return lh_result(
      L, fsu_copy_tree(luaL_checkstring(L, 1), luaL_checkstring(L, 2)));
}

static int
lhost_remove_tree(lua_State *L)
{
  return lh_result(L, fsu_remove_tree(luaL_checkstring(L, 1)));
}

static int
lhost_stat(lua_State *L)
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
lhost_list_dir(lua_State *L)
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
lhost_now(lua_State *L)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + ts.tv_nsec / 1e9);
  return 1;
}

static int
lhost_mono(lua_State *L)
{
  lua_pushnumber(L, budget_now());
  return 1;
}

static int
lhost_sleep(lua_State *L)
{
  double s = luaL_checknumber(L, 1);
  double left = budget_time_left(lh_budget(L));
  if (lh_run(L)->hooked && s > left)
    s = left;
  if (s > 0) {
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
      ;
  }
  lh_budget_check(L);
  return 0;
}

static int
lhost_getenv(lua_State *L)
{
  lua_pushstring(L, getenv(luaL_checkstring(L, 1)));
  return 1;
}

static int
lhost_pid(lua_State *L)
{
  lua_pushinteger(L, getpid());
  return 1;
}

/* A zombie is dead for our purposes: a killed host whose parent has not
 * reaped it still answers kill(pid, 0). */
static int
lhost_alive(lua_State *L)
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
lhost_random_hex(lua_State *L)
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
lhost_isatty(lua_State *L)
{
  lua_pushboolean(L, isatty((int)luaL_optinteger(L, 1, 1)));
  return 1;
}

static const luaL_Reg host_funcs[] = {
    {"budget_set", lhost_budget_set},
    {"budget_start", lhost_budget_start},
    {"budget", lhost_budget},
    {"take_step", lhost_take_step},
    {"time_left", lhost_time_left},
    {"tokens_allow", lhost_tokens_allow},
    {"tokens_add", lhost_tokens_add},
    {"tokens_since_mark", lhost_tokens_since_mark},
    {"stop", lhost_stop},
    {"call_agent", lhost_call_agent},
    {"critical", lhost_critical},
    {"seal", lhost_seal},
    {"step", lhost_step},
    {"mkdir_p", lhost_mkdir_p},
    {"read", lhost_read},
    {"write_atomic", lhost_write_atomic},
    {"append", lhost_append},
    {"copy_tree", lhost_copy_tree},
    {"remove_tree", lhost_remove_tree},
    {"stat", lhost_stat},
    {"list_dir", lhost_list_dir},
    {"now", lhost_now},
    {"mono", lhost_mono},
    {"sleep", lhost_sleep},
    {"getenv", lhost_getenv},
    {"pid", lhost_pid},
    {"alive", lhost_alive},
    {"random_hex", lhost_random_hex},
    {"isatty", lhost_isatty},
    {NULL, NULL}};

int
luaopen_mlab_host(lua_State *L)
{
  luaL_newlib(L, host_funcs);
  return 1;
}
