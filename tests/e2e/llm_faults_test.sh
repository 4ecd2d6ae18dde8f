#!/usr/bin/env bash
# Each fault of the scripted server has the outcome a user expects: 429,
# 5xx, stalls and dropped connections are retried with backoff (Retry-After
# honoured, tries bounded), broken replies come back as bad_reply, a reply
# without usage still counts (estimated), and the run goes on.
source "$(dirname "$0")/llm_lib.sh"
start_server '{"replies": [
  {"fault": "rate_limit", "retry_after": 0.4}, {"text": "after 429"},
  {"fault": "unavailable"}, {"text": "after 503"},
  {"fault": "stall", "stall_s": 4}, {"text": "after stall"},
  {"fault": "malformed"},
  {"fault": "truncated", "text": "0123456789abcdef"}, {"text": "after truncated"},
  {"fault": "wrong_content_type"},
  {"fault": "no_usage", "text": "no usage"},
  {"fault": "server_error"}, {"fault": "server_error"},
  {"fault": "stall", "stall_s": 4}, {"fault": "stall", "stall_s": 4}]}'
make_task p-429 p-503 p-stall p-malformed p-truncated p-ctype p-nousage p-500 p-timeout
export MLAB_LLM_TIMEOUT=1 MLAB_LLM_MAX_TRIES=2 MLAB_LLM_BACKOFF=0.05
start=$(date +%s.%N)
run_mlab f1 --llm "openai:m@$BASE"
took=$(echo "$(date +%s.%N) - $start" | bc)
[ "$RC" = 0 ] || fail "mlab run exited $RC: $(cat "$T/f1.err")"
[ "$(manifest status)" = final_answer ] || fail "status $(manifest status)"
cut -c1-60 "$R/workspace/answer.txt" > "$T/answers"
expect() { sed -n "$1p" "$T/answers" | grep -q -- "$2" || fail "line $1: $(sed -n "$1p" "$T/answers"), want $2"; }
expect 1 '^ok: after 429$'
expect 2 '^ok: after 503$'
expect 3 '^ok: after stall$'
expect 4 '^bad_reply: reply from http://127.0.0.1:[0-9]*/v1/chat/complet'
grep -q 'is not valid JSON' "$R/workspace/answer.txt" || fail "malformed message"
expect 5 '^ok: after truncated$'
expect 6 '^bad_reply: reply from'
grep -q "content type 'text/html', not JSON" "$R/workspace/answer.txt" || fail "content type message"
expect 7 '^ok: no usage$'
expect 8 '^server: server: HTTP 500 from'
grep -q 'HTTP 500 .*(after 2 tries)' "$R/workspace/answer.txt" || fail "500 tries"
expect 9 '^timeout: http: '
/usr/bin/python3 - "$R" "$T/server.jsonl" <<'PY'
import json, sys
run, log = sys.argv[1], sys.argv[2]
calls = [json.loads(l) for l in open(run + "/llm.jsonl")]
assert len(calls) == 9, len(calls)
c429 = calls[0]
assert c429["tries"] == 2 and c429["attempts"][0]["retry_after"] == 0.4, c429
assert c429["latency_s"] >= 0.4, c429          # Retry-After honoured
assert calls[2]["attempts"][0]["kind"] == "timeout"
assert calls[3]["error"]["kind"] == "bad_reply" and calls[3]["tries"] == 1
assert calls[4]["tries"] == 2                  # dropped connection retried
assert calls[6]["usage"]["estimated"] is True
assert calls[7]["error"] == {"kind": "server", "status": 500,
    "message": calls[7]["error"]["message"]} and calls[7]["retries"] == 1
assert calls[8]["error"]["kind"] == "timeout" and calls[8]["tries"] == 2
m = json.load(open(run + "/run.json"))
u = m["llm_usage"]
assert u["calls"] == 9 and u["errors"] == 4 and u["estimated_calls"] == 1, u
assert len(open(log).read().splitlines()) == 15   # every scripted entry used
PY
echo "took $took s"
[ "$(echo "$took < 30" | bc)" = 1 ] || fail "the faults took $took s"
echo "llm_faults_test: ok"
