#!/usr/bin/env bash
# A recorded run replayed: `mlab replay R` (no server running) gives the
# same actions, the same tree after every step and the same score;
# --llm replay:RUN answers a new run; a request that differs from the
# recording stops the run loudly, naming the call and showing both.
source "$(dirname "$0")/llm_lib.sh"
start_server '{"replies": [
  {"text": "alpha", "usage": {"prompt": 21, "completion": 3}},
  {"fault": "rate_limit", "retry_after": 0.1}, {"text": "beta"},
  {"fault": "malformed"}]}'
make_task "first question" "second question" "third question"
MLAB_LLM_BACKOFF=0.05 run_mlab r1 --llm "openai:m@$BASE"
[ "$(manifest status)" = final_answer ] || fail "status $(manifest status)"
stop_server                       # the replay must not need a model

set +e
"$MLAB" replay r1 --runs-dir "$T/runs" --id r1-replay -q > "$T/replay.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || fail "mlab replay exited $rc: $(cat "$T/replay.out")"
grep -q "identical to r1: 5 steps" "$T/replay.out" || fail "$(cat "$T/replay.out")"
A="$T/runs/r1" B="$T/runs/r1-replay"
git --git-dir "$A/history.git" log --format=%T > "$T/trees.a"
git --git-dir "$B/history.git" log --format=%T > "$T/trees.b"
[ "$(wc -l < "$T/trees.a")" = 6 ] || fail "expected 6 commits"
cmp -s "$T/trees.a" "$T/trees.b" || fail "trees differ: $(diff "$T/trees.a" "$T/trees.b")"
/usr/bin/python3 - "$A" "$B" <<'PY'
import json, sys
a, b = sys.argv[1], sys.argv[2]
ta = [json.loads(l) for l in open(a + "/trace.jsonl")]
tb = [json.loads(l) for l in open(b + "/trace.jsonl")]
ta, tb = [s for s in ta if "step" in s], [s for s in tb if "step" in s]
assert [(s["action"], s["input"], s["tokens"]) for s in ta] == \
       [(s["action"], s["input"], s["tokens"]) for s in tb]
ma, mb = json.load(open(a + "/run.json")), json.load(open(b + "/run.json"))
assert ma["score"] == mb["score"] and ma["status"] == mb["status"]
assert ma["tokens"] == mb["tokens"] and mb["replay_of"] == "r1"
ca = [json.loads(l) for l in open(a + "/llm.jsonl")]
cb = [json.loads(l) for l in open(b + "/llm.jsonl")]
assert [c.get("reply") for c in ca] == [c.get("reply") for c in cb]
assert cb[2]["error"]["kind"] == "bad_reply"
PY
# --llm replay:RUN (a run id in --runs-dir) answers a fresh run
run_mlab r2 --llm replay:r1
[ "$(manifest status)" = final_answer ] || fail "r2 status $(manifest status)"
cmp -s "$A/workspace/answer.txt" "$R/workspace/answer.txt" || fail "r2 answers differ"

# the agent asks something else: the run stops loudly at call 2
make_task "first question" "a different second question" "third question"
run_mlab r3 --llm "replay:$A/llm.jsonl"
[ "$RC" = 1 ] || fail "diverging replay exited $RC"
[ "$(manifest status)" = agent_error ] || fail "r3 status $(manifest status)"
msg=$(manifest message)
echo "$msg" | grep -q "replay: call 2 (step 2) differs from the recording" || fail "message: $msg"
echo "$msg" | grep -q '"content":"second question"' || fail "recorded request not shown"
echo "$msg" | grep -q '"content":"a different second question"' || fail "new request not shown"
# and mlab replay of a run whose task changed reports it
set +e
"$MLAB" replay r1 --runs-dir "$T/runs" --id r1-replay2 -q > "$T/replay2.out" 2>&1
rc=$?
set -e
[ "$rc" = 1 ] && grep -q "DIFFERS" "$T/replay2.out" || fail "changed task replay: $rc $(cat "$T/replay2.out")"
echo "llm_replay_test: ok"
