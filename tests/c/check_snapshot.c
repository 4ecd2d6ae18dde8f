/* check_snapshot.c - workspace history: commits, tags, diffs, frozen
 * files, checkout and restore, read back by the git CLI too. */
#include "error.h"
#include "luahost.h"
#include "snapshot.h"

#include <check.h>
#include <dirent.h>
#include <ftw.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int luaopen_mlab_snap(lua_State *L);

/* Each test runs in its own fork, so the fixture's paths can be globals. */
static char root[64];
static char ws[128];
static char gd[128];
static struct snap *S;

static void
put(const char *rel, const char *text)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s", ws, rel);
  /* Make the parent directory for paths such as data/a.csv. */
  char *slash = strrchr(p, '/');
  *slash = '\0';
  char cmd[600];
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", p);
  ck_assert_int_eq(system(cmd), 0);
  *slash = '/';
  FILE *f = fopen(p, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

/* The whole file as a malloc'd string, or NULL when it does not exist. */
static char *
slurp(const char *path)
{
  FILE *f = fopen(path, "r");
  if (!f)
    return NULL;
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static int
exists(const char *dir, const char *rel)
{
  char p[512];
  struct stat st;
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  return lstat(p, &st) == 0;
}

static void
ck_file(const char *dir, const char *rel, const char *want)
{
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  char *got = slurp(p);
  ck_assert_msg(got != NULL, "%s is missing", p);
  ck_assert_str_eq(got, want);
  free(got);
}

static char *
run(const char *cmd)
{
  FILE *f = popen(cmd, "r");
  ck_assert_ptr_nonnull(f);
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  buf[n] = '\0';
  ck_assert_int_eq(pclose(f), 0);
  return buf;
}

static void
commit(const char *tag)
{
  char hex[SNAP_OID_HEX];
  int err = snap_commit(S, tag, tag, hex);
  ck_assert_msg(err == 0, "commit %s: %s", tag, mlab_error_last());
  ck_assert_uint_eq(strlen(hex), 40);
}

static char *
changes(const char *rev)
{
  char *out = NULL;
  int err = snap_changes(S, rev, &out);
  ck_assert_msg(err == 0, "changes %s: %s", rev, mlab_error_last());
  return out;
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
setup(void)
{
  strcpy(root, "/tmp/check_snapshot.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(root));
  snprintf(ws, sizeof ws, "%s/ws", root);
  snprintf(gd, sizeof gd, "%s/state/run.git", root);
  ck_assert_int_eq(mkdir(ws, 0755), 0);
  setenv("SNAP_WS", ws, 1);
  put("train.py", "print('hello')\nepochs = 1\n");
  put("data/a.csv", "x,y\n1,2\n");
  int err = snap_open(&S, gd, ws);
  ck_assert_msg(err == 0, "open: %s", mlab_error_last());
}

static void
teardown(void)
{
  snap_free(S);
  S = NULL;
  nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

START_TEST(test_snap_first_commit_holds_starter_files)
{
  commit("step-1");
  char *c = changes("step-1");
  ck_assert_str_eq(c, "A data/a.csv\nA train.py\n");
  free(c);
}
END_TEST

START_TEST(test_snap_commits_every_call_even_unchanged)
{
  char h1[SNAP_OID_HEX], h2[SNAP_OID_HEX], head[SNAP_OID_HEX];
  ck_assert_int_eq(snap_commit(S, "step-1", "one", h1), 0);
  ck_assert_int_eq(snap_commit(S, "step-2", "two", h2), 0);
  ck_assert_str_ne(h1, h2);
  ck_assert_int_eq(snap_resolve(S, "HEAD", head), 0);
  ck_assert_str_eq(head, h2);
  char *c = changes("step-2");
  ck_assert_str_eq(c, "");
  free(c);
}
END_TEST

START_TEST(test_snap_tag_resolves)
{
  char h[SNAP_OID_HEX], got[SNAP_OID_HEX], shortid[8];
  commit("step-1");
  ck_assert_int_eq(snap_commit(S, "step-2", "two", h), 0);
  ck_assert_int_eq(snap_resolve(S, "step-2", got), 0);
  ck_assert_str_eq(got, h);
  memcpy(shortid, h, 7);
  shortid[7] = '\0';
  ck_assert_int_eq(snap_resolve(S, shortid, got), 0);
  ck_assert_str_eq(got, h);
  /* Re-tagging replaces the old tag. */
  ck_assert_int_eq(snap_commit(S, "step-2", "again", h), 0);
  ck_assert_int_eq(snap_resolve(S, "step-2", got), 0);
  ck_assert_str_eq(got, h);
}
END_TEST

START_TEST(test_snap_resolve_unknown_tag_is_not_found)
{
  char h[SNAP_OID_HEX];
  ck_assert_int_eq(snap_resolve(S, "HEAD", h), MLAB_ENOTFOUND);
  commit("step-1");
  ck_assert_int_eq(snap_resolve(S, "step-9", h), MLAB_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "step-9"));
}
END_TEST

START_TEST(test_snap_diff_shows_lines_and_filters_path)
{
  char *d = NULL;
  commit("step-1");
  put("train.py", "print('hello')\nepochs = 5\n");
  put("notes.txt", "tried 5 epochs\n");
  commit("step-2");

  ck_assert_int_eq(snap_diff(S, NULL, "step-2", NULL, &d), 0);
  ck_assert_ptr_nonnull(strstr(d, "diff --git a/train.py b/train.py"));
  ck_assert_ptr_nonnull(strstr(d, "\n-epochs = 1\n"));
  ck_assert_ptr_nonnull(strstr(d, "\n+epochs = 5\n"));
  ck_assert_ptr_nonnull(strstr(d, "\n print('hello')\n"));
  ck_assert_ptr_nonnull(strstr(d, "+tried 5 epochs"));
  free(d);

  ck_assert_int_eq(snap_diff(S, "step-1", "step-2", "notes.txt", &d), 0);
  ck_assert_ptr_nonnull(strstr(d, "+tried 5 epochs"));
  ck_assert_ptr_null(strstr(d, "train.py"));
  free(d);

  /* The reverse direction swaps the signs; a root commit diffs against
   * the empty tree. */
  ck_assert_int_eq(snap_diff(S, "step-2", "step-1", "train.py", &d), 0);
  ck_assert_ptr_nonnull(strstr(d, "\n+epochs = 1\n"));
  free(d);
  ck_assert_int_eq(snap_diff(S, NULL, "step-1", "train.py", &d), 0);
  ck_assert_ptr_nonnull(strstr(d, "new file mode"));
  free(d);
}
END_TEST

START_TEST(test_snap_records_deletion)
{
  char p[256];
  commit("step-1");
  snprintf(p, sizeof p, "%s/data/a.csv", ws);
  ck_assert_int_eq(unlink(p), 0);
  put("data/b.csv", "new\n");
  commit("step-2");
  char *c = changes("step-2");
  ck_assert_str_eq(c, "D data/a.csv\nA data/b.csv\n");
  free(c);
}
END_TEST

START_TEST(test_snap_changes_reports_modify_and_rename)
{
  char from[256], to[256];
  put("big.txt", "a fairly long line so rename detection has content\n"
                 "and a second line of it\n");
  commit("step-1");
  put("train.py", "print('bye')\n");
  snprintf(from, sizeof from, "%s/big.txt", ws);
  snprintf(to, sizeof to, "%s/moved.txt", ws);
  ck_assert_int_eq(rename(from, to), 0);
  commit("step-2");
  char *c = changes("step-2");
  ck_assert_str_eq(c, "R big.txt -> moved.txt\nM train.py\n");
  free(c);
}
END_TEST

START_TEST(test_snap_writes_nothing_in_workspace)
{
  char out[256];
  commit("step-1");
  put("x.txt", "x\n");
  commit("step-2");
  ck_assert_int_eq(snap_restore(S, "step-1"), 0);
  snprintf(out, sizeof out, "%s/co", root);
  ck_assert_int_eq(snap_checkout(S, "step-2", out), 0);

  /* The workspace holds the agent's files and nothing else. */
  DIR *d = opendir(ws);
  struct dirent *e;
  int n = 0;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    ck_assert_msg(!strcmp(e->d_name, "train.py") || !strcmp(e->d_name, "data"),
                  "unexpected %s in workspace", e->d_name);
    n++;
  }
  closedir(d);
  ck_assert_int_eq(n, 2);
  ck_assert(!exists(out, ".git"));
  ck_assert(exists(gd, "HEAD"));
}
END_TEST

START_TEST(test_snap_git_cli_reads_history)
{
  char cmd[512];
  ck_assert_int_eq(snap_commit(S, "step-1", "first step", NULL), 0);
  put("train.py", "print('hello')\nepochs = 7\n");
  ck_assert_int_eq(snap_commit(S, "step-2", "more epochs", NULL), 0);

  snprintf(cmd, sizeof cmd, "git --git-dir '%s' log --oneline", gd);
  char *log = run(cmd);
  ck_assert_ptr_nonnull(strstr(log, "first step"));
  ck_assert_ptr_nonnull(strstr(log, "more epochs"));
  free(log);

  snprintf(cmd, sizeof cmd, "git --git-dir '%s' diff step-1 step-2", gd);
  char *diff = run(cmd);
  ck_assert_ptr_nonnull(strstr(diff, "-epochs = 1"));
  ck_assert_ptr_nonnull(strstr(diff, "+epochs = 7"));
  free(diff);

  snprintf(cmd, sizeof cmd, "git --git-dir '%s' log -1 --format=%%an%%ae", gd);
  char *who = run(cmd);
  ck_assert_str_eq(who, "mlabmlab@localhost\n");
  free(who);
}
END_TEST

START_TEST(test_snap_frozen_keeps_first_content)
{
  const char *pats[] = {"*.csv", NULL};
  char out1[256], out2[256];
  char big[200];
  memset(big, 'b', sizeof big - 1);
  big[sizeof big - 1] = '\0';

  ck_assert_int_eq(snap_set_frozen(S, 100, pats), 0);
  put("weights.bin", big);
  commit("step-1");
  put("data/a.csv", "x,y\n9,9\n");
  put("train.py", "print('changed')\n");
  big[0] = 'B'; /* the big file changes, still above the limit */
  put("weights.bin", big);
  commit("step-2");
  /* A deleted frozen file stays as it first was, too. */
  char p[256];
  snprintf(p, sizeof p, "%s/data/a.csv", ws);
  unlink(p);
  commit("step-3");

  snprintf(out1, sizeof out1, "%s/co1", root);
  snprintf(out2, sizeof out2, "%s/co3", root);
  ck_assert_int_eq(snap_checkout(S, "step-1", out1), 0);
  ck_assert_int_eq(snap_checkout(S, "step-3", out2), 0);
  ck_file(out1, "data/a.csv", "x,y\n1,2\n");
  ck_file(out2, "data/a.csv", "x,y\n1,2\n");
  ck_file(out2, "train.py", "print('changed')\n");
  ck_assert(!exists(out1, "weights.bin"));
  ck_assert(!exists(out2, "weights.bin"));
  char *c = changes("step-2");
  ck_assert_str_eq(c, "M train.py\n");
  free(c);
}
END_TEST

/* A frozen-pattern file that first appears after the first commit (the
 * agent's submission.csv) is recorded once, then held as it was. */
START_TEST(test_snap_frozen_new_file_recorded_once)
{
  const char *pats[] = {"*.csv", NULL};
  char out[256];
  ck_assert_int_eq(snap_set_frozen(S, 0, pats), 0);
  commit("step-1");
  put("submission.csv", "id,label\n1,7\n");
  commit("step-2");
  put("submission.csv", "id,label\n1,3\n");
  commit("step-3");
  char *c = changes("step-2");
  ck_assert_str_eq(c, "A submission.csv\n");
  free(c);
  snprintf(out, sizeof out, "%s/co", root);
  ck_assert_int_eq(snap_checkout(S, "step-3", out), 0);
  ck_file(out, "submission.csv", "id,label\n1,7\n");
}
END_TEST

/* Same workspace, same tree id, whatever the commit; a change moves it. */
START_TEST(test_snap_tree_ids_follow_content)
{
  char t1[SNAP_OID_HEX], t2[SNAP_OID_HEX], t3[SNAP_OID_HEX];
  char c1[SNAP_OID_HEX], c2[SNAP_OID_HEX];
  commit("step-1");
  commit("step-2");
  put("train.py", "other\n");
  commit("step-3");
  ck_assert_int_eq(snap_tree(S, "step-1", t1), 0);
  ck_assert_int_eq(snap_tree(S, "step-2", t2), 0);
  ck_assert_int_eq(snap_tree(S, "step-3", t3), 0);
  ck_assert_int_eq(snap_resolve(S, "step-1", c1), 0);
  ck_assert_int_eq(snap_resolve(S, "step-2", c2), 0);
  ck_assert_str_eq(t1, t2);
  ck_assert_str_ne(c1, c2);
  ck_assert_str_ne(t2, t3);
  ck_assert_int_eq(snap_tree(S, "step-9", t1), MLAB_ENOTFOUND);
}
END_TEST

START_TEST(test_snap_checkout_reproduces_step)
{
  char out[256];
  commit("step-1");
  put("train.py", "changed\n");
  put("extra/new.txt", "new\n");
  commit("step-2");

  snprintf(out, sizeof out, "%s/out/deeper", root);
  int err = snap_checkout(S, "step-1", out);
  ck_assert_msg(err == 0, "checkout: %s", mlab_error_last());
  ck_file(out, "train.py", "print('hello')\nepochs = 1\n");
  ck_file(out, "data/a.csv", "x,y\n1,2\n");
  ck_assert(!exists(out, "extra"));
  ck_assert(!exists(out, ".git"));
  /* The workspace and HEAD are untouched. */
  ck_file(ws, "train.py", "changed\n");
  char head[SNAP_OID_HEX], two[SNAP_OID_HEX];
  ck_assert_int_eq(snap_resolve(S, "HEAD", head), 0);
  ck_assert_int_eq(snap_resolve(S, "step-2", two), 0);
  ck_assert_str_eq(head, two);
  /* A later commit still sees nothing changed (the index was kept). */
  commit("step-3");
  char *c = changes("step-3");
  ck_assert_str_eq(c, "");
  free(c);

  ck_assert_int_eq(snap_checkout(S, "step-2", out), MLAB_EEXISTS);
}
END_TEST

START_TEST(test_snap_checkout_without_workspace)
{
  char out[256];
  commit("step-1");
  snap_free(S);
  ck_assert_int_eq(snap_open(&S, gd, NULL), 0);
  snprintf(out, sizeof out, "%s/ro", root);
  ck_assert_int_eq(snap_checkout(S, "step-1", out), 0);
  ck_file(out, "train.py", "print('hello')\nepochs = 1\n");
  ck_assert_int_eq(snap_commit(S, "step-2", "x", NULL), MLAB_EINVAL);
}
END_TEST

START_TEST(test_snap_restore_brings_back_and_removes)
{
  char p[256], head[SNAP_OID_HEX], one[SNAP_OID_HEX];
  commit("step-1");
  snprintf(p, sizeof p, "%s/data/a.csv", ws);
  ck_assert_int_eq(unlink(p), 0);
  put("later.txt", "later\n");
  put("train.py", "edited\n");
  commit("step-2");
  put("uncommitted.txt", "u\n");
  put(".gitignore", "*.log\n");
  put("run.log", "log\n");

  ck_assert_int_eq(snap_restore(S, "step-1"), 0);
  ck_file(ws, "data/a.csv", "x,y\n1,2\n");
  ck_file(ws, "train.py", "print('hello')\nepochs = 1\n");
  ck_assert(!exists(ws, "later.txt"));
  ck_assert(!exists(ws, "uncommitted.txt"));
  ck_assert(!exists(ws, "run.log"));
  ck_assert(!exists(ws, ".gitignore"));
  ck_assert_int_eq(snap_resolve(S, "HEAD", head), 0);
  ck_assert_int_eq(snap_resolve(S, "step-1", one), 0);
  ck_assert_str_eq(head, one);
  ck_assert_int_eq(snap_resolve(S, "step-2", head), 0);

  /* History continues from step-1 with a clean index. */
  commit("step-2b");
  char *c = changes("step-2b");
  ck_assert_str_eq(c, "");
  free(c);
}
END_TEST

START_TEST(test_snap_same_second_edit_is_captured)
{
  char out[256];
  struct timespec ts;
  /* Start early in a second so both commits and the edit share it. */
  do {
    clock_gettime(CLOCK_REALTIME, &ts);
  } while (ts.tv_nsec > 300000000L);
  put("r.txt", "aaaa\n");
  commit("step-1");
  put("r.txt", "bbbb\n"); /* same size, same second as the index */
  commit("step-2");
  put("r.txt", "cccc\n");
  commit("step-3");

  snprintf(out, sizeof out, "%s/co2", root);
  ck_assert_int_eq(snap_checkout(S, "step-2", out), 0);
  ck_file(out, "r.txt", "bbbb\n");
  snprintf(out, sizeof out, "%s/co3", root);
  ck_assert_int_eq(snap_checkout(S, "step-3", out), 0);
  ck_file(out, "r.txt", "cccc\n");
}
END_TEST

START_TEST(test_snap_reopen_continues_history)
{
  char one[SNAP_OID_HEX];
  commit("step-1");
  snap_free(S);
  ck_assert_int_eq(snap_open(&S, gd, ws), 0);
  put("train.py", "v2\n");
  commit("step-2");
  char *c = changes("step-2");
  ck_assert_str_eq(c, "M train.py\n");
  free(c);
  ck_assert_int_eq(snap_resolve(S, "step-2~1", one), 0);
}
END_TEST

START_TEST(test_snap_open_missing_workspace_is_not_found)
{
  struct snap *s = NULL;
  char missing[256];
  snprintf(missing, sizeof missing, "%s/nope", root);
  ck_assert_int_eq(snap_open(&s, gd, missing), MLAB_ENOTFOUND);
  ck_assert_ptr_null(s);
}
END_TEST

/* ---- commits told which paths changed ---- */

static void
commit_paths(const char *tag, const char *const *paths, size_t n)
{
  struct snap_commit_opts o = {paths, n, 0};
  int err = snap_commit_ex(S, tag, tag, &o, NULL);
  ck_assert_msg(err == 0, "commit %s: %s", tag, mlab_error_last());
}

static char *
ws_path(const char *rel)
{
  static char p[512];
  snprintf(p, sizeof p, "%s/%s", ws, rel);
  return p;
}

/* The host vouches for the paths: only they are looked at; the next walk
 * catches anything else. */
START_TEST(test_snap_known_paths_look_only_there)
{
  const char *one[] = {"train.py"};
  commit("step-1");
  put("train.py", "v2\n");
  put("notes.txt", "not named\n");
  commit_paths("step-2", one, 1);
  char *c = changes("step-2");
  ck_assert_str_eq(c, "M train.py\n");
  free(c);
  commit_paths("step-3", one, 0); /* a read: nothing changed */
  c = changes("step-3");
  ck_assert_str_eq(c, "");
  free(c);
  commit("step-4");
  c = changes("step-4");
  ck_assert_str_eq(c, "A notes.txt\n");
  free(c);
}
END_TEST

START_TEST(test_snap_known_path_deleted_directory_leaves_tree)
{
  const char *dir[] = {"./data/"};
  const char *nested[] = {"x/y/z.txt"};
  commit("step-1");
  ck_assert_int_eq(system("rm -rf -- \"$SNAP_WS/data\""), 0);
  commit_paths("step-2", dir, 1);
  char *c = changes("step-2");
  ck_assert_str_eq(c, "D data/a.csv\n");
  free(c);
  put("x/y/z.txt", "deep\n");
  commit_paths("step-3", nested, 1);
  c = changes("step-3");
  ck_assert_str_eq(c, "A x/y/z.txt\n");
  free(c);
  unlink(ws_path("x/y/z.txt"));
  commit_paths("step-4", nested, 1);
  char out[256];
  snprintf(out, sizeof out, "%s/co", root);
  ck_assert_int_eq(snap_checkout(S, "step-4", out), 0);
  ck_assert(!exists(out, "x")); /* no empty directories */
}
END_TEST

/* A write through a symbolic link or a hard link changes another path
 * than the one named: the commit walks instead. */
START_TEST(test_snap_known_path_through_links_walks)
{
  const char *via_link[] = {"lnk/a.csv"};
  const char *via_hard[] = {"hard.txt"};
  ck_assert_int_eq(symlink("data", ws_path("lnk")), 0);
  commit("step-1");
  put("data/a.csv", "x,y\n3,4\n");
  commit_paths("step-2", via_link, 1);
  char *c = changes("step-2");
  ck_assert_str_eq(c, "M data/a.csv\n");
  free(c);
  char hard[512];
  snprintf(hard, sizeof hard, "%s", ws_path("hard.txt"));
  ck_assert_int_eq(link(ws_path("train.py"), hard), 0);
  commit("step-3");
  FILE *f = fopen(ws_path("hard.txt"), "a");
  fputs("more\n", f);
  fclose(f);
  commit_paths("step-4", via_hard, 1);
  c = changes("step-4");
  ck_assert_str_eq(c, "M hard.txt\nM train.py\n");
  free(c);
}
END_TEST

/* ---- the flush, and what a power loss leaves ---- */

START_TEST(test_snap_commit_without_flush_then_sync)
{
  char id[SNAP_OID_HEX], trace[256];
  struct snap_commit_opts o = {NULL, 0, SNAP_COMMIT_NOSYNC};
  snprintf(trace, sizeof trace, "%s/trace.jsonl", root);
  ck_assert_int_eq(snap_commit_ex(S, "step-1", "one", &o, id), 0);
  FILE *f = fopen(trace, "a");
  fprintf(f, "{\"step\":1,\"commit\":\"%s\"}\n", id);
  fclose(f);
  const char *extra[] = {trace, NULL};
  ck_assert_int_eq(snap_sync(S, extra), 0);
  ck_assert_int_eq(snap_has(S, id), 1);
  snprintf(trace, sizeof trace, "%s/missing", root);
  ck_assert_int_eq(snap_sync(S, extra), MLAB_ERROR);
}
END_TEST

static void
truncate_object(const char *gitdir, const char *hex)
{
  char p[512];
  snprintf(p, sizeof p, "%s/objects/%.2s/%s", gitdir, hex, hex + 2);
  /* Objects are read-only, as git writes them: only root could truncate
   * one as it is (the suite also runs as an unprivileged user). */
  chmod(p, 0644);
  ck_assert_msg(truncate(p, 0) == 0, "no loose object %s", p);
}

/* A power loss before the flush may leave the step's files empty: repair
 * removes them, has() says the step is not whole, and the history goes on
 * from the step before as git reads it. */
START_TEST(test_snap_repair_drops_a_torn_step)
{
  char one[SNAP_OID_HEX], two[SNAP_OID_HEX], blob[SNAP_OID_HEX], p[512];
  int removed = -1;
  struct snap_commit_opts o = {NULL, 0, SNAP_COMMIT_NOSYNC};
  ck_assert_int_eq(snap_commit(S, "step-1", "one", one), 0);
  put("train.py", "torn\n");
  ck_assert_int_eq(snap_commit_ex(S, "step-2", "two", &o, two), 0);
  snap_free(S);
  S = NULL;
  snprintf(p, sizeof p, "cd '%s' && git hash-object train.py", ws);
  char *h = run(p);
  memcpy(blob, h, 40);
  blob[40] = '\0';
  free(h);
  truncate_object(gd, blob);
  snprintf(p, sizeof p, "%s/refs/tags/step-2", gd);
  ck_assert_int_eq(truncate(p, 0), 0);
  snprintf(p, sizeof p, "%s/refs/heads/master", gd);
  ck_assert_int_eq(truncate(p, 0), 0);

  ck_assert_int_eq(snap_open(&S, gd, ws), 0);
  ck_assert_int_eq(snap_repair(S, &removed), 0);
  ck_assert_int_eq(removed, 3);
  ck_assert_int_eq(snap_has(S, two), 0);
  ck_assert_int_eq(snap_has(S, one), 1);
  ck_assert_int_eq(snap_restore(S, one), 0);
  commit("step-2");
  snprintf(p, sizeof p,
           "git --git-dir='%s' fsck --strict 2>&1 && "
           "git --git-dir='%s' diff --stat step-1 step-2",
           gd, gd);
  free(run(p));
  ck_file(ws, "train.py", "print('hello')\nepochs = 1\n");
}
END_TEST

START_TEST(test_snap_repair_drops_a_torn_pack)
{
  char id[SNAP_OID_HEX], name[64], p[512];
  int removed = -1;
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "many/f%02d.txt", i);
    snprintf(p, sizeof p, "file %d\n", i);
    put(name, p);
  }
  ck_assert_int_eq(snap_commit(S, "step-0", "zero", id), 0);
  snap_free(S);
  S = NULL;
  snprintf(p, sizeof p,
           "for f in '%s'/objects/pack/*.pack; do chmod u+w \"$f\" && "
           "truncate -s 100 \"$f\"; done",
           gd);
  ck_assert_int_eq(system(p), 0);
  ck_assert_int_eq(snap_open(&S, gd, ws), 0);
  ck_assert_int_eq(snap_repair(S, &removed), 0);
  ck_assert_int_eq(removed, 2); /* the pack and its index */
  ck_assert_int_eq(snap_has(S, id), 0);
}
END_TEST

START_TEST(test_snap_has_wants_a_full_id)
{
  commit("step-1");
  ck_assert_int_eq(snap_has(S, "abc"), MLAB_EINVAL);
  ck_assert_int_eq(snap_has(S, "0123456789012345678901234567890123456789"), 0);
}
END_TEST

/* ---- what plain git sees ---- */

START_TEST(test_snap_git_status_clean_after_close)
{
  char cmd[512];
  commit("step-1");
  put("train.py", "v2\n");
  commit("step-2");
  snap_free(S);
  S = NULL;
  snprintf(cmd, sizeof cmd,
           "git --git-dir='%s' --work-tree='%s' status --porcelain", gd, ws);
  char *out = run(cmd);
  ck_assert_str_eq(out, "");
  free(out);
  ck_assert_int_eq(snap_open(&S, gd, ws), 0);
}
END_TEST

START_TEST(test_snap_no_reflogs)
{
  char p[512];
  struct stat st;
  commit("step-1");
  commit("step-2");
  snprintf(p, sizeof p, "%s/logs", gd);
  ck_assert_int_ne(stat(p, &st), 0);
}
END_TEST

/* A repository the agent made inside its workspace is recorded as plain
 * files (its .git left out), not as a gitlink that would hide them. */
START_TEST(test_snap_nested_repository_recorded_as_files)
{
  put("sub/.git/HEAD", "ref: refs/heads/master\n");
  put("sub/code.py", "x = 1\n");
  put("up/.GIT/x", "not recorded: a .git of any case\n");
  commit("step-1");
  char *c = changes("step-1");
  ck_assert_str_eq(c, "A data/a.csv\nA sub/code.py\nA train.py\n");
  free(c);
}
END_TEST

/* ---- the Lua binding ---- */

START_TEST(test_snap_lua_commit_sync_has)
{
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_requiref(L, "mlab.snap", luaopen_mlab_snap, 0);
  lua_setglobal(L, "snap");
  lua_pushstring(L, gd);
  lua_setglobal(L, "GD");
  lua_pushstring(L, ws);
  lua_setglobal(L, "WS");
  snap_free(S); /* the Lua side opens its own handle */
  S = NULL;
  const char *chunk =
      "local h = assert(snap.open(GD, WS))\n"
      "assert(h:frozen(1000, { '*.bin' }))\n"
      "local c0 = assert(h:commit('step-0', 'start'))\n"
      "local f = io.open(WS .. '/train.py', 'w') f:write('v2\\n') f:close()\n"
      "local c1 = assert(h:commit('step-1', 'w', { paths = { 'train.py' },"
      " sync = false }))\n"
      "assert(h:sync(GD .. '/HEAD'))\n"
      "assert(h:has(c1) == true and h:has(c0) == true)\n"
      "assert(h:has(('0'):rep(40)) == false)\n"
      "assert(h:changes('step-1') == 'M train.py\\n')\n"
      "local c2 = assert(h:commit('step-2', 'r', { paths = {} }))\n"
      "assert(h:changes(c2) == '')\n"
      "assert(h:repair() == 0)\n"
      "local ok, err = h:has('xyz')\n"
      "assert(ok == nil and err:find('not a commit id'))\n"
      "h = nil collectgarbage()\n";
  if (luaL_dostring(L, chunk) != LUA_OK)
    ck_abort_msg("lua: %s", lua_tostring(L, -1));
  lua_close(L);
  ck_assert_int_eq(snap_open(&S, gd, ws), 0);
}
END_TEST

static Suite *
snapshot_suite(void)
{
  Suite *s = suite_create("snapshot");
  TCase *commits = tcase_create("commits");
  TCase *reads = tcase_create("reads");
  TCase *frozen = tcase_create("frozen");
  TCase *trees = tcase_create("checkout");
  TCase *paths = tcase_create("known_paths");
  TCase *durable = tcase_create("durability");

  TCase *all[] = {commits, reads, frozen, trees, paths, durable};
  for (size_t i = 0; i < 6; i++) {
    tcase_add_checked_fixture(all[i], setup, teardown);
    tcase_set_timeout(all[i], 30);
    suite_add_tcase(s, all[i]);
  }
  tcase_add_test(commits, test_snap_first_commit_holds_starter_files);
  tcase_add_test(commits, test_snap_commits_every_call_even_unchanged);
  tcase_add_test(commits, test_snap_records_deletion);
  tcase_add_test(commits, test_snap_writes_nothing_in_workspace);
  tcase_add_test(commits, test_snap_same_second_edit_is_captured);
  tcase_add_test(commits, test_snap_reopen_continues_history);
  tcase_add_test(commits, test_snap_open_missing_workspace_is_not_found);
  tcase_add_test(reads, test_snap_tag_resolves);
  tcase_add_test(reads, test_snap_resolve_unknown_tag_is_not_found);
  tcase_add_test(reads, test_snap_diff_shows_lines_and_filters_path);
  tcase_add_test(reads, test_snap_changes_reports_modify_and_rename);
  tcase_add_test(reads, test_snap_git_cli_reads_history);
  tcase_add_test(frozen, test_snap_frozen_keeps_first_content);
  tcase_add_test(frozen, test_snap_frozen_new_file_recorded_once);
  tcase_add_test(frozen, test_snap_tree_ids_follow_content);
  tcase_add_test(trees, test_snap_checkout_reproduces_step);
  tcase_add_test(trees, test_snap_checkout_without_workspace);
  tcase_add_test(trees, test_snap_restore_brings_back_and_removes);
  tcase_add_test(paths, test_snap_known_paths_look_only_there);
  tcase_add_test(paths, test_snap_known_path_deleted_directory_leaves_tree);
  tcase_add_test(paths, test_snap_known_path_through_links_walks);
  tcase_add_test(commits, test_snap_nested_repository_recorded_as_files);
  tcase_add_test(durable, test_snap_commit_without_flush_then_sync);
  tcase_add_test(durable, test_snap_repair_drops_a_torn_step);
  tcase_add_test(durable, test_snap_repair_drops_a_torn_pack);
  tcase_add_test(durable, test_snap_has_wants_a_full_id);
  tcase_add_test(reads, test_snap_git_status_clean_after_close);
  tcase_add_test(reads, test_snap_no_reflogs);
  tcase_add_test(durable, test_snap_lua_commit_sync_has);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(snapshot_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
