/* budget.h - the limits the host enforces on a run, and what is spent.
 *
 * Plain counters, no Lua: luahost.c holds one per run and reaches it from
 * hooks and bindings (lh_budget()).  Time is monotonic.  Once the run must
 * stop, `exhausted` stays set and `kind` says why: a budget ("steps",
 * "time", "tokens", "memory") or another end that agent code must not
 * outlive ("killed" by a signal, "diverged" from a recording on resume or
 * replay, "host" when the record could not be written).
 */
#ifndef MLAB_BUDGET_H
#define MLAB_BUDGET_H

#include <stddef.h>

struct budget {
  long max_steps;    /* <= 0: unlimited */
  double max_time_s; /* <= 0: unlimited */
  long max_tokens;   /* <= 0: unlimited */
  size_t max_mem;    /* Lua heap bytes; 0: unlimited */

  long steps;       /* actions taken */
  long tokens;      /* prompt + completion, from provider usage */
  long tokens_mark; /* tokens at the end of the last step */
  size_t mem;       /* current Lua heap */
  double started;   /* monotonic seconds at budget_start() */

  int exhausted;
  char kind[16];
};

/* Monotonic clock in seconds. */
double budget_now(void);

void budget_start(struct budget *b);

/* Seconds left before the deadline (HUGE_VAL without a time budget, 0 when
 * passed). */
double budget_time_left(const struct budget *b);

/* MLAB_EBUDGET (and exhausted set) when the deadline has passed. */
int budget_check_time(struct budget *b);

/* Takes one step: MLAB_EBUDGET when max_steps are already used (the step
 * is not counted then), or when time is up. */
int budget_take_step(struct budget *b);

/* MLAB_EBUDGET when n more tokens would pass max_tokens (nothing is
 * counted; exhausted is NOT set, the caller decides). */
int budget_tokens_allow(const struct budget *b, long n);

/* Counts tokens used by a call (n <= 0 counts nothing; the sum saturates
 * at LONG_MAX).  Running out of tokens does not end the run by itself: the
 * next call is refused and the agent decides. */
void budget_tokens_add(struct budget *b, long n);

/* Tokens used since the last call (the last step), then moves the mark. */
long budget_tokens_since_mark(struct budget *b);

/* Marks the run stopped with the given kind (first kind wins). */
void budget_exhaust(struct budget *b, const char *kind);

#endif
