/* main.c - the mlab command: finds the mlab root, makes the Lua state and
 * hands the command line to lua/cli.lua, which does the rest. */
#include "error.h"
#include "luahost.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* MLAB_HOME wins; else the source tree the binary was built from. */
static const char *
find_root(void)
{
  const char *home = getenv("MLAB_HOME");
  return home && *home ? home : MLAB_ROOT;
}

int
main(int argc, char **argv)
{
  static struct lh_run run;
  snprintf(run.root, sizeof run.root, "%s", find_root());
  lh_signals_install();

  lua_State *L = lh_new(&run);
  if (!L) {
    fprintf(stderr, "mlab: cannot create a Lua state\n");
    return 70;
  }
  int code = 70;
  char *msg = NULL;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cli");
  if (lh_pcall(L, 1, 1, &msg) != LH_OK) {
    fprintf(stderr, "mlab: cannot load %s/lua/cli.lua: %s\n", run.root, msg);
    goto done;
  }
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 0);
  for (int i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_pushstring(L, MLAB_VERSION);
  if (lh_pcall(L, 2, 1, &msg) != LH_OK) {
    fprintf(stderr, "mlab: internal error: %s\n", msg);
    goto done;
  }
  code = (int)luaL_optinteger(L, -1, 0);
done:
  free(msg);
  fflush(stdout);
  lh_close(L);
  return code;
}
