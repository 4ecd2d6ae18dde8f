#!/usr/bin/env bash
# SIGTERM while the model is slow to answer ends the run within seconds as
# killed (the HTTP transfer is aborted, not waited out), with the call
# recorded and the workspace evaluated; a signal during a Retry-After wait
# ends the wait at once.
source "$(dirname "$0")/llm_lib.sh"
start_server '{"replies": [{"text": "alpha"}, {"text": "late", "fault": "stall", "stall_s": 60}]}'
make_task "q1" "q2"
"$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$T/runs" --id s -q \
  --llm "openai:m@$BASE" > /dev/null 2>&1 &
pid=$!
R="$T/runs/s"
for _ in $(seq 100); do
  [ -f "$T/server.jsonl" ] && [ "$(wc -l < "$T/server.jsonl")" -ge 2 ] && break
  sleep 0.1
done
[ "$(wc -l < "$T/server.jsonl")" -ge 2 ] || fail "the second call never reached the server"
start=$(date +%s)
kill -TERM "$pid"
wait "$pid" || true
[ $(( $(date +%s) - start )) -le 5 ] || fail "mlab took more than 5 s to stop"
[ "$(manifest status)" = killed ] || fail "status $(manifest status)"
[ "$(grep -c . "$R/llm.jsonl")" = 2 ] || fail "both calls should be recorded"
grep -q '"score"' "$R/run.json" || fail "the killed run was not evaluated"

# SIGTERM while mlab waits out a 429's Retry-After (60 s) before retrying:
# the wait ends at once, and so does the run, as killed
stop_server
start_server '{"replies": [{"text": "alpha"}, {"fault": "rate_limit", "retry_after": 60}, {"text": "late"}]}'
make_task "q1" "q2"
MLAB_LLM_MAX_RETRY_AFTER=300 "$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$T/runs" --id w -q \
  --llm "openai:m@$BASE" > /dev/null 2>&1 &
pid=$!
R="$T/runs/w"
for _ in $(seq 100); do
  [ "$(wc -l < "$T/server.jsonl")" -ge 4 ] && break
  sleep 0.1
done
[ "$(wc -l < "$T/server.jsonl")" -ge 4 ] || fail "the rate-limited call never reached the server"
sleep 0.3
start=$(date +%s)
kill -TERM "$pid"
wait "$pid" || true
[ $(( $(date +%s) - start )) -le 5 ] || fail "mlab waited out Retry-After instead of stopping"
[ "$(manifest status)" = killed ] || fail "backoff: status $(manifest status)"
[ "$(grep -c . "$R/llm.jsonl")" = 2 ] || fail "backoff: both calls should be recorded"
grep -q '"score"' "$R/run.json" || fail "backoff: the killed run was not evaluated"
echo "llm_signal_test: ok"
