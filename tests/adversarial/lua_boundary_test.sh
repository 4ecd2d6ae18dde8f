#!/usr/bin/env bash
# The agent boundary on the Lua side: an agent cannot reach the host's run
# state through ctx, and no agent code runs outside the budget (load time,
# coroutines, finalizers, metamethods, C pattern matching, error objects).
# Each case asserts what a user checks afterwards: the run's status and
# message, success and score, the manifest's threshold, the trace's end
# line, and the wall time against --max-time.
source "$(dirname "$0")/../e2e/lib.sh"
TINY="$FIX/tasks/tiny"
A="$(dirname "$0")/agents"

# attack ID AGENT [options]: runs it (90 s at most); R and MS (its wall
# time in milliseconds) set.
attack() {
  local id=$1 agent=$2; shift 2
  local t0; t0=$(date +%s%N)
  timeout 90 "$MLAB" run "$TINY" --agent "$A/$agent.lua" --runs-dir "$RUNS" --id "$id" -q "$@" \
    > "$T/$id.out" 2> "$T/$id.err" || true
  MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  R="$RUNS/$id"
}
field() { json "$R/run.json" "d.get('$1')"; }
ended_with() { tail -n 1 "$R/trace.jsonl" | grep -q "\"event\":\"end\",\"message\":.*\"status\":\"$1\""; }
within() { [ "$MS" -lt $(( $1 * 1000 )) ]; }

attack forge forge
check "forge: ran to its final answer" test "$(field status)" = final_answer
check "forge: reached nothing of the host's" test "$(cat "$R/workspace/reached.txt")" = ""
check "forge: not a success" test "$(field success)" = False
check "forge: score is the baseline" test "$(field score)" = "$(field baseline)"
check "forge: the task's threshold is recorded" test "$(field threshold)" = 0.1
check "forge: confinement still on" test "$(json "$R/run.json" 'd["confinement"]["ok"] and not d["unconfined"]')" = True

attack flood step_flood --max-steps 3
check "step flood: budget_exhausted" test "$(field status)" = budget_exhausted
check "step flood: three steps" test "$(field steps)" = 3
check "step flood: three trace lines" test "$(grep -c '"step"' "$R/trace.jsonl")" = 3
check "step flood: three commits after the starter" \
  test "$(git --git-dir "$R/history.git" rev-list --count HEAD)" = 4
check "step flood: the third write is the last" test "$(cat "$R/workspace/n.txt")" = 3

attack top toplevel_spin --max-time 3
check "top-level spin: budget_exhausted" test "$(field status)" = budget_exhausted
check "top-level spin: time" test "$(field budget_kind)" = time
check "top-level spin: stopped near the deadline" within 15
check "top-level spin: end line written" ended_with budget_exhausted
check "top-level spin: evaluated" test "$(field score)" = 1

attack co load_coroutine --max-time 3
check "load-time coroutine: budget_exhausted" test "$(field status)" = budget_exhausted
check "load-time coroutine: stopped near the deadline" within 15
check "load-time coroutine: its step kept" test "$(cat "$R/workspace/before.txt")" = kept

attack gc finalizer --max-time 10
check "finalizer: refused" grep -q "^refused: .*__gc" "$R/workspace/gc.txt"
check "finalizer: final answer" test "$(field status)" = final_answer

attack meta metamethod_input --max-time 5
check "metamethods: the agent went on" test "$(cat "$R/workspace/survived.txt" 2>/dev/null)" = yes
check "metamethods: final answer" test "$(field status)" = final_answer
check "metamethods: no spin outside the budget" within 15

attack err bad_error
check "hostile error object: agent_error" test "$(field status)" = agent_error
check "hostile error object: a message" grep -q 'error object is a table value' "$R/run.json"
check "hostile error object: end line" ended_with agent_error
check "hostile error object: evaluated" test "$(field score)" = 1

attack fake fake_budget
check "forged budget error: agent_error" test "$(field status)" = agent_error
check "forged budget error: the agent's message" grep -q '"message": "budget: time is spent' "$R/run.json"

attack keys env_keys
check "environment keys: the probe wrote what it found" test -f "$R/workspace/keys.txt"
check "environment keys: the probe ran to its answer" test "$(field status)" = final_answer
check "environment keys: none reachable from Lua" test "$(cat "$R/workspace/keys.txt")" = ""

attack pat pattern_bomb --max-time 3
check "pattern bomb: budget_exhausted" test "$(field status)" = budget_exhausted
check "pattern bomb: stopped near the deadline" within 15
check "pattern bomb: end line written" ended_with budget_exhausted

# SIGTERM while the agent is inside a C pattern match ends the run as killed.
"$MLAB" run "$TINY" --agent "$A/pattern_bomb.lua" --runs-dir "$RUNS" --id patsig -q \
  > /dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ -f "$RUNS/patsig/workspace/before.txt" ] && break; sleep 0.1; done
sleep 1
t0=$(date +%s)
kill -TERM "$pid"
for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "pattern bomb ignored SIGTERM for 15 s"; }
wait "$pid" 2>/dev/null || true
R="$RUNS/patsig"
check "pattern bomb + SIGTERM: killed" test "$(field status)" = killed

finish
