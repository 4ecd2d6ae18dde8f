/* snap_lua.c - "mlab.snap": a run's history (see snapshot.h).
 *
 *   local h = require("mlab.snap").open(gitdir [, workdir])
 *   h:frozen(max_bytes, {patterns})
 *   h:commit(tag, message [, opts]) -> commit id
 *       opts.paths: the paths the step may have changed (nil: walk the
 *       whole work tree; {}: nothing changed); opts.sync = false: no
 *       flush, the caller calls h:sync() after its trace line
 *   h:sync([path, ...]) -> true     the one flush (syncfs) of a step; the
 *       paths' filesystems too when they are not the history's
 *   h:repair() -> removed            after a crash, before anything else
 *   h:has(commit_id) -> boolean      the commit and what it adds are whole
 *   h:resolve(rev) -> id   h:tree(rev) -> tree id
 *   h:diff(a, b [, path]) -> patch (a may be nil)
 *   h:changes(rev) -> "M path\n..."   h:checkout(rev, dir)   h:restore(rev)
 * Failures return nil, message, code.
 */
#include "error.h"
#include "luahost.h"
#include "snapshot.h"

#include <lauxlib.h>
#include <stdlib.h>

#define SNAP_META "mlab.snap"
#define SNAP_MAX_PATTERNS 64

static struct snap **
checksnap(lua_State *L)
{
  struct snap **s = luaL_checkudata(L, 1, SNAP_META);
  luaL_argcheck(L, *s != NULL, 1, "history is closed");
  return s;
}

static int
lsnap_open(lua_State *L)
{
  const char *gitdir = luaL_checkstring(L, 1);
  const char *workdir = luaL_optstring(L, 2, NULL);
  struct snap **s = lua_newuserdatauv(L, sizeof *s, 0);
  *s = NULL;
  luaL_setmetatable(L, SNAP_META);
  int error = snap_open(s, gitdir, workdir);
  if (error)
    return lh_failerr(L, error);
  return 1;
}

static int
lsnap_gc(lua_State *L)
{
  struct snap **s = luaL_checkudata(L, 1, SNAP_META);
  snap_free(*s);
  *s = NULL;
  return 0;
}

static int
lsnap_frozen(lua_State *L)
{
  struct snap **s = checksnap(L);
  lua_Integer max = luaL_checkinteger(L, 2);
  const char *pats[SNAP_MAX_PATTERNS + 1];
  int n = 0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    int len = (int)luaL_len(L, 3);
    luaL_argcheck(L, len <= SNAP_MAX_PATTERNS, 3, "too many patterns");
    for (int i = 1; i <= len; i++) {
      /* Strings only: a converted number would be collected once popped */
      if (lua_rawgeti(L, 3, i) != LUA_TSTRING)
        luaL_argerror(L, 3, "patterns must be strings");
      pats[n++] = lua_tostring(L, -1);
      lua_pop(L, 1); /* still referenced by the table */
    }
  }
  pats[n] = NULL;
  return lh_result(L, snap_set_frozen(*s, (size_t)max, pats));
}

#define SNAP_MAX_PATHS 256

static int
lsnap_commit(lua_State *L)
{
  struct snap **s = checksnap(L);
  const char *tag = luaL_checkstring(L, 2), *msg = luaL_checkstring(L, 3);
  const char *paths[SNAP_MAX_PATHS];
  struct snap_commit_opts o = {NULL, 0, 0};
  char id[SNAP_OID_HEX];

  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    if (lua_getfield(L, 4, "sync") != LUA_TNIL && !lua_toboolean(L, -1))
      o.flags |= SNAP_COMMIT_NOSYNC;
    lua_pop(L, 1);
    if (lua_getfield(L, 4, "paths") != LUA_TNIL) {
      luaL_argcheck(L, lua_type(L, -1) == LUA_TTABLE, 4,
                    "paths must be a table of strings");
      lua_Integer n = luaL_len(L, -1);
      if (n <= SNAP_MAX_PATHS) { /* more: walk instead */
        for (lua_Integer i = 1; i <= n; i++) {
          lua_rawgeti(L, -1, i);
          luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 4,
                        "paths must be a table of strings");
          paths[o.npaths++] = lua_tostring(L, -1);
          lua_pop(L, 1); /* still referenced by the table */
        }
        o.paths = paths;
      }
    }
    lua_pop(L, 1);
  }
  int error = snap_commit_ex(*s, tag, msg, &o, id);
  if (error)
    return lh_failerr(L, error);
  lua_pushstring(L, id);
  return 1;
}

static int
lsnap_sync(lua_State *L)
{
  struct snap **s = checksnap(L);
  const char *extra[17];
  int n = lua_gettop(L) - 1;
  luaL_argcheck(L, n <= 16, 18, "too many paths");
  for (int i = 0; i < n; i++)
    extra[i] = luaL_checkstring(L, i + 2);
  extra[n] = NULL;
  return lh_result(L, snap_sync(*s, extra));
}

static int
lsnap_repair(lua_State *L)
{
  struct snap **s = checksnap(L);
  int removed = 0, error = snap_repair(*s, &removed);
  if (error)
    return lh_failerr(L, error);
  lua_pushinteger(L, removed);
  return 1;
}

static int
lsnap_has(lua_State *L)
{
  struct snap **s = checksnap(L);
  int r = snap_has(*s, luaL_checkstring(L, 2));
  if (r < 0)
    return lh_failerr(L, r);
  lua_pushboolean(L, r);
  return 1;
}

static int
lsnap_resolve(lua_State *L)
{
  struct snap **s = checksnap(L);
  char id[SNAP_OID_HEX];
  int error = snap_resolve(*s, luaL_checkstring(L, 2), id);
  if (error)
    return lh_failerr(L, error);
  lua_pushstring(L, id);
  return 1;
}

/* h:tag(name, rev) -> true | nil, msg, code;  h:untag(name) likewise. */
static int
lsnap_tag(lua_State *L)
{
  struct snap **s = checksnap(L);
  return lh_result(L, snap_tag(*s, luaL_checkstring(L, 2), luaL_checkstring(L, 3)));
}

static int
lsnap_untag(lua_State *L)
{
  struct snap **s = checksnap(L);
  return lh_result(L, snap_untag(*s, luaL_checkstring(L, 2)));
}

static int
lsnap_tree(lua_State *L)
{
  struct snap **s = checksnap(L);
  char id[SNAP_OID_HEX];
  int error = snap_tree(*s, luaL_checkstring(L, 2), id);
  if (error)
    return lh_failerr(L, error);
  lua_pushstring(L, id);
  return 1;
}

/* box (pushed before text was made) holds text while it is pushed. */
static int
push_owned(lua_State *L, int error, struct lh_box *box, char *text)
{
  box->p = text;
  if (error) {
    lh_box_release(box);
    return lh_failerr(L, error);
  }
  lua_pushstring(L, text ? text : "");
  lh_box_release(box);
  return 1;
}

static int
lsnap_diff(lua_State *L)
{
  struct snap **s = checksnap(L);
  const char *a = luaL_optstring(L, 2, NULL), *b = luaL_checkstring(L, 3);
  const char *path = luaL_optstring(L, 4, NULL);
  struct lh_box *box = lh_box(L, free); /* pushing may raise */
  char *out = NULL;
  int error = snap_diff(*s, a, b, path, &out);
  return push_owned(L, error, box, out);
}

static int
lsnap_changes(lua_State *L)
{
  struct snap **s = checksnap(L);
  const char *rev = luaL_checkstring(L, 2);
  struct lh_box *box = lh_box(L, free); /* pushing may raise */
  char *out = NULL;
  int error = snap_changes(*s, rev, &out);
  return push_owned(L, error, box, out);
}

static int
lsnap_checkout(lua_State *L)
{
  struct snap **s = checksnap(L);
  return lh_result(
      L, snap_checkout(*s, luaL_checkstring(L, 2), luaL_checkstring(L, 3)));
}

static int
lsnap_restore(lua_State *L)
{
  struct snap **s = checksnap(L);
  return lh_result(L, snap_restore(*s, luaL_checkstring(L, 2)));
}

static const luaL_Reg snap_methods[] = {
    {"frozen", lsnap_frozen},   {"commit", lsnap_commit},
    {"sync", lsnap_sync},       {"repair", lsnap_repair},
    {"has", lsnap_has},         {"resolve", lsnap_resolve},
    {"tree", lsnap_tree},       {"diff", lsnap_diff},
    {"tag", lsnap_tag},         {"untag", lsnap_untag},
    {"changes", lsnap_changes}, {"checkout", lsnap_checkout},
    {"restore", lsnap_restore}, {NULL, NULL}};

static const luaL_Reg snap_funcs[] = {{"open", lsnap_open}, {NULL, NULL}};

int
luaopen_mlab_snap(lua_State *L)
{
  luaL_newmetatable(L, SNAP_META);
  luaL_newlib(L, snap_methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, lsnap_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, lsnap_gc);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  luaL_newlib(L, snap_funcs);
  return 1;
}
