#!/usr/bin/env bash
# --max-tokens: provider usage is counted; a call the remaining budget
# cannot cover (prompt estimate + max_tokens) is refused before it is sent,
# recorded, and the run ends as budget_exhausted when the agent stops.
source "$(dirname "$0")/llm_lib.sh"
start_server '{"default": {"text": "fine", "usage": {"prompt": 60, "completion": 10}}}'
make_task "first question" "second question" "third question"
# each call may need 20 prompt (estimate) + 32 max_tokens = 52
run_mlab b1 --llm "openai:m@$BASE" --max-tokens 150
[ "$RC" = 0 ] || fail "mlab run exited $RC: $(cat "$T/b1.err")"
[ "$(manifest status)" = budget_exhausted ] || fail "status $(manifest status)"
[ "$(manifest tokens)" = 140 ] || fail "tokens $(manifest tokens)"
manifest message | grep -q "budget: this call may need 52 tokens" || fail "message: $(manifest message)"
[ "$(wc -l < "$T/server.jsonl")" = 2 ] || fail "the refused call was sent"
/usr/bin/python3 - "$R" <<'PY'
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1] + "/llm.jsonl")]
assert len(calls) == 3
assert calls[2]["error"]["kind"] == "budget" and calls[2]["tries"] == 0, calls[2]
assert "140 used, 52 asked, limit 150" in calls[2]["error"]["message"], calls[2]
PY
# the same run with room for all three ends normally
run_mlab b2 --llm "openai:m@$BASE" --max-tokens 1000
[ "$(manifest status)" = final_answer ] || fail "b2 status $(manifest status)"
[ "$(manifest tokens)" = 210 ] || fail "b2 tokens $(manifest tokens)"

# a model that stalls past the run's deadline: the request is cut at the
# time left (not at MLAB_LLM_TIMEOUT), recorded, and the run ends cleanly
stop_server
start_server '{"default": {"fault": "stall", "stall_s": 30}}'
make_task "slow question"
start=$(date +%s)
MLAB_LLM_TIMEOUT=60 run_mlab b3 --llm "openai:m@$BASE" --max-time 2
took=$(( $(date +%s) - start ))
[ "$(manifest status)" = budget_exhausted ] || fail "b3 status $(manifest status)"
[ "$(manifest budget_kind)" = time ] || fail "b3 kind $(manifest budget_kind)"
[ "$took" -lt 10 ] || fail "the stalled call held the run $took s"
tail -1 "$R/llm.jsonl" | grep -q '"error":{"kind":"budget"' || fail "b3 call not recorded"
echo "llm_budget_test: ok"
