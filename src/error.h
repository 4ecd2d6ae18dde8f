/* error.h - one error convention for every module.
 *
 * Fallible functions return int: 0 on success, a negative MLAB_E* code on
 * failure, after calling mlab_error_set() with one impersonal line that says
 * what went wrong.  The message is thread-local and valid until the next
 * mlab_error_set() on the same thread.
 */
#ifndef MLAB_ERROR_H
#define MLAB_ERROR_H

enum {
  MLAB_OK = 0,
  MLAB_ERROR = -1,     /* generic failure */
  MLAB_ENOTFOUND = -2, /* a file, run, step or task that does not exist */
  MLAB_EDENIED = -3,   /* a path outside the workspace, a refused action */
  MLAB_EBUDGET = -4,   /* a step, time, token or memory budget is spent */
  MLAB_EINVAL = -5,    /* malformed input: bad argument, broken file */
  MLAB_ETIMEOUT = -6,  /* an operation ran past its deadline */
  MLAB_ENOMEM = -7,
  MLAB_EEXISTS = -8
};

/* Records the message for the current thread; returns nothing so callers
 * write `mlab_error_set(...); return MLAB_EINVAL;` or use mlab_fail(). */
void mlab_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets the message and returns code, for `return mlab_fail(E, ...)`. */
int mlab_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message set on this thread, never NULL. */
const char *mlab_error_last(void);

/* A short name for a code: "denied", "not found", ... */
const char *mlab_error_name(int code);

#endif
