/* luahost.h - the Lua 5.4 state a run lives in.
 *
 * One state per run: a counting allocator that caps the heap, the standard
 * libraries, cjson, and the host's own modules preloaded as "mlab.<mod>"
 * (package.preload; see the table in luahost.c).  Host Lua (lua/) is trusted
 * and sees everything; agent files are loaded into a sandbox built by
 * lua/sandbox.lua.  Budgets live in a struct lh_run reached from any
 * coroutine through lua_getextraspace().
 *
 * Error convention at the Lua boundary (see STYLE.md):
 *   misuse (bad argument type)      -> raise (luaL_argerror)
 *   failure the agent can act on    -> return nil, message, code  (lh_fail)
 *   the run must stop               -> raise a table
 *        {code = "budget", kind = "steps"|"time"|"tokens"|"memory"|
 *                                  "killed"|"diverged"|"host", msg = ...}
 * Whether a run stopped is the budget's `exhausted` flag, never the shape
 * of an error value: an agent that raises {code = "budget"} raises an
 * ordinary error.
 */
#ifndef MLAB_LUAHOST_H
#define MLAB_LUAHOST_H

#include <lua.h>
#include <signal.h>

#include "budget.h"

enum lh_status { LH_OK = 0, LH_ERR, LH_BUDGET, LH_ERRMEM };

struct lh_run {
  struct budget budget;
  char root[4096]; /* mlab home: lua/, stdlib/, agents/, tasks/ */
  int hooked;      /* agent code is running: the hook is armed */
  int critical;    /* > 0 inside run.critical (mlab.run): the host is recording, so
                      the hook does not raise and the heap is not capped */
};

/* A new state for run (which must outlive it), with libraries, preloads and
 * package.path set to the root's lua/ and stdlib/.  NULL on allocation
 * failure. */
lua_State *lh_new(struct lh_run *run);
void lh_close(lua_State *L);

/* The run of a state (or of any of its coroutines). */
struct lh_run *lh_run(lua_State *L);
struct budget *lh_budget(lua_State *L);

/* Arms / disarms the count hook that enforces the run's deadline. */
void lh_hook_arm(lua_State *L);
void lh_hook_disarm(lua_State *L);

/* lua_pcall with a traceback handler.  On error, *msg (may be NULL) gets a
 * malloc'd message with traceback, the caller's to free.  LH_BUDGET when
 * the run's budget was exhausted (any error value), LH_ERRMEM for
 * LUA_ERRMEM, else LH_ERR.  The error value is read raw: no metamethod of
 * it runs, so an agent's error object cannot raise inside the handler. */
enum lh_status lh_pcall(lua_State *L, int nargs, int nresults, char **msg);

/* Pushes nil, message, code name (mlab_error_name(code)); returns 3. */
int lh_fail(lua_State *L, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* lh_fail with mlab_error_last() as the message. */
int lh_failerr(lua_State *L, int code);

/* For a primitive with no value: pushes true when error is 0, else
 * nil, message, code (lh_failerr); returns the count pushed. */
int lh_result(lua_State *L, int error);

/* Raises the budget error table when the run must stop (checks the clock
 * and the signal flag first), unless the host is inside run.critical.
 * Every primitive calls it on entry: hooks never see C. */
void lh_budget_check(lua_State *L);

/* Marks the run stopped with kind (budget.h) without raising: agent code
 * raises at its next instruction outside run.critical. */
void lh_stop(lua_State *L, const char *kind);

/* Raises the budget error table for b->kind (never returns); while agent
 * code runs, the hook then fires on every instruction, so a pcall that
 * catches the error dies on its next instruction. */
int lh_budget_raise(lua_State *L);

/* SIGINT, SIGTERM, SIGHUP and SIGUSR1 set a flag that ends the run as "killed"
 * (budget kind) at the next hook or primitive. */
void lh_signals_install(void);
int lh_signalled(void);

/* The flag itself, for exec_opts.cancel: a signal stops a running script
 * too, not only the Lua code around it. */
const volatile sig_atomic_t *lh_signal_flag(void);

/* A C resource held across Lua calls that may raise (an out-of-memory
 * error longjmps past the code that would free it): lh_box pushes a
 * userdata whose __gc calls release(p) while p is set.  Push the box
 * before acquiring, store the resource in ->p, and release it with
 * lh_box_release (which clears p) once the results are pushed.  May raise
 * (before anything is held). */
struct lh_box {
  void *p;
  void (*release)(void *p);
};
struct lh_box *lh_box(lua_State *L, void (*release)(void *p));
void lh_box_release(struct lh_box *box);

/* Module openers, preloaded as "mlab.<name>". */
int luaopen_mlab_ws(lua_State *L);
int luaopen_mlab_exec(lua_State *L);
int luaopen_mlab_snap(lua_State *L);
int luaopen_mlab_run(lua_State *L); /* run control (luahost.c) */
int luaopen_mlab_budget(lua_State *L);
int luaopen_mlab_sys(lua_State *L);
int luaopen_mlab_http(lua_State *L);
int luaopen_mlab_proc(lua_State *L);

#endif
