/* snapshot.h - a run's workspace history as git commits (libgit2).
 *
 * The git directory is bare and lives outside the workspace, so nothing run
 * in the workspace can see or rewrite history; the workspace is attached as
 * the work tree in memory only (no .git file is written into it).  The index
 * is kept on disk in the git directory so unchanged files are not re-hashed.
 * Every commit is tagged (lightweight tag, e.g. "step-3") and written with a
 * fixed identity "mlab <mlab@localhost>".  Objects and refs are fsynced.
 */
#ifndef MLAB_SNAPSHOT_H
#define MLAB_SNAPSHOT_H

#include <stddef.h>

struct snap;

#define SNAP_OID_HEX 41 /* 40 hex digits and a NUL */

/* Opens gitdir, creating a bare repository when it does not exist;
 * workdir may be NULL for read-only use (diff, checkout elsewhere, log). */
int snap_open(struct snap **out, const char *gitdir, const char *workdir);
void snap_free(struct snap *s);

/* Files that are not re-hashed after they first enter history:
 * files larger than max_file_bytes are never added (0: no size limit), and
 * paths matching one of the fnmatch(3) patterns (relative to the workspace,
 * NULL-terminated list, may be NULL) are recorded by the first commit that
 * sees them and kept as they were in later ones (a rewrite of a 200 MB
 * data file then costs nothing per step). */
int snap_set_frozen(struct snap *s, size_t max_file_bytes,
                    const char *const *patterns);

/* Commits the whole work tree (like `git add -A`: new, changed and deleted
 * files; the workspace's own .gitignore is not honoured) on top of HEAD with
 * the given message, tags it `tag` (replacing an existing tag of that name),
 * and writes the commit id to out_hex.  A commit is made even when nothing
 * changed, so every step has one. */
int snap_commit(struct snap *s, const char *tag, const char *message,
                char out_hex[SNAP_OID_HEX]);

/* Resolves a revision (a tag such as "step-3", a full or short commit id,
 * "HEAD") to a commit id. MLAB_ENOTFOUND when it does not exist. */
int snap_resolve(struct snap *s, const char *rev, char out_hex[SNAP_OID_HEX]);

/* The tree id of rev's commit: two runs whose workspaces were identical
 * after a step have the same tree there, whatever their commit times. */
int snap_tree(struct snap *s, const char *rev, char out_hex[SNAP_OID_HEX]);

/* Unified diff (git's patch format) from rev_a to rev_b, limited to path
 * when not NULL; rev_a NULL means the parent of rev_b (the empty tree for a
 * root commit).  *out is malloc'd, NUL-terminated, the caller's. */
int snap_diff(struct snap *s, const char *rev_a, const char *rev_b,
              const char *path, char **out);

/* "--stat"-like summary of rev's change against its parent, one line per
 * file: "M train.py", "A out.csv", "D old.txt". *out is the caller's. */
int snap_changes(struct snap *s, const char *rev, char **out);

/* Writes the tree of rev into dir (created when missing; must be empty or
 * absent).  Leaves no .git in dir. */
int snap_checkout(struct snap *s, const char *rev, const char *dir);

/* Makes the attached work tree exactly the tree of rev (files not in it are
 * removed), resets the index, and moves HEAD to rev; later tags are kept.
 * Used by resume. */
int snap_restore(struct snap *s, const char *rev);

#endif
