/* check_pattern.c - mlab.pattern against Lua's own string functions, and
 * the run's budget stopping a backtracking match.
 *
 * The differential cases live in check_pattern.lua: each runs through both
 * tables in one state, and any difference a caller could see (values,
 * types, positions, captures, error messages, what a replacement function
 * is given) fails the test with both results. */
#include "luahost.h"
#include "pattern.h"

#include <check.h>
#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/* Pushes Lua's own string library (a fresh copy, whatever the host put in
 * `string`), mlab.pattern's table, and the driver module. */
static void
push_sides(void)
{
  lua_pushcfunction(L, luaopen_string);
  lua_call(L, 0, 1);
  lua_pushcfunction(L, luaopen_mlab_pattern);
  lua_call(L, 0, 1);
}

static void
push_driver(void)
{
  const char *path = MLAB_ROOT "/tests/c/check_pattern.lua";
  if (luaL_dofile(L, path) != LUA_OK)
    ck_abort_msg("%s", lua_tostring(L, -1));
}

/* Calls D[fn](args...) that returns n, err; fails on err. */
static void
expect_agreement(int count, int nargs)
{
  /* [D.fn, args...] */
  if (lua_pcall(L, nargs, 2, 0) != LUA_OK)
    ck_abort_msg("driver: %s", lua_tostring(L, -1));
  const char *err = lua_tostring(L, -1);
  ck_assert_msg(err == NULL, "%s", err);
  ck_assert_int_ge(lua_tointeger(L, -2), count);
  lua_pop(L, 2);
}

static void
run_group(const char *name)
{
  push_driver();
  lua_getfield(L, -1, "group");
  lua_pushstring(L, name);
  push_sides();
  expect_agreement(1, 3);
  lua_pop(L, 1);
}

START_TEST(test_pattern_plain_find_agrees)
{
  run_group("plain");
}
END_TEST

START_TEST(test_pattern_classes_agree)
{
  run_group("classes");
}
END_TEST

START_TEST(test_pattern_quantifiers_and_depth_limit_agree)
{
  run_group("quantifiers");
}
END_TEST

START_TEST(test_pattern_anchors_agree)
{
  run_group("anchors");
}
END_TEST

START_TEST(test_pattern_balance_and_frontier_agree)
{
  run_group("balance_frontier");
}
END_TEST

START_TEST(test_pattern_captures_and_limit_agree)
{
  run_group("captures");
}
END_TEST

START_TEST(test_pattern_gmatch_agrees)
{
  run_group("gmatch");
}
END_TEST

START_TEST(test_pattern_gsub_agrees)
{
  run_group("gsub");
}
END_TEST

START_TEST(test_pattern_nul_and_high_bytes_agree)
{
  run_group("bytes");
}
END_TEST

START_TEST(test_pattern_malformed_and_bad_arguments_agree)
{
  run_group("malformed");
}
END_TEST

/* Each seed: 1,500 random (subject, pattern) pairs, four calls each. */
START_TEST(test_pattern_random_cases_agree)
{
  push_driver();
  lua_getfield(L, -1, "random");
  push_sides();
  lua_pushinteger(L, 1000 + _i);
  lua_pushinteger(L, 1500);
  expect_agreement(6000, 4);
  lua_pop(L, 1);
}
END_TEST

/* Installed over `string`, as the host does: methods on strings and the
 * names in argument errors follow. */
START_TEST(test_pattern_installed_over_string)
{
  lua_pushcfunction(L, luaopen_mlab_pattern);
  lua_call(L, 0, 1); /* [P] */
  lua_getglobal(L, "string");
  const char *names[] = {"find", "match", "gmatch", "gsub"};
  for (int i = 0; i < 4; i++) {
    lua_getfield(L, -2, names[i]);
    lua_setfield(L, -2, names[i]);
  }
  lua_pop(L, 1); /* [P] */
  const char *src =
      "local P = ...\n"
      "assert(('hello'):gsub('l', 'L') == 'heLLo')\n"
      "assert(('x').find == P.find and string.gmatch == P.gmatch)\n"
      "assert(getmetatable('').__index.match == P.match)\n"
      "local ok, e = pcall(string.find, 'x', {})\n"
      "assert(e == \"bad argument #2 to 'string.find' (string expected, "
      "got table)\", e)\n"
      "ok, e = pcall(function() return ('x'):rep(3):gsub() end)\n"
      "assert(e:find(\"bad argument #1 to 'gsub'\", 1, true), e)\n";
  ck_assert_int_eq(luaL_loadstring(L, src), LUA_OK);
  lua_insert(L, -2); /* [chunk, P] */
  if (lua_pcall(L, 1, 0, 0) != LUA_OK)
    ck_abort_msg("%s", lua_tostring(L, -1));
}
END_TEST

/* --- the budget --- */

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs src with mlab.pattern as `...`, the hook armed; returns the
 * status and prints how long it took. */
static enum lh_status
run_budgeted(const char *what, const char *src, char **msg)
{
  budget_start(&run.budget);
  ck_assert_int_eq(luaL_loadstring(L, src), LUA_OK);
  lua_pushcfunction(L, luaopen_mlab_pattern);
  lua_call(L, 0, 1);
  double t0 = now_s();
  lh_hook_arm(L);
  enum lh_status st = lh_pcall(L, 1, 0, msg);
  lh_hook_disarm(L);
  fprintf(stderr, "check_pattern: %s stopped after %.2f s\n", what,
          now_s() - t0);
  return st;
}

#define SUBJECT "local P = ... local s = string.rep('a', 40000) "

START_TEST(test_pattern_deadline_stops_backtracking_find)
{
  run.budget.max_time_s = 1.0;
  char *msg = NULL;
  ck_assert_int_eq(run_budgeted("find", SUBJECT "P.find(s, '.-.-.-.-b')", &msg),
                   LH_BUDGET);
  ck_assert_str_eq(run.budget.kind, "time");
  free(msg);
}
END_TEST

START_TEST(test_pattern_deadline_stops_match_gmatch_gsub)
{
  const char *calls[] = {
      SUBJECT "P.match(s, '(.-)(.-)(.-)(.-)b')",
      SUBJECT "for x in P.gmatch(s, 'a*a*a*a*b') do end",
      SUBJECT "P.gsub(s, '.-.-.-.-b', 'x')",
      SUBJECT "P.gsub(s, '.-.-.-.-b', function() end)",
      SUBJECT "P.find(s, '(a*)(a*)(a*)%1b')",
  };
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
    memset(&run.budget, 0, sizeof run.budget);
    run.budget.max_time_s = 0.3;
    ck_assert_int_eq(run_budgeted(calls[i], calls[i], NULL), LH_BUDGET);
    ck_assert_str_eq(run.budget.kind, "time");
  }
}
END_TEST

/* The error cannot be swallowed: once spent, the hook fires on the next
 * instruction after the pcall. */
START_TEST(test_pattern_deadline_beats_pcall_loop)
{
  run.budget.max_time_s = 0.3;
  ck_assert_int_eq(run_budgeted("pcall loop",
                                SUBJECT "while true do "
                                        "pcall(P.find, s, '.-.-.-.-b') end",
                                NULL),
                   LH_BUDGET);
}
END_TEST

/* SIGTERM mid-match (no deadline) ends the run as "killed". */
START_TEST(test_pattern_signal_stops_backtracking_find)
{
  lh_signals_install();
  pid_t child = fork();
  ck_assert_int_ge(child, 0);
  if (child == 0) {
    usleep(300 * 1000);
    kill(getppid(), SIGTERM);
    _exit(0);
  }
  ck_assert_int_eq(
      run_budgeted("find (SIGTERM)", SUBJECT "P.find(s, '.-.-.-.-b')", NULL),
      LH_BUDGET);
  ck_assert_str_eq(run.budget.kind, "killed");
  waitpid(child, NULL, 0);
}
END_TEST

/* The state is whole after the raise: the same state runs more code. */
START_TEST(test_pattern_state_usable_after_budget_error)
{
  run.budget.max_time_s = 0.2;
  ck_assert_int_eq(
      run_budgeted("find", SUBJECT "P.gsub(s, '.-.-.-.-b', 'x')", NULL),
      LH_BUDGET);
  int top = lua_gettop(L);
  ck_assert_int_eq(luaL_dostring(L, "return (string.rep('ab', 3):gsub("
                                    "'(a)(b)', '%2%1'))"),
                   LUA_OK);
  ck_assert_str_eq(lua_tostring(L, -1), "bababa");
  lua_settop(L, top);
}
END_TEST

Suite *
pattern_suite(void)
{
  Suite *s = suite_create("pattern");
  TCase *tc = tcase_create("differential");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_pattern_plain_find_agrees);
  tcase_add_test(tc, test_pattern_classes_agree);
  tcase_add_test(tc, test_pattern_quantifiers_and_depth_limit_agree);
  tcase_add_test(tc, test_pattern_anchors_agree);
  tcase_add_test(tc, test_pattern_balance_and_frontier_agree);
  tcase_add_test(tc, test_pattern_captures_and_limit_agree);
  tcase_add_test(tc, test_pattern_gmatch_agrees);
  tcase_add_test(tc, test_pattern_gsub_agrees);
  tcase_add_test(tc, test_pattern_nul_and_high_bytes_agree);
  tcase_add_test(tc, test_pattern_malformed_and_bad_arguments_agree);
  tcase_add_loop_test(tc, test_pattern_random_cases_agree, 0, 4);
  tcase_add_test(tc, test_pattern_installed_over_string);
  suite_add_tcase(s, tc);

  /* Unbounded, each of these would run for hours: the timeout is the
   * failure. */
  TCase *tb = tcase_create("budget");
  tcase_add_checked_fixture(tb, setup, teardown);
  tcase_set_timeout(tb, 20);
  tcase_add_test(tb, test_pattern_deadline_stops_backtracking_find);
  tcase_add_test(tb, test_pattern_deadline_stops_match_gmatch_gsub);
  tcase_add_test(tb, test_pattern_deadline_beats_pcall_loop);
  tcase_add_test(tb, test_pattern_signal_stops_backtracking_find);
  tcase_add_test(tb, test_pattern_state_usable_after_budget_error);
  suite_add_tcase(s, tb);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(pattern_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
