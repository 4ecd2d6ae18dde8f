#!/usr/bin/env bash
# A reference-system run folder with everything its logs can hold: one
# real trace (cifar10, gemini-pro, run 4) with a copy of the workspace
# after every step (env_log/traces/step_N_files/, made here as the
# framework makes them), the agent's raw model calls in LLM.py's log
# format (agent_log/step_N_log.log, from the real replies, one rejected try
# added) and env_log/overall_time.txt.  The import commits a step per copy:
# mlab diff and plain git show what each step changed; the replies are
# parsed, judged as the agent judged them, and tied to their steps.
source "$(dirname "$0")/lib.sh"
REAL=$(real_traces)
F="$T/single_exp_logs/gemini-pro/cifar10/4"
"$PY" - "$REAL" "$F" <<'PY'
import json, os, sys
real, f = sys.argv[1], sys.argv[2]
key = "cifar10__gemini-pro__4"
tr = json.load(open(os.path.join(real, "traces", key + ".trace.json")))
os.makedirs(f + "/env_log/traces")
os.makedirs(f + "/agent_log")
open(f + "/env_log/trace.json", "w").write(json.dumps(tr, indent=4))
open(f + "/env_log/overall_time.txt", "w").write("1600.5")
ws = {"train.py": "epochs = 5\nlr = 0.1\nprint('Test Accuracy: 49.59%')\n", "research_log.log": ""}
for i, s in enumerate(tr["steps"]):
    name, args = s["action"]["name"], s["action"]["args"]
    if name == "Append Summary to Research Log":
        ws["research_log.log"] += args["content"]
    elif name == "Edit Script (AI)":
        ws["train_improved.py"] = ws["train.py"].replace("epochs = 5", "epochs = 10")
    elif name == "Execute Script" and args["script_name"] == "train_improved.py":
        ws["submission.csv"] = "0.1,0.9\n"
    elif name == "Copy File":
        ws[args["destination"]] = ws[args["source"]]
    d = f + "/env_log/traces/step_%d_files" % i
    os.makedirs(d)
    for p, text in ws.items():
        open(os.path.join(d, p), "w").write(text)
replies = [json.loads(l) for l in open(os.path.join(real, "replies.jsonl"))]
replies = sorted((r for r in replies if r["run_key"] == key), key=lambda r: (r["turn"], r["attempt"]))
def block(prompt, text, pt, st):
    return ("\n===================prompt=====================\n\n\nHuman: %s \n\nAssistant:"
            "\n===================gemini-pro response (500)=====================\n%s"
            "\n===================tokens=====================\n"
            "Number of prompt tokens: %d\nNumber of sampled tokens: %d\n\n\n") % (prompt, text, pt, st)
for r in replies:
    path = f + "/agent_log/step_%d_log.log" % r["step"]
    with open(path, "a") as out:
        if r["turn"] == 1:   # a try the agent would reject, before the real reply
            out.write(block("prompt of turn 1", "I will think about it first.", 1800, 7))
        out.write(block("prompt of turn %d" % r["turn"], r["text"], r["prompt_tokens"], r["sampled_tokens"]))
PY
mlab import mlagentbench "$T/single_exp_logs" --runs-dir "$RUNS" > "$T/import.out"
cat "$T/import.out"
R="$RUNS/mlagentbench-cifar10-gemini-pro-4"
check "imported with a workspace per step and the raw calls" grep -q "17 steps  final_answer .*workspace per_step .*calls raw" "$T/import.out"
check "run.json: fidelity, duration, model from the folders" "$PY" - "$R" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/run.json"))
im = m["imported"]
assert im["fidelity"] == {"workspace": "per_step", "calls": "raw", "prompts": "none"}, im
assert m["time_s"] == 1600.5 and m["model"] == "gemini-pro" and m["task"] == "cifar10", m
assert im["run_folder"].endswith("single_exp_logs/gemini-pro/cifar10/4"), im
PY
check "a commit per step, tagged, step 0 = the first copy (a read-only first step)" sh -c "
  test \"\$(git --git-dir '$R/history.git' rev-list --count step-17)\" = 18 &&
  test \"\$(git --git-dir '$R/history.git' rev-parse step-0^{tree})\" = \"\$(git --git-dir '$R/history.git' rev-parse step-1^{tree})\""
mlab diff mlagentbench-cifar10-gemini-pro-4 6 7 --runs-dir "$RUNS" > "$T/d7.out"
check "mlab diff 6 7: the AI edit's new script" sh -c "grep -q '^+++ b/train_improved.py' '$T/d7.out' && grep -q '^+epochs = 10' '$T/d7.out'"
mlab diff mlagentbench-cifar10-gemini-pro-4 12 13 --runs-dir "$RUNS" -- submission.csv > "$T/d13.out"
check "mlab diff 12 13 -- submission.csv: the copy over it" sh -c "grep -q '^-0.1,0.9' '$T/d13.out' && grep -q '^+epochs = 10' '$T/d13.out'"
check "mlab diff 0 17: the whole run's change" sh -c "'$MLAB' diff mlagentbench-cifar10-gemini-pro-4 0 17 --all --runs-dir '$RUNS' | grep -q '^+++ b/submission.csv'"
mlab show mlagentbench-cifar10-gemini-pro-4 2 --all --runs-dir "$RUNS" > "$T/s2.out"
check "mlab show 2: the research log grew" sh -c "grep -q '^step 2: Append Summary to Research Log' '$T/s2.out' && grep -q '^+Step 0:' '$T/s2.out'"
check "plain git: what step 10 changed" sh -c "git --git-dir '$R/history.git' diff --stat step-9 step-10 | grep -q submission.csv"
check "the replies were parsed from the logs and judged as the agent did" "$PY" - "$R" "$REAL" <<'PY'
import json, sys
r, real = sys.argv[1], sys.argv[2]
calls = [json.loads(l) for l in open(r + "/llm.jsonl")]
want = [x for x in map(json.loads, open(real + "/replies.jsonl")) if x["run_key"] == "cifar10__gemini-pro__4"]
assert len(calls) == len(want) + 1, (len(calls), len(want))
verdicts = [c["imported"]["verdict"] for c in calls]
assert verdicts.count("rejected") == 1 and verdicts[1] == "rejected", verdicts
assert calls[1]["imported"]["attempt"] == 0 and calls[2]["imported"]["attempt"] == 1, calls[1]["imported"]
assert all(c["request"]["max_tokens"] == 500 for c in calls), calls[0]["request"]
assert calls[0]["usage"]["prompt"] == want[0]["prompt_tokens"], calls[0]["usage"]
steps = [json.loads(l) for l in open(r + "/trace.jsonl") if '"step"' in l]
tied = [s for s in steps if "call" in s["imported"]]
assert len(tied) == 7 and all(not s.get("bookkeeping") for s in tied), [s["step"] for s in tied]
c = {x["call"]: x for x in calls}[tied[3]["imported"]["call"]]
import re
assert re.search(r"Action:\s+Edit Script \(AI\)", c["reply"]), c["reply"][-300:]
PY
finish
