/* http.h - one HTTP POST over libcurl, for the model clients.
 *
 * No Lua here (http_lua.c binds it).  Every request has a connect timeout
 * and a total timeout, the total capped by the caller's monotonic deadline
 * (budget_now() seconds), so a stalled server can never hold a run past
 * its time budget.
 *
 * Secrets: request headers (Authorization, x-api-key) are handed to curl
 * and nothing else; this module never logs, stores or echoes them, and its
 * error messages name only the URL's host and the failure.
 */
#ifndef MLAB_HTTP_H
#define MLAB_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <time.h>

#define HTTP_DEFAULT_TIMEOUT_S 120.0
#define HTTP_DEFAULT_CONNECT_TIMEOUT_S 10.0
#define HTTP_MAX_BODY ((size_t)64 << 20) /* a reply larger is refused */

/* Why a request failed without an HTTP status. */
enum http_kind {
  HTTP_KOK = 0,  /* a status was received (any status, 200 or 503) */
  HTTP_KTIMEOUT, /* total or connect timeout, or the deadline passed */
  HTTP_KCONNECT, /* refused, unreachable, name not resolved, reset */
  HTTP_KERROR    /* anything else: bad URL, reply too large, curl fault */
};

struct http_request {
  const char *url;
  const char *const *headers; /* "Name: value" strings, NULL-terminated;
                                 may be NULL */
  const char *body;
  size_t body_len;
  double timeout_s;         /* total; <= 0: HTTP_DEFAULT_TIMEOUT_S */
  double connect_timeout_s; /* <= 0: HTTP_DEFAULT_CONNECT_TIMEOUT_S */
  double deadline;          /* monotonic seconds; <= 0: none */
  const volatile sig_atomic_t *cancel; /* non-zero aborts the transfer
                                          (a signal handler's flag); may be
                                          NULL */
};

struct http_response {
  long status; /* 0 when no reply was received */
  char *body;  /* NUL-terminated, body_len bytes before the NUL */
  size_t body_len;
  char *content_type;   /* NULL when absent */
  char *retry_after;    /* the Retry-After value as sent, NULL if absent */
  double retry_after_s; /* parsed seconds from now, -1 if absent or bad */
  double elapsed_s;     /* wall time of the request */
  enum http_kind kind;
};

/* Initialises libcurl once per process (thread-safe); http_post calls it,
 * callers that start threads may call it first.  0 or MLAB_ERROR. */
int http_global_init(void);

/* POSTs req->body to req->url.  On return *out is filled (and is the
 * caller's to free with http_response_free, on success and on failure).
 * Returns 0 when any HTTP status arrived (out->status tells which),
 * MLAB_ETIMEOUT for timeouts (kind HTTP_KTIMEOUT), MLAB_ERROR otherwise
 * (kind HTTP_KCONNECT or HTTP_KERROR); the message is in
 * mlab_error_last(). */
int http_post(struct http_response *out, const struct http_request *req);

/* Frees the members of res (NULL-safe) and zeroes it. */
void http_response_free(struct http_response *res);

/* Seconds to wait for a Retry-After value: delta-seconds ("120", "1.5")
 * or an HTTP-date relative to now.  -1 when value is NULL or unparseable;
 * never negative otherwise (a date in the past gives 0). */
double http_retry_after_parse(const char *value, time_t now);

/* A short name for kind: "ok", "timeout", "connect", "error". */
const char *http_kind_name(enum http_kind kind);

#endif
