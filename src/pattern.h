/* pattern.h - Lua 5.4's string.find, match, gmatch and gsub, on a budget.
 *
 * luaopen_mlab_pattern() returns a fresh table { find, match, gmatch, gsub }
 * whose functions behave as Lua 5.4.4's string functions of the same names
 * (results, positions, captures, error messages; character classes of the C
 * locale), with one difference: a match counts its steps (one per attempt
 * of a pattern item at a subject position, backtracking included, plus the
 * bytes scanned by repetitions, %b and back-references) and every
 * PAT_CHECK_STEPS steps calls lh_budget_check(L), which raises the run's
 * budget error once the deadline has passed or a signal arrived.  The
 * matcher holds no C heap memory, so the raise leaks nothing.
 *
 * The host installs the four functions over the `string` table (which is
 * also the strings' metatable __index) right after opening the standard
 * libraries.  Plain finds (plain = true, or a pattern with no special
 * character) use memmem(): linear in the subject, so they need no count.
 */
#ifndef MLAB_PATTERN_H
#define MLAB_PATTERN_H

#include <lua.h>

#define PAT_CHECK_STEPS (1L << 14)

int luaopen_mlab_pattern(lua_State *L);

#endif
