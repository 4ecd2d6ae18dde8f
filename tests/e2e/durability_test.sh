#!/usr/bin/env bash
# Killing the host: SIGKILL loses at most the step in flight (every trace
# line is whole and names a commit that exists), SIGTERM ends the run as
# "killed" with the workspace evaluated.
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"

wait_steps() { # DIR N: until the trace has N step lines (10 s at most)
  for _ in $(seq 100); do
    [ -f "$1/trace.jsonl" ] && [ "$(grep -c '"step"' "$1/trace.jsonl")" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

"$MLAB" run "$TINY" --agent "$FIX/agents/sleeper.lua" --runs-dir "$RUNS" --id k9 -q \
  > /dev/null 2>&1 &
pid=$!
R="$RUNS/k9"
check "sleeper makes progress" wait_steps "$R" 6
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
check "every trace line is whole JSON naming an existing commit" "$PY" - "$R" <<'PY'
import json, subprocess, sys
r = sys.argv[1]
lines = open(r + "/trace.jsonl").read().splitlines()
assert lines, "empty trace"
for n, line in enumerate(lines, 1):
    s = json.loads(line)
    assert s["step"] == n, (n, s["step"])
    tag = subprocess.check_output(["git", "--git-dir", r + "/history.git", "rev-parse",
                                   "step-%d^{commit}" % n], text=True).strip()
    assert tag == s["commit"]
PY
check "manifest still says running" grep -q '"status": "running"' "$R/run.json"
"$MLAB" log k9 --runs-dir "$RUNS" > "$T/k9.log"
check "mlab log reports the dead host as killed" grep -q "^status   killed" "$T/k9.log"
check "git reads the history of a killed run" git --git-dir "$R/history.git" log --oneline -1

"$MLAB" run "$TINY" --agent "$FIX/agents/sleeper.lua" --runs-dir "$RUNS" --id term -q \
  > "$T/term.out" 2>&1 &
pid=$!
R="$RUNS/term"
check "second sleeper makes progress" wait_steps "$R" 4
kill -TERM "$pid"
wait "$pid" || true
check "SIGTERM ends the run as killed" grep -q '"status": "killed"' "$R/run.json"
check "killed run is evaluated" grep -q '"score": 1' "$R/run.json"
check "killed run's trace ends with its end line" sh -c "tail -n 1 '$R/trace.jsonl' | grep -q '\"event\":\"end\"'"
finish
