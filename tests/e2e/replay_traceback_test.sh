#!/usr/bin/env bash
# A script's traceback names /workspace, never the host's path of the run:
# the model sees no host path, and `mlab replay` of the run, into another
# runs folder, sends byte-identical requests and ends identical.
source "$(dirname "$0")/llm_lib.sh"
start_server '{"replies": [{"text": "The JSON is cut off.", "usage": {"prompt": 40, "completion": 6}}]}'
AG="$MLAB_HOME/tests/fixtures/agents/traceback_asker.lua"
TINY="$MLAB_HOME/tests/fixtures/tasks/tiny"
"$MLAB" run "$TINY" --agent "$AG" --llm "openai:m@$BASE" --runs-dir "$T/a" --id tb -q \
  > "$T/run.out" 2>&1 || fail "run: $(cat "$T/run.out")"
R="$T/a/tb"
grep -q '"status": "final_answer"' "$R/run.json" || fail "status: $(grep status "$R/run.json")"
grep -q 'File \\"/workspace/boom.py\\", line 6' "$R/trace.jsonl" || fail "the traceback does not name /workspace/boom.py"
if grep -q "$T" "$R/trace.jsonl" "$R/llm.jsonl"; then fail "a host path reached the trace or the model"; fi
grep -q '/workspace/boom.py' "$R/llm.jsonl" || fail "the model was not shown the traceback"
stop_server
set +e
"$MLAB" replay "$R" --runs-dir "$T/b" --id tb2 -q > "$T/replay.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || fail "replay in another folder differs (exit $rc): $(cat "$T/replay.out")"
grep -q "identical" "$T/replay.out" || fail "replay did not say identical: $(cat "$T/replay.out")"
cmp -s <(/usr/bin/python3 -c "import json,sys; [print(json.dumps(json.loads(l)['request'], sort_keys=True)) for l in open(sys.argv[1])]" "$R/llm.jsonl") \
       <(/usr/bin/python3 -c "import json,sys; [print(json.dumps(json.loads(l)['request'], sort_keys=True)) for l in open(sys.argv[1])]" "$T/b/tb2/llm.jsonl") \
  || fail "the replay's requests differ from the run's"
echo "replay_traceback_test.sh: ok"
