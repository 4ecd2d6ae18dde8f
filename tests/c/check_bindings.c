/* check_bindings.c - the Lua bindings hold no C memory or descriptor when a
 * Lua call raises mid-way: with the heap cap just above what the state
 * uses, pushing a large result fails with LUA_ERRMEM (a longjmp), and the
 * C buffer, name list, DIR or message the binding held must still be freed.
 *
 * Each test repeats the failing call and checks that the C heap (mallinfo2,
 * in a plain build) and the open descriptors did not grow by what the
 * calls held; in a -DMLAB_SANITIZE=ON build LeakSanitizer reports the same
 * leaks when the forked test exits (mallinfo2 sees no growth there). */
#include "luahost.h"

#include <check.h>
#include <dirent.h>
#include <lauxlib.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BIG (1024 * 1024) /* bytes of the large results */
#define TIMES 8           /* failing calls per test */

static struct lh_run run;
static lua_State *L;
static char dir[] = "/tmp/mlab-bind.XXXXXX";

static void
write_file(const char *path, size_t n)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  for (size_t i = 0; i < n / 8; i++)
    fputs("line ok\n", f);
  ck_assert_int_eq(fclose(f), 0);
}

static void
setup(void)
{
  char path[512];
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/ws", dir);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/undo", dir);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  snprintf(path, sizeof path, "%s/ws/big.txt", dir);
  write_file(path, BIG);
  memset(&run, 0, sizeof run);
  snprintf(run.root, sizeof run.root, "%s", MLAB_ROOT);
  L = lh_new(&run);
  ck_assert_ptr_nonnull(L);
  lua_pushstring(L, dir);
  lua_setglobal(L, "DIR");
}

static void
teardown(void)
{
  lh_close(L);
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", dir);
}

/* DIR/many: 600 names of 200 bytes (120 KB as Lua strings). */
static void
make_many(void)
{
  char path[1024], name[201];
  memset(name, 'n', 200);
  name[200] = '\0';
  snprintf(path, sizeof path, "%s/many", dir);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  for (int i = 0; i < 600; i++) {
    snprintf(path, sizeof path, "%s/many/%04d%s", dir, i, name + 4);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
  }
}

static size_t
c_heap(void)
{
  lua_gc(L, LUA_GCCOLLECT);
  return mallinfo2().uordblks;
}

static int
open_fds(void)
{
  int n = 0;
  DIR *d = opendir("/proc/self/fd");
  ck_assert_ptr_nonnull(d);
  while (readdir(d))
    n++;
  closedir(d);
  return n;
}

/* Runs src (uncapped); it returns a function that makes the call under
 * test.  That function is then called TIMES times with the heap capped at
 * what the state uses plus headroom: every call must end with rc_want
 * (LUA_ERRMEM: the push failed), and neither the C heap nor the
 * descriptors may grow. */
static void
capped_calls(const char *src, size_t headroom, int rc_want)
{
  ck_assert_msg(luaL_dostring(L, src) == LUA_OK, "%s", lua_tostring(L, -1));
  int fn = lua_gettop(L);
  lua_pushvalue(L, fn); /* a warm-up call, uncapped: it must work */
  ck_assert_msg(lua_pcall(L, 0, 0, 0) == LUA_OK, "%s", lua_tostring(L, -1));
  size_t heap0 = c_heap();
  int fds0 = open_fds();
  for (int i = 0; i < TIMES; i++) {
    lua_pushnil(L);
    lua_setglobal(L, "hog");
    lua_gc(L, LUA_GCCOLLECT);
    run.budget.exhausted = 0;
    run.budget.kind[0] = '\0';
    lua_pushvalue(L, fn);
    run.budget.max_mem = run.budget.mem + headroom;
    int rc = lua_pcall(L, 0, 0, 0);
    run.budget.max_mem = 0;
    ck_assert_msg(rc == rc_want, "call %d: rc %d: %s", i, rc,
                  rc ? lua_tostring(L, -1) : "");
    if (rc)
      lua_pop(L, 1);
  }
  lua_pushnil(L);
  lua_setglobal(L, "hog");
  size_t heap1 = c_heap();
  ck_assert_int_eq(open_fds(), fds0);
  ck_assert_msg(heap1 < heap0 + BIG, "C heap grew by %zu bytes", heap1 - heap0);
  lua_settop(L, 0);
}

static void
errmem_calls(const char *src, size_t headroom)
{
  capped_calls(src, headroom, LUA_ERRMEM);
}

START_TEST(test_bindings_ws_read_frees_on_errmem)
{
  errmem_calls("local ws = require('mlab.ws').open(DIR .. '/ws', "
               "DIR .. '/undo') "
               "return function() return ws:read('big.txt') end",
               256 * 1024);
}
END_TEST

START_TEST(test_bindings_ws_list_frees_on_errmem)
{
  make_many();
  errmem_calls("local ws = require('mlab.ws').open(DIR, DIR .. '/undo') "
               "return function() return ws:list('many') end",
               32 * 1024);
}
END_TEST

START_TEST(test_bindings_host_read_frees_on_errmem)
{
  errmem_calls("local sys = require('mlab.sys') "
               "return function() return sys.read(DIR .. '/ws/big.txt') end",
               256 * 1024);
}
END_TEST

START_TEST(test_bindings_host_list_dir_closes_on_errmem)
{
  make_many();
  errmem_calls("local sys = require('mlab.sys') "
               "return function() return sys.list_dir(DIR .. '/many') end",
               32 * 1024);
}
END_TEST

START_TEST(test_bindings_exec_output_frees_on_errmem)
{
  errmem_calls("local exec = require('mlab.exec') "
               "return function() return exec.run{ argv = {'/usr/bin/head', "
               "'-c', '1048576', DIR .. '/ws/big.txt'}, cwd = DIR, "
               "out_cap = 2097152 } end",
               256 * 1024);
}
END_TEST

START_TEST(test_bindings_snap_diff_frees_on_errmem)
{
  errmem_calls("local h = require('mlab.snap').open(DIR .. '/git', "
               "DIR .. '/ws') "
               "assert(h:commit('step-0', 'step 0')) "
               "return function() return h:diff(nil, 'step-0') end",
               256 * 1024);
}
END_TEST

/* An agent's finalizer runs in call_agent's collection, where the cap is
 * lifted: it can fill the heap past the cap.  The agent's outcome and its
 * whole message must still come back (not a memory error raised in the
 * host, leaking the message). */
START_TEST(test_bindings_call_agent_returns_message_past_cap)
{
  capped_calls("local ctl = require('mlab.run') "
               "return function() "
               "  local st, msg = ctl.call_agent(function() "
               "    local keep = setmetatable({}, {__gc = function() "
               "      hog = string.rep('y', 8 * 1048576) end}) "
               "    error(string.rep('x', 300000), 0) "
               "  end) "
               "  assert(st == 'error' and #msg > 300000, st) "
               "end",
               2 * 1024 * 1024, LUA_OK);
}
END_TEST

/* Numbers in argv become strings on the stack only: the binding must not
 * keep pointers to them after popping (a collection frees them). */
START_TEST(test_bindings_exec_refuses_numbers_in_argv)
{
  ck_assert_int_eq(luaL_dostring(L,
                                 "local exec = require('mlab.exec') "
                                 "local ok, err = pcall(exec.run, { argv = "
                                 "{'/bin/echo', 12345}, cwd = DIR }) "
                                 "assert(not ok and err:find('string'), err)"),
                   LUA_OK);
}
END_TEST

/* Counts from a task file or the command line become size_t and int in
 * C: a negative count is refused and a huge one capped (converting an
 * out-of-range double is undefined behaviour). */
START_TEST(test_bindings_exec_counts_in_range)
{
  ck_assert_msg(
      luaL_dostring(L, "local exec = require('mlab.exec') "
                       "local r = assert(exec.run{ argv = {'/bin/true'}, "
                       "cwd = DIR, mem_mb = 1e30, procs = 1e30 }) "
                       "assert(r.status == 0) "
                       "local ok, err = pcall(exec.run, { argv = "
                       "{'/bin/true'}, cwd = DIR, mem_mb = -1 }) "
                       "assert(not ok and err:find('mem_mb'), err)") == LUA_OK,
      "%s", lua_tostring(L, -1));
}
END_TEST

START_TEST(test_bindings_budget_set_in_range)
{
  ck_assert_msg(
      luaL_dostring(L,
                    "local budget = require('mlab.budget') "
                    "budget.set{ steps = 1e30, tokens = 1e30, "
                    "mem_mb = 1e30, time = 1e30 } "
                    "local b = budget.get() "
                    "assert(b.max_steps >= 1e9 and b.max_tokens >= 1e9 "
                    "  and b.max_mem_mb >= 1e9, b.max_mem_mb) "
                    "budget.set{ steps = -5, mem_mb = -1 } "
                    "b = budget.get() "
                    "assert(b.max_steps == 0 and b.max_mem_mb == 0)") == LUA_OK,
      "%s", lua_tostring(L, -1));
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("bindings");
  TCase *tc = tcase_create("errmem");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_bindings_ws_read_frees_on_errmem);
  tcase_add_test(tc, test_bindings_ws_list_frees_on_errmem);
  tcase_add_test(tc, test_bindings_host_read_frees_on_errmem);
  tcase_add_test(tc, test_bindings_host_list_dir_closes_on_errmem);
  tcase_add_test(tc, test_bindings_exec_output_frees_on_errmem);
  tcase_add_test(tc, test_bindings_snap_diff_frees_on_errmem);
  tcase_add_test(tc, test_bindings_call_agent_returns_message_past_cap);
  tcase_add_test(tc, test_bindings_exec_refuses_numbers_in_argv);
  tcase_add_test(tc, test_bindings_exec_counts_in_range);
  tcase_add_test(tc, test_bindings_budget_set_in_range);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
