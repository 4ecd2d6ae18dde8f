#!/usr/bin/env bash
# examples/agents/careful.lua, the agent docs/agents.md walks through: with
# a scripted model its undo rule keeps a good edit and reverts a bad one;
# with no model it still runs the starter and answers.
source "$(dirname "$0")/agents_lib.sh"
AGENT="$MLAB_HOME/examples/agents/careful.lua"
TASK="$MLAB_HOME/tests/fixtures/tasks/tiny"
# tiny's run.py prints "answer: N"; a run.py that prints a validation score
mkdir -p "$T/task" && cp -r "$TASK"/. "$T/task/"
cat > "$T/task/env/run.py" <<'PY'
print("validation score: %s" % open("answer.txt").read().strip())
PY
start_server '{"replies": [
 {"text": "Thought: raise it\nAction: Edit Script (AI)\nAction Input: {\"script_name\": \"answer.txt\", \"edit_instruction\": \"make it 9\", \"save_name\": \"answer.txt\"}"},
 {"text": "```python\n9\n```"},
 {"text": "Thought: try 3\nAction: Edit Script (AI)\nAction Input: {\"script_name\": \"answer.txt\", \"edit_instruction\": \"make it 3\", \"save_name\": \"answer.txt\"}"},
 {"text": "```python\n3\n```"},
 {"text": "Thought: done\nAction: Final Answer\nAction Input: {\"final_answer\": \"9\"}"}]}'
set +e
"$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$RUNS" --id ex -q --llm "openai:m@$BASE" > "$T/ex.out" 2> "$T/ex.err"
set -e
R="$RUNS/ex"
check "example finishes ($(manifest message))" test "$(manifest status)" = final_answer
check "the good edit stays, the bad one is undone" test "$(cat "$R/workspace/answer.txt")" = 9
check "score 9" test "$(manifest score)" = 9.0 -o "$(manifest score)" = 9
check "undo in the trace" grep -q '"action":"Undo Edit Script"' "$R/trace.jsonl"
stop_server
"$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$RUNS" --id none -q > /dev/null 2>&1 || true
R="$RUNS/none"
check "with no model it still answers" test "$(manifest status)" = final_answer
check "and says why in agent.log" grep -q "no model" "$R/agent.log"
finish
