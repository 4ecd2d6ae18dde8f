#!/usr/bin/env bash
# Standalone task checker: for each task NAME (default: every tasks/*/task.lua)
#   prepare -> temp cache; env/ + public -> temp workspace; run starter;
#   evaluate; compare score with task.lua's baseline within noise; then check
#   that malformed submissions get exit code 2 and a one-line stderr message.
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

luakey() {  # luakey FILE KEY -> the value of a top-level `KEY = value` line
  sed -n "s/^[[:space:]]*$2[[:space:]]*=[[:space:]]*\([^,]*\),.*/\1/p" "$1" | head -1 | tr -d '"[:space:]'
}

# expect_malformed TASK WS HIDDEN LABEL : evaluate must exit 2 with exactly one stderr line
expect_malformed() {
  local task=$1 ws=$2 hid=$3 label=$4 out err rc
  out=$(mktemp); err=$(mktemp)
  (cd "$ROOT/tasks/$task" && timeout "$TIMEOUT" $PY "$EVAL" "$ws" "$hid" >"$out" 2>"$err"); rc=$?
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
      rm -f "$ws/$mod"; expect_malformed "$task" "$ws" "$hid" "module missing" || bad=1
      mv "$ws/$mod.bak" "$ws/$mod" ;;
    babylm)
      cp "$ws/lm.py" "$ws/lm.py.bak"
      printf 'import numpy as np\nclass LM:\n    def __init__(self, workspace):\n        pass\n    def probs(self, context):\n        return np.full(3, 0.5)\n' > "$ws/lm.py"
      expect_malformed "$task" "$ws" "$hid" "bad distribution" || bad=1
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

for task in "$@"; do
  dir="$ROOT/tasks/$task"; lua="$dir/task.lua"
  if [ ! -f "$lua" ]; then echo "FAIL $task: no $lua"; fails=$((fails+1)); continue; fi
  t0=$(date +%s.%N)
  baseline=$(luakey "$lua" baseline); noise=$(luakey "$lua" noise)
  seed=$(luakey "$lua" seed); TIMEOUT=$(luakey "$lua" timeout)
  PREP=$(luakey "$lua" prepare); EVAL=$(luakey "$lua" evaluate); STARTER=$(luakey "$lua" starter)
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
  t1=$(date +%s.%N)
  secs=$($PY -c "print('%.1f' % ($t1 - $t0))")
  if [ "$ok" = 1 ] && [ "$bad" = 0 ]; then
    echo "PASS $task: score $score, baseline $baseline +- $noise, malformed submissions rejected (${secs}s)"
  else
    [ "$ok" = 1 ] || echo "FAIL $task: score $score is not baseline $baseline +- $noise (${secs}s)"
    [ "$bad" = 0 ] || echo "FAIL $task: a malformed submission was not rejected cleanly"
    fails=$((fails+1))
  fi
  [ "$KEEP" = 1 ] && echo "  kept $tmp" || rm -rf "$tmp"
done
echo "total $($PY -c "import time; print('%.1f' % (time.time() - $t_all))")s, $fails failure(s)"
[ "$fails" -eq 0 ]
