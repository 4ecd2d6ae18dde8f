/* bench_snapshot.c - what one step's snapshot costs, against the git CLI.
 *
 * Usage: bench_snapshot [DIR]   (DIR defaults to $TMPDIR or /tmp; use a
 * real disk, not a tmpfs, or fsync costs nothing).  Prints figures only.
 *
 * 1. 1,000 files of about 2.7 KB in 20 directories: the first commit, then
 *    ROUNDS rounds of "change one file + snap_commit".  The same rounds on
 *    an identical copy through `git add -A && git commit` (system()).
 * 2. A 200 MB random file next to 10 small ones, committed with no limit,
 *    with "*.bin" frozen, and with a 50 MB size limit: the first commit,
 *    rounds where one small file changes, and rounds where the big file is
 *    rewritten in place (same size, as model weights re-saved).
 */
#include "error.h"
#include "snapshot.h"

#include <fcntl.h>
#include <git2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20
#define BIG_ROUNDS 3
#define NDIRS 20
#define NFILES 1000
#define FILE_BYTES 2700
#define BIG_BYTES (200u << 20)

static double
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift: the same seed gives byte-identical workspaces for both sides. */
static uint64_t
next(uint64_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void
die(const char *what)
{
  fprintf(stderr, "bench_snapshot: %s: %s\n", what, mlab_error_last());
  exit(1);
}

/* snprintf that refuses to truncate a path or a command. */
static void xsnprintf(char *out, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
xsnprintf(char *out, size_t n, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(out, n, fmt, ap);
  va_end(ap);
  if (len < 0 || (size_t)len >= n) {
    fprintf(stderr, "bench_snapshot: path too long\n");
    exit(1);
  }
}

/* Printable random text, so it compresses about as source and CSV do. */
static void
write_text(const char *path, uint64_t seed, size_t n)
{
  static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789 ,.=_()\n";
  char buf[FILE_BYTES];
  FILE *f = fopen(path, "w");
  if (!f)
    die(path);
  for (size_t i = 0; i < n && i < sizeof buf; i++)
    buf[i] = al[next(&seed) % (sizeof al - 1)];
  fwrite(buf, 1, n < sizeof buf ? n : sizeof buf, f);
  fclose(f);
}

static void
file_path(char *out, size_t n, const char *ws, int i)
{
  xsnprintf(out, n, "%s/d%02d/f%04d.txt", ws, i % NDIRS, i);
}

static void
make_ws(const char *ws)
{
  char p[1024];
  mkdir(ws, 0755);
  for (int d = 0; d < NDIRS; d++) {
    xsnprintf(p, sizeof p, "%s/d%02d", ws, d);
    mkdir(p, 0755);
  }
  for (int i = 0; i < NFILES; i++) {
    file_path(p, sizeof p, ws, i);
    write_text(p, 0x9e3779b97f4a7c15ull + (uint64_t)i, FILE_BYTES);
  }
}

/* Round r changes file r*37 with content that depends only on r. */
static void
change_one(const char *ws, int r)
{
  char p[1024];
  file_path(p, sizeof p, ws, (r * 37) % NFILES);
  write_text(p, 0xabcdef12345ull + (uint64_t)r, FILE_BYTES);
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of n samples (sorts them). */
static double
pct(double *v, int n, int p)
{
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  int k = (p * n + 99) / 100;
  return v[k < 1 ? 0 : k - 1];
}

static void
git_cli(const char *gd, const char *ws, const char *what)
{
  char cmd[4096];
  xsnprintf(cmd, sizeof cmd,
            "git --git-dir='%s' --work-tree='%s' add -A && "
            "git --git-dir='%s' --work-tree='%s' -c user.name=mlab "
            "-c user.email=mlab@localhost commit -q -m x",
            gd, ws, gd, ws);
  if (system(cmd) != 0) {
    fprintf(stderr, "bench_snapshot: git CLI failed (%s)\n", what);
    exit(1);
  }
}

struct figures {
  double first, median, p90;
};

static struct figures
run_ours(const char *base, const char *name, int fsync)
{
  char ws[1024], gd[1024], tag[32];
  double ours[ROUNDS], t;
  struct figures f;
  struct snap *s = NULL;

  xsnprintf(ws, sizeof ws, "%s/%s", base, name);
  xsnprintf(gd, sizeof gd, "%s/%s.git", base, name);
  make_ws(ws);
  if (snap_open(&s, gd, ws) != 0)
    die("open");
  /* snap_open turns fsync on; off only to show what it costs. */
  if (!fsync)
    git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
  t = now_ms();
  if (snap_commit(s, "step-0", "start", NULL) != 0)
    die("first commit");
  f.first = now_ms() - t;
  for (int r = 0; r < ROUNDS; r++) {
    change_one(ws, r);
    xsnprintf(tag, sizeof tag, "step-%d", r + 1);
    t = now_ms();
    if (snap_commit(s, tag, tag, NULL) != 0)
      die("commit");
    ours[r] = now_ms() - t;
  }
  snap_free(s);
  f.median = pct(ours, ROUNDS, 50);
  f.p90 = pct(ours, ROUNDS, 90);
  return f;
}

static struct figures
run_cli(const char *base, const char *name, const char *fsync)
{
  char ws[1024], gd[1024], cmd[4096];
  double cli[ROUNDS], t;
  struct figures f;

  xsnprintf(ws, sizeof ws, "%s/%s", base, name);
  xsnprintf(gd, sizeof gd, "%s/%s.git", base, name);
  make_ws(ws);
  if (fsync)
    xsnprintf(cmd, sizeof cmd,
              "git init -q --bare '%s' && git --git-dir='%s' config "
              "core.fsync '%s'",
              gd, gd, fsync);
  else
    xsnprintf(cmd, sizeof cmd, "git init -q --bare '%s'", gd);
  if (system(cmd) != 0)
    die("git init");
  t = now_ms();
  git_cli(gd, ws, "first");
  f.first = now_ms() - t;
  for (int r = 0; r < ROUNDS; r++) {
    change_one(ws, r);
    t = now_ms();
    git_cli(gd, ws, "round");
    cli[r] = now_ms() - t;
  }
  f.median = pct(cli, ROUNDS, 50);
  f.p90 = pct(cli, ROUNDS, 90);
  return f;
}

static void
row(const char *name, struct figures f)
{
  printf("  %-40s %9.1f %9.1f %9.1f\n", name, f.first, f.median, f.p90);
}

static void
bench_small(const char *base)
{
  printf("1,000 files x %d B in %d dirs, %d rounds of one changed file, ms\n"
         "  %-40s %9s %9s %9s\n",
         FILE_BYTES, NDIRS, ROUNDS, "", "first", "median", "p90");
  struct figures on = run_ours(base, "ours", 1);
  struct figures off = run_ours(base, "ours-nofsync", 0);
  /* git 2.39's default fsyncs refs and packs, not loose objects. */
  struct figures cli = run_cli(base, "cli", NULL);
  struct figures all = run_cli(base, "cli-fsync", "all");
  row("snap_commit, fsync on (as shipped)", on);
  row("snap_commit, fsync off", off);
  row("git add -A && commit, core.fsync default", cli);
  row("git add -A && commit, core.fsync=all", all);
  printf("  ratio git CLI (default) / snap_commit (fsync on): median %.2fx "
         "p90 %.2fx\n",
         cli.median / on.median, cli.p90 / on.p90);
  printf("  ratio git CLI (fsync=all) / snap_commit (fsync on): median %.2fx "
         "p90 %.2fx\n\n",
         all.median / on.median, all.p90 / on.p90);
}

/* Rewrites 4 KB at the start of the big file: same size, new mtime. */
static void
touch_big(const char *path, int r)
{
  char buf[4096];
  uint64_t seed = 0x1234567ull + (uint64_t)r;
  int fd = open(path, O_WRONLY);
  if (fd < 0)
    die(path);
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (char)next(&seed);
  if (pwrite(fd, buf, sizeof buf, 0) != (ssize_t)sizeof buf)
    die("pwrite");
  close(fd);
}

static void
make_big(const char *path)
{
  char buf[1 << 16];
  uint64_t seed = 0xfeedfaceull;
  FILE *f = fopen(path, "w");
  if (!f)
    die(path);
  for (size_t done = 0; done < BIG_BYTES; done += sizeof buf) {
    for (size_t i = 0; i < sizeof buf; i += 8) {
      uint64_t v = next(&seed);
      memcpy(buf + i, &v, 8);
    }
    fwrite(buf, 1, sizeof buf, f);
  }
  fclose(f);
}

static void
bench_big_one(const char *base, const char *ws, const char *name,
              size_t max_bytes, const char *const *pats)
{
  char gd[1024], tag[32], p[1024];
  double t, first, small[BIG_ROUNDS], big[BIG_ROUNDS], after[BIG_ROUNDS];
  struct snap *s = NULL;
  static int round_seed;

  xsnprintf(gd, sizeof gd, "%s/big-%s.git", base, name);
  if (snap_open(&s, gd, ws) != 0 || snap_set_frozen(s, max_bytes, pats) != 0)
    die("open");
  t = now_ms();
  if (snap_commit(s, "step-0", "start", NULL) != 0)
    die("first commit");
  first = now_ms() - t;
  for (int r = 0; r < BIG_ROUNDS; r++) {
    xsnprintf(p, sizeof p, "%s/s%d.txt", ws, r % 10);
    write_text(p, (uint64_t)(++round_seed) * 7919u, 1000);
    xsnprintf(tag, sizeof tag, "small-%d", r);
    t = now_ms();
    if (snap_commit(s, tag, tag, NULL) != 0)
      die("commit");
    small[r] = now_ms() - t;
  }
  for (int r = 0; r < BIG_ROUNDS; r++) {
    xsnprintf(p, sizeof p, "%s/weights.bin", ws);
    touch_big(p, ++round_seed);
    xsnprintf(tag, sizeof tag, "big-%d", r);
    t = now_ms();
    if (snap_commit(s, tag, tag, NULL) != 0)
      die("commit");
    big[r] = now_ms() - t;
  }
  /* Small changes again: a frozen file rewritten earlier must not make
   * every later step pay for it. */
  for (int r = 0; r < BIG_ROUNDS; r++) {
    xsnprintf(p, sizeof p, "%s/s%d.txt", ws, r % 10);
    write_text(p, (uint64_t)(++round_seed) * 7919u, 1000);
    xsnprintf(tag, sizeof tag, "after-%d", r);
    t = now_ms();
    if (snap_commit(s, tag, tag, NULL) != 0)
      die("commit");
    after[r] = now_ms() - t;
  }
  snap_free(s);
  printf("  %-22s %9.1f %9.1f %9.1f %9.1f\n", name, first,
         pct(small, BIG_ROUNDS, 50), pct(big, BIG_ROUNDS, 50),
         pct(after, BIG_ROUNDS, 50));
}

static void
bench_big(const char *base)
{
  char ws[1024], p[1024];
  const char *const frozen[] = {"*.bin", NULL};

  xsnprintf(ws, sizeof ws, "%s/big-ws", base);
  mkdir(ws, 0755);
  for (int i = 0; i < 10; i++) {
    xsnprintf(p, sizeof p, "%s/s%d.txt", ws, i);
    write_text(p, (uint64_t)i + 1, 1000);
  }
  xsnprintf(p, sizeof p, "%s/weights.bin", ws);
  make_big(p);
  printf("200 MB random weights.bin + 10 small files, ms, median of %d "
         "rounds\n  %-22s %9s %9s %9s %9s\n",
         BIG_ROUNDS, "", "first", "small", "big", "small");
  bench_big_one(base, ws, "not frozen", 0, NULL);
  bench_big_one(base, ws, "frozen \"*.bin\"", 0, frozen);
  bench_big_one(base, ws, "max_file_bytes 50 MB", 50u << 20, NULL);
}

int
main(int argc, char **argv)
{
  char base[1024], cmd[1100];
  const char *parent = argc > 1 ? argv[1] : getenv("TMPDIR");

  xsnprintf(base, sizeof base, "%s/bench_snapshot.XXXXXX",
            parent && *parent ? parent : "/tmp");
  if (!mkdtemp(base)) {
    perror("mkdtemp");
    return 1;
  }
  bench_small(base);
  bench_big(base);
  xsnprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  return system(cmd) == 0 ? 0 : 1;
}
