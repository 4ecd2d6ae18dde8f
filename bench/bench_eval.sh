#!/usr/bin/env bash
# bench_eval.sh - how fast `mlab eval --all-steps` scores a run's steps,
# against calling `mlab eval RUN --step N` once per step (what a user did
# before: one process, one checkout, one evaluator per step, identical
# trees scored again).  Also the run page of a 500-step, 30 MB run: the
# time to write it and, when chromium is installed, to load it.
#
# usage: bench/bench_eval.sh [RUN_DIR]
#   RUN_DIR: a run to score (default: a tuner run on digits made here,
#   16 steps).  Figures only, no assertions; everything made is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
MLAB=${MLAB:-$PWD/build/mlab}
export MLAB_HOME=$PWD
T=$(mktemp -d /tmp/mlab-bench-eval.XXXXXX)
trap 'rm -rf "$T"' EXIT
export MLAB_CACHE=${MLAB_CACHE:-$HOME/.cache/mlab}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }

if [ $# -ge 1 ]; then
  cp -r "$1" "$T/run"
  R=$T/run
else
  echo "making a tuner run on digits (a few minutes on a loaded machine)..." >&2
  "$MLAB" run digits --agent tuner --runs-dir "$T/runs" --id tune -q > /dev/null 2>&1 || true
  R=$T/runs/tune
fi
rm -f "$R/scores.jsonl"
steps=$(/usr/bin/python3 -c "import json; print(json.load(open('$R/run.json'))['steps'])")
nproc=$(nproc)

t0=$(now)
for n in $(seq 0 "$steps"); do
  "$MLAB" eval "$R" --step "$n" --no-cache --record > /dev/null 2>&1 || true
done
t1=$(now)
one=$(secs "$t0" "$t1")

rm -f "$R/scores.jsonl"
t0=$(now); "$MLAB" eval "$R" --all-steps --jobs 1 --json > "$T/j1.json"; t1=$(now)
all1=$(secs "$t0" "$t1")
rm -f "$R/scores.jsonl"
t0=$(now); "$MLAB" eval "$R" --all-steps --jobs "$nproc" --json > "$T/jn.json"; t1=$(now)
alln=$(secs "$t0" "$t1")
t0=$(now); "$MLAB" eval "$R" --all-steps --json > /dev/null; t1=$(now)
cached=$(secs "$t0" "$t1")
distinct=$(/usr/bin/python3 -c "import json; print(json.load(open('$T/jn.json'))['distinct'])")

n=$((steps + 1))
printf '\nscoring %d steps (%d distinct trees) of %s, %d processors\n\n' "$n" "$distinct" "$(basename "$R")" "$nproc"
printf '%-44s %8s %12s %7s\n' "" "seconds" "steps/s" "ratio"
printf '%-44s %8.2f %12.2f %7s\n' "eval --step N, once per step (uncached)" "$one" "$(div "$n" "$one")" "1.00x"
printf '%-44s %8.2f %12.2f %6.2fx\n' "eval --all-steps --jobs 1" "$all1" "$(div "$n" "$all1")" "$(div "$one" "$all1")"
printf '%-44s %8.2f %12.2f %6.2fx\n' "eval --all-steps --jobs $nproc" "$alln" "$(div "$n" "$alln")" "$(div "$one" "$alln")"
printf '%-44s %8.2f %12.2f %6.2fx\n' "eval --all-steps again (all cached)" "$cached" "$(div "$n" "$cached")" "$(div "$one" "$cached")"

# The run page of a long run with big observations.
"$MLAB" run tests/fixtures/tasks/tiny --agent tests/fixtures/runs/agents/bulky.lua --max-steps 500 \
  --runs-dir "$T/runs" --id bulky -q > /dev/null
"$MLAB" eval bulky --all-steps --runs-dir "$T/runs" > /dev/null
t0=$(now); "$MLAB" show bulky --html --runs-dir "$T/runs" > /dev/null; t1=$(now)
printf '\nrun page of 500 steps, %s MB of trace: written in %.2f s, %s MB\n' \
  "$(( $(stat -c %s "$T/runs/bulky/trace.jsonl") / 1048576 ))" "$(secs "$t0" "$t1")" \
  "$(( $(stat -c %s "$T/runs/bulky/run.html") / 1048576 ))"
if command -v chromium > /dev/null; then
  echo '[{"type": "UNIQUE-NEEDLE-7f3a", "into": "#q"}, {"wait": 2}]' > "$T/steps.json"
  /usr/bin/python3 tests/e2e/read_browser.py "$T/runs/bulky/run.html" "$T/big.png" "$T/steps.json" > "$T/b.json"
  printf 'loaded by headless chromium in %.2f s (navigation to the load event)\n' \
    "$(/usr/bin/python3 -c "import json; print(json.load(open('$T/b.json'))['load_s'])")"
fi
