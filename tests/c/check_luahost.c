/* check_luahost.c - the state's budgets seen from C: the deadline hook,
 * the heap cap, the error-table mapping of lh_pcall, lh_fail. */
#include "luahost.h"

#include <check.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static struct lh_run run;
static lua_State *L;

static void
setup(void)
{
  memset(&run, 0, sizeof run);
  snprintf(run.root, sizeof run.root, "%s", MLAB_ROOT);
  L = lh_new(&run);
  ck_assert_ptr_nonnull(L);
}

static void
teardown(void)
{
  lh_close(L);
}

/* Runs src under the hook with the budget set; returns the status. */
static enum lh_status
run_hooked(const char *src, char **msg)
{
  budget_start(&run.budget);
  ck_assert_int_eq(luaL_loadstring(L, src), LUA_OK);
  lh_hook_arm(L);
  enum lh_status st = lh_pcall(L, 0, 0, msg);
  lh_hook_disarm(L);
  return st;
}

START_TEST(test_lh_hook_stops_infinite_loop)
{
  run.budget.max_time_s = 0.2;
  char *msg = NULL;
  ck_assert_int_eq(run_hooked("while true do end", &msg), LH_BUDGET);
  ck_assert_str_eq(run.budget.kind, "time");
  ck_assert_ptr_nonnull(strstr(msg, "time"));
  free(msg);
}
END_TEST

START_TEST(test_lh_hook_beats_pcall_loop)
{
  run.budget.max_time_s = 0.2;
  ck_assert_int_eq(
      run_hooked("while true do pcall(function() while true do end end) end",
                 NULL),
      LH_BUDGET);
}
END_TEST

START_TEST(test_lh_hook_reaches_coroutines)
{
  run.budget.max_time_s = 0.2;
  ck_assert_int_eq(run_hooked("local co = coroutine.wrap(function() "
                              "while true do end end) co()",
                              NULL),
                   LH_BUDGET);
}
END_TEST

START_TEST(test_lh_heap_cap)
{
  run.budget.max_mem = 16 * 1024 * 1024;
  enum lh_status st = run_hooked(
      "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(100) .. i end", NULL);
  ck_assert(st == LH_ERRMEM || st == LH_BUDGET);
  ck_assert_str_eq(run.budget.kind, "memory");
  ck_assert(run.budget.mem <= run.budget.max_mem);
}
END_TEST

START_TEST(test_lh_huge_string_refused)
{
  run.budget.max_mem = 64 * 1024 * 1024;
  enum lh_status st = run_hooked("local s = string.rep('x', 2^30)", NULL);
  ck_assert(st == LH_ERRMEM || st == LH_BUDGET);
}
END_TEST

START_TEST(test_lh_deep_recursion_is_an_error_not_a_crash)
{
  char *msg = NULL;
  ck_assert_int_eq(
      run_hooked("local function f(n) return 1 + f(n + 1) end f(1)", &msg),
      LH_ERR);
  ck_assert_ptr_nonnull(strstr(msg, "stack overflow"));
  free(msg);
}
END_TEST

START_TEST(test_lh_plain_error_has_traceback)
{
  char *msg = NULL;
  ck_assert_int_eq(run_hooked("local function f() error('boom') end f()", &msg),
                   LH_ERR);
  ck_assert_ptr_nonnull(strstr(msg, "boom"));
  ck_assert_ptr_nonnull(strstr(msg, "stack traceback"));
  free(msg);
}
END_TEST

static int
fails(lua_State *L)
{
  return lh_fail(L, -3, "'%s' leaves the workspace", "..");
}

START_TEST(test_lh_fail_returns_nil_message_code)
{
  lua_pushcfunction(L, fails);
  lua_setglobal(L, "fails");
  ck_assert_int_eq(luaL_dostring(L,
                                 "local v, m, c = fails() "
                                 "assert(v == nil) "
                                 "assert(m == \"'..' leaves the workspace\") "
                                 "assert(c == 'denied')"),
                   LUA_OK);
}
END_TEST

START_TEST(test_lh_preloads_host_modules)
{
  ck_assert_int_eq(luaL_dostring(L, "assert(require('mlab.ws').open) "
                                    "assert(require('mlab.exec').run) "
                                    "assert(require('mlab.snap').open) "
                                    "assert(require('cjson').encode) "
                                    "assert(package.cpath == '')"),
                   LUA_OK);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("luahost");
  TCase *tc = tcase_create("budgets");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_lh_hook_stops_infinite_loop);
  tcase_add_test(tc, test_lh_hook_beats_pcall_loop);
  tcase_add_test(tc, test_lh_hook_reaches_coroutines);
  tcase_add_test(tc, test_lh_heap_cap);
  tcase_add_test(tc, test_lh_huge_string_refused);
  tcase_add_test(tc, test_lh_plain_error_has_traceback);
  tcase_add_test(tc, test_lh_deep_recursion_is_an_error_not_a_crash);
  tcase_add_test(tc, test_lh_fail_returns_nil_message_code);
  tcase_add_test(tc, test_lh_preloads_host_modules);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
