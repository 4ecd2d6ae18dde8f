#!/usr/bin/env bash
# agents/react_plus.lua (mlab's ReAct variant) on digits with a scripted model: reads the starter, gets
# "Invalid Format" for a reply with no action, edits by instruction, runs,
# answers with LangChain's "Final Answer:"; then replays.
source "$(dirname "$0")/agents_lib.sh"
run_agent react_plus
cp "$T/server.jsonl" "$T/react.requests"
body() { sed -n "${1}p" "$T/react.requests" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['body']['messages'][0]['content'])"; }
check "7 model calls" test "$(wc -l < "$T/react.requests")" = 7
body 1 > "$T/p1"
check "prompt in the ReAct format" grep -q "^Action: the action to take, should be one of \[List Files, Read File" "$T/p1"
check "prompt ends in Thought:" sh -c "tail -n 1 '$T/p1' | grep -q '^Thought:$'"
body 3 > "$T/p3"
check "no action -> Invalid Format observation" grep -q "^Observation: Invalid Format: the reply has no Action line" "$T/p3"
body 7 > "$T/p7"
check "scratchpad keeps the steps" grep -q "validation accuracy: 0.9" "$T/p7"
check "trace: read, run, edit, run, answer" "$PY" - "$R" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1] + "/trace.jsonl")]
names = [s["action"] for s in steps if "step" in s]
assert names == ["Read File", "Execute Script", "Edit Script (AI)", "Execute Script", "Final Answer"], names
assert "0.98" in steps[4]["input"]["final_answer"]
PY
finish
