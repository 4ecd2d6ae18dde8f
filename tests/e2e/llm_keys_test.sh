#!/usr/bin/env bash
# API keys of every shape: a placeholder (`x`, `EMPTY`) is sent but is not
# a secret, so replies, prompts and records keep every "x" and "EMPTY"; a
# realistic key is scrubbed from what is written (llm.jsonl, the error
# message the agent gets), never from what the model or the agent sees,
# quickly even when a large error body repeats it.  Each run succeeds and
# `mlab replay` reproduces it identically.
source "$(dirname "$0")/llm_lib.sh"

# keyrun NAME KEY REPLY...: a run answering one prompt per reply.
keyrun() {
  local id=$1 key=$2; shift 2
  local script
  script=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"replies": [{"text": t} for t in sys.argv[1:]]}))' "$@")
  start_server "$script" --require-key "$key"
  OPENAI_API_KEY=$key run_mlab "$id" --llm "openai:m@$BASE" --max-time 60
  stop_server
  [ "$RC" = 0 ] || fail "$id: mlab run exited $RC: $(cat "$T/$id.err")"
  [ "$(manifest status)" = final_answer ] || fail "$id: status $(manifest status): $(manifest message)"
}

# replay_same ID: mlab replay of ID is identical, with no server running.
replay_same() {
  set +e
  "$MLAB" replay "$1" --runs-dir "$T/runs" --id "$1-replay" -q > "$T/$1.replay" 2>&1
  local rc=$?
  set -e
  [ "$rc" = 0 ] || fail "$1: replay exited $rc: $(cat "$T/$1.replay")"
  grep -q "identical to $1" "$T/$1.replay" || fail "$1: replay: $(cat "$T/$1.replay")"
  cmp -s "$T/runs/$1/workspace/answer.txt" "$T/runs/$1-replay/workspace/answer.txt" \
    || fail "$1: replayed answers differ"
}

# x: every "x" in prompts and replies survives
make_task "explain max_iter" "fix the axis"
keyrun kx x "Execute Script with max_iter=1000" "use axis=0 for x"
printf 'ok: Execute Script with max_iter=1000\nok: use axis=0 for x\n' | cmp -s - "$R/workspace/answer.txt" \
  || fail "x: the agent saw: $(cat "$R/workspace/answer.txt")"
grep -q '"reply":"use axis=0 for x"' "$R/llm.jsonl" || fail "x: llm.jsonl: $(cat "$R/llm.jsonl")"
grep -q '"content":"explain max_iter"' "$R/llm.jsonl" || fail "x: request not recorded as sent"
[ "$(grep -c 'placeholder' "$T/kx.err")" = 1 ] || fail "x: stderr should say once that the key is a placeholder: $(cat "$T/kx.err")"
replay_same kx

# EMPTY (vLLM's documented placeholder)
make_task "what is EMPTY here"
keyrun kempty EMPTY "EMPTY cells are dropped"
printf 'ok: EMPTY cells are dropped\n' | cmp -s - "$R/workspace/answer.txt" \
  || fail "EMPTY: the agent saw: $(cat "$R/workspace/answer.txt")"
grep -q '"content":"what is EMPTY here"' "$R/llm.jsonl" || fail "EMPTY: request not recorded as sent"
replay_same kempty

# a realistic key: a 400 whose 5 MB body repeats it 100000 times
KEY=sk-proj-Q7bX2mN9vR4tL8wZ1cK6yH3fJ5pD0sAe
script=$(/usr/bin/python3 - "$KEY" <<'PY'
import json, sys
big = ("Incorrect key " + sys.argv[1] + " ") * 100000
print(json.dumps({"replies": [{"text": "first answer"},
                              {"fault": "status", "status": 400, "message": big},
                              {"text": "third answer"}]}))
PY
)
make_task "q1" "q2" "q3"
start_server "$script" --require-key "$KEY"
# (the time budget cannot stop a call being recorded: `timeout` stands guard)
set +e
OPENAI_API_KEY=$KEY timeout -s KILL 120 "$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$T/runs" \
  --id kreal -q --llm "openai:m@$BASE" --max-time 20 > "$T/kreal.out" 2> "$T/kreal.err"
RC=$?
set -e
R="$T/runs/kreal"
stop_server
[ "$RC" = 0 ] || fail "realistic: mlab run exited $RC: $(cat "$T/kreal.err")"
[ "$(manifest status)" = final_answer ] || fail "realistic: status $(manifest status): $(manifest message)"
sed -n 1p "$R/workspace/answer.txt" | grep -qx "ok: first answer" || fail "realistic: answer 1"
sed -n 2p "$R/workspace/answer.txt" | grep -q "^bad_request: .*HTTP 400.*Incorrect key \[REDACTED\]" \
  || fail "realistic: the error the agent got: $(sed -n 2p "$R/workspace/answer.txt" | cut -c1-300)"
sed -n 3p "$R/workspace/answer.txt" | grep -qx "ok: third answer" || fail "realistic: answer 3"
if grep -rq -- "$KEY" "$R"; then fail "realistic: the key is in $(grep -rl -- "$KEY" "$R")"; fi
if grep -q placeholder "$T/kreal.err"; then fail "realistic: a real key called a placeholder"; fi
replay_same kreal
echo "llm_keys_test: ok"
