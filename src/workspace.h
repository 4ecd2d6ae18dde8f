/* workspace.h - the agent's files, and the only place actions can touch.
 *
 * Every path an agent gives is relative to the workspace root.  Absolute
 * paths, ".." that climbs above the root, and symbolic links (anywhere on the
 * path, dangling ones included) that resolve outside the root are refused
 * with MLAB_EDENIED and a message meant for the agent; nothing outside the
 * root is read or written.  Resolution is race-free in practice because no
 * agent process runs while a primitive does (exec_run reaps them all).
 *
 * Edits, writes and appends keep the previous version of the file in an undo
 * store outside the workspace, so ws_undo() can restore it (a stack per
 * file); a file over WS_MAX_UNDO is refused rather than copied.
 *
 * Only regular files with one name are read or written: a FIFO, socket or
 * device (which could block the host or act when opened) and a file with
 * other hard links (which could be a file outside the workspace under a
 * name inside it) are refused with a message.  Files are opened with
 * O_NOFOLLOW | O_NONBLOCK and checked again once open.
 */
#ifndef MLAB_WORKSPACE_H
#define MLAB_WORKSPACE_H

#include <limits.h>
#include <stddef.h>

#define WS_MAX_READ (8 * 1024 * 1024) /* larger files are refused by read */
#define WS_MAX_UNDO                                                            \
  (64 * 1024 * 1024) /* a larger file is not changed by                        \
                        write, append or edit: its undo                        \
                        copy would be too big */

struct ws;

/* Opens the workspace at root (must exist) with undo_dir (created when
 * missing; must be outside root). */
int ws_open(struct ws **out, const char *root, const char *undo_dir);
void ws_free(struct ws *ws);
const char *ws_root(const struct ws *ws);

/* Resolves rel to an absolute path inside the workspace (the file need not
 * exist).  MLAB_EDENIED for a path that leaves it. */
int ws_resolve(const struct ws *ws, const char *rel, char out[PATH_MAX]);

/* Names in directory rel, sorted, directories with a trailing '/'.  *out is
 * a malloc'd NULL-terminated array of malloc'd strings: ws_names_free(). */
int ws_list(const struct ws *ws, const char *rel, char ***out, size_t *n);
void ws_names_free(char **names);

/* Whole file; *out is malloc'd and NUL-terminated, *len its size. */
int ws_read(const struct ws *ws, const char *rel, char **out, size_t *len);

/* Writes (replacing) or appends; parent directories are created. */
int ws_write(struct ws *ws, const char *rel, const char *data, size_t len);
int ws_append(struct ws *ws, const char *rel, const char *data, size_t len);
int ws_copy(struct ws *ws, const char *src, const char *dst);

/* Replaces lines first..last (1-based, inclusive) with text; last ==
 * first - 1 inserts text before line first.  text is taken as whole lines:
 * a missing final newline is added. */
int ws_edit_lines(struct ws *ws, const char *rel, long first, long last,
                  const char *text);

/* Replaces the one occurrence of old with new_text: MLAB_ENOTFOUND when old
 * does not occur, MLAB_EINVAL when it occurs more than once. */
int ws_edit_string(struct ws *ws, const char *rel, const char *old,
                   const char *new_text);

/* Restores the version before the last write/append/edit of rel (removing
 * the file when it did not exist then).  MLAB_ENOTFOUND: nothing to undo. */
int ws_undo(struct ws *ws, const char *rel);

#endif
