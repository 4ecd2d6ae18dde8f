#!/usr/bin/env bash
# agents/tools.lua on digits through native tool calls, against the
# scripted model server in the OpenAI format and in the Anthropic format:
# the catalogue goes out as tools, two calls in one reply are two steps,
# malformed arguments become a step whose observation says what is wrong,
# a reply without a tool call gets a reminder, the AI edit swaps the tree
# for an SVC, and Final Answer ends the run past the threshold.  Tool
# calls are in llm.jsonl, and `mlab replay` reproduces each run.
source "$(dirname "$0")/lib.sh"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT

# The model's side of the conversation, in the order the agent asks.
"$PY" - "$MLAB_HOME" > "$T/script.json" <<'PY'
import json, sys
home = sys.argv[1]
starter = open(home + "/tasks/digits/env/train.py").read()
improved = (starter
            .replace("from sklearn.tree import DecisionTreeClassifier", "from sklearn.svm import SVC")
            .replace("model = DecisionTreeClassifier(max_depth=4, random_state=0)", "model = SVC(C=10)"))
assert improved != starter
EDIT = "Replace the DecisionTreeClassifier(max_depth=4) with an SVC(C=10) from sklearn.svm; change nothing else."
U = {"prompt": 900, "completion": 120}
def call(name, **args):
    return {"name": name, "arguments": args}
replies = [
    # two calls in one reply: two steps, two results
    {"text": "Let me look around first.", "usage": U,
     "tool_calls": [call("List_Files", dir_path="."), call("Read_File", file_name="train.py")]},
    # malformed arguments (cut off): a step that says so
    {"text": "", "usage": U, "tool_calls": [{"name": "Execute_Script", "arguments_raw": "{\"script_name\": \"train.py"}]},
    # no tool call: the agent reminds the model
    {"text": "The script trains a depth-4 decision tree; I should measure it.", "usage": U},
    {"text": "", "usage": U, "tool_calls": [call("Execute_Script", script_name="train.py")]},
    {"text": "The baseline is 0.62; a kernel SVC should do far better.", "usage": U,
     "tool_calls": [call("Edit_Script_AI", script_name="train.py", edit_instruction=EDIT, save_name="train.py")]},
    # the AI edit's own model call (no tools)
    {"text": "Here is the edited script:\n```python\n" + improved + "```\n", "usage": {"prompt": 1500, "completion": 600}},
    {"text": "", "usage": U, "tool_calls": [call("Execute_Script", script_name="train.py")]},
    {"text": "Done.", "usage": U, "tool_calls": [call("Final_Answer", final_answer=
        "Replaced the depth-4 decision tree with SVC(C=10): validation accuracy rose from 0.62 to about 0.98.")]},
]
print(json.dumps({"replies": replies}))
PY

start_server() {
  rm -f "$T/port" "$T/server.jsonl"
  "$PY" "$MLAB_HOME/tests/model_server.py" --script "$T/script.json" \
    --port-file "$T/port" --log "$T/server.jsonl" --idle 300 &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || { echo "FAIL: model server did not start" >&2; exit 1; }
  BASE="http://127.0.0.1:$(cat "$T/port")/v1"
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

for fmt in openai anthropic; do
  id=tools-$fmt
  R="$RUNS/$id"
  start_server
  set +e
  "$MLAB" run digits --agent tools --runs-dir "$RUNS" --id "$id" -q --llm "$fmt:scripted@$BASE" \
    > "$T/$id.out" 2> "$T/$id.err"
  rc=$?
  set -e
  stop_server
  cp "$T/server.jsonl" "$T/$id.requests"
  check "$fmt: run exits 0 ($(tail -n 3 "$T/$id.err" | tr '\n' ' '))" test "$rc" = 0
  check "$fmt: final answer, past the threshold ($(json "$R/run.json" "d.get('message')"))" "$PY" - "$R" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/run.json"))
assert m["status"] == "final_answer", m["status"]
assert m["success"] is True and m["score"] > m["baseline"] * 1.10, (m["score"], m["baseline"])
PY
  check "$fmt: one step per tool call, in order" "$PY" - "$R" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1] + "/trace.jsonl")]
steps = [s for s in steps if "step" in s]
names = [s["action"] for s in steps]
assert names == ["List Files", "Read File", "Execute Script", "Execute Script", "Edit Script (AI)",
                 "Execute Script", "Final Answer"], names
assert steps[2].get("code") == "invalid" and "is never closed" in steps[2]["observation"], steps[2]
assert "validation accuracy: 0.6" in steps[3]["observation"], steps[3]
assert "+model = SVC(C=10)" in steps[4]["observation"], steps[4]
assert "validation accuracy: 0.9" in steps[5]["observation"], steps[5]
PY
  check "$fmt: tools, calls and results on the wire" "$PY" - "$T/$id.requests" "$fmt" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
fmt = sys.argv[2]
assert len(reqs) == 8, len(reqs)
assert all("problem" not in r for r in reqs) and all(r.get("n") for r in reqs)
first = reqs[0]["body"]
if fmt == "openai":
    names = [t["function"]["name"] for t in first["tools"]]
    schema = [t["function"] for t in first["tools"] if t["function"]["name"] == "Edit_Script_AI"][0]["parameters"]
else:
    names = [t["name"] for t in first["tools"]]
    schema = [t for t in first["tools"] if t["name"] == "Edit_Script_AI"][0]["input_schema"]
assert "Edit_Script_AI" in names and "Final_Answer" in names and "Python_REPL" not in names, names
assert set(schema["required"]) == {"script_name", "edit_instruction", "save_name"}, schema
# the second request carries the two calls and their two results
msgs = reqs[1]["body"]["messages"]
if fmt == "openai":
    a = [m for m in msgs if m["role"] == "assistant"][0]
    assert [c["function"]["name"] for c in a["tool_calls"]] == ["List_Files", "Read_File"], a
    results = [m for m in msgs if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in results] == [c["id"] for c in a["tool_calls"]], results
    assert "DecisionTreeClassifier" in results[1]["content"]
else:
    a = [m for m in msgs if m["role"] == "assistant"][0]
    uses = [b for b in a["content"] if b["type"] == "tool_use"]
    assert [b["name"] for b in uses] == ["List_Files", "Read_File"], a
    res = [b for b in msgs[-1]["content"] if b["type"] == "tool_result"]
    assert [b["tool_use_id"] for b in res] == [b["id"] for b in uses], msgs[-1]
    assert "DecisionTreeClassifier" in res[1]["content"]
# the malformed call's result says what was wrong, marked as an error (Anthropic)
last = reqs[2]["body"]["messages"][-1]
if fmt == "openai":
    assert last["role"] == "tool" and "is never closed" in last["content"], last
else:
    assert last["content"][0]["type"] == "tool_result" and last["content"][0]["is_error"] is True, last
    assert "is never closed" in last["content"][0]["content"]
# a reply without a tool call is followed by the reminder
assert "calling one of the tools" in json.dumps(reqs[3]["body"]["messages"][-1])
# the AI edit's own call has no tools
assert "tools" not in reqs[5]["body"], reqs[5]["body"].keys()
PY
  check "$fmt: tool calls in llm.jsonl by catalogue name, malformed ones with their error" "$PY" - "$R" <<'PY'
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1] + "/llm.jsonl")]
assert [c["call"] for c in calls] == list(range(1, 9))
tc = [c.get("tool_calls") for c in calls]
assert [t["name"] for t in tc[0]] == ["List Files", "Read File"] and tc[0][1]["arguments"] == {"file_name": "train.py"}
assert tc[1][0]["name"] == "Execute Script" and tc[1][0]["arguments"] == '{"script_name": "train.py' and "error" in tc[1][0]
assert tc[2] is None and tc[5] is None
assert tc[4][0]["name"] == "Edit Script (AI)"
assert calls[0]["request"]["tools"][0]["name"] == "List Files"
PY
  set +e
  "$MLAB" replay "$id" --runs-dir "$RUNS" --id "$id-replay" -q > "$T/$id.replay" 2>&1
  rc=$?
  set -e
  check "$fmt: replay exits 0 ($(tail -n 2 "$T/$id.replay" | tr '\n' ' '))" test "$rc" = 0
  check "$fmt: replay is identical" grep -q "identical to $id" "$T/$id.replay"
  check "$fmt: replayed tool calls are the recorded ones" "$PY" - "$R" "$RUNS/$id-replay" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1] + "/llm.jsonl")]
b = [json.loads(l) for l in open(sys.argv[2] + "/llm.jsonl")]
assert [(c["request"], c.get("tool_calls"), c.get("reply")) for c in a] == \
       [(c["request"], c.get("tool_calls"), c.get("reply")) for c in b]
PY
done
finish
