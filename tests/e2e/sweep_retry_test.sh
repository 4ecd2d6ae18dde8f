#!/usr/bin/env bash
# mlab sweep --retry: outcomes are final until named.  A deliberately
# failing agent's runs (agent_error) run again with --retry error and only
# they do; an exhausted budget is an outcome too, retried only by
# --retry budget; retried runs keep their old directory in runs/.retired.
source "$(dirname "$0")/lib.sh"
cd "$T"
SW="$T/sw"
A="$FIX/agents"
SWEEP=(sweep --out sw --tasks "$FIX/tasks/tiny" --seeds 2 --jobs 2 --max-steps 20
       --agents "$A/sweep_counter.lua,$A/crash.lua,$A/step_hog.lua")

status_of() { json "$SW/runs/tiny-$1-none-s$2/run.json" 'd["status"]'; }
ended_of() { json "$SW/runs/tiny-$1-none-s$2/run.json" 'd["ended"]'; }

"$MLAB" "${SWEEP[@]}" > "$T/out1" 2> "$T/err1"
rc=$?
check "a sweep whose runs all ended exits 0 (got $rc)" test "$rc" = 0
check "the failing agent's runs are agent errors" \
  test "$(status_of crash 0) $(status_of crash 1)" = "agent_error agent_error"
check "the hog's runs exhausted their budget" \
  test "$(status_of step_hog 0) $(status_of step_hog 1)" = "budget_exhausted budget_exhausted"
check "the counter's runs answered" \
  test "$(status_of sweep_counter 0) $(status_of sweep_counter 1)" = "final_answer final_answer"
check "the table has one row per agent" grep -Eq "^tiny +crash +2 +0 +0 +2 +0" "$T/out1"
check "the outcome line of a failed run says why" grep -q "agent bug: deliberate failure" "$T/err1"
check "the progress counts failures" grep -q "failed 2" "$T/err1"

before_counter=$(ended_of sweep_counter 0); before_hog=$(ended_of step_hog 1)
"$MLAB" "${SWEEP[@]}" > "$T/out2" 2> "$T/err2"
check "without --retry nothing runs again" grep -q "(6 done before); local" "$T/err2"

"$MLAB" "${SWEEP[@]}" --retry error > "$T/out3" 2> "$T/err3"
check "--retry error runs the two agent errors again" grep -q "(4 done before, 2 to run again)" "$T/err3"
check "only the failing agent's runs were retired" \
  test "$(ls "$SW/runs/.retired" | tr '\n' ' ')" = "tiny-crash-none-s0.1 tiny-crash-none-s1.1 "
check "a retired run keeps its record" \
  grep -q '"status": "agent_error"' "$SW/runs/.retired/tiny-crash-none-s0.1/run.json"
check "the retried runs ran again (and failed again)" \
  test "$(status_of crash 0) $(status_of crash 1)" = "agent_error agent_error"
check "the counter's runs were not touched" test "$(ended_of sweep_counter 0)" = "$before_counter"
check "a budget outcome is not retried as an error" test "$(ended_of step_hog 1)" = "$before_hog"

"$MLAB" "${SWEEP[@]}" --retry budget > "$T/out4" 2> "$T/err4"
check "--retry budget runs the exhausted ones again" grep -q "(4 done before, 2 to run again)" "$T/err4"
check "and retires them" test -d "$SW/runs/.retired/tiny-step_hog-none-s1.1"
check "a second retry keeps both old attempts" test -d "$SW/runs/.retired/tiny-crash-none-s0.1"

rc=0; "$MLAB" "${SWEEP[@]}" --retry errors > /dev/null 2> "$T/err5" || rc=$?
check "an unknown --retry kind is a usage error" test "$rc" = 2
check "which names the kinds" grep -q "error, infra, killed, budget, answer or all" "$T/err5"
rc=0; "$MLAB" "${SWEEP[@]}" --max-steps 30 > /dev/null 2> "$T/err6" || rc=$?
check "a sweep keeps its budgets" sh -c "[ $rc = 2 ] && grep -q 'runs with --max-steps 20' '$T/err6'"

# A run that cannot start at all (its pinned agent does not compile) is an
# infrastructure failure, and the sweep exits 1.
"$MLAB" sweep --out sw2 --tasks "$FIX/tasks/tiny" --agents "$A/sweep_counter.lua" > /dev/null 2>&1
echo "this is not lua (" > "$T/sw2/code/agents/sweep_counter.lua"
rm -rf "$T/sw2/runs/tiny-sweep_counter-none-s0"
rc=0; "$MLAB" sweep --out sw2 > "$T/out7" 2> "$T/err7" || rc=$?
check "a run that cannot start counts as infra (exit $rc)" \
  sh -c "[ $rc = 1 ] && grep -q '^\[1/1\] infra' '$T/err7'"
check "and says why" grep -q "sweep_counter.lua:1:" "$T/err7"
finish
