# Shared helpers for the end-to-end tests (sourced).  Each test gets its own
# runs directory and task cache under a temporary folder removed on exit.
set -euo pipefail
: "${MLAB:?set MLAB to the mlab binary}"
: "${MLAB_HOME:?set MLAB_HOME to the source tree}"
export MLAB_HOME
T=$(mktemp -d /tmp/mlab-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
export MLAB_CACHE="$T/cache"
RUNS="$T/runs"
PY=/usr/bin/python3
FIX="$MLAB_HOME/tests/fixtures"
failures=0
checks=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

# check DESCRIPTION COMMAND...: the command must succeed.
check() {
  local what=$1; shift
  if "$@"; then ok; else fail "$what"; fi
}

# json FILE EXPR: a value from a JSON file (EXPR in Python, `d` is the doc).
json() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# run_dir: the only run directory in $RUNS.
run_dir() { ls -d "$RUNS"/*/ | head -n 1 | sed 's#/$##'; }

mlab() { "$MLAB" "$@"; }

# real_traces: a folder laid out as ../shared/real-traces (runs.jsonl,
# replies.jsonl, prompts.jsonl, traces/KEY.trace.json): $MLAB_REAL_TRACES or
# the shared folder beside the tree when there is one, else the copy in
# tests/fixtures/real_traces unpacked under $T, so no test skips the 59
# real runs on a machine without the shared folder (MLAB_REAL_TRACES=fixture
# asks for the copy).
real_traces() {
  local d
  [ "${MLAB_REAL_TRACES:-}" = fixture ] ||
  for d in "${MLAB_REAL_TRACES:-}" "$MLAB_HOME/../shared/real-traces" "$MLAB_HOME/../../shared/real-traces"; do
    if [ -n "$d" ] && [ -f "$d/runs.jsonl" ]; then echo "$d"; return; fi
  done
  d="$T/real-traces"
  if [ ! -f "$d/runs.jsonl" ]; then
    mkdir -p "$d/traces"
    local f
    for f in runs replies prompts; do xz -dc "$FIX/real_traces/$f.jsonl.xz" > "$d/$f.jsonl"; done
    xz -dc "$FIX/real_traces/traces.json.xz" | "$PY" -c '
import json, sys
for key, trace in json.load(sys.stdin).items():
    with open("%s/traces/%s.trace.json" % (sys.argv[1], key), "w") as f:
        json.dump(trace, f, indent=2)' "$d"
  fi
  echo "$d"
}

# no_procs_in DIR: no process has its working directory in DIR (tests run in
# parallel, so a name pattern could match another test's processes).
no_procs_in() {
  local p
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/cwd" 2>/dev/null)" in "$1"|"$1"/*) return 1 ;; esac
  done
  return 0
}

finish() {
  if [ "$failures" -gt 0 ]; then
    echo "$(basename "$0"): $failures of $((checks + failures)) checks failed" >&2
    exit 1
  fi
  echo "$(basename "$0"): $checks checks passed"
}
