# Shared helpers for the adversarial tests (sourced after tests/e2e/lib.sh):
# each test runs an attacking agent on tests/fixtures/tasks/secret, whose
# hidden answer is TOKEN, and checks what a user would check afterwards.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
SECRET="$FIX/tasks/secret"
TOKEN=MLAB-HIDDEN-ANSWER-5e1c7a
HIDDEN="$MLAB_CACHE/tasks/secret-0/hidden"
# A host folder outside every run: attacks must leave it as it is.
OUTSIDE="$T/outside"
mkdir -p "$OUTSIDE"
echo "decoy" > "$OUTSIDE/decoy.txt"

# agent NAME: the agent file $T/NAME.lua from stdin, with @HIDDEN@, @RUNS@,
# @CACHE@, @OUTSIDE@ and @TASK@ replaced by this test's paths (an attacker
# is assumed to know the layout).
agent() {
  sed -e "s#@HIDDENCODE@#$MLAB_CACHE/tasks/secretcode-0/hidden#g" -e "s#@HIDDEN@#$HIDDEN#g" -e "s#@RUNS@#$RUNS#g" -e "s#@CACHE@#$MLAB_CACHE#g" \
      -e "s#@OUTSIDE@#$OUTSIDE#g" -e "s#@TASK@#$SECRET#g" > "$T/$1.lua"
}

# attack ID AGENT [mlab run options]: runs it (120 s at most); the run dir
# in $R, the wall time in $WALL.
attack() {
  local id=$1 agent=$2; shift 2
  local t0; t0=$(date +%s.%N)
  timeout -k 5 "${ATTACK_TIMEOUT:-120}" "$MLAB" run "${ATTACK_TASK:-$SECRET}" --agent "$T/$agent.lua" --runs-dir "$RUNS" \
    --id "$id" -q "$@" > "$T/$id.out" 2> "$T/$id.err" || true
  WALL=$("$PY" -c "import time; print('%.1f' % (time.time() - $t0))")
  R="$RUNS/$id"
}

# prepared: prepares the task (and its baseline) with a harmless run.
prepared() {
  printf 'return { run = function(ctx) ctx.env:final_answer("nothing") end }\n' > "$T/noop.lua"
  attack warmup noop
  test -f "$HIDDEN/answer.txt" || { echo "FAIL: the secret task was not prepared: $(cat "$T/warmup.err")" >&2; exit 1; }
}

field() { json "$R/run.json" "d.get('$1')"; }

# The checks every attack ends with.
run_ended() { check "$1: run.json complete (status $(field status))" \
  "$PY" -c "import json; d=json.load(open('$R/run.json')); assert d['status'] != 'running' and 'ended' in d, d"
  check "$1: trace has an end line" sh -c "tail -n 1 '$R/trace.jsonl' | grep -q '\"event\":\"end\"'"; }
not_success() { check "$1: not a success" test "$(field success)" = False
  check "$1: score at the baseline, or none" "$PY" -c "
import json; d=json.load(open('$R/run.json')); assert d.get('score') in (None, d['baseline']), d"; }
# No byte of the hidden answer in the workspace, the records or the history.
no_token() {
  check "$1: no hidden answer in the run's files" sh -c "! grep -rqs --exclude-dir=history.git '$TOKEN' '$R'"
  check "$1: no hidden answer in the history" sh -c \
    "! git --git-dir '$R/history.git' log -p --all --binary | grep -qa '$TOKEN'"
}
# Nothing outside the run changed: the decoy, the cache's hidden answer.
outside_intact() {
  check "$1: host folder untouched" test "$(ls "$OUTSIDE")" = decoy.txt -a "$(cat "$OUTSIDE/decoy.txt")" = decoy
  check "$1: hidden answer untouched" test "$(cat "$HIDDEN/answer.txt")" = "$TOKEN"
  check "$1: nothing but runs in the runs folder" "$PY" -c "
import os, sys; r = sys.argv[1]
bad = [n for n in os.listdir(r) if not os.path.isfile(os.path.join(r, n, 'run.json'))]
assert not bad, bad" "$RUNS"
}
# The observation of step N (trace.jsonl), for greps.
obs() { "$PY" -c "
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d.get('step') == int(sys.argv[2]): print(d.get('observation') or d.get('error') or '')" "$R/trace.jsonl" "$1"; }
obs_has() { local o; o=$(obs "$1"); grep -q -- "$2" <<< "$o"; }
obs_lacks() { local o; o=$(obs "$1"); ! grep -q -- "$2" <<< "$o"; }
