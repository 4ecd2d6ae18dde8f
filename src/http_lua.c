/* http_lua.c - "mlab.http": the HTTP primitive the model clients use.
 *
 *   http.post(url, headers, body [, {timeout = s, connect_timeout = s}])
 *     -> status, body, {retry_after = s|nil, retry_after_raw = str|nil,
 *                       content_type = str|nil, elapsed = s}
 *     -> nil, message, kind     kind: "timeout", "connect", "error"
 *
 * (Backoff waits and clocks are mlab.sys's: sys.sleep, sys.mono.)  Every
 * call checks the run's budget first and caps its timeout at the time
 * left, so neither a stalled server nor a long backoff outlives the run.
 * Failures come back as nil, msg, kind rather than through lh_fail because
 * the caller needs "connect" apart from "error", which MLAB_E* codes do not
 * name.  Header values are never copied anywhere but into curl.
 */
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "error.h"
#include "http.h"
#include "luahost.h"

#define RESPONSE_MT "mlab.http_response"

/* The response lives in a userdata so its buffers are freed by __gc even
 * when pushing the results raises a memory error. */
static int
lhttp_response_gc(lua_State *L)
{
  struct http_response *res = luaL_checkudata(L, 1, RESPONSE_MT);
  http_response_free(res);
  return 0;
}

static double
opt_seconds(lua_State *L, int opts, const char *name, double dflt)
{
  if (lua_isnoneornil(L, opts))
    return dflt;
  lua_getfield(L, opts, name);
  double v = dflt;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tonumberx(L, -1, &ok);
    if (!ok || !(v > 0))
      luaL_error(L, "http.post: %s must be a positive number", name);
  }
  lua_pop(L, 1);
  return v;
}

/* Builds "Name: value" strings in a Lua table at the top of the stack and
 * returns a NULL-terminated array of them in a userdata below it; both
 * stay alive on the stack during the call, and the GC owns them. */
static const char **
build_headers(lua_State *L, int idx)
{
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
      luaL_argerror(L, idx, "header names and values must be strings");
    const char *k = lua_tostring(L, -2), *v = lua_tostring(L, -1);
    /* A CR or LF would let a value smuggle in another header. */
    if (strpbrk(k, "\r\n:") || strpbrk(v, "\r\n") || !*k)
      luaL_argerror(L, idx, "header name or value holds CR, LF or ':'");
    lua_pop(L, 1);
    n++;
  }
  const char **arr = lua_newuserdatauv(L, (n + 1) * sizeof *arr, 0);
  lua_createtable(L, (int)n, 0); /* [arr, strings] */
  size_t i = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    const char *s =
        lua_pushfstring(L, "%s: %s", lua_tostring(L, -2), lua_tostring(L, -1));
    lua_rawseti(L, -4, (lua_Integer)(i + 1)); /* [arr, strings, k, v] */
    arr[i++] = s;
    lua_pop(L, 1);
  }
  arr[n] = NULL;
  return arr;
}

static int
lhttp_post(lua_State *L)
{
  lh_budget_check(L);
  const char *url = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  size_t body_len;
  const char *body = luaL_checklstring(L, 3, &body_len);
  if (!lua_isnoneornil(L, 4))
    luaL_checktype(L, 4, LUA_TTABLE);
  double timeout = opt_seconds(L, 4, "timeout", HTTP_DEFAULT_TIMEOUT_S);
  double conn =
      opt_seconds(L, 4, "connect_timeout", HTTP_DEFAULT_CONNECT_TIMEOUT_S);
  lua_settop(L, 4);

  const char **headers = build_headers(L, 2); /* [.., arr, strings] */
  struct budget *b = lh_budget(L);
  double left = budget_time_left(b);
  struct http_response *res = lua_newuserdatauv(L, sizeof *res, 0);
  memset(res, 0, sizeof *res);
  luaL_setmetatable(L, RESPONSE_MT);

  struct http_request req = {.url = url,
                             .headers = headers,
                             .body = body,
                             .body_len = body_len,
                             .timeout_s = timeout < left ? timeout : left,
                             .connect_timeout_s = conn,
                             .deadline =
                                 isfinite(left) ? budget_now() + left : 0,
                             /* Ctrl-C / SIGTERM stop a slow model call */
                             .cancel = lh_signal_flag()};
  int err = http_post(res, &req);
  if (err) {
    lua_pushnil(L);
    lua_pushstring(L, mlab_error_last());
    lua_pushstring(L, http_kind_name(res->kind));
    return 3;
  }
  lua_pushinteger(L, res->status);
  lua_pushlstring(L, res->body, res->body_len);
  lua_createtable(L, 0, 4);
  if (res->retry_after_s >= 0) {
    lua_pushnumber(L, res->retry_after_s);
    lua_setfield(L, -2, "retry_after");
  }
  if (res->retry_after) {
    lua_pushstring(L, res->retry_after);
    lua_setfield(L, -2, "retry_after_raw");
  }
  if (res->content_type) {
    lua_pushstring(L, res->content_type);
    lua_setfield(L, -2, "content_type");
  }
  lua_pushnumber(L, res->elapsed_s);
  lua_setfield(L, -2, "elapsed");
  return 3;
}


static const luaL_Reg http_funcs[] = {{"post", lhttp_post}, {NULL, NULL}};

int
luaopen_mlab_http(lua_State *L)
{
  if (luaL_newmetatable(L, RESPONSE_MT)) {
    lua_pushcfunction(L, lhttp_response_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  luaL_newlib(L, http_funcs);
  return 1;
}
