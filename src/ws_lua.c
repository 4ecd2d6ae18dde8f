/* ws_lua.c - the workspace primitives as Lua methods (module "mlab.ws").
 *
 *   local ws = require("mlab.ws").open(root, undo_dir)
 *   ws:list(rel) -> {names}       ws:read(rel) -> string
 *   ws:write(rel, s)  ws:append(rel, s)  ws:copy(src, dst)  -> true
 *   ws:edit_lines(rel, first, last, text)  ws:edit_string(rel, old, new)
 *   ws:undo(rel)  ws:resolve(rel) -> absolute path
 * Each returns nil, message, code when the agent asked for something that
 * cannot be done (see luahost.h).  Budgets are checked by the caller.
 */
#include "error.h"
#include "luahost.h"
#include "workspace.h"

#include <lauxlib.h>
#include <stdlib.h>

#define WS_META "mlab.ws"

static struct ws **
checkws(lua_State *L)
{
  struct ws **w = luaL_checkudata(L, 1, WS_META);
  luaL_argcheck(L, *w != NULL, 1, "workspace is closed");
  return w;
}

static int
lws_open(lua_State *L)
{
  const char *root = luaL_checkstring(L, 1);
  const char *undo = luaL_checkstring(L, 2);
  struct ws **w = lua_newuserdatauv(L, sizeof *w, 0);
  *w = NULL;
  luaL_setmetatable(L, WS_META);
  int error = ws_open(w, root, undo);
  if (error)
    return lh_failerr(L, error);
  return 1;
}

static int
lws_gc(lua_State *L)
{
  struct ws **w = luaL_checkudata(L, 1, WS_META);
  ws_free(*w);
  *w = NULL;
  return 0;
}

static void
names_free(void *names)
{
  ws_names_free(names);
}

static int
lws_list(lua_State *L)
{
  struct ws **w = checkws(L);
  const char *rel = luaL_optstring(L, 2, ".");
  struct lh_box *box = lh_box(L, names_free); /* pushing may raise */
  char **names;
  size_t n;
  int error = ws_list(*w, rel, &names, &n);
  if (error)
    return lh_failerr(L, error);
  box->p = names;
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lh_box_release(box);
  return 1;
}

static int
lws_read(lua_State *L)
{
  struct ws **w = checkws(L);
  const char *rel = luaL_checkstring(L, 2);
  struct lh_box *box = lh_box(L, free); /* pushing may raise */
  char *data;
  size_t len;
  int error = ws_read(*w, rel, &data, &len);
  if (error)
    return lh_failerr(L, error);
  box->p = data;
  lua_pushlstring(L, data, len);
  lh_box_release(box);
  return 1;
}

static int
lws_write(lua_State *L)
{
  struct ws **w = checkws(L);
  size_t len;
  const char *rel = luaL_checkstring(L, 2);
  const char *data = luaL_checklstring(L, 3, &len);
  return lh_result(L, ws_write(*w, rel, data, len));
}

static int
lws_append(lua_State *L)
{
  struct ws **w = checkws(L);
  size_t len;
  const char *rel = luaL_checkstring(L, 2);
  const char *data = luaL_checklstring(L, 3, &len);
  return lh_result(L, ws_append(*w, rel, data, len));
}

static int
lws_copy(lua_State *L)
{
  struct ws **w = checkws(L);
  return lh_result(L,
                   ws_copy(*w, luaL_checkstring(L, 2), luaL_checkstring(L, 3)));
}

static int
lws_edit_lines(lua_State *L)
{
  struct ws **w = checkws(L);
  const char *rel = luaL_checkstring(L, 2);
  lua_Integer first = luaL_checkinteger(L, 3);
  lua_Integer last = luaL_checkinteger(L, 4);
  const char *text = luaL_checkstring(L, 5);
  return lh_result(L, ws_edit_lines(*w, rel, (long)first, (long)last, text));
}

static int
lws_edit_string(lua_State *L)
{
  struct ws **w = checkws(L);
  return lh_result(L, ws_edit_string(*w, luaL_checkstring(L, 2),
                                     luaL_checkstring(L, 3),
                                     luaL_checkstring(L, 4)));
}

static int
lws_undo(lua_State *L)
{
  struct ws **w = checkws(L);
  return lh_result(L, ws_undo(*w, luaL_checkstring(L, 2)));
}

static int
lws_resolve(lua_State *L)
{
  struct ws **w = checkws(L);
  char path[PATH_MAX];
  int error = ws_resolve(*w, luaL_checkstring(L, 2), path);
  if (error)
    return lh_failerr(L, error);
  lua_pushstring(L, path);
  return 1;
}

static int
lws_root(lua_State *L)
{
  struct ws **w = checkws(L);
  lua_pushstring(L, ws_root(*w));
  return 1;
}

static const luaL_Reg ws_methods[] = {{"list", lws_list},
                                      {"read", lws_read},
                                      {"write", lws_write},
                                      {"append", lws_append},
                                      {"copy", lws_copy},
                                      {"edit_lines", lws_edit_lines},
                                      {"edit_string", lws_edit_string},
                                      {"undo", lws_undo},
                                      {"resolve", lws_resolve},
                                      {"root", lws_root},
                                      {NULL, NULL}};

static const luaL_Reg ws_funcs[] = {{"open", lws_open}, {NULL, NULL}};

int
luaopen_mlab_ws(lua_State *L)
{
  luaL_newmetatable(L, WS_META);
  luaL_newlib(L, ws_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lws_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, lws_gc);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  luaL_newlib(L, ws_funcs);
  return 1;
}
