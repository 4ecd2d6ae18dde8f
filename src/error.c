/* error.c - thread-local last-error message (libgit2's git_error_last). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last[1024];

static void
vset(const char *fmt, va_list ap)
{
  vsnprintf(last, sizeof last, fmt, ap);
}

void
mlab_error_set(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vset(fmt, ap);
  va_end(ap);
}

int
mlab_fail(int code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vset(fmt, ap);
  va_end(ap);
  return code;
}

const char *
mlab_error_last(void)
{
  return last[0] ? last : "no error";
}

const char *
mlab_error_name(int code)
{
  switch (code) {
  case MLAB_OK:
    return "ok";
  case MLAB_ENOTFOUND:
    return "not_found";
  case MLAB_EDENIED:
    return "denied";
  case MLAB_EBUDGET:
    return "budget";
  case MLAB_EINVAL:
    return "invalid";
  case MLAB_ETIMEOUT:
    return "timeout";
  case MLAB_ENOMEM:
    return "nomem";
  case MLAB_EEXISTS:
    return "exists";
  default:
    return "error";
  }
}
