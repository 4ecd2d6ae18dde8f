#!/usr/bin/env bash
# The agent's request is read raw, outside the guarded call: metamethods
# on its tables that never return (__index, __len, __pairs) are not run,
# so they cannot hold the run past its deadline with the hook lifted.
source "$(dirname "$0")/llm_lib.sh"
start_server '{"replies": [{"text": "fine"}]}'
make_task "unused"
set +e
timeout -s KILL 60 "$MLAB" run "$T/task" --agent "$MLAB_HOME/tests/e2e/agents/llm_hostile.lua" \
  --runs-dir "$T/runs" --id h -q --llm "openai:m@$BASE" --max-time 20 > "$T/h.out" 2> "$T/h.err"
RC=$?
set -e
R="$T/runs/h"
[ "$RC" != 137 ] || fail "the run hung in the agent's metamethods"
[ "$RC" = 0 ] || fail "mlab run exited $RC: $(cat "$T/h.err")"
[ "$(manifest status)" = final_answer ] || fail "status $(manifest status): $(manifest message)"
grep -qx "ok: fine" "$R/workspace/answer.txt" || fail "answer: $(cat "$R/workspace/answer.txt")"
grep -q '"messages":\[{"content":"hello","role":"user"}\]' "$R/llm.jsonl" || fail "request: $(cat "$R/llm.jsonl")"
echo "llm_request_test: ok"
