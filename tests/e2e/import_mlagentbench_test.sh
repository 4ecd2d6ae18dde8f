#!/usr/bin/env bash
# mlab import mlagentbench over the 59 real runs of the reference system
# (../shared/real-traces): every trace becomes a run directory whose
# trace.jsonl has the same steps, actions, arguments and observations in
# order, with the framework's research-log steps marked; run.json says how
# the run ended as the runner's logs do; the raw replies land in llm.jsonl;
# mlab log/show/diff and plain git read the result; a second import skips;
# the copy is marked.  Then bad input: a trace cut short, bytes that are not
# UTF-8, an empty steps list, a file that is not JSON, JSON without steps.
source "$(dirname "$0")/lib.sh"
REAL=$(real_traces)

if [ -n "$REAL" ]; then
  start=$(date +%s)
  mlab import mlagentbench "$REAL" --runs-dir "$RUNS" > "$T/import.out"
  check "59 runs imported" grep -q "^imported 59, already there 0, failed 0" "$T/import.out"
  echo "import of 59 runs: $(( $(date +%s) - start )) s" >&2
  check "steps, actions, arguments, observations and how each run ended match the logs" "$PY" - "$REAL" "$RUNS" <<'PY'
import json, os, sys
real, runs = sys.argv[1], sys.argv[2]
ended_of = {"No valid response after max_retries": "no_valid_response"}
replies = {}
for l in open(os.path.join(real, "replies.jsonl")):
    r = json.loads(l)
    replies.setdefault(r["run_key"], []).append(r)
n = 0
for l in open(os.path.join(real, "runs.jsonl")):
    info = json.loads(l)
    key = info["run_key"]
    task, model, run = key.split("__")
    rid = "mlagentbench-%s-%s-%s" % (task, model, run)
    d = os.path.join(runs, rid)
    tr = json.load(open(os.path.join(real, info["trace_file"])))
    lines = [json.loads(x) for x in open(os.path.join(d, "trace.jsonl"))]
    steps = [x for x in lines if "step" in x]
    end = [x for x in lines if x.get("event") == "end"]
    assert len(steps) == len(tr["steps"]) == info["trace_steps"], (rid, len(steps), len(tr["steps"]))
    assert len(end) == 1, rid
    for i, (a, b) in enumerate(zip(tr["steps"], steps), 1):
        assert b["step"] == i, (rid, i)
        assert b["action"] == a["action"]["name"], (rid, i, b["action"])
        assert b["input"] == a["action"]["args"], (rid, i)
        assert b["observation"] == a["observation"], (rid, i)
        book = a["action"]["name"] == "Append Summary to Research Log" or (
            a["action"]["name"] == "Retrieval from Research Log" and not a["action"]["args"].get("current_plan"))
        assert bool(b.get("bookkeeping")) == book, (rid, i)
        assert abs(b["imported"]["timestamp"] - a["timestamp"]) < 1e-3, (rid, i)  # 14 digits
    m = json.load(open(os.path.join(d, "run.json")))
    assert m["task"] == task and m["model"] == model and m["steps"] == len(steps), rid
    im = m["imported"]
    assert im["fidelity"] == {"workspace": "none", "calls": "raw" if key in replies else "none",
                              "prompts": "none"}, (rid, im["fidelity"])
    fm = info["final_message"]
    finals = [s for s in tr["steps"] if s["action"]["name"] == "Final Answer"]
    if finals:
        want = "final_answer"
    elif fm in ended_of:
        want = ended_of[fm]
    elif fm:
        want = "step_limit"
    elif "no Final message" in (info["crash_error_last_line"] or ""):
        want = "unknown"
    else:
        want = "crash"
    assert im["ended"] == want, (rid, im["ended"], want, fm)
    status = {"final_answer": "final_answer", "step_limit": "budget_exhausted",
              "no_valid_response": "agent_error", "crash": "host_error", "unknown": "killed"}[want]
    assert m["status"] == status and end[0]["status"] == status, rid
    if want == "crash":
        assert m["message"] == info["crash_error_last_line"], (rid, m["message"])
    assert im["bookkeeping_steps"] + im["model_steps"] == len(steps), rid
    calls = [json.loads(x) for x in open(os.path.join(d, "llm.jsonl"))]
    assert len(calls) == len(replies.get(key, [])), (rid, len(calls))
    for c in calls:
        assert c["purpose"] == "agent" and c["imported"]["verdict"] in ("accepted", "rejected", "unknown"), rid
    n += 1
assert n == 59, n
PY
  check "the copy is marked, the others are not" "$PY" - "$RUNS" <<'PY'
import glob, json, sys
dups = {}
for f in glob.glob(sys.argv[1] + "/*/run.json"):
    m = json.load(open(f))
    if m["imported"].get("duplicate_of"):
        dups[m["id"]] = m["imported"]["duplicate_of"]
assert dups == {"mlagentbench-cifar10-codellama-1": "mlagentbench-cifar10-codellama-0"}, dups
PY
  R="$RUNS/mlagentbench-cifar10-gemini-pro-4"
  mlab log mlagentbench-cifar10-gemini-pro-4 --runs-dir "$RUNS" > "$T/log.out"
  check "mlab log lists the 17 steps and how the run ended" sh -c \
    "grep -Eq '^ *17 +Append Summary' '$T/log.out' && grep -q 'run ended: final_answer' '$T/log.out'"
  mlab show mlagentbench-cifar10-gemini-pro-4 10 --runs-dir "$RUNS" > "$T/show.out"
  check "mlab show has the step's input and observation" sh -c \
    "grep -q 'train_improved.py' '$T/show.out' && grep -q 'Test Accuracy: 62.63%' '$T/show.out'"
  mlab diff mlagentbench-cifar10-gemini-pro-4 0 17 --runs-dir "$RUNS" > "$T/diff.out"
  check "mlab diff works (no workspace recorded: no change)" test ! -s "$T/diff.out"
  check "plain git reads the history: one commit, a tag per step" sh -c \
    "test \"\$(git --git-dir '$R/history.git' log --format=%s step-17)\" = 'step 0: workspace not recorded' \
     && test \"\$(git --git-dir '$R/history.git' tag | wc -l)\" = 18"
  check "the reply behind a step is in llm.jsonl" "$PY" - "$R" <<'PY'
import json, sys
r = sys.argv[1]
steps = [json.loads(l) for l in open(r + "/trace.jsonl") if '"step"' in l]
calls = {c["call"]: c for c in map(json.loads, open(r + "/llm.jsonl"))}
s = steps[12]                       # Copy File train_improved.py -> submission.csv
c = calls[s["imported"]["call"]]
assert "Action:  Copy File" in c["reply"] and c["step"] == 12, c
PY
  mlab import mlagentbench "$REAL/traces/imdb__gemini-pro__7.trace.json" --runs-dir "$RUNS" > "$T/again.out"
  check "a run already imported is skipped" grep -q "already imported" "$T/again.out"
fi

# Bad and partial input, made from a small trace.
B="$T/bad"
mkdir -p "$B"
"$PY" - "$B" <<'PY'
import json, os, sys
b = sys.argv[1]
steps = [{"action": {"name": "List Files", "args": {"dir_path": "."}}, "observation": "train.py\n", "timestamp": 1700000000.5},
         {"action": {"name": "Append Summary to Research Log", "args": {"content": "x"}}, "observation": "ok", "timestamp": 1700000001.0},
         {"action": {"name": "Execute Script", "args": {"script_name": "train.py"}}, "observation": "accuracy 0.5", "timestamp": 1700000009.0},
         {"action": {"name": "Final Answer", "args": {"final_answer": "done"}}, "observation": "end", "timestamp": 1700000010.0}]
doc = {"steps": steps, "low_level_steps": [], "action_infos": {}, "task_description": "Improve it."}
text = json.dumps(doc, indent=4)
os.makedirs(b + "/single_exp_logs/gpt-4/toy/0/env_log")
open(b + "/single_exp_logs/gpt-4/toy/0/env_log/trace.json", "w").write(text)
cut = text[: text.index('"Final Answer"') - 40]          # mid-way through step 4
open(b + "/cut__gpt-4__0.trace.json", "w").write(cut)
raw = text.replace("accuracy 0.5", "accuracy 0.5 caf\\u00e9").encode().replace(b"caf\\u00e9", b"caf\xe9 \xff")
open(b + "/latin__gpt-4__0.trace.json", "wb").write(raw)
open(b + "/empty__gpt-4__0.trace.json", "w").write(json.dumps({"steps": [], "task_description": "x"}))
open(b + "/notjson__gpt-4__0.trace.json", "w").write("<html>not a trace</html>")
open(b + "/nosteps__gpt-4__0.trace.json", "w").write(json.dumps({"task_description": "x"}))
PY
BR="$T/badruns"
mlab import mlagentbench "$B/single_exp_logs" --runs-dir "$BR" -q
check "a run folder imports with task, model and run from its folders" "$PY" - "$BR/mlagentbench-toy-gpt-4-0" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/run.json"))
assert (m["task"], m["model"], m["imported"]["ended"], m["steps"]) == ("toy", "gpt-4", "final_answer", 4), m
assert m["imported"]["fidelity"]["workspace"] == "none", m
PY
mlab import mlagentbench "$B/cut__gpt-4__0.trace.json" --runs-dir "$BR" > "$T/cut.out"
check "a trace cut short: its whole steps, marked partial" "$PY" - "$BR/mlagentbench-cut-gpt-4-0" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/run.json"))
steps = [json.loads(l) for l in open(d + "/trace.jsonl") if '"step"' in l]
assert [s["action"] for s in steps] == ["List Files", "Append Summary to Research Log", "Execute Script"], steps
assert "complete steps before the cut" in m["imported"]["partial"], m["imported"]
PY
check "the partial import says so" grep -q PARTIAL "$T/cut.out"
mlab import mlagentbench "$B/latin__gpt-4__0.trace.json" --runs-dir "$BR" -q
check "bytes that are not UTF-8 are kept exactly" "$PY" - "$BR/mlagentbench-latin-gpt-4-0" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1] + "/trace.jsonl") if '"step"' in l]
obs = steps[2]["observation"].encode("utf-8", "surrogateescape")
assert obs == b"accuracy 0.5 caf\xe9 \xff", obs
PY
mlab import mlagentbench "$B/empty__gpt-4__0.trace.json" --runs-dir "$BR" -q
check "an empty steps list imports as a run of no steps, said so" "$PY" - "$BR/mlagentbench-empty-gpt-4-0" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/run.json"))
assert m["steps"] == 0 and "the trace has no steps" in m["imported"]["notes"], m
PY
for bad in notjson nosteps; do
  set +e
  mlab import mlagentbench "$B/${bad}__gpt-4__0.trace.json" --runs-dir "$BR" > "$T/$bad.out" 2> "$T/$bad.err"
  rc=$?
  set -e
  check "$bad: exit 1 with a clear error ($(cat "$T/$bad.err"))" sh -c \
    "test $rc = 1 && grep -q 'mlab: .*${bad}__gpt-4__0.trace.json: not' '$T/$bad.err'"
  check "$bad: no run directory left behind" test ! -e "$BR/mlagentbench-$bad-gpt-4-0"
done
set +e
mlab import mlagentbench "$T/nowhere" --runs-dir "$BR" > /dev/null 2> "$T/nowhere.err"
rc=$?
set -e
check "a path that does not exist: exit 1, said so" sh -c "test $rc = 1 && grep -q 'no such file or folder' '$T/nowhere.err'"
finish
