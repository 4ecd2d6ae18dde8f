#!/usr/bin/env bash
# A score at every step, on a real tuner run on digits: `mlab eval
# --all-steps` gives the same curve as `mlab eval --step N` run one by one
# (uncached), scores each distinct tree once, reuses its cache, and an edit
# step's score is that step's committed tree (eval says which step wrote
# the submission it holds).  show and diff summarise generated files.
source "$(dirname "$0")/lib.sh"

# 7 steps: read, run, edit (LogisticRegression), run, edit (RandomForest),
# run, edit (HistGradientBoosting): the budget ends it before that last run.
mlab run digits --agent tuner --max-steps 7 --runs-dir "$RUNS" --id tune -q > "$T/run.out" 2>&1 || true
R="$RUNS/tune"
check "the tuner run ended by its step budget ($(tail -n 3 "$T/run.out" | tr '\n' ' '))" \
  test "$(json "$R/run.json" "d['status']")" = budget_exhausted

mlab eval tune --all-steps --jobs 2 --runs-dir "$RUNS" --json > "$T/all.json"
for n in 0 1 2 3 4 5 6 7; do
  mlab eval tune --step $n --no-cache --record --runs-dir "$RUNS" > "$T/one-$n.json" || true
done
check "the curve of --all-steps is eval --step N one by one" "$PY" - "$T" <<'PY'
import json, sys
t = sys.argv[1]
curve = json.load(open(t + "/all.json"))["steps"]
assert [p["step"] for p in curve] == list(range(8)), curve
for p in curve:
    one = json.load(open("%s/one-%d.json" % (t, p["step"])))
    assert one["tree"] == p["tree"], (p, one)
    assert one.get("score") == p.get("score"), (p["step"], one.get("score"), p.get("score"))
    assert ("error" in one) == ("error" in p), (p, one)
# the starter files have no submission: no valid score; the first run has one
assert "error" in curve[0] and "submission" in curve[0]["error"]
assert abs(curve[2]["score"] - 0.633333) <= 0.005, curve[2]
assert curve[4]["score"] > curve[2]["score"] * 1.1, (curve[2], curve[4])
PY
check "each distinct tree was scored once" "$PY" - "$R" "$T/all.json" <<'PY'
import json, subprocess, sys
r, a = sys.argv[1], json.load(open(sys.argv[2]))
trees = [subprocess.check_output(["git", "--git-dir", r + "/history.git", "rev-parse", "step-%d^{tree}" % i],
                                 text=True).strip() for i in range(8)]
recs = [json.loads(l) for l in open(r + "/scores.jsonl") if '"tree"' in l]
assert sorted(x["tree"] for x in recs) == sorted(set(trees)), (len(recs), len(set(trees)))
assert a["scored"] == len(set(trees)) and a["cached"] == 0 and a["distinct"] == len(set(trees)), a
# step 1 (Read File) changed nothing: it shares step 0's record
assert trees[1] == trees[0] and a["steps"][1]["changed"] is False
PY
mlab eval tune --all-steps --runs-dir "$RUNS" --json > "$T/again.json"
check "a second --all-steps scores nothing again" "$PY" -c "
import json; a = json.load(open('$T/again.json')); b = json.load(open('$T/all.json'))
assert a['scored'] == 0 and a['cached'] == b['distinct'], a
assert [p.get('score') for p in a['steps']] == [p.get('score') for p in b['steps']]"
check "--all-steps says the best step and success at any step" "$PY" -c "
import json; a = json.load(open('$T/all.json'))
assert a['best']['step'] in (4, 5, 6, 7) and a['success_any'] is True, a['best']"

# SIGTERM part-way (as Ctrl-C): no new evaluation starts, the scores done
# are kept, exit 130; the same command later scores only what is left.
rm "$R/scores.jsonl"
"$MLAB" eval tune --all-steps --jobs 1 --runs-dir "$RUNS" --json > "$T/int.json" 2> "$T/int.err" &
pid=$!
for _ in $(seq 300); do
  [ "$(cat "$R/scores.jsonl" 2>/dev/null | grep -c '"tree"')" -gt 0 ] && break
  sleep 0.05
done
kill -TERM "$pid" 2>/dev/null || true
rc=0; wait "$pid" || rc=$?
check "eval --all-steps stopped by SIGTERM exits 130 (got $rc)" test "$rc" = 130
check "and says what is left" grep -q "left unscored (run it again to go on)" "$T/int.err"
check "it scored some trees, not all" "$PY" -c "
import json; a = json.load(open('$T/int.json'))
assert a['interrupted'] and 0 < a['scored'] < a['distinct'], a"
mlab eval tune --all-steps --runs-dir "$RUNS" --json > "$T/rest.json"
check "the same command then scores only the rest" "$PY" -c "
import json; a = json.load(open('$T/rest.json')); i = json.load(open('$T/int.json'))
assert not a['interrupted'] and a['scored'] + i['scored'] == a['distinct'], (a['scored'], i['scored'])"

# An edit step: its own tree, holding the submission of the run before it.
mlab eval tune --step 5 --runs-dir "$RUNS" > "$T/e5.json" 2> "$T/e5.err"
check "eval --step on an edit step scores that step's tree" "$PY" - "$R" "$T/e5.json" "$T/one-4.json" <<'PY'
import json, subprocess, sys
r, e, four = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
tree5 = subprocess.check_output(["git", "--git-dir", r + "/history.git", "rev-parse", "step-5^{tree}"], text=True).strip()
assert e["tree"] == tree5 and e["step"] == 5, e
assert e["files_from_step"] == 4 and e["score"] == four["score"], e
assert e["cached"] is True, e
PY
check "and says which step wrote the submission it scored" grep -q \
  "step 5 (Edit File) did not rewrite the generated files; the score is that of what step 4 left" "$T/e5.err"

# Generated files: summarised by default, whole on request.
mlab show tune 4 --runs-dir "$RUNS" > "$T/show4.txt"
check "show summarises the submission as a stat line" sh -c \
  "grep -q '^ submission.csv |' '$T/show4.txt' && grep -q 'generated: --all shows it' '$T/show4.txt' \
   && ! grep -qE '^[-+][0-9]+,[0-9]+$' '$T/show4.txt'"
check "show gives the score after the step" grep -q '^score    0\.9.* after this step' "$T/show4.txt"
mlab show tune 4 --all --runs-dir "$RUNS" > "$T/show4all.txt"
check "show --all shows it whole" grep -qE '^[-+][0-9]+,[0-9]+$' "$T/show4all.txt"
mlab diff tune 0 7 --runs-dir "$RUNS" > "$T/d.txt"
check "diff shows train.py first, whole, and the submission as one line" "$PY" - "$T/d.txt" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
heads = [l for l in lines if l.startswith("diff --git")]
assert heads == ["diff --git a/train.py b/train.py", "diff --git a/submission.csv b/submission.csv"], heads
assert any(l.startswith("+model = ") for l in lines)
assert len(lines) < 40, len(lines)
PY
mlab diff tune 0 7 --stat --runs-dir "$RUNS" > "$T/stat.txt"
check "diff --stat" sh -c "grep -qE '^ submission.csv +\| +[0-9]+ \+' '$T/stat.txt' && grep -qE '^ train.py +\|' '$T/stat.txt' \
  && grep -q '2 files changed' '$T/stat.txt'"
mlab log tune --runs-dir "$RUNS" > "$T/log.txt"
check "log shows the score after each step once scored" grep -qE '^ +4    Execute Script .* 0\.9[0-9]*  ' "$T/log.txt"
finish
