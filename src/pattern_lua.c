/* pattern_lua.c - Lua patterns (manual section 6.4.1) with a step count
 * that lets the run's deadline stop a backtracking match; see pattern.h.
 *
 * The matcher walks the pattern text as it goes, item by item, and parses
 * an item only when it reaches it: Lua's functions report a malformed
 * pattern only when the match gets that far (string.find("abc", "x%") is
 * nil, string.find("xbc", "x%") raises), and so does this one.  Likewise
 * the nesting limit ("pattern too complex") counts the same constructs as
 * Lua's: each capture, each repetition and each taken '?' that the rest of
 * the pattern is matched under.  A tail item (a single class with no
 * quantifier, %b, %f, a back-reference) loops instead of nesting.
 *
 * Budget: `fuel` counts down one per item attempt and by the length of
 * every scan; at zero the matcher refills it and calls lh_budget_check(),
 * which may longjmp.  Everything the matcher holds is on the C stack or in
 * Lua values, so nothing leaks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem; the build defines it too */
#endif
#include "luahost.h"
#include "pattern.h"

#include <lauxlib.h>
#include <stddef.h>
#include <string.h>

#define MAX_CAPTURES 32 /* Lua's LUA_MAXCAPTURES */
#define MAX_DEPTH 200   /* Lua's MAXCCALLS for patterns */
#define CAP_OPEN (-1)   /* a capture whose ')' is not reached yet */
#define CAP_POS (-2)    /* a position capture, () */
#define ESC '%'

struct capture {
  const char *at;
  ptrdiff_t len; /* or CAP_OPEN, CAP_POS */
};

struct matcher {
  lua_State *L;
  const char *subj; /* the whole subject */
  const char *subj_end;
  const char *pat_end;
  long fuel;      /* steps left before the next budget check */
  int depth_left; /* nesting left before "pattern too complex" */
  int ncap;
  struct capture cap[MAX_CAPTURES];
};

static void
matcher_init(struct matcher *m, lua_State *L, const char *s, size_t ls,
             const char *p, size_t lp)
{
  m->L = L;
  m->subj = s;
  m->subj_end = s + ls;
  m->pat_end = p + lp;
  m->fuel = PAT_CHECK_STEPS;
  m->depth_left = MAX_DEPTH;
  m->ncap = 0;
}

/* Out of fuel: refill and let the host stop the run if it must. */
static void
refuel(struct matcher *m)
{
  m->fuel = PAT_CHECK_STEPS;
  lh_budget_check(m->L);
}

#define BURN(m, n)                                                             \
  do {                                                                         \
    if (((m)->fuel -= (long)(n)) <= 0)                                         \
      refuel(m);                                                               \
  } while (0)

/* --- character classes (C locale) --- */

static int
is_lower(int c)
{
  return c >= 'a' && c <= 'z';
}

static int
is_upper(int c)
{
  return c >= 'A' && c <= 'Z';
}

static int
is_digit(int c)
{
  return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
  return is_lower(c) || is_upper(c);
}

static int
is_cntrl(int c)
{
  return c < 32 || c == 127;
}

static int
is_space(int c)
{
  return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
is_punct(int c)
{
  return c > 32 && c < 127 && !is_alpha(c) && !is_digit(c);
}

static int
is_xdigit(int c)
{
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Does byte c belong to %<cl>?  An upper-case class letter is the
 * complement; any other character after '%' stands for itself. */
static int
in_class(int c, int cl)
{
  int yes;
  switch (is_upper(cl) ? cl + ('a' - 'A') : cl) {
  case 'a':
    yes = is_alpha(c);
    break;
  case 'c':
    yes = is_cntrl(c);
    break;
  case 'd':
    yes = is_digit(c);
    break;
  case 'g':
    yes = c > 32 && c < 127;
    break;
  case 'l':
    yes = is_lower(c);
    break;
  case 'p':
    yes = is_punct(c);
    break;
  case 's':
    yes = is_space(c);
    break;
  case 'u':
    yes = is_upper(c);
    break;
  case 'w':
    yes = is_alpha(c) || is_digit(c);
    break;
  case 'x':
    yes = is_xdigit(c);
    break;
  case 'z':
    yes = c == 0;
    break; /* still accepted by Lua 5.4 */
  default:
    return cl == c;
  }
  return is_upper(cl) ? !yes : yes;
}

/* Does byte c belong to the set that opens at `open` ('[') and closes at
 * `close` (its ']')? */
static int
in_set(int c, const char *open, const char *close)
{
  const unsigned char *q = (const unsigned char *)open + 1;
  const unsigned char *end = (const unsigned char *)close;
  int found = 1;
  if (*q == '^') {
    found = 0;
    q++;
  }
  for (; q < end; q++) {
    if (*q == ESC) {
      q++;
      if (in_class(c, *q))
        return found;
    } else if (q + 2 < end && q[1] == '-') {
      if (q[0] <= c && c <= q[2])
        return found;
      q += 2;
    } else if (*q == c) {
      return found;
    }
  }
  return !found;
}

/* The end of the single-character class that starts at p (p < pat_end):
 * one past '.', a literal, %x or [set].  Raises on a malformed class. */
static const char *
class_end(struct matcher *m, const char *p)
{
  const char *end = m->pat_end;
  if (*p == ESC) {
    if (p + 1 == end)
      luaL_error(m->L, "malformed pattern (ends with '%%')");
    return p + 2;
  }
  if (*p != '[')
    return p + 1;
  p++;
  if (p < end && *p == '^')
    p++;
  /* The first character is a member even when it is ']'. */
  do {
    if (p == end)
      luaL_error(m->L, "malformed pattern (missing ']')");
    if (*p++ == ESC && p < end)
      p++;
  } while (p == end || *p != ']');
  return p + 1;
}

/* Does the class [p, ep) accept the subject byte at s? */
static int
accepts(const struct matcher *m, const char *s, const char *p, const char *ep)
{
  if (s >= m->subj_end)
    return 0;
  int c = (unsigned char)*s;
  switch (*p) {
  case '.':
    return 1;
  case ESC:
    return in_class(c, (unsigned char)p[1]);
  case '[':
    return in_set(c, p, ep - 1);
  default:
    return (unsigned char)*p == c;
  }
}

static const char *match(struct matcher *m, const char *s, const char *p);

/* %bxy at s (p points at x). */
static const char *
balanced(struct matcher *m, const char *s, const char *p)
{
  if (p + 1 >= m->pat_end)
    luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
  if (s >= m->subj_end || *s != p[0])
    return NULL;
  const char *from = s;
  char open = p[0], close = p[1];
  int depth = 1;
  const char *hit = NULL;
  while (++s < m->subj_end) {
    if (*s == close) {
      if (--depth == 0) {
        hit = s + 1;
        break;
      }
    } else if (*s == open) {
      depth++;
    }
  }
  BURN(m, s - from);
  return hit;
}

/* %1-%9 at s: the same bytes again (a position capture never matches). */
static const char *
same_as_capture(struct matcher *m, const char *s, int digit)
{
  int i = digit - '1';
  if (i < 0 || i >= m->ncap || m->cap[i].len == CAP_OPEN)
    luaL_error(m->L, "invalid capture index %%%d", i + 1);
  ptrdiff_t len = m->cap[i].len;
  if (len < 0 || m->subj_end - s < len)
    return NULL;
  BURN(m, len);
  return memcmp(m->cap[i].at, s, (size_t)len) == 0 ? s + len : NULL;
}

/* '(' at s, the rest of the pattern at p. */
static const char *
open_capture(struct matcher *m, const char *s, const char *p, ptrdiff_t what)
{
  if (m->ncap >= MAX_CAPTURES)
    luaL_error(m->L, "too many captures");
  m->cap[m->ncap].at = s;
  m->cap[m->ncap].len = what;
  m->ncap++;
  const char *res = match(m, s, p);
  if (!res)
    m->ncap--;
  return res;
}

/* ')' at s: closes the innermost open capture. */
static const char *
close_capture(struct matcher *m, const char *s, const char *p)
{
  int i = m->ncap - 1;
  while (i >= 0 && m->cap[i].len != CAP_OPEN)
    i--;
  if (i < 0)
    luaL_error(m->L, "invalid pattern capture");
  m->cap[i].len = s - m->cap[i].at;
  const char *res = match(m, s, p);
  if (!res)
    m->cap[i].len = CAP_OPEN;
  return res;
}

/* How many bytes from s on the class [p, ep) accepts in a row. */
static ptrdiff_t
run_length(const struct matcher *m, const char *s, const char *p,
           const char *ep)
{
  const unsigned char *q = (const unsigned char *)s;
  const unsigned char *end = (const unsigned char *)m->subj_end;
  switch (*p) {
  case '.':
    return end - q;
  case ESC:
    while (q < end && in_class(*q, (unsigned char)p[1]))
      q++;
    break;
  case '[':
    while (q < end && in_set(*q, p, ep - 1))
      q++;
    break;
  default:
    while (q < end && *q == (unsigned char)*p)
      q++;
    break;
  }
  return q - (const unsigned char *)s;
}

/* How many bytes from s on the class [p, ep) rejects in a row. */
static ptrdiff_t
run_length_not(const struct matcher *m, const char *s, const char *p,
               const char *ep)
{
  const unsigned char *q = (const unsigned char *)s;
  const unsigned char *end = (const unsigned char *)m->subj_end;
  if (*p == ESC) {
    while (q < end && !in_class(*q, (unsigned char)p[1]))
      q++;
  } else {
    while (q < end && !in_set(*q, p, ep - 1))
      q++;
  }
  return q - (const unsigned char *)s;
}

/* [p, ep)* at s: the longest run first, then shorter ones. */
static const char *
longest(struct matcher *m, const char *s, const char *p, const char *ep)
{
  ptrdiff_t n = run_length(m, s, p, ep);
  BURN(m, n);
  for (; n >= 0; n--) {
    const char *res = match(m, s + n, ep + 1);
    if (res)
      return res;
  }
  return NULL;
}

/* [p, ep)- at s: the shortest run first, then longer ones. */
static const char *
shortest(struct matcher *m, const char *s, const char *p, const char *ep)
{
  for (;;) {
    const char *res = match(m, s, ep + 1);
    if (res)
      return res;
    if (!accepts(m, s, p, ep))
      return NULL;
    s++;
  }
}

/* Matches the pattern from p on against the subject from s on: the end of
 * the match, or NULL.  Raises on a malformed pattern, too deep a nesting
 * or (through refuel) a spent budget. */
static const char *
match(struct matcher *m, const char *s, const char *p)
{
  if (m->depth_left-- == 0)
    luaL_error(m->L, "pattern too complex");
  const char *end = m->pat_end;
  for (;;) {
    BURN(m, 1);
    if (p == end)
      break;
    switch (*p) {
    case '(':
      if (p + 1 < end && p[1] == ')')
        s = open_capture(m, s, p + 2, CAP_POS);
      else
        s = open_capture(m, s, p + 1, CAP_OPEN);
      goto done;
    case ')':
      s = close_capture(m, s, p + 1);
      goto done;
    case '$':
      if (p + 1 != end)
        break; /* a literal '$' */
      if (s != m->subj_end)
        s = NULL;
      goto done;
    case ESC:
      if (p + 1 == end)
        break; /* class_end reports it */
      if (p[1] == 'b') {
        s = balanced(m, s, p + 2);
        if (!s)
          goto done;
        p += 4;
        continue;
      }
      if (p[1] == 'f') {
        p += 2;
        if (p == end || *p != '[')
          luaL_error(m->L, "missing '[' after '%%f' in pattern");
        const char *ep = class_end(m, p);
        int before = s == m->subj ? 0 : (unsigned char)s[-1];
        int here = s == m->subj_end ? 0 : (unsigned char)*s;
        if (in_set(before, p, ep - 1) || !in_set(here, p, ep - 1)) {
          s = NULL;
          goto done;
        }
        p = ep;
        continue;
      }
      if (is_digit((unsigned char)p[1])) {
        s = same_as_capture(m, s, (unsigned char)p[1]);
        if (!s)
          goto done;
        p += 2;
        continue;
      }
      break;
    default:
      break;
    }
    /* A single-character class, maybe with a quantifier. */
    const char *ep = class_end(m, p);
    int q = ep < end ? *ep : 0;
    if (!accepts(m, s, p, ep)) {
      if (q == '*' || q == '?' || q == '-') {
        p = ep + 1; /* zero repetitions */
        continue;
      }
      s = NULL;
      goto done;
    }
    switch (q) {
    case '?': {
      const char *res = match(m, s + 1, ep + 1);
      if (res) {
        s = res;
        goto done;
      }
      p = ep + 1;
      continue;
    }
    case '+':
      s = longest(m, s + 1, p, ep);
      goto done;
    case '*':
      s = longest(m, s, p, ep);
      goto done;
    case '-':
      s = shortest(m, s, p, ep);
      goto done;
    default:
      s++;
      p = ep;
      continue;
    }
  }
done:
  m->depth_left++;
  return s;
}

/* --- where a match can start --- */

/* The pattern's first item, when it must consume the byte it starts at: a
 * single class with no '*', '?' or '-' after it, or %bxy.  Match fails at
 * once wherever it rejects that byte, so the drivers skip such positions
 * without entering match() (memchr for a literal byte or %b).  Set up
 * before the first attempt: parsing the item there raises exactly what
 * Lua's first attempt raises. */
struct lead {
  const char *p, *ep; /* the class; p NULL: every position is tried */
  int byte;           /* a literal byte, or -1 */
};

static void
lead_init(struct matcher *m, struct lead *ld, const char *p)
{
  const char *end = m->pat_end;
  ld->p = NULL;
  ld->byte = -1;
  if (p == end || *p == '(' || *p == ')' || (*p == '$' && p + 1 == end))
    return;
  if (*p == ESC && p + 1 < end) {
    if (p[1] == 'b') {
      if (p + 3 >= end)
        return; /* balanced() reports it */
      ld->p = p;
      ld->byte = (unsigned char)p[2];
      return;
    }
    if (p[1] == 'f' || is_digit((unsigned char)p[1]))
      return;
  }
  /* Lua checks the nesting first (a gmatch iterator that raised before
   * may have used it up), then parses the item. */
  if (m->depth_left-- == 0)
    luaL_error(m->L, "pattern too complex");
  const char *ep = class_end(m, p);
  m->depth_left++;
  if (ep < end && (*ep == '*' || *ep == '?' || *ep == '-'))
    return;
  if (*p == '.')
    return;
  ld->p = p;
  ld->ep = ep;
  if (*p != ESC && *p != '[')
    ld->byte = (unsigned char)*p;
}

/* The first position from s on where a match may start (subj_end when
 * none may before it). */
static const char *
lead_skip(struct matcher *m, const struct lead *ld, const char *s)
{
  const char *end = m->subj_end;
  if (!ld->p || s >= end)
    return s;
  const char *t;
  if (ld->byte >= 0) {
    t = memchr(s, ld->byte, (size_t)(end - s));
    if (!t)
      t = end;
  } else {
    t = s + run_length_not(m, s, ld->p, ld->ep);
  }
  BURN(m, t - s);
  return t;
}

/* --- results --- */

/* Capture i of the match [s, e); with no captures, capture 0 is the whole
 * match.  Pushes a string or a position. */
static void
push_capture(struct matcher *m, int i, const char *s, const char *e)
{
  if (i >= m->ncap) {
    if (i != 0)
      luaL_error(m->L, "invalid capture index %%%d", i + 1);
    lua_pushlstring(m->L, s, (size_t)(e - s));
    return;
  }
  ptrdiff_t len = m->cap[i].len;
  if (len == CAP_OPEN)
    luaL_error(m->L, "unfinished capture");
  if (len == CAP_POS)
    lua_pushinteger(m->L, (m->cap[i].at - m->subj) + 1);
  else
    lua_pushlstring(m->L, m->cap[i].at, (size_t)len);
}

/* Pushes every capture (the whole match when there are none and s is not
 * NULL); returns how many. */
static int
push_captures(struct matcher *m, const char *s, const char *e)
{
  int n = (m->ncap == 0 && s) ? 1 : m->ncap;
  luaL_checkstack(m->L, n, "too many captures");
  for (int i = 0; i < n; i++)
    push_capture(m, i, s, e);
  return n;
}

/* A 1-based start position as Lua 5.4 reads `init`: negative counts from
 * the end, anything before the start is 1. */
static size_t
start_pos(lua_Integer pos, size_t len)
{
  if (pos > 0)
    return (size_t)pos;
  if (pos == 0 || pos < -(lua_Integer)len)
    return 1;
  return len + (size_t)pos + 1;
}

/* The first occurrence of n in h, as Lua's plain find: memchr for the
 * first byte and memcmp, fastest on text.  Past a few passes' worth of
 * candidates ("aaa...ab" in "aaaa...": length x length) it hands the rest
 * to glibc's memmem, which is linear, so a plain find needs no budget. */
static const char *
find_plain(const char *h, size_t lh, const char *n, size_t ln)
{
  if (ln == 0)
    return h;
  if (ln > lh)
    return NULL;
  const char *p = h;
  const char *last = h + (lh - ln); /* the last possible start */
  size_t spent = 0;
  while (p <= last) {
    const char *c = memchr(p, (unsigned char)n[0], (size_t)(last - p) + 1);
    if (!c)
      return NULL;
    if (memcmp(c + 1, n + 1, ln - 1) == 0)
      return c;
    p = c + 1;
    spent += ln;
    if (spent > 8 * (size_t)(p - h) + 65536)
      return memmem(p, (size_t)(h + lh - p), n, ln);
  }
  return NULL;
}

/* Does p have none of the characters that make a pattern a pattern? */
static int
is_plain(const char *p, size_t lp)
{
  for (size_t i = 0; i < lp; i++) {
    switch (p[i]) {
    case '^':
    case '$':
    case '*':
    case '+':
    case '?':
    case '.':
    case '(':
    case '[':
    case ESC:
    case '-':
      return 0;
    default:
      break;
    }
  }
  return 1;
}

static int
find_or_match(lua_State *L, int find)
{
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_pos(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {
    luaL_pushfail(L);
    return 1;
  }
  if (find && (lua_toboolean(L, 4) || is_plain(p, lp))) {
    const char *hit = find_plain(s + init, ls - init, p, lp);
    if (!hit) {
      luaL_pushfail(L);
      return 1;
    }
    lua_pushinteger(L, (hit - s) + 1);
    lua_pushinteger(L, (lua_Integer)((size_t)(hit - s) + lp));
    return 2;
  }
  int anchored = lp > 0 && *p == '^';
  if (anchored) {
    p++;
    lp--;
  }
  struct matcher m;
  matcher_init(&m, L, s, ls, p, lp);
  const char *from = s + init;
  struct lead ld = {NULL, NULL, -1};
  if (!anchored)
    lead_init(&m, &ld, p);
  do {
    from = lead_skip(&m, &ld, from);
    m.ncap = 0;
    const char *e = match(&m, from, p);
    if (e) {
      if (!find)
        return push_captures(&m, from, e);
      lua_pushinteger(L, (from - s) + 1);
      lua_pushinteger(L, e - s);
      return push_captures(&m, NULL, NULL) + 2;
    }
  } while (from++ < m.subj_end && !anchored);
  luaL_pushfail(L);
  return 1;
}

static int
lpat_find(lua_State *L)
{
  return find_or_match(L, 1);
}

static int
lpat_match(lua_State *L)
{
  return find_or_match(L, 0);
}

/* --- gmatch --- */

struct gmatch {
  const char *next; /* where the next search starts */
  const char *last; /* end of the last match, NULL before the first */
  const char *pat;
  struct matcher m; /* kept between calls, as Lua keeps its own */
};

/* Upvalues: subject, pattern (both kept alive here), the struct gmatch. */
static int
gmatch_next(lua_State *L)
{
  struct gmatch *g = lua_touserdata(L, lua_upvalueindex(3));
  struct matcher *m = &g->m;
  m->L = L;
  m->fuel = PAT_CHECK_STEPS;
  struct lead ld = {NULL, NULL, -1};
  if (g->next <= m->subj_end)
    lead_init(m, &ld, g->pat);
  for (const char *from = g->next; from <= m->subj_end; from++) {
    from = lead_skip(m, &ld, from);
    m->ncap = 0;
    const char *e = match(m, from, g->pat);
    if (e && e != g->last) {
      g->next = g->last = e;
      return push_captures(m, from, e);
    }
  }
  return 0;
}

static int
lpat_gmatch(lua_State *L)
{
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = start_pos(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls)
    init = ls + 1; /* no match at all, and no pointer past s + ls + 1 */
  lua_settop(L, 2);
  struct gmatch *g = lua_newuserdatauv(L, sizeof *g, 0);
  matcher_init(&g->m, L, s, ls, p, lp);
  g->next = s + init;
  g->last = NULL;
  g->pat = p;
  lua_pushcclosure(L, gmatch_next, 3);
  return 1;
}

/* --- gsub --- */

/* Appends the replacement string (stack index 3) for the match [s, e):
 * %0 the match, %1-%9 a capture, %% a '%'. */
static void
add_template(struct matcher *m, luaL_Buffer *b, const char *s, const char *e)
{
  lua_State *L = m->L;
  size_t l;
  const char *r = lua_tolstring(L, 3, &l);
  const char *end = r + l;
  const char *esc;
  while ((esc = memchr(r, ESC, (size_t)(end - r))) != NULL) {
    luaL_addlstring(b, r, (size_t)(esc - r));
    int c = esc + 1 < end ? (unsigned char)esc[1] : 0;
    if (c == ESC) {
      luaL_addchar(b, ESC);
    } else if (c == '0') {
      luaL_addlstring(b, s, (size_t)(e - s));
    } else if (is_digit(c)) {
      int i = c - '1';
      if (i < m->ncap && m->cap[i].len >= 0) {
        luaL_addlstring(b, m->cap[i].at, (size_t)m->cap[i].len);
      } else {
        push_capture(m, i, s, e); /* raises, or the match, or a position */
        luaL_addvalue(b);
      }
    } else {
      luaL_error(L, "invalid use of '%%' in replacement string");
    }
    r = esc + 2;
  }
  luaL_addlstring(b, r, (size_t)(end - r));
}

/* Appends the replacement for the match [s, e) by type tr of argument 3;
 * returns 0 when the match is kept as it was (a false or nil value). */
static int
add_replacement(struct matcher *m, luaL_Buffer *b, const char *s, const char *e,
                int tr)
{
  lua_State *L = m->L;
  if (tr == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    int n = push_captures(m, s, e);
    lua_call(L, n, 1);
  } else if (tr == LUA_TTABLE) {
    push_capture(m, 0, s, e);
    lua_gettable(L, 3);
  } else {
    add_template(m, b, s, e);
    return 1;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    luaL_addlstring(b, s, (size_t)(e - s));
    return 0;
  }
  if (!lua_isstring(L, -1))
    return luaL_error(L, "invalid replacement value (a %s)",
                      luaL_typename(L, -1));
  luaL_addvalue(b);
  return 1;
}

static int
lpat_gsub(lua_State *L)
{
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  int tr = lua_type(L, 3);
  lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
  luaL_argexpected(L,
                   tr == LUA_TNUMBER || tr == LUA_TSTRING ||
                       tr == LUA_TFUNCTION || tr == LUA_TTABLE,
                   3, "string/function/table");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int anchored = lp > 0 && *p == '^';
  if (anchored) {
    p++;
    lp--;
  }
  struct matcher m;
  matcher_init(&m, L, s, ls, p, lp);
  const char *last = NULL;
  lua_Integer n = 0;
  int changed = 0;
  struct lead ld = {NULL, NULL, -1};
  if (n < max && !anchored)
    lead_init(&m, &ld, p);
  while (n < max) {
    const char *t = lead_skip(&m, &ld, s);
    luaL_addlstring(&b, s, (size_t)(t - s));
    s = t;
    m.ncap = 0;
    const char *e = match(&m, s, p);
    if (e && e != last) {
      n++;
      changed |= add_replacement(&m, &b, s, e, tr);
      s = last = e;
    } else if (s < m.subj_end) {
      luaL_addchar(&b, *s++);
    } else {
      break;
    }
    if (anchored)
      break;
  }
  if (changed) {
    luaL_addlstring(&b, s, (size_t)(m.subj_end - s));
    luaL_pushresult(&b);
  } else {
    lua_pushvalue(L, 1);
  }
  lua_pushinteger(L, n);
  return 2;
}

static const luaL_Reg pattern_funcs[] = {{"find", lpat_find},
                                         {"match", lpat_match},
                                         {"gmatch", lpat_gmatch},
                                         {"gsub", lpat_gsub},
                                         {NULL, NULL}};

int
luaopen_mlab_pattern(lua_State *L)
{
  luaL_newlib(L, pattern_funcs);
  return 1;
}
