#!/usr/bin/env bash
# A model run killed mid-call resumes: the calls made before the last
# complete step are answered from llm.jsonl (the server does not see them
# again), the lost step's call is made anew, and the run finishes; call
# numbers in llm.jsonl go on from the recorded ones (no duplicates).
source "$(dirname "$0")/llm_lib.sh"
start_server '{"replies": [{"text": "alpha"}, {"text": "beta"},
  {"text": "gamma", "fault": "stall", "stall_s": 60}]}'
make_task "q1" "q2" "q3" "q4"
"$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$T/runs" --id k -q \
  --llm "openai:m@$BASE" > /dev/null 2>&1 &
pid=$!
R="$T/runs/k"
for _ in $(seq 100); do
  [ -f "$T/server.jsonl" ] && [ "$(wc -l < "$T/server.jsonl")" -ge 3 ] && break
  sleep 0.1
done
[ "$(wc -l < "$T/server.jsonl")" -ge 3 ] || fail "the third call never reached the server"
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
stop_server
steps=$(grep -c '"step"' "$R/trace.jsonl")
[ "$steps" = 3 ] || fail "expected 3 complete steps before the kill, got $steps"

before=$(wc -l < "$T/server.jsonl")
start_server '{"default": {"text": "delta"}}'
"$MLAB" resume k --runs-dir "$T/runs" -q --llm "openai:m@$BASE" > "$T/resume.out" 2>&1 \
  || fail "resume failed: $(cat "$T/resume.out")"
[ "$(manifest status)" = final_answer ] || fail "status $(manifest status)"
sent=$(( $(wc -l < "$T/server.jsonl") - before ))
[ "$sent" = 2 ] || fail "the resumed run sent $sent calls; only q3 and q4 are new"
tail -n 2 "$T/server.jsonl" | grep -c '"content": "q[34]"' | grep -qx 2 \
  || fail "the new calls are not q3 and q4"
printf 'ok: alpha\nok: beta\nok: delta\nok: delta\n' | cmp -s - "$R/workspace/answer.txt" \
  || fail "answers: $(cat "$R/workspace/answer.txt")"
[ "$(grep -c . "$R/llm.jsonl")" = 4 ] || fail "llm.jsonl should hold 4 calls"
/usr/bin/python3 -c 'import json,sys; c=[json.loads(l)["call"] for l in open(sys.argv[1])]; assert c == [1, 2, 3, 4], c' "$R/llm.jsonl" \
  || fail "call numbers must go on across the resume: $(grep -o '"call":[0-9]*' "$R/llm.jsonl" | tr '\n' ' ')"
[ "$(manifest llm_usage.calls)" = 4 ] || fail "llm_usage.calls $(manifest llm_usage.calls)"
git --git-dir "$R/history.git" log -1 --format=%s | grep -q "Final Answer" \
  || fail "history does not end with the final answer"
echo "llm_resume_test: ok"
