#!/usr/bin/env bash
# mlab export atif RUN: runs as ATIF v1.4 trajectories (the Harbor
# project's RFC 0001), checked field by field by
# tests/fixtures/analysis/atif_check.py (required fields and their types,
# agent-only fields, sequential step ids, ISO 8601 times, tool-call ids).
# A research-agent run with a scripted model (replies, reasoning, token
# metrics), a model-free run, an imported run with the framework's
# research-log steps (system steps), and a branch; the checker itself must
# reject a broken trajectory.
source "$(dirname "$0")/lib.sh"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
TINY="$FIX/tasks/tiny"
CHECK="$FIX/analysis/atif_check.py"

printf '%s\n' '{"replies": [
 {"text": "Reflection: start.\nResearch Plan and Status:\n1. Run run.py.\nFact Check: none.\nThought: Measure the baseline first.\nAction: Execute Script\nAction Input: {\"script_name\": \"run.py\"}\n", "usage": {"prompt": 300, "completion": 40}},
 {"text": "Reflection: it printed answer: 1.\nResearch Plan and Status:\n1. Ran run.py (answer: 1).\nFact Check: confirmed.\nThought: Nothing to add.\nAction: Final Answer\nAction Input: {\"final_answer\": \"run.py printed answer: 1\"}\n", "usage": {"prompt": 360, "completion": 45}}]}' > "$T/script.json"
"$PY" "$MLAB_HOME/tests/model_server.py" --script "$T/script.json" --port-file "$T/port" --idle 60 &
SERVER_PID=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
mlab run "$TINY" --agent research --runs-dir "$RUNS" --id model -q --llm "openai:m@http://127.0.0.1:$(cat "$T/port")/v1" > /dev/null
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=
mlab run "$TINY" --agent baseline --runs-dir "$RUNS" --id plain -q > /dev/null
mlab run "$TINY" --agent "$FIX/analysis/agents/fork_a.lua" --runs-dir "$RUNS" --id parent -q > /dev/null
mlab branch parent 2 --runs-dir "$RUNS" --id fork -q > /dev/null
"$PY" - "$T/toy__gpt-4__0.trace.json" <<'PY'
import json, sys
steps = [{"action": {"name": "List Files", "args": {"dir_path": "."}}, "observation": "train.py\n", "timestamp": 1700000000.5},
         {"action": {"name": "Append Summary to Research Log", "args": {"content": "x"}}, "observation": "ok", "timestamp": 1700000001.0},
         {"action": {"name": "Retrieval from Research Log", "args": {"current_plan": ""}}, "observation": "- a summary", "timestamp": 1700000002.0},
         {"action": {"name": "Final Answer", "args": {"final_answer": "done"}}, "observation": "end", "timestamp": 1700000010.0}]
json.dump({"steps": steps, "action_infos": {}, "task_description": "Improve it."}, open(sys.argv[1], "w"), indent=4)
PY
mlab import mlagentbench "$T/toy__gpt-4__0.trace.json" --runs-dir "$RUNS" -q

for r in model plain fork mlagentbench-toy-gpt-4-0; do
  mlab export atif "$r" --runs-dir "$RUNS" > "$T/$r.json"
  check "$r: a valid ATIF v1.4 trajectory ($("$PY" "$CHECK" "$T/$r.json" | head -n 3 | tr '\n' ' '))" "$PY" "$CHECK" "$T/$r.json"
done
check "--out writes the same document" sh -c \
  "'$MLAB' export atif model --runs-dir '$RUNS' --out '$T/out.json' | grep -q 'written to' && cmp -s '$T/out.json' '$T/model.json'"

check "model run: task, reply, reasoning, the tool call and its result, token metrics" "$PY" - "$T/model.json" "$RUNS/model" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = sys.argv[2]
calls = [json.loads(l) for l in open(r + "/llm.jsonl")]
m = json.load(open(r + "/run.json"))
assert d["schema_version"] == "ATIF-v1.4" and d["session_id"] == "model", d["session_id"]
assert d["agent"]["name"] == "research" and d["agent"]["model_name"] == "m" and d["agent"]["version"], d["agent"]
s = d["steps"]
assert len(s) == 3 and d["final_metrics"]["total_steps"] == 3, len(s)
assert s[0]["source"] == "user" and s[0]["message"].startswith("Make the number in answer.txt larger"), s[0]
a = s[1]
assert a["source"] == "agent" and a["message"] == calls[0]["reply"], a["message"]
assert a["reasoning_content"] == "Measure the baseline first.", a.get("reasoning_content")
assert a["tool_calls"] == [{"tool_call_id": "step-1", "function_name": "Execute Script",
                            "arguments": {"script_name": "run.py"}}], a["tool_calls"]
res = a["observation"]["results"]
assert len(res) == 1 and res[0]["source_call_id"] == "step-1" and res[0]["content"].startswith("answer: 1"), res
assert a["metrics"] == {"prompt_tokens": 300, "completion_tokens": 40}, a["metrics"]
assert a["model_name"] == "m" and a["extra"]["mlab_step"] == 1 and a["extra"]["commit"], a["extra"]
assert s[2]["tool_calls"][0]["function_name"] == "Final Answer", s[2]
fm = d["final_metrics"]
assert fm["total_prompt_tokens"] == 660 and fm["total_completion_tokens"] == 85, fm
x = d["extra"]["mlab"]
assert x["status"] == "final_answer" and x["score"] == m["score"] and x["task"] == "tiny", x
PY
check "model-free run: no model named, empty messages" "$PY" - "$T/plain.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert "model_name" not in d["agent"] and "total_prompt_tokens" not in d["final_metrics"], d["agent"]
assert [s["message"] for s in d["steps"][1:]] == ["", ""], d["steps"]
PY
check "imported run: the framework's research-log steps are system steps" "$PY" - "$T/mlagentbench-toy-gpt-4-0.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
src = [s["source"] for s in d["steps"]]
assert src == ["user", "agent", "system", "system", "agent"], src
sysstep = d["steps"][2]
assert sysstep["message"] == "Append Summary to Research Log" and "tool_calls" not in sysstep, sysstep
assert sysstep["observation"]["results"] == [{"content": "ok"}], sysstep
assert d["steps"][0]["message"] == "Improve it." and d["extra"]["mlab"]["imported"]["from"] == "mlagentbench", d["steps"][0]
assert d["steps"][1]["timestamp"] == "2023-11-14T22:13:20Z", d["steps"][1]["timestamp"]
PY
check "branch: inherited steps say so" "$PY" - "$T/fork.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert [bool(s["extra"].get("inherited")) for s in d["steps"][1:]] == [True, True, False, False, False], d["steps"]
assert d["extra"]["mlab"]["parent"]["id"] == "parent", d["extra"]["mlab"]
PY
"$PY" - "$T/model.json" "$T/broken.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
del d["session_id"]
d["steps"][0]["source"] = "bot"
d["steps"][0]["tool_calls"] = []
d["steps"][1]["step_id"] = 7
d["steps"][1]["observation"]["results"][0]["source_call_id"] = "nope"
d["steps"][2]["metrics"] = {"prompt_tokens": 1.5}
d["agent"]["colour"] = "red"
json.dump(d, open(sys.argv[2], "w"))
PY
set +e
"$PY" "$CHECK" "$T/broken.json" > "$T/broken.out"
rc=$?
set -e
check "the checker rejects a broken trajectory, naming each problem" sh -c "test $rc = 1 && test \"\$(wc -l < '$T/broken.out')\" -ge 7"
finish
