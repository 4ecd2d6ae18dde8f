# agents_lib.sh - shared by tests/e2e/agents_*_test.sh (sourced, not a test).
# run_agent AGENT [OPTIONS]: runs agents/AGENT.lua on digits against the scripted
# model server (tests/fixtures/agents_e2e/conversations.py), then replays
# it with `mlab replay` (no server) and checks the common outcome: a final
# answer, a score past the baseline by the task's threshold, the AI edit's
# (OPTIONS go to mlab run; "@BASE" in them becomes the server's URL)
# diff in the trace and in the git history, and an identical replay.
source "$(dirname "$0")/lib.sh"
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$T"' EXIT

# start_server SCRIPT_JSON: the scripted model server; sets BASE.
start_server() {
  printf '%s\n' "$1" > "$T/script.json"
  rm -f "$T/port" "$T/server.jsonl"
  "$PY" "$MLAB_HOME/tests/model_server.py" --script "$T/script.json" \
    --port-file "$T/port" --log "$T/server.jsonl" --idle 300 &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || { echo "FAIL: model server did not start" >&2; exit 1; }
  BASE="http://127.0.0.1:$(cat "$T/port")/v1"
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
manifest() { json "$R/run.json" "d.get('$1')"; }

run_agent() { # run_agent AGENT [mlab run options]
  local agent=$1
  shift
  start_server "$(/usr/bin/python3 "$MLAB_HOME/tests/fixtures/agents_e2e/conversations.py" "$agent" "$MLAB_HOME")"
  set +e
  "$MLAB" run digits --agent "$agent" --runs-dir "$RUNS" --id "$agent" -q --llm "openai:scripted@$BASE" \
    "${@//@BASE/@$BASE}" > "$T/$agent.out" 2> "$T/$agent.err"
  RC=$?
  set -e
  R="$RUNS/$agent"
  stop_server
  check "$agent run exits 0 ($(tail -n 3 "$T/$agent.err" | tr '\n' ' '))" test "$RC" = 0
  check "$agent gives the final answer ($(manifest message))" test "$(manifest status)" = final_answer
  check "$agent improves on the baseline past the threshold" "$PY" - "$R" <<'PY'
import json, sys
m = json.load(open(sys.argv[1] + "/run.json"))
assert m["success"] is True and m["score"] > m["baseline"] * 1.10, (m["score"], m["baseline"])
PY
  check "$agent: the AI edit's diff is its observation and in git" "$PY" - "$R" <<'PY'
import json, subprocess, sys
r = sys.argv[1]
steps = [json.loads(l) for l in open(r + "/trace.jsonl")]
edits = [s for s in steps if s.get("action") == "Edit Script (AI)"]
assert len(edits) == 1, [s.get("action") for s in steps]
e = edits[0]
obs = e["observation"]
assert obs.startswith("The edited file is saved to train.py. Here is the diff"), obs
assert "\n-from sklearn.tree import DecisionTreeClassifier\n+from sklearn.svm import SVC\n" in obs, obs
assert "\n-model = DecisionTreeClassifier(max_depth=4, random_state=0)\n+model = SVC(C=10)\n" in obs, obs
assert e["tokens"] >= 2100, e["tokens"]          # the edit call's usage is in its step
n = e["step"]
d = subprocess.check_output(["git", "--git-dir", r + "/history.git", "diff",
                             "step-%d" % (n - 1), "step-%d" % n, "--", "train.py"], text=True)
assert "+model = SVC(C=10)" in d and "-model = DecisionTreeClassifier" in d, d
run = [s for s in steps if s.get("action") == "Execute Script" and s["step"] > n]
assert run and "validation accuracy: 0.9" in run[-1]["observation"], run
PY
  # the recorded run replays with the same history, no model needed
  set +e
  "$MLAB" replay "$agent" --runs-dir "$RUNS" --id "$agent-replay" -q > "$T/$agent.replay" 2>&1
  local rc=$?
  set -e
  check "$agent replay exits 0 ($(tail -n 2 "$T/$agent.replay" | tr '\n' ' '))" test "$rc" = 0
  check "$agent replay is identical" grep -q "identical to $agent" "$T/$agent.replay"
  check "$agent replay has the same trace and score" "$PY" - "$R" "$RUNS/$agent-replay" <<'PY'
import json, sys
a, b = sys.argv[1], sys.argv[2]
def steps(r):
    return [(s["action"], s["input"], s["observation"].replace(r, "")) for s in map(json.loads, open(r + "/trace.jsonl")) if "step" in s]
assert steps(a) == steps(b)
ma, mb = json.load(open(a + "/run.json")), json.load(open(b + "/run.json"))
assert ma["score"] == mb["score"] and mb["status"] == "final_answer"
PY
}

# request N: the Nth request the model server got (1-based), as JSON text.
request() { sed -n "${1}p" "$T/server.jsonl"; }
