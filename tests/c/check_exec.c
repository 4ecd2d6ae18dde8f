/* check_exec.c - exec_run(): status, capture, limits, environment and the
 * bubblewrap sandbox, each checked the way a user of a run would. */
#include "error.h"
#include "exec.h"
#include "fsutil.h"

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
#include <sys/wait.h>
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

START_TEST(test_exec_sandbox_sees_no_host_folders)
{
  /* Outside the workspace the sandbox shows system folders only: a file
   * in a host folder nobody listed in hide is not there either. */
  char secret[96], script[160];
  snprintf(secret, sizeof secret, "%s/secret", other);
  write_file(secret, "s3cret\n", 0644);
  snprintf(script, sizeof script, "cat %s; ls /; ls /root /home /var /run",
           secret);
  const char *argv[] = {"sh", "-c", script, NULL};
  struct exec_opts o = sh_opts(argv);
  struct exec_result r;

  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_ptr_nonnull(strstr(r.output, "s3cret")); /* plain: readable */
  exec_result_free(&r);

  o.sandbox = 1;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_ne(r.status, 0);
  ck_assert_ptr_null(strstr(r.output, "s3cret"));
  ck_assert_ptr_nonnull(strstr(r.output, "\nworkspace\n"));
  ck_assert_ptr_nonnull(strstr(r.output, "/root': No such file"));
  ck_assert_ptr_nonnull(strstr(r.output, "/var': No such file"));
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_hides_paths_inside_workspace)
{
  char dir[96], secret[128];
  snprintf(dir, sizeof dir, "%s/cache", ws);
  ck_assert_int_eq(mkdir(dir, 0755), 0);
  snprintf(secret, sizeof secret, "%s/labels", dir);
  write_file(secret, "s3cret\n", 0644);
  const char *argv[] = {"sh", "-c", "cat cache/labels; echo x > cache/y", NULL};
  const char *hide[] = {dir, "/nonexistent/mlab-hidden", NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = 1;
  o.hide = hide;
  struct exec_result r;
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

START_TEST(test_exec_sandbox_has_no_capabilities)
{
  struct exec_result r;
  ck_assert_int_eq(
      run_sh(&r,
             "grep CapEff /proc/self/status; "
             "umount /tmp 2>/dev/null && echo UMOUNTED; "
             "umount -l /workspace 2>/dev/null && echo UMOUNTED; "
             "mount -o remount,rw / 2>/dev/null && echo REMOUNTED; "
             "mount -t tmpfs x /workspace 2>/dev/null && echo MOUNTED; "
             "mknod /tmp/null c 1 3 2>/dev/null && echo MKNOD; "
             "unshare -U true 2>/dev/null && echo NESTED; "
             "touch /usr/x /etc/x /x 2>/dev/null && echo WROTE; "
             "echo done",
             1),
      0);
  ck_assert_msg(strstr(r.output, "CapEff:\t0000000000000000\n") != NULL,
                "output: %s", r.output);
  ck_assert_msg(strstr(r.output, "UMOUNTED") == NULL &&
                    strstr(r.output, "MOUNTED") == NULL &&
                    strstr(r.output, "MKNOD") == NULL &&
                    strstr(r.output, "NESTED") == NULL &&
                    strstr(r.output, "WROTE") == NULL,
                "output: %s", r.output);
  ck_assert_ptr_nonnull(strstr(r.output, "done\n"));
  exec_result_free(&r);
}
END_TEST

static char *
slurp(const char *path)
{
  static char buf[4096];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  if (f)
    fclose(f);
  buf[n] = '\0';
  return buf;
}

START_TEST(test_exec_sandbox_drops_root)
{
  if (geteuid() != 0) {
    printf("note: %s needs root; skipped\n", __func__);
    return;
  }
  char before[4096], path[96];
  struct stat st;
  snprintf(before, sizeof before, "%s", slurp("/proc/sys/kernel/core_pattern"));
  struct exec_result r;
  ck_assert_int_eq(
      run_sh(&r,
             "id -u; touch mine; "
             "grep -q root /etc/shadow 2>/dev/null && echo SHADOW; "
             "echo '|/bin/false' > /proc/sys/kernel/core_pattern "
             "2>/dev/null && echo SYSCTL; "
             "echo done",
             1),
      0);
  ck_assert_msg(strstr(r.output, "SHADOW") == NULL &&
                    strstr(r.output, "SYSCTL") == NULL,
                "output: %s", r.output);
  ck_assert_ptr_nonnull(strstr(r.output, "done\n"));
  ck_assert_str_eq(slurp("/proc/sys/kernel/core_pattern"), before);
  /* The host sees the script's files as EXEC_SANDBOX_UID's, not root's. */
  snprintf(path, sizeof path, "%s/mine", ws);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_eq(st.st_uid, EXEC_SANDBOX_UID);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_workspace_at_fixed_path)
{
  char path[96];
  snprintf(path, sizeof path, "%s/x.py", ws);
  write_file(path, "def f():\n    raise ValueError('boom')\nf()\n", 0644);
  const char *argv[] = {"/usr/bin/python3", "x.py", NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = 1;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_ptr_nonnull(strstr(r.output, "File \"/workspace/x.py\", line 3"));
  ck_assert_ptr_null(strstr(r.output, ws));
  exec_result_free(&r);

  /* HOME, TMPDIR and PWD are the sandbox's whatever envp says. */
  const char *sh[] = {"sh", "-c", "pwd; echo \"$HOME $TMPDIR $PWD\"", NULL};
  const char *env[] = {"HOME=/root", "TMPDIR=/var/tmp", NULL};
  o.argv = sh;
  o.envp = env;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_str_eq(r.output, "/workspace\n/tmp /tmp /workspace\n");
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_caps_processes)
{
  const char *argv[] = {"/usr/bin/python3", "-c",
                        "import os, time\n"
                        "n = 0\n"
                        "try:\n"
                        "    for i in range(300):\n"
                        "        if os.fork() == 0:\n"
                        "            time.sleep(20); os._exit(0)\n"
                        "        n += 1\n"
                        "except OSError:\n"
                        "    pass\n"
                        "print('forked', n)\n",
                        NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = 1;
  o.max_procs = 40;
  struct exec_result r;
  int n = -1;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  /* RLIMIT_NPROC (no cgroup: not root) counts every process of the user,
   * so under a busy user the cap may stop even the sandbox's own start. */
  if (!strstr(r.output, "Resource temporarily unavailable") ||
      strstr(r.output, "forked")) {
    ck_assert_msg(sscanf(r.output, "forked %d", &n) == 1, "output: %s",
                  r.output);
    ck_assert_int_lt(n, 45);
  }
  ck_assert_double_lt(r.duration_s, 10);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_disk_cap_stops_writer)
{
  const char *argv[] = {
      "sh", "-c",
      "i=0; while :; do i=$((i+1)); head -c 4000000 /dev/zero > f$i; done",
      NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = 1;
  o.disk_bytes = (size_t)20 << 20;
  o.fsize_bytes = o.disk_bytes;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_eq(r.disk_exceeded, 1);
  ck_assert_int_eq(r.timed_out, 0);
  ck_assert_ptr_nonnull(strstr(r.output, "more than 20 MB of disk"));
  ck_assert_double_lt(r.duration_s, 10);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_fsize_limit_refuses_big_file)
{
  char path[96];
  struct stat st;
  const char *argv[] = {"sh", "-c", "head -c 3000000 /dev/zero > big", NULL};
  struct exec_opts o = sh_opts(argv);
  o.fsize_bytes = (size_t)1 << 20;
  struct exec_result r;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_int_ne(r.status, 0);
  snprintf(path, sizeof path, "%s/big", ws);
  ck_assert_int_eq(stat(path, &st), 0);
  ck_assert_int_le(st.st_size, 1 << 20);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_sandbox_proc_routes_stay_inside)
{
  char secret[96], script[512];
  snprintf(secret, sizeof secret, "%s/secret", other);
  write_file(secret, "s3cret\n", 0644);
  snprintf(script, sizeof script,
           "cat /proc/1/root%s /proc/self/root%s /proc/1/cwd/../%s "
           "2>/dev/null; ls /proc | grep -c '^[0-9]'",
           secret, secret, secret);
  const char *argv[] = {"sh", "-c", script, NULL};
  struct exec_opts o = sh_opts(argv);
  o.sandbox = 1;
  struct exec_result r;
  int procs = 0;
  ck_assert_int_eq(exec_run(&r, &o), 0);
  ck_assert_ptr_null(strstr(r.output, "s3cret"));
  /* Its own processes only: bwrap's init, sh, ls, grep. */
  ck_assert_int_eq(sscanf(r.output, "%d", &procs), 1);
  ck_assert_int_lt(procs, 8);
  exec_result_free(&r);
}
END_TEST

START_TEST(test_exec_confinement_reports_limits)
{
  const struct exec_confinement *c = exec_confinement();
  ck_assert_int_eq(c->ok, 1);
  ck_assert_int_eq(c->user_ns, 1);
  ck_assert_int_ne(c->uid, 0);
  ck_assert_int_eq(c->drops_root, geteuid() == 0);
  ck_assert_ptr_nonnull(c->pids);
}
END_TEST

START_TEST(test_exec_disk_usage_counts_blocks_not_links)
{
  char path[128];
  snprintf(path, sizeof path, "%s/sparse", ws);
  int fd = open(path, O_CREAT | O_WRONLY, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, (off_t)100 << 20), 0);
  close(fd);
  snprintf(path, sizeof path, "%s/usr", ws);
  ck_assert_int_eq(symlink("/usr", path), 0);
  uint64_t bytes = 0, apparent = 0, files = 0;
  ck_assert_int_eq(exec_disk_usage(ws, &bytes, &apparent, &files, 0), 0);
  ck_assert_uint_eq(files, 2);
  ck_assert_uint_ge(apparent, (uint64_t)100 << 20);
  ck_assert_uint_lt(bytes, (uint64_t)1 << 20);
  ck_assert_int_eq(exec_disk_usage(ws, &bytes, &apparent, &files, 1),
                   MLAB_EBUDGET);
}
END_TEST

START_TEST(test_exec_lock_waits_for_holder)
{
  /* fsu_lock (exposed as exec.lock): a second taker waits or times out. */
  char path[96];
  int fd = -1, p[2];
  snprintf(path, sizeof path, "%s/x.lock", ws);
  ck_assert_int_eq(pipe(p), 0);
  pid_t pid = fork();
  if (pid == 0) {
    int cfd;
    if (fsu_lock(&cfd, path, 5) != 0)
      _exit(1);
    if (write(p[1], "l", 1) != 1)
      _exit(1);
    sleep_ms(1000);
    _exit(0);
  }
  char c;
  ck_assert_int_eq(read(p[0], &c, 1), 1);
  ck_assert_int_eq(fsu_lock(&fd, path, 0.2), MLAB_ETIMEOUT);
  ck_assert_int_eq(fsu_lock(&fd, path, 10), 0);
  ck_assert_int_ge(fd, 0);
  close(fd);
  int st;
  waitpid(pid, &st, 0);
  close(p[0]);
  close(p[1]);
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
  tcase_add_test(tc, test_exec_fsize_limit_refuses_big_file);
  tcase_add_test(tc, test_exec_disk_usage_counts_blocks_not_links);
  tcase_add_test(tc, test_exec_lock_waits_for_holder);
  suite_add_tcase(s, tc);

  if (!exec_has_bwrap()) {
    printf("note: bwrap is not usable here; sandbox tests skipped\n");
    return s;
  }
  tc = tcase("sandbox");
  tcase_add_test(tc, test_exec_sandbox_writes_inside_cwd);
  tcase_add_test(tc, test_exec_sandbox_refuses_writes_outside_cwd);
  tcase_add_test(tc, test_exec_sandbox_sees_no_host_folders);
  tcase_add_test(tc, test_exec_sandbox_hides_paths_inside_workspace);
  tcase_add_test(tc, test_exec_sandbox_binds_workspace_inside_hidden_dir);
  tcase_add_test(tc, test_exec_sandbox_blocks_network);
  tcase_add_test(tc, test_exec_sandbox_timeout_kills_escapees);
  tcase_add_test(tc, test_exec_sandbox_reports_exit_status);
  tcase_add_test(tc, test_exec_sandbox_has_no_capabilities);
  tcase_add_test(tc, test_exec_sandbox_drops_root);
  tcase_add_test(tc, test_exec_sandbox_workspace_at_fixed_path);
  tcase_add_test(tc, test_exec_sandbox_caps_processes);
  tcase_add_test(tc, test_exec_sandbox_disk_cap_stops_writer);
  tcase_add_test(tc, test_exec_sandbox_proc_routes_stay_inside);
  tcase_add_test(tc, test_exec_confinement_reports_limits);
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
