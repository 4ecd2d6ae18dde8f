#!/usr/bin/env bash
# Every task: tests/tasks/check_tasks.sh prepares its data, runs the starter
# code and the evaluator, checks the score against the baseline recorded in
# task.lua within the task's noise, that malformed submissions get a clear
# evaluator error (exit 2, one line), and that code tasks' submissions cannot
# reach the hidden answers.  `mlab tasks --measure` (the same path through
# mlab) is checked on two tasks of different kinds, and the listing on all.
source "$(dirname "$0")/lib.sh"
names=$(cd "$MLAB_HOME/tasks" && for d in */; do [ -f "$d/task.lua" ] && echo "${d%/}"; done)
count=0
for t in $names; do count=$((count + 1)); done
for t in house-prices citation-graph; do
  if mlab tasks --measure "$t" > "$T/$t.json" 2> "$T/$t.err"; then
    ok
  else
    fail "$t: baseline not reproduced: $(cat "$T/$t.json" "$T/$t.err" | tr '\n' ' ')"
  fi
done
check "at least ten tasks" test "$count" -ge 10
mlab tasks > "$T/list"
for t in $names; do
  check "$t listed with its kind, metric and baseline" \
    grep -qE "^$t +(canonical|kaggle|research) +[a-z_]+ \((max|min)\) +[0-9.]+ " "$T/list"
done
for t in house-prices citation-graph; do
  check "$t listed with its measured baseline and data size" \
    grep -qE "^$t +.* [0-9.]+ +[0-9.]+ (KB|MB)$" "$T/list"
done
for kind in canonical kaggle research; do
  check "tasks of kind $kind" test "$(grep -c " $kind " "$T/list")" -ge 3
done
check "malformed submissions get clear errors" bash "$MLAB_HOME/tests/tasks/check_tasks.sh"
finish
