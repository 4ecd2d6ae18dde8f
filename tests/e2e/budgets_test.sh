#!/usr/bin/env bash
# Hostile and runaway agents: each ends with the status a user expects,
# its steps recorded, and the workspace evaluated as it stands.
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"

# run_agent ID AGENT [options]: run and return the run dir in $R.
run_agent() {
  local id=$1 agent=$2; shift 2
  timeout 120 "$MLAB" run "$TINY" --agent "$FIX/agents/$agent.lua" --runs-dir "$RUNS" \
    --id "$id" -q "$@" > "$T/$id.out" 2> "$T/$id.err" || true
  R="$RUNS/$id"
}
status() { json "$R/run.json" 'd["status"]'; }
kind() { json "$R/run.json" 'd.get("budget_kind")'; }
evaluated() { json "$R/run.json" 'd.get("score")'; }

run_agent spin spin --max-time 2
check "while-true: budget_exhausted" test "$(status)" = budget_exhausted
check "while-true: time budget" test "$(kind)" = time
check "while-true: stopped near the deadline" "$PY" -c "
import json; d=json.load(open('$R/run.json')); assert 1.9 < d['time_s'] < 6, d"
check "while-true: evaluated anyway" test "$(evaluated)" = 1
check "while-true: its step is recorded" test "$(grep -c '"step"' "$R/trace.jsonl")" -eq 1

run_agent pspin pcall_spin --max-time 2
check "pcall loop cannot catch the budget" test "$(status)" = budget_exhausted
check "pcall loop: time budget" test "$(kind)" = time

run_agent steps step_hog --max-steps 7
check "step hog: budget_exhausted" test "$(status)" = budget_exhausted
check "step hog: steps budget" test "$(kind)" = steps
check "step hog: exactly 7 steps taken" test "$(json "$R/run.json" 'd["steps"]')" -eq 7
check "step hog: 7 commits after the starter" \
  test "$(git --git-dir "$R/history.git" rev-list --count HEAD)" -eq 8
check "step hog: last write kept" test "$(cat "$R/workspace/n.txt")" = 7

run_agent mem mem_hog --max-mem 32
check "memory hog: budget_exhausted" test "$(status)" = budget_exhausted
check "memory hog: memory budget" test "$(kind)" = memory

run_agent crash crash
check "lua error: agent_error" test "$(status)" = agent_error
check "lua error: message in the manifest" grep -q '"message": ".*deliberate failure' "$R/run.json"
check "lua error: traceback in the trace" sh -c "tail -n 1 '$R/trace.jsonl' | grep -q 'crash.lua:2: agent bug.*stack traceback'"
check "lua error: the step before it is kept" test "$(cat "$R/workspace/before.txt")" = kept
check "lua error: summary says agent_error" grep -q "^status   agent_error" "$T/crash.out"

run_agent runaway runaway_script --max-time 3
check "runaway script: budget_exhausted" test "$(status)" = budget_exhausted
check "runaway script: time budget" test "$(kind)" = time
check "runaway script: the execute step is recorded as killed" \
  grep -q "killed: the run's time budget ran out" "$R/trace.jsonl"
check "runaway script: no python left behind" no_procs_in "$R/workspace"

run_agent hostile hostile
check "hostile: run goes on to its final answer" test "$(status)" = final_answer
for what in dotdot absolute deep-dotdot symlink-out dangling list-up copy-out; do
  check "hostile: $what refused" grep -q "^$what	refused: " "$R/workspace/answers.txt"
done
check "hostile: inside path allowed" grep -q "^inside	ALLOWED" "$R/workspace/answers.txt"
check "hostile: nothing written outside" test ! -e "$RUNS/escape.txt" -a ! -e "$RUNS/hostile/stolen.txt"
check "hostile: refusals are observations" grep -q '"error":"'"'"'/etc/passwd'"'"' is an absolute path' "$R/trace.jsonl"

run_agent probe sandbox_probe
check "sandbox: no io/os/debug/package/string.dump for agents" \
  test "$(cat "$R/workspace/probe.txt")" = clean
finish
