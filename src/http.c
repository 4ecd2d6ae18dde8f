/* http.c - libcurl POST with bounded time; see http.h.
 *
 * One easy handle per request (curl's examples): nothing is shared between
 * calls, so a failed call cannot poison the next one.  Connection reuse is
 * not worth the shared state at one model call per agent step.
 */
#include "http.h"
#include "budget.h"
#include "error.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_result = CURLE_FAILED_INIT;

static void
init_curl(void)
{
  init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
http_global_init(void)
{
  pthread_once(&init_once, init_curl);
  if (init_result != CURLE_OK)
    return mlab_fail(MLAB_ERROR, "http: curl_global_init: %s",
                     curl_easy_strerror(init_result));
  return 0;
}

const char *
http_kind_name(enum http_kind kind)
{
  switch (kind) {
  case HTTP_KOK:
    return "ok";
  case HTTP_KTIMEOUT:
    return "timeout";
  case HTTP_KCONNECT:
    return "connect";
  default:
    return "error";
  }
}

void
http_response_free(struct http_response *res)
{
  if (!res)
    return;
  free(res->body);
  free(res->content_type);
  free(res->retry_after);
  memset(res, 0, sizeof *res);
  res->retry_after_s = -1;
}

double
http_retry_after_parse(const char *value, time_t now)
{
  if (!value)
    return -1;
  while (*value == ' ' || *value == '\t')
    value++;
  if (!*value)
    return -1;
  char *end;
  double s = strtod(value, &end);
  while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
    end++;
  if (end != value && *end == '\0')
    return (isfinite(s) && s >= 0) ? s : -1;
  /* Not a number: RFC 9110 also allows an HTTP-date. */
  time_t when = curl_getdate(value, NULL);
  if (when == (time_t)-1)
    return -1;
  return when > now ? (double)(when - now) : 0;
}

/* The body buffer the write callback grows; NUL-terminated throughout. */
struct sink {
  char *data;
  size_t len, cap;
  int too_big;
};

/* Progress callback: a non-zero return makes curl abort the transfer. */
static int
on_progress(void *payload, curl_off_t dt, curl_off_t dn, curl_off_t ut,
            curl_off_t un)
{
  const volatile sig_atomic_t *cancel = payload;
  (void)dt, (void)dn, (void)ut, (void)un;
  return *cancel != 0;
}

static size_t
on_write(char *ptr, size_t size, size_t nmemb, void *payload)
{
  struct sink *s = payload;
  size_t n = size * nmemb;
  if (s->len + n > HTTP_MAX_BODY) {
    s->too_big = 1;
    return 0; /* curl aborts with CURLE_WRITE_ERROR */
  }
  if (s->len + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 16384;
    while (cap < s->len + n + 1)
      cap *= 2;
    char *p = realloc(s->data, cap);
    if (!p)
      return 0;
    s->data = p;
    s->cap = cap;
  }
  memcpy(s->data + s->len, ptr, n);
  s->len += n;
  s->data[s->len] = '\0';
  return n;
}

/* The URL without its query string, for messages: some endpoints take a
 * key as ?api-key=..., and that must not reach a log. */
static void
url_for_message(char *buf, size_t cap, const char *url)
{
  size_t n = strcspn(url, "?#");
  if (n >= cap)
    n = cap - 1;
  memcpy(buf, url, n);
  buf[n] = '\0';
}

static enum http_kind
kind_of(CURLcode rc)
{
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    return HTTP_KTIMEOUT;
  case CURLE_COULDNT_CONNECT:
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
    return HTTP_KCONNECT;
  default:
    return HTTP_KERROR;
  }
}

/* Seconds to milliseconds for curl, never 0 (which would mean "no
 * timeout", the one thing we must not ask for). */
static long
to_ms(double s)
{
  double ms = ceil(s * 1000.0);
  if (ms < 1)
    return 1;
  if (ms > (double)(24L * 3600 * 1000))
    return 24L * 3600 * 1000;
  return (long)ms;
}

static char *
dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

#define SETOPT(h, opt, val)                                                    \
  do {                                                                         \
    CURLcode rc_ = curl_easy_setopt((h), (opt), (val));                        \
    if (rc_ != CURLE_OK) {                                                     \
      err = mlab_fail(MLAB_ERROR, "http: setting %s: %s", #opt,                \
                      curl_easy_strerror(rc_));                                \
      goto done;                                                               \
    }                                                                          \
  } while (0)

int
http_post(struct http_response *out, const struct http_request *req)
{
  int err = 0;
  CURL *h = NULL;
  struct curl_slist *hdrs = NULL;
  struct sink sink = {0};
  char errbuf[CURL_ERROR_SIZE] = "";
  char where[256];
  double started = budget_now();

  memset(out, 0, sizeof *out);
  out->retry_after_s = -1;
  out->kind = HTTP_KERROR;
  url_for_message(where, sizeof where, req->url ? req->url : "");

  if ((err = http_global_init()))
    goto done;

  double total = req->timeout_s > 0 ? req->timeout_s : HTTP_DEFAULT_TIMEOUT_S;
  double conn = req->connect_timeout_s > 0 ? req->connect_timeout_s
                                           : HTTP_DEFAULT_CONNECT_TIMEOUT_S;
  if (req->deadline > 0) {
    double left = req->deadline - started;
    if (left <= 0) {
      out->kind = HTTP_KTIMEOUT;
      err = mlab_fail(MLAB_ETIMEOUT, "http: no time left for %s", where);
      goto done;
    }
    if (left < total)
      total = left;
  }
  if (conn > total)
    conn = total;

  if (!(h = curl_easy_init())) {
    err = mlab_fail(MLAB_ERROR, "http: curl_easy_init failed");
    goto done;
  }
  /* curl copies every header string into its own list; we never keep or
   * print them (they hold the API key). */
  for (const char *const *p = req->headers; p && *p; p++) {
    struct curl_slist *n = curl_slist_append(hdrs, *p);
    if (!n) {
      err = mlab_fail(MLAB_ENOMEM, "http: out of memory for headers");
      goto done;
    }
    hdrs = n;
  }
  /* Without this curl sends "Expect: 100-continue" for larger bodies and
   * waits a second for servers (Python's among them) that never answer. */
  struct curl_slist *n = curl_slist_append(hdrs, "Expect:");
  if (!n) {
    err = mlab_fail(MLAB_ENOMEM, "http: out of memory for headers");
    goto done;
  }
  hdrs = n;

  SETOPT(h, CURLOPT_URL, req->url);
  SETOPT(h, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM: we may run in threads */
  SETOPT(h, CURLOPT_POST, 1L);
  SETOPT(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
  SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE,
         (curl_off_t)(req->body ? req->body_len : 0));
  SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
  SETOPT(h, CURLOPT_TIMEOUT_MS, to_ms(total));
  SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, to_ms(conn));
  SETOPT(h, CURLOPT_WRITEFUNCTION, on_write);
  SETOPT(h, CURLOPT_WRITEDATA, &sink);
  SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
  SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
  SETOPT(h, CURLOPT_USERAGENT, "mlab/" MLAB_VERSION);
  /* A model endpoint that redirects is misconfigured; following would
   * resend the key to wherever it points. */
  SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
  if (req->cancel) {
    SETOPT(h, CURLOPT_NOPROGRESS, 0L);
    SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    SETOPT(h, CURLOPT_XFERINFODATA, (void *)req->cancel);
  }

  CURLcode rc = curl_easy_perform(h);
  out->elapsed_s = budget_now() - started;
  if (rc != CURLE_OK) {
    if (sink.too_big) {
      out->kind = HTTP_KERROR;
      err = mlab_fail(MLAB_ERROR, "http: reply from %s larger than %zu bytes",
                      where, HTTP_MAX_BODY);
      goto done;
    }
    out->kind = kind_of(rc);
    err = mlab_fail(out->kind == HTTP_KTIMEOUT ? MLAB_ETIMEOUT : MLAB_ERROR,
                    "http: %s after %.1f s: %s", where, out->elapsed_s,
                    errbuf[0] ? errbuf : curl_easy_strerror(rc));
    goto done;
  }

  CURLcode irc = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
  if (irc != CURLE_OK) {
    err = mlab_fail(MLAB_ERROR, "http: response code: %s",
                    curl_easy_strerror(irc));
    goto done;
  }
  char *ct = NULL;
  irc = curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
  if (irc != CURLE_OK) {
    err = mlab_fail(MLAB_ERROR, "http: content type: %s",
                    curl_easy_strerror(irc));
    goto done;
  }
  struct curl_header *ra = NULL;
  CURLHcode hrc = curl_easy_header(h, "Retry-After", 0, CURLH_HEADER, -1, &ra);
  if (hrc != CURLHE_OK && hrc != CURLHE_MISSING && hrc != CURLHE_NOHEADERS) {
    err = mlab_fail(MLAB_ERROR, "http: reading Retry-After failed (%d)",
                    (int)hrc);
    goto done;
  }
  if (hrc == CURLHE_OK && ra) {
    out->retry_after = dup_or_null(ra->value);
    out->retry_after_s = http_retry_after_parse(ra->value, time(NULL));
  }
  out->content_type = dup_or_null(ct);
  if ((ct && !out->content_type) ||
      (ra && hrc == CURLHE_OK && !out->retry_after)) {
    err = mlab_fail(MLAB_ENOMEM, "http: out of memory");
    goto done;
  }
  if (!sink.data && !(sink.data = calloc(1, 1))) {
    err = mlab_fail(MLAB_ENOMEM, "http: out of memory");
    goto done;
  }
  out->body = sink.data;
  out->body_len = sink.len;
  sink.data = NULL;
  out->kind = HTTP_KOK;

done:
  if (out->elapsed_s == 0)
    out->elapsed_s = budget_now() - started;
  free(sink.data);
  curl_slist_free_all(hdrs);
  if (h)
    curl_easy_cleanup(h);
  return err;
}
