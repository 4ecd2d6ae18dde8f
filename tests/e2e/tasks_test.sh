#!/usr/bin/env bash
# Every task: `mlab tasks --measure` prepares its data, runs the starter code
# and the evaluator, and the score matches the baseline recorded in task.lua
# within the task's noise; then tests/tasks/check_tasks.sh checks that
# malformed submissions get a clear evaluator error (exit 2, one line).
source "$(dirname "$0")/lib.sh"
names=$(cd "$MLAB_HOME/tasks" && for d in */; do [ -f "$d/task.lua" ] && echo "${d%/}"; done)
count=0
for t in $names; do
  count=$((count + 1))
  if mlab tasks --measure "$t" > "$T/$t.json" 2> "$T/$t.err"; then
    ok
  else
    fail "$t: baseline not reproduced: $(cat "$T/$t.json" "$T/$t.err" | tr '\n' ' ')"
  fi
done
check "at least ten tasks" test "$count" -ge 10
mlab tasks > "$T/list"
for t in $names; do
  check "$t listed with its measured baseline and data size" \
    grep -qE "^$t +(canonical|kaggle|research) .* [0-9.]+ (KB|MB)$" "$T/list"
done
for kind in canonical kaggle research; do
  check "tasks of kind $kind" test "$(grep -c " $kind " "$T/list")" -ge 3
done
check "malformed submissions get clear errors" bash "$MLAB_HOME/tests/tasks/check_tasks.sh"
finish
