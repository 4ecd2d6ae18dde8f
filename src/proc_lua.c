/* proc_lua.c - "mlab.proc": background children for host Lua (the sweep's
 * process pool).  Agents never see it.
 *
 *   local proc = require("mlab.proc")
 *   local p, err = proc.spawn{ argv = {...}, env = { NAME = "v" | false },
 *                              cwd = dir, out = path, group = true }
 *   p:pid()                  -- the child's pid
 *   p:poll()                 -- nil while it runs; after: { status, signal,
 *                               cpu_self, cpu_children } (CPU seconds of
 *                               the child, and of what it waited for)
 *   p:kill("INT" [, group])  -- INT TERM KILL HUP USR1 USR2 QUIT CONT STOP
 *   proc.wait({p1, p2, ...}, timeout_s) -- index of one that ended, or nil
 *                               (timeout, or a signal reached mlab)
 *   proc.signalled()         -- the last signal mlab caught (INT, TERM,
 *                               HUP, USR1) as a name, or nil
 *   proc.setenv(name, value|nil), proc.exe() -- /proc/self/exe
 *   proc.cpu()               -- CPU seconds of mlab itself (user + system)
 *
 * env adds to (or, with false, removes from) mlab's own environment. */
#include "error.h"
#include "luahost.h"
#include "proc.h"

#include <lauxlib.h>

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

extern char **environ;

#define PROC_T "mlab.proc"

static const struct {
  const char *name;
  int sig;
} signals[] = {{"INT", SIGINT},   {"TERM", SIGTERM}, {"KILL", SIGKILL},
               {"HUP", SIGHUP},   {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
               {"QUIT", SIGQUIT}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
               {NULL, 0}};

static struct proc *
checkproc(lua_State *L, int i)
{
  return luaL_checkudata(L, i, PROC_T);
}

/* A NULL-terminated array of the strings of t[1..n]; borrowed from Lua
 * (t must stay on the stack); *out malloc'd. */
static int
string_list(lua_State *L, int t, const char ***out)
{
  size_t n = lua_rawlen(L, t);
  const char **v = calloc(n + 1, sizeof *v);
  if (!v)
    return 0;
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, t, (lua_Integer)i + 1);
    v[i] = lua_tostring(L, -1); /* anchored by t when a string */
    lua_pop(L, 1);
    if (!v[i]) {
      free(v);
      return -1;
    }
  }
  *out = v;
  return 1;
}

static int
overridden(lua_State *L, int envt, const char *entry)
{
  const char *eq = strchr(entry, '=');
  if (!eq)
    return 0;
  lua_pushlstring(L, entry, (size_t)(eq - entry));
  int t = lua_rawget(L, envt);
  lua_pop(L, 1);
  return t != LUA_TNIL;
}

/* environ without the names of envt, then envt's string values as
 * NAME=value (pushed on the stack, one table at top, to anchor them). */
static const char **
build_env(lua_State *L, int envt)
{
  size_t n = 0;
  while (environ[n])
    n++;
  lua_newtable(L); /* anchors the NAME=value strings */
  int anchor = lua_gettop(L);
  size_t extra = 0;
  lua_pushnil(L);
  while (lua_next(L, envt)) {
    extra++;
    lua_pop(L, 1);
  }
  const char **v = calloc(n + extra + 1, sizeof *v);
  if (!v)
    return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!overridden(L, envt, environ[i]))
      v[k++] = environ[i];
  int a = 0;
  lua_pushnil(L);
  while (lua_next(L, envt)) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
      lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
      v[k++] = lua_tostring(L, -1);
      lua_rawseti(L, anchor, ++a);
    }
    lua_pop(L, 1);
  }
  v[k] = NULL;
  return v;
}

static const char *
opt_string(lua_State *L, int t, const char *key)
{
  lua_getfield(L, t, key);
  const char *s = luaL_optstring(L, -1, NULL);
  lua_pop(L, 1); /* kept alive by t */
  return s;
}

static int
lproc_spawn(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  struct proc_opts o = {0};
  o.cwd = opt_string(L, 1, "cwd");
  o.out_path = opt_string(L, 1, "out");
  lua_getfield(L, 1, "group");
  o.new_group = lua_toboolean(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, 1, "argv"); /* [opts, argv] */
  luaL_argcheck(L, lua_istable(L, 2) && lua_rawlen(L, 2) > 0, 1,
                "argv must be a non-empty list of strings");
  lua_getfield(L, 1, "env"); /* [opts, argv, env] */
  if (!lua_isnil(L, 3))
    luaL_checktype(L, 3, LUA_TTABLE);
  struct proc *p = lua_newuserdatauv(L, sizeof *p, 0); /* [.., p] */
  memset(p, 0, sizeof *p);
  p->pid = -1;
  p->pidfd = -1;
  luaL_setmetatable(L, PROC_T);

  const char **argv = NULL, **envp = NULL;
  int r = string_list(L, 2, &argv);
  if (r <= 0)
    return luaL_argerror(
        L, 1, r < 0 ? "argv must hold strings only" : "no memory for argv");
  if (lua_istable(L, 3)) {
    envp = build_env(L, 3); /* [.., p, anchor] */
    if (!envp) {
      free(argv);
      return luaL_error(L, "proc: no memory for the environment");
    }
  }
  o.argv = argv;
  o.envp = envp;
  int error = proc_spawn(p, &o);
  free(argv);
  free(envp);
  if (error)
    return lh_failerr(L, error);
  lua_pushvalue(L, 4);
  return 1;
}

static int
lproc_pid(lua_State *L)
{
  lua_pushinteger(L, checkproc(L, 1)->pid);
  return 1;
}

static void
push_status(lua_State *L, const struct proc *p)
{
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, p->status);
  lua_setfield(L, -2, "status");
  lua_pushinteger(L, p->signal);
  lua_setfield(L, -2, "signal");
  lua_pushnumber(L, p->cpu_self);
  lua_setfield(L, -2, "cpu_self");
  lua_pushnumber(L, p->cpu_children);
  lua_setfield(L, -2, "cpu_children");
}

static int
lproc_poll(lua_State *L)
{
  struct proc *p = checkproc(L, 1);
  int r = proc_poll(p);
  if (r < 0)
    return lh_failerr(L, r);
  if (r == 0) {
    lua_pushnil(L);
    return 1;
  }
  push_status(L, p);
  return 1;
}

static int
signal_arg(lua_State *L, int i)
{
  if (lua_type(L, i) == LUA_TNUMBER)
    return (int)luaL_checkinteger(L, i);
  const char *name = luaL_checkstring(L, i);
  if (strncmp(name, "SIG", 3) == 0)
    name += 3;
  for (int k = 0; signals[k].name; k++)
    if (strcmp(signals[k].name, name) == 0)
      return signals[k].sig;
  return luaL_argerror(L, i, "unknown signal name");
}

static int
lproc_kill(lua_State *L)
{
  struct proc *p = checkproc(L, 1);
  int sig = signal_arg(L, 2);
  return lh_result(L, proc_signal(p, sig, lua_toboolean(L, 3)));
}

static int
lproc_gc(lua_State *L)
{
  proc_release(checkproc(L, 1));
  return 0;
}

static int
lproc_wait(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  double timeout = luaL_optnumber(L, 2, -1);
  size_t n = lua_rawlen(L, 1);
  struct proc **ps = n ? calloc(n, sizeof *ps) : NULL;
  if (n && !ps)
    return luaL_error(L, "proc: no memory to wait for %d children", (int)n);
  for (size_t i = 0; i < n; i++) {
    lua_rawgeti(L, 1, (lua_Integer)i + 1);
    ps[i] = luaL_testudata(L, -1, PROC_T); /* anchored by the list */
    lua_pop(L, 1);
    if (!ps[i]) {
      free(ps);
      return luaL_argerror(L, 1, "a list of children from proc.spawn");
    }
  }
  size_t idx = n;
  int error = n ? proc_wait_any(&idx, ps, n, timeout) : 0;
  free(ps);
  if (error)
    return lh_failerr(L, error);
  if (idx >= n) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)idx + 1);
  return 1;
}

static int
lproc_signalled(lua_State *L)
{
  int sig = lh_signalled();
  for (int k = 0; sig && signals[k].name; k++) {
    if (signals[k].sig == sig) {
      lua_pushstring(L, signals[k].name);
      return 1;
    }
  }
  if (sig)
    lua_pushinteger(L, sig);
  else
    lua_pushnil(L);
  return 1;
}

static int
lproc_setenv(lua_State *L)
{
  const char *name = luaL_checkstring(L, 1);
  const char *value = luaL_optstring(L, 2, NULL);
  luaL_argcheck(L, *name && !strchr(name, '='), 1, "a variable name");
  int r = value ? setenv(name, value, 1) : unsetenv(name);
  if (r != 0)
    return lh_fail(L, MLAB_ERROR, "cannot set %s", name);
  lua_pushboolean(L, 1);
  return 1;
}

static int
lproc_cpu(lua_State *L)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  lua_pushnumber(L, (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                        (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
  return 1;
}

static int
lproc_exe(lua_State *L)
{
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return lh_fail(L, MLAB_ENOTFOUND, "cannot read /proc/self/exe");
  lua_pushlstring(L, buf, (size_t)n);
  return 1;
}

static const luaL_Reg proc_methods[] = {{"pid", lproc_pid},
                                        {"poll", lproc_poll},
                                        {"kill", lproc_kill},
                                        {NULL, NULL}};

static const luaL_Reg proc_funcs[] = {{"spawn", lproc_spawn},
                                      {"wait", lproc_wait},
                                      {"signalled", lproc_signalled},
                                      {"setenv", lproc_setenv},
                                      {"exe", lproc_exe},
                                      {"cpu", lproc_cpu},
                                      {NULL, NULL}};

int
luaopen_mlab_proc(lua_State *L)
{
  if (luaL_newmetatable(L, PROC_T)) {
    luaL_newlib(L, proc_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, lproc_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  luaL_newlib(L, proc_funcs);
  return 1;
}
