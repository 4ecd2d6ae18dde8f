/* exec_lua.c - "mlab.exec": run a program under limits.
 *
 *   exec.run{ argv = {...}, cwd = dir, timeout = s, mem_mb = n, procs = n,
 *             out_cap = bytes, sandbox = bool, hide = {paths} }
 *   -> { status, signal, timed_out, deadline, cancelled, output,
 *        truncated, total, duration }   or nil, message, code
 * A SIGINT/SIGTERM to mlab kills the script too (cancelled).
 * The timeout is capped at the run's time left; `deadline` says the run's
 * deadline (not the script's own timeout) stopped it.
 */
#include "error.h"
#include "exec.h"
#include "luahost.h"

#include <lauxlib.h>
#include <stdlib.h>

#define EXEC_MAX_ARGS 64

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
  o.mem_bytes = (size_t)(count_field(L, 1, "mem_mb", 1e12) * 1024 * 1024);
  o.max_procs = (int)count_field(L, 1, "procs", 1e9);
  o.out_cap = (size_t)count_field(L, 1, "out_cap", 1e15);
  lua_getfield(L, 1, "sandbox");
  o.sandbox = lua_toboolean(L, -1);
  lua_pop(L, 1);

  int capped = 0;
  if (lh_run(L)->hooked) {
    double left = budget_time_left(lh_budget(L));
    if (o.timeout_s <= 0 || left < o.timeout_s) {
      o.timeout_s = left > 0.01 ? left : 0.01;
      capped = 1;
    }
  }
  o.envp = exec_default_env(o.cwd);
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
  lua_createtable(L, 0, 9);
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
  lua_pushinteger(L, (lua_Integer)r.total);
  lua_setfield(L, -2, "total");
  lua_pushnumber(L, r.duration_s);
  lua_setfield(L, -2, "duration");
  lh_box_release(box); /* r.output */
  return 1;
}

static int
lexec_has_sandbox(lua_State *L)
{
  lua_pushboolean(L, exec_has_bwrap());
  return 1;
}

static const luaL_Reg exec_funcs[] = {
    {"run", lexec_run}, {"has_sandbox", lexec_has_sandbox}, {NULL, NULL}};

int
luaopen_mlab_exec(lua_State *L)
{
  luaL_newlib(L, exec_funcs);
  return 1;
}
