/* check_snapshot_tree.c - a snapshot records what `git add -A` records.
 *
 * A randomised sequence of changes to one workspace (new, deleted, renamed,
 * exec bit flipped, symlinked, emptied, same-size rewrites right after a
 * snapshot, nested and deleted directories, files turned into directories
 * and back, fifos, files above the size limit, frozen files).  After each
 * step three histories record it: ours walking the work tree, ours told
 * the paths the step touched, and the git CLI (`git add -A`, then the
 * frozen and size rules of snapshot.h applied with update-index), and the
 * three tree ids must be equal. */
#include "error.h"
#include "snapshot.h"

#include <check.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BYTES 600 /* the size limit of the histories under test */
#define MAX_TOUCHED 64

static const char *const FROZEN[] = {"frozen", "*.dat", NULL};

static char root[64], ws[128], gd_walk[128], gd_paths[128], gd_cli[128];
static char cli_env[1024];
static struct snap *W, *P;

static const char *touched[MAX_TOUCHED];
static char touched_buf[MAX_TOUCHED][256];
static int ntouched;

static unsigned long long rng;

static unsigned
rnd(unsigned n)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (unsigned)(rng % n);
}

static void
touch_path(const char *rel)
{
  if (ntouched < MAX_TOUCHED) {
    snprintf(touched_buf[ntouched], sizeof touched_buf[0], "%s", rel);
    touched[ntouched] = touched_buf[ntouched];
    ntouched++;
  }
}

static char *
absp(const char *rel)
{
  static char p[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(p[k], sizeof p[k], "%s/%s", ws, rel);
  return p[k];
}

static char *
run(const char *cmd)
{
  FILE *f = popen(cmd, "r");
  ck_assert_ptr_nonnull(f);
  char *buf = calloc(1, 1 << 20);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  buf[n] = '\0';
  int st = pclose(f);
  ck_assert_msg(st == 0, "failed (%d): %s", st, cmd);
  return buf;
}

static void
sh(const char *fmt, const char *a, const char *b)
{
  char cmd[2048];
  snprintf(cmd, sizeof cmd, fmt, a, b);
  ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
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
  nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
mkparents(const char *rel)
{
  char p[512];
  snprintf(p, sizeof p, "%s", absp(rel));
  for (char *q = p + strlen(ws) + 1; *q; q++) {
    if (*q != '/')
      continue;
    *q = '\0';
    struct stat st;
    if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode)) {
      unlink(p); /* a file in the way becomes a directory */
      touch_path(p + strlen(ws) + 1);
    }
    mkdir(p, 0755);
    *q = '/';
  }
}

static void
write_bytes(const char *rel, size_t n, char fill)
{
  struct stat st;
  mkparents(rel);
  if (lstat(absp(rel), &st) == 0 && S_ISDIR(st.st_mode))
    rm_rf(absp(rel)); /* a directory becomes a file */
  else if (lstat(absp(rel), &st) == 0 && !S_ISREG(st.st_mode))
    unlink(absp(rel));
  FILE *f = fopen(absp(rel), "w");
  ck_assert_msg(f != NULL, "write %s", rel);
  for (size_t i = 0; i < n; i++)
    fputc(i % 61 == 60 ? '\n' : fill + (char)(i % 7), f);
  fclose(f);
  touch_path(rel);
}

/* A path from a small pool, so changes collide: same names at several
 * depths, frozen ones among them. */
static void
pick(char *out, size_t n)
{
  static const char *const dirs[] = {"",   "a/",      "a/b/", "a/b/c/",
                                     "d/", "frozen/", "e/",   "a/b.d/"};
  static const char *const names[] = {"x.txt", "y.py", "z",     "w.dat",
                                      "b",     "b.d",  "v.txt", "run.sh"};
  snprintf(out, n, "%s%s", dirs[rnd(8)], names[rnd(8)]);
}

/* Some existing entry of the work tree (file, link, fifo or directory). */
static int
pick_existing(char *out, size_t n)
{
  char cmd[600], *list;
  snprintf(cmd, sizeof cmd, "cd '%s' && find . -mindepth 1 | sort", ws);
  list = run(cmd);
  int count = 0;
  for (char *p = list; *p; p++)
    count += *p == '\n';
  if (!count) {
    free(list);
    return 0;
  }
  int want = (int)rnd((unsigned)count);
  char *line = strtok(list, "\n");
  for (int i = 0; i < want; i++)
    line = strtok(NULL, "\n");
  snprintf(out, n, "%s", line + 2);
  free(list);
  return 1;
}

static void
random_change(void)
{
  char a[256], b[256];
  struct stat st;
  switch (rnd(12)) {
  case 0: /* new or rewritten file */
  case 1:
    pick(a, sizeof a);
    write_bytes(a, 1 + rnd(200), 'a' + (char)rnd(20));
    break;
  case 2: /* deleted (a directory with all below it) */
    if (pick_existing(a, sizeof a)) {
      rm_rf(absp(a));
      touch_path(a);
    }
    break;
  case 3: /* renamed */
    if (pick_existing(a, sizeof a)) {
      pick(b, sizeof b);
      if (strncmp(a, b, strlen(a)) == 0 || strncmp(a, b, strlen(b)) == 0)
        break;
      mkparents(b);
      if (lstat(absp(b), &st) == 0)
        rm_rf(absp(b));
      if (rename(absp(a), absp(b)) == 0) {
        touch_path(a);
        touch_path(b);
      }
    }
    break;
  case 4: /* exec bit flipped */
    if (pick_existing(a, sizeof a) && lstat(absp(a), &st) == 0 &&
        S_ISREG(st.st_mode)) {
      chmod(absp(a), st.st_mode ^ 0111);
      touch_path(a);
    }
    break;
  case 5: /* symbolic link, dangling or not */
    pick(a, sizeof a);
    mkparents(a);
    if (lstat(absp(a), &st) == 0)
      rm_rf(absp(a));
    ck_assert_int_eq(symlink(rnd(2) ? "x.txt" : "../nowhere/else", absp(a)), 0);
    touch_path(a);
    break;
  case 6: /* emptied */
    if (pick_existing(a, sizeof a) && lstat(absp(a), &st) == 0 &&
        S_ISREG(st.st_mode)) {
      ck_assert_int_eq(truncate(absp(a), 0), 0);
      touch_path(a);
    }
    break;
  case 7: /* above the size limit, or back below it */
    pick(a, sizeof a);
    write_bytes(a, rnd(2) ? MAX_BYTES + 1 + rnd(100) : MAX_BYTES, 'A');
    break;
  case 8: /* a deep new directory */
    snprintf(a, sizeof a, "n%u/m/o/p.txt", rnd(3));
    write_bytes(a, 10 + rnd(20), 'k');
    break;
  case 9: /* a fifo: not recorded */
    pick(a, sizeof a);
    mkparents(a);
    if (lstat(absp(a), &st) == 0)
      rm_rf(absp(a));
    ck_assert_int_eq(mkfifo(absp(a), 0644), 0);
    touch_path(a);
    break;
  case 10: /* touched, content unchanged */
    if (pick_existing(a, sizeof a)) {
      utimensat(AT_FDCWD, absp(a), NULL, AT_SYMLINK_NOFOLLOW);
      touch_path(a);
    }
    break;
  default: /* same size, new content */
    if (pick_existing(a, sizeof a) && lstat(absp(a), &st) == 0 &&
        S_ISREG(st.st_mode) && st.st_size > 0)
      write_bytes(a, (size_t)st.st_size, 'a' + (char)rnd(20));
    break;
  }
}

static int
frozen(const char *path)
{
  for (const char *const *p = FROZEN; *p; p++)
    if (fnmatch(*p, path, FNM_LEADING_DIR) == 0)
      return 1;
  return 0;
}

/* The tree `git add -A` makes, with snapshot.h's rules on top: a frozen
 * path recorded before keeps its entry (even when deleted); a regular file
 * above the limit keeps its earlier entry, or has none. */
static void
expected_tree(const char *prev, char out[SNAP_OID_HEX])
{
  char cmd[4096], *ls, *big;
  /* git records no fifo either, but refuses to drop a tracked file that
   * became one ("can only add regular files..."): drop it first. */
  snprintf(cmd, sizeof cmd,
           "%s find . -type p | sed 's#^\\./##' | "
           "xargs -r git rm -q -f --cached --ignore-unmatch --",
           cli_env);
  free(run(cmd));
  snprintf(cmd, sizeof cmd, "%s git add -A", cli_env);
  free(run(cmd));
  if (prev[0]) {
    snprintf(cmd, sizeof cmd, "%s git ls-tree -r --full-tree %s", cli_env,
             prev);
    ls = run(cmd);
    for (char *line = strtok(ls, "\n"); line; line = strtok(NULL, "\n")) {
      char mode[16], type[16], oid[48], path[400];
      ck_assert_int_eq(
          sscanf(line, "%15s %15s %47s %399[^\n]", mode, type, oid, path), 4);
      if (!frozen(path))
        continue;
      snprintf(cmd, sizeof cmd,
               "%s git update-index --add --replace --cacheinfo %s,%s,'%s'",
               cli_env, mode, oid, path);
      free(run(cmd));
    }
    free(ls);
  }
  snprintf(cmd, sizeof cmd,
           "cd '%s' && find . -type f -size +%dc | sed 's#^\\./##'", ws,
           MAX_BYTES);
  big = run(cmd);
  for (char *path = strtok(big, "\n"); path; path = strtok(NULL, "\n")) {
    if (frozen(path) && prev[0]) {
      snprintf(cmd, sizeof cmd, "%s git ls-tree --full-tree %s -- '%s'",
               cli_env, prev, path);
      char *had = run(cmd);
      int recorded = had[0] != '\0';
      free(had);
      if (recorded)
        continue; /* held above */
    }
    snprintf(
        cmd, sizeof cmd,
        "%s git ls-tree --full-tree %s -- '%s' | awk '{print $1 \",\" $3}'",
        cli_env, prev[0] ? prev : "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        path);
    char *had = run(cmd);
    char *nl = strchr(had, '\n');
    if (nl)
      *nl = '\0';
    if (had[0] && strncmp(had, "040000", 6) == 0)
      had[0] = '\0'; /* a directory before: nothing to keep */
    if (had[0])
      snprintf(cmd, sizeof cmd,
               "%s git update-index --add --replace --cacheinfo %s,'%s'",
               cli_env, had, path);
    else
      snprintf(cmd, sizeof cmd,
               "%s git rm -q -f --cached --ignore-unmatch -- '%s'", cli_env,
               path);
    free(had);
    free(run(cmd));
  }
  free(big);
  snprintf(cmd, sizeof cmd, "%s git write-tree", cli_env);
  char *t = run(cmd);
  ck_assert_uint_ge(strlen(t), 40);
  memcpy(out, t, 40);
  out[40] = '\0';
  free(t);
}

static void
setup(void)
{
  strcpy(root, "/tmp/check_snaptree.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(root));
  snprintf(ws, sizeof ws, "%s/ws", root);
  snprintf(gd_walk, sizeof gd_walk, "%s/walk.git", root);
  snprintf(gd_paths, sizeof gd_paths, "%s/paths.git", root);
  snprintf(gd_cli, sizeof gd_cli, "%s/cli.git", root);
  ck_assert_int_eq(mkdir(ws, 0755), 0);
  snprintf(cli_env, sizeof cli_env,
           "cd '%s' && export HOME='%s' GIT_CONFIG_NOSYSTEM=1 GIT_DIR='%s' "
           "GIT_WORK_TREE='%s' GIT_INDEX_FILE='%s/cli.index' "
           "GIT_CONFIG_COUNT=3 GIT_CONFIG_KEY_0=core.filemode "
           "GIT_CONFIG_VALUE_0=true GIT_CONFIG_KEY_1=core.symlinks "
           "GIT_CONFIG_VALUE_1=true GIT_CONFIG_KEY_2=core.autocrlf "
           "GIT_CONFIG_VALUE_2=false;",
           ws, root, gd_cli, ws, root);
  sh("git init -q --bare '%s'%s", gd_cli, "");
  ck_assert_int_eq(snap_open(&W, gd_walk, ws), 0);
  ck_assert_int_eq(snap_open(&P, gd_paths, ws), 0);
  ck_assert_int_eq(snap_set_frozen(W, MAX_BYTES, FROZEN), 0);
  ck_assert_int_eq(snap_set_frozen(P, MAX_BYTES, FROZEN), 0);
}

static void
teardown(void)
{
  snap_free(W);
  snap_free(P);
  W = P = NULL;
  rm_rf(root);
}

static void
commit_both(int step)
{
  char tag[32];
  struct snap_commit_opts o = {touched, (size_t)ntouched, SNAP_COMMIT_NOSYNC};
  snprintf(tag, sizeof tag, "step-%d", step);
  int err = snap_commit_ex(W, tag, tag, NULL, NULL);
  ck_assert_msg(err == 0, "walk commit %d: %s", step, mlab_error_last());
  err = snap_commit_ex(P, tag, tag, step ? &o : NULL, NULL);
  ck_assert_msg(err == 0, "paths commit %d: %s", step, mlab_error_last());
  ntouched = 0;
}

static void
ck_same_trees(int step, char prev[SNAP_OID_HEX])
{
  char tw[SNAP_OID_HEX], tp[SNAP_OID_HEX], want[SNAP_OID_HEX];
  ck_assert_int_eq(snap_tree(W, "HEAD", tw), 0);
  ck_assert_int_eq(snap_tree(P, "HEAD", tp), 0);
  expected_tree(prev, want);
  ck_assert_msg(!strcmp(tw, want),
                "step %d: walk tree %s, git says %s (seed "
                "%llu)",
                step, tw, want, rng);
  ck_assert_msg(!strcmp(tp, want), "step %d: paths tree %s, git says %s", step,
                tp, want);
  strcpy(prev, want);
}

static void
random_run(unsigned long long seed, int steps)
{
  char prev[SNAP_OID_HEX] = "", a[256];
  struct stat st;
  rng = seed;
  write_bytes("train.py", 50, 'p');
  write_bytes("frozen/data.csv", 80, 'd');
  write_bytes("big.bin", MAX_BYTES + 10, 'B');
  commit_both(0);
  ck_same_trees(0, prev);
  for (int step = 1; step <= steps; step++) {
    int n = 1 + (int)rnd(4);
    for (int i = 0; i < n; i++)
      random_change();
    commit_both(step);
    ck_same_trees(step, prev);
    /* Right after a snapshot, in the same clock tick: same size, other
     * bytes.  The next snapshot must see it. */
    if (rnd(3) == 0 && pick_existing(a, sizeof a) && lstat(absp(a), &st) == 0 &&
        S_ISREG(st.st_mode) && st.st_size > 0)
      write_bytes(a, (size_t)st.st_size, 'A' + (char)rnd(20));
  }
}

START_TEST(test_snap_tree_matches_git_add_all)
{
  random_run(0x9e3779b97f4a7c15ull + (unsigned long long)_i, 40);
}
END_TEST

/* A fresh handle (a resumed run) has no stat data: it hashes everything
 * once and must come to the same tree, then go on as before. */
START_TEST(test_snap_tree_reopened_handle_agrees)
{
  char prev[SNAP_OID_HEX] = "";
  random_run(77, 10);
  snap_free(W);
  snap_free(P);
  ck_assert_int_eq(snap_open(&W, gd_walk, ws), 0);
  ck_assert_int_eq(snap_open(&P, gd_paths, ws), 0);
  ck_assert_int_eq(snap_set_frozen(W, MAX_BYTES, FROZEN), 0);
  ck_assert_int_eq(snap_set_frozen(P, MAX_BYTES, FROZEN), 0);
  ck_assert_int_eq(snap_tree(W, "HEAD", prev), 0);
  for (int step = 11; step <= 20; step++) {
    for (int i = 0; i < 3; i++)
      random_change();
    commit_both(step);
    ck_same_trees(step, prev);
  }
}
END_TEST

/* Many files at once go into one pack that git reads and checks. */
START_TEST(test_snap_tree_first_commit_is_one_pack)
{
  char p[64], prev[SNAP_OID_HEX] = "", cmd[600];
  for (int i = 0; i < 300; i++) {
    snprintf(p, sizeof p, "d%d/f%d.txt", i % 7, i);
    write_bytes(p, 20 + (size_t)i, 'a' + (char)(i % 20));
  }
  commit_both(0);
  ck_same_trees(0, prev);
  snprintf(cmd, sizeof cmd,
           "ls '%s'/objects/pack/*.idx | wc -l | grep -qx 1 && "
           "git --git-dir='%s' fsck --full --strict 2>&1",
           gd_walk, gd_walk);
  free(run(cmd));
}
END_TEST

Suite *
snapshot_tree_suite(void)
{
  Suite *s = suite_create("snapshot_tree");
  TCase *tc = tcase_create("git_add_all");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 300);
  tcase_add_loop_test(tc, test_snap_tree_matches_git_add_all, 0, 3);
  tcase_add_test(tc, test_snap_tree_reopened_handle_agrees);
  tcase_add_test(tc, test_snap_tree_first_commit_is_one_pack);
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(snapshot_tree_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
