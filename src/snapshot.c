/* snapshot.c - workspace history with libgit2; see snapshot.h.
 *
 * Lifetime of libgit2: every snap_open calls git_libgit2_init and every
 * snap_free the matching git_libgit2_shutdown.  libgit2 refcounts these, so
 * several open snapshots (or another module using libgit2) are fine, and the
 * last free releases libgit2's global state (valgrind stays clean).
 *
 * Commits do not go through libgit2's index: that costs two walks of the
 * work tree (add_all, then update_all for deletions) and a rewrite of the
 * whole index file per step.  Instead the tree of HEAD is kept in memory
 * (struct node, one per file and directory, with the stat data each file
 * had when it was hashed), a step stats the work tree against it (or only
 * the paths it was told about), and the trees above a changed file are
 * re-serialised; unchanged subtrees keep their ids.  New objects are
 * collected and written at the end: loose when few, else as one pack (with
 * its .idx) so that a first commit of 1,000 files is two files, not 1,000.
 * libgit2 still reads history, writes refs, and checks out.  The object
 * store (writing objects, repair after a crash) is snapstore.c's.
 *
 * Nothing is fsynced here: snap_sync is the one flush (syncfs), called by
 * snap_commit or by the caller after it has appended its trace line.
 */
#include "snapshot_int.h"
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <git2.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Files above this are hashed and stored by streaming, not in memory. */
#define STREAM_MIN ((off_t)16 << 20)

static int path_push(struct snap *s, size_t plen, const char *name,
                     size_t *len);

/* Identity is fixed so history is reproducible and says nothing about the
 * host user. */
#define SNAP_NAME "mlab"
#define SNAP_EMAIL "mlab@localhost"

/* ---- the tree in memory ---- */

static struct node *
node_new(const char *name, size_t len, uint32_t mode)
{
  struct node *n = calloc(1, sizeof *n);
  if (!n || !(n->name = malloc(len + 1))) {
    free(n);
    return NULL;
  }
  memcpy(n->name, name, len);
  n->name[len] = '\0';
  n->mode = mode;
  n->dirty = mode == MODE_TREE;
  return n;
}

static void
node_free(struct node *n)
{
  if (!n)
    return;
  for (size_t i = 0; i < n->nkids; i++)
    node_free(n->kids[i]);
  free(n->kids);
  free(n->name);
  free(n);
}

static int
is_tree(const struct node *n)
{
  return n->mode == MODE_TREE;
}

/* Position of name among dir's children (strcmp order); *found tells
 * whether it is there or would be inserted at that position. */
static size_t
kid_pos(const struct node *dir, const char *name, int *found)
{
  size_t lo = 0, hi = dir->nkids;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = strcmp(dir->kids[mid]->name, name);
    if (c == 0) {
      *found = 1;
      return mid;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = 0;
  return lo;
}

static int
kid_insert(struct node *dir, size_t pos, struct node *kid)
{
  if (dir->nkids == dir->cap) {
    size_t cap = dir->cap ? 2 * dir->cap : 8;
    struct node **k = realloc(dir->kids, cap * sizeof *k);
    if (!k)
      return nomem();
    dir->kids = k;
    dir->cap = cap;
  }
  memmove(dir->kids + pos + 1, dir->kids + pos,
          (dir->nkids - pos) * sizeof *dir->kids);
  dir->kids[pos] = kid;
  dir->nkids++;
  return 0;
}

static void
kid_remove(struct node *dir, size_t pos)
{
  memmove(dir->kids + pos, dir->kids + pos + 1,
          (dir->nkids - pos - 1) * sizeof *dir->kids);
  dir->nkids--;
}

/* Puts kid (may be NULL: none) at name's place in dir. */
static int
kid_set(struct node *dir, size_t pos, int found, struct node *kid)
{
  if (found && kid)
    dir->kids[pos] = kid;
  else if (found)
    kid_remove(dir, pos);
  else if (kid)
    return kid_insert(dir, pos, kid);
  return 0;
}

static int
cmp_kid(const void *a, const void *b)
{
  return strcmp((*(struct node *const *)a)->name,
                (*(struct node *const *)b)->name);
}

/* Forgets the tree in memory: the next commit reloads it from HEAD and
 * hashes every file once.  Done after a failure half-way (the tree may no
 * longer match HEAD) and after a restore. */
void
snap_drop_model(struct snap *s)
{
  node_free(s->root);
  s->root = NULL;
  s->born = 0;
}

static int
load_tree(struct snap *s, struct node *dir, const git_oid *id)
{
  int error = 0, gerr;
  git_tree *t = NULL;
  size_t n;

  if ((gerr = git_tree_lookup(&t, s->repo, id)) < 0)
    return gitfail(gerr, "cannot read tree of", "HEAD");
  n = git_tree_entrycount(t);
  if (n && !(dir->kids = calloc(n, sizeof *dir->kids))) {
    error = nomem();
    goto done;
  }
  dir->cap = n;
  for (size_t i = 0; i < n; i++) {
    const git_tree_entry *e = git_tree_entry_byindex(t, i);
    const char *name = git_tree_entry_name(e);
    struct node *k =
        node_new(name, strlen(name), (uint32_t)git_tree_entry_filemode(e));
    if (!k) {
      error = nomem();
      goto done;
    }
    git_oid_cpy(&k->oid, git_tree_entry_id(e));
    k->dirty = 0;
    dir->kids[dir->nkids++] = k;
    if (is_tree(k) && (error = load_tree(s, k, &k->oid)))
      goto done;
  }
  /* Tree order puts a directory "a" after "a.txt"; lookups want strcmp. */
  if (dir->nkids > 1)
    qsort(dir->kids, dir->nkids, sizeof *dir->kids, cmp_kid);
  git_oid_cpy(&dir->oid, id);
  dir->dirty = 0;

done:
  git_tree_free(t);
  return error;
}

/* Makes s->root describe HEAD (reading its tree when it is not the commit
 * the tree in memory came from). */
static int
load_model(struct snap *s)
{
  int gerr, error;
  git_oid head;
  git_commit *c = NULL;

  gerr = git_reference_name_to_id(&head, s->repo, "HEAD");
  if (gerr == GIT_ENOTFOUND || gerr == GIT_EUNBORNBRANCH) {
    if (s->root && !s->born)
      return 0;
    snap_drop_model(s);
    if (!(s->root = node_new("", 0, MODE_TREE)))
      return nomem();
    return 0;
  }
  if (gerr < 0)
    return gitfail(gerr, "cannot read", "HEAD");
  if (s->root && s->born && git_oid_equal(&head, &s->head))
    return 0;
  snap_drop_model(s);
  if ((gerr = git_commit_lookup(&c, s->repo, &head)) < 0)
    return gitfail(gerr, "cannot read", "HEAD");
  if (!(s->root = node_new("", 0, MODE_TREE)))
    error = nomem();
  else
    error = load_tree(s, s->root, git_commit_tree_id(c));
  git_commit_free(c);
  if (error) {
    snap_drop_model(s);
    return error;
  }
  git_oid_cpy(&s->head, &head);
  s->born = 1;
  return 0;
}

/* ---- opening ---- */

/* Step tags make reflogs redundant, and they cost two appends per step. */
static int
reflogs_off(git_repository *repo)
{
  git_config *cfg = NULL;
  int on = 1, gerr;
  if ((gerr = git_repository_config(&cfg, repo)) < 0)
    return gerr;
  if (git_config_get_bool(&on, cfg, "core.logallrefupdates") < 0 || on)
    gerr = git_config_set_bool(cfg, "core.logAllRefUpdates", 0);
  git_config_free(cfg);
  return gerr;
}

/* Snapshots store bytes as they are; info/attributes outranks a
 * .gitattributes in the work tree, so neither libgit2's checkout nor a
 * `git add` by hand converts line ends, expands $Id$ or runs a filter. */
static void
attributes_off(const char *gitdir)
{
  static const char text[] = "* -text -ident -filter -working-tree-encoding\n";
  char p[PATH_MAX];
  struct stat st;
  if (snprintf(p, sizeof p, "%s/info", gitdir) >= (int)sizeof p)
    return;
  mkdir(p, 0755);
  strcat(p, "/attributes");
  if (stat(p, &st) == 0)
    return;
  int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd >= 0) {
    if (write(fd, text, sizeof text - 1) < 0) {
      /* best effort: the snapshot itself never applies filters */
    }
    close(fd);
  }
}

int
snap_open(struct snap **out, const char *gitdir, const char *workdir)
{
  int error = 0, gerr;
  struct snap *s = NULL;
  struct stat st;
  const char *gd;

  *out = NULL;
  if (!gitdir || !*gitdir)
    return mlab_fail(MLAB_EINVAL, "snapshot: no git directory given");
  if (workdir && stat(workdir, &st) != 0)
    return mlab_fail(MLAB_ENOTFOUND, "snapshot: workspace %s: %s", workdir,
                     strerror(errno));
  if (workdir && !S_ISDIR(st.st_mode))
    return mlab_fail(MLAB_EINVAL, "snapshot: workspace %s: not a directory",
                     workdir);

  if ((gerr = git_libgit2_init()) < 0)
    return mlab_fail(MLAB_ERROR, "snapshot: libgit2 init: %s", gitmsg());
  /* No fsync per file: snap_sync makes a whole step durable at once. */
  git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);

  if (!(s = calloc(1, sizeof *s))) {
    error = nomem();
    goto done;
  }
  s->wdfd = -1;
  s->gitfd = -1;

  gerr = git_repository_open_bare(&s->repo, gitdir);
  if (gerr == GIT_ENOTFOUND) {
    /* Bare, and never with workdir_path: that would write a .git link
     * file into the workspace and reveal where history is kept. */
    git_repository_init_options o;
    /* The *_options_init calls, not the _INIT macros: the macros leave
     * fields out and trip -Wmissing-field-initializers. */
    git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    o.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_BARE;
    gerr = git_repository_init_ext(&s->repo, gitdir, &o);
  }
  if (gerr < 0) {
    error = gitfail(gerr, "cannot open", gitdir);
    goto done;
  }
  if ((gerr = git_repository_odb(&s->odb, s->repo)) < 0) {
    error = gitfail(gerr, "cannot open objects of", gitdir);
    goto done;
  }
  gd = git_repository_path(s->repo);
  s->gitfd = open(gd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->gitfd < 0) {
    error = sysfail("cannot open", gd);
    goto done;
  }
  if (!(s->objdir = malloc(strlen(gd) + sizeof "objects"))) {
    error = nomem();
    goto done;
  }
  strcpy(s->objdir, gd);
  strcat(s->objdir, "objects");

  if (workdir) {
    if ((gerr = reflogs_off(s->repo)) < 0) {
      error = gitfail(gerr, "cannot configure", gitdir);
      goto done;
    }
    attributes_off(gd);
    /* update_gitlink 0: the work tree is attached in memory only. */
    if ((gerr = git_repository_set_workdir(s->repo, workdir, 0)) < 0) {
      error = gitfail(gerr, "cannot attach workspace", workdir);
      goto done;
    }
    s->wdfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->wdfd < 0 || !(s->workdir = strdup(workdir))) {
      error = s->wdfd < 0 ? sysfail("cannot open workspace", workdir) : nomem();
      goto done;
    }
  }

  *out = s;
  s = NULL;

done:
  if (s)
    snap_free(s);
  else if (error)
    git_libgit2_shutdown(); /* s was never allocated: undo the init */
  return error;
}

static void
free_patterns(char **p)
{
  if (!p)
    return;
  for (char **q = p; *q; q++)
    free(*q);
  free(p);
}

/* Puts dir's files (path prefix in s->path, plen bytes) in idx with the
 * stat data git compares, so that `git status` finds them clean without
 * reading them; recent ones get no stat data (git reads them). */
static void
index_add_dir(struct snap *s, git_index *idx, const struct node *dir,
              size_t plen, int64_t recent)
{
  size_t len;
  for (size_t i = 0; i < dir->nkids; i++) {
    const struct node *k = dir->kids[i];
    if (path_push(s, plen, k->name, &len) != 0)
      continue;
    if (is_tree(k)) {
      index_add_dir(s, idx, k, len, recent);
    } else {
      git_index_entry e;
      memset(&e, 0, sizeof e);
      e.mode = k->mode;
      git_oid_cpy(&e.id, &k->oid);
      e.path = s->path;
      if (k->stat_ok && k->mtime < recent && k->ctime < recent) {
        e.ctime.seconds = (int32_t)(k->ctime / 1000000000);
        e.ctime.nanoseconds = (uint32_t)(k->ctime % 1000000000);
        e.mtime.seconds = (int32_t)(k->mtime / 1000000000);
        e.mtime.nanoseconds = (uint32_t)(k->mtime % 1000000000);
        e.dev = k->dev;
        e.ino = (uint32_t)k->ino;
        e.uid = k->uid;
        e.gid = k->gid;
        e.file_size = (uint32_t)k->size;
      }
      git_index_add(idx, &e); /* a path git refuses is left out */
    }
    s->path[plen] = '\0';
  }
}

/* The index file is only the git CLI's cache for `git status` and `git
 * diff` against the work tree (snapshots do not use it); writing it per
 * step would cost more than the step.  It is written when the handle is
 * closed (and by snap_restore), so after a kill -9 it may lag behind HEAD
 * until the run is resumed. */
static void
write_index(struct snap *s)
{
  git_index *idx = NULL;
  struct timespec now;
  if (!s->committed || !s->root || !s->born)
    return;
  clock_gettime(CLOCK_REALTIME, &now);
  if (git_repository_index(&idx, s->repo) < 0)
    return;
  git_index_clear(idx);
  s->path[0] = '\0';
  /* git without nanoseconds compares whole seconds: a file changed in the
   * second the index is written must not look clean. */
  index_add_dir(s, idx, s->root, 0, ((int64_t)now.tv_sec - 1) * 1000000000);
  s->path[0] = '\0';
  git_index_write(idx);
  git_index_free(idx);
}

void
snap_free(struct snap *s)
{
  if (!s)
    return;
  write_index(s);
  snap_drop_model(s);
  snapstore_drop(s);
  free(s->pend);
  free(s->tbuf);
  git_odb_free(s->odb);
  git_repository_free(s->repo);
  if (s->wdfd >= 0)
    close(s->wdfd);
  if (s->gitfd >= 0)
    close(s->gitfd);
  free(s->workdir);
  free(s->objdir);
  free_patterns(s->frozen);
  free(s);
  git_libgit2_shutdown();
}

int
snap_set_frozen(struct snap *s, size_t max_file_bytes,
                const char *const *patterns)
{
  size_t n = 0;
  char **copy = NULL;

  /* Copied so the caller may pass a temporary array (a Lua table's
   * strings, for instance). */
  if (patterns) {
    while (patterns[n])
      n++;
    if (!(copy = calloc(n + 1, sizeof *copy)))
      return nomem();
    for (size_t i = 0; i < n; i++) {
      if (!(copy[i] = strdup(patterns[i]))) {
        free_patterns(copy);
        return nomem();
      }
    }
  }
  free_patterns(s->frozen);
  s->frozen = copy;
  s->max_bytes = max_file_bytes;
  return 0;
}

/* fnmatch without FNM_PATHNAME, so "*" also crosses "/": "*.csv" freezes
 * data/a/b.csv as well, the way a user who writes it usually means.  With
 * FNM_LEADING_DIR a directory pattern such as "data" freezes all below it. */
static int
is_frozen(const struct snap *s, const char *path)
{
  if (!s->frozen)
    return 0;
  for (char **p = s->frozen; *p; p++)
    if (fnmatch(*p, path, FNM_LEADING_DIR) == 0)
      return 1;
  return 0;
}

/* ---- looking at the work tree ---- */

#define GONE 1 /* hash_file: the file went away while we looked */

static int64_t
ns(struct timespec t)
{
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Git's racy-clean rule.  A change made after t0 (the coarse clock when
 * this snapshot began, which file times never run behind) gives the file a
 * ctime >= t0; so a file whose times are already >= t0 may change again
 * within the same clock tick without its stat data showing it, and its
 * stat data is not trusted next time: it is hashed again.  A filesystem
 * that keeps whole seconds is compared in seconds. */
static int
is_racy(const struct snap *s, const struct stat *st)
{
  if (st->st_mtim.tv_nsec == 0 && st->st_ctim.tv_nsec == 0)
    return st->st_mtim.tv_sec >= s->t0.tv_sec ||
           st->st_ctim.tv_sec >= s->t0.tv_sec;
  return ns(st->st_mtim) >= ns(s->t0) || ns(st->st_ctim) >= ns(s->t0);
}

static void
record_stat(const struct snap *s, struct node *n, const struct stat *st)
{
  n->mtime = ns(st->st_mtim);
  n->ctime = ns(st->st_ctim);
  n->size = (int64_t)st->st_size;
  n->ino = (uint64_t)st->st_ino;
  n->st_mode = (uint32_t)st->st_mode;
  n->dev = (uint32_t)st->st_dev;
  n->uid = (uint32_t)st->st_uid;
  n->gid = (uint32_t)st->st_gid;
  n->stat_ok = !is_racy(s, st);
}

static int
same_stat(const struct node *n, const struct stat *st)
{
  return n->mtime == ns(st->st_mtim) && n->ctime == ns(st->st_ctim) &&
         n->size == (int64_t)st->st_size && n->ino == (uint64_t)st->st_ino &&
         n->st_mode == (uint32_t)st->st_mode;
}

/* Appends "/name" (or "name" at the top) to s->path, which holds plen
 * bytes; *len is the new length.  Callers cut it back with
 * s->path[plen] = '\0'. */
static int
path_push(struct snap *s, size_t plen, const char *name, size_t *len)
{
  size_t nl = strlen(name), at = plen ? plen + 1 : 0;
  if (at + nl >= sizeof s->path)
    return mlab_fail(MLAB_EINVAL, "snapshot: path too long: %s/%s", s->path,
                     name);
  if (plen)
    s->path[plen] = '/';
  memcpy(s->path + at, name, nl + 1);
  *len = at + nl;
  return 0;
}

/* Streams a big file into the object database (loose, as libgit2 writes
 * it) unless its blob is there already; no filters, no whole-file buffer. */
static int
hash_big(struct snap *s, int dfd, const char *name, const struct stat *st,
         git_oid *id)
{
  int error = 0, gerr, fd;
  char abs[PATH_MAX * 2];
  git_odb_stream *ws = NULL;
  static char buf[1 << 16];

  snprintf(abs, sizeof abs, "%s/%s", s->workdir, s->path);
  if ((gerr = git_odb_hashfile(id, abs, GIT_OBJECT_BLOB)) < 0)
    return access(abs, F_OK) != 0 ? GONE : gitfail(gerr, "cannot hash", abs);
  if (snapstore_has(s, id))
    return 0;
  if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    return errno == ENOENT || errno == ELOOP ? GONE
                                             : sysfail("cannot read", s->path);
  if ((gerr = git_odb_open_wstream(&ws, s->odb, (git_object_size_t)st->st_size,
                                   GIT_OBJECT_BLOB)) < 0) {
    error = gitfail(gerr, "cannot store", s->path);
    goto done;
  }
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      error = sysfail("cannot read", s->path);
      goto done;
    }
    if (r == 0)
      break;
    if ((gerr = git_odb_stream_write(ws, buf, (size_t)r)) < 0)
      break;
  }
  /* A file that changed size while read fails here, loudly. */
  if (gerr < 0 || (gerr = git_odb_stream_finalize_write(id, ws)) < 0)
    error = gitfail(gerr, "cannot store (changed while read?)", s->path);

done:
  git_odb_stream_free(ws);
  close(fd);
  return error;
}

/* Reads name (a regular file or a link, as st says) and hashes it as a
 * blob.  *data gets the content (malloc'd, the caller's), or NULL when a
 * big file was streamed into the object database instead.  GONE when the
 * file went away meanwhile. */
static int
hash_file(struct snap *s, int dfd, const char *name, const struct stat *st,
          git_oid *id, unsigned char **data, size_t *len)
{
  unsigned char *b = NULL;
  size_t cap, n = 0;
  int fd;

  *data = NULL;
  *len = 0;
  if (S_ISLNK(st->st_mode)) {
    for (cap = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;; cap *= 2) {
      if (!(b = malloc(cap)))
        return nomem();
      ssize_t r = readlinkat(dfd, name, (char *)b, cap);
      if (r < 0) {
        free(b);
        return errno == ENOENT || errno == EINVAL || errno == ENOTDIR
                   ? GONE
                   : sysfail("cannot read link", s->path);
      }
      if ((size_t)r < cap) {
        n = (size_t)r;
        break;
      }
      free(b);
    }
  } else {
    if (st->st_size >= STREAM_MIN)
      return hash_big(s, dfd, name, st, id);
    fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
      return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
                 ? GONE
                 : sysfail("cannot read", s->path);
    cap = (size_t)st->st_size + 1;
    for (;;) {
      if (!b || n == cap) {
        unsigned char *m = realloc(b, b ? (cap *= 2) : cap);
        if (!m) {
          free(b);
          close(fd);
          return nomem();
        }
        b = m;
      }
      ssize_t r = read(fd, b + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0) {
        free(b);
        close(fd);
        return sysfail("cannot read", s->path);
      }
      if (r == 0)
        break;
      n += (size_t)r;
    }
    close(fd);
  }
  git_odb_hash(id, b, n, GIT_OBJECT_BLOB);
  *data = b;
  *len = n;
  return 0;
}

/* n (at s->path, len bytes) is gone from the work tree: drops it, except
 * frozen files, which stay as they were recorded (with the directories
 * that hold them).  Returns what is left of n, or NULL. */
static struct node *
vanish(struct snap *s, struct node *n, size_t len, int *changed)
{
  size_t m = 0, l2;

  if (!is_tree(n) && is_frozen(s, s->path))
    return n;
  if (!is_tree(n) || !s->frozen) {
    node_free(n);
    *changed = 1;
    return NULL;
  }
  for (size_t i = 0; i < n->nkids; i++) {
    struct node *k = n->kids[i];
    if (path_push(s, len, k->name, &l2) == 0)
      k = vanish(s, k, l2, changed);
    else {
      node_free(k);
      k = NULL;
    }
    s->path[len] = '\0';
    if (k)
      n->kids[m++] = k;
  }
  if (m != n->nkids) {
    n->dirty = 1;
    *changed = 1;
  }
  n->nkids = m;
  if (!m) {
    node_free(n);
    return NULL;
  }
  return n;
}

static int walk_dir(struct snap *s, struct node *dir, int dfd, size_t plen);

/* Brings the entry `name` of the directory dfd (whose path is s->path,
 * plen bytes) up to date: *kidp is what was recorded (NULL: nothing) and
 * becomes what is recorded now (NULL: nothing); *changed is set when that
 * changes what the tree holds.  dtype is readdir's hint (DT_DIR spares a
 * stat).  On error *kidp is still a node the tree owns, or NULL. */
static int
sync_entry(struct snap *s, int dfd, size_t plen, const char *name,
           unsigned char dtype, struct node **kidp, int *changed)
{
  int error = 0, fd;
  struct node *old = *kidp, *n;
  struct stat st;
  size_t len, dlen;
  unsigned char *data = NULL;
  uint32_t mode;
  git_oid id;

  if ((error = path_push(s, plen, name, &len)))
    return error;
  /* A recorded frozen file stays as it was: not even stat'ed. */
  if (old && !is_tree(old) && is_frozen(s, s->path))
    goto done;
  if (dtype == DT_DIR)
    st.st_mode = S_IFDIR;
  else if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      error = sysfail("cannot stat", s->path);
      goto done;
    }
    goto gone;
  }

  if (S_ISDIR(st.st_mode)) {
    fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && dtype == DT_DIR && (errno == ENOTDIR || errno == ELOOP)) {
      s->path[plen] = '\0'; /* readdir's type was stale: look again */
      return sync_entry(s, dfd, plen, name, DT_UNKNOWN, kidp, changed);
    }
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
      goto gone;
    if (fd < 0) {
      error = sysfail("cannot open", s->path);
      goto done;
    }
    if (old && !is_tree(old)) { /* a file became a directory */
      node_free(old);
      *kidp = old = NULL;
      *changed = 1;
    }
    n = old ? old : node_new(name, strlen(name), MODE_TREE);
    if (!n) {
      close(fd);
      error = nomem();
      goto done;
    }
    *kidp = n;
    error = walk_dir(s, n, fd, len);
    close(fd);
    if (!error && n->nkids == 0) { /* git records no empty directory */
      node_free(n);
      *kidp = NULL;
      if (old)
        *changed = 1;
    } else if (n->dirty)
      *changed = 1;
    goto done;
  }
  if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
    goto gone; /* fifos, sockets, devices: git skips them too */
  if (S_ISREG(st.st_mode) && s->max_bytes &&
      (uint64_t)st.st_size > (uint64_t)s->max_bytes) {
    if (old && !is_tree(old))
      goto done; /* keeps what was recorded while it was small */
    goto gone;
  }
  if (old && is_tree(old)) { /* a directory became a file */
    old = *kidp = vanish(s, old, len, changed);
    if (old)
      goto done; /* frozen files below it keep the name */
  }
  if (old && old->stat_ok && same_stat(old, &st))
    goto done;
  error = hash_file(s, dfd, name, &st, &id, &data, &dlen);
  if (error == GONE) {
    error = 0;
    goto gone;
  }
  if (error)
    goto done;
  mode = S_ISLNK(st.st_mode)      ? MODE_LINK
         : (st.st_mode & S_IXUSR) ? MODE_EXEC
                                  : MODE_BLOB;
  if (old && git_oid_equal(&old->oid, &id)) {
    free(data); /* touched, not changed: the blob is stored already */
    data = NULL;
  } else if (data && (error = snapstore_add(s, GIT_OBJECT_BLOB, &id, data, dlen)))
    goto done;
  n = old;
  if (!n) {
    if (!(n = node_new(name, strlen(name), mode))) {
      error = nomem();
      goto done;
    }
    *kidp = n;
    *changed = 1;
  } else if (n->mode != mode || !git_oid_equal(&n->oid, &id))
    *changed = 1;
  n->mode = mode;
  git_oid_cpy(&n->oid, &id);
  record_stat(s, n, &st);
  goto done;

gone:
  if (old)
    *kidp = vanish(s, old, len, changed);
done:
  s->path[plen] = '\0';
  return error;
}

/* A directory's names, sorted by strcmp, without ".", ".." and ".git"
 * (git never records a path through a ".git" of any case). */
struct names {
  char *buf;
  size_t len, cap;
  struct name {
    size_t off;
    unsigned char type;
  } * e;
  size_t n, ncap;
};

static int
cmp_name(const void *a, const void *b, void *buf)
{
  return strcmp((const char *)buf + ((const struct name *)a)->off,
                (const char *)buf + ((const struct name *)b)->off);
}

static int
read_names(struct snap *s, int dfd, struct names *nm)
{
  int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir(fd);
  struct dirent *e;

  if (!d) {
    if (fd >= 0)
      close(fd);
    return sysfail("cannot list", *s->path ? s->path : ".");
  }
  nm->len = nm->n = 0;
  while ((errno = 0, e = readdir(d))) {
    const char *x = e->d_name;
    size_t l = strlen(x) + 1;
    if (!strcmp(x, ".") || !strcmp(x, "..") || !strcasecmp(x, ".git"))
      continue;
    if (nm->len + l > nm->cap) {
      size_t cap = nm->cap ? 2 * nm->cap : 4096;
      while (cap < nm->len + l)
        cap *= 2;
      char *b = realloc(nm->buf, cap);
      if (!b)
        goto oom;
      nm->buf = b;
      nm->cap = cap;
    }
    if (nm->n == nm->ncap) {
      size_t cap = nm->ncap ? 2 * nm->ncap : 64;
      struct name *m = realloc(nm->e, cap * sizeof *m);
      if (!m)
        goto oom;
      nm->e = m;
      nm->ncap = cap;
    }
    memcpy(nm->buf + nm->len, x, l);
    nm->e[nm->n].off = nm->len;
    nm->e[nm->n].type = e->d_type;
    nm->n++;
    nm->len += l;
  }
  if (errno) {
    int err = sysfail("cannot list", *s->path ? s->path : ".");
    closedir(d);
    return err;
  }
  closedir(d);
  if (nm->n > 1) /* an empty folder has no array: qsort_r's pointer is nonnull */
    qsort_r(nm->e, nm->n, sizeof *nm->e, cmp_name, nm->buf);
  return 0;

oom:
  closedir(d);
  return nomem();
}

/* Merges the directory dfd (path s->path, plen bytes) into dir. */
static int
walk_dir(struct snap *s, struct node *dir, int dfd, size_t plen)
{
  int error = 0, changed = 0;
  struct names nm = {0};
  struct node **nk = NULL;
  size_t i = 0, j = 0, m = 0, len;

  if ((error = read_names(s, dfd, &nm)))
    goto done;
  if (!(nk = malloc((nm.n + dir->nkids + 1) * sizeof *nk))) {
    error = nomem();
    goto done;
  }
  while (!error && (i < nm.n || j < dir->nkids)) {
    const char *name = i < nm.n ? nm.buf + nm.e[i].off : NULL;
    struct node *kid = j < dir->nkids ? dir->kids[j] : NULL;
    int c = !name ? 1 : !kid ? -1 : strcmp(name, kid->name);
    if (c > 0) { /* recorded, no longer there */
      if ((error = path_push(s, plen, kid->name, &len)))
        break;
      kid = vanish(s, kid, len, &changed);
      s->path[plen] = '\0';
      j++;
    } else {
      if (c == 0)
        j++;
      else
        kid = NULL;
      error = sync_entry(s, dfd, plen, name, nm.e[i].type, &kid, &changed);
      i++;
    }
    if (kid)
      nk[m++] = kid;
  }
  while (j < dir->nkids) /* after an error: keep the rest owned */
    nk[m++] = dir->kids[j++];
  free(dir->kids);
  dir->kids = nk;
  dir->cap = nm.n + dir->nkids + 1;
  dir->nkids = m;
  nk = NULL;
  if (changed)
    dir->dirty = 1;

done:
  free(nk);
  free(nm.buf);
  free(nm.e);
  return error;
}

/* Copies path into out without "." and empty components.  1 when it
 * cannot be taken at its word (absolute, or ".." that a symbolic link
 * could bend): the caller walks the whole work tree instead. */
static int
norm_path(const char *path, char *out, size_t cap)
{
  size_t n = 0;
  if (path[0] == '/')
    return 1;
  for (const char *p = path; *p;) {
    const char *e = strchr(p, '/');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l == 2 && p[0] == '.' && p[1] == '.')
      return 1;
    if (l && !(l == 1 && p[0] == '.')) {
      if (n + l + 2 > cap)
        return mlab_fail(MLAB_EINVAL, "snapshot: path too long: %s", path);
      if (n)
        out[n++] = '/';
      memcpy(out + n, p, l);
      n += l;
    }
    p += l + (e ? 1 : 0);
  }
  out[n] = '\0';
  return 0;
}

/* Brings the one path rest (below dir, the directory dfd at s->path, plen
 * bytes) up to date; *walk is set when only a walk of everything can
 * tell. */
static int
apply_path(struct snap *s, struct node *dir, int dfd, size_t plen, char *rest,
           int *walk, int *changed)
{
  int error = 0, found, ch = 0, fd, leaf;
  char *slash = strchr(rest, '/');
  struct stat st;
  size_t pos, len;
  struct node *kid;

  if (slash)
    *slash = '\0';
  leaf = !slash;
  if (!strcasecmp(rest, ".git"))
    goto done; /* never recorded */
  pos = kid_pos(dir, rest, &found);
  kid = found ? dir->kids[pos] : NULL;
  if (fstatat(dfd, rest, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      error = sysfail("cannot stat", rest);
      goto done;
    }
    leaf = 1; /* gone, and all below it with it */
  } else if (S_ISLNK(st.st_mode) || (!leaf && !S_ISDIR(st.st_mode)) ||
             (S_ISREG(st.st_mode) && st.st_nlink > 1)) {
    /* Written through a link, or a file whose other names changed too. */
    *walk = 1;
    goto done;
  }
  if ((error = path_push(s, plen, rest, &len)))
    goto done;
  if (!leaf && kid && !is_tree(kid) && is_frozen(s, s->path)) {
    *walk = 1; /* a frozen file where a directory now is: let a walk judge */
    s->path[plen] = '\0';
    goto done;
  }
  if (leaf) {
    s->path[plen] = '\0';
    error = sync_entry(s, dfd, plen, rest, DT_UNKNOWN, &kid, &ch);
    goto set;
  }
  if (kid && !is_tree(kid)) { /* a file became a directory */
    node_free(kid);
    kid = NULL;
    ch = 1;
  }
  if (!kid && !(kid = node_new(rest, strlen(rest), MODE_TREE))) {
    s->path[plen] = '\0';
    error = nomem();
    goto set;
  }
  fd = openat(dfd, rest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    error = sysfail("cannot open", s->path);
  else {
    error = apply_path(s, kid, fd, len, slash + 1, walk, &ch);
    close(fd);
  }
  s->path[plen] = '\0';
  if (kid->nkids == 0) { /* git records no empty directory */
    node_free(kid);
    kid = NULL;
    ch = ch || found;
  }
set:
  if (kid_set(dir, pos, found, kid) != 0 && !error)
    error = nomem();
  if (ch) {
    dir->dirty = 1;
    *changed = 1;
  }
done:
  if (slash)
    *slash = '/';
  return error;
}

static int
apply_paths(struct snap *s, const char *const *paths, size_t n, int *walk)
{
  char rel[PATH_MAX];
  int error = 0, changed = 0;

  for (size_t i = 0; !error && !*walk && i < n; i++) {
    int r = norm_path(paths[i], rel, sizeof rel);
    if (r < 0)
      return r;
    if (r > 0 || !rel[0]) { /* odd, or the whole work tree */
      *walk = 1;
      break;
    }
    s->path[0] = '\0';
    error = apply_path(s, s->root, s->wdfd, 0, rel, walk, &changed);
  }
  s->path[0] = '\0';
  return error;
}

/* ---- trees, the commit, refs ---- */

/* Git's tree order: names compared as bytes, a directory as if its name
 * ended in "/". */
static int
cmp_tree_order(const void *pa, const void *pb)
{
  const struct node *a = *(struct node *const *)pa;
  const struct node *b = *(struct node *const *)pb;
  size_t la = strlen(a->name), lb = strlen(b->name), n = la < lb ? la : lb;
  int c = memcmp(a->name, b->name, n);
  if (c)
    return c;
  unsigned ca = la > n ? (unsigned char)a->name[n] : is_tree(a) ? '/' : 0;
  unsigned cb = lb > n ? (unsigned char)b->name[n] : is_tree(b) ? '/' : 0;
  return (int)ca - (int)cb;
}

static int
tbuf_reserve(struct snap *s, size_t need)
{
  if (need <= s->tcap)
    return 0;
  size_t cap = s->tcap ? s->tcap : 4096;
  while (cap < need)
    cap *= 2;
  unsigned char *b = realloc(s->tbuf, cap);
  if (!b)
    return nomem();
  s->tbuf = b;
  s->tcap = cap;
  return 0;
}

/* Computes (and stores, when new) the tree of every dirty directory under
 * dir, children first. */
static int
write_tree(struct snap *s, struct node *dir)
{
  int error = 0;
  struct node **order = dir->kids;
  size_t len = 0;
  git_oid id;
  unsigned char *copy;

  if (!dir->dirty)
    return 0;
  for (size_t i = 0; i < dir->nkids; i++)
    if (is_tree(dir->kids[i]) && (error = write_tree(s, dir->kids[i])))
      return error;
  /* strcmp order is tree order unless a directory's name is a prefix of a
   * sibling's ("a" and "a.txt"); sort a copy only then. */
  for (size_t i = 1; i < dir->nkids; i++) {
    if (cmp_tree_order(&dir->kids[i - 1], &dir->kids[i]) > 0) {
      if (!(order = malloc(dir->nkids * sizeof *order)))
        return nomem();
      memcpy(order, dir->kids, dir->nkids * sizeof *order);
      qsort(order, dir->nkids, sizeof *order, cmp_tree_order);
      break;
    }
  }
  for (size_t i = 0; i < dir->nkids; i++) {
    const struct node *k = order[i];
    size_t nl = strlen(k->name);
    if ((error = tbuf_reserve(s, len + 8 + nl + 1 + GIT_OID_RAWSZ)))
      goto done;
    len += (size_t)sprintf((char *)s->tbuf + len, "%o ", (unsigned)k->mode);
    memcpy(s->tbuf + len, k->name, nl + 1);
    len += nl + 1;
    memcpy(s->tbuf + len, k->oid.id, GIT_OID_RAWSZ);
    len += GIT_OID_RAWSZ;
  }
  git_odb_hash(&id, s->tbuf, len, GIT_OBJECT_TREE);
  if (!git_oid_equal(&id, &dir->oid)) {
    if (!(copy = malloc(len ? len : 1))) {
      error = nomem();
      goto done;
    }
    if (len) /* the empty tree: no buffer yet */
      memcpy(copy, s->tbuf, len);
    if ((error = snapstore_add(s, GIT_OBJECT_TREE, &id, copy, len)))
      goto done;
  }
  git_oid_cpy(&dir->oid, &id);
  dir->dirty = 0;

done:
  if (order != dir->kids)
    free(order);
  return error;
}

/* The commit object, as git_commit_create would write it. */
static int
make_commit(struct snap *s, const char *message, git_oid *id)
{
  char tree[GIT_OID_HEXSZ + 1], parent[GIT_OID_HEXSZ + 1], sig[128];
  time_t now = time(NULL);
  struct tm tm;
  long off;
  unsigned char *buf;
  size_t cap, len;

  localtime_r(&now, &tm);
  off = tm.tm_gmtoff / 60;
  snprintf(sig, sizeof sig, "%s <%s> %lld %c%02ld%02ld", SNAP_NAME, SNAP_EMAIL,
           (long long)now, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
  git_oid_tostr(tree, sizeof tree, &s->root->oid);
  git_oid_tostr(parent, sizeof parent, &s->head);
  cap = strlen(message) + 2 * sizeof sig + 3 * sizeof tree + 64;
  if (!(buf = malloc(cap)))
    return nomem();
  len = (size_t)snprintf((char *)buf, cap,
                         "tree %s\n%s%s%sauthor %s\ncommitter %s\n\n%s", tree,
                         s->born ? "parent " : "", s->born ? parent : "",
                         s->born ? "\n" : "", sig, sig, message);
  git_odb_hash(id, buf, len, GIT_OBJECT_COMMIT);
  return snapstore_add(s, GIT_OBJECT_COMMIT, id, buf, len);
}

/* Points the loose ref `name` at id the way git does (name.lock made with
 * O_EXCL, renamed over the ref): a loose ref outranks a packed one, and a
 * lock left by a killed host makes this fail until resume clears it. */
static int
write_ref(struct snap *s, const char *name, const git_oid *id)
{
  char path[PATH_MAX], lock[PATH_MAX + 8], line[GIT_OID_HEXSZ + 2];
  int valid = 0, fd;
  const char *gd = git_repository_path(s->repo);

  if (git_reference_name_is_valid(&valid, name) < 0 || !valid)
    return mlab_fail(MLAB_EINVAL, "snapshot: bad ref name '%s'", name);
  if (snprintf(path, sizeof path, "%s%s", gd, name) >= (int)sizeof path)
    return mlab_fail(MLAB_EINVAL, "snapshot: ref name too long: %s", name);
  snprintf(lock, sizeof lock, "%s.lock", path);
  fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) { /* a tag with "/" in its name */
    for (char *q = lock + strlen(gd); *q; q++) {
      if (*q != '/')
        continue;
      *q = '\0';
      mkdir(lock, 0755);
      *q = '/';
    }
    fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  }
  if (fd < 0)
    return sysfail("cannot lock", lock);
  git_oid_tostr(line, sizeof line, id);
  strcat(line, "\n");
  if (write(fd, line, GIT_OID_HEXSZ + 1) != GIT_OID_HEXSZ + 1) {
    int err = sysfail("cannot write", lock);
    close(fd);
    unlink(lock);
    return err;
  }
  close(fd);
  if (rename(lock, path) != 0) {
    int err = sysfail("cannot write", path);
    unlink(lock);
    return err;
  }
  return 0;
}

/* Moves the branch HEAD names (or HEAD itself, when detached) and the tag
 * to id.  No compare-and-swap: the run is the history's only writer. */
static int
move_refs(struct snap *s, const git_oid *id, const char *tag)
{
  int error = 0, gerr;
  git_reference *head = NULL;
  char name[512];

  if ((gerr = git_reference_lookup(&head, s->repo, "HEAD")) < 0)
    return gitfail(gerr, "cannot read", "HEAD");
  snprintf(name, sizeof name, "%s",
           git_reference_type(head) == GIT_REFERENCE_SYMBOLIC
               ? git_reference_symbolic_target(head)
               : "HEAD");
  git_reference_free(head);
  if ((error = write_ref(s, name, id)) || !tag)
    return error;
  if (snprintf(name, sizeof name, "refs/tags/%s", tag) >= (int)sizeof name)
    return mlab_fail(MLAB_EINVAL, "snapshot: tag too long: %s", tag);
  return write_ref(s, name, id);
}

/* The work tree is opened by its path at each commit: whoever holds the
 * handle may have replaced the folder itself since (an importer that puts
 * each step's copy in place), and a descriptor would still name the old,
 * deleted one.  One open per commit. */
static int
reopen_workdir(struct snap *s)
{
  int fd = open(s->workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sysfail("cannot open workspace", s->workdir);
  close(s->wdfd);
  s->wdfd = fd;
  return 0;
}

int
snap_commit_ex(struct snap *s, const char *tag, const char *message,
               const struct snap_commit_opts *o, char out_hex[SNAP_OID_HEX])
{
  int error = 0, walk = !o || !o->paths;
  git_oid id;

  if (s->wdfd < 0)
    return mlab_fail(MLAB_EINVAL, "snapshot: no workspace attached");
  if ((error = reopen_workdir(s)))
    return error;
  if (tag && !*tag)
    return mlab_fail(MLAB_EINVAL, "snapshot: empty tag name");
  clock_gettime(CLOCK_REALTIME_COARSE, &s->t0);
  if ((error = load_model(s)))
    goto done;
  s->path[0] = '\0';
  if (!walk)
    error = apply_paths(s, o->paths, o->npaths, &walk);
  if (!error && walk) {
    error = walk_dir(s, s->root, s->wdfd, 0);
    s->path[0] = '\0';
  }
  if (!error)
    s->root->dirty |= !s->born; /* the root commit writes its tree */
  if (error || (error = write_tree(s, s->root)) ||
      (error = make_commit(s, message ? message : "", &id)) ||
      (error = snapstore_flush(s)) || (error = move_refs(s, &id, tag)))
    goto done;
  git_oid_cpy(&s->head, &id);
  s->born = 1;
  s->committed = 1;
  if (out_hex)
    git_oid_tostr(out_hex, SNAP_OID_HEX, &id);
  if (!(o && (o->flags & SNAP_COMMIT_NOSYNC)))
    error = snap_sync(s, NULL);
  return error;

done:
  /* The tree in memory may be ahead of HEAD now: start again from HEAD. */
  snapstore_drop(s);
  snap_drop_model(s);
  return error;
}

int
snap_commit(struct snap *s, const char *tag, const char *message,
            char out_hex[SNAP_OID_HEX])
{
  return snap_commit_ex(s, tag, message, NULL, out_hex);
}

int
snap_sync(struct snap *s, const char *const *extra)
{
  struct stat g, st;

  if (syncfs(s->gitfd) != 0 || fstat(s->gitfd, &g) != 0)
    return sysfail("cannot flush", git_repository_path(s->repo));
  for (; extra && *extra; extra++) {
    if (stat(*extra, &st) != 0)
      return sysfail("cannot flush", *extra);
    if (st.st_dev == g.st_dev)
      continue;
    int fd = open(*extra, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || syncfs(fd) != 0) {
      int err = sysfail("cannot flush", *extra);
      if (fd >= 0)
        close(fd);
      return err;
    }
    close(fd);
  }
  return 0;
}

static int
lookup_commit(git_commit **out, struct snap *s, const char *rev)
{
  int error = 0, gerr;
  git_object *obj = NULL;

  *out = NULL;
  if (!rev || !*rev)
    return mlab_fail(MLAB_EINVAL, "snapshot: empty revision");
  if ((gerr = git_revparse_single(&obj, s->repo, rev)) < 0) {
    /* An unborn HEAD reports GIT_EUNBORNBRANCH: nothing to find either. */
    if (gerr == GIT_EUNBORNBRANCH)
      gerr = GIT_ENOTFOUND;
    error = gitfail(gerr, "no revision", rev);
    goto done;
  }
  if ((gerr = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT)) <
      0) {
    error = mlab_fail(MLAB_EINVAL, "snapshot: %s is not a commit: %s", rev,
                      gitmsg());
    goto done;
  }

done:
  git_object_free(obj);
  return error;
}

int
snap_resolve(struct snap *s, const char *rev, char out_hex[SNAP_OID_HEX])
{
  git_commit *c = NULL;
  int error = lookup_commit(&c, s, rev);
  if (!error)
    git_oid_tostr(out_hex, SNAP_OID_HEX, git_commit_id(c));
  git_commit_free(c);
  return error;
}

int
snap_tree(struct snap *s, const char *rev, char out_hex[SNAP_OID_HEX])
{
  git_commit *c = NULL;
  int error = lookup_commit(&c, s, rev);
  if (!error)
    git_oid_tostr(out_hex, SNAP_OID_HEX, git_commit_tree_id(c));
  git_commit_free(c);
  return error;
}

int
snap_tag(struct snap *s, const char *name, const char *rev)
{
  git_commit *c = NULL;
  git_oid oid;
  int error = lookup_commit(&c, s, rev);
  if (!error &&
      git_tag_create_lightweight(&oid, s->repo, name, (git_object *)c, 1) < 0)
    error = mlab_fail(MLAB_ERROR, "snapshot: cannot tag %s as %s: %s", rev,
                      name, git_error_last() ? git_error_last()->message : "?");
  git_commit_free(c);
  return error;
}

int
snap_untag(struct snap *s, const char *name)
{
  int rc = git_tag_delete(s->repo, name);
  if (rc == GIT_ENOTFOUND)
    return MLAB_ENOTFOUND;
  if (rc < 0)
    return mlab_fail(MLAB_ERROR, "snapshot: cannot remove tag %s: %s", name,
                     git_error_last() ? git_error_last()->message : "?");
  return 0;
}

/* A growing NUL-terminated buffer (curl's write-callback pattern). */
struct buf {
  char *p;
  size_t len, cap;
  int oom; /* set on a failed realloc: libgit2's -1 is ambiguous */
};

static int
buf_add(struct buf *b, const char *s, size_t n)
{
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = 1;
      return -1;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

static int
print_line(const git_diff_delta *d, const git_diff_hunk *h,
           const git_diff_line *l, void *payload)
{
  struct buf *b = payload;
  char origin = l->origin;

  (void)d;
  (void)h;
  /* Only content lines carry their marker in origin, not in content. */
  if ((origin == GIT_DIFF_LINE_CONTEXT || origin == GIT_DIFF_LINE_ADDITION ||
       origin == GIT_DIFF_LINE_DELETION) &&
      buf_add(b, &origin, 1) < 0)
    return -1;
  return buf_add(b, l->content, l->content_len);
}

/* The tree diff between two commits; a NULL old commit means b's parent,
 * or the empty tree when b is a root commit.  Renames are detected so
 * snap_changes can report "R". */
static int
diff_commits(git_diff **out, struct snap *s, git_commit *a, git_commit *b,
             const char *path)
{
  int error = 0, gerr;
  git_tree *ta = NULL, *tb = NULL;
  git_commit *pa = NULL;
  git_diff_options o;
  git_diff_find_options fo;
  char *spec[1];

  *out = NULL;
  git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
  git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
  if (!a && git_commit_parentcount(b) > 0) {
    if ((gerr = git_commit_parent(&pa, b, 0)) < 0) {
      error = gitfail(gerr, "no parent of", "commit");
      goto done;
    }
    a = pa;
  }
  if ((a && (gerr = git_commit_tree(&ta, a)) < 0) ||
      (gerr = git_commit_tree(&tb, b)) < 0) {
    error = gitfail(gerr, "cannot read", "tree");
    goto done;
  }
  if (path && *path) {
    spec[0] = (char *)path;
    o.pathspec.strings = spec;
    o.pathspec.count = 1;
  }
  fo.flags = GIT_DIFF_FIND_RENAMES;
  if ((gerr = git_diff_tree_to_tree(out, s->repo, ta, tb, &o)) < 0 ||
      (gerr = git_diff_find_similar(*out, &fo)) < 0) {
    error = gitfail(gerr, "cannot diff", path);
    goto done;
  }

done:
  if (error) {
    git_diff_free(*out);
    *out = NULL;
  }
  git_tree_free(ta);
  git_tree_free(tb);
  git_commit_free(pa);
  return error;
}

int
snap_diff(struct snap *s, const char *rev_a, const char *rev_b,
          const char *path, char **out)
{
  int error = 0, gerr;
  git_commit *a = NULL, *b = NULL;
  git_diff *diff = NULL;
  struct buf buf = {0};

  *out = NULL;
  if ((rev_a && (error = lookup_commit(&a, s, rev_a))) ||
      (error = lookup_commit(&b, s, rev_b)) ||
      (error = diff_commits(&diff, s, a, b, path)))
    goto done;
  /* Start with "" so an empty diff is an empty string, not NULL. */
  gerr = buf_add(&buf, "", 0);
  if (!gerr)
    gerr = git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, print_line, &buf);
  if (buf.oom) {
    error = mlab_fail(MLAB_ENOMEM, "snapshot: out of memory");
    goto done;
  } else if (gerr < 0) {
    error = gitfail(gerr, "cannot print diff", path);
    goto done;
  }
  *out = buf.p;
  buf.p = NULL;

done:
  free(buf.p);
  git_diff_free(diff);
  git_commit_free(a);
  git_commit_free(b);
  return error;
}

int
snap_changes(struct snap *s, const char *rev, char **out)
{
  int error = 0;
  git_commit *c = NULL;
  git_diff *diff = NULL;
  struct buf buf = {0};

  *out = NULL;
  if ((error = lookup_commit(&c, s, rev)) ||
      (error = diff_commits(&diff, s, NULL, c, NULL)))
    goto done;
  if (buf_add(&buf, "", 0) < 0)
    goto nomem;
  for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
    const git_diff_delta *d = git_diff_get_delta(diff, i);
    char st = git_diff_status_char(d->status);
    const char *p =
        d->status == GIT_DELTA_DELETED ? d->old_file.path : d->new_file.path;
    /* A rename names both sides, as `git status` does. */
    if (buf_add(&buf, &st, 1) < 0 || buf_add(&buf, " ", 1) < 0 ||
        (d->status == GIT_DELTA_RENAMED &&
         (buf_add(&buf, d->old_file.path, strlen(d->old_file.path)) < 0 ||
          buf_add(&buf, " -> ", 4) < 0)) ||
        buf_add(&buf, p, strlen(p)) < 0 || buf_add(&buf, "\n", 1) < 0)
      goto nomem;
  }
  *out = buf.p;
  buf.p = NULL;
  goto done;

nomem:
  error = mlab_fail(MLAB_ENOMEM, "snapshot: out of memory");
done:
  free(buf.p);
  git_diff_free(diff);
  git_commit_free(c);
  return error;
}

/* 1 when dir exists and has entries, 0 when empty or absent, <0 on error. */
static int
dir_nonempty(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int found = 0;

  if (!d)
    return errno == ENOENT ? 0 : -1;
  while (!found && (e = readdir(d)))
    found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  return found;
}

int
snap_checkout(struct snap *s, const char *rev, const char *dir)
{
  int error = 0, gerr, full;
  git_commit *c = NULL;
  git_checkout_options o;

  if (!dir || !*dir)
    return mlab_fail(MLAB_EINVAL, "snapshot: no checkout directory given");
  if ((full = dir_nonempty(dir)) < 0)
    return mlab_fail(MLAB_ERROR, "snapshot: checkout into %s: %s", dir,
                     strerror(errno));
  if (full)
    return mlab_fail(MLAB_EEXISTS, "snapshot: checkout into %s: not empty",
                     dir);
  /* libgit2 makes only the last component of target_directory. */
  if ((error = fsu_mkdir_p(dir)))
    return error;
  git_checkout_options_init(&o, GIT_CHECKOUT_OPTIONS_VERSION);
  if ((error = lookup_commit(&c, s, rev)))
    goto done;
  /* target_directory keeps the workspace and HEAD alone; DONT_UPDATE_INDEX
   * keeps the stat cache of the real work tree from being replaced by the
   * stat data of these copies. */
  o.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
  o.target_directory = dir;
  if ((gerr = git_checkout_tree(s->repo, (git_object *)c, &o)) < 0) {
    error = gitfail(gerr, "cannot check out", rev);
    goto done;
  }

done:
  git_commit_free(c);
  return error;
}

int
snap_restore(struct snap *s, const char *rev)
{
  int error = 0, gerr;
  git_commit *c = NULL;
  git_checkout_options o;

  if (s->wdfd < 0)
    return mlab_fail(MLAB_EINVAL, "snapshot: no workspace attached");
  git_checkout_options_init(&o, GIT_CHECKOUT_OPTIONS_VERSION);
  if ((error = lookup_commit(&c, s, rev)))
    goto done;
  /* REMOVE_IGNORED as well: snapshots ignore the workspace's .gitignore,
   * so the files it names must not survive a restore either. */
  o.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED |
                        GIT_CHECKOUT_REMOVE_IGNORED;
  if ((gerr = git_checkout_tree(s->repo, (git_object *)c, &o)) < 0) {
    error = gitfail(gerr, "cannot restore", rev);
    goto done;
  }
  /* A mixed reset moves the branch HEAD points to (so later snapshots
   * continue from rev and `git log` shows that line; the old steps stay
   * reachable by their tags) and makes the index exactly rev's tree,
   * keeping the stat data checkout just wrote for unchanged entries. */
  if ((gerr = git_reset(s->repo, (git_object *)c, GIT_RESET_MIXED, NULL)) < 0) {
    error = gitfail(gerr, "cannot reset to", rev);
    goto done;
  }

done:
  /* Files were rewritten: the next commit rehashes them once. */
  snap_drop_model(s);
  git_commit_free(c);
  return error;
}
