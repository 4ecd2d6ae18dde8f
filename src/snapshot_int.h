/* snapshot_int.h - what the two halves of the snapshot share: snapshot.c
 * (the tree in memory, the walk of the work tree, commits, refs, reading
 * history) and snapstore.c (the object store: new objects held until the
 * commit ends, written loose or as one pack; repair after a crash).  Not an
 * API: snapshot.h is. */
#ifndef MLAB_SNAPSHOT_INT_H
#define MLAB_SNAPSHOT_INT_H

#include "snapshot.h"
#include "error.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define MODE_TREE 0040000u
#define MODE_BLOB 0100644u
#define MODE_EXEC 0100755u
#define MODE_LINK 0120000u

/* A file or directory of the recorded tree.  Directories keep their
 * children sorted by strcmp of name (for lookup; tree order is made when
 * a tree is written) and are never empty, except the root. */
struct node {
  char *name;
  struct node **kids;
  size_t nkids, cap;
  git_oid oid;          /* the blob's; a directory's tree id when !dirty */
  uint32_t mode;        /* git's: MODE_TREE, MODE_BLOB, MODE_EXEC, MODE_LINK */
  unsigned stat_ok : 1; /* the stat data below describe oid's content */
  unsigned dirty : 1;   /* a directory whose tree id must be recomputed */
  int64_t mtime, ctime; /* ns */
  int64_t size;
  uint64_t ino;
  uint32_t st_mode, dev, uid, gid; /* for the index file only */
};

/* An object to write at the end of the commit. */
struct pobj {
  git_oid oid;
  git_object_t type;
  unsigned char *data;
  size_t len;
};

struct snap {
  git_repository *repo;
  git_odb *odb;
  int wdfd;  /* the work tree */
  int gitfd; /* the git directory, for syncfs */
  char *workdir, *objdir;
  size_t max_bytes;   /* 0: no limit */
  char **frozen;      /* NULL-terminated copies of the patterns, or NULL */
  struct node *root;  /* HEAD's tree with stat data, or NULL: not loaded */
  git_oid head;       /* the commit root describes (when born) */
  int born;           /* root was loaded from a commit */
  int committed;      /* a commit was made through this handle */
  struct timespec t0; /* coarse clock when the snapshot began */
  struct pobj *pend;  /* new objects of the commit in progress */
  size_t npend, cappend, pend_bytes;
  unsigned char *tbuf; /* a tree being serialised */
  size_t tcap;
  char path[PATH_MAX]; /* the relative path being looked at */
};

static inline const char *
gitmsg(void)
{
  const git_error *e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

/* Maps a libgit2 failure to our codes with one line naming the action. */
static inline int
gitfail(int gerr, const char *what, const char *arg)
{
  int code = MLAB_ERROR;
  if (gerr == GIT_ENOTFOUND)
    code = MLAB_ENOTFOUND;
  else if (gerr == GIT_EINVALIDSPEC || gerr == GIT_EAMBIGUOUS)
    code = MLAB_EINVAL;
  else if (gerr == GIT_EEXISTS)
    code = MLAB_EEXISTS;
  return mlab_fail(code, "snapshot: %s %s: %s", what, arg ? arg : "", gitmsg());
}

static inline int
sysfail(const char *what, const char *arg)
{
  return mlab_fail(MLAB_ERROR, "snapshot: %s %s: %s", what, arg ? arg : "",
                   strerror(errno));
}

static inline int
nomem(void)
{
  return mlab_fail(MLAB_ENOMEM, "snapshot: out of memory");
}

/* snapshot.c.  Forgets the tree in memory: the next commit reloads it
 * from HEAD (after a failure half-way, a restore, a repair). */
void snap_drop_model(struct snap *s);

/* snapstore.c.  Takes data (malloc'd; the store's from here on) as object
 * id, unless the object database already has it; written by
 * snapstore_flush, or at once when too much is held. */
int snapstore_add(struct snap *s, git_object_t type, const git_oid *id,
                  unsigned char *data, size_t len);
/* 1 when the object database has id. */
int snapstore_has(struct snap *s, const git_oid *id);
/* Writes the objects held: loose when few, else one pack. */
int snapstore_flush(struct snap *s);
/* Forgets the objects held, unwritten. */
void snapstore_drop(struct snap *s);

#endif
