#!/usr/bin/env bash
# The model-free tuner improves more tasks than digits past their threshold
# (house prices: lower RMSE is better; sentiment: higher accuracy), each run
# evaluated by the harness on hidden data.
source "$(dirname "$0")/lib.sh"
for t in house-prices sentiment; do
  mlab run "$t" --agent tuner --runs-dir "$RUNS" --id "$t" -q > "$T/$t.out" 2>&1 || true
  R="$RUNS/$t"
  check "$t: final answer" test "$(json "$R/run.json" 'd["status"]')" = final_answer
  check "$t: success past the threshold" test "$(json "$R/run.json" 'd["success"]')" = True
  check "$t: improvement signed right for the metric's goal" "$PY" -c "
import json
d = json.load(open('$R/run.json'))
better = d['score'] < d['baseline'] if d['metric']['goal'] == 'min' else d['score'] > d['baseline']
assert better and d['improvement'] > d['threshold'], d"
done
finish
