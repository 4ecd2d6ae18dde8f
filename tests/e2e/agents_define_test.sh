#!/usr/bin/env bash
# An agent's own actions (ctx.actions:define): each call is one step in the
# trace and the history, with the catalogue's validation; on resume they are
# answered from the trace, not run again.
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"
AG="$FIX/agents/define_tool.lua"
"$MLAB" run "$TINY" --agent "$AG" --runs-dir "$RUNS" --id def -q > "$T/def.out" 2>&1 || true
R="$RUNS/def"
check "define: final answer ($(tail -n 2 "$T/def.out" | head -n 1))" test "$(json "$R/run.json" 'd["status"]')" = final_answer
check "define: score is the bumped answer" test "$(json "$R/run.json" 'd["score"]')" = 9
check "define: one step per call, named by the agent's action" test "$("$PY" -c "
import json; print(','.join(json.loads(l).get('action', 'end') for l in open('$R/trace.jsonl')))")" \
  = "Count Lines,Bump Answer,Count Lines,Read File,Final Answer,end"
check "define: the arguments as validated (a whole number)" \
  sh -c "sed -n 2p '$R/trace.jsonl' | grep -q '\"input\":{\"value\":9}'"
check "define: the failed call is recorded as an error" \
  sh -c "sed -n 3p '$R/trace.jsonl' | grep -q '\"code\":\"failed\"'"
check "define: its change is step 2 in history" \
  sh -c "git --git-dir '$R/history.git' diff --stat step-1 step-2 | grep -q 'answer.txt'"
check "define: commits = steps + 1" test "$(git --git-dir "$R/history.git" rev-list --count HEAD)" = 6

# Out of steps after the write; resumed, the agent's actions come from the
# trace: bumps.log is written once.
"$MLAB" run "$TINY" --agent "$AG" --runs-dir "$RUNS" --id cut --max-steps 2 -q > /dev/null 2>&1 || true
R="$RUNS/cut"
check "cut: out of steps after two" test "$(json "$R/run.json" 'd["status"]')" = budget_exhausted
"$MLAB" resume cut --runs-dir "$RUNS" --max-steps 10 -q > "$T/resume.out" 2>&1 || true
check "cut: resumed to its final answer ($(tail -n 3 "$T/resume.out" | head -n 1))" \
  test "$(json "$R/run.json" 'd["status"]')" = final_answer
check "cut: the write ran once" test "$(cat "$R/workspace/bumps.log")" = "bumped to 9"
finish
