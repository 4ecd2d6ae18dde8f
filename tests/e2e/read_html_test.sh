#!/usr/bin/env bash
# The two offline pages in a real browser (Debian's headless Chromium over
# the DevTools protocol, tests/e2e/read_browser.py): a run page and a report
# page open from file:// with no console error, no exception and no network
# request, their charts drawn, anchors, j/k and search working; and a run
# of 500 steps with 30 MB of observations stays usable (the text past each
# observation's head is searchable and shown on request).  Screenshots go
# to the test's output folder (test-output/read_html in the build folder).
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"
AG="$FIX/runs/agents"
OUT="${MLAB_TEST_OUT:-$PWD/test-output}/read_html"
mkdir -p "$OUT"
if ! command -v chromium > /dev/null; then
  echo "read_html_test: chromium is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi

for s in 0 1; do
  mlab run "$TINY" --agent "$AG/climber.lua" --seed $s --runs-dir "$RUNS" --id climber-$s -q > /dev/null
  mlab run "$TINY" --agent "$AG/steady.lua" --seed $s --runs-dir "$RUNS" --id steady-$s -q > /dev/null
done
mlab run "$TINY" --agent "$AG/vanish.lua" --runs-dir "$RUNS" --id vanish -q > /dev/null
for r in climber-0 climber-1 steady-0 steady-1; do mlab eval $r --all-steps --runs-dir "$RUNS" > /dev/null; done
mlab show climber-1 --html --runs-dir "$RUNS" > /dev/null
mlab report --runs-dir "$RUNS" --compare climber steady --html "$T/report.html" --pages 2> "$T/report.err"
check "report --html writes the page" test -s "$T/report.html"
check "report --pages writes each run's page" test -s "$RUNS/steady-0/run.html"

browse() { # PAGE SHOT STEPS_JSON -> $T/b.json
  printf '%s\n' "$3" > "$T/steps.json"
  "$PY" "$MLAB_HOME/tests/e2e/read_browser.py" "$1" "$2" "$T/steps.json" > "$T/b.json"
}
clean() { # the page logged nothing, threw nothing, asked the network for nothing
  "$PY" - "$T/b.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
bad = {k: b[k] for k in ("console", "exceptions", "log", "requests") if b[k]}
assert not bad, bad
PY
}
result() { "$PY" -c "import json,sys; print(json.load(open('$T/b.json'))['results'][$1])"; }
shot_ok() { test "$(stat -c %s "$1")" -gt 20000; }

# -- a run page ----------------------------------------------------------------
browse "$RUNS/climber-1/run.html" "$OUT/run.png" '[
 {"eval": "document.querySelectorAll(\"section.step[id^=step-]\").length"},
 {"eval": "document.querySelectorAll(\"#curve svg circle\").length"},
 {"eval": "document.querySelectorAll(\"section.step.failed\").length"},
 {"key": "j"}, {"key": "j"}, {"key": "ArrowRight"}, {"key": "k"}, {"eval": "location.hash"},
 {"key": "f"}, {"eval": "location.hash"},
 {"type": "JSONDecodeError", "into": "#q"}, {"wait": 0.5},
 {"eval": "document.getElementById(\"count\").textContent"},
 {"goto": "#step-7"}, {"eval": "document.querySelector(\"section.current\").id"},
 {"eval": "document.querySelector(\"#curve a[href=\\\"#step-6\\\"] circle\") !== null"},
 {"eval": "document.querySelectorAll(\"pre.diff[data-coloured] .add\").length > 0"}]'
check "run page: no console error, exception or network request" clean
check "run page: one section per step" test "$(result 0)" -eq 8
check "run page: the score curve has a point per step" test "$(result 1)" -eq 9
check "run page: the failed steps are marked" test "$(result 2)" -eq 2
check "run page: j, j, arrow, k moves between steps and sets the anchor" test "$(result 3)" = "#step-2"
check "run page: f goes to the next failed step" test "$(result 4)" = "#step-4"
check "run page: search finds the step with the exception" test "$(result 5)" = "1 of 8 steps"
check "run page: #step-7 lands on step 7" test "$(result 6)" = "step-7"
check "run page: the curve's points link to their steps" test "$(result 7)" = True
check "run page: diffs are coloured" test "$(result 8)" = True
check "run page screenshot written ($(stat -c %s "$OUT/run.png") bytes)" shot_ok "$OUT/run.png"

# -- the report page --------------------------------------------------------------
browse "$T/report.html" "$OUT/report.png" '[
 {"eval": "document.querySelectorAll(\"#chart-success svg circle\").length"},
 {"eval": "document.querySelectorAll(\"#chart-improvement svg circle\").length"},
 {"eval": "document.querySelectorAll(\"#chart-tokens svg circle\").length"},
 {"eval": "document.querySelectorAll(\"#chart-curves svg path.line\").length"},
 {"eval": "Array.from(document.querySelectorAll(\"table.runs a\")).map(a => a.getAttribute(\"href\")).join(\" \")"},
 {"eval": "document.querySelector(\"#compare\") !== null"},
 {"type": "steady", "into": "#filter"}, {"wait": 0.3},
 {"eval": "Array.from(document.querySelectorAll(\"table.runs tbody tr\")).filter(r => r.style.display !== \"none\").length"}]'
check "report page: no console error, exception or network request" clean
check "report page: success per agent with intervals (3 groups, final and any step)" test "$(result 0)" -ge 5
check "report page: an improvement dot per scored run" test "$(result 1)" -eq 4
check "report page: tokens against success, a dot per scored run plus the legend" test "$(result 2)" -eq 6
check "report page: a curve per run with step scores" test "$(result 3)" -ge 4
check "report page: runs link to their run pages" sh -c "echo '$(result 4)' | grep -q 'runs/steady-0/run.html'"
check "report page: the comparison is there" test "$(result 5)" = True
check "report page: the runs table filters" test "$(result 6)" -eq 2
check "report page screenshot written" shot_ok "$OUT/report.png"
check "the report's links reach the pages" sh -c "cd '$T' && test -s runs/steady-0/run.html"

# -- 500 steps, 30 MB of observations ---------------------------------------------------
mlab run "$TINY" --agent "$AG/bulky.lua" --max-steps 500 --runs-dir "$RUNS" --id bulky -q > /dev/null
mlab eval bulky --all-steps --runs-dir "$RUNS" > /dev/null
mlab show bulky --html --runs-dir "$RUNS" > /dev/null
check "the big run has 30 MB of observations" test "$(stat -c %s "$RUNS/bulky/trace.jsonl")" -gt 30000000
browse "$RUNS/bulky/run.html" "$OUT/big.png" '[
 {"eval": "document.querySelectorAll(\"section.step[id^=step-]\").length"},
 {"key": "j"}, {"key": "j"}, {"key": "j"}, {"eval": "location.hash"},
 {"type": "UNIQUE-NEEDLE-7f3a", "into": "#q"}, {"wait": 2},
 {"eval": "Array.from(document.querySelectorAll(\"section.step:not(.dim)\")).map(s => s.id).join(\",\")"},
 {"eval": "document.getElementById(\"obs-250\").textContent.indexOf(\"UNIQUE-NEEDLE-7f3a\")"},
 {"eval": "document.querySelector(\"#step-250 button.more\").click(); document.getElementById(\"obs-250\").textContent.indexOf(\"UNIQUE-NEEDLE-7f3a\") > 60000"},
 {"goto": "#step-420"}, {"eval": "document.querySelector(\"section.current\").id"}]'
check "big page: no console error, exception or network request" clean
check "big page: 500 steps" test "$(result 0)" -eq 500
check "big page: j moves" test "$(result 1)" = "#step-3"
check "big page: search reaches text past the heads of observations and inputs" test "$(result 2)" = "step-249,step-250"
check "big page: the head only is on the page until asked" test "$(result 3)" -eq -1
check "big page: show all brings the rest" test "$(result 4)" = True
check "big page: anchors work" test "$(result 5)" = "step-420"
check "big page screenshot written" shot_ok "$OUT/big.png"
echo "read_html_test: screenshots in $OUT; big page ($(stat -c %s "$RUNS/bulky/run.html") bytes) loaded in $("$PY" -c "import json; print('%.2f' % json.load(open('$T/b.json'))['load_s'])") s"
finish
