#!/usr/bin/env bash
# agents/research_plus.lua (mlab's variant of the research agent) on digits with a scripted model: reads the starter,
# looks at the data (a long observation, summarised in chunks), survives a
# reply with no entries, a cut-off Action Input and an unknown action, has
# the AI edit swap the tree for an SVC, runs it, answers; then replays.
source "$(dirname "$0")/agents_lib.sh"
run_agent research_plus
cp "$T/server.jsonl" "$T/research_plus.requests"
req() { sed -n "${1}p" "$T/research_plus.requests"; }
prompt_of() { req "$1" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['body']['messages'][0]['content'])"; }
check "12 model calls" test "$(wc -l < "$T/research_plus.requests")" = 12
check "stop sequence Observation:" sh -c "req() { sed -n \"\$1p\" '$T/research_plus.requests'; }; req 1 | grep -q '\"stop\": \[\"Observation:\"\]'"
prompt_of 1 > "$T/p1"
check "prompt lists the visible actions" grep -q "^- Edit Script (AI):" "$T/p1"
check "prompt hides the others" sh -c "! grep -q '^- Write File:' '$T/p1'"
check "prompt has the research problem" grep -q "Research Problem: # Handwritten digit recognition" "$T/p1"
check "prompt has the format" grep -q "^Research Plan and Status: The full high level research plan" "$T/p1"
prompt_of 2 > "$T/p2"
check "retry names what was missing" grep -q "Your response was in incorrect format: the reply is missing the entries Reflection, Research Plan and Status, Fact Check, Thought, Action and Action Input" "$T/p2"
prompt_of 4 > "$T/p4"
check "long observation summarised in chunks (part 1)" grep -q "(part 1 of 2)" "$T/p4"
prompt_of 6 > "$T/p6"
check "history holds the summary, not the raw lines" sh -c "grep -q '^\[summary of [0-9]* characters\]' '$T/p6' && ! grep -q '^17,0,0,' '$T/p6'"
prompt_of 11 > "$T/p10"
check "unknown action retried with the valid names" grep -q "'Train Model' is not a valid action; the valid actions are: List Files, Copy File" "$T/p10"
prompt_of 12 > "$T/p12"
check "last turn shows three steps" test "$(grep -c '^Observation:$' "$T/p12")" = 4
check "older steps left the prompt" sh -c "! grep -q 'read the starter' '$T/p12'"
check "the plan is carried as memory" grep -q "baseline 0.63" "$T/p12"
check "trace: the steps the conversation asked for" "$PY" - "$R" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1] + "/trace.jsonl")]
steps = [s for s in steps if "step" in s]
names = [s["action"] for s in steps]
assert names == ["Inspect Script Lines", "Inspect Script Lines", "Execute Script", "Execute Script",
                 "Edit Script (AI)", "Execute Script", "Final Answer"], names
assert steps[2]["code"] == "invalid" and "cut off" in steps[2]["observation"], steps[2]
assert "validation accuracy: 0.6190" in steps[3]["observation"], steps[3]
# a retry and the summary calls count in the step they lead to
assert [s["tokens"] for s in steps] == [2040, 1020, 3060, 1020, 3120, 2040, 1020], [s["tokens"] for s in steps]
PY
finish
