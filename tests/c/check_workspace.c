/* check_workspace.c - path resolution (hostile cases first), file
 * primitives, edits and undo. */
#include "error.h"
#include "fsutil.h"
#include "workspace.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
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

/* git can never store a path with a .git part (a planted sub/.git made
 * the commit fail); the primitive refuses it with a message that says so. */
START_TEST(test_ws_refuses_dot_git)
{
  char out[PATH_MAX];
  ck_assert_int_eq(ws_write(ws, "sub/.git", "gitdir: /tmp/x\n", 15), MLAB_EDENIED);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "'.git' part"));
  ck_assert_int_eq(ws_resolve(ws, ".GIT/config", out), MLAB_EDENIED);
  ck_assert_int_eq(ws_resolve(ws, "a/.git/b", out), MLAB_EDENIED);
  ck_assert_int_eq(ws_resolve(ws, "a/.github/x.yml", out), 0);
  ck_assert_int_eq(ws_resolve(ws, "x.git", out), 0);
}
END_TEST

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

/* --- what is not a plain file ------------------------------------------ */

/* Every primitive on rel fails (fast: the tcase timeout catches a block). */
static void
all_refuse(const char *rel)
{
  char *data = NULL;
  size_t len;
  ck_assert_int_ne(ws_read(ws, rel, &data, &len), 0);
  ck_assert_ptr_null(data);
  ck_assert_int_ne(ws_append(ws, rel, "x\n", 2), 0);
  ck_assert_int_ne(ws_write(ws, rel, "x\n", 2), 0);
  ck_assert_int_ne(ws_copy(ws, rel, "copy.txt"), 0);
  ck_assert_int_ne(ws_edit_lines(ws, rel, 1, 1, "x"), 0);
  ck_assert_int_ne(ws_edit_string(ws, rel, "a", "b"), 0);
}

START_TEST(test_ws_refuses_fifo_without_blocking)
{
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/pipe", root);
  ck_assert_int_eq(mkfifo(p, 0644), 0);
  all_refuse("pipe");
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "FIFO"));
  struct stat st;
  ck_assert_int_eq(lstat(p, &st), 0);
  ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

START_TEST(test_ws_refuses_socket)
{
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  ck_assert_int_lt(strlen(root) + 6, sizeof a.sun_path);
  memcpy(a.sun_path, root, strlen(root));
  memcpy(a.sun_path + strlen(root), "/sock", 6);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  ck_assert_int_ge(s, 0);
  ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  all_refuse("sock");
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "socket"));
  close(s);
}
END_TEST

START_TEST(test_ws_refuses_device)
{
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/zero", root);
  if (mknod(p, S_IFCHR | 0666, makedev(1, 5)) != 0) {
    printf("note: %s needs root (mknod); skipped\n", __func__);
    return;
  }
  all_refuse("zero");
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "device"));
}
END_TEST

START_TEST(test_ws_refuses_hard_link_to_outside)
{
  /* A second name inside for a file outside (same file system). */
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/labels.csv", root);
  ck_assert_int_eq(link(outside, p), 0);
  all_refuse("labels.csv");
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "hard links"));
  FILE *f = fopen(outside, "r");
  char buf[64] = "";
  ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
  fclose(f);
  ck_assert_str_eq(buf, "secret\n"); /* unchanged */
}
END_TEST

START_TEST(test_ws_refuses_undo_copy_over_cap)
{
  /* A sparse file past the cap: an append would copy it all to undo/. */
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/big.bin", root);
  int fd = open(p, O_CREAT | O_WRONLY, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, (off_t)WS_MAX_UNDO + 1), 0);
  close(fd);
  ck_assert_int_eq(ws_append(ws, "big.bin", "x", 1), MLAB_EINVAL);
  ck_assert_ptr_nonnull(strstr(mlab_error_last(), "undo"));
  ck_assert_int_eq(ws_write(ws, "big.bin", "x", 1), MLAB_EINVAL);
  struct stat st;
  ck_assert_int_eq(stat(p, &st), 0);
  ck_assert_int_eq(st.st_size, (off_t)WS_MAX_UNDO + 1); /* untouched */
  ck_assert_int_lt(st.st_blocks, 1024);
  /* Nothing of it went into the undo store. */
  char **names;
  size_t n = 0;
  ck_assert_int_eq(ws_undo(ws, "big.bin"), MLAB_ENOTFOUND);
  ck_assert_int_eq(ws_list(ws, ".", &names, &n), 0);
  ws_names_free(names);
}
END_TEST

START_TEST(test_ws_undo_replaces_fifo)
{
  ck_assert_int_eq(ws_write(ws, "train.py", "x = 9\n", 6), 0);
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/train.py", root);
  ck_assert_int_eq(unlink(p), 0);
  ck_assert_int_eq(mkfifo(p, 0644), 0);
  ck_assert_int_eq(ws_undo(ws, "train.py"), 0);
  char *text = slurp("train.py");
  ck_assert_str_eq(text, "a = 1\nb = 2\nc = 3\n");
  free(text);
}
END_TEST

Suite *
workspace_suite(void)
{
  Suite *s = suite_create("workspace");
  TCase *paths = tcase_create("paths");
  tcase_add_checked_fixture(paths, setup, teardown);
  tcase_add_test(paths, test_ws_refuses_dotdot);
  tcase_add_test(paths, test_ws_refuses_dot_git);
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

  TCase *kinds = tcase_create("kinds");
  tcase_add_checked_fixture(kinds, setup, teardown);
  /* A primitive that blocks on a FIFO fails by this timeout. */
  tcase_set_timeout(kinds, 10);
  tcase_add_test(kinds, test_ws_refuses_fifo_without_blocking);
  tcase_add_test(kinds, test_ws_refuses_socket);
  tcase_add_test(kinds, test_ws_refuses_device);
  tcase_add_test(kinds, test_ws_refuses_hard_link_to_outside);
  tcase_add_test(kinds, test_ws_refuses_undo_copy_over_cap);
  tcase_add_test(kinds, test_ws_undo_replaces_fifo);
  suite_add_tcase(s, kinds);
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
