/* main.c - the mlab command: finds the mlab root, makes the Lua state and
 * hands the command line to lua/cli.lua, which does the rest. */
#include "error.h"
#include "luahost.h"

#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 when dir holds the host's Lua (lua/cli.lua). */
static int
is_root(const char *dir)
{
  char path[PATH_MAX];
  struct stat st;
  return snprintf(path, sizeof path, "%s/lua/cli.lua", dir) < (int)sizeof path &&
         stat(path, &st) == 0;
}

/* The mlab tree (lua/, stdlib/, agents/, tasks/): $MLAB_HOME when set (a
 * user's explicit choice); else share/mlab beside the binary's bin/ (an
 * install: `cmake --install build --prefix P` puts mlab in P/bin and the
 * tree in P/share/mlab, and the pair can be moved together); else the
 * source tree the binary was built from.  NULL when none holds lua/cli.lua:
 * main says which variable to set. */
static const char *
find_root(char *buf, size_t len)
{
  const char *home = getenv("MLAB_HOME");
  if (home && *home)
    return is_root(home) ? home : NULL;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      char share[PATH_MAX];
      if (snprintf(share, sizeof share, "%s/../share/mlab", exe) <
              (int)sizeof share &&
          is_root(share) && realpath(share, exe) &&
          snprintf(buf, len, "%s", exe) < (int)len)
        return buf;
    }
  }
  if (is_root(MLAB_ROOT))
    return MLAB_ROOT;
  return NULL;
}

int
main(int argc, char **argv)
{
  static struct lh_run run;
  const char *root = find_root(run.root, sizeof run.root);
  if (!root) {
    const char *home = getenv("MLAB_HOME");
    if (home && *home)
      fprintf(stderr, "mlab: MLAB_HOME=%s holds no lua/cli.lua; set it to "
                      "the folder that holds lua/, stdlib/, agents/ and "
                      "tasks/, or unset it\n", home);
    else
      fprintf(stderr, "mlab: cannot find the mlab tree (lua/cli.lua) beside "
                      "the binary (../share/mlab) or at %s; set MLAB_HOME to "
                      "the folder that holds lua/, stdlib/, agents/ and "
                      "tasks/\n", MLAB_ROOT);
    return 70;
  }
  if (root != run.root)
    snprintf(run.root, sizeof run.root, "%s", root);
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
