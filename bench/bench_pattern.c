/* bench_pattern.c - what the budgeted matcher (mlab.pattern) costs against
 * Lua's own string.find/match/gmatch/gsub, measured in the same run.
 *
 * Usage: bench_pattern [ROUNDS]   (default 15).  Prints figures only.
 *
 * Both sides run in one state made by lh_new() with a one-hour deadline
 * and the hook armed, as in a run (so the matcher's budget checks really
 * read the clock).  Each workload runs ROUNDS times per side, alternating
 * stock and mlab.pattern; the table shows the median ms of each side and
 * their ratio (mlab / stock), in CPU time of the thread.  The text is 1 MB of
 * seeded pseudo-English: words, punctuation, numbers, runs of spaces and tabs,
 * lines of 0-120 bytes.
 */
#include "luahost.h"
#include "pattern.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 101

/* Each workload is a function of S, the table of the four functions. */
static const char workloads[] =
    "local text = ...\n"
    "local W = {}\n"
    "local worst = ('a'):rep(1 << 18)\n"
    "local function add(name, f) W[#W + 1] = { name = name, f = f } end\n"
    "add('gsub %s+ -> \" \" (1 MB)', function(S)\n"
    "  return S.gsub(text, '%s+', ' ')\n"
    "end)\n"
    "add('gsub trailing ws per line', function(S)\n"
    "  return S.gsub(text, '[ \\t]+\\n', '\\n')\n"
    "end)\n"
    "add('gmatch lines [^NL]* (1 MB)', function(S)\n"
    "  local n = 0\n"
    "  for line in S.gmatch(text, '[^\\n]*') do n = n + 1 end\n"
    "  return n\n"
    "end)\n"
    "add('gmatch lines (.-)NL (1 MB)', function(S)\n"
    "  local n = 0\n"
    "  for line in S.gmatch(text, '(.-)\\n') do n = n + #line end\n"
    "  return n\n"
    "end)\n"
    "add('gmatch words %a+ (1 MB)', function(S)\n"
    "  local n = 0\n"
    "  for w in S.gmatch(text, '%a+') do n = n + 1 end\n"
    "  return n\n"
    "end)\n"
    "add('find plain, every \"the \"', function(S)\n"
    "  local n, i = 0, 1\n"
    "  while true do\n"
    "    local a, b = S.find(text, 'the ', i, true)\n"
    "    if not a then return n end\n"
    "    n, i = n + 1, b + 1\n"
    "  end\n"
    "end)\n"
    "add('find plain, absent 20-byte needle', function(S)\n"
    "  local n = 0\n"
    "  for _ = 1, 20 do\n"
    "    if S.find(text, 'zebra-quux-not-here!', 1, true) then n = n + 1 end\n"
    "  end\n"
    "  return n\n"
    "end)\n"
    "add('find %d%d%d%-%d x8, absent (1 MB)', function(S)\n"
    "  return S.find(text, '%d%d%d%-%d%d%d%d%d%d%d%d')\n"
    "end)\n"
    "local lines = {}\n"
    "for i = 1, 200 do\n"
    "  lines[i] = ('key_%d = value %d  '):format(i, i * 7)\n"
    "end\n"
    "add('match captures, 200k short', function(S)\n"
    "  local n = 0\n"
    "  for r = 1, 1000 do\n"
    "    for i = 1, #lines do\n"
    "      local k, v = S.match(lines[i], '^([%w_]+)%s*=%s*(.-)%s*$')\n"
    "      n = n + #k\n"
    "    end\n"
    "  end\n"
    "  return n\n"
    "end)\n"
    "add('find short pattern, 200k short', function(S)\n"
    "  local n = 0\n"
    "  for r = 1, 1000 do\n"
    "    for i = 1, #lines do\n"
    "      n = n + S.find(lines[i], '=')\n"
    "    end\n"
    "  end\n"
    "  return n\n"
    "end)\n"
    "add('gsub function %w+ (1 MB)', function(S)\n"
    "  return S.gsub(text, '%w+', function(w) return nil end)\n"
    "end)\n"
    "add('find plain, worst case a..ab', function(S)\n"
    "  return S.find(worst, ('a'):rep(2000) .. 'b', 1, true)\n"
    "end)\n"
    "add('gsub %b() + %f (1 MB)', function(S)\n"
    "  local a = S.gsub(text, '%b()', '')\n"
    "  return S.gsub(a, '%f[%a]%u', 'X')\n"
    "end)\n"
    "return W\n";

/* CPU time of this thread: other processes on the machine move it less
 * than they move the wall clock. */
static double
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static unsigned long long
next(unsigned long long *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

/* 1 MB of word-like text, the same for every run. */
static char *
make_text(size_t n)
{
  static const char *words[] = {
      "the", "model",    "loss",  "train", "accuracy", "epoch", "data",
      "of",  "learning", "rate",  "and",   "The",      "batch", "(see",
      "it)", "score:",   "0.913", "to",    "a",        "x_1",   "in"};
  size_t nw = sizeof words / sizeof words[0];
  char *t = malloc(n + 1);
  if (!t)
    exit(1);
  unsigned long long s = 88172645463325252ULL;
  size_t i = 0, line = 0;
  while (i < n) {
    unsigned long long r = next(&s);
    const char *w = words[r % nw];
    size_t len = strlen(w);
    if (r % 97 == 0) {
      w = "555-0123456";
      len = strlen(w);
    }
    for (size_t k = 0; k < len && i < n; k++)
      t[i++] = w[k];
    line += len;
    if (i >= n)
      break;
    if (line > (r >> 8) % 120) {
      if ((r >> 20) % 4 == 0 && i < n)
        t[i++] = ' ';
      if (i < n)
        t[i++] = '\n';
      line = 0;
    } else {
      int spaces = (r >> 16) % 8 == 0 ? 3 : 1;
      for (int k = 0; k < spaces && i < n; k++)
        t[i++] = (r >> 24) % 16 == 0 ? '\t' : ' ';
      line += (size_t)spaces;
    }
  }
  t[n] = '\0';
  return t;
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Runs W[i].f(side) once; returns ms.  The result stays alive until the
 * next call (it is a string of about 1 MB at most). */
static double
time_one(lua_State *L, int wl, int i, int side)
{
  lua_rawgeti(L, wl, i);
  lua_getfield(L, -1, "f");
  lua_pushvalue(L, side);
  double t0 = now_ms();
  char *msg = NULL;
  if (lh_pcall(L, 1, 1, &msg) != LH_OK) {
    fprintf(stderr, "bench_pattern: %s\n", msg ? msg : "?");
    exit(1);
  }
  double ms = now_ms() - t0;
  lua_pop(L, 2);
  return ms;
}

int
main(int argc, char **argv)
{
  int rounds = argc > 1 ? atoi(argv[1]) : 15;
  if (rounds < 1 || rounds > MAX_ROUNDS)
    rounds = 15;
  static struct lh_run run;
  snprintf(run.root, sizeof run.root, "%s", MLAB_ROOT);
  run.budget.max_time_s = 3600;
  lua_State *L = lh_new(&run);
  if (!L)
    return 1;
  budget_start(&run.budget);

  lua_pushcfunction(L, luaopen_string);
  lua_call(L, 0, 1);
  int stock = lua_gettop(L);
  lua_pushcfunction(L, luaopen_mlab_pattern);
  lua_call(L, 0, 1);
  int mine = lua_gettop(L);

  size_t n = 1 << 20;
  char *text = make_text(n);
  if (luaL_loadstring(L, workloads) != LUA_OK) {
    fprintf(stderr, "bench_pattern: %s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_pushlstring(L, text, n);
  free(text);
  lua_call(L, 1, 1);
  int wl = lua_gettop(L);
  lh_hook_arm(L);

  printf("bench_pattern: %d rounds, median ms per workload\n\n", rounds);
  printf("%-36s %10s %10s %7s\n", "workload", "stock", "mlab", "ratio");
  int count = (int)luaL_len(L, wl);
  double prod = 1;
  for (int i = 1; i <= count; i++) {
    double a[MAX_ROUNDS], b[MAX_ROUNDS];
    time_one(L, wl, i, stock); /* warm up both */
    time_one(L, wl, i, mine);
    for (int r = 0; r < rounds; r++) {
      a[r] = time_one(L, wl, i, stock);
      b[r] = time_one(L, wl, i, mine);
    }
    double ma = median(a, rounds), mb = median(b, rounds);
    lua_rawgeti(L, wl, i);
    lua_getfield(L, -1, "name");
    printf("%-36s %10.2f %10.2f %6.2fx\n", lua_tostring(L, -1), ma, mb,
           mb / ma);
    lua_pop(L, 2);
    prod *= mb / ma;
  }
  printf("\ngeometric mean ratio: %.2fx\n", pow(prod, 1.0 / count));
  lh_hook_disarm(L);
  lh_close(L);
  return 0;
}
