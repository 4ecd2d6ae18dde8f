/* fuzz_pattern.c - libFuzzer: mlab.pattern against Lua's own string
 * functions, on inputs libFuzzer makes up.  Aborts on the first call whose
 * results differ (values, types, captures, error messages, what a
 * replacement function is given), printing both.
 *
 * Standalone (no CMake option needed); from the repository root:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
 *     -DDRIVER="\"$PWD/tests/c/check_pattern.lua\"" \
 *     tests/fuzz/fuzz_pattern.c src/pattern_lua.c \
 *     $(pkg-config --cflags --libs lua5.4) -o build/fuzz_pattern
 *   mkdir -p build/fuzz_pattern.corpus
 *   build/fuzz_pattern -max_total_time=600 build/fuzz_pattern.corpus
 *
 * The comparison is check_pattern.lua's (D.run, D.same).  The matcher's
 * budget hook is a stub here: it stops mlab's side after about a million
 * steps, and such an input is skipped, since Lua's side could backtrack
 * for hours on it.
 *
 * Input: byte 0 picks the function (bits 0-1) and find's plain flag (bit
 * 2); byte 1 the init argument; byte 2 the replacement kind (low nibble)
 * and gsub's max (high nibble); bytes 3 and 4 the lengths of the subject
 * and the pattern, which follow; the rest is the replacement string.
 */
#include "luahost.h"
#include "pattern.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DRIVER
#define DRIVER "tests/c/check_pattern.lua"
#endif

#define STEP_CAP 64 /* budget checks: 64 x 2^14 steps */

static lua_State *L;
static int checks;
static int capped;

/* The stub the matcher calls every PAT_CHECK_STEPS steps. */
void
lh_budget_check(lua_State *L)
{
  if (++checks > STEP_CAP) {
    capped = 1;
    luaL_error(L, "fuzz: step cap");
  }
}

static int
was_capped(lua_State *L)
{
  lua_pushboolean(L, capped);
  return 1;
}

/* [D, stock, mine, capped] -> a function(fname, s, p, a3, a4) returning
 * nil, or a message when the sides differ. */
static const char harness[] =
    "local D, stock, mine, capped = ...\n"
    "return function(fname, s, p, a3, a4)\n"
    "  local got = D.run(mine, fname, s, p, a3, a4)\n"
    "  if capped() then return nil end\n"
    "  local want = D.run(stock, fname, s, p, a3, a4)\n"
    "  if D.same(want, got) then return nil end\n"
    "  return fname .. '(' .. D.show({ s, p, a3, a4, n = 4 }) .. ')\\n  stock '"
    "    .. D.show(want) .. '\\n  mine  ' .. D.show(got)\n"
    "end\n";

static void
setup(void)
{
  L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_loadstring(L, harness) != LUA_OK || luaL_dofile(L, DRIVER)) {
    fprintf(stderr, "fuzz_pattern: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_pushcfunction(L, luaopen_string);
  lua_call(L, 0, 1);
  lua_pushcfunction(L, luaopen_mlab_pattern);
  lua_call(L, 0, 1);
  lua_pushcfunction(L, was_capped);
  lua_call(L, 4, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "fuzz_pattern");
}

static const char *const fnames[] = {"find", "match", "gmatch", "gsub"};
static const char *const modes[] = {"concat", "nil",   "false", "int",
                                    "count",  "alt",   "index", "table",
                                    "float",  "error", "nested"};

static void
push_init(uint8_t b)
{
  switch (b) {
  case 0:
    lua_pushnil(L);
    break;
  case 1:
    lua_pushinteger(L, LUA_MININTEGER);
    break;
  case 2:
    lua_pushinteger(L, LUA_MAXINTEGER);
    break;
  case 3:
    lua_pushnumber(L, 2.0);
    break;
  default:
    lua_pushinteger(L, (int8_t)b);
    break;
  }
}

/* The replacement: kind 0-3 the string, 4-14 a logging function or
 * table (check_pattern.lua's { repl = MODE }), 15 a plain table. */
static void
push_repl(int kind, const char *r, size_t lr)
{
  if (kind < 4) {
    lua_pushlstring(L, r, lr);
  } else if (kind < 15) {
    lua_createtable(L, 0, 1);
    lua_pushstring(L, modes[kind - 4]);
    lua_setfield(L, -2, "repl");
  } else {
    lua_createtable(L, 0, 2);
    lua_pushliteral(L, "A");
    lua_setfield(L, -2, "a");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "b");
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (!L)
    setup();
  if (size < 5)
    return 0;
  const char *rest = (const char *)data + 5;
  size_t left = size - 5;
  size_t ls = data[3] % (left + 1);
  size_t lp = data[4] % (left - ls + 1);
  int fn = data[0] & 3;

  lua_getfield(L, LUA_REGISTRYINDEX, "fuzz_pattern");
  lua_pushstring(L, fnames[fn]);
  lua_pushlstring(L, rest, ls);
  lua_pushlstring(L, rest + ls, lp);
  if (fn == 3) {
    push_repl(data[2] & 15, rest + ls + lp, left - ls - lp);
    int max = data[2] >> 4;
    if (max == 0)
      lua_pushnil(L);
    else
      lua_pushinteger(L, max - 4);
  } else {
    push_init(data[1]);
    lua_pushboolean(L, data[0] & 4);
  }
  checks = 0;
  capped = 0;
  if (lua_pcall(L, 5, 1, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_pattern: harness: %s\n", lua_tostring(L, -1));
    abort();
  }
  if (!lua_isnil(L, -1)) {
    fprintf(stderr, "fuzz_pattern: the sides differ:\n%s\n",
            lua_tostring(L, -1));
    abort();
  }
  lua_pop(L, 1);
  lua_gc(L, LUA_GCSTEP, 0);
  return 0;
}
