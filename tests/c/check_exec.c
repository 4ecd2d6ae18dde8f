/* check_exec.c - exec_run(): status, capture, limits, environment and the
 * bubblewrap sandbox, each checked the way a user of a run would. */
#include "error.h"
#include "exec.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

/* Per-run roots, made and removed by main(): a failed assertion ends a
 * forked test with _exit(), which skips the checked teardown.  The second
 * is not under /tmp, which the sandbox covers with its own tmpfs: the tests
 * must show that the sandbox's binds and masks, not that tmpfs, decide. */
static char root_tmp[32], root_var[32];
static char ws[64];    /* the workspace: cwd of every run */
static char other[64]; /* a host directory outside the workspace */

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

static void
rm_rf(char *dir)
{
  if (dir[0])
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  dir[0] = '\0';
}

static void
teardown(void)
{
  rm_rf(ws);
  rm_rf(other);
}

static void
setup(void)
{
  snprintf(ws, sizeof ws, "%s/ws-XXXXXX", root_tmp);
  ck_assert_ptr_nonnull(mkdtemp(ws));
  snprintf(other, sizeof other, "%s/other-XXXXXX", root_var);
  ck_assert_ptr_nonnull(mkdtemp(other));
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
  ck_assert_int_eq(chmod(path, mode), 0);
}

static long
read_long(const char *path)
{
  long v = -1;
  FILE *f = fopen(path, "r");
  if (f) {
    if (fscanf(f, "%ld", &v) != 1)
      v = -1;
    fclose(f);
  }
  return v;
}

static void
sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* Orphans killed by SIGKILL stay zombies, and still answer kill(0), until
 * init reaps them: give it a moment before calling the group alive. */
static int
group_gone(pid_t pgid)
{
  for (int i = 0; i < 50; i++) {
    if (kill(-pgid, 0) < 0 && errno == ESRCH)
      return 1;
    sleep_ms(50);
  }
  return 0;
}

static struct exec_opts
sh_opts(const char *const *argv)
{
  struct exec_opts o = {0};
  o.argv = argv;
  o.cwd = ws;
  o.timeout_s = 20;
  return o;
}

static int
run_sh(struct exec_result *r, const char *script, int sandbox)
{
  const char *argv[] = {"/bin/sh", "-c", script, NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = sandbox;
  return exec_run(r, &o);
}

/* --- status ------------------------------------------------------------ */

START_TEST(test_exec_reports_exit_zero)
{
  const char *argv[] = {"true", NULL};
  struct exec_opts o = sh_opts(argv);
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_int_eq(r.signal, 0);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_uint_eq(r.len, 0);
  ck_assert_str_eq(r.output, "");
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_reports_nonzero_exit)
{
  struct exec_result r;
  ck_assert_int_eq(run_sh(&r, "exit 3", 0), 0);
  ck_assert_int_eq(r.status, 3);
  ck_assert_int_eq(r.signal, 0);
  ck_assert_int_eq(r.timed_out, 0);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_reports_signal)
{
  struct exec_result r;
  ck_assert_int_eq(run_sh(&r, "kill -9 $$", 0), 0);
  ck_assert_int_eq(r.status, -1);
  ck_assert_int_eq(r.signal, SIGKILL);
  ck_assert_int_eq(r.timed_out, 0);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_captures_stdout_and_stderr)
{
  struct exec_result r;
  ck_assert_int_eq(run_sh(&r, "echo out; echo err >&2", 0), 0);
  ck_assert_str_eq(r.output, "out\nerr\n");
  ck_assert_uint_eq(r.len, 8);
  ck_assert_uint_eq(r.total, 8);
  ck_assert_int_eq(r.truncated, 0);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_stdin_is_dev_null)
{
  /* Our stdin carries data and stays open: a child that inherited it
   * would print the data or block until the timeout. */
  int p[2];
  ck_assert_int_eq(pipe(p), 0);
  ck_assert_int_eq(write(p[1], "leak\n", 5), 5);
  int saved = dup(0);
  dup2(p[0], 0);
  const char *argv[] = {"cat", NULL};
  struct exec_opts o = sh_opts(argv);
  o.timeout_s = 5;
  struct exec_result r;
  int rc = exec_run(&r, &o);
  dup2(saved, 0);
  close(saved);
  close(p[0]);
  close(p[1]);
  ck_assert_int_eq(rc, 0);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.output, "");
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_respects_cwd)
{
  const char *argv[] = {"pwd", NULL};
  struct exec_opts o = sh_opts(argv);
  struct exec_result r;
  char want[80];
  ck_assert_int_eq(exec_run(&r, &o), 0);
  snprintf(want, sizeof want, "%s\n", ws);
  ck_assert_str_eq(r.output, want);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_missing_program_is_not_found)
{
  const char *argv[] = {"mlab-no-such-program", NULL};
  struct exec_opts o = sh_opts(argv);
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), MLAB_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "mlab-no-such-program"));
  ck_assert_ptr_null(r.output);

  const char *abs[] = {"/nonexistent/mlab-prog", NULL};
  o.argv = abs;
  ck_assert_int_eq(exec_run(&r, &o), MLAB_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "/nonexistent/mlab-prog"));
}
END_TEST

START_TEST(test_exec_missing_interpreter_is_not_found)
{
  /* Valgrind kills a child whose execve() fails before it can report. */
  if (RUNNING_ON_VALGRIND) {
    printf("note: %s skipped under valgrind\n", __func__);
    return;
  }
  /* The file exists and is executable; only execve() can tell. */
  char path[96];
  snprintf(path, sizeof path, "%s/run.sh", ws);
  write_file(path, "#!/nonexistent/interpreter\necho hi\n", 0755);
  const char *argv[] = {"./run.sh", NULL};
  struct exec_opts o = sh_opts(argv);
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), MLAB_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "run.sh"));
}
END_TEST

START_TEST(test_exec_closes_host_fds)
{
  /* A host descriptor without O_CLOEXEC (a repo, a socket) stays ours. */
  int fd = open("/dev/null", O_RDONLY);
  char script[96];
  ck_assert_int_gt(fd, 2);
  snprintf(script, sizeof script,
           "test -e /proc/self/fd/%d && echo leaked; echo checked", fd);
  struct exec_result r;
  ck_assert_int_eq(run_sh(&r, script, 0), 0);
  ck_assert_str_eq(r.output, "checked\n");
  exec_result_free(&r);
  close(fd);
}
END_TEST

START_TEST(test_exec_refuses_bad_options)
{
  struct exec_result r;
  struct exec_opts o = {0};
  o.cwd = ws;
  ck_assert_int_eq(exec_run(&r, &o), MLAB_EINVAL);

  const char *argv[] = {"true", NULL};
  o = sh_opts(argv);
  o.cwd = NULL;
  ck_assert_int_eq(exec_run(&r, &o), MLAB_EINVAL);
  o.cwd = "/nonexistent/mlab-ws";
  ck_assert_int_eq(exec_run(&r, &o), MLAB_EINVAL);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "/nonexistent/mlab-ws"));
}
END_TEST

/* --- environment ------------------------------------------------------- */

START_TEST(test_exec_default_env_has_path_and_no_secrets)
{
  setenv("OPENAI_API_KEY", "sk-mlab-test", 1);
  setenv("OMP_NUM_THREADS", "3", 1);
  const char *argv[] = {"env", NULL};
  struct exec_opts o = sh_opts(argv);
  struct exec_result r;
  char home[96];
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(strncmp(r.output, "PATH=/usr/bin", 13) == 0, "env: %s",
                r.output);
  snprintf(home, sizeof home, "\nHOME=%s\n", ws);
  ck_assert_ptr_nonnull(strstr(r.output, home));
  ck_assert_ptr_nonnull(strstr(r.output, "\nOMP_NUM_THREADS=3\n"));
  ck_assert_ptr_null(strstr(r.output, "OPENAI_API_KEY"));
  ck_assert_ptr_null(strstr(r.output, "sk-mlab-test"));
  exec_result_free(&r);
  unsetenv("OPENAI_API_KEY");
  unsetenv("OMP_NUM_THREADS");
}
END_TEST

START_TEST(test_exec_passes_given_env)
{
  const char *argv[] = {"sh", "-c", "echo \"$FOO\"; echo \"$HOME\"", NULL};
  const char *env[] = {"FOO=bar", NULL};
  struct exec_opts o = sh_opts(argv);
  o.envp = env;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_str_eq(r.output, "bar\n\n");
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_searches_child_path)
{
  char dir[96], tool[128], path_var[128];
  snprintf(dir, sizeof dir, "%s/bin", ws);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  snprintf(tool, sizeof tool, "%s/mlab-tool", dir);
  write_file(tool, "#!/bin/sh\necho mine\n", 0755);
  snprintf(path_var, sizeof path_var, "PATH=/nonexistent:%s:/usr/bin", dir);
  const char *argv[] = {"mlab-tool", NULL};
  const char *env[] = {path_var, NULL};
  struct exec_opts o = sh_opts(argv);
  o.envp = env;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_str_eq(r.output, "mine\n");
  exec_result_free(&r);
}
END_TEST

/* --- limits ------------------------------------------------------------ */

START_TEST(test_exec_timeout_kills_sleep)
{
  const char *argv[] = {"sleep", "30", NULL};
  struct exec_opts o = sh_opts(argv);
  o.timeout_s = 1;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.timed_out, 1);
  ck_assert_int_eq(r.signal, SIGKILL);
  ck_assert_double_ge(r.duration_s, 0.9);
  ck_assert_double_lt(r.duration_s, 3);
  exec_result_free(&r);
}
END_TEST

static volatile sig_atomic_t stop_flag;

static void
on_alarm(int sig)
{
  stop_flag = sig;
}

/* A signal to the host (here SIGALRM standing in for SIGTERM) stops a
 * running script through opts.cancel, long before its own timeout. */
START_TEST(test_exec_cancel_flag_kills_script)
{
  const char *argv[] = {"sleep", "30", NULL};
  struct exec_opts o = sh_opts(argv);
  o.timeout_s = 20;
  o.cancel = &stop_flag;
  stop_flag = 0;
  signal(SIGALRM, on_alarm);
  alarm(1);
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.cancelled, 1);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_double_ge(r.duration_s, 0.9);
  ck_assert_double_lt(r.duration_s, 3);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_timeout_kills_background_children)
{
  const char *argv[] = {"sh", "-c",
                        "echo $$ > pgid; sleep 30 & sleep 30 & wait", NULL};
  struct exec_opts o = sh_opts(argv);
  o.timeout_s = 1;
  struct exec_result r;
  char path[96];
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.timed_out, 1);
  ck_assert_double_lt(r.duration_s, 3);
  snprintf(path, sizeof path, "%s/pgid", ws);
  long pgid = read_long(path);
  ck_assert_int_gt(pgid, 1);
  ck_assert_msg(group_gone((pid_t)pgid), "group %ld still alive", pgid);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_kills_leftovers_after_exit)
{
  /* The background sleep holds the pipe: without a kill, no EOF. */
  struct exec_result r;
  char path[96];
  ck_assert_int_eq(run_sh(&r, "echo $$ > pgid; sleep 30 & echo done", 0), 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_str_eq(r.output, "done\n");
  ck_assert_double_lt(r.duration_s, 3);
  snprintf(path, sizeof path, "%s/pgid", ws);
  long pgid = read_long(path);
  ck_assert_int_gt(pgid, 1);
  ck_assert_msg(group_gone((pid_t)pgid), "group %ld still alive", pgid);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_escapee_cannot_hang_run)
{
  /* A setsid() grandchild leaves the group and keeps the pipe open. */
  struct exec_result r;
  char path[96];
  int rc = run_sh(&r,
                  "setsid sh -c 'echo $$ > esc.pid; exec sleep 30' &"
                  " sleep 0.3; echo hi",
                  0);
  snprintf(path, sizeof path, "%s/esc.pid", ws);
  long esc = read_long(path);
  if (esc > 1)
    kill((pid_t)esc, SIGKILL); /* it outlives us by design; not our test */
  ck_assert_int_eq(rc, 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_str_eq(r.output, "hi\n");
  ck_assert_double_lt(r.duration_s, 2);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_truncates_output_flood)
{
  const char *argv[] = {"sh", "-c", "yes | head -c 50000000", NULL};
  struct exec_opts o = sh_opts(argv);
  o.out_cap = 65536;
  o.timeout_s = 60;
  struct exec_result r;
  const char *marker = "\n[... 49934464 bytes of output truncated ...]\n";
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_uint_eq(r.total, 50000000);
  ck_assert_int_eq(r.truncated, 1);
  ck_assert_uint_eq(r.len, 65536 + strlen(marker));
  ck_assert_uint_eq(strlen(r.output), r.len);
  ck_assert_ptr_nonnull(strstr(r.output, marker));
  ck_assert_int_eq(strncmp(r.output, "y\ny\n", 4), 0);
  ck_assert_str_eq(r.output + r.len - 4, "y\ny\n");
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_keeps_all_output_up_to_cap)
{
  /* Several pipefuls that fill head and tail exactly: nothing is lost. */
  const char *argv[] = {"sh", "-c", "yes | head -c 300000", NULL};
  struct exec_opts o = sh_opts(argv);
  o.out_cap = 300000;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_uint_eq(r.total, 300000);
  ck_assert_uint_eq(r.len, 300000);
  ck_assert_int_eq(r.truncated, 0);
  ck_assert_str_eq(r.output + r.len - 4, "y\ny\n");
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_truncation_keeps_head_and_tail)
{
  const char *argv[] = {"printf", "0123456789abcdefg", NULL};
  struct exec_opts o = sh_opts(argv);
  o.out_cap = 16;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_str_eq(r.output, "01234567\n[... 1 bytes of output truncated ...]\n"
                             "9abcdefg");
  ck_assert_uint_eq(r.total, 17);
  ck_assert_int_eq(r.truncated, 1);
  exec_result_free(&r);

  const char *fits[] = {"printf", "0123456789abcdef", NULL};
  o.argv = fits;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_str_eq(r.output, "0123456789abcdef");
  ck_assert_int_eq(r.truncated, 0);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_memory_limit_stops_hog)
{
  const char *argv[] = {"/usr/bin/python3", "-c", "bytearray(2<<30)", NULL};
  struct exec_opts o = sh_opts(argv);
  o.mem_bytes = (size_t)300 << 20;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_ne(r.status, 0);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_msg(strstr(r.output, "MemoryError") != NULL, "output: %s",
                r.output);
  exec_result_free(&r);
}
END_TEST

/* --- sandbox ----------------------------------------------------------- */

START_TEST(test_exec_sandbox_writes_inside_cwd)
{
  struct exec_result r;
  char path[96];
  ck_assert_int_eq(run_sh(&r, "echo hi > f && cat f", 1), 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_str_eq(r.output, "hi\n");
  snprintf(path, sizeof path, "%s/f", ws);
  ck_assert_int_eq(access(path, F_OK), 0);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_refuses_writes_outside_cwd)
{
  struct exec_result r;
  char script[160], path[96];
  snprintf(script, sizeof script, "echo x > %s/f", other);
  snprintf(path, sizeof path, "%s/f", other);
  ck_assert_int_eq(run_sh(&r, script, 1), 0);
  ck_assert_int_ne(r.status, 0);
  ck_assert_int_ne(access(path, F_OK), 0);
  exec_result_free(&r);

  /* The same write is allowed without the sandbox. */
  ck_assert_int_eq(run_sh(&r, script, 0), 0);
  ck_assert_int_eq(r.status, 0);
  ck_assert_int_eq(access(path, F_OK), 0);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_hides_paths)
{
  char secret[96], script[160];
  snprintf(secret, sizeof secret, "%s/secret", other);
  write_file(secret, "s3cret\n", 0644);
  snprintf(script, sizeof script, "cat %s", secret);
  const char *argv[] = {"sh", "-c", script, NULL};
  const char *hide[] = {other, "/nonexistent/mlab-hidden", NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = 1;
  struct exec_result r;

  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_str_eq(r.output, "s3cret\n"); /* readable when not hidden */
  exec_result_free(&r);

  o.hide = hide;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_ne(r.status, 0);
  ck_assert_ptr_null(strstr(r.output, "s3cret"));
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_binds_workspace_inside_hidden_dir)
{
  char inner[96], secret[96], made[128];
  snprintf(secret, sizeof secret, "%s/secret", other);
  write_file(secret, "s3cret\n", 0644);
  snprintf(inner, sizeof inner, "%s/ws", other);
  ck_assert_int_eq(mkdir(inner, 0755), 0);
  const char *argv[] = {"sh", "-c", "echo ok > f; cat ../secret", NULL};
  const char *hide[] = {other, NULL};
  struct exec_opts o = sh_opts(argv);
  o.cwd = inner;
  o.sandbox = 1;
  o.hide = hide;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_ptr_null(strstr(r.output, "s3cret"));
  snprintf(made, sizeof made, "%s/f", inner);
  ck_assert_int_eq(access(made, F_OK), 0);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_blocks_network)
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  socklen_t alen = sizeof a;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ck_assert_int_ge(s, 0);
  ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(listen(s, 4), 0);
  ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &alen), 0);
  char code[128];
  snprintf(code, sizeof code,
           "import socket; socket.create_connection(('127.0.0.1', %d), 2)",
           ntohs(a.sin_port));
  const char *argv[] = {"/usr/bin/python3", "-c", code, NULL};
  struct exec_opts o = sh_opts(argv);
  struct exec_result r;

  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_msg(r.status == 0, "unsandboxed connect: %s", r.output);
  exec_result_free(&r);

  o.sandbox = 1;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_ne(r.status, 0);
  ck_assert_ptr_nonnull(strstr(r.output, "Error"));
  exec_result_free(&r);
  close(s);
}
END_TEST

START_TEST(test_exec_sandbox_timeout_kills_escapees)
{
  /* In the sandbox a setsid() escapee dies with the pid namespace: its
   * ticks in the workspace stop. */
  const char *argv[] = {
      "sh", "-c",
      "setsid sh -c 'while :; do echo t >> tick; sleep 0.05; done' &"
      " sleep 30",
      NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = 1;
  o.timeout_s = 1;
  struct exec_result r;
  char path[96];
  struct stat before, after;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.timed_out, 1);
  ck_assert_double_lt(r.duration_s, 3);
  snprintf(path, sizeof path, "%s/tick", ws);
  ck_assert_int_eq(stat(path, &before), 0);
  ck_assert_int_gt(before.st_size, 0);
  sleep_ms(500);
  ck_assert_int_eq(stat(path, &after), 0);
  ck_assert_int_eq(after.st_size, before.st_size);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_reports_exit_status)
{
  struct exec_result r;
  ck_assert_int_eq(run_sh(&r, "echo out; exit 3", 1), 0);
  ck_assert_int_eq(r.status, 3);
  ck_assert_str_eq(r.output, "out\n");
  exec_result_free(&r);
}
END_TEST

static TCase *
tcase(const char *name)
{
  TCase *tc = tcase_create(name);
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 120);
  return tc;
}

static Suite *
exec_suite(void)
{
  Suite *s = suite_create("exec");
  TCase *tc = tcase("status");
  tcase_add_test(tc, test_exec_reports_exit_zero);
  tcase_add_test(tc, test_exec_reports_nonzero_exit);
  tcase_add_test(tc, test_exec_reports_signal);
  tcase_add_test(tc, test_exec_captures_stdout_and_stderr);
  tcase_add_test(tc, test_exec_stdin_is_dev_null);
  tcase_add_test(tc, test_exec_respects_cwd);
  tcase_add_test(tc, test_exec_missing_program_is_not_found);
  tcase_add_test(tc, test_exec_missing_interpreter_is_not_found);
  tcase_add_test(tc, test_exec_closes_host_fds);
  tcase_add_test(tc, test_exec_refuses_bad_options);
  suite_add_tcase(s, tc);

  tc = tcase("env");
  tcase_add_test(tc, test_exec_default_env_has_path_and_no_secrets);
  tcase_add_test(tc, test_exec_passes_given_env);
  tcase_add_test(tc, test_exec_searches_child_path);
  suite_add_tcase(s, tc);

  tc = tcase("limits");
  tcase_add_test(tc, test_exec_timeout_kills_sleep);
  tcase_add_test(tc, test_exec_cancel_flag_kills_script);
  tcase_add_test(tc, test_exec_timeout_kills_background_children);
  tcase_add_test(tc, test_exec_kills_leftovers_after_exit);
  tcase_add_test(tc, test_exec_escapee_cannot_hang_run);
  tcase_add_test(tc, test_exec_truncates_output_flood);
  tcase_add_test(tc, test_exec_keeps_all_output_up_to_cap);
  tcase_add_test(tc, test_exec_truncation_keeps_head_and_tail);
  tcase_add_test(tc, test_exec_memory_limit_stops_hog);
  suite_add_tcase(s, tc);

  if (!exec_has_bwrap()) {
    printf("note: bwrap is not usable here; sandbox tests skipped\n");
    return s;
  }
  tc = tcase("sandbox");
  tcase_add_test(tc, test_exec_sandbox_writes_inside_cwd);
  tcase_add_test(tc, test_exec_sandbox_refuses_writes_outside_cwd);
  tcase_add_test(tc, test_exec_sandbox_hides_paths);
  tcase_add_test(tc, test_exec_sandbox_binds_workspace_inside_hidden_dir);
  tcase_add_test(tc, test_exec_sandbox_blocks_network);
  tcase_add_test(tc, test_exec_sandbox_timeout_kills_escapees);
  tcase_add_test(tc, test_exec_sandbox_reports_exit_status);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  strcpy(root_tmp, "/tmp/mlab-exec-XXXXXX");
  strcpy(root_var, "/var/tmp/mlab-exec-XXXXXX");
  if (!mkdtemp(root_tmp) || !mkdtemp(root_var)) {
    perror("check_exec: mkdtemp");
    return EXIT_FAILURE;
  }
  SRunner *sr = srunner_create(exec_suite());
  /* Fork mode by default; CK_FORK=no (for valgrind) still applies. */
  srunner_run_all(sr, CK_ENV);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  rm_rf(root_tmp);
  rm_rf(root_var);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
