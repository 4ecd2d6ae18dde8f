/* budget_lua.c - "mlab.budget": the run's limits and what is spent, for
 * the host's Lua (lua/run.lua, lua/step.lua, the model layer).  The
 * arithmetic is budget.c's; the budget lives in the state's lh_run.
 *
 *   budget.set{steps, time, tokens, mem_mb}   budget.start()
 *   budget.get() -> {steps, tokens, max_*, elapsed, time_left, exhausted, kind}
 *   budget.take_step() -> n (raises when spent)   budget.time_left()
 *   budget.tokens_allow(n) -> true | nil, msg     budget.tokens_add(n)
 *   budget.tokens_since_mark() -> n
 */
#include "budget.h"
#include "error.h"
#include "luahost.h"

#include <lauxlib.h>

#include <limits.h>
#include <math.h>

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
lbudget_set(lua_State *L)
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
lbudget_start(lua_State *L)
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
lbudget_get(lua_State *L)
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
lbudget_take_step(lua_State *L)
{
  lh_budget_check(L);
  struct budget *b = lh_budget(L);
  if (budget_take_step(b) != 0)
    return lh_budget_raise(L);
  lua_pushinteger(L, b->steps);
  return 1;
}

static int
lbudget_time_left(lua_State *L)
{
  lua_pushnumber(L, budget_time_left(lh_budget(L)));
  return 1;
}

static int
lbudget_tokens_allow(lua_State *L)
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
lbudget_tokens_add(lua_State *L)
{
  lua_Number n = luaL_checknumber(L, 1);
  long v = !(n > 0) ? 0 : n >= (lua_Number)LONG_MAX ? LONG_MAX : (long)n;
  budget_tokens_add(lh_budget(L), v);
  return 0;
}

static int
lbudget_tokens_since_mark(lua_State *L)
{
  lua_pushinteger(L, budget_tokens_since_mark(lh_budget(L)));
  return 1;
}

static const luaL_Reg budget_funcs[] = {
    {"set", lbudget_set},
    {"start", lbudget_start},
    {"get", lbudget_get},
    {"take_step", lbudget_take_step},
    {"time_left", lbudget_time_left},
    {"tokens_allow", lbudget_tokens_allow},
    {"tokens_add", lbudget_tokens_add},
    {"tokens_since_mark", lbudget_tokens_since_mark},
    {NULL, NULL}};

int
luaopen_mlab_budget(lua_State *L)
{
  luaL_newlib(L, budget_funcs);
  return 1;
}
