/* luahost.c - the Lua state of a run: allocator, libraries, preloads,
 * the deadline hook and the one protected call; see luahost.h. */
#include "luahost.h"
#include "error.h"
#include "pattern.h"

#include <lauxlib.h>
#include <lua-cjson.h>

/* Exported by liblua5.4-cjson but not declared in its header. */
int luaopen_cjson_safe(lua_State *L);
#include <lualib.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_COUNT 10000

/* SIGINT/SIGTERM ask the run to stop; the hook turns that into the budget
 * kind "killed", so the run ends cleanly with the workspace recorded. */
static volatile sig_atomic_t signalled;

static void
on_signal(int sig)
{
  signalled = sig;
}

void
lh_signals_install(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  /* Slurm's --signal=B:USR1@T warns a job before its time limit. */
  sigaction(SIGUSR1, &sa, NULL);
  /* A closed stdout/stderr (mlab run | head) must not kill a run midway:
   * the write fails instead. */
  sa.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &sa, NULL);
}

int
lh_signalled(void)
{
  return signalled;
}

const volatile sig_atomic_t *
lh_signal_flag(void)
{
  return &signalled;
}

static const luaL_Reg preloads[] = {
    {"mlab.ws", luaopen_mlab_ws},       {"mlab.exec", luaopen_mlab_exec},
    {"mlab.snap", luaopen_mlab_snap},   {"mlab.run", luaopen_mlab_run},
    {"mlab.budget", luaopen_mlab_budget}, {"mlab.sys", luaopen_mlab_sys},
    {"mlab.http", luaopen_mlab_http},   {"cjson", luaopen_cjson},
    {"mlab.proc", luaopen_mlab_proc},
    {"cjson.safe", luaopen_cjson_safe}, {NULL, NULL}};

/* Counts the heap and refuses growth past max_mem.  Frees and shrinks never
 * fail (Lua relies on that); refusing makes Lua collect, then raise
 * LUA_ERRMEM. */
static void *
lh_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
  struct lh_run *run = ud;
  struct budget *b = &run->budget;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    b->mem -= old;
    return NULL;
  }
  if (b->max_mem && !run->critical && nsize > old &&
      b->mem + (nsize - old) > b->max_mem) {
    budget_exhaust(b, "memory");
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (p)
    b->mem = b->mem - old + nsize;
  return p;
}

lua_State *
lh_new(struct lh_run *run)
{
  lua_State *L = lua_newstate(lh_alloc, run);
  if (!L)
    return NULL;
  *(struct lh_run **)lua_getextraspace(L) = run;
  luaL_openlibs(L);

  /* string.find/match/gmatch/gsub on the run's budget (pattern.h): the C
   * matcher of the stock library never meets the hook.  The string table
   * is also the strings' __index, so ("x"):find() follows. */
  lua_pushcfunction(L, luaopen_mlab_pattern);
  lua_call(L, 0, 1);        /* [pat] */
  lua_getglobal(L, "string"); /* [pat, string] */
  static const char *const pat_fns[] = {"find", "match", "gmatch", "gsub"};
  for (int i = 0; i < 4; i++) {
    lua_getfield(L, -2, pat_fns[i]);
    lua_setfield(L, -2, pat_fns[i]);
  }
  lua_pop(L, 2);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  for (const luaL_Reg *r = preloads; r->name; r++) {
    lua_pushcfunction(L, r->func);
    lua_setfield(L, -2, r->name);
  }
  lua_pop(L, 1);

  /* Host modules come from the root only; no C modules from anywhere. */
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s/lua/?.lua;%s/stdlib/?.lua", run->root, run->root);
  lua_setfield(L, -2, "path");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "cpath");
  lua_pushstring(L, run->root);
  lua_setfield(L, -2, "mlab_root");
  lua_pop(L, 1);
  return L;
}

void
lh_close(lua_State *L)
{
  if (L)
    lua_close(L);
}

struct lh_run *
lh_run(lua_State *L)
{
  return *(struct lh_run **)lua_getextraspace(L);
}

struct budget *
lh_budget(lua_State *L)
{
  return &lh_run(L)->budget;
}

static void lh_hook(lua_State *L, lua_Debug *ar);

int
lh_budget_raise(lua_State *L)
{
  struct budget *b = lh_budget(L);
  if (lh_run(L)->hooked)
    lua_sethook(L, lh_hook, LUA_MASKCOUNT, 1);
  lua_createtable(L, 0, 3);
  lua_pushliteral(L, "budget");
  lua_setfield(L, -2, "code");
  lua_pushstring(L, b->kind[0] ? b->kind : "unknown");
  lua_setfield(L, -2, "kind");
  lua_pushfstring(L, "budget: %s is spent", b->kind);
  lua_setfield(L, -2, "msg");
  return lua_error(L);
}

/* Once spent, the hook fires on every instruction, so an agent that
 * catches the error with pcall dies on its next instruction. */
static void
lh_hook(lua_State *L, lua_Debug *ar)
{
  (void)ar;
  struct budget *b = lh_budget(L);
  if (signalled)
    budget_exhaust(b, "killed");
  if (!b->exhausted)
    budget_check_time(b);
  if (b->exhausted && !lh_run(L)->critical)
    lh_budget_raise(L);
}

void
lh_stop(lua_State *L, const char *kind)
{
  budget_exhaust(lh_budget(L), kind);
  if (lh_run(L)->hooked)
    lua_sethook(L, lh_hook, LUA_MASKCOUNT, 1);
}

void
lh_hook_arm(lua_State *L)
{
  lh_run(L)->hooked = 1;
  lua_sethook(L, lh_hook, LUA_MASKCOUNT, HOOK_COUNT);
}

void
lh_hook_disarm(lua_State *L)
{
  lh_run(L)->hooked = 0;
  lua_sethook(L, NULL, 0, 0);
}

void
lh_budget_check(lua_State *L)
{
  struct budget *b = lh_budget(L);
  if (signalled)
    budget_exhaust(b, "killed");
  if (!b->exhausted)
    budget_check_time(b);
  if (b->exhausted && lh_run(L)->hooked && !lh_run(L)->critical)
    lh_budget_raise(L);
}

/* The text of an error value, read raw: a string (or number), or a table's
 * string field `msg` or `message`; NULL otherwise.  No metamethod runs. */
static const char *
error_text(lua_State *L, int idx)
{
  idx = lua_absindex(L, idx);
  int t = lua_type(L, idx);
  if (t == LUA_TSTRING || t == LUA_TNUMBER)
    return lua_tostring(L, idx);
  if (t != LUA_TTABLE)
    return NULL;
  static const char *const keys[] = {"msg", "message"};
  for (int k = 0; k < 2; k++) {
    lua_pushstring(L, keys[k]);
    if (lua_rawget(L, idx) == LUA_TSTRING) {
      const char *m = lua_tostring(L, -1); /* anchored by the table */
      lua_pop(L, 1);
      return m;
    }
    lua_pop(L, 1);
  }
  return NULL;
}

static int
traceback(lua_State *L)
{
  if (lh_budget(L)->exhausted && lh_run(L)->hooked)
    return 1; /* the agent's run is stopping: lh_pcall says why */
  const char *msg = error_text(L, 1);
  if (!msg)
    msg =
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

enum lh_status
lh_pcall(lua_State *L, int nargs, int nresults, char **msg)
{
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  int rc = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  if (rc == LUA_OK)
    return LH_OK;
  struct budget *b = lh_budget(L);
  enum lh_status st = LH_ERR;
  if (rc == LUA_ERRMEM)
    st = LH_ERRMEM;
  else if (b->exhausted)
    st = LH_BUDGET;
  if (msg) {
    const char *m = error_text(L, -1);
    *msg = strdup(m ? m : st == LH_BUDGET ? b->kind : "(error object is not a string)");
  }
  lua_pop(L, 1);
  return st;
}

int
lh_fail(lua_State *L, int code, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  lua_pushnil(L);
  lua_pushstring(L, buf);
  lua_pushstring(L, mlab_error_name(code));
  return 3;
}

int
lh_failerr(lua_State *L, int code)
{
  return lh_fail(L, code, "%s", mlab_error_last());
}

int
lh_result(lua_State *L, int error)
{
  if (error)
    return lh_failerr(L, error);
  lua_pushboolean(L, 1);
  return 1;
}

#define BOX_MT "mlab.box"

void
lh_box_release(struct lh_box *box)
{
  void *p = box->p;
  box->p = NULL;
  if (p && box->release)
    box->release(p);
}

static int
box_gc(lua_State *L)
{
  lh_box_release(luaL_checkudata(L, 1, BOX_MT));
  return 0;
}

struct lh_box *
lh_box(lua_State *L, void (*release)(void *p))
{
  struct lh_box *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->p = NULL;
  box->release = release;
  if (luaL_newmetatable(L, BOX_MT)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return box;
}

/* -- "mlab.run": run control for the host's Lua ---------------------------
 *
 *   run.call_agent(fn, ...) -> "ok"|"error"|"budget"|"memory", message
 *   run.critical(fn, ...)   run.step(fn, after, agent_code)
 *   run.stop(kind)          run.seal(methods, name) -> sealed userdata
 */

/* run.stop(kind): the run must end (see budget.h for the kinds); agent
 * code dies at its next instruction or primitive. */
static int
lrun_stop(lua_State *L)
{
  lh_stop(L, luaL_checkstring(L, 1));
  return 0;
}

/* -- calling agent code ------------------------------------------------- */

static const char *const status_names[] = {"ok", "error", "budget", "memory"};

/* run.call_agent(fn, ...) -> "ok"|"error"|"budget"|"memory", message
 * Runs fn with the deadline hook armed and the heap capped; afterwards
 * both are lifted so the host can finish the run (evaluate, record). */
static int
lrun_call_agent(lua_State *L)
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

/* run.critical(fn, ...): runs fn while the hook does not raise and the
 * heap is not capped, so recording a step is never cut in half; re-raises
 * errors.  fn must be host code only: agent code run here would run
 * outside its budget (lua/step.lua copies agent values before it). */
static int
lrun_critical(lua_State *L)
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

/* run.step(fn, after, agent_code) -> after's results
 * Runs fn() protected, then after(ok, ...) with fn's results (or its
 * error), the record of a step.  after always runs inside run.critical,
 * entered in C the moment fn returns, so no hook can fire between the two
 * and a step that ran is always recorded.  fn runs inside run.critical
 * too unless agent_code is true (an action written by the agent, which
 * must stay under the budget); host code in fn is bounded on its own
 * (scripts and model calls are capped at the time left).  Errors of after
 * are re-raised. */
static int
lrun_step(lua_State *L)
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

/* run.seal(methods, name): a userdata whose only door is methods (its
 * __index).  Agents get capabilities this way: no field to set, nothing to
 * walk with pairs, no metatable to swap, no rawset. */
static int
lrun_seal(lua_State *L)
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

static const luaL_Reg run_funcs[] = {
    {"call_agent", lrun_call_agent}, {"critical", lrun_critical},
    {"step", lrun_step},             {"stop", lrun_stop},
    {"seal", lrun_seal},             {NULL, NULL}};

int
luaopen_mlab_run(lua_State *L)
{
  luaL_newlib(L, run_funcs);
  return 1;
}
