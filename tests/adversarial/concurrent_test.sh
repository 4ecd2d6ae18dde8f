#!/usr/bin/env bash
# Four first runs of a task at once, with a cold cache: preparation (slow on
# purpose) and the baseline are done once, under a lock, and all four runs
# succeed with the same baseline.
source "$(dirname "$0")/lib.sh"
printf 'return { run = function(ctx) ctx.env:final_answer("nothing") end }\n' > "$T/noop.lua"
for i in 1 2 3 4; do
  timeout -k 5 120 "$MLAB" run "$SECRET" --agent "$T/noop.lua" --runs-dir "$RUNS" --id "c$i" -q \
    > "$T/c$i.out" 2> "$T/c$i.err" &
done
wait
for i in 1 2 3 4; do
  R="$RUNS/c$i"
  check "concurrent $i: ran to its final answer ($(cat "$T/c$i.err" | head -c 200))" \
    test "$(field status 2>/dev/null)" = final_answer
  check "concurrent $i: baseline 1" test "$(field baseline 2>/dev/null)" = 1
done
check "concurrent: prepared once" test "$(grep -l 'preparing data' "$T"/c?.err | wc -l)" -eq 1
check "concurrent: baseline measured once" test "$(grep -l 'measuring the baseline' "$T"/c?.err | wc -l)" -eq 1
check "concurrent: no temporary folder left in the cache" \
  test "$(ls "$MLAB_CACHE/tasks" | grep -v -e '^secret-0$' -e '^secret-0.lock$' | wc -l)" -eq 0
check "concurrent: the hidden answer is whole" test "$(cat "$HIDDEN/answer.txt")" = "$TOKEN"
finish
