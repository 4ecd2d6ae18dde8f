/* budget.c - arithmetic of the run's limits; see budget.h. */
#include "budget.h"
#include "error.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

double
budget_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
budget_start(struct budget *b)
{
  b->started = budget_now();
  b->steps = 0;
  b->tokens = 0;
  b->tokens_mark = 0;
  b->exhausted = 0;
  b->kind[0] = '\0';
}

double
budget_time_left(const struct budget *b)
{
  if (b->max_time_s <= 0)
    return HUGE_VAL;
  double left = b->started + b->max_time_s - budget_now();
  return left > 0 ? left : 0;
}

void
budget_exhaust(struct budget *b, const char *kind)
{
  if (b->exhausted)
    return;
  b->exhausted = 1;
  snprintf(b->kind, sizeof b->kind, "%s", kind);
}

int
budget_check_time(struct budget *b)
{
  if (b->max_time_s > 0 && budget_time_left(b) <= 0) {
    budget_exhaust(b, "time");
    return mlab_fail(MLAB_EBUDGET, "budget: time (%.0f s) is spent",
                     b->max_time_s);
  }
  return 0;
}

int
budget_take_step(struct budget *b)
{
  int err = budget_check_time(b);
  if (err)
    return err;
  if (b->max_steps > 0 && b->steps >= b->max_steps) {
    budget_exhaust(b, "steps");
    return mlab_fail(MLAB_EBUDGET, "budget: all %ld steps are used",
                     b->max_steps);
  }
  b->steps++;
  return 0;
}

/* a + b, saturated at LONG_MIN / LONG_MAX (signed overflow is UB, and a
 * provider may report any usage). */
static long
sat_add(long a, long b)
{
  long r;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? LONG_MAX : LONG_MIN;
  return r;
}

int
budget_tokens_allow(const struct budget *b, long n)
{
  if (b->max_tokens > 0 && sat_add(b->tokens, n) > b->max_tokens)
    return mlab_fail(MLAB_EBUDGET,
                     "budget: tokens (%ld used, %ld asked, limit %ld)",
                     b->tokens, n, b->max_tokens);
  return 0;
}

void
budget_tokens_add(struct budget *b, long n)
{
  /* Usage comes from a model server: a negative or huge count must not
   * wrap the counter and unlock the budget. */
  if (n <= 0)
    return;
  b->tokens = sat_add(b->tokens, n);
}

long
budget_tokens_since_mark(struct budget *b)
{
  long n;
  if (__builtin_sub_overflow(b->tokens, b->tokens_mark, &n))
    n = b->tokens_mark < 0 ? LONG_MAX : LONG_MIN;
  b->tokens_mark = b->tokens;
  return n;
}
