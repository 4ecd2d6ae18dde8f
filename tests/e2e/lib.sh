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
