#!/usr/bin/env bash
# The failure-mode detectors (examples/analysis/) against a labelled set:
# runs made here with planted failures (model-free agents, and model runs
# against the scripted server) must be labelled exactly as planted, clean
# ones not at all; the reference system's real runs that
# tests/fixtures/analysis/validation.lua labels by hand give precision and
# recall per category (printed, with a floor).  Then the table per model
# over all imported real runs, the same labels twice, and the HTML page.
source "$(dirname "$0")/lib.sh"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT
TINY="$FIX/tasks/tiny"
AG="$FIX/analysis/agents"
SCRIPT="$MLAB_HOME/examples/analysis/failure_modes.lua"

start_server() {
  printf '%s\n' "$1" > "$T/script.json"
  rm -f "$T/port"
  "$PY" "$MLAB_HOME/tests/model_server.py" --script "$T/script.json" --port-file "$T/port" --idle 120 &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || { echo "FAIL: model server did not start" >&2; exit 1; }
  BASE="http://127.0.0.1:$(cat "$T/port")/v1"
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
plant() { # ID AGENT [mlab run options]
  local id=$1 agent=$2; shift 2
  mlab run "$TINY" --agent "$agent" --runs-dir "$RUNS" --id "$id" -q "$@" > "$T/$id.out" 2>&1 || true
  check "$id ran ($(grep -m1 status "$T/$id.out"))" test -f "$RUNS/$id/run.json"
}

# Model-free plants.
plant planted-baseline baseline
for a in clean hallucinate contradict loop stuck noplan; do plant "planted-$a" "$AG/$a.lua"; done

# Model runs: the asker agent with what the server does wrong.
export MLAB_LLM_MAX_TRIES=1 MLAB_LLM_BACKOFF=0
start_server '{"default": {"text": "a plain answer", "usage": {"prompt": 20, "completion": 5}}}'
plant planted-asker-clean "$AG/asker.lua" --llm "openai:m@$BASE"; stop_server
start_server '{"default": {"text": "a reply that runs on and on", "usage": {"prompt": 20, "completion": 32}}}'
plant planted-asker-cut "$AG/asker.lua" --llm "openai:m@$BASE"; stop_server
start_server '{"default": {"text": "a long answer", "usage": {"prompt": 100, "completion": 30}}}'
plant planted-asker-budget "$AG/asker.lua" --llm "openai:m@$BASE" --max-tokens 150; stop_server
start_server '{"default": {"fault": "server_error"}}'
plant planted-asker-server "$AG/asker.lua" --llm "openai:m@$BASE"; stop_server
check "the budget plant ran out of tokens" grep -q '"budget_kind": "tokens"' "$RUNS/planted-asker-budget/run.json"

# The research agent, its Research Plan and Status scripted.
reply() { # PLAN ACTION INPUT_JSON
  "$PY" -c 'import json,sys; print(json.dumps({"text": "Reflection: going on.\nResearch Plan and Status:\n%s\nFact Check: see above.\nThought: next.\nAction: %s\nAction Input: %s\n" % tuple(sys.argv[1:4])}))' "$@"
}
start_server "{\"replies\": [$(reply "1. Baseline accuracy is 0.93 (confirmed)." "Execute Script" '{"script_name": "run.py"}'),
  $(reply "1. Ran run.py." "Final Answer" '{"final_answer": "run.py printed answer: 1; nothing was changed."}')]}"
plant planted-research-plan research --llm "openai:m@$BASE"; stop_server
start_server "{\"replies\": [$(reply "1. Run run.py to measure the baseline." "Execute Script" '{"script_name": "run.py"}'),
  $(reply "1. Ran run.py: it printed answer: 1 (confirmed)." "Final Answer" '{"final_answer": "The baseline answer is 1, as run.py printed."}')]}"
plant planted-research-clean research --llm "openai:m@$BASE"; stop_server
check "the research plants gave their final answers" sh -c \
  "grep -q '\"status\": \"final_answer\"' '$RUNS/planted-research-plan/run.json' && grep -q '\"status\": \"final_answer\"' '$RUNS/planted-research-clean/run.json'"

# The reference system's runs (../shared/real-traces, or the copy in
# tests/fixtures/real_traces).
REAL=$(real_traces) # never empty: the shared folder or the fixture copy
check "import the real runs" mlab import mlagentbench "$REAL" --runs-dir "$RUNS" -q --input-limit codellama=3000

# Precision and recall against the labelled set.
set +e
mlab script --runs-dir "$RUNS" "$FIX/analysis/check_detectors.lua" "$RUNS" > "$T/check.txt" 2>&1
rc=$?
set -e
cat "$T/check.txt"
mlab script "$FIX/analysis/check_detectors.lua" --json "$RUNS" > "$T/check.json" || true
check "planted runs are labelled exactly as planted" "$PY" - "$T/check.json" "$rc" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["planted"]
# every planted run found and compared (a run it cannot find is "skipped")
assert sys.argv[2] == "0" and d["runs"] == 13 and d["skipped"] == 0, (sys.argv[2], d["runs"], d["skipped"])
PY
if [ -n "$REAL" ]; then
  check "real runs: 17 labelled, precision and recall at least 0.8 overall" "$PY" - "$T/check.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["real"]
assert d["runs"] == 17 and d["skipped"] == 0, (d["runs"], d["skipped"])
row = [r for r in d["rows"] if r["category"] == "all"][0]
assert float(row["precision"]) >= 0.8 and float(row["recall"]) >= 0.8, row
PY

  # The table per model over every imported real run.
  mlab script "$SCRIPT" --table "$RUNS"/mlagentbench-* > "$T/table.txt"
  cat "$T/table.txt"
  check "the table has both models (22 codellama, 36 gemini-pro runs, the copy left out)" "$PY" - "$T/table.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
assert "1 copies of other runs left out" in t, t
assert re.search(r"mlagentbench-research\s+codellama\s+22\s", t), t
assert re.search(r"mlagentbench-research\s+gemini-pro\s+36\s", t), t
PY
  mlab script "$SCRIPT" --json "$RUNS"/mlagentbench-* > "$T/a.json"
  mlab script "$SCRIPT" --json "$RUNS"/mlagentbench-* > "$T/b.json"
  check "the same runs give the same labels" cmp -s "$T/a.json" "$T/b.json"
  check "every label has a category, a rule, a reason and evidence with steps" "$PY" - "$T/a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
cats = {"hallucination", "debugging_loop", "context", "bad_plan", "environment"}
assert len(d["runs"]) == 59, len(d["runs"])
n = 0
for r in d["runs"]:
    for l in r["labels"]:
        n += 1
        assert l["category"] in cats and l["rule"] and l["why"], l
        assert l["evidence"] and all(isinstance(e["step"], (int, float)) for e in l["evidence"]), l
assert n > 100, n
PY
fi

mlab script "$SCRIPT" --html "$RUNS"/planted-* > "$T/page.html"
check "the HTML page links each piece of evidence to its run page's step" "$PY" - "$T/page.html" "$RUNS" <<'PY'
import sys
page, runs = open(sys.argv[1]).read(), sys.argv[2]
assert page.startswith("<!DOCTYPE html>"), page[:80]
assert 'href="%s/planted-loop/run.html#step-2"' % runs in page, page
assert "<script" not in page
PY
check "--only runs one detector" sh -c "'$MLAB' script '$SCRIPT' --only context --table '$RUNS'/planted-* | grep -q '^agent .* context  *none\$'"
finish
