#!/usr/bin/env bash
# A real run of both model-free agents on digits: the run directory, the git
# history a user reads with plain git, the scores, and the read-back commands.
source "$(dirname "$0")/lib.sh"

# -- the trivial agent scores the baseline ---------------------------------
mlab run digits --agent baseline --runs-dir "$RUNS" --id base -q > "$T/base.out" 2> "$T/base.err"
check "first run prepares the data" grep -q "preparing data for digits" "$T/base.err"
check "first run measures the baseline" grep -q "measuring the baseline of digits" "$T/base.err"
R="$RUNS/base"
for f in run.json trace.jsonl workspace/train.py history.git; do
  check "run dir has $f" test -e "$R/$f"
done
check "no .git inside the workspace" test ! -e "$R/workspace/.git"
check "status final_answer" test "$(json "$R/run.json" 'd["status"]')" = final_answer
check "baseline agent scores the baseline" \
  "$PY" -c "import json; d=json.load(open('$R/run.json')); assert abs(d['score']-d['baseline']) <= 0.005, d"
check "baseline recorded in task.lua matches the measured one" \
  "$PY" -c "import json; d=json.load(open('$R/run.json')); assert abs(d['baseline']-0.633333) <= 0.005, d"
check "summary printed" grep -q "^score .*baseline" "$T/base.out"

# -- the tuner improves it past the threshold -------------------------------
mlab run digits --agent tuner --runs-dir "$RUNS" --id tune -q > "$T/tune.out" 2> "$T/tune.err"
check "second run uses the cached data and baseline" sh -c "! grep -qE 'preparing|measuring' '$T/tune.err'"
R="$RUNS/tune"
G="git --git-dir $R/history.git"
steps=$(json "$R/run.json" 'd["steps"]')
check "tuner took steps" test "$steps" -gt 5
check "tuner succeeded" test "$(json "$R/run.json" 'd["success"]')" = True
check "tuner improvement above 10%" \
  "$PY" -c "import json; d=json.load(open('$R/run.json')); assert d['improvement'] > 0.10 and d['score'] > d['baseline'], d"

# One commit per step plus the starter commit, each tagged step-N.
check "one commit per step" test "$($G rev-list --count HEAD)" -eq $((steps + 1))
check "tags step-0..step-N" test "$($G tag | wc -l)" -eq $((steps + 1))
check "commit 0 holds the starter files" sh -c "$G show --stat --format=%s step-0 | grep -q 'step 0: starter files'"
check "commit message names the action" sh -c "$G log -1 --format=%s step-1 | grep -q '^step 1: Read File'"
check "git log --stat works" sh -c "$G log --stat > /dev/null"

# Trace lines: one per step, numbered, each naming its commit.
check "trace has one line per step" test "$(grep -c '"step"' "$R/trace.jsonl")" -eq "$steps"
check "trace commits are the tagged commits" "$PY" - "$R" <<'PY'
import json, subprocess, sys
r = sys.argv[1]
for line in open(r + "/trace.jsonl"):
    s = json.loads(line)
    if "step" not in s:
        continue
    tag = subprocess.check_output(["git", "--git-dir", r + "/history.git", "rev-parse",
                                   "step-%d^{commit}" % s["step"]], text=True).strip()
    assert tag == s["commit"], (s["step"], tag, s["commit"])
    for k in ("action", "input", "observation", "started", "duration_s", "tokens"):
        assert k in s, (k, s)
PY

# Each edit's diff is exactly the model line it swapped.
check "edit diffs match the edits" "$PY" - "$R" <<'PY'
import json, subprocess, sys
r = sys.argv[1]
edits = 0
for line in open(r + "/trace.jsonl"):
    s = json.loads(line)
    if s.get("action") != "Edit File":
        continue
    n = s["step"]
    diff = subprocess.check_output(["git", "--git-dir", r + "/history.git", "diff",
                                    "step-%d" % (n - 1), "step-%d" % n], text=True)
    added = [l[1:] for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
    assert added == s["input"]["new_text"].split("\n"), (added, s["input"]["new_text"])
    edits += 1
assert edits >= 3, edits
PY

# The final workspace equals the last commit (nothing unrecorded).
check "workspace equals the last snapshot" sh -c \
  "$G --work-tree=$R/workspace status --porcelain | grep -v '^??' | (! grep -q .)"

# -- read-back commands -------------------------------------------------------
mlab log tune --runs-dir "$RUNS" > "$T/log.out"
check "log lists every step" test "$(grep -cE '^ +[0-9]+  ' "$T/log.out")" -eq "$steps"
check "log shows the score" grep -q "SUCCESS" "$T/log.out"
edit_step=$("$PY" -c "
import json
for l in open('$R/trace.jsonl'):
    s = json.loads(l)
    if s.get('action') == 'Edit File': print(s['step']); break")
mlab show tune "$edit_step" --runs-dir "$RUNS" > "$T/show.out"
check "show prints the action" grep -q "Edit File" "$T/show.out"
check "show prints the diff" grep -q "^+model = " "$T/show.out"
mlab diff tune 0 "$steps" --runs-dir "$RUNS" -- train.py > "$T/diff.out"
mlab diff tune 0 "$steps" --runs-dir "$RUNS" > "$T/diff-all.out"
check "the whole diff also shows the submission" grep -q '^diff --git a/submission.csv' "$T/diff-all.out"
check "diff limited to a path shows only that path" sh -c \
  "grep '^diff --git' '$T/diff.out' | grep -qx 'diff --git a/train.py b/train.py' && test \$(grep -c '^diff --git' '$T/diff.out') -eq 1"
check "diff shows the final model" grep -q "^+model = " "$T/diff.out"
mlab checkout tune 0 "$T/co" --runs-dir "$RUNS" > /dev/null
check "checkout of step 0 is the starter" cmp "$T/co/train.py" "$MLAB_HOME/tasks/digits/env/train.py"
check "checkout leaves no .git" test ! -e "$T/co/.git"
check "eval of step 0 fails (no submission yet)" sh -c \
  "! '$MLAB' eval tune --step 0 --runs-dir '$RUNS' > /dev/null 2> '$T/eval0.err'"
check "and says why" grep -q "evaluation failed: .*submission" "$T/eval0.err"
mlab eval tune --runs-dir "$RUNS" > "$T/eval.out"
check "eval of the final workspace reproduces the score" "$PY" -c "
import json
e = json.load(open('$T/eval.out')); d = json.load(open('$R/run.json'))
assert abs(e['score'] - d['score']) < 1e-9, (e, d)"
mlab eval tune --step 2 --runs-dir "$RUNS" > "$T/eval2.out"
check "eval --step 2 scores the starter's submission" "$PY" -c "
import json
e = json.load(open('$T/eval2.out')); assert abs(e['score'] - 0.633333) <= 0.005, e"
mlab runs --runs-dir "$RUNS" > "$T/runs.out"
check "runs lists both (under its header)" test "$(tail -n +2 "$T/runs.out" | wc -l)" -eq 2
finish
