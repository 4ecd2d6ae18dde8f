/* check_budget.c - the arithmetic of steps, time and tokens. */
#include "budget.h"
#include "error.h"

#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(test_budget_steps_stop_at_max)
{
  struct budget b = {.max_steps = 3};
  budget_start(&b);
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(budget_take_step(&b), 0);
  ck_assert_int_eq(budget_take_step(&b), MLAB_EBUDGET);
  ck_assert_int_eq(b.steps, 3);
  ck_assert(b.exhausted);
  ck_assert_str_eq(b.kind, "steps");
}
END_TEST

START_TEST(test_budget_unlimited_by_default)
{
  struct budget b = {0};
  budget_start(&b);
  for (int i = 0; i < 1000; i++)
    ck_assert_int_eq(budget_take_step(&b), 0);
  ck_assert(isinf(budget_time_left(&b)));
  ck_assert_int_eq(budget_tokens_allow(&b, 1L << 40), 0);
}
END_TEST

/* Providers report any usage: sums saturate instead of wrapping (signed
 * overflow is undefined; the budget would never trip again). */
START_TEST(test_budget_tokens_saturate)
{
  struct budget b = {.max_tokens = 1000};
  budget_start(&b);
  budget_tokens_add(&b, 1L << 62);
  budget_tokens_add(&b, 1L << 62);
  ck_assert_int_eq(b.tokens, LONG_MAX);
  ck_assert_int_eq(budget_tokens_allow(&b, 1L << 62), MLAB_EBUDGET);
  ck_assert_int_eq(budget_tokens_since_mark(&b), LONG_MAX);
  budget_tokens_add(&b, LONG_MIN); /* counts nothing */
  ck_assert_int_eq(b.tokens, LONG_MAX);
  ck_assert_int_eq(budget_tokens_since_mark(&b), 0);
  b.tokens = 0;
  ck_assert_int_eq(budget_tokens_allow(&b, LONG_MIN), 0);
}
END_TEST

START_TEST(test_budget_time_runs_out)
{
  struct budget b = {.max_time_s = 0.05};
  budget_start(&b);
  ck_assert_int_eq(budget_check_time(&b), 0);
  ck_assert(budget_time_left(&b) > 0);
  usleep(80000);
  ck_assert(budget_time_left(&b) == 0);
  ck_assert_int_eq(budget_take_step(&b), MLAB_EBUDGET);
  ck_assert_str_eq(b.kind, "time");
}
END_TEST

START_TEST(test_budget_tokens_refuse_before_passing)
{
  struct budget b = {.max_tokens = 100};
  budget_start(&b);
  ck_assert_int_eq(budget_tokens_allow(&b, 100), 0);
  budget_tokens_add(&b, 60);
  ck_assert_int_eq(budget_tokens_allow(&b, 40), 0);
  ck_assert_int_eq(budget_tokens_allow(&b, 41), MLAB_EBUDGET);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "60 used"));
  ck_assert(!b.exhausted); /* a refused call does not end the run */
}
END_TEST

START_TEST(test_budget_tokens_per_step)
{
  struct budget b = {0};
  budget_start(&b);
  budget_tokens_add(&b, 10);
  budget_tokens_add(&b, 5);
  ck_assert_int_eq(budget_tokens_since_mark(&b), 15);
  ck_assert_int_eq(budget_tokens_since_mark(&b), 0);
  budget_tokens_add(&b, 7);
  ck_assert_int_eq(budget_tokens_since_mark(&b), 7);
  ck_assert_int_eq(b.tokens, 22);
}
END_TEST

START_TEST(test_budget_first_kind_wins)
{
  struct budget b = {0};
  budget_start(&b);
  budget_exhaust(&b, "memory");
  budget_exhaust(&b, "time");
  ck_assert_str_eq(b.kind, "memory");
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("budget");
  TCase *tc = tcase_create("limits");
  tcase_add_test(tc, test_budget_steps_stop_at_max);
  tcase_add_test(tc, test_budget_unlimited_by_default);
  tcase_add_test(tc, test_budget_tokens_saturate);
  tcase_add_test(tc, test_budget_time_runs_out);
  tcase_add_test(tc, test_budget_tokens_refuse_before_passing);
  tcase_add_test(tc, test_budget_tokens_per_step);
  tcase_add_test(tc, test_budget_first_kind_wins);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
