#!/usr/bin/env bash
# agents/autogpt_style.lua on digits with a scripted model: JSON commands, a
# prose reply and an unknown command answered with what is valid, fenced
# JSON tolerated, the AI edit, task_complete as the final answer; then
# replays.
source "$(dirname "$0")/agents_lib.sh"
run_agent autogpt_style
cp "$T/server.jsonl" "$T/autogpt.requests"
msgs() { sed -n "${1}p" "$T/autogpt.requests" | "$PY" -c "import json,sys; b=json.load(sys.stdin)['body']; print(json.dumps(b['messages'], indent=1))"; }
sys1() { sed -n "1p" "$T/autogpt.requests" | "$PY" -c "import json,sys; b=json.load(sys.stdin)['body']; print([m for m in b['messages'] if m['role']=='system'][0]['content'])"; }
check "8 model calls" test "$(wc -l < "$T/autogpt.requests")" = 8
sys1 > "$T/sys"
check "system prompt lists commands" grep -q '^7. edit_script_ai: Use this to do a relatively large' "$T/sys"
check "system prompt has the goals" grep -q "^GOALS:" "$T/sys"
msgs 2 > "$T/m2"
check "prose reply answered with the format" grep -q "Your reply could not be used: the reply is not a JSON object" "$T/m2"
msgs 7 > "$T/m7"
check "unknown command answered with the valid ones" grep -q "'google' is not a valid action" "$T/m7"
msgs 8 > "$T/m8"
check "memory of past commands" grep -q "This reminds you of these events from your past" "$T/m8"
check "trace: read, run, edit, run, answer" "$PY" - "$R" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1] + "/trace.jsonl")]
names = [s["action"] for s in steps if "step" in s]
assert names == ["Read File", "Execute Script", "Edit Script (AI)", "Execute Script", "Final Answer"], names
assert "0.98" in steps[4]["input"]["final_answer"]
PY
finish
