/* check_http.c - http_post against the scripted model server on loopback.
 *
 * Each test starts tests/model_server.py with its own script (fork/exec),
 * reads the port it chose, and kills it in teardown; nothing in-process
 * stands in for the HTTP layer.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "budget.h"
#include "error.h"
#include "http.h"

static char dir[] = "/tmp/check_http.XXXXXX";
static char *dirp;
static pid_t server_pid = -1;
static char base[128]; /* http://127.0.0.1:PORT */

static void
write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static char *
read_file(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return strdup("");
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return strdup(buf);
}

/* Starts the server on script_json; extra is an optional flag pair. */
static void
server_start(const char *script_json, const char *flag, const char *value)
{
  char script[256], portf[256], log[256], srv[1024];
  snprintf(script, sizeof script, "%s/script.json", dirp);
  snprintf(portf, sizeof portf, "%s/port", dirp);
  snprintf(log, sizeof log, "%s/log.jsonl", dirp);
  const char *home = getenv("MLAB_HOME");
  snprintf(srv, sizeof srv, "%s/tests/model_server.py",
           home ? home : MLAB_ROOT);
  write_file(script, script_json);

  server_pid = fork();
  ck_assert_int_ge(server_pid, 0);
  if (server_pid == 0) {
    char *argv[] = {"/usr/bin/python3",
                    srv,
                    "--script",
                    script,
                    "--port-file",
                    portf,
                    "--log",
                    log,
                    "--idle",
                    "30",
                    (char *)flag,
                    (char *)value,
                    NULL};
    execv(argv[0], argv);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) { /* up to 5 s for python to start */
    FILE *f = fopen(portf, "r");
    int port = 0;
    if (f) {
      int ok = fscanf(f, "%d", &port) == 1;
      fclose(f);
      if (ok && port > 0) {
        snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
        return;
      }
    }
    usleep(10000);
  }
  ck_abort_msg("model server did not start");
}

static void
setup(void)
{
  memcpy(dir, "/tmp/check_http.XXXXXX", sizeof dir);
  dirp = mkdtemp(dir);
  ck_assert_ptr_nonnull(dirp);
  server_pid = -1;
}

static void
teardown(void)
{
  if (server_pid > 0) {
    kill(server_pid, SIGTERM);
    waitpid(server_pid, NULL, 0);
  }
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dirp);
  if (system(cmd) != 0)
    fprintf(stderr, "could not remove %s\n", dirp);
}

static const char *openai_body =
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
static const char *json_hdrs[] = {"Content-Type: application/json", NULL};

static int
post(struct http_response *res, const char *path, double timeout,
     double deadline)
{
  char url[256];
  snprintf(url, sizeof url, "%s%s", base, path);
  struct http_request req = {.url = url,
                             .headers = json_hdrs,
                             .body = openai_body,
                             .body_len = strlen(openai_body),
                             .timeout_s = timeout,
                             .deadline = deadline};
  return http_post(res, &req);
}

START_TEST(test_http_post_returns_200_body)
{
  server_start("[{\"text\": \"hello there\"}]", NULL, NULL);
  struct http_response res;
  ck_assert_int_eq(post(&res, "/v1/chat/completions", 5, 0), 0);
  ck_assert_int_eq(res.status, 200);
  ck_assert_int_eq(res.kind, HTTP_KOK);
  ck_assert_ptr_nonnull(strstr(res.body, "\"hello there\""));
  ck_assert_uint_eq(strlen(res.body), res.body_len);
  ck_assert_str_eq(res.content_type, "application/json");
  ck_assert_ptr_null(res.retry_after);
  ck_assert(res.retry_after_s < 0);
  ck_assert(res.elapsed_s > 0);
  http_response_free(&res);
}
END_TEST

START_TEST(test_http_sends_headers)
{
  server_start("[{\"text\": \"ok\"}]", "--require-key", "sk-test-123");
  char url[256];
  snprintf(url, sizeof url, "%s/v1/chat/completions", base);
  const char *hdrs[] = {"Content-Type: application/json",
                        "Authorization: Bearer sk-test-123", NULL};
  struct http_request req = {.url = url,
                             .headers = hdrs,
                             .body = openai_body,
                             .body_len = strlen(openai_body)};
  struct http_response res;
  ck_assert_int_eq(http_post(&res, &req), 0);
  ck_assert_int_eq(res.status, 200);
  http_response_free(&res);

  char log[256];
  snprintf(log, sizeof log, "%s/log.jsonl", dirp);
  char *text = read_file(log);
  ck_assert_ptr_nonnull(strstr(text, "\"auth\": \"bearer\""));
  ck_assert_ptr_null(strstr(text, "sk-test-123"));
  free(text);
}
END_TEST

START_TEST(test_http_reports_status_codes)
{
  server_start("[{\"fault\": \"server_error\"}, {\"fault\": \"unavailable\"},"
               " {\"fault\": \"auth\"}, {\"fault\": \"status\","
               " \"status\": 404}]",
               NULL, NULL);
  long want[] = {500, 503, 401, 404};
  for (int i = 0; i < 4; i++) {
    struct http_response res;
    ck_assert_int_eq(post(&res, "/v1/chat/completions", 5, 0), 0);
    ck_assert_int_eq(res.status, want[i]);
    ck_assert_ptr_nonnull(strstr(res.body, "\"error\""));
    http_response_free(&res);
  }
}
END_TEST

START_TEST(test_http_parses_retry_after)
{
  server_start("[{\"fault\": \"rate_limit\", \"retry_after\": 7}]", NULL, NULL);
  struct http_response res;
  ck_assert_int_eq(post(&res, "/v1/chat/completions", 5, 0), 0);
  ck_assert_int_eq(res.status, 429);
  ck_assert_str_eq(res.retry_after, "7");
  ck_assert(res.retry_after_s == 7.0);
  http_response_free(&res);
}
END_TEST

START_TEST(test_http_retry_after_values)
{
  time_t now = 1700000000; /* Tue, 14 Nov 2023 22:13:20 GMT */
  ck_assert(http_retry_after_parse(NULL, now) == -1);
  ck_assert(http_retry_after_parse("", now) == -1);
  ck_assert(http_retry_after_parse("3", now) == 3);
  ck_assert(http_retry_after_parse(" 1.5 ", now) == 1.5);
  ck_assert(http_retry_after_parse("-2", now) == -1);
  ck_assert(http_retry_after_parse("soon", now) == -1);
  ck_assert(http_retry_after_parse("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30);
  ck_assert(http_retry_after_parse("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0);
}
END_TEST

START_TEST(test_http_honours_timeout)
{
  server_start("[{\"fault\": \"stall\", \"stall_s\": 5, \"text\": \"late\"}]",
               NULL, NULL);
  struct http_response res;
  double t0 = budget_now();
  int err = post(&res, "/v1/chat/completions", 0.5, 0);
  double took = budget_now() - t0;
  ck_assert_int_eq(err, MLAB_ETIMEOUT);
  ck_assert_int_eq(res.kind, HTTP_KTIMEOUT);
  ck_assert_int_eq(res.status, 0);
  ck_assert_msg(took >= 0.4 && took < 2.0, "took %.2f s", took);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "127.0.0.1"));
  http_response_free(&res);
}
END_TEST

START_TEST(test_http_deadline_caps_timeout)
{
  server_start("[{\"fault\": \"stall\", \"stall_s\": 5, \"text\": \"late\"}]",
               NULL, NULL);
  struct http_response res;
  double t0 = budget_now();
  int err = post(&res, "/v1/chat/completions", 30, t0 + 0.5);
  double took = budget_now() - t0;
  ck_assert_int_eq(err, MLAB_ETIMEOUT);
  ck_assert_msg(took < 2.0, "took %.2f s", took);
  http_response_free(&res);
}
END_TEST

START_TEST(test_http_passed_deadline_sends_nothing)
{
  server_start("[{\"text\": \"never\"}]", NULL, NULL);
  struct http_response res;
  int err = post(&res, "/v1/chat/completions", 5, budget_now() - 1);
  ck_assert_int_eq(err, MLAB_ETIMEOUT);
  ck_assert_int_eq(res.kind, HTTP_KTIMEOUT);
  http_response_free(&res);
  char log[256];
  snprintf(log, sizeof log, "%s/log.jsonl", dirp);
  ck_assert_int_ne(access(log, F_OK), 0);
}
END_TEST

/* A loopback port nobody listens on: bind, read it, close. */
static int
closed_port(void)
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
  close(s);
  return ntohs(a.sin_port);
}

START_TEST(test_http_connection_refused_is_connect)
{
  snprintf(base, sizeof base, "http://127.0.0.1:%d", closed_port());
  struct http_response res;
  int err = post(&res, "/v1/chat/completions", 5, 0);
  ck_assert_int_eq(err, MLAB_ERROR);
  ck_assert_int_eq(res.kind, HTTP_KCONNECT);
  ck_assert_str_eq(http_kind_name(res.kind), "connect");
  http_response_free(&res);
}
END_TEST

START_TEST(test_http_truncated_body_is_an_error)
{
  server_start("[{\"fault\": \"truncated\", \"text\": \"0123456789abcdef\"}]",
               NULL, NULL);
  struct http_response res;
  int err = post(&res, "/v1/chat/completions", 5, 0);
  ck_assert_int_eq(err, MLAB_ERROR);
  ck_assert_int_eq(res.kind, HTTP_KCONNECT);
  http_response_free(&res);
}
END_TEST

START_TEST(test_http_message_hides_query_string)
{
  snprintf(base, sizeof base, "http://127.0.0.1:%d", closed_port());
  struct http_response res;
  post(&res, "/v1/chat/completions?api-key=sk-secret", 5, 0);
  ck_assert_ptr_null(strstr(mlab_error_last(), "sk-secret"));
  http_response_free(&res);
}
END_TEST

static Suite *
http_suite(void)
{
  Suite *s = suite_create("http");
  TCase *tc = tcase_create("post");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_http_post_returns_200_body);
  tcase_add_test(tc, test_http_sends_headers);
  tcase_add_test(tc, test_http_reports_status_codes);
  tcase_add_test(tc, test_http_parses_retry_after);
  tcase_add_test(tc, test_http_truncated_body_is_an_error);
  suite_add_tcase(s, tc);

  tc = tcase_create("time");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, test_http_honours_timeout);
  tcase_add_test(tc, test_http_deadline_caps_timeout);
  tcase_add_test(tc, test_http_passed_deadline_sends_nothing);
  tcase_add_test(tc, test_http_connection_refused_is_connect);
  tcase_add_test(tc, test_http_message_hides_query_string);
  suite_add_tcase(s, tc);

  tc = tcase_create("retry_after");
  tcase_add_test(tc, test_http_retry_after_values);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(http_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
