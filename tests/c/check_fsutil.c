/* check_fsutil.c - the host's durable files: atomic replace, append,
 * tree copy (links kept as links) and removal. */
#include "error.h"
#include "fsutil.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void
setup(void)
{
  strcpy(dir, "/tmp/check_fsu.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
  fsu_remove_tree(dir);
}

static char *
path(const char *rel)
{
  static char p[256];
  snprintf(p, sizeof p, "%s/%s", dir, rel);
  return p;
}

static void
ck_content(const char *rel, const char *want)
{
  char *data = NULL;
  size_t len;
  ck_assert_int_eq(fsu_read(path(rel), &data, &len), 0);
  ck_assert_uint_eq(len, strlen(want));
  ck_assert_str_eq(data, want);
  free(data);
}

START_TEST(test_fsu_write_atomic_replaces_whole)
{
  ck_assert_int_eq(fsu_write_atomic(path("run.json"), "{\"a\":1}", 7), 0);
  ck_assert_int_eq(fsu_write_atomic(path("run.json"), "{}", 2), 0);
  ck_content("run.json", "{}");
  /* No temporary file is left beside it. */
  char cmd[128];
  snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", dir);
  ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_fsu_write_atomic_fails_cleanly)
{
  ck_assert_int_eq(fsu_write_atomic(path("no/such/dir/x"), "x", 1), MLAB_ERROR);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "cannot write"));
}
END_TEST

START_TEST(test_fsu_append_lines)
{
  ck_assert_int_eq(fsu_append(path("trace.jsonl"), "{\"step\":1}\n", 11), 0);
  ck_assert_int_eq(fsu_append(path("trace.jsonl"), "{\"step\":2}\n", 11), 0);
  ck_content("trace.jsonl", "{\"step\":1}\n{\"step\":2}\n");
}
END_TEST

/* The unflushed variants write the same bytes (the flush is snap_sync's). */
START_TEST(test_fsu_nosync_variants_write_the_same)
{
  ck_assert_int_eq(fsu_write_atomic_nosync(path("w.txt"), "new\n", 4), 0);
  ck_content("w.txt", "new\n");
  ck_assert_int_eq(fsu_append_nosync(path("t.jsonl"), "{\"a\":1}\n", 8), 0);
  ck_assert_int_eq(fsu_append_nosync(path("t.jsonl"), "{\"b\":2}\n", 8), 0);
  ck_content("t.jsonl", "{\"a\":1}\n{\"b\":2}\n");
  ck_assert_int_ne(fsu_append_nosync(path("no/such/dir/x"), "x", 1), 0);
}
END_TEST

START_TEST(test_fsu_copy_tree_keeps_links_and_modes)
{
  ck_assert_int_eq(fsu_mkdir_p(path("src/a/b")), 0);
  ck_assert_int_eq(fsu_write_atomic(path("src/a/b/f.sh"), "echo\n", 5), 0);
  chmod(path("src/a/b/f.sh"), 0755);
  ck_assert_int_eq(symlink("a/b/f.sh", path("src/link")), 0);
  char src[256], dst[256];
  snprintf(src, sizeof src, "%s", path("src"));
  snprintf(dst, sizeof dst, "%s", path("dst"));
  ck_assert_int_eq(fsu_copy_tree(src, dst), 0);
  ck_content("dst/a/b/f.sh", "echo\n");
  struct stat st;
  ck_assert_int_eq(lstat(path("dst/link"), &st), 0);
  ck_assert(S_ISLNK(st.st_mode));
  ck_assert_int_eq(stat(path("dst/a/b/f.sh"), &st), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0755);
}
END_TEST

START_TEST(test_fsu_remove_tree_and_missing)
{
  ck_assert_int_eq(fsu_mkdir_p(path("x/y/z")), 0);
  ck_assert_int_eq(fsu_write_atomic(path("x/y/z/f"), "1", 1), 0);
  char x[256];
  snprintf(x, sizeof x, "%s", path("x"));
  ck_assert_int_eq(fsu_remove_tree(x), 0);
  ck_assert(!fsu_exists(x));
  ck_assert_int_eq(fsu_remove_tree(x), 0); /* already gone is fine */
}
END_TEST

START_TEST(test_fsu_read_missing_is_not_found)
{
  char *data = NULL;
  ck_assert_int_eq(fsu_read(path("nope"), &data, NULL), MLAB_ENOTFOUND);
  ck_assert_ptr_null(data);
}
END_TEST

int
main(void)
{
  Suite *s = suite_create("fsutil");
  TCase *tc = tcase_create("files");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_fsu_write_atomic_replaces_whole);
  tcase_add_test(tc, test_fsu_write_atomic_fails_cleanly);
  tcase_add_test(tc, test_fsu_append_lines);
  tcase_add_test(tc, test_fsu_nosync_variants_write_the_same);
  tcase_add_test(tc, test_fsu_copy_tree_keeps_links_and_modes);
  tcase_add_test(tc, test_fsu_remove_tree_and_missing);
  tcase_add_test(tc, test_fsu_read_missing_is_not_found);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
