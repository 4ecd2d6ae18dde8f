/* bench_exec.c - what confinement costs per script, against a plain run.
 *
 * Usage: bench_exec [DIR]   (DIR defaults to $TMPDIR or /tmp).  Prints
 * figures only.
 *
 * 1. ROUNDS runs of /bin/true and of `python3 -c pass`, plain and confined
 *    (exec_run with sandbox: the uid drop and staging under root, the pids
 *    cgroup, bwrap), in a workspace of 1,000 small files (the root host
 *    hands them to the sandbox uid before each run; only the first finds
 *    any to change).  Median and p90 per run, and the ratio.
 * 2. exec_disk_usage (the disk cap's measure) and exec_copy_plain (the
 *    evaluator's copy) of that workspace.
 */
#include "error.h"
#include "exec.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 30
#define NFILES 1000

static double
now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

/* Median and p90 (ms) of ROUNDS runs of argv in ws. */
static void
time_runs(const char *const *argv, const char *ws, int sandbox, double *med,
          double *p90)
{
  double t[ROUNDS];
  for (int i = 0; i < ROUNDS; i++) {
    struct exec_opts o = {0};
    struct exec_result r;
    o.argv = argv;
    o.cwd = ws;
    o.timeout_s = 30;
    o.sandbox = sandbox;
    o.max_procs = 64;
    double t0 = now_ms();
    if (exec_run(&r, &o) != 0 || r.status != 0) {
      fprintf(stderr, "bench_exec: run failed: %s %s\n", mlab_error_last(),
              r.output ? r.output : "");
      exit(1);
    }
    t[i] = now_ms() - t0;
    exec_result_free(&r);
  }
  qsort(t, ROUNDS, sizeof *t, cmp);
  *med = t[ROUNDS / 2];
  *p90 = t[ROUNDS * 9 / 10];
}

int
main(int argc, char **argv)
{
  const char *base = argc > 1 ? argv[1] : getenv("TMPDIR");
  char ws[512], path[600];
  snprintf(ws, sizeof ws, "%s/bench-exec-XXXXXX", base ? base : "/tmp");
  if (!mkdtemp(ws)) {
    perror("mkdtemp");
    return 1;
  }
  for (int i = 0; i < NFILES; i++) {
    if (i % 50 == 0) {
      snprintf(path, sizeof path, "%s/d%02d", ws, i / 50);
      mkdir(path, 0755);
    }
    snprintf(path, sizeof path, "%s/d%02d/f%04d.txt", ws, i / 50, i);
    FILE *f = fopen(path, "w");
    for (int k = 0; f && k < 100; k++)
      fputs("0123456789abcdefghijklmnopqrstu\n", f);
    if (f)
      fclose(f);
  }
  const struct exec_confinement *c = exec_confinement();
  printf("confinement: ok %d, uid %d, drops root %d, pids %s%s%s\n", c->ok,
         c->uid, c->drops_root, c->pids ? c->pids : "-",
         c->ok ? "" : ", reason: ", c->ok ? "" : c->reason);

  const char *t_argv[] = {"/bin/true", NULL};
  const char *p_argv[] = {"/usr/bin/python3", "-c", "pass", NULL};
  const char *const *progs[] = {t_argv, p_argv};
  const char *names[] = {"/bin/true", "python3 -c pass"};
  printf("\n%-18s %14s %14s %8s\n", "per run, ms", "plain med/p90",
         "confined med/p90", "ratio");
  for (int k = 0; k < 2; k++) {
    double pm, pp, cm = 0, cp = 0;
    time_runs(progs[k], ws, 0, &pm, &pp);
    if (c->ok)
      time_runs(progs[k], ws, 1, &cm, &cp);
    printf("%-18s %6.1f / %5.1f %7.1f / %6.1f %7.2fx\n", names[k], pm, pp, cm,
           cp, c->ok ? cm / pm : 0.0);
  }

  uint64_t bytes = 0, files = 0, skipped = 0;
  double t0 = now_ms();
  exec_disk_usage(ws, &bytes, NULL, &files, 0);
  double du = now_ms() - t0;
  snprintf(path, sizeof path, "%s-copy", ws);
  t0 = now_ms();
  exec_copy_plain(ws, path, 50u << 20, &skipped);
  double cp = now_ms() - t0;
  printf("\n%llu entries, %llu KB: exec_disk_usage %.1f ms, exec_copy_plain "
         "%.1f ms\n",
         (unsigned long long)files, (unsigned long long)(bytes >> 10), du, cp);
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  nftw(ws, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return 0;
}
