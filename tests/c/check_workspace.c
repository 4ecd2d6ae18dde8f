/* check_workspace.c - path resolution (hostile cases first), file
 * primitives, edits and undo. */
#include "error.h"
#include "fsutil.h"
#include "workspace.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[64], root[128], undo[128], outside[128];
static struct ws *ws;

static void
put_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

static char *
slurp(const char *rel)
{
  char *data = NULL;
  size_t len;
  ck_assert_int_eq(ws_read(ws, rel, &data, &len), 0);
  return data;
}

static void
setup(void)
{
  strcpy(top, "/tmp/check_ws.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(top));
  snprintf(root, sizeof root, "%s/ws", top);
  snprintf(undo, sizeof undo, "%s/undo", top);
  snprintf(outside, sizeof outside, "%s/secret.txt", top);
  ck_assert_int_eq(fsu_mkdir_p(root), 0);
  put_file(outside, "secret\n");
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/train.py", root);
  put_file(p, "a = 1\nb = 2\nc = 3\n");
  ck_assert_int_eq(ws_open(&ws, root, undo), 0);
}

static void
teardown(void)
{
  ws_free(ws);
  fsu_remove_tree(top);
}

START_TEST(test_ws_refuses_dotdot)
{
  char out[PATH_MAX], *data = NULL;
  size_t len;
  ck_assert_int_eq(ws_resolve(ws, "../secret.txt", out), MLAB_EDENIED);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "leaves the workspace"));
  ck_assert_int_eq(ws_read(ws, "a/../../secret.txt", &data, &len),
                   MLAB_EDENIED);
  ck_assert_int_eq(ws_read(ws, "..", &data, &len), MLAB_EDENIED);
  ck_assert_ptr_null(data);
}
END_TEST

START_TEST(test_ws_refuses_absolute)
{
  char out[PATH_MAX];
  ck_assert_int_eq(ws_resolve(ws, "/etc/passwd", out), MLAB_EDENIED);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "absolute"));
  ck_assert_int_eq(ws_resolve(ws, root, out), MLAB_EDENIED);
}
END_TEST

START_TEST(test_ws_allows_dotdot_inside)
{
  char out[PATH_MAX];
  ck_assert_int_eq(ws_resolve(ws, "sub/../train.py", out), 0);
  ck_assert_str_eq(out + strlen(out) - 9, "/train.py");
  char *text = slurp("./sub/../train.py");
  ck_assert_str_eq(text, "a = 1\nb = 2\nc = 3\n");
  free(text);
}
END_TEST

START_TEST(test_ws_refuses_symlink_out)
{
  char link[PATH_MAX], *data = NULL;
  size_t len;
  snprintf(link, sizeof link, "%s/out", root);
  ck_assert_int_eq(symlink(top, link), 0);
  ck_assert_int_eq(ws_read(ws, "out/secret.txt", &data, &len), MLAB_EDENIED);
  ck_assert_int_eq(ws_write(ws, "out/new.txt", "x", 1), MLAB_EDENIED);
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/new.txt", top);
  ck_assert(!fsu_exists(p));
}
END_TEST

START_TEST(test_ws_refuses_file_symlink_out)
{
  char link[PATH_MAX], *data = NULL;
  size_t len;
  snprintf(link, sizeof link, "%s/s.txt", root);
  ck_assert_int_eq(symlink(outside, link), 0);
  ck_assert_int_eq(ws_read(ws, "s.txt", &data, &len), MLAB_EDENIED);
  ck_assert_int_eq(ws_write(ws, "s.txt", "pwned", 5), MLAB_EDENIED);
  FILE *f = fopen(outside, "r");
  char buf[16] = {0};
  ck_assert(fgets(buf, sizeof buf, f) != NULL);
  fclose(f);
  ck_assert_str_eq(buf, "secret\n");
}
END_TEST

START_TEST(test_ws_refuses_dangling_symlink)
{
  char link[PATH_MAX], target[PATH_MAX];
  snprintf(link, sizeof link, "%s/d", root);
  snprintf(target, sizeof target, "%s/created-through-link", top);
  ck_assert_int_eq(symlink(target, link), 0);
  ck_assert_int_eq(ws_write(ws, "d", "x", 1), MLAB_EDENIED);
  ck_assert(!fsu_exists(target));
}
END_TEST

START_TEST(test_ws_allows_symlink_inside)
{
  char link[PATH_MAX];
  snprintf(link, sizeof link, "%s/alias.py", root);
  ck_assert_int_eq(symlink("train.py", link), 0);
  char *text = slurp("alias.py");
  ck_assert_str_eq(text, "a = 1\nb = 2\nc = 3\n");
  free(text);
}
END_TEST

START_TEST(test_ws_list_sorted_with_dirs)
{
  ck_assert_int_eq(ws_write(ws, "zdir/x.txt", "x", 1), 0);
  ck_assert_int_eq(ws_write(ws, "b.txt", "b", 1), 0);
  char **names;
  size_t n;
  ck_assert_int_eq(ws_list(ws, ".", &names, &n), 0);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(names[0], "b.txt");
  ck_assert_str_eq(names[1], "train.py");
  ck_assert_str_eq(names[2], "zdir/");
  ws_names_free(names);
  ck_assert_int_eq(ws_list(ws, "nope", &names, &n), MLAB_ENOTFOUND);
}
END_TEST

START_TEST(test_ws_read_missing_and_dir)
{
  char *data = NULL;
  size_t len;
  ck_assert_int_eq(ws_read(ws, "missing.py", &data, &len), MLAB_ENOTFOUND);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "does not exist"));
  ck_assert_int_eq(ws_read(ws, ".", &data, &len), MLAB_EINVAL);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "directory"));
}
END_TEST

START_TEST(test_ws_write_append_copy)
{
  ck_assert_int_eq(ws_write(ws, "deep/er/n.txt", "one\n", 4), 0);
  ck_assert_int_eq(ws_append(ws, "deep/er/n.txt", "two\n", 4), 0);
  ck_assert_int_eq(ws_copy(ws, "deep/er/n.txt", "copy.txt"), 0);
  char *text = slurp("copy.txt");
  ck_assert_str_eq(text, "one\ntwo\n");
  free(text);
  ck_assert_int_eq(ws_copy(ws, "nope", "x"), MLAB_ENOTFOUND);
}
END_TEST

START_TEST(test_ws_edit_lines_replace_insert)
{
  ck_assert_int_eq(ws_edit_lines(ws, "train.py", 2, 2, "b = 20"), 0);
  char *text = slurp("train.py");
  ck_assert_str_eq(text, "a = 1\nb = 20\nc = 3\n");
  free(text);
  ck_assert_int_eq(ws_edit_lines(ws, "train.py", 1, 0, "import x\n"), 0);
  text = slurp("train.py");
  ck_assert_str_eq(text, "import x\na = 1\nb = 20\nc = 3\n");
  free(text);
  ck_assert_int_eq(ws_edit_lines(ws, "train.py", 2, 4, ""), 0);
  text = slurp("train.py");
  ck_assert_str_eq(text, "import x\n");
  free(text);
}
END_TEST

START_TEST(test_ws_edit_lines_append_after_unterminated_line)
{
  ck_assert_int_eq(ws_write(ws, "s.py", "x = 1", 5), 0);
  ck_assert_int_eq(ws_edit_lines(ws, "s.py", 2, 1, "y = 2"), 0);
  char *text = slurp("s.py");
  ck_assert_str_eq(text, "x = 1\ny = 2\n");
  free(text);
}
END_TEST

START_TEST(test_ws_edit_lines_out_of_range)
{
  ck_assert_int_eq(ws_edit_lines(ws, "train.py", 3, 9, "x"), MLAB_EINVAL);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "has 3 lines"));
  ck_assert_int_eq(ws_edit_lines(ws, "train.py", 0, 1, "x"), MLAB_EINVAL);
  char *text = slurp("train.py");
  ck_assert_str_eq(text, "a = 1\nb = 2\nc = 3\n");
  free(text);
}
END_TEST

START_TEST(test_ws_edit_string_once)
{
  ck_assert_int_eq(ws_edit_string(ws, "train.py", "b = 2", "b = 42"), 0);
  char *text = slurp("train.py");
  ck_assert_str_eq(text, "a = 1\nb = 42\nc = 3\n");
  free(text);
  ck_assert_int_eq(ws_edit_string(ws, "train.py", "zzz", "y"), MLAB_ENOTFOUND);
  ck_assert_int_eq(ws_edit_string(ws, "train.py", " = ", "="), MLAB_EINVAL);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "occurs 3 times"));
}
END_TEST

START_TEST(test_ws_undo_stack)
{
  ck_assert_int_eq(ws_undo(ws, "train.py"), MLAB_ENOTFOUND);
  ck_assert_int_eq(ws_edit_string(ws, "train.py", "a = 1", "a = 10"), 0);
  ck_assert_int_eq(ws_edit_string(ws, "train.py", "a = 10", "a = 100"), 0);
  ck_assert_int_eq(ws_undo(ws, "train.py"), 0);
  char *text = slurp("train.py");
  ck_assert_str_eq(text, "a = 10\nb = 2\nc = 3\n");
  free(text);
  ck_assert_int_eq(ws_undo(ws, "train.py"), 0);
  text = slurp("train.py");
  ck_assert_str_eq(text, "a = 1\nb = 2\nc = 3\n");
  free(text);
  ck_assert_int_eq(ws_undo(ws, "train.py"), MLAB_ENOTFOUND);
}
END_TEST

START_TEST(test_ws_undo_of_new_file_removes_it)
{
  ck_assert_int_eq(ws_write(ws, "new.txt", "x", 1), 0);
  ck_assert_int_eq(ws_undo(ws, "new.txt"), 0);
  char *data = NULL;
  size_t len;
  ck_assert_int_eq(ws_read(ws, "new.txt", &data, &len), MLAB_ENOTFOUND);
}
END_TEST

START_TEST(test_ws_undo_store_outside_workspace)
{
  ck_assert_int_eq(ws_edit_string(ws, "train.py", "a = 1", "a = 2"), 0);
  char **names;
  size_t n;
  ck_assert_int_eq(ws_list(ws, ".", &names, &n), 0);
  ck_assert_uint_eq(n, 1); /* only train.py: no backup in the workspace */
  ws_names_free(names);
}
END_TEST

Suite *
workspace_suite(void)
{
  Suite *s = suite_create("workspace");
  TCase *paths = tcase_create("paths");
  tcase_add_checked_fixture(paths, setup, teardown);
  tcase_add_test(paths, test_ws_refuses_dotdot);
  tcase_add_test(paths, test_ws_refuses_absolute);
  tcase_add_test(paths, test_ws_allows_dotdot_inside);
  tcase_add_test(paths, test_ws_refuses_symlink_out);
  tcase_add_test(paths, test_ws_refuses_file_symlink_out);
  tcase_add_test(paths, test_ws_refuses_dangling_symlink);
  tcase_add_test(paths, test_ws_allows_symlink_inside);
  suite_add_tcase(s, paths);

  TCase *files = tcase_create("files");
  tcase_add_checked_fixture(files, setup, teardown);
  tcase_add_test(files, test_ws_list_sorted_with_dirs);
  tcase_add_test(files, test_ws_read_missing_and_dir);
  tcase_add_test(files, test_ws_write_append_copy);
  suite_add_tcase(s, files);

  TCase *edits = tcase_create("edits");
  tcase_add_checked_fixture(edits, setup, teardown);
  tcase_add_test(edits, test_ws_edit_lines_replace_insert);
  tcase_add_test(edits, test_ws_edit_lines_out_of_range);
  tcase_add_test(edits, test_ws_edit_lines_append_after_unterminated_line);
  tcase_add_test(edits, test_ws_edit_string_once);
  tcase_add_test(edits, test_ws_undo_stack);
  tcase_add_test(edits, test_ws_undo_of_new_file_removes_it);
  tcase_add_test(edits, test_ws_undo_store_outside_workspace);
  suite_add_tcase(s, edits);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(workspace_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
