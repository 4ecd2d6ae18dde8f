#!/usr/bin/env bash
# A run against the Messages API shape: x-api-key and anthropic-version
# sent, the system prompt as its own field, content blocks joined.
source "$(dirname "$0")/llm_lib.sh"
KEY=sk-ant-e2e-secret-0123456789
start_server '{"replies": [
  {"blocks": ["Bon", "jour"], "usage": {"prompt": 12, "completion": 2}},
  {"fault": "overloaded"},
  {"text": "after 529"}]}' --require-key "$KEY"
make_task "say hello" "again"
ANTHROPIC_API_KEY=$KEY MLAB_LLM_BACKOFF=0.05 run_mlab a1 --llm "anthropic:claude-test@$BASE"
[ "$RC" = 0 ] || fail "mlab run exited $RC: $(cat "$T/a1.err")"
[ "$(cat "$R/workspace/answer.txt")" = "ok: Bonjour
ok: after 529" ] || fail "answers: $(cat "$R/workspace/answer.txt")"
/usr/bin/python3 - "$R" "$T/server.jsonl" <<'PY'
import json, sys
run, log = sys.argv[1], sys.argv[2]
reqs = [json.loads(l) for l in open(log)]
assert len(reqs) == 3, reqs
for r in reqs:
    assert r["path"] == "/v1/messages" and r["auth"] == "x-api-key", r
    assert r["anthropic_version"] == "2023-06-01", r
    b = r["body"]
    assert b["system"] == "Answer in one line.", b
    assert all(m["role"] != "system" for m in b["messages"]), b
    assert b["stop_sequences"] == ["\n\n"] and "stop" not in b, b
    assert b["max_tokens"] == 32, b
calls = [json.loads(l) for l in open(run + "/llm.jsonl")]
assert calls[0]["usage"] == {"prompt": 12, "completion": 2}
assert calls[1]["tries"] == 2 and calls[1]["attempts"][0]["status"] == 529
assert json.load(open(run + "/run.json"))["llm"].startswith("anthropic:claude-test@http://127.0.0.1:")
PY
if grep -r -- "$KEY" "$R" >/dev/null; then fail "the API key is in $R"; fi
# no key and no URL: refused with a message naming the variable
make_task "q"
env -u ANTHROPIC_API_KEY "$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$T/runs" \
  --id a2 -q --llm anthropic:claude-test > "$T/a2.out" 2>&1 || true
grep -q "ANTHROPIC_API_KEY is not set" "$T/a2.out" || fail "no-key message: $(cat "$T/a2.out")"
echo "llm_anthropic_test: ok"
