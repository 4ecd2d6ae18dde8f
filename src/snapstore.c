/* snapstore.c - the snapshot's object store (see snapshot_int.h).
 *
 * A commit's new objects are held in memory (struct pobj) until it ends,
 * then written in one go: loose when few, as git writes them, else as one
 * pack with its .idx, so that a first commit of 1,000 files is two files,
 * not 1,000.  Nothing is fsynced here (snap_sync is the one flush), so
 * after a power loss any of it may be torn: snap_repair removes what is
 * (objects that do not inflate to their id, packs whose length or checksum
 * is wrong, refs that hold no id, temporary files) and snap_has says
 * whether a commit can be read whole.
 */
#include "snapshot_int.h"
#include "fsutil.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* At this many new objects a commit writes one pack instead of loose
 * objects (bench/: 100 loose files cost more to create and flush). */
#define PACK_MIN 32
/* New objects are held in memory until the commit ends, up to this many
 * bytes; past it they are written out as a pack at once. */
#define PENDING_MAX ((size_t)64 << 20)

/* ---- SHA-1 for pack and index checksums (object ids use libgit2's) ---- */

struct sha1 {
  uint32_t h[5];
  uint64_t len;
  unsigned char buf[64];
  size_t n;
};

static void
sha1_init(struct sha1 *c)
{
  static const uint32_t h0[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                 0xC3D2E1F0};
  memcpy(c->h, h0, sizeof h0);
  c->len = 0;
  c->n = 0;
}

#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

static void
sha1_block(uint32_t h[5], const unsigned char *p)
{
  uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
           (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (int i = 16; i < 80; i++)
    w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    uint32_t t = ROL(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = ROL(b, 30);
    b = a;
    a = t;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

static void
sha1_update(struct sha1 *c, const void *data, size_t len)
{
  const unsigned char *p = data;
  c->len += len;
  if (c->n) {
    size_t take = 64 - c->n < len ? 64 - c->n : len;
    memcpy(c->buf + c->n, p, take);
    c->n += take;
    p += take;
    len -= take;
    if (c->n < 64)
      return;
    sha1_block(c->h, c->buf);
    c->n = 0;
  }
  for (; len >= 64; p += 64, len -= 64)
    sha1_block(c->h, p);
  memcpy(c->buf, p, len);
  c->n = len;
}

static void
sha1_final(struct sha1 *c, unsigned char out[20])
{
  uint64_t bits = c->len * 8;
  unsigned char pad = 0x80, zero = 0, lenb[8];
  sha1_update(c, &pad, 1);
  while (c->n != 56)
    sha1_update(c, &zero, 1);
  for (int i = 0; i < 8; i++)
    lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha1_update(c, lenb, 8);
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (unsigned char)(c->h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(c->h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(c->h[i] >> 8);
    out[4 * i + 3] = (unsigned char)c->h[i];
  }
}

void
snapstore_drop(struct snap *s)
{
  for (size_t i = 0; i < s->npend; i++)
    free(s->pend[i].data);
  s->npend = 0;
  s->pend_bytes = 0;
}

/* ---- writing objects ---- */

static const char *
type_name(git_object_t t)
{
  return t == GIT_OBJECT_BLOB     ? "blob"
         : t == GIT_OBJECT_TREE   ? "tree"
         : t == GIT_OBJECT_COMMIT ? "commit"
                                  : "tag";
}

/* A loose object as git writes one: zlib of "type size\0data", written to a
 * temporary file in its fan-out directory and renamed into place. */
static int
write_loose(struct snap *s, const struct pobj *o)
{
  int error = 0, fd = -1;
  char hex[GIT_OID_HEXSZ + 1], dir[PATH_MAX], tmp[PATH_MAX + 64],
      dst[PATH_MAX + 64];
  char hdr[64];
  unsigned char *z = NULL;
  int hlen = snprintf(hdr, sizeof hdr, "%s %zu", type_name(o->type), o->len);
  z_stream zs;
  uLong cap = compressBound((uLong)(o->len + (size_t)hlen + 1));

  git_oid_tostr(hex, sizeof hex, &o->oid);
  if (snprintf(dir, sizeof dir, "%s/%.2s", s->objdir, hex) >= (int)sizeof dir)
    return mlab_fail(MLAB_EINVAL, "snapshot: path too long: %s", s->objdir);
  snprintf(tmp, sizeof tmp, "%s/tmp_obj_XXXXXX", dir);
  snprintf(dst, sizeof dst, "%s/%s", dir, hex + 2);
  if (!(z = malloc(cap)))
    return nomem();
  memset(&zs, 0, sizeof zs);
  if (deflateInit(&zs, Z_BEST_SPEED) != Z_OK) {
    free(z);
    return nomem();
  }
  zs.next_out = z;
  zs.avail_out = (uInt)cap;
  zs.next_in = (unsigned char *)hdr;
  zs.avail_in = (uInt)hlen + 1; /* the NUL too */
  deflate(&zs, Z_NO_FLUSH);
  zs.next_in = o->data;
  zs.avail_in = (uInt)o->len;
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
    error = mlab_fail(MLAB_ERROR, "snapshot: cannot compress %s", hex);
    goto done;
  }
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
    error = sysfail("cannot create", dir);
    goto done;
  }
  if ((fd = mkstemp(tmp)) < 0) {
    error = sysfail("cannot create", tmp);
    goto done;
  }
  size_t n = zs.total_out;
  for (unsigned char *p = z; n > 0;) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0) {
      error = sysfail("cannot write", tmp);
      goto done;
    }
    p += w;
    n -= (size_t)w;
  }
  fchmod(fd, 0444);
  close(fd);
  fd = -1;
  if (rename(tmp, dst) != 0) {
    error = sysfail("cannot write", dst);
    goto done;
  }
  tmp[0] = '\0';

done:
  deflateEnd(&zs);
  if (fd >= 0)
    close(fd);
  if (error && tmp[0])
    unlink(tmp);
  free(z);
  return error;
}

/* A buffered writer that checksums what it writes (for packs). */
struct pw {
  int fd;
  size_t n;
  uint64_t pos;
  struct sha1 sha;
  uLong crc;
  unsigned char buf[1 << 16];
};

static int
pw_flush(struct pw *w)
{
  unsigned char *p = w->buf;
  while (w->n > 0) {
    ssize_t r = write(w->fd, p, w->n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      return -1;
    p += r;
    w->n -= (size_t)r;
  }
  return 0;
}

static int
pw_put(struct pw *w, const void *data, size_t len)
{
  const unsigned char *p = data;
  sha1_update(&w->sha, p, len);
  w->crc = crc32(w->crc, p, (uInt)len);
  w->pos += len;
  while (len > 0) {
    size_t take = sizeof w->buf - w->n < len ? sizeof w->buf - w->n : len;
    memcpy(w->buf + w->n, p, take);
    w->n += take;
    p += take;
    len -= take;
    if (w->n == sizeof w->buf && pw_flush(w) != 0)
      return -1;
  }
  return 0;
}

static void
be32(unsigned char *p, uint32_t v)
{
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

static uint32_t
get_be32(const unsigned char *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* One object of a pack: the type-and-size header, then zlib data.  The
 * crc32 of both goes in the index. */
static int
pack_object(struct pw *w, const struct pobj *o, z_stream *zs)
{
  unsigned char hdr[16], out[1 << 15];
  size_t k = 0, size = o->len;
  unsigned c = ((unsigned)o->type << 4) | (size & 15);
  size >>= 4;
  while (size) {
    hdr[k++] = (unsigned char)(c | 0x80);
    c = size & 0x7f;
    size >>= 7;
  }
  hdr[k++] = (unsigned char)c;
  w->crc = crc32(0, NULL, 0);
  if (pw_put(w, hdr, k) != 0 || deflateReset(zs) != Z_OK)
    return -1;
  zs->next_in = o->data;
  zs->avail_in = (uInt)o->len;
  for (;;) {
    zs->next_out = out;
    zs->avail_out = sizeof out;
    int z = deflate(zs, Z_FINISH);
    if (z != Z_OK && z != Z_STREAM_END && z != Z_BUF_ERROR)
      return -1;
    if (pw_put(w, out, sizeof out - zs->avail_out) != 0)
      return -1;
    if (z == Z_STREAM_END)
      return 0;
  }
}

static int
cmp_pobj(const void *a, const void *b)
{
  return git_oid_cmp(&((const struct pobj *)a)->oid,
                     &((const struct pobj *)b)->oid);
}

/* Writes the pending objects (sorted by id, no duplicates) as one pack and
 * its version-2 index, the way git's index-pack lays them out; the index
 * is renamed into place last, so a reader never sees it without its pack. */
static int
write_pack(struct snap *s)
{
  int error = 0;
  size_t n = s->npend, nlarge = 0, isz;
  uint64_t *offs = NULL;
  uint32_t *crcs = NULL;
  unsigned char *idx = NULL, packsum[20], *q;
  char ptmp[PATH_MAX], itmp[PATH_MAX], dst[PATH_MAX], hex[41];
  struct pw *w = NULL;
  z_stream zs;
  int zinit = 0, ifd = -1;
  struct sha1 isha;

  ptmp[0] = itmp[0] = '\0';
  memset(&zs, 0, sizeof zs);
  if (!(offs = calloc(n, sizeof *offs)) || !(crcs = calloc(n, sizeof *crcs)) ||
      !(w = malloc(sizeof *w))) {
    error = nomem();
    goto done;
  }
  w->fd = -1;
  w->crc = crc32(0, NULL, 0);
  if (deflateInit(&zs, Z_BEST_SPEED) != Z_OK) {
    error = nomem();
    goto done;
  }
  zinit = 1;
  snprintf(ptmp, sizeof ptmp, "%s/pack", s->objdir);
  mkdir(ptmp, 0755); /* git init makes it; a copied history may lack it */
  snprintf(ptmp, sizeof ptmp, "%s/pack/tmp_pack_XXXXXX", s->objdir);
  if ((w->fd = mkstemp(ptmp)) < 0) {
    ptmp[0] = '\0';
    error = sysfail("cannot create a pack in", s->objdir);
    goto done;
  }
  w->n = 0;
  w->pos = 0;
  sha1_init(&w->sha);
  unsigned char head[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};
  be32(head + 8, (uint32_t)n);
  if (pw_put(w, head, sizeof head) != 0)
    goto ioerr;
  for (size_t i = 0; i < n; i++) {
    offs[i] = w->pos;
    if (offs[i] >= 0x80000000u)
      nlarge++;
    if (pack_object(w, &s->pend[i], &zs) != 0)
      goto ioerr;
    crcs[i] = (uint32_t)w->crc;
  }
  sha1_final(&w->sha, packsum);
  memcpy(w->buf + w->n, packsum, 20); /* the trailer is not summed */
  w->n += 20;
  if (pw_flush(w) != 0)
    goto ioerr;
  fchmod(w->fd, 0444);
  close(w->fd);
  w->fd = -1;

  isz = 8 + 256 * 4 + n * (20 + 4 + 4) + nlarge * 8 + 40;
  if (!(idx = malloc(isz))) {
    error = nomem();
    goto done;
  }
  q = idx;
  memcpy(q, "\377tOc\0\0\0\2", 8);
  q += 8;
  for (unsigned b = 0, i = 0; b < 256; b++) {
    while (i < n && s->pend[i].oid.id[0] <= b)
      i++;
    be32(q + 4 * b, (uint32_t)i);
  }
  q += 1024;
  for (size_t i = 0; i < n; i++, q += 20)
    memcpy(q, s->pend[i].oid.id, 20);
  for (size_t i = 0; i < n; i++, q += 4)
    be32(q, crcs[i]);
  unsigned char *large = q + 4 * n;
  for (size_t i = 0, l = 0; i < n; i++, q += 4) {
    if (offs[i] < 0x80000000u) {
      be32(q, (uint32_t)offs[i]);
      continue;
    }
    be32(q, 0x80000000u | (uint32_t)l);
    be32(large + 8 * l, (uint32_t)(offs[i] >> 32));
    be32(large + 8 * l + 4, (uint32_t)offs[i]);
    l++;
  }
  q = large + 8 * nlarge;
  memcpy(q, packsum, 20);
  sha1_init(&isha);
  sha1_update(&isha, idx, (size_t)(q + 20 - idx));
  sha1_final(&isha, q + 20);

  snprintf(itmp, sizeof itmp, "%s/pack/tmp_idx_XXXXXX", s->objdir);
  if ((ifd = mkstemp(itmp)) < 0) {
    itmp[0] = '\0';
    goto ioerr;
  }
  for (size_t off = 0; off < isz;) {
    ssize_t r = write(ifd, idx + off, isz - off);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      goto ioerr;
    off += (size_t)r;
  }
  fchmod(ifd, 0444);
  close(ifd);
  ifd = -1;

  for (int i = 0; i < 20; i++)
    snprintf(hex + 2 * i, 3, "%02x", packsum[i]);
  snprintf(dst, sizeof dst, "%s/pack/pack-%s.pack", s->objdir, hex);
  if (rename(ptmp, dst) != 0)
    goto ioerr;
  ptmp[0] = '\0';
  snprintf(dst, sizeof dst, "%s/pack/pack-%s.idx", s->objdir, hex);
  if (rename(itmp, dst) != 0)
    goto ioerr;
  itmp[0] = '\0';
  /* libgit2 lists packs once; tell it about the new one. */
  git_odb_refresh(s->odb);
  goto done;

ioerr:
  error = sysfail("cannot write a pack in", s->objdir);
done:
  if (zinit)
    deflateEnd(&zs);
  if (w && w->fd >= 0)
    close(w->fd);
  if (ifd >= 0)
    close(ifd);
  if (ptmp[0])
    unlink(ptmp);
  if (itmp[0])
    unlink(itmp);
  free(idx);
  free(w);
  free(offs);
  free(crcs);
  return error;
}

/* Writes the objects collected so far: loose when few, else one pack. */
int
snapstore_flush(struct snap *s)
{
  int error = 0;
  size_t j = 0;

  if (!s->npend)
    return 0;
  qsort(s->pend, s->npend, sizeof *s->pend, cmp_pobj);
  for (size_t i = 0; i < s->npend; i++) {
    if (j && git_oid_equal(&s->pend[j - 1].oid, &s->pend[i].oid)) {
      free(s->pend[i].data);
      continue;
    }
    s->pend[j++] = s->pend[i];
  }
  s->npend = j;
  if (s->npend >= PACK_MIN)
    error = write_pack(s);
  else
    for (size_t i = 0; !error && i < s->npend; i++)
      error = write_loose(s, &s->pend[i]);
  snapstore_drop(s);
  return error;
}

int
snapstore_has(struct snap *s, const git_oid *id)
{
  return git_odb_exists_ext(s->odb, id, GIT_ODB_LOOKUP_NO_REFRESH);
}

/* Takes data (malloc'd; ours from here on) as object id, unless the
 * object database already has it. */
int
snapstore_add(struct snap *s, git_object_t type, const git_oid *id,
           unsigned char *data, size_t len)
{
  if (snapstore_has(s, id)) {
    free(data);
    return 0;
  }
  if (s->npend == s->cappend) {
    size_t cap = s->cappend ? 2 * s->cappend : 64;
    struct pobj *p = realloc(s->pend, cap * sizeof *p);
    if (!p) {
      free(data);
      return nomem();
    }
    s->pend = p;
    s->cappend = cap;
  }
  struct pobj *o = &s->pend[s->npend++];
  git_oid_cpy(&o->oid, id);
  o->type = type;
  o->data = data;
  o->len = len;
  s->pend_bytes += len;
  return s->pend_bytes > PENDING_MAX ? snapstore_flush(s) : 0;
}
/* ---- after a crash ---- */

static int
is_hex(const char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!isxdigit((unsigned char)p[i]) || isupper((unsigned char)p[i]))
      return 0;
  return p[n] == '\0';
}

/* A whole file, for the checks of repair: -1 when it cannot be read (the
 * caller counts the file as torn and goes on; the message is not used). */
static int
read_all(const char *path, unsigned char **out, size_t *len)
{
  return fsu_read(path, (char **)out, len) ? -1 : 0;
}

/* A pack is whole when its index checks out, and the pack has the length
 * the index implies and the checksum both name. */
static int
pack_ok(const char *idxpath, const char *packpath)
{
  unsigned char *idx = NULL, *pack = NULL, sum[20];
  size_t ilen = 0, plen = 0;
  int ok = 0;
  struct sha1 c;

  if (read_all(idxpath, &idx, &ilen) != 0 ||
      read_all(packpath, &pack, &plen) != 0)
    goto done;
  if (ilen < 8 + 1024 + 40 || memcmp(idx, "\377tOc\0\0\0\2", 8) != 0)
    goto done;
  uint32_t n = get_be32(idx + 8 + 255 * 4);
  if (ilen < 8 + 1024 + (size_t)n * 28 + 40)
    goto done;
  sha1_init(&c);
  sha1_update(&c, idx, ilen - 20);
  sha1_final(&c, sum);
  if (memcmp(sum, idx + ilen - 20, 20) != 0)
    goto done;
  if (plen < 32 || memcmp(pack, "PACK", 4) != 0 || get_be32(pack + 8) != n)
    goto done;
  sha1_init(&c);
  sha1_update(&c, pack, plen - 20);
  sha1_final(&c, sum);
  ok = memcmp(sum, pack + plen - 20, 20) == 0 &&
       memcmp(sum, idx + ilen - 40, 20) == 0;

done:
  free(idx);
  free(pack);
  return ok;
}

static int
repair_packs(struct snap *s, int *removed)
{
  char dir[PATH_MAX], a[PATH_MAX * 2], b[PATH_MAX * 2];
  DIR *d;
  struct dirent *e;

  snprintf(dir, sizeof dir, "%s/pack", s->objdir);
  if (!(d = opendir(dir)))
    return errno == ENOENT ? 0 : sysfail("cannot list", dir);
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    snprintf(a, sizeof a, "%s/%s", dir, e->d_name);
    if (!strncmp(e->d_name, "tmp_", 4)) {
      if (unlink(a) == 0)
        (*removed)++;
      continue;
    }
    if (l < 5 || strncmp(e->d_name, "pack-", 5))
      continue;
    const char *dot = strrchr(e->d_name, '.');
    if (!dot || (strcmp(dot, ".idx") && strcmp(dot, ".pack")))
      continue;
    snprintf(b, sizeof b, "%s/%.*s.%s", dir, (int)(dot - e->d_name), e->d_name,
             strcmp(dot, ".idx") ? "idx" : "pack");
    if (!strcmp(dot, ".pack")) {
      if (access(b, F_OK) != 0 && unlink(a) == 0) /* no index: unreadable */
        (*removed)++;
      continue;
    }
    if (!pack_ok(a, b)) {
      /* The index first: without it the pack is never read. */
      if (unlink(a) == 0)
        (*removed)++;
      if (unlink(b) == 0)
        (*removed)++;
    }
  }
  closedir(d);
  return 0;
}

static int
repair_loose(struct snap *s, int *removed)
{
  int error = 0, gerr;
  git_odb *odb = NULL;
  git_odb_backend *be = NULL;
  char dir[PATH_MAX], p[PATH_MAX * 2], hex[GIT_OID_HEXSZ + 1];
  git_oid id;

  /* An object database of the loose objects alone, so each is read from
   * its own file (strict hash checking is libgit2's default). */
  if ((gerr = git_odb_new(&odb)) < 0 ||
      (gerr = git_odb_backend_loose(&be, s->objdir, -1, 0, 0, 0)) < 0 ||
      (gerr = git_odb_add_backend(odb, be, 1)) < 0) {
    if (be && gerr < 0 && odb)
      be->free(be);
    error = gitfail(gerr, "cannot check objects in", s->objdir);
    goto done;
  }
  for (int i = 0; i < 256; i++) {
    DIR *d;
    struct dirent *e;
    snprintf(dir, sizeof dir, "%s/%02x", s->objdir, i);
    if (!(d = opendir(dir)))
      continue;
    while ((e = readdir(d))) {
      snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
      if (!strncmp(e->d_name, "tmp_", 4)) {
        if (unlink(p) == 0)
          (*removed)++;
        continue;
      }
      if (!is_hex(e->d_name, GIT_OID_HEXSZ - 2))
        continue;
      snprintf(hex, sizeof hex, "%02x%.38s", i, e->d_name);
      git_oid_fromstr(&id, hex);
      git_odb_object *obj = NULL;
      gerr = git_odb_read(&obj, odb, &id);
      git_odb_object_free(obj);
      if (gerr < 0 && gerr != GIT_ENOTFOUND && unlink(p) == 0)
        (*removed)++;
    }
    closedir(d);
  }

done:
  git_odb_free(odb);
  return error;
}

/* Loose refs that do not hold an id or a symbolic target. */
static void
repair_refs(const char *dir, int *removed)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char p[PATH_MAX * 2];
  struct stat st;

  if (!d)
    return;
  while ((e = readdir(d))) {
    unsigned char *b = NULL;
    size_t n = 0;
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
      continue;
    snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    if (lstat(p, &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      repair_refs(p, removed);
      continue;
    }
    if (!S_ISREG(st.st_mode) || strstr(e->d_name, ".lock"))
      continue;
    if (read_all(p, &b, &n) != 0)
      continue;
    int ok = (n == GIT_OID_HEXSZ + 1 && b[GIT_OID_HEXSZ] == '\n') ||
             (n > 5 && !memcmp(b, "ref: ", 5));
    if (ok && n == GIT_OID_HEXSZ + 1) {
      b[GIT_OID_HEXSZ] = '\0';
      ok = is_hex((char *)b, GIT_OID_HEXSZ);
    }
    free(b);
    if (!ok && unlink(p) == 0)
      (*removed)++;
  }
  closedir(d);
}

int
snap_repair(struct snap *s, int *removed)
{
  int error, n = 0;
  char refs[PATH_MAX];

  if (!(error = repair_packs(s, &n)))
    error = repair_loose(s, &n);
  snprintf(refs, sizeof refs, "%srefs", git_repository_path(s->repo));
  repair_refs(refs, &n);
  git_odb_refresh(s->odb);
  snap_drop_model(s);
  if (removed)
    *removed = n;
  return error;
}

/* 1 when every object of tree id that old (a tree id, or NULL) lacks can
 * be read. */
static int
tree_has(struct snap *s, const git_oid *id, const git_oid *old)
{
  git_tree *t = NULL, *ot = NULL;
  int ok = 1;

  if (old && git_oid_equal(id, old))
    return 1;
  if (git_tree_lookup(&t, s->repo, id) < 0)
    return 0;
  if (old && git_tree_lookup(&ot, s->repo, old) < 0)
    ot = NULL;
  for (size_t i = 0; ok && i < git_tree_entrycount(t); i++) {
    const git_tree_entry *e = git_tree_entry_byindex(t, i);
    const git_tree_entry *oe =
        ot ? git_tree_entry_byname(ot, git_tree_entry_name(e)) : NULL;
    const git_oid *eid = git_tree_entry_id(e);
    size_t len;
    git_object_t type;
    if (oe && git_oid_equal(git_tree_entry_id(oe), eid))
      continue;
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
      ok = tree_has(s, eid,
                    oe && git_tree_entry_type(oe) == GIT_OBJECT_TREE
                        ? git_tree_entry_id(oe)
                        : NULL);
    else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB)
      ok = git_odb_read_header(&len, &type, s->odb, eid) == 0;
  }
  git_tree_free(t);
  git_tree_free(ot);
  return ok;
}

int
snap_has(struct snap *s, const char *hex)
{
  git_oid id;
  git_commit *c = NULL, *p = NULL;
  int ok;

  if (!hex || strlen(hex) != GIT_OID_HEXSZ || git_oid_fromstr(&id, hex) < 0)
    return mlab_fail(MLAB_EINVAL, "snapshot: not a commit id: %s",
                     hex ? hex : "(null)");
  if (git_commit_lookup(&c, s->repo, &id) < 0)
    return 0;
  if (git_commit_parentcount(c) > 0 && git_commit_parent(&p, c, 0) < 0)
    ok = 0;
  else
    ok = tree_has(s, git_commit_tree_id(c), p ? git_commit_tree_id(p) : NULL);
  git_commit_free(p);
  git_commit_free(c);
  return ok;
}

