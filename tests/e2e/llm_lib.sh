# llm_lib.sh - shared by tests/e2e/llm_*_test.sh (sourced, not a test).
# Starts the scripted model server on a free loopback port and cleans up.
set -euo pipefail
: "${MLAB:?MLAB must point at the mlab binary}"
: "${MLAB_HOME:?MLAB_HOME must point at the source tree}"
T=$(mktemp -d /tmp/mlab-e2e-llm.XXXXXX)
export MLAB_CACHE="$T/cache"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
AGENT="$MLAB_HOME/tests/e2e/agents/llm_asker.lua"

fail() { echo "FAIL: $*" >&2; exit 1; }

# start_server SCRIPT_JSON [extra server flags]: sets PORT and BASE.
start_server() {
  printf '%s\n' "$1" > "$T/script.json"
  shift
  rm -f "$T/port"
  /usr/bin/python3 "$MLAB_HOME/tests/model_server.py" --script "$T/script.json" \
    --port-file "$T/port" --log "$T/server.jsonl" --idle 120 "$@" &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || fail "model server did not start"
  PORT=$(cat "$T/port")
  BASE="http://127.0.0.1:$PORT/v1"
}

stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

# A private copy of the e2e task whose prompts.txt holds the given lines.
make_task() {
  rm -rf "$T/task"
  cp -r "$MLAB_HOME/tests/e2e/llm_task" "$T/task"
  printf '%s\n' "$@" > "$T/task/env/prompts.txt"
}

# run_mlab ID [mlab run options...]: runs into $T/runs/ID, output in $T/ID.out
run_mlab() {
  local id=$1; shift
  set +e
  "$MLAB" run "$T/task" --agent "$AGENT" --runs-dir "$T/runs" --id "$id" -q "$@" \
    > "$T/$id.out" 2> "$T/$id.err"
  RC=$?
  set -e
  R="$T/runs/$id"
}

# manifest FIELD: a top-level field of $R/run.json (python for JSON).
manifest() {
  /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v=v[k] if isinstance(v,dict) else None
print(v)' "$R/run.json" "$1"
}
