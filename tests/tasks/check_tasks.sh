#!/usr/bin/env bash
# Standalone task checker: for each task NAME (default: every tasks/*/task.lua)
#   prepare -> temp cache; env/ + public -> temp workspace; run starter;
#   evaluate; compare score with task.lua's baseline within noise; then check
#   that malformed submissions get exit code 2 and a one-line stderr message;
#   for the code tasks, that a submission trying to read the hidden files gains
#   nothing (cheat_checks).
# usage: tests/tasks/check_tasks.sh [NAME...]     exits non-zero on any failure
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
KEEP=${KEEP:-0}          # KEEP=1 leaves the temp dirs for inspection
if [ $# -eq 0 ]; then
  set -- $(cd "$ROOT/tasks" && for d in */; do [ -f "$d/task.lua" ] && echo "${d%/}"; done)
fi

fails=0
t_all=$(date +%s.%N)

luakey() {  # luakey FILE KEY [DEFAULT] -> the value of a top-level `KEY = value` line
  local v
  v=$(sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\([^,]*\),.*/\1/p" "$1" | head -1 | tr -d '"[:space:]')
  echo "${v:-${3:-}}"   # the task DSL's defaults (lua/task.lua) when the key is absent
}

# expect_malformed TASK WS HIDDEN LABEL : evaluate must exit 2 with exactly one stderr line
expect_malformed() {
  local task=$1 ws=$2 hid=$3 label=$4 out err rc
  out=$(mktemp); err=$(mktemp)
  (cd "$ROOT/tasks/$task" && env ${EVAL_ENV:-} timeout "$TIMEOUT" $PY "$EVAL" "$ws" "$hid" >"$out" 2>"$err"); rc=$?
  local nl; nl=$(grep -c . "$err")
  if [ "$rc" -ne 2 ] || [ "$nl" -ne 1 ]; then
    echo "  FAIL $task malformed[$label]: rc=$rc, stderr lines=$nl (want rc=2, 1 line): $(head -c 300 "$err")"
    rm -f "$out" "$err"; return 1
  fi
  echo "  ok   malformed[$label]: $(cat "$err")"
  rm -f "$out" "$err"; return 0
}

# the malformations: a missing submission and a corrupted one, per submission kind
malform_checks() {
  local task=$1 ws=$2 hid=$3 bad=0
  local sub; sub=$(cd "$ws" && ls submission.* 2>/dev/null | head -1)
  case "$task" in
    vectorisation|inference-speed)
      local mod; mod=$( [ "$task" = vectorisation ] && echo layers.py || echo inference.py )
      cp "$ws/$mod" "$ws/$mod.bak"
      echo "raise ImportError('deliberately broken')" > "$ws/$mod"
      expect_malformed "$task" "$ws" "$hid" "module raises" || bad=1
      # wrong numbers: perturb every returned float/token
      $PY - "$ws/$mod.bak" "$ws/$mod" "$task" <<'PY'
import sys
src = open(sys.argv[1]).read()
if sys.argv[3] == "vectorisation":
    src += "\n_orig = conv2d_forward\ndef conv2d_forward(*a, **k):\n    return _orig(*a, **k) + 0.01\n"
else:
    src += "\n_orig = generate\ndef generate(*a, **k):\n    out = list(_orig(*a, **k))\n    out[-1] = (out[-1] + 1) % 64\n    return out\n"
open(sys.argv[2], "w").write(src)
PY
      expect_malformed "$task" "$ws" "$hid" "wrong output" || bad=1
      # a module that hangs: the child is killed at the (shortened) time budget
      printf 'import time\ntime.sleep(3600)\n' > "$ws/$mod"
      EVAL_ENV=MLAB_EVAL_CHILD_TIMEOUT=4 expect_malformed "$task" "$ws" "$hid" "hangs" || bad=1
      rm -f "$ws/$mod"; expect_malformed "$task" "$ws" "$hid" "module missing" || bad=1
      mv "$ws/$mod.bak" "$ws/$mod" ;;
    babylm)
      cp "$ws/lm.py" "$ws/lm.py.bak"
      printf 'import numpy as np\nclass LM:\n    def __init__(self, workspace):\n        pass\n    def probs(self, context):\n        return np.full(3, 0.5)\n' > "$ws/lm.py"
      expect_malformed "$task" "$ws" "$hid" "bad distribution" || bad=1
      # the process running lm.py dies in the middle of the text
      printf 'import os, numpy as np\nclass LM:\n    def __init__(self, workspace):\n        self.n = 0\n    def probs(self, context):\n        self.n += 1\n        if self.n > 100:\n            os._exit(3)\n        return np.full(59, 1 / 59)\n' > "$ws/lm.py"
      expect_malformed "$task" "$ws" "$hid" "process dies" || bad=1
      printf 'import time\nclass LM:\n    def __init__(self, workspace):\n        time.sleep(3600)\n' > "$ws/lm.py"
      EVAL_ENV=MLAB_EVAL_CHILD_TIMEOUT=4 expect_malformed "$task" "$ws" "$hid" "hangs" || bad=1
      rm -f "$ws/lm.py"; expect_malformed "$task" "$ws" "$hid" "lm.py missing" || bad=1
      mv "$ws/lm.py.bak" "$ws/lm.py" ;;
    *)
      [ -n "$sub" ] || { echo "  FAIL $task: starter wrote no submission.* file"; return 1; }
      cp "$ws/$sub" "$ws/$sub.bak"
      head -n 5 "$ws/$sub.bak" > "$ws/$sub"
      expect_malformed "$task" "$ws" "$hid" "truncated" || bad=1
      # blank out the prediction in row 3 (NaN) and put text in row 4
      awk -F, 'BEGIN{OFS=","} NR==3{$NF=""} NR==4{$NF="abc"} {print}' "$ws/$sub.bak" > "$ws/$sub"
      expect_malformed "$task" "$ws" "$hid" "NaN/non-numeric" || bad=1
      sed '1s/.*/wrong,header/' "$ws/$sub.bak" | cut -d, -f1,2 > "$ws/$sub"
      expect_malformed "$task" "$ws" "$hid" "wrong columns" || bad=1
      rm -f "$ws/$sub"; expect_malformed "$task" "$ws" "$hid" "missing" || bad=1
      mv "$ws/$sub.bak" "$ws/$sub" ;;
  esac
  return $bad
}

# cheat_checks TASK WS HIDDEN : a submission that looks for the hidden files
# (its own argv and environment, every /proc/*/cmdline and environ, the mlab
# cache under $HOME, /root, /tmp and /var/tmp) and, if it finds them, uses them:
# babylm predicts the test text it read, the speed tasks rebuild the evaluation
# inputs from eval_seed.txt and precompute the outputs at import time.  Where it
# finds nothing it behaves exactly like the starter.  A copy of the hidden
# folder is also planted in a decoy mlab cache (MLAB_CACHE) outside /tmp.
#  - sandboxed (bwrap): it must find nothing and score no better than the
#    baseline (+- noise); if bwrap does not work here this fails, because the
#    evaluator cannot then keep the hidden files from the agent's code.
#  - control, MLAB_EVAL_NO_BWRAP=1: the same cheat must find the files and
#    beat the baseline by far (else the check above would prove nothing); this
#    is what remains possible without bwrap (see tasks/common/evalkit.py).
cheat_checks() {
  local task=$1 ws=$2 hid=$3 bad=0 mod
  case "$task" in babylm) mod=lm.py ;; vectorisation) mod=layers.py ;; inference-speed) mod=inference.py ;; *) return 0 ;; esac
  local decoy; decoy=$(mktemp -d /var/tmp/mlab-check-cache.XXXX)
  mkdir -p "$decoy/tasks/$task-$seed/hidden"; cp -r "$hid/." "$decoy/tasks/$task-$seed/hidden/"
  cp "$ws/$mod" "$ws/$mod.bak"; cp "$ws/$mod.bak" "$ws/starter_${mod}"
  cat > "$ws/cheatfind.py" <<'PY'
import glob, os, sys
def hidden_dirs(marker, also=()):
    seen = set(sys.argv) | set(os.environ.values())
    for d in glob.glob("/proc/[0-9]*"):
        for f in ("cmdline", "environ"):
            try:
                seen.update(x.decode("utf-8", "replace") for x in open(d + "/" + f, "rb").read().split(b"\0"))
            except Exception:
                pass
    paths = set()
    for s in seen:
        s = s.split("=", 1)[1] if "=" in s else s
        if s.startswith("/"):
            paths.update([s, s + "/hidden"] + glob.glob(s + "/tasks/*/hidden"))
    for pat in ["/root/.cache/mlab/tasks/*/hidden", os.path.expanduser("~/.cache/mlab/tasks/*/hidden"),
                "/home/*/.cache/mlab/tasks/*/hidden", "/tmp/*/hidden", "/tmp/*/tasks/*/hidden",
                "/var/tmp/*/hidden", "/var/tmp/*/tasks/*/hidden"]:
        paths.update(glob.glob(pat))
    found = []
    for p in sorted(paths):
        try:
            if all(open(os.path.join(p, m), "rb").read(1) for m in (marker,) + tuple(also)):
                found.append(p)
        except Exception:
            pass
    try:    # the sandbox shows the workspace read-only: then stderr says it
        with open("cheat.log", "w") as fh:
            fh.write("%d %s\n" % (len(found), " ".join(found)))
    except OSError:
        pass
    print("cheat: hidden dirs found: %s" % found)     # stdout of agent code must not disturb the evaluator
    return found
PY
  case "$task" in
    babylm) cat > "$ws/lm.py" <<'PY'
import numpy as np
import cheatfind
from starter_lm import LM as Starter
class LM(Starter):
    def __init__(self, workspace_dir="."):
        super().__init__(workspace_dir)
        self.stories = []
        for d in cheatfind.hidden_dirs("test.txt"):
            self.stories = [s.strip("\n") + "\n" for s in open(d + "/test.txt").read().split("\n\n")]
            break
    def probs(self, context):
        for s in self.stories:
            if len(s) > len(context) and s.startswith(context):
                p = np.full(len(self.vocab), 1e-9); p[self.index[s[len(context)]]] = 1.0
                return p / p.sum()
        return super().probs(context)
PY
    ;;
    vectorisation) cat > "$ws/layers.py" <<'PY'
import os
import numpy as np
import cheatfind
from starter_layers import conv2d_forward as slow
CACHE = {}
for d in cheatfind.hidden_dirs("eval_seed.txt"):
    if os.path.exists(d + "/weights.npz") or os.path.exists(d + "/test.txt"):
        continue
    rng = np.random.RandomState(int(open(d + "/eval_seed.txt").read()))
    x = rng.normal(size=(2, 4, 13, 11)); w = rng.normal(size=(5, 4, 5, 5)); b = rng.normal(size=5)
    CACHE[x.tobytes()] = slow(x, w, b, 2, 0)
    for r in range(15):
        x = rng.normal(size=(2, 3, 32, 32)); w = rng.normal(size=(16, 3, 3, 3)) * 0.3; b = rng.normal(size=16) * 0.1
        CACHE[x.tobytes()] = slow(x, w, b, 1, 1)
    break
def conv2d_forward(x, w, b, stride=1, pad=1):
    hit = CACHE.get(np.ascontiguousarray(x).tobytes())
    return hit.copy() if hit is not None else slow(x, w, b, stride, pad)
PY
    ;;
    inference-speed) cat > "$ws/inference.py" <<'PY'
import numpy as np
import cheatfind
from starter_inference import generate as slow
CACHE = {}
for d in cheatfind.hidden_dirs("eval_seed.txt", ("weights.npz",)):
    W = dict(np.load(d + "/weights.npz"))
    rng = np.random.RandomState(int(open(d + "/eval_seed.txt").read()))
    V = W["wte"].shape[0]
    for plen, n in [(1, 20), (70, 30)] + [(16, 32)] * 11:
        p = tuple(int(t) for t in rng.randint(0, V, size=plen))
        CACHE[(p, n)] = slow(W, list(p), n)
    break
def generate(W, prompt, n_new):
    hit = CACHE.get((tuple(int(t) for t in prompt), n_new))
    return list(hit) if hit is not None else slow(W, prompt, n_new)
PY
    ;;
  esac
  local mode out err rc score found gain
  for mode in sandboxed no-bwrap; do
    out=$(mktemp); err=$(mktemp); rm -f "$ws/cheat.log"
    local nob=0; [ "$mode" = no-bwrap ] && nob=1
    (cd "$ROOT/tasks/$task" && MLAB_CACHE="$decoy" MLAB_EVAL_NO_BWRAP=$nob timeout "$TIMEOUT" $PY "$EVAL" "$ws" "$hid" >"$out" 2>"$err"); rc=$?
    score=$(tail -1 "$out" | $PY -c 'import json,sys; print(json.loads(sys.stdin.read())["score"])' 2>/dev/null)
    found=$(cut -d' ' -f1 "$ws/cheat.log" 2>/dev/null)
    # gain: the cheat scores better than baseline + noise (goal-aware)
    gain=$($PY -c "s='$score'; print(0 if not s else int((float(s) - $baseline) * (1 if '$goal' == 'max' else -1) > $noise))")
    if [ "$mode" = sandboxed ]; then
      if [ "$rc" -eq 0 ] && [ -n "$score" ] && [ "$gain" = 0 ] && [ "${found:-0}" = 0 ]; then
        echo "  ok   cheat[sandboxed]: found ${found:-?} hidden dirs, score $score, no gain over baseline $baseline +- $noise"
      else
        echo "  FAIL $task cheat[sandboxed]: rc=$rc, found ${found:-?} hidden dirs ($(cut -d' ' -f2- "$ws/cheat.log" 2>/dev/null)), score ${score:-none} (baseline $baseline); bwrap $( [ -x /usr/bin/bwrap ] && echo present || echo missing): $(head -c 300 "$err")"
        bad=1
      fi
    else
      if [ "$rc" -eq 0 ] && [ "$gain" = 1 ] && [ "${found:-0}" != 0 ]; then
        echo "  ok   cheat[control, no bwrap]: found $found hidden dirs, score $score (the cheat works when unsandboxed)"
      else
        echo "  FAIL $task cheat[control, no bwrap]: the cheat did not work unsandboxed (rc=$rc, found ${found:-?}, score ${score:-none}), so the sandboxed check proves nothing: $(head -c 300 "$err")"
        bad=1
      fi
    fi
    rm -f "$out" "$err"
  done
  mv "$ws/$mod.bak" "$ws/$mod"; rm -f "$ws/starter_$mod" "$ws/cheatfind.py" "$ws/cheat.log"; rm -rf "$ws/__pycache__" "$decoy"
  return $bad
}

for task in "$@"; do
  dir="$ROOT/tasks/$task"; lua="$dir/task.lua"
  if [ ! -f "$lua" ]; then echo "FAIL $task: no $lua"; fails=$((fails+1)); continue; fi
  t0=$(date +%s.%N)
  baseline=$(luakey "$lua" baseline); noise=$(luakey "$lua" noise)
  seed=$(luakey "$lua" seed 0); TIMEOUT=$(luakey "$lua" timeout 180)
  goal=$(sed -n 's/.*goal[[:space:]]*=[[:space:]]*"\([a-z]*\)".*/\1/p' "$lua" | head -1)
  PREP=$(luakey "$lua" prepare prepare.py); EVAL=$(luakey "$lua" evaluate evaluate.py)
  STARTER=$(luakey "$lua" starter train.py)
  tmp=$(mktemp -d "/tmp/check_$task.XXXX")
  pub=$tmp/public; hid=$tmp/hidden; ws=$tmp/workspace
  mkdir -p "$pub" "$hid" "$ws"
  if ! (cd "$dir" && MLAB_TASK_SEED=$seed timeout 600 $PY "$PREP" "$pub" "$hid") >"$tmp/prepare.log" 2>&1; then
    echo "FAIL $task: prepare failed: $(tail -1 "$tmp/prepare.log")"; fails=$((fails+1)); continue
  fi
  cp -r "$dir/env/." "$ws/"; cp -r "$pub/." "$ws/"
  if ! (cd "$ws" && timeout "$TIMEOUT" $PY "$STARTER") >"$tmp/starter.log" 2>&1; then
    echo "FAIL $task: starter $STARTER failed: $(tail -1 "$tmp/starter.log")"; fails=$((fails+1)); continue
  fi
  t_starter=$(date +%s.%N)
  if ! (cd "$dir" && timeout "$TIMEOUT" $PY "$EVAL" "$ws" "$hid") >"$tmp/eval.out" 2>"$tmp/eval.err"; then
    echo "FAIL $task: evaluate failed: $(tail -1 "$tmp/eval.err")"; fails=$((fails+1)); continue
  fi
  score=$(tail -1 "$tmp/eval.out" | $PY -c 'import json,sys; print(json.loads(sys.stdin.read())["score"])' 2>/dev/null)
  if [ -z "$score" ]; then
    echo "FAIL $task: evaluate's last line is not JSON with a score: $(tail -1 "$tmp/eval.out")"; fails=$((fails+1)); continue
  fi
  ok=$($PY -c "print(int(abs($score - $baseline) <= $noise))")
  bad=0
  malform_checks "$task" "$ws" "$hid" || bad=1
  cheat_checks "$task" "$ws" "$hid" || bad=1
  t1=$(date +%s.%N)
  secs=$($PY -c "print('%.1f' % ($t1 - $t0))")
  if [ "$ok" = 1 ] && [ "$bad" = 0 ]; then
    case "$task" in babylm|vectorisation|inference-speed) extra=", cheats gain nothing";; *) extra="";; esac
    echo "PASS $task: score $score, baseline $baseline +- $noise, malformed submissions rejected$extra (${secs}s)"
  else
    [ "$ok" = 1 ] || echo "FAIL $task: score $score is not baseline $baseline +- $noise (${secs}s)"
    [ "$bad" = 0 ] || echo "FAIL $task: a malformed submission was not rejected cleanly"
    fails=$((fails+1))
  fi
  [ "$KEEP" = 1 ] && echo "  kept $tmp" || rm -rf "$tmp"
done
echo "total $($PY -c "import time; print('%.1f' % (time.time() - $t_all))")s, $fails failure(s)"
[ "$fails" -eq 0 ]
