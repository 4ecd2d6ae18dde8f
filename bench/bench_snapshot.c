/* bench_snapshot.c - what recording one step costs, against the git CLI and
 * shutil.copytree measured in the same run.
 *
 * Usage: bench_snapshot [--quick] [DIR]     the table of issue 14
 *        bench_snapshot --steps N [DIR]     N recorded steps only (for strace)
 *
 * DIR defaults to $TMPDIR or /tmp and must be a real disk, not a tmpfs, or
 * flushes cost nothing.  A "step" of ours is what the host does after an
 * action: the snapshot, the trace line, and the flush that makes both
 * durable.  Each round changes every workspace the same way, then times
 * each contender once (interleaved, so a slow moment of the VM hits all of
 * them); a row prints our median and p90 in ms and the medians of the
 * per-round ratios (contender time / our time).
 *
 *   execute   the whole work tree is walked (what an Execute Script step
 *             does: the host does not know what the script changed)
 *   write     the changed paths are named (Write/Append/Edit/Copy/Undo)
 *   git CLI   `git add -A && git commit -q` through system(), core.fsync
 *             as git ships it (refs and packs synced, loose objects not)
 *   copytree  shutil.copytree of the work tree to a fresh directory, timed
 *             inside one long-lived python3 (no interpreter start counted)
 *
 * Built against the snapshot API before issue 14 (no SNAP_COMMIT_NOSYNC),
 * "execute" and "write" are both the one snap_commit there is, which
 * fsyncs what it writes, and the trace line is appended with fsync.
 */
#include "error.h"
#include "fsutil.h"
#include "snapshot.h"

#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 64
#define FILE_BYTES 2700
#define FILES_PER_DIR 50
#define BIG_BYTES (200u << 20)
#define FREEZE_BYTES (50u << 20) /* lua/run.lua's M.FREEZE_BYTES */

static int quick;
static char base[1024];

static double
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift: the same seed gives byte-identical workspaces for all sides. */
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

static void
xsystem(const char *cmd)
{
  if (system(cmd) != 0) {
    fprintf(stderr, "bench_snapshot: failed: %s\n", cmd);
    exit(1);
  }
}

/* Printable random text, so it compresses about as source and CSV do. */
static void
write_text(const char *path, uint64_t seed)
{
  static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789 ,.=_()\n";
  char buf[FILE_BYTES];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = al[next(&seed) % (sizeof al - 1)];
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
    die(path);
  close(fd);
}

static void
file_rel(char *out, size_t n, int i)
{
  xsnprintf(out, n, "d%03d/f%05d.txt", i / FILES_PER_DIR, i);
}

static void
make_ws(const char *ws, int nfiles, const char *big)
{
  char p[1024], rel[64];
  mkdir(ws, 0755);
  for (int d = 0; d * FILES_PER_DIR < nfiles; d++) {
    xsnprintf(p, sizeof p, "%s/d%03d", ws, d);
    mkdir(p, 0755);
  }
  for (int i = 0; i < nfiles; i++) {
    file_rel(rel, sizeof rel, i);
    xsnprintf(p, sizeof p, "%s/%s", ws, rel);
    write_text(p, 0x9e3779b97f4a7c15ull + (uint64_t)i);
  }
  if (big) { /* the same untouched file in every work tree */
    xsnprintf(p, sizeof p, "%s/weights.bin", ws);
    if (link(big, p) != 0)
      die("link");
  }
}

static void
make_big(const char *path)
{
  static char buf[1 << 16];
  uint64_t seed = 0xfeedfaceull;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    die(path);
  for (size_t done = 0; done < BIG_BYTES; done += sizeof buf) {
    for (size_t i = 0; i < sizeof buf; i += 8) {
      uint64_t v = next(&seed);
      memcpy(buf + i, &v, 8);
    }
    if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
      die("write");
  }
  close(fd);
}

static int
rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static void
rm_rf(const char *p)
{
  nftw(p, rm_entry, 32, FTW_DEPTH | FTW_PHYS);
}

static int
cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Nearest-rank percentile of n samples (sorts a copy). */
static double
pct(const double *v, int n, int p)
{
  double s[MAX_ROUNDS];
  memcpy(s, v, (size_t)n * sizeof *s);
  qsort(s, (size_t)n, sizeof *s, cmp_double);
  int k = (p * n + 99) / 100;
  return s[k < 1 ? 0 : k - 1];
}

static double
median_ratio(const double *num, const double *den, int n)
{
  double r[MAX_ROUNDS];
  for (int i = 0; i < n; i++)
    r[i] = num[i] / den[i];
  return pct(r, n, 50);
}

/* ---- shutil.copytree in one python3 that stays up ---- */

static FILE *py_in, *py_out;

static void
py_start(void)
{
  static const char script[] =
      "import shutil, sys, time\n"
      "for line in sys.stdin:\n"
      "    src, dst = line.rstrip('\\n').split('\\t')\n"
      "    t = time.perf_counter()\n"
      "    shutil.copytree(src, dst, symlinks=True)\n"
      "    ms = (time.perf_counter() - t) * 1e3\n"
      "    shutil.rmtree(dst)\n"
      "    print(ms, flush=True)\n";
  int in[2], out[2];
  if (pipe(in) != 0 || pipe(out) != 0)
    die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execl("/usr/bin/python3", "python3", "-c", script, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  py_in = fdopen(in[1], "w");
  py_out = fdopen(out[0], "r");
}

static double
py_copytree(const char *src)
{
  char dst[1100];
  double ms;
  xsnprintf(dst, sizeof dst, "%s/copytree-dst", base);
  fprintf(py_in, "%s\t%s\n", src, dst);
  fflush(py_in);
  if (fscanf(py_out, "%lf", &ms) != 1)
    die("copytree helper");
  return ms;
}

/* ---- the contenders ---- */

enum kind { OURS_WALK, OURS_PATHS, GIT_CLI, COPYTREE };

struct side {
  enum kind kind;
  char ws[1024], gd[1024], trace[1024];
  struct snap *s;
  int step;
  double t[MAX_ROUNDS];
};

static const char TRACE_LINE[] =
    "{\"step\":1,\"action\":\"Write File\",\"input\":{\"file_name\":"
    "\"d000/f00000.txt\",\"content\":\"...\"},\"observation\":\"File "
    "d000/f00000.txt written successfully.\",\"started\":1764000000.123,"
    "\"duration_s\":0.0004,\"tokens\":0,\"commit\":"
    "\"0123456789abcdef0123456789abcdef01234567\"}\n";

/* What the host does after an action: commit, trace line, one flush. */
static void
ours_step(struct side *sd, const char *const *paths, size_t npaths)
{
  char tag[32], msg[64];
  xsnprintf(tag, sizeof tag, "step-%d", sd->step);
  xsnprintf(msg, sizeof msg, "step %d: Execute Script\n\n{}\n", sd->step);
  sd->step++;
#ifdef SNAP_COMMIT_NOSYNC
  struct snap_commit_opts o = {paths, npaths, SNAP_COMMIT_NOSYNC};
  const char *extra[] = {sd->trace, NULL};
  if (snap_commit_ex(sd->s, tag, msg, &o, NULL) != 0)
    die("commit");
  if (fsu_append_nosync(sd->trace, TRACE_LINE, sizeof TRACE_LINE - 1) != 0)
    die("trace");
  if (snap_sync(sd->s, extra) != 0)
    die("sync");
#else
  (void)paths;
  (void)npaths;
  if (snap_commit(sd->s, tag, msg, NULL) != 0)
    die("commit");
  if (fsu_append(sd->trace, TRACE_LINE, sizeof TRACE_LINE - 1) != 0)
    die("trace");
#endif
}

static void
git_cli(const char *gd, const char *ws)
{
  char cmd[4096];
  xsnprintf(cmd, sizeof cmd,
            "git --git-dir='%s' --work-tree='%s' add -A && "
            "git --git-dir='%s' --work-tree='%s' -c user.name=mlab "
            "-c user.email=mlab@localhost commit -q -m x",
            gd, ws, gd, ws);
  xsystem(cmd);
}

/* Sets a side up and makes its first commit; returns the time of that
 * commit (what the first-commit row reports). */
static double
side_open(struct side *sd, enum kind kind, const char *name, int nfiles,
          const char *big)
{
  char cmd[4096];
  double t;
  memset(sd, 0, sizeof *sd);
  sd->kind = kind;
  xsnprintf(sd->ws, sizeof sd->ws, "%s/%s", base, name);
  xsnprintf(sd->gd, sizeof sd->gd, "%s/%s.git", base, name);
  xsnprintf(sd->trace, sizeof sd->trace, "%s/%s.trace", base, name);
  make_ws(sd->ws, nfiles, big);
  sync(); /* the first commit flushes its objects, not a fresh work tree */
  if (kind == COPYTREE)
    return 0;
  if (kind == GIT_CLI) {
    /* The big file stays out of the CLI's history too, as our size limit
     * keeps it out of ours. */
    xsnprintf(cmd, sizeof cmd,
              "git init -q --bare '%s' && echo /weights.bin >> "
              "'%s/info/exclude'",
              sd->gd, sd->gd);
    xsystem(cmd);
    t = now_ms();
    git_cli(sd->gd, sd->ws);
    return now_ms() - t;
  }
  t = now_ms();
  if (snap_open(&sd->s, sd->gd, sd->ws) != 0 ||
      snap_set_frozen(sd->s, FREEZE_BYTES, NULL) != 0)
    die("open");
  ours_step(sd, NULL, 0);
  return now_ms() - t;
}

static void
side_close(struct side *sd)
{
  snap_free(sd->s);
  sd->s = NULL;
  rm_rf(sd->ws);
  rm_rf(sd->gd);
  unlink(sd->trace);
}

/* Round r rewrites nchange files (same size, new content) in ws. */
static void
change(const char *ws, int nfiles, int nchange, int r, const char **rels,
       char relbuf[][64])
{
  char p[1100];
  for (int k = 0; k < nchange; k++) {
    int i = (r * 37 + k * (nfiles / nchange)) % nfiles;
    file_rel(relbuf[k], 64, i);
    rels[k] = relbuf[k];
    xsnprintf(p, sizeof p, "%s/%s", ws, relbuf[k]);
    write_text(p, 0xabcdef12345ull + (uint64_t)r * 1000 + (uint64_t)k);
  }
}

static void
row(const char *label, int nfiles, int nchange, int with_paths, const char *big,
    int rounds, double *walk_median)
{
  struct side walk, paths, cli, copy;
  static char relbuf[128][64];
  const char *rels[128];
  int r;

  side_open(&walk, OURS_WALK, "walk", nfiles, big);
  if (with_paths)
    side_open(&paths, OURS_PATHS, "paths", nfiles, big);
  side_open(&cli, GIT_CLI, "cli", nfiles, big);
  for (r = 0; r < rounds; r++) {
    double t;
    change(walk.ws, nfiles, nchange, r, rels, relbuf);
    change(cli.ws, nfiles, nchange, r, rels, relbuf);
    if (with_paths)
      change(paths.ws, nfiles, nchange, r, rels, relbuf);
    /* sync() before each: none pays for what another left dirty. */
    sync();
    t = now_ms();
    ours_step(&walk, NULL, 0);
    walk.t[r] = now_ms() - t;
    if (with_paths) {
      sync();
      t = now_ms();
      ours_step(&paths, rels, (size_t)nchange);
      paths.t[r] = now_ms() - t;
    }
    sync();
    t = now_ms();
    git_cli(cli.gd, cli.ws);
    cli.t[r] = now_ms() - t;
    sync();
    copy.t[r] = py_copytree(walk.ws);
  }
  printf("%-34s %-8s %7.2f %7.2f %8.2fx %9.1fx\n", label, "execute",
         pct(walk.t, rounds, 50), pct(walk.t, rounds, 90),
         median_ratio(cli.t, walk.t, rounds),
         median_ratio(copy.t, walk.t, rounds));
  if (with_paths)
    printf("%-34s %-8s %7.2f %7.2f %8.2fx %9.1fx\n", "", "write",
           pct(paths.t, rounds, 50), pct(paths.t, rounds, 90),
           median_ratio(cli.t, paths.t, rounds),
           median_ratio(copy.t, paths.t, rounds));
  if (walk_median)
    *walk_median = pct(walk.t, rounds, 50);
  side_close(&walk);
  if (with_paths)
    side_close(&paths);
  side_close(&cli);
  fflush(stdout);
}

static void
first_commit_row(int nfiles, int rounds)
{
  struct side ours, cli;
  double t_ours[MAX_ROUNDS], t_cli[MAX_ROUNDS], t_copy[MAX_ROUNDS];
  for (int r = 0; r < rounds; r++) {
    t_ours[r] = side_open(&ours, OURS_WALK, "first-ours", nfiles, NULL);
    t_cli[r] = side_open(&cli, GIT_CLI, "first-cli", nfiles, NULL);
    sync();
    t_copy[r] = py_copytree(cli.ws);
    side_close(&ours);
    side_close(&cli);
  }
  printf("%-34s %-8s %7.1f %7.1f %8.2fx %9.1fx\n", "1,000 files", "first",
         pct(t_ours, rounds, 50), pct(t_ours, rounds, 90),
         median_ratio(t_cli, t_ours, rounds),
         median_ratio(t_copy, t_ours, rounds));
  fflush(stdout);
}

#ifdef SNAP_COMMIT_NOSYNC
/* ---- how to flush: the options, on the same write steps ---- */

enum flush { F_SYNCFS, F_TRACE, F_EACH, F_NONE, F_NOTAG, NFLUSH };
static const char *const flush_name[NFLUSH] = {
    "syncfs (chosen)", "fdatasync of the trace only (unsafe)",
    "fsync of each new file + dirs (git's way)", "no flush (floor)",
    "syncfs, no step tag"};

static void
fsync_path(const char *p)
{
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

/* The files a write step of one file creates: its blob, the two trees
 * above it, the commit (each in a fan-out directory), the branch and the
 * tag, and the trace line: what libgit2 fsynced one by one. */
static void
fsync_each(struct side *sd, const char *rel, const char *tag)
{
  git_repository *repo = NULL;
  git_commit *c = NULL;
  git_tree *t = NULL, *sub = NULL;
  char dir[32], p[2200], hex[GIT_OID_HEXSZ + 1];
  const git_oid *ids[4];
  if (git_repository_open_bare(&repo, sd->gd) < 0 ||
      git_revparse_single((git_object **)&c, repo, "HEAD") < 0 ||
      git_commit_tree(&t, c) < 0)
    die("fsync_each");
  memcpy(dir, rel, 4);
  dir[4] = '\0';
  const git_tree_entry *e = git_tree_entry_byname(t, dir);
  if (!e || git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0)
    die("fsync_each tree");
  ids[0] = git_commit_id(c);
  ids[1] = git_tree_id(t);
  ids[2] = git_tree_id(sub);
  ids[3] = git_tree_entry_id(git_tree_entry_byname(sub, rel + 5));
  for (int i = 0; i < 4; i++) {
    git_oid_tostr(hex, sizeof hex, ids[i]);
    xsnprintf(p, sizeof p, "%s/objects/%.2s/%s", sd->gd, hex, hex + 2);
    fsync_path(p);
    xsnprintf(p, sizeof p, "%s/objects/%.2s", sd->gd, hex);
    fsync_path(p);
  }
  xsnprintf(p, sizeof p, "%s/refs/heads/master", sd->gd);
  fsync_path(p);
  xsnprintf(p, sizeof p, "%s/refs/heads", sd->gd);
  fsync_path(p);
  xsnprintf(p, sizeof p, "%s/refs/tags/%s", sd->gd, tag);
  fsync_path(p);
  xsnprintf(p, sizeof p, "%s/refs/tags", sd->gd);
  fsync_path(p);
  int fd = open(sd->trace, O_WRONLY | O_CLOEXEC);
  fdatasync(fd);
  close(fd);
  git_tree_free(sub);
  git_tree_free(t);
  git_commit_free(c);
  git_repository_free(repo);
}

static void
flush_options(int rounds)
{
  struct side sd[NFLUSH];
  static char relbuf[1][64];
  const char *rels[1];
  char tag[32];
  for (int f = 0; f < NFLUSH; f++) {
    char name[32];
    xsnprintf(name, sizeof name, "flush%d", f);
    side_open(&sd[f], OURS_PATHS, name, 1000, NULL);
  }
  for (int r = 0; r < rounds; r++) {
    for (int f = 0; f < NFLUSH; f++) {
      struct snap_commit_opts o = {rels, 1, SNAP_COMMIT_NOSYNC};
      const char *extra[] = {sd[f].trace, NULL};
      change(sd[f].ws, 1000, 1, r, rels, relbuf);
      xsnprintf(tag, sizeof tag, "step-%d", sd[f].step++);
      sync();
      double t = now_ms();
      if (snap_commit_ex(sd[f].s, f == F_NOTAG ? NULL : tag, "m", &o, NULL) ||
          fsu_append_nosync(sd[f].trace, TRACE_LINE, sizeof TRACE_LINE - 1))
        die("commit");
      if (f == F_SYNCFS || f == F_NOTAG) {
        if (snap_sync(sd[f].s, extra) != 0)
          die("sync");
      } else if (f == F_TRACE) {
        int fd = open(sd[f].trace, O_WRONLY | O_CLOEXEC);
        fdatasync(fd);
        close(fd);
      } else if (f == F_EACH) {
        fsync_each(&sd[f], rels[0], tag);
      }
      sd[f].t[r] = now_ms() - t;
    }
  }
  printf("\nflush options, 1,000 files, write step, ms (same rounds)\n");
  for (int f = 0; f < NFLUSH; f++) {
    printf("  %-44s %7.2f %7.2f  ratio to syncfs %5.2fx\n", flush_name[f],
           pct(sd[f].t, rounds, 50), pct(sd[f].t, rounds, 90),
           median_ratio(sd[f].t, sd[F_SYNCFS].t, rounds));
    side_close(&sd[f]);
  }
  fflush(stdout);
}
#endif

/* --steps N: N steps of ours only, one file changed each (for strace). */
static void
steps_only(int n)
{
  struct side sd;
  static char relbuf[1][64];
  const char *rels[1];
  side_open(&sd, OURS_WALK, "steps", 1000, NULL);
  for (int r = 0; r < n; r++) {
    change(sd.ws, 1000, 1, r, rels, relbuf);
    ours_step(&sd, (r % 2) ? rels : NULL, 1);
  }
  side_close(&sd);
}

int
main(int argc, char **argv)
{
  char big[1100];
  int steps = -1, i = 1;
  double plain = 0, with_big = 0;

  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--quick"))
      quick = 1;
    else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
      steps = atoi(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_snapshot [--quick] [--steps N] [DIR]\n");
      return 2;
    }
  }
  const char *parent = i < argc ? argv[i] : getenv("TMPDIR");
  xsnprintf(base, sizeof base, "%s/bench_snapshot.XXXXXX",
            parent && *parent ? parent : "/tmp");
  if (!mkdtemp(base)) {
    perror("mkdtemp");
    return 1;
  }
  if (steps >= 0) {
    steps_only(steps);
    rm_rf(base);
    return 0;
  }
  py_start();
  int R = quick ? 8 : 40, RS = quick ? 4 : 12;
  printf("one step = snapshot + trace line + flush; ratios: medians of "
         "per-round (other / ours)\n%-34s %-8s %7s %7s %9s %10s\n",
         "workspace", "step", "ms med", "ms p90", "git CLI", "copytree");
  row("1,000 files, 1 changed", 1000, 1, 1, NULL, R, &plain);
  row("10,000 files, 1 changed", 10000, 1, 1, NULL, RS, NULL);
  row("1,000 files, 100 changed", 1000, 100, 0, NULL, R / 2, NULL);
  xsnprintf(big, sizeof big, "%s/weights.bin", base);
  make_big(big);
  row("1,000 files + 200 MB untouched", 1000, 1, 1, big, RS, &with_big);
  unlink(big);
  printf("%-34s %-8s %7.2f   (200 MB file / without it, execute)\n", "",
         "ratio", with_big / plain);
  first_commit_row(1000, quick ? 2 : 5);
#ifdef SNAP_COMMIT_NOSYNC
  flush_options(R);
#endif
  fclose(py_in);
  fclose(py_out);
  wait(NULL);
  rm_rf(base);
  return 0;
}
