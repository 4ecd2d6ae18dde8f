#!/usr/bin/env bash
# The action catalogue (ctx.actions) on the tiny task against the scripted
# model server: every action once, bad input of each kind answered as an
# observation, model-backed actions as single steps with their tokens, the
# AI edit's diff, undo, and a resumed run that skips the model calls of
# the composite steps it fast-forwards through.
source "$(dirname "$0")/llm_lib.sh"
AGENT="$MLAB_HOME/tests/fixtures/agents/actions_probe.lua"
TASK="$MLAB_HOME/tests/fixtures/tasks/tiny"
SCRIPT='{"replies": [
  {"text": "Here it is:\n```python\n5\n```\nDone.", "usage": {"prompt": 100, "completion": 10}},
  {"text": "```python\nprint(\"segment\")\n```", "usage": {"prompt": 100, "completion": 10}},
  {"text": "It prints the answer.", "usage": {"prompt": 100, "completion": 10}},
  {"text": "The log says the answer was 1.", "usage": {"prompt": 100, "completion": 10}},
  {"text": "Raise the number.", "usage": {"prompt": 100, "completion": 10}},
  {"text": "```python\n7\n```", "usage": {"prompt": 100, "completion": 10}}]}'
start_server "$SCRIPT"
probe() { # probe ID [options]
  local id=$1; shift
  set +e
  "$MLAB" run "$TASK" --agent "$AGENT" --runs-dir "$T/runs" --id "$id" -q --llm "openai:m@$BASE" "$@" \
    > "$T/$id.out" 2> "$T/$id.err"
  RC=$?
  set -e
  R="$T/runs/$id"
}
probe a
[ "$RC" = 0 ] || fail "run exited $RC: $(cat "$T/a.err")"
[ "$(manifest status)" = final_answer ] || fail "status $(manifest status): $(manifest message)"
[ "$(manifest score)" = 7 ] || fail "score $(manifest score)"
LOG="$R/agent.log"
has() { grep -qF -- "$1" "$LOG" || fail "agent.log lacks: $1"; }
has "LIST List Files,Read File,Write File,Append File,Copy File,Undo Edit Script,Execute Script,Final Answer,Understand File,Append Summary to Research Log,Inspect Script Lines,Edit Script (AI),Edit Script Segment (AI),Reflection,Retrieval from Research Log"
has 'DESCRIBE - Edit Script (AI):\n'
has 'GET Inspect Script Lines start_line_number:integer'
has 'GET-NONE nil'
has 'SPECS 15 The observation will be empty.'
has 'DISABLED true'
has '"edit_instruction": [a detailed step by step description on how to edit it., a string],'
has '== List Files | ok=true | answer.txt\nrun.py'
has '== Inspect Script Lines | ok=true | Here are the lines (the file ends at line 1):'
has "== Inspect Script Lines | ok=false | error: The Action Input for Inspect Script Lines is not valid: at most 101 lines a call; lines 1-500 are 500 lines."
has "== Fly | ok=false | error: Invalid action: 'Fly' is not a valid action; the valid actions are: List Files, Read File,"
has "== Execute Script | ok=false | error: The Action Input for Execute Script is not valid: Action Input is not valid JSON: the JSON object is cut off"
has '== Copy File | ok=false | error: The Action Input for Copy File is not valid: missing destination.\nIt takes:\n```\nAction: Copy File'
has '== Inspect Script Lines | ok=false | error: The Action Input for Inspect Script Lines is not valid: start_line_number must be a whole number, not "one".'
has '== Edit Script (AI) | ok=true | The edited file is saved to answer.txt. Here is the diff, please check if the edit is correct and desirable:\n\n--- answer.txt\n+++ answer.txt\n@@ -1 +1 @@\n-1\n+5\n'
has '== Undo Edit Script | ok=true | Content of answer.txt after undo of the most recent edit:\n1'
has '== Edit Script Segment (AI) | ok=true | The edited file is saved to run2.py. Here is the diff'
has '\n--- run.py\n+++ run2.py\n@@ -1 +1 @@\n-print("answer:", open("answer.txt").read().strip())\n+print("segment")'
has '== Understand File | ok=true | It prints the answer.'
has '== Append Summary to Research Log | ok=true | Successfully appended to research log'
has '== Retrieval from Research Log | ok=true | The log says the answer was 1.'
has '== Reflection | ok=true | Reflection: Raise the number.'
has "== Python REPL | ok=false | error: Invalid action: 'Python REPL' is not a valid action"
has '== python_repl | ok=true | 42'
has '== Execute Script | ok=true | segment'
has '== Final Answer | ok=true | end'
has '== List Files | ok=false | error: the run is over: a final answer was given'

/usr/bin/python3 - "$R" "$T/server.jsonl" <<'PY' || fail "trace/llm checks"
import json, subprocess, sys
r, server = sys.argv[1], sys.argv[2]
steps = [json.loads(l) for l in open(r + "/trace.jsonl")]
steps = [s for s in steps if "step" in s]
names = [s["action"] for s in steps]
assert names == ["List Files", "Inspect Script Lines", "Inspect Script Lines", "Invalid Action",
  "Execute Script", "Copy File", "Inspect Script Lines", "Edit Script (AI)", "Undo Edit Script",
  "Edit Script Segment (AI)", "Understand File", "Append Summary to Research Log",
  "Retrieval from Research Log", "Reflection", "Invalid Action", "Python REPL", "Execute Script",
  "Edit Script (AI)", "Final Answer"], names
model = {"Edit Script (AI)", "Edit Script Segment (AI)", "Understand File",
         "Retrieval from Research Log", "Reflection"}
for s in steps:   # a model-backed step carries its call's tokens, others none
    assert s["tokens"] == (110 if s["action"] in model else 0), s
bad = [s for s in steps if s.get("code") == "invalid"]
assert len(bad) == 6 and all(s["observation"].startswith("error: ") for s in bad), bad
assert steps[3]["input"] == {"action": "Fly", "input": {}}, steps[3]["input"]
assert steps[4]["input"] == {"input": "{'script_name': 'run.py'"}, steps[4]["input"]
calls = [json.loads(l) for l in open(r + "/llm.jsonl")]
assert len(calls) == 6 and [c["step"] for c in calls] == [7, 9, 10, 12, 13, 17], [c["step"] for c in calls]
req = calls[0]["request"]["messages"][0]["content"]
assert req == ('Given this python script:\n    ```python \n    1\n\n    ```\n    Edit the script by following '
               'the instruction:\n    make it 5\n    Provide the full code after the edit, making no other changes. '
               'Start the python code with "```python". \n\n    '), req
assert "Segment {idx}" not in calls[2]["request"]["messages"][0]["content"]
# the reference's roles: Understand File, Retrieval and Reflection ask the
# fast model at 0.01, the AI edits the agent's model at 0.5; all stop at
# "Observation:"
roles = [(c["request"].get("temperature"), c.get("role")) for c in calls]
assert roles == [(0.5, None), (0.5, None), (0.01, "fast"), (0.01, "fast"), (0.01, "fast"), (0.5, None)], roles
assert all(c["request"].get("stop") == ["Observation:"] for c in calls), [c["request"].get("stop") for c in calls]
assert calls[2]["request"]["messages"][0]["content"].startswith("Given this (partial) file from line 1 character 0 to line 2 character ")
assert "Step 1: ran run.py, answer 1" in calls[3]["request"]["messages"][0]["content"]
m = json.load(open(r + "/run.json"))
assert m["tokens"] == 660, m["tokens"]
# the edit is in the history: git diff between the steps around it
d = subprocess.check_output(["git", "--git-dir", r + "/history.git", "diff", "step-7", "step-8"], text=True)
assert "-1\n+5" in d, d
log = subprocess.check_output(["git", "--git-dir", r + "/history.git", "show", "step-12:research_log.log"], text=True)
assert log == "Step 1: ran run.py, answer 1\n", log
PY

# -- resume: stop after 13 steps (four model-backed steps done), then
# resume against a server holding only the two calls still to come; the
# fast-forward must skip the recorded calls of the composite steps.
stop_server
start_server "$SCRIPT"
probe b --max-steps 13
[ "$(manifest status)" = budget_exhausted ] || fail "b status $(manifest status)"
stop_server
rm -f "$T/server.jsonl"
start_server '{"replies": [
  {"text": "Raise the number.", "usage": {"prompt": 100, "completion": 10}},
  {"text": "```python\n7\n```", "usage": {"prompt": 100, "completion": 10}}]}'
set +e
"$MLAB" resume b --runs-dir "$T/runs" --max-steps 40 -q --llm "openai:m@$BASE" > "$T/resume.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || fail "resume exited $rc: $(cat "$T/resume.out")"
[ "$(manifest status)" = final_answer ] || fail "resumed status $(manifest status): $(manifest message)"
[ "$(manifest score)" = 7 ] || fail "resumed score $(manifest score)"
n=$(wc -l < "$T/server.jsonl")
[ "$n" = 2 ] || fail "the resumed run asked the model $n times, not 2"
[ "$(grep -c '"step"' "$R/trace.jsonl")" = 19 ] || fail "resumed trace steps"
echo "agents_actions_test.sh: ok"
