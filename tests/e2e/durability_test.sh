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
# The dead host's pid now belongs to another process (a reuse after the
# crash): the run is still killed, and resume below goes on with it.
sleep 120 & other=$!
check "run.json names its host by pid and start time" "$PY" - "$R/run.json" "$other" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert isinstance(m.get("pid_start"), int), m.get("pid_start")
m["pid"] = int(sys.argv[2])
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
"$MLAB" log k9 --runs-dir "$RUNS" > "$T/k9.log"
check "mlab log reports the dead host as killed" grep -q "^status   killed" "$T/k9.log"
check "git reads the history of a killed run" git --git-dir "$R/history.git" log --oneline -1

# Resume continues from the last complete step, with one linear history,
# even when the kill came in the middle of a commit (git's locks left behind).
before=$(grep -c '"step"' "$R/trace.jsonl")
touch "$R/history.git/index.lock" "$R/history.git/refs/heads/master.lock"
"$MLAB" resume k9 --runs-dir "$RUNS" --max-steps 60 -q > "$T/resume.out"
check "resumed run ends by its step budget" grep -q '"status": "budget_exhausted"' "$R/run.json"
kill "$other" 2>/dev/null || true
check "resumed run has all 60 steps in order" "$PY" - "$R" <<'PY'
import json, subprocess, sys
r = sys.argv[1]
steps = [json.loads(l) for l in open(r + "/trace.jsonl")]
steps = [s for s in steps if "step" in s]
assert [s["step"] for s in steps] == list(range(1, 61)), [s["step"] for s in steps]
log = subprocess.check_output(["git", "--git-dir", r + "/history.git", "log", "--format=%s"], text=True)
subjects = log.splitlines()
assert len(subjects) == 61, len(subjects)
assert subjects[0] == "step 60: Execute Script" and subjects[-1] == "step 0: starter files"
PY
check "resumed workspace is where the agent left it" test "$(cat "$R/workspace/count.txt")" = 30
check "the kill came mid-run (some steps, not all)" test "$before" -ge 6 -a "$before" -lt 60
"$MLAB" run "$TINY" --runs-dir "$RUNS" --id done -q > /dev/null
check "a run that gave its final answer is not resumed" sh -c \
  "! '$MLAB' resume done --runs-dir '$RUNS' -q 2> '$T/again.err' && grep -q 'only killed or budget-exhausted' '$T/again.err'"

# An agent that does not ask for what was recorded is stopped, not trusted.
"$MLAB" run "$TINY" --agent "$FIX/agents/sleeper.lua" --runs-dir "$RUNS" --id drift -q \
  > /dev/null 2>&1 &
pid=$!
check "third sleeper makes progress" wait_steps "$RUNS/drift" 4
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
sed -i 's#agents/sleeper.lua#agents/step_hog.lua#' "$RUNS/drift/run.json"
"$MLAB" resume drift --runs-dir "$RUNS" -q > /dev/null || true
check "diverging agent ends as agent_error" grep -q '"status": "agent_error"' "$RUNS/drift/run.json"
check "and the message names the step" grep -q 'diverged at step 1' "$RUNS/drift/run.json"

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

# A signal also stops the script the agent is running, not only Lua.
"$MLAB" run "$TINY" --agent "$FIX/agents/runaway_script.lua" --runs-dir "$RUNS" --id script \
  --max-time 120 -q > /dev/null 2>&1 &
pid=$!
R="$RUNS/script"
check "runaway script is running" wait_steps "$R" 1
sleep 0.5
start=$(date +%s)
kill -TERM "$pid"
wait "$pid" || true
check "SIGTERM during a script ends the run within seconds" test $(( $(date +%s) - start )) -le 5
check "that run is killed" grep -q '"status": "killed"' "$R/run.json"
check "the script's step says mlab was stopped" grep -q 'killed: mlab was stopped' "$R/trace.jsonl"
check "no python left behind" no_procs_in "$R/workspace"
finish
