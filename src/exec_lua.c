/* exec_lua.c - "mlab.exec": run a program under limits.
 *
 *   exec.run{ argv = {...}, cwd = dir, timeout = s, mem_mb = n, procs = n,
 *             fsize_mb = n, disk_mb = n, out_cap = bytes, sandbox = bool,
 *             unconfined = bool, hide = {paths} }
 *   -> { status, signal, timed_out, deadline, cancelled, disk_exceeded,
 *        confined, output, truncated, total, duration }
 *      or nil, message, code
 *   exec.confinement() -> { ok, user_ns, uid, caps = "none", pids =
 *        "cgroup"|"rlimit"|nil, fsize_mb, disk_mb, workspace = "/workspace",
 *        home = "/tmp", drops_root, reason }   (what sandbox = true gives)
 *   exec.disk_usage(dir) -> { bytes, apparent, files } or nil, message, code
 *   exec.copy_plain(src, dst, max_mb) -> true, skipped: a copy of the tree
 *        with folders and single-name regular files up to max_mb only
 *   exec.lock(path [, timeout_s]) -> lock (lock:unlock(), also on __gc and
 *        __close) or nil, message, code; waits for ever without a timeout
 *   exec.has_sandbox() -> true (sandbox = true always confines or fails)
 *
 * sandbox = true confines the script (see exec.h) or fails with a message
 * when this machine cannot, unless unconfined = true.  Sandboxed runs get
 * fsize_mb and disk_mb defaults (MLAB_DISK_MB in the environment, else
 * DEFAULT_DISK_MB): no file above it, the workspace killed past it.
 * A SIGINT/SIGTERM to mlab kills the script too (cancelled).
 * The timeout is capped at the run's time left; `deadline` says the run's
 * deadline (not the script's own timeout) stopped it.
 */
#include "error.h"
#include "exec.h"
#include "fsutil.h"
#include "luahost.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <unistd.h>

#define EXEC_MAX_ARGS 64
#define DEFAULT_DISK_MB 4096
#define LOCK_META "mlab.exec.lock"

static int
strings_field(lua_State *L, int t, const char *key, const char **out, int max)
{
  int n = 0;
  if (lua_getfield(L, t, key) == LUA_TTABLE) {
    int len = (int)luaL_len(L, -1);
    luaL_argcheck(L, len < max, 1, "too many strings");
    for (int i = 1; i <= len; i++) {
      /* Strings only: a number converted here would live on the stack
       * alone and be collected once popped. */
      if (lua_rawgeti(L, -1, i) != LUA_TSTRING)
        luaL_argerror(L, 1, lua_pushfstring(L, "%s must hold strings", key));
      out[n++] = lua_tostring(L, -1);
      /* The strings stay reachable from the table argument. */
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  out[n] = NULL;
  return n;
}

static double
num_field(lua_State *L, int t, const char *key, double dflt)
{
  lua_getfield(L, t, key);
  double v = luaL_optnumber(L, -1, dflt);
  lua_pop(L, 1);
  return v;
}

/* A count for a size_t or int field: >= 0 (else an argument error), at
 * most max (converting a larger double is undefined behaviour). */
static double
count_field(lua_State *L, int t, const char *key, double max)
{
  double v = num_field(L, t, key, 0);
  if (!(v >= 0))
    luaL_argerror(L, 1, lua_pushfstring(L, "%s must be a number >= 0", key));
  return v < max ? v : max;
}

static int
bool_field(lua_State *L, int t, const char *key)
{
  lua_getfield(L, t, key);
  int v = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* The disk cap of sandboxed runs, in MB. */
static double
default_disk_mb(void)
{
  const char *s = getenv("MLAB_DISK_MB");
  double v = s && *s ? atof(s) : 0;
  return v > 0 ? v : DEFAULT_DISK_MB;
}

/* Bytes of v MB; capped, as converting a larger double is undefined. */
static size_t
mb(double v)
{
  return v > 0 ? (size_t)((v < 1e12 ? v : 1e12) * 1024 * 1024) : 0;
}

static int
lexec_run(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lh_budget_check(L);
  const char *argv[EXEC_MAX_ARGS + 1], *hide[EXEC_MAX_ARGS + 1];
  int argc = strings_field(L, 1, "argv", argv, EXEC_MAX_ARGS);
  luaL_argcheck(L, argc > 0, 1, "argv must be a non-empty list of strings");
  strings_field(L, 1, "hide", hide, EXEC_MAX_ARGS);

  struct exec_opts o = {0};
  o.argv = argv;
  o.hide = hide;
  lua_getfield(L, 1, "cwd");
  o.cwd = luaL_checkstring(L, -1);
  lua_pop(L, 1);
  o.timeout_s = num_field(L, 1, "timeout", 0);
  o.mem_bytes = mb(count_field(L, 1, "mem_mb", 1e12));
  o.max_procs = (int)count_field(L, 1, "procs", 1e9);
  o.out_cap = (size_t)count_field(L, 1, "out_cap", 1e15);
  o.sandbox = bool_field(L, 1, "sandbox");
  o.unconfined = bool_field(L, 1, "unconfined");
  double disk = num_field(L, 1, "disk_mb", o.sandbox ? default_disk_mb() : 0);
  o.disk_bytes = mb(disk);
  o.fsize_bytes = mb(num_field(L, 1, "fsize_mb", disk));

  int capped = 0;
  if (lh_run(L)->hooked) {
    double left = budget_time_left(lh_budget(L));
    if (o.timeout_s <= 0 || left < o.timeout_s) {
      o.timeout_s = left > 0.01 ? left : 0.01;
      capped = 1;
    }
  }
  /* Sandboxed: HOME is the sandbox's own (exec.h); else the folder. */
  o.envp = exec_default_env(o.sandbox ? NULL : o.cwd);
  /* Only the agent's scripts: the host's own (evaluate) must still run
   * after a signal, to record the killed run's score. */
  if (lh_run(L)->hooked)
    o.cancel = lh_signal_flag();

  struct lh_box *box = lh_box(L, free); /* pushing may raise */
  struct exec_result r;
  int error = exec_run(&r, &o);
  if (error)
    return lh_failerr(L, error);
  box->p = r.output;
  lua_createtable(L, 0, 11);
  lua_pushinteger(L, r.status);
  lua_setfield(L, -2, "status");
  lua_pushinteger(L, r.signal);
  lua_setfield(L, -2, "signal");
  lua_pushboolean(L, r.timed_out);
  lua_setfield(L, -2, "timed_out");
  lua_pushboolean(L, r.timed_out && capped);
  lua_setfield(L, -2, "deadline");
  lua_pushlstring(L, r.output ? r.output : "", r.len);
  lua_setfield(L, -2, "output");
  lua_pushboolean(L, r.truncated);
  lua_setfield(L, -2, "truncated");
  lua_pushboolean(L, r.cancelled);
  lua_setfield(L, -2, "cancelled");
  lua_pushboolean(L, r.disk_exceeded);
  lua_setfield(L, -2, "disk_exceeded");
  lua_pushboolean(L, r.confined);
  lua_setfield(L, -2, "confined");
  lua_pushinteger(L, (lua_Integer)r.total);
  lua_setfield(L, -2, "total");
  lua_pushnumber(L, r.duration_s);
  lua_setfield(L, -2, "duration");
  lh_box_release(box); /* r.output */
  return 1;
}

static int
lexec_confinement(lua_State *L)
{
  const struct exec_confinement *c = exec_confinement();
  lua_createtable(L, 0, 11);
  lua_pushboolean(L, c->ok);
  lua_setfield(L, -2, "ok");
  lua_pushboolean(L, c->user_ns);
  lua_setfield(L, -2, "user_ns");
  lua_pushinteger(L, c->uid);
  lua_setfield(L, -2, "uid");
  lua_pushboolean(L, c->drops_root);
  lua_setfield(L, -2, "drops_root");
  if (c->ok) {
    lua_pushstring(L, "none");
    lua_setfield(L, -2, "caps");
    lua_pushstring(L, c->pids);
    lua_setfield(L, -2, "pids");
    lua_pushstring(L, EXEC_WORKSPACE);
    lua_setfield(L, -2, "workspace");
    lua_pushstring(L, EXEC_HOME);
    lua_setfield(L, -2, "home");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "network_off");
  } else {
    lua_pushstring(L, c->reason);
    lua_setfield(L, -2, "reason");
  }
  lua_pushinteger(L, (lua_Integer)default_disk_mb());
  lua_setfield(L, -2, "fsize_mb");
  lua_pushinteger(L, (lua_Integer)default_disk_mb());
  lua_setfield(L, -2, "disk_mb");
  return 1;
}

static int
lexec_disk_usage(lua_State *L)
{
  const char *dir = luaL_checkstring(L, 1);
  lh_budget_check(L);
  uint64_t bytes = 0, apparent = 0, files = 0;
  int error = exec_disk_usage(dir, &bytes, &apparent, &files, 0);
  if (error)
    return lh_failerr(L, error);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)bytes);
  lua_setfield(L, -2, "bytes");
  lua_pushinteger(L, (lua_Integer)apparent);
  lua_setfield(L, -2, "apparent");
  lua_pushinteger(L, (lua_Integer)files);
  lua_setfield(L, -2, "files");
  return 1;
}

static int
lexec_copy_plain(lua_State *L)
{
  const char *src = luaL_checkstring(L, 1);
  const char *dst = luaL_checkstring(L, 2);
  double max_mb = luaL_checknumber(L, 3);
  lh_budget_check(L);
  uint64_t skipped = 0;
  int error = exec_copy_plain(src, dst, mb(max_mb), &skipped);
  if (error)
    return lh_failerr(L, error);
  lua_pushboolean(L, 1);
  lua_pushinteger(L, (lua_Integer)skipped);
  return 2;
}

static int
lexec_has_sandbox(lua_State *L)
{
  lua_pushboolean(L, 1);
  return 1;
}

/* A lock is a userdata holding the fd (-1 once released). */
static int
llock_unlock(lua_State *L)
{
  int *fd = luaL_checkudata(L, 1, LOCK_META);
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
  return 0;
}

static int
lexec_lock(lua_State *L)
{
  const char *path = luaL_checkstring(L, 1);
  double timeout = luaL_optnumber(L, 2, -1);
  int *fd = lua_newuserdatauv(L, sizeof *fd, 0);
  *fd = -1;
  luaL_setmetatable(L, LOCK_META);
  int error = fsu_lock(fd, path, timeout);
  if (error)
    return lh_failerr(L, error);
  return 1;
}

static const luaL_Reg lock_methods[] = {{"unlock", llock_unlock}, {NULL, NULL}};

static const luaL_Reg exec_funcs[] = {{"run", lexec_run},
                                      {"has_sandbox", lexec_has_sandbox},
                                      {"confinement", lexec_confinement},
                                      {"disk_usage", lexec_disk_usage},
                                      {"copy_plain", lexec_copy_plain},
                                      {"lock", lexec_lock},
                                      {NULL, NULL}};

int
luaopen_mlab_exec(lua_State *L)
{
  if (luaL_newmetatable(L, LOCK_META)) {
    luaL_newlib(L, lock_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, llock_unlock);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, llock_unlock);
    lua_setfield(L, -2, "__close");
    lua_pushliteral(L, "mlab.exec.lock");
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  luaL_newlib(L, exec_funcs);
  return 1;
}
