/* snapshot.h - a run's workspace history as git commits (libgit2).
 *
 * The git directory is bare and lives outside the workspace, so nothing run
 * in the workspace can see or rewrite history; the workspace is attached as
 * the work tree in memory only (no .git file is written into it).  Every
 * commit is tagged (lightweight tag, e.g. "step-3") and written with a fixed
 * identity "mlab <mlab@localhost>"; reflogs are off.
 *
 * A snapshot records the work tree as `git add -A` would (new, changed,
 * deleted, renamed files, the executable bit, symbolic links as links; no
 * empty directories), byte for byte: the workspace's .gitignore and
 * .gitattributes are not honoured.  Paths named ".git" (any case) and
 * special files (fifos, sockets) are skipped; a nested repository's files
 * are recorded as plain files.  The tree is kept in memory with each file's
 * stat data, so a snapshot stats the work tree (or only the paths it is
 * told changed), hashes only files whose stat data changed (or that were
 * modified within the clock tick of the snapshot that recorded them: git's
 * racy-clean rule), and writes only the new objects: loose, or one pack
 * when there are many (the first commit).
 *
 * Durability: nothing in a commit is flushed until snap_sync (snap_commit
 * calls it itself; snap_commit_ex with SNAP_COMMIT_NOSYNC leaves it to the
 * caller, who appends its trace line first so that one flush covers both).
 * After a power loss, snap_repair and snap_has tell what survived.
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
 * files larger than max_file_bytes are never added (0: no size limit; a
 * file that was recorded while small keeps that content while it is too
 * big), and paths matching one of the fnmatch(3) patterns (relative to the
 * workspace, NULL-terminated list, may be NULL) are recorded by the first
 * commit that sees them and kept as they were in later ones, even when
 * deleted (a rewrite of a 200 MB data file then costs nothing per step). */
int snap_set_frozen(struct snap *s, size_t max_file_bytes,
                    const char *const *patterns);

/* Commits the whole work tree on top of HEAD with the given message, tags
 * it `tag` (replacing an existing tag of that name; NULL: no tag), writes
 * the commit id to out_hex (may be NULL), and flushes (snap_sync).  A
 * commit is made even when nothing changed, so every step has one. */
int snap_commit(struct snap *s, const char *tag, const char *message,
                char out_hex[SNAP_OID_HEX]);

#define SNAP_COMMIT_NOSYNC 1 /* flags: no flush; the caller calls snap_sync */

struct snap_commit_opts {
  /* NULL: walk the whole work tree (a step that ran a script).  Otherwise
   * the npaths paths (relative to the workspace) that the step may have
   * changed, created or deleted; only they are looked at (npaths 0:
   * nothing changed).  A path that is a directory is walked; a path whose
   * leaf or parent is a symbolic link, or a file with other hard links,
   * makes the commit walk the whole work tree (the change may show
   * elsewhere).  The caller vouches that nothing else changed. */
  const char *const *paths;
  size_t npaths;
  int flags; /* SNAP_COMMIT_NOSYNC */
};

/* snap_commit with options (o may be NULL: walk and flush). */
int snap_commit_ex(struct snap *s, const char *tag, const char *message,
                   const struct snap_commit_opts *o,
                   char out_hex[SNAP_OID_HEX]);

/* The durable point: one syncfs(2) of the git directory's filesystem, and
 * of each extra path's filesystem when it is another one (extra is a
 * NULL-terminated list, may be NULL).  Everything written there before the
 * call (commits, refs, a trace line appended without fsync) survives a
 * power loss once it returns 0. */
int snap_sync(struct snap *s, const char *const *extra);

/* After a crash: removes what a power loss may have left torn (loose
 * objects that do not inflate to their id, packs whose size or checksum is
 * wrong, loose refs that do not hold an id, temporary files), all written
 * after the last snap_sync.  *removed (may be NULL) counts them.  Call it
 * before anything else reads the history of a run that was not ended. */
int snap_repair(struct snap *s, int *removed);

/* 1 when the commit hex exists and every object it adds to its parent's
 * tree can be read, 0 when not (a step whose flush a power loss cut
 * short), <0 on error. */
int snap_has(struct snap *s, const char *hex);

/* Resolves a revision (a tag such as "step-3", a full or short commit id,
 * "HEAD") to a commit id. MLAB_ENOTFOUND when it does not exist. */
int snap_resolve(struct snap *s, const char *rev, char out_hex[SNAP_OID_HEX]);

/* Tags rev's commit as `name` (a lightweight tag, replacing one of that
 * name); removes tag `name` (MLAB_ENOTFOUND when there is none).  For
 * tools that build or trim a history (import, branch); commits are tagged
 * by snap_commit itself. */
int snap_tag(struct snap *s, const char *name, const char *rev);
int snap_untag(struct snap *s, const char *name);

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
 * Used by resume.  Not flushed: the next snap_sync covers it. */
int snap_restore(struct snap *s, const char *rev);

#endif
