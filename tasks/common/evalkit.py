"""Submission checks shared by the tasks' evaluators, and the isolated child
process in which the code tasks run the agent's code.

An evaluator prints one JSON score line; a malformed submission gets exit
status 2 and one line on stderr that says what is wrong and what was
expected (never a traceback, never a score of 0).  Import it with
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
    from evalkit import fail, read_submission, load_hidden
Code tasks (babylm, vectorisation, inference-speed) use Child (below).
"""
import atexit
import ctypes
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np


def fail(msg, code=2):
    """One line on stderr, then exit (2 = malformed submission, 1 = host problem)."""
    sys.stderr.write(" ".join(str(msg).split()) + "\n")
    sys.exit(code)


def read_submission(ws, name, id_col, value_cols, expected_ids, expected, to_number=None):
    """Read WORKSPACE/name and check columns, ids and numeric values.

    to_number(column) -> numeric column with NaN for bad values (default:
    pandas.to_numeric).  Returns the values as a float array aligned with
    expected_ids."""
    import pandas as pd   # here, not at the top: the code tasks' child processes import this module too
    path = os.path.join(ws, name)
    if not os.path.isfile(path):
        fail("%s not found in the workspace; expected %s" % (name, expected))
    try:
        sub = pd.read_csv(path, dtype={id_col: str})
    except Exception as e:
        first = (str(e).splitlines() or [type(e).__name__])[0]
        fail("%s is not a readable CSV (%s); expected %s" % (name, first, expected))
    want = [id_col] + list(value_cols)
    if list(sub.columns) != want:
        fail("%s has columns %s; expected exactly %s" % (name, list(sub.columns), want))
    if len(sub) != len(expected_ids):
        fail("%s has %d rows; expected %d (one per %s)" % (name, len(sub), len(expected_ids), id_col))
    ids = sub[id_col].astype(str).str.strip()
    if ids.duplicated().any():
        fail("%s has duplicate %s values, e.g. %s" % (name, id_col, ids[ids.duplicated()].iloc[0]))
    exp = pd.Index([str(i) for i in expected_ids])
    unknown = ~ids.isin(exp)
    if unknown.any():
        fail("%s has %d %s values not in the test set, e.g. %r" % (name, int(unknown.sum()), id_col, ids[unknown].iloc[0]))
    vals = sub[list(value_cols)].apply(to_number or (lambda c: pd.to_numeric(c, errors="coerce")))
    bad = vals.isna().any(axis=1) | ~np.isfinite(vals.to_numpy(dtype=float)).all(axis=1)
    if bad.any():
        r = int(np.flatnonzero(bad.to_numpy())[0])
        fail("%s has %d rows with missing, non-numeric or infinite values (first: %s=%s); expected %s"
             % (name, int(bad.sum()), id_col, ids.iloc[r], expected))
    vals.index = ids
    return vals.loc[exp].to_numpy(dtype=float)


def load_hidden(hidden, name, **kw):
    import pandas as pd
    try:
        return pd.read_csv(os.path.join(hidden, name), **kw)
    except Exception as e:
        fail("evaluate: cannot read hidden file %s: %s" % (name, e), 1)


# ---------------------------------------------------------------------------
# Running the agent's code in a child process that cannot see HIDDEN_DIR.
#
# The evaluator (which reads HIDDEN_DIR) never imports the agent's module.  It
# starts a runner script (tasks/NAME/runner.py) in a child process, sends it
# the inputs one request at a time over a pipe and gets the outputs back the
# same way; checking and scoring happen in the evaluator.  With bubblewrap the
# child is confined as mlab confines the agent's scripts (src/exec.c, see
# docs/security.md): a user namespace without capabilities, as uid 65534 on
# the host when the evaluator runs as root (so it is never root there, in or
# out of a namespace); its own pid, network, ipc and uts namespaces; and a
# file system made of the system folders (/usr, /etc less what others may not
# read, the /bin and /lib links) read-only, a fresh /dev, /proc and /tmp, the
# workspace read-only at /workspace, and the runner's folder, tasks/common and
# ro_paths read-only at their own paths.  HIDDEN_DIR, the mlab cache, the runs,
# homes and the host's /tmp are not there at all (and are masked again should
# one sit inside a bound folder).  As root, the child first stages the bound
# folders on a private tmpfs in a mount namespace of its own, so that uid
# 65534 can reach them wherever they are; they must be readable by others
# (checkouts and mlab's workspaces are).
#
# Without a working bwrap (or with MLAB_EVAL_NO_BWRAP=1, used by the tests) the
# child is a plain subprocess: its argv and environment hold no hidden path and
# it gets no open file of the hidden directory, but it runs as the same user,
# so it can still read whatever that user can read: it can find HIDDEN_DIR in
# /proc/<evaluator pid>/cmdline, or scan the filesystem for the mlab cache,
# and open the files there.  It can also leave processes behind with setsid().
#
# Messages, both ways: one JSON line, then the raw bytes of the arrays it
# names ("arrays": [[name, dtype, shape], ...], dtypes <f8 and <i8 only).
# Replies are never unpickled: the child runs the agent's code and is not
# trusted.  A reply {"error": "..."} is the child's one-line explanation of a
# malformed submission (exit 2).

BWRAP = "/usr/bin/bwrap"
PYTHON = "/usr/bin/python3"
INNER_WS = "/workspace"      # the workspace, inside the sandbox
SANDBOX_UID = 65534          # the child's host uid when the evaluator is root
VIEW = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_DTYPES = {"<f8": np.dtype("<f8"), "<i8": np.dtype("<i8")}
MAX_LINE = 16 << 20          # longest JSON line accepted from a child
MAX_ARRAY_BYTES = 1 << 30    # most array bytes accepted in one reply
_bwrap_ok = None
_children = []

_CLONE_NEWNS = 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_BIND, _MS_REC, _MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18


def _stager(sources):
    """preexec_fn for a root evaluator: in a mount namespace of the child's own,
    bind each source folder to /tmp/mlab-bN (a private tmpfs uid 65534 can
    traverse), then become uid 65534; bwrap then makes its user namespace as
    that uid.  Folders are opened after unshare(): a mount of the old
    namespace cannot be bound."""
    def stage():
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]

        def ok(rc, what):
            if rc != 0:
                e = ctypes.get_errno()
                raise OSError(e, "%s: %s" % (what, os.strerror(e)))
        ok(libc.unshare(_CLONE_NEWNS), "unshare")
        ok(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
        fds = [os.open(s, os.O_PATH | os.O_DIRECTORY) for s in sources]
        ok(libc.mount(b"mlab", b"/tmp", b"tmpfs", _MS_NOSUID | _MS_NODEV, b"size=64k,mode=0755"), "tmpfs")
        for i, fd in enumerate(fds):
            d = "/tmp/mlab-b%d" % i
            os.mkdir(d, 0o755)
            ok(libc.mount(("/proc/self/fd/%d" % fd).encode(), d.encode(), None, _MS_BIND, None), "bind")
            os.close(fd)
        os.setgroups([])
        os.setresgid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
        os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
        if os.getuid() == 0 or os.geteuid() == 0:
            raise OSError("still root")
    return stage


_etc_masks = None


def _masks():
    """Entries of /etc others may not read: masked even from a child that could."""
    global _etc_masks
    if _etc_masks is None:
        _etc_masks = []
        for top, dirs, files in os.walk("/etc"):
            for d in list(dirs):
                p = os.path.join(top, d)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not os.path.islink(p) and st.st_mode & 0o005 != 0o005:
                    _etc_masks += ["--tmpfs", p, "--remount-ro", p]
                    dirs.remove(d)
            for f in files:
                p = os.path.join(top, f)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if not os.path.islink(p) and not st.st_mode & 0o004:
                    _etc_masks += ["--ro-bind", "/dev/null", p]
    return _etc_masks


def bwrap_works():
    """True if a confined child can be started here (checked once per process)."""
    global _bwrap_ok
    if _bwrap_ok is None:
        _bwrap_ok = False
        if os.environ.get("MLAB_EVAL_NO_BWRAP", "") not in ("", "0") or not os.access(BWRAP, os.X_OK):
            return False
        tmp = tempfile.mkdtemp(prefix="mlab-probe-")
        try:
            os.chmod(tmp, 0o755)
            argv, preexec = sandbox_argv(["/bin/true"], tmp, "/nonexistent", [])
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=30, preexec_fn=preexec)
            _bwrap_ok = r.returncode == 0
        except Exception:
            _bwrap_ok = False
        finally:
            os.rmdir(tmp)
    return _bwrap_ok


def _cache_roots():
    """Where mlab keeps prepared tasks (hidden answers included): as lua/task.lua computes it."""
    roots = []
    for var, suffix in (("MLAB_CACHE", ""), ("XDG_CACHE_HOME", "/mlab"), ("HOME", "/.cache/mlab")):
        v = os.environ.get(var, "")
        if v:
            roots.append(v + suffix)
    return roots


def _inside(path, top):
    return path == top or path.startswith(top.rstrip("/") + "/")


def sandbox_argv(argv, ws, hidden, binds=()):
    """(bwrap argv around argv, preexec_fn or None): the workspace read-only at
    /workspace, binds read-only at their own paths, the system folders, nothing
    else; HIDDEN_DIR and the mlab cache masked should they sit inside one of those."""
    ws = os.path.realpath(ws)
    binds = [os.path.realpath(b) for b in binds]
    stage = os.geteuid() == 0
    sources = [ws] + binds
    src = (lambda i: "/tmp/mlab-b%d" % i) if stage else (lambda i: sources[i])
    out = [BWRAP, "--unshare-user", "--uid", "1000", "--gid", "1000", "--cap-drop", "ALL",
           "--disable-userns", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
           "--unshare-cgroup-try", "--hostname", "mlab", "--die-with-parent", "--new-session"]
    for d in VIEW:
        if os.path.islink(d):
            out += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            out += ["--ro-bind", d, d]
    out += _masks()
    out += ["--dev", "/dev", "--proc", "/proc", "--size", str(256 << 20), "--tmpfs", "/tmp"]
    out += ["--ro-bind", src(0), INNER_WS]
    for i, b in enumerate(binds, 1):
        out += ["--ro-bind", src(i), b]
    # a hidden folder inside the workspace or a bound folder: mask it there
    for m in [hidden] + _cache_roots():
        m = os.path.realpath(m)
        if not os.path.isdir(m):
            continue
        if _inside(m, ws):
            out += ["--tmpfs", INNER_WS + m[len(ws):]]
        for b in binds:
            if _inside(m, b):
                out += ["--tmpfs", m]
    out += ["--chdir", INNER_WS, "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
            "--remount-ro", "/", "--"]
    return out + list(argv), (_stager(sources) if stage else None)


def child_env():
    """The child's whole environment: nothing of the evaluator's (no paths, no cache location)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    for k in ("LANG", "LC_ALL", "LC_CTYPE"):
        if os.environ.get(k):
            env[k] = os.environ[k]
    return env


def task_timeout(task_dir, default=120.0):
    """The `timeout` of tasks/NAME/task.lua (seconds)."""
    try:
        m = re.search(r"^\s*timeout\s*=\s*([0-9.]+)", open(os.path.join(task_dir, "task.lua")).read(), re.M)
        return float(m.group(1))
    except Exception:
        return default


def eval_deadline(task_dir):
    """Monotonic deadline for the children: 90% of the task's timeout from now
    (MLAB_EVAL_CHILD_TIMEOUT overrides the seconds, for tests), so that a slow or
    hanging submission gets exit 2 with a message before the host kills the evaluator."""
    secs = os.environ.get("MLAB_EVAL_CHILD_TIMEOUT", "")
    secs = float(secs) if secs else 0.9 * task_timeout(task_dir)
    return time.monotonic() + secs, secs


def encode(meta, arrays=None):
    """One message: a JSON line, then the arrays' raw bytes."""
    meta = dict(meta)
    chunks = []
    if arrays:
        specs = []
        for name, a in arrays.items():
            a = np.asarray(a)
            a = np.ascontiguousarray(a, dtype="<i8" if a.dtype.kind in "iub" else "<f8")
            specs.append([name, a.dtype.str, list(a.shape)])
            chunks.append(a.tobytes())
        meta["arrays"] = specs
    return (json.dumps(meta) + "\n").encode() + b"".join(chunks)


def _array_specs(meta):
    """[(name, dtype, shape, nbytes)] of a message header; ValueError if malformed."""
    specs = meta.get("arrays", [])
    if not isinstance(specs, list):
        raise ValueError("arrays is not a list")
    out, total = [], 0
    for s in specs:
        if not (isinstance(s, list) and len(s) == 3 and isinstance(s[0], str) and s[1] in _DTYPES
                and isinstance(s[2], list) and all(type(d) is int and 0 <= d < 2**40 for d in s[2])):
            raise ValueError("bad array spec")
        n = _DTYPES[s[1]].itemsize
        for d in s[2]:
            n *= d
        total += n
        if total > MAX_ARRAY_BYTES:
            raise ValueError("arrays too large")
        out.append((s[0], _DTYPES[s[1]], tuple(s[2]), n))
    return out


def _arrays_from(specs, data):
    arrays, pos = {}, 0
    for name, dt, shape, n in specs:
        arrays[name] = np.frombuffer(data[pos:pos + n], dtype=dt).reshape(shape).copy()
        pos += n
    return arrays


def read_message(fh):
    """Blocking read of one message from a binary file (the child's side).
    Returns (meta, arrays), or (None, None) at end of input."""
    line = fh.readline()
    if not line:
        return None, None
    meta = json.loads(line)
    specs = _array_specs(meta)
    data = fh.read(sum(s[3] for s in specs))
    return meta, _arrays_from(specs, data)


def child_channel():
    """For a runner: (read, write) over its stdin and a private copy of its
    stdout.  File descriptor 1 then points to stderr and sys.stdin to /dev/null,
    so that prints of the agent's code cannot corrupt the protocol."""
    fin = os.fdopen(os.dup(0), "rb")
    fout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    sys.stdin = open(os.devnull)

    def write(meta, arrays=None):
        fout.write(encode(meta, arrays))
        fout.flush()
    return (lambda: read_message(fin)), write


def one_line(e):
    """'Type: message' of an exception, on one line."""
    return " ".join(("%s: %s" % (type(e).__name__, e)).split())


def _kill_children():
    for c in list(_children):
        c.close()


atexit.register(_kill_children)


class Child:
    """A runner script (python) in a child process that cannot see HIDDEN_DIR.

    Child(runner, args, ws, hidden, what, deadline): what names the agent's
    file in messages ("lm.py"); deadline is a time.monotonic() value (see
    eval_deadline).  request(meta, arrays) -> (meta, arrays) of the reply.  Any
    failure of the child (an {"error"} reply, a crash, a malformed reply, the
    deadline) ends the evaluator with exit 2 and one line; with host=True
    (the evaluator's own reference code) with exit 1."""

    def __init__(self, runner, args, ws, hidden, what, deadline, budget_s, ro_paths=(), host=False):
        self.what, self.deadline, self.budget_s, self.host = what, deadline, budget_s, host
        self.err = tempfile.TemporaryFile()
        runner = os.path.realpath(runner)
        common = os.path.dirname(os.path.realpath(__file__))
        args = [str(a) for a in args]
        self.sandboxed = bwrap_works()
        preexec = None
        if self.sandboxed:
            # the workspace is seen at /workspace (its path in the arguments too); the runner,
            # evalkit and ro_paths at their own paths, read-only; nothing else of the host
            real_ws = os.path.realpath(ws)
            args = [INNER_WS if os.path.realpath(a) == real_ws else a for a in args]
            binds = [os.path.dirname(runner), common] + [os.path.realpath(p) for p in ro_paths]
            argv, preexec = sandbox_argv([PYTHON, runner] + args, ws, hidden, binds)
        else:
            argv = [PYTHON, runner] + args
        try:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                         cwd=ws, env=child_env(), start_new_session=True, preexec_fn=preexec)
        except (OSError, subprocess.SubprocessError) as e:
            fail("evaluate: cannot start the process for %s: %s" % (what, one_line(e)), 1)
        _children.append(self)
        self.rfd, self.wfd = self.proc.stdout.fileno(), self.proc.stdin.fileno()
        os.set_blocking(self.wfd, False)
        self.buf = bytearray()

    # -- failures
    def fail(self, msg):
        self.close()
        fail(("evaluate: reference process: " + msg) if self.host else msg, 1 if self.host else 2)

    def _died(self):
        try:
            self.proc.wait(timeout=2)
        except Exception:
            pass
        rc = self.proc.returncode
        how = "was killed by signal %d" % -rc if rc is not None and rc < 0 else "exited with status %s" % rc
        last = ""
        try:
            self.err.seek(0)
            lines = [l for l in self.err.read()[-20000:].decode("utf-8", "replace").splitlines() if l.strip()]
            last = lines[-1].strip() if lines else ""
        except Exception:
            pass
        self.fail("the process running %s %s during the evaluation%s"
                  % (self.what, how, (" (last stderr line: %s)" % last[:300]) if last else ""))

    def _timeout(self):
        self.fail("%s did not finish within the evaluation's time budget of %.0f s; it must be faster"
                  % (self.what, self.budget_s))

    # -- I/O with the deadline
    def _wait(self, fd, write):
        left = self.deadline - time.monotonic()
        if left <= 0:
            self._timeout()
        r, w, _ = select.select([] if write else [fd], [fd] if write else [], [], left)
        if not (r or w):
            self._timeout()

    def send(self, meta, arrays=None):
        data = memoryview(encode(meta, arrays))
        while data:
            self._wait(self.wfd, True)
            try:
                n = os.write(self.wfd, data)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                self._died()
            data = data[n:]

    def _fill(self):
        self._wait(self.rfd, False)
        chunk = os.read(self.rfd, 1 << 20)
        if not chunk:
            self._died()
        self.buf += chunk

    def _read_line(self):
        start = 0
        while True:
            i = self.buf.find(b"\n", start)
            if i >= 0:
                line = bytes(self.buf[:i]); del self.buf[:i + 1]
                return line
            if len(self.buf) > MAX_LINE:
                self.fail("the process running %s sent a malformed reply (a line over %d bytes)" % (self.what, MAX_LINE))
            start = len(self.buf)
            self._fill()

    def _read_exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out = bytes(self.buf[:n]); del self.buf[:n]
        return out

    def recv(self):
        line = self._read_line()
        try:
            meta = json.loads(line)
            if not isinstance(meta, dict):
                raise ValueError("not an object")
            specs = _array_specs(meta)
        except Exception as e:
            self.fail("the process running %s sent a malformed reply (%s); did its code write to the "
                      "evaluator's pipe?" % (self.what, one_line(e)))
        if "error" in meta:
            self.fail(str(meta["error"])[:2000])
        return meta, _arrays_from(specs, self._read_exact(sum(s[3] for s in specs)))

    def request(self, meta, arrays=None):
        self.send(meta, arrays)
        return self.recv()

    def close(self):
        if self in _children:
            _children.remove(self)
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except Exception:
                pass
        try:
            self.proc.wait(timeout=5)
        except Exception:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except Exception:
                pass
