#!/usr/bin/env bash
# A run against an OpenAI-compatible endpoint (the scripted server): the key
# is sent but never written, replies reach the agent, usage is counted per
# step and in total, every call is in llm.jsonl.
source "$(dirname "$0")/llm_lib.sh"
KEY=sk-e2e-secret-0123456789abcdef
start_server '{"replies": [
  {"text": "one", "usage": {"prompt": 30, "completion": 5}},
  {"text": "two", "usage": {"prompt": 40, "completion": 6}},
  {"text": "three"}]}' --require-key "$KEY"
make_task "first question" "second question" "third question"
OPENAI_API_KEY=$KEY run_mlab r1 --llm "openai:test-model@$BASE"
[ "$RC" = 0 ] || fail "mlab run exited $RC: $(cat "$T/r1.err")"
[ "$(manifest status)" = final_answer ] || fail "status $(manifest status)"
[ "$(cat "$R/workspace/answer.txt")" = "ok: one
ok: two
ok: three" ] || fail "answers: $(cat "$R/workspace/answer.txt")"
[ "$(manifest score)" = 4 ] || fail "score $(manifest score)"

# three calls recorded, with usage; the third estimated by the server
[ "$(wc -l < "$R/llm.jsonl")" = 3 ] || fail "llm.jsonl lines"
/usr/bin/python3 - "$R" "$T/server.jsonl" <<'PY'
import json, sys
run, log = sys.argv[1], sys.argv[2]
calls = [json.loads(l) for l in open(run + "/llm.jsonl")]
assert [c["reply"] for c in calls] == ["one", "two", "three"], calls
assert calls[0]["usage"] == {"prompt": 30, "completion": 5}, calls[0]
assert calls[0]["provider"] == "openai" and calls[0]["model"] == "test-model"
assert calls[0]["request"]["system"] == "Answer in one line."
assert all(c["tries"] == 1 and "error" not in c for c in calls)
m = json.load(open(run + "/run.json"))
total = sum(c["usage"]["prompt"] + c["usage"]["completion"] for c in calls)
assert m["tokens"] == total, (m["tokens"], total)
assert m["llm_usage"]["calls"] == 3 and m["llm_usage"]["prompt_tokens"] >= 70
steps = [json.loads(l) for l in open(run + "/trace.jsonl")]
steps = [s for s in steps if "step" in s]   # not the end event
assert sum(s["tokens"] for s in steps) == total, [s["tokens"] for s in steps]
assert steps[1]["tokens"] == 35, steps[1]  # the call before step 2's append
assert m["llm"].startswith("openai:test-model@http://127.0.0.1:")
reqs = [json.loads(l) for l in open(log)]
assert all(r["auth"] == "bearer" for r in reqs), reqs
b = reqs[0]["body"]
assert b["messages"][0] == {"role": "system", "content": "Answer in one line."}
assert b["max_tokens"] == 32 and b["temperature"] == 0 and b["stop"] == ["\n\n"]
PY
# the key reaches no file of the run
if grep -r -- "$KEY" "$R" >/dev/null; then fail "the API key is in $R"; fi
# without the key, the server says 401: the agent gets kind auth
make_task "only question"
OPENAI_API_KEY=sk-wrong-key-000000000000 run_mlab r2 --llm "openai:test-model@$BASE"
grep -q '^auth: auth: HTTP 401' "$R/workspace/answer.txt" || fail "auth: $(cat "$R/workspace/answer.txt")"
if grep -r -- "sk-wrong-key-000000000000" "$R" >/dev/null; then fail "key in $R"; fi
# a bad spec is a usage error before anything runs
set +e; "$MLAB" run "$T/task" --llm "gpt-4" --runs-dir "$T/runs" > /dev/null 2>&1; rc=$?; set -e
[ "$rc" = 2 ] || fail "bad spec exit $rc"
echo "llm_openai_test: ok"
