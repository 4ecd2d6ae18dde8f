/* fsutil.h - file helpers for the host itself (not for agent paths: those
 * go through workspace.h).  Durable means fsynced, file and directory. */
#ifndef MLAB_FSUTIL_H
#define MLAB_FSUTIL_H

#include <stddef.h>

/* mkdir -p; existing directories are fine. */
int fsu_mkdir_p(const char *path);

/* Whole file into *out (malloc'd, NUL-terminated). */
int fsu_read(const char *path, char **out, size_t *len);

/* Writes all len bytes to fd, again after EINTR and short writes; -1 with
 * errno set on an error (no mlab error: callers say what they wrote). */
int fsu_write_all(int fd, const void *buf, size_t len);

/* Writes path durably and atomically (temporary file, fsync, rename, fsync
 * of the directory): readers see the old or the new content, never half. */
int fsu_write_atomic(const char *path, const char *data, size_t len);

/* fsu_write_atomic without the flushes: readers still see the old or the
 * new content, never half, but a power loss before the next flush of the
 * filesystem (snap_sync) may lose the new one.  For files a step's record
 * covers anyway (the workspace). */
int fsu_write_atomic_nosync(const char *path, const char *data, size_t len);

/* Appends data durably (O_APPEND, fsync) creating the file when missing.
 * Used for trace.jsonl and llm.jsonl lines. */
int fsu_append(const char *path, const char *data, size_t len);

/* fsu_append without the flush: the line is in the file (whole, one
 * write) for every reader at once, and survives a crash of the process, but
 * not a power loss until something flushes the filesystem (snap_sync). */
int fsu_append_nosync(const char *path, const char *data, size_t len);

/* Copies regular files and directories of src into dst (created), keeping
 * modes; symbolic links are copied as links. */
int fsu_copy_tree(const char *src, const char *dst);

/* Copies one regular file (mode kept). */
int fsu_copy_file(const char *src, const char *dst);

/* rm -rf; a missing path is fine. */
int fsu_remove_tree(const char *path);

/* Is path an existing directory / any existing file? */
int fsu_is_dir(const char *path);
int fsu_exists(const char *path);

/* Takes an exclusive flock(2) on path (created when missing), waiting at
 * most timeout_s seconds (< 0: for ever; MLAB_ETIMEOUT after).  *out_fd is
 * the lock: closing it (or the process ending) releases it. */
int fsu_lock(int *out_fd, const char *path, double timeout_s);

#endif
