/* check_proc.c - background children (proc.h): status, output file,
 * process groups, signals at their defaults, waiting for any of many. */
#include "error.h"
#include "proc.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static void
setup(void)
{
  snprintf(dir, sizeof dir, "/tmp/check-proc-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", dir);
}

static double
now_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct proc
start_sh(const char *script, const char *out, int group)
{
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  struct proc_opts o = {
      .argv = argv, .cwd = dir, .out_path = out, .new_group = group};
  struct proc p;
  ck_assert_int_eq(proc_spawn(&p, &o), 0);
  ck_assert_int_gt(p.pid, 0);
  return p;
}

static void
wait_for(struct proc *p)
{
  struct proc *ps[] = {p};
  size_t idx;
  double end = now_s() + 10;
  do
    ck_assert_int_eq(proc_wait_any(&idx, ps, 1, 1.0), 0);
  while (idx != 0 && now_s() < end);
  ck_assert_int_eq(idx, 0);
  ck_assert_int_eq(p->exited, 1);
}

static char *
slurp(const char *path)
{
  static char buf[4096];
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

START_TEST(test_proc_exit_status_and_output_file)
{
  char out[128];
  snprintf(out, sizeof out, "%s/out.log", dir);
  struct proc p = start_sh("echo one; echo two >&2; pwd; exit 3", out, 0);
  wait_for(&p);
  ck_assert_int_eq(p.status, 3);
  ck_assert_int_eq(p.signal, 0);
  /* A second child appends to the same file. */
  struct proc q = start_sh("echo three", out, 0);
  wait_for(&q);
  char want[256];
  snprintf(want, sizeof want, "one\ntwo\n%s\nthree\n", dir);
  ck_assert_str_eq(slurp(out), want);
  proc_release(&p);
  proc_release(&q);
}
END_TEST

START_TEST(test_proc_missing_program_is_not_found)
{
  const char *argv[] = {"/nonexistent/prog", NULL};
  struct proc_opts o = {.argv = argv};
  struct proc p;
  ck_assert_int_eq(proc_spawn(&p, &o), MLAB_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "/nonexistent/prog"));
}
END_TEST

START_TEST(test_proc_env_is_given)
{
  char out[128];
  snprintf(out, sizeof out, "%s/env.log", dir);
  const char *argv[] = {"/bin/sh", "-c", "echo \"$A-$B\"", NULL};
  const char *envp[] = {"A=x", "B=y", NULL};
  struct proc_opts o = {.argv = argv, .envp = envp, .out_path = out};
  struct proc p;
  ck_assert_int_eq(proc_spawn(&p, &o), 0);
  wait_for(&p);
  ck_assert_str_eq(slurp(out), "x-y\n");
}
END_TEST

/* The host ignores SIGPIPE and catches SIGINT; the child must not.  (glibc's
 * posix_spawn leaves its two internal signals, 32 and 33, ignored: only
 * the classic signals 1-31 are looked at.) */
START_TEST(test_proc_child_signals_are_default)
{
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, SIG_IGN);
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, NULL);
  char out[128];
  snprintf(out, sizeof out, "%s/sig.log", dir);
  struct proc p =
      start_sh("exec grep -E '^Sig(Ign|Blk)' /proc/self/status", out, 0);
  wait_for(&p);
  unsigned long long blk = 1, ign = 1;
  ck_assert_int_eq(sscanf(slurp(out), "SigBlk: %llx SigIgn: %llx", &blk, &ign),
                   2);
  ck_assert_uint_eq(blk & 0x7fffffffULL, 0);
  ck_assert_uint_eq(ign & 0x7fffffffULL, 0);
  sigprocmask(SIG_UNBLOCK, &block, NULL);
}
END_TEST

START_TEST(test_proc_group_signal_reaches_grandchildren)
{
  char out[128];
  snprintf(out, sizeof out, "%s/pids", dir);
  struct proc p =
      start_sh("sleep 30 & echo $!; cut -d' ' -f5 /proc/$$/stat; wait", out, 1);
  char *s = NULL;
  for (int i = 0;
       i < 100 && !(s = slurp(out),
                  s && strchr(s, '\n') && strchr(strchr(s, '\n') + 1, '\n'));
       i++)
    usleep(50000);
  ck_assert_ptr_nonnull(s);
  int grandchild = atoi(s);
  int pgid = atoi(strchr(s, '\n') + 1);
  ck_assert_int_eq(pgid, p.pid); /* its own group */
  ck_assert_int_eq(kill(grandchild, 0), 0);
  ck_assert_int_eq(proc_signal(&p, SIGTERM, 1), 0);
  wait_for(&p);
  ck_assert_int_eq(p.signal, SIGTERM);
  /* The grandchild was in the group: it is gone (or a zombie of init). */
  int gone = 0;
  for (int i = 0; i < 100 && !gone; i++) {
    char path[64], st[256] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", grandchild);
    FILE *f = fopen(path, "r");
    if (!f) {
      gone = 1;
      break;
    }
    if (fgets(st, sizeof st, f) && strstr(st, ") Z "))
      gone = 1;
    fclose(f);
    usleep(50000);
  }
  ck_assert(gone);
  /* A reaped child gets nothing: its pid may be reused. */
  ck_assert_int_eq(proc_signal(&p, SIGKILL, 0), 0);
}
END_TEST

START_TEST(test_proc_wait_any_returns_the_first_to_end)
{
  struct proc a = start_sh("sleep 5", NULL, 1);
  struct proc b = start_sh("sleep 0.2; exit 7", NULL, 1);
  struct proc *ps[] = {&a, &b};
  size_t idx = 9;
  double t0 = now_s();
  ck_assert_int_eq(proc_wait_any(&idx, ps, 2, 4.0), 0);
  ck_assert_int_eq(idx, 1);
  ck_assert_int_eq(b.status, 7);
  ck_assert_double_lt(now_s() - t0, 3.0);
  /* Nothing else ends within the timeout: idx is n. */
  struct proc *only_a[] = {&a};
  ck_assert_int_eq(proc_wait_any(&idx, only_a, 1, 0.1), 0);
  ck_assert_int_eq(idx, 1);
  ck_assert_int_eq(a.exited, 0);
  ck_assert_int_eq(proc_signal(&a, SIGKILL, 1), 0);
  wait_for(&a);
  ck_assert_int_eq(a.signal, SIGKILL);
}
END_TEST

/* The times of the child and of what it waited for come apart. */
START_TEST(test_proc_cpu_times_of_child_and_its_children)
{
  struct proc p = start_sh(
      "/bin/sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done'; :", NULL,
      1);
  wait_for(&p);
  ck_assert_int_eq(p.status, 0);
  ck_assert_double_gt(p.cpu_children, 0.05);
  ck_assert_double_lt(p.cpu_self, p.cpu_children);
}
END_TEST

static void
on_alarm(int sig)
{
  (void)sig;
}

/* A signal to the host ends the wait early, so Ctrl-C is seen at once. */
START_TEST(test_proc_wait_any_returns_on_a_signal)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART, as mlab's handlers */
  sigaction(SIGALRM, &sa, NULL);
  struct proc a = start_sh("sleep 5", NULL, 1);
  struct proc *ps[] = {&a};
  size_t idx = 0;
  alarm(1);
  double t0 = now_s();
  ck_assert_int_eq(proc_wait_any(&idx, ps, 1, 8.0), 0);
  ck_assert_int_eq(idx, 1);
  ck_assert_double_lt(now_s() - t0, 4.0);
  proc_signal(&a, SIGKILL, 1);
  wait_for(&a);
}
END_TEST

static Suite *
proc_suite(void)
{
  Suite *s = suite_create("proc");
  TCase *tc = tcase_create("children");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_proc_exit_status_and_output_file);
  tcase_add_test(tc, test_proc_missing_program_is_not_found);
  tcase_add_test(tc, test_proc_env_is_given);
  tcase_add_test(tc, test_proc_child_signals_are_default);
  tcase_add_test(tc, test_proc_group_signal_reaches_grandchildren);
  tcase_add_test(tc, test_proc_wait_any_returns_the_first_to_end);
  tcase_add_test(tc, test_proc_wait_any_returns_on_a_signal);
  tcase_add_test(tc, test_proc_cpu_times_of_child_and_its_children);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(proc_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
