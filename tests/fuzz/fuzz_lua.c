/* fuzz_lua.c - the libFuzzer harness for mlab's parsers of untrusted text.
 *
 * Built once per target (CMake: -DMLAB_FUZZ=ON, clang) with FUZZ_TARGET
 * naming a driver, tests/fuzz/<target>.lua: a chunk that returns
 * function(data).  The state is the host's own (lh_new: the counting
 * allocator, the preloaded mlab.* modules, package.path on lua/ and
 * stdlib/), so the driver requires the real modules and the bytes reach
 * the real C bindings.
 *
 * What counts as a finding: a C crash, a sanitizer report (ASan, UBSan,
 * LeakSanitizer), a hang past -timeout, or fuzz.fail(msg) from a driver
 * whose module promised not to raise.  A Lua error of a module is an
 * outcome, not a finding (the drivers call modules under pcall); so is
 * running out of the Lua heap, which is capped (FUZZ_MEM) so that an input
 * asking for a huge string is refused, not reported as a leak or an RSS
 * overrun.  An error escaping a driver stops the run: the driver itself
 * is broken (a module API it calls has moved).
 *
 * Coverage: libFuzzer sees the C code through -fsanitize=fuzzer, but the
 * parsers are Lua, which runs in Debian's (uninstrumented) liblua.  A line
 * hook feeds Lua's own coverage to libFuzzer: each (previous line, line)
 * pair of the project's Lua files bumps a counter in the
 * __libfuzzer_extra_counters section, which libFuzzer reads as features.
 * Lines of chunks that are not project files (a task file made from the
 * input) are not counted: they would reward inputs for their own length.
 *
 * The driver sees a global table `fuzz`:
 *   fuzz.fail(msg)   reports a broken contract (abort: libFuzzer saves the
 *                    input)
 *   fuzz.tmp         a private temporary directory (removed at exit)
 *   fuzz.port        (FUZZ_HTTP) a loopback HTTP server that answers every
 *                    request with the current input, bytes as they are
 *   fuzz.set_reply(s) (FUZZ_HTTP) what that server answers from now on
 */
#include "http.h"
#include "luahost.h"

#include <lauxlib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef FUZZ_HTTP
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#endif

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET names the driver, tests/fuzz/<target>.lua"
#endif

#define FUZZ_MEM ((size_t)256 << 20) /* Lua heap cap per state */
#define COV_SIZE (1 << 16)

__attribute__((
    used,
    section("__libfuzzer_extra_counters"))) static uint8_t lua_cov[COV_SIZE];

static struct lh_run run;
static lua_State *L;
static int driver_ref = LUA_NOREF;
static char tmpdir[] = "/tmp/mlab-fuzz.XXXXXX";
static char root_prefix[4200]; /* "@<root>/": chunks of project files */
static size_t root_prefix_len;

/* -- Lua line coverage ---------------------------------------------------- */

static const char *last_source;
static uintptr_t last_source_hash; /* 0: not a project file */
static uintptr_t prev_loc;

static uintptr_t
hash_str(const char *s)
{
  uintptr_t h = 1469598103934665603u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211u;
  return h | 1;
}

static void
cov_hook(lua_State *L1, lua_Debug *ar)
{
  if (!lua_getinfo(L1, "S", ar) || !ar->source)
    return;
  /* The source string lives as long as its function: the pointer is a
   * cheap cache key, its text the stable identity. */
  if (ar->source != last_source) {
    last_source = ar->source;
    last_source_hash = strncmp(ar->source, root_prefix, root_prefix_len) == 0
                           ? hash_str(ar->source)
                           : 0;
  }
  if (!last_source_hash)
    return;
  uintptr_t loc =
      (last_source_hash + (uintptr_t)ar->currentline * 40503u) * 2654435761u;
  loc ^= loc >> 15;
  uint8_t *c = &lua_cov[(loc ^ prev_loc) & (COV_SIZE - 1)];
  if (*c < 255)
    (*c)++;
  prev_loc = loc >> 1;
}

/* -- the loopback server (FUZZ_HTTP) -------------------------------------- */

#ifdef FUZZ_HTTP
static pthread_mutex_t reply_lock = PTHREAD_MUTEX_INITIALIZER;
static char *reply;
static size_t reply_len;
static int listen_fd = -1;

/* Reads a whole request (headers, then Content-Length bytes of body), so
 * that closing the socket never resets a connection with unread data. */
static void
read_request(int fd)
{
  char buf[65536];
  size_t have = 0;
  long body = -1;
  char *end = NULL;
  for (;;) {
    ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
    if (n <= 0)
      return;
    have += (size_t)n;
    buf[have] = '\0';
    if (!end && (end = strstr(buf, "\r\n\r\n"))) {
      const char *cl = strcasestr(buf, "\r\ncontent-length:");
      body = cl ? strtol(cl + 17, NULL, 10) : 0;
    }
    if (end && (long)(have - (size_t)(end + 4 - buf)) >= body)
      return;
    if (have == sizeof buf - 1) {
      /* A body larger than the buffer: keep only the count. */
      size_t head = end ? (size_t)(end + 4 - buf) : 0;
      if (!end)
        return;
      body -= (long)(have - head);
      have = head;
    }
  }
}

static void *
serve(void *arg)
{
  (void)arg;
  for (;;) {
    int fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    read_request(fd);
    pthread_mutex_lock(&reply_lock);
    size_t off = 0;
    while (off < reply_len) {
      ssize_t n = send(fd, reply + off, reply_len - off, MSG_NOSIGNAL);
      if (n <= 0)
        break;
      off += (size_t)n;
    }
    pthread_mutex_unlock(&reply_lock);
    shutdown(fd, SHUT_WR);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, 0) > 0)
      ; /* until the client closes: no reset */
    close(fd);
  }
  return NULL;
}

static int
start_server(void)
{
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof a) ||
      listen(listen_fd, 16) ||
      getsockname(listen_fd, (struct sockaddr *)&a, &len))
    return -1;
  pthread_t t;
  if (pthread_create(&t, NULL, serve, NULL))
    return -1;
  pthread_detach(t);
  return ntohs(a.sin_port);
}

static int
lfuzz_set_reply(lua_State *L1)
{
  size_t n;
  const char *s = luaL_checklstring(L1, 1, &n);
  pthread_mutex_lock(&reply_lock);
  char *p = realloc(reply, n ? n : 1);
  if (p) {
    memcpy(p, s, n);
    reply = p;
    reply_len = n;
  }
  pthread_mutex_unlock(&reply_lock);
  if (!p)
    return luaL_error(L1, "fuzz.set_reply: out of memory");
  return 0;
}
#endif

/* -- the harness ---------------------------------------------------------- */

static void
remove_tmpdir(void)
{
  char cmd[sizeof tmpdir + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  if (system(cmd) != 0)
    fprintf(stderr, "fuzz: cannot remove %s\n", tmpdir);
}

static int
lfuzz_fail(lua_State *L1)
{
  fprintf(stderr, "fuzz: %s: contract broken: %s\n", FUZZ_TARGET,
          luaL_tolstring(L1, 1, NULL));
  remove_tmpdir(); /* abort() skips atexit */
  abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc, (void)argv;
  const char *home = getenv("MLAB_HOME");
  snprintf(run.root, sizeof run.root, "%s", home && *home ? home : MLAB_ROOT);
  snprintf(root_prefix, sizeof root_prefix, "@%s/", run.root);
  root_prefix_len = strlen(root_prefix);
  if (!mkdtemp(tmpdir)) {
    perror("fuzz: mkdtemp");
    exit(1);
  }
  atexit(remove_tmpdir);
  run.budget.max_mem = FUZZ_MEM;
  if (!(L = lh_new(&run))) {
    fprintf(stderr, "fuzz: cannot create a Lua state\n");
    exit(1);
  }
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, lfuzz_fail);
  lua_setfield(L, -2, "fail");
  lua_pushstring(L, tmpdir);
  lua_setfield(L, -2, "tmp");
#ifdef FUZZ_HTTP
  int port = start_server();
  if (port < 0) {
    perror("fuzz: loopback server");
    exit(1);
  }
  lua_pushinteger(L, port);
  lua_setfield(L, -2, "port");
  lua_pushcfunction(L, lfuzz_set_reply);
  lua_setfield(L, -2, "set_reply");
#endif
  lua_setglobal(L, "fuzz");

  char path[4200];
  snprintf(path, sizeof path, "%s/tests/fuzz/%s.lua", run.root, FUZZ_TARGET);
  if (luaL_loadfile(L, path) != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK ||
      !lua_isfunction(L, -1)) {
    fprintf(stderr, "fuzz: %s: %s\n", path,
            lua_isstring(L, -1) ? lua_tostring(L, -1)
                                : "must return function(data)");
    exit(1);
  }
  driver_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_sethook(L, cov_hook, LUA_MASKLINE, 0);
  return 0;
}

/* [data, size] -> calls the driver with the input as a string. */
static int
run_driver(lua_State *L1)
{
  const char *data = lua_touserdata(L1, 1);
  size_t size = (size_t)lua_tointeger(L1, 2);
  lua_rawgeti(L1, LUA_REGISTRYINDEX, driver_ref);
  lua_pushlstring(L1, data, size);
  lua_call(L1, 1, 0);
  return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  run.budget.exhausted = 0;
  run.budget.kind[0] = '\0';
  prev_loc = 0;
#ifdef FUZZ_HTTP
  /* The header parser alone, on the input as one value. */
  char *value = malloc(size + 1);
  if (value) {
    memcpy(value, data, size);
    value[size] = '\0';
    double s = http_retry_after_parse(value, 1700000000);
    if (!(s == -1 || s >= 0)) {
      fprintf(stderr, "fuzz: Retry-After %g out of its range\n", s);
      abort();
    }
    free(value);
  }
#endif
  lua_settop(L, 0);
  lua_pushcfunction(L, run_driver); /* pushing the input may raise too */
  lua_pushlightuserdata(L, (void *)data);
  lua_pushinteger(L, (lua_Integer)size);
  /* The drivers catch the modules' errors (an outcome); one that reaches
   * here is the driver's own, such as an API it calls that has moved:
   * stop, or every input would be a silent no-op.  Running out of the
   * capped heap is an outcome wherever it happens. */
  if (lua_pcall(L, 2, 0, 0) == LUA_ERRRUN) {
    fprintf(stderr, "fuzz: %s: the driver failed: %s\n", FUZZ_TARGET,
            lua_tostring(L, -1));
    remove_tmpdir();
    abort();
  }
  lua_settop(L, 0);
  /* Free this input's garbage now: libFuzzer's leak check runs when an
   * input leaves more mallocs than frees, and Lua's lagging collector
   * would trigger it (slowly, and for nothing) on every input. */
  lua_gc(L, LUA_GCCOLLECT);
  return 0;
}
