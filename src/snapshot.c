/* snapshot.c - workspace history with libgit2; see snapshot.h.
 *
 * Lifetime of libgit2: every snap_open calls git_libgit2_init and every
 * snap_free the matching git_libgit2_shutdown.  libgit2 refcounts these, so
 * several open snapshots (or another module using libgit2) are fine, and the
 * last free releases libgit2's global state (valgrind stays clean).
 */
#include "snapshot.h"
#include "error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct snap {
  git_repository *repo;
  int wdfd;         /* the work tree, for fstatat in the add callback */
  size_t max_bytes; /* 0: no limit */
  char **frozen;    /* NULL-terminated copies of the patterns, or NULL */
  const git_index_entry *held; /* frozen entries held out while staging, */
  size_t nheld;                /* sorted by path (index order) */
  int born;                    /* set per commit: HEAD already has a commit */
};

/* Identity is fixed so history is reproducible and says nothing about the
 * host user. */
#define SNAP_NAME "mlab"
#define SNAP_EMAIL "mlab@localhost"

static const char *
gitmsg(void)
{
  const git_error *e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

/* Maps a libgit2 failure to our codes with one line naming the action. */
static int
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

int
snap_open(struct snap **out, const char *gitdir, const char *workdir)
{
  int error = 0, gerr;
  struct snap *s = NULL;
  struct stat st;

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
  /* Objects, refs and the index are fsynced: a step's commit must survive
   * a crash of the host right after it (resume depends on it). */
  git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);

  if (!(s = calloc(1, sizeof *s))) {
    error = mlab_fail(MLAB_ENOMEM, "snapshot: out of memory");
    goto done;
  }
  s->wdfd = -1;

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

  if (workdir) {
    /* update_gitlink 0: the work tree is attached in memory only. */
    if ((gerr = git_repository_set_workdir(s->repo, workdir, 0)) < 0) {
      error = gitfail(gerr, "cannot attach workspace", workdir);
      goto done;
    }
    s->wdfd = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->wdfd < 0) {
      error = mlab_fail(MLAB_ERROR, "snapshot: workspace %s: %s", workdir,
                        strerror(errno));
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

void
snap_free(struct snap *s)
{
  if (!s)
    return;
  git_repository_free(s->repo);
  if (s->wdfd >= 0)
    close(s->wdfd);
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
      return mlab_fail(MLAB_ENOMEM, "snapshot: out of memory");
    for (size_t i = 0; i < n; i++) {
      if (!(copy[i] = strdup(patterns[i]))) {
        free_patterns(copy);
        return mlab_fail(MLAB_ENOMEM, "snapshot: out of memory");
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

static int
cmp_held(const void *key, const void *elem)
{
  return strcmp(key, ((const git_index_entry *)elem)->path);
}

/* Called by add_all and update_all for each path whose stat data differs
 * from the index (they walk a diff, so unchanged files never get here).
 * Returning >0 skips the path and leaves its index entry, if any, as it
 * was.  A frozen file is recorded the first time it is seen (so a
 * submission.csv matching "*.csv" still enters history) and held as it
 * was from then on (hold_frozen).  A file above the size limit that was
 * small in an earlier snapshot keeps its earlier content. */
static int
add_filter(const char *path, const char *spec, void *payload)
{
  struct snap *s = payload;
  struct stat st;

  (void)spec;
  if (s->nheld &&
      bsearch(path, s->held, s->nheld, sizeof *s->held, cmp_held) != NULL)
    return 1;
  if (s->max_bytes && fstatat(s->wdfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISREG(st.st_mode) && (size_t)st.st_size > s->max_bytes)
    return 1;
  return 0;
}

static void
free_held(git_index_entry *held, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free((char *)held[i].path);
  free(held);
}

/* Takes the frozen entries out of the index, copied into *out, to be put
 * back unchanged after staging.  The add callback alone is not enough: the
 * index-to-workdir diff that add_all and update_all walk hashes a changed
 * file before it asks the callback, so a rewritten 200 MB frozen file
 * would cost two full hashes (about 3 s each here) on every later step,
 * its stat data never being refreshed.  Out of the index it is merely an
 * untracked path, which the diff lists without reading it. */
static int
hold_frozen(git_index_entry **out, size_t *nout, struct snap *s, git_index *idx)
{
  int error = 0, gerr;
  size_t n = 0, cap = 0;
  git_index_entry *held = NULL;

  *out = NULL;
  *nout = 0;
  if (!s->frozen)
    return 0;
  for (size_t i = 0; i < git_index_entrycount(idx); i++) {
    const git_index_entry *e = git_index_get_byindex(idx, i);
    if (git_index_entry_stage(e) != 0 || !is_frozen(s, e->path))
      continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 16;
      git_index_entry *more = realloc(held, cap * sizeof *held);
      if (!more)
        goto nomem;
      held = more;
    }
    held[n] = *e;
    if (!(held[n].path = strdup(e->path)))
      goto nomem;
    n++;
  }
  for (size_t i = 0; i < n; i++) {
    if ((gerr = git_index_remove(idx, held[i].path, 0)) < 0) {
      error = gitfail(gerr, "cannot hold frozen", held[i].path);
      goto done;
    }
  }
  *out = held;
  *nout = n;
  held = NULL;
  n = 0;
  goto done;

nomem:
  error = mlab_fail(MLAB_ENOMEM, "snapshot: out of memory");
done:
  free_held(held, n);
  return error;
}

int
snap_commit(struct snap *s, const char *tag, const char *message,
            char out_hex[SNAP_OID_HEX])
{
  int error = 0, gerr;
  git_index *idx = NULL;
  git_tree *tree = NULL;
  git_commit *parent = NULL;
  git_signature *sig = NULL;
  git_object *obj = NULL;
  git_oid tree_id, commit_id, tag_id, head_id;
  git_index_entry *held = NULL;
  size_t nheld = 0;

  if (s->wdfd < 0)
    return mlab_fail(MLAB_EINVAL, "snapshot: no workspace attached");

  gerr = git_reference_name_to_id(&head_id, s->repo, "HEAD");
  if (gerr == 0)
    gerr = git_commit_lookup(&parent, s->repo, &head_id);
  else if (gerr == GIT_ENOTFOUND)
    gerr = 0; /* unborn HEAD: this is the root commit */
  if (gerr < 0) {
    error = gitfail(gerr, "cannot read", "HEAD");
    goto done;
  }
  s->born = parent != NULL;

  /* The on-disk index carries the stat cache that keeps a step cheap;
   * read it (force 0: only if another handle rewrote it). */
  if ((gerr = git_repository_index(&idx, s->repo)) < 0 ||
      (gerr = git_index_read(idx, 0)) < 0) {
    error = gitfail(gerr, "cannot read", "index");
    goto done;
  }
  if (s->born && (error = hold_frozen(&held, &nheld, s, idx)))
    goto done;
  s->held = held;
  s->nheld = nheld;
  /* FORCE: the workspace's .gitignore is not honoured, so an agent cannot
   * hide files from history.  update_all records deletions, which add_all
   * alone leaves in the index. */
  if ((gerr = git_index_add_all(idx, NULL, GIT_INDEX_ADD_FORCE, add_filter,
                                s)) < 0 ||
      (gerr = git_index_update_all(idx, NULL, add_filter, s)) < 0) {
    error = gitfail(gerr, "cannot stage", "workspace");
    goto done;
  }
  s->held = NULL;
  s->nheld = 0;
  for (size_t i = 0; i < nheld; i++) {
    if ((gerr = git_index_add(idx, &held[i])) < 0) {
      error = gitfail(gerr, "cannot keep frozen", held[i].path);
      goto done;
    }
  }
  if ((gerr = git_index_write(idx)) < 0 ||
      (gerr = git_index_write_tree(&tree_id, idx)) < 0 ||
      (gerr = git_tree_lookup(&tree, s->repo, &tree_id)) < 0) {
    error = gitfail(gerr, "cannot write", "tree");
    goto done;
  }

  if ((gerr = git_signature_now(&sig, SNAP_NAME, SNAP_EMAIL)) < 0) {
    error = gitfail(gerr, "cannot make", "signature");
    goto done;
  }
  /* Committed even when the tree equals the parent's: every step has a
   * commit and a tag, which resume and diff rely on. */
  gerr = git_commit_create(&commit_id, s->repo, "HEAD", sig, sig, NULL,
                           message ? message : "", tree, parent ? 1 : 0,
                           (const git_commit **)&parent);
  if (gerr < 0) {
    error = gitfail(gerr, "cannot commit", tag);
    goto done;
  }

  if (tag) {
    if ((gerr = git_object_lookup(&obj, s->repo, &commit_id,
                                  GIT_OBJECT_COMMIT)) < 0 ||
        (gerr = git_tag_create_lightweight(&tag_id, s->repo, tag, obj, 1)) <
            0) {
      error = gitfail(gerr, "cannot tag", tag);
      goto done;
    }
  }
  if (out_hex)
    git_oid_tostr(out_hex, SNAP_OID_HEX, &commit_id);

done:
  git_object_free(obj);
  git_signature_free(sig);
  git_commit_free(parent);
  git_tree_free(tree);
  git_index_free(idx);
  s->held = NULL;
  s->nheld = 0;
  free_held(held, nheld);
  return error;
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

/* mkdir -p: libgit2 makes only the last component of target_directory. */
static int
mkdir_p(const char *dir)
{
  char p[4096];
  size_t n = strlen(dir);

  if (n >= sizeof p) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(p, dir, n + 1);
  for (char *q = p + 1; *q; q++) {
    if (*q != '/')
      continue;
    *q = '\0';
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
      return -1;
    *q = '/';
  }
  return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
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
  if (mkdir_p(dir) != 0)
    return mlab_fail(MLAB_ERROR, "snapshot: checkout into %s: %s", dir,
                     strerror(errno));
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
  git_commit_free(c);
  return error;
}
