#!/usr/bin/env bash
# A run's records are exact and valid under any input: bytes that are not
# UTF-8 round-trip, control bytes never reach the terminal raw, every record
# is strict UTF-8 JSON of bounded size, agent.log is capped, inputs the host
# cannot take leave no gap, and pre-run errors leave nothing behind.
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"
A="$FIX/agents"
go() { # ID AGENT [options]: R, RC, $T/ID.out (stdout+stderr)
  local id=$1 agent=$2; shift 2
  set +e
  "$MLAB" run "$TINY" --agent "$A/$agent.lua" --runs-dir "$RUNS" --id "$id" "$@" > "$T/$id.out" 2>&1
  RC=$?
  set -e
  R="$RUNS/$id"
}

# Every record of run R is strict UTF-8 JSON; prints the checks' failures.
records_valid() {
  "$PY" - "$1" <<'PY'
import json, sys, os
r = sys.argv[1]
for name in ("run.json", "trace.jsonl", "llm.jsonl"):
    raw = open(os.path.join(r, name), "rb").read()
    text = raw.decode("utf-8")          # strict: raises on a stray byte
    if name.endswith(".jsonl"):
        for line in text.splitlines():
            json.loads(line)
    else:
        json.loads(text)
PY
}

go bytes bytes
check "bytes: final answer" test "$(json "$R/run.json" 'd["status"]')" = final_answer
check "bytes: every record is strict UTF-8 JSON" records_valid "$R"
check "bytes: the script's raw output round-trips through the trace" "$PY" - "$R" <<'PY'
import json, sys
steps = [json.loads(l) for l in open(sys.argv[1] + "/trace.jsonl", encoding="utf-8")]
raw = b"caf\xe9 \xff\xfe \x1b[31mred\x1b[0m \x07 bell"
ex = [s for s in steps if s.get("action") == "Execute Script"][0]
assert ex["observation"].encode("utf-8", "surrogateescape") == raw + b"\n", ex["observation"]
ls = [s for s in steps if s.get("action") == "List Files"][0]
assert b"na\xefve.txt" in ls["observation"].encode("utf-8", "surrogateescape"), ls
m = json.load(open(sys.argv[1] + "/run.json", encoding="utf-8"))
assert m["final_answer"].encode("utf-8", "surrogateescape") == raw, m["final_answer"]
PY
check "bytes: the file keeps its raw name and bytes in git" sh -c \
  "git --git-dir '$R/history.git' show step-1:\$(printf 'na\\357ve.txt') | cmp -s - '$R/workspace/na'\$(printf '\\357')'ve.txt'"
esc=$(printf '\033'); bel=$(printf '\007')
check "bytes: no raw ESC or BEL in the step lines" sh -c "! grep -q '[$esc$bel]' '$T/bytes.out'"
check "bytes: ESC shown as \\x1b" grep -qF '\x1b[31mred' "$T/bytes.out"
"$MLAB" show bytes 5 --runs-dir "$RUNS" > "$T/show.out"
check "bytes: mlab show prints no raw ESC or BEL" sh -c "! grep -q '[$esc$bel]' '$T/show.out'"
"$MLAB" log bytes --runs-dir "$RUNS" > "$T/log.out"
check "bytes: mlab log prints no raw ESC or BEL" sh -c "! grep -q '[$esc$bel]' '$T/log.out'"

go big big_write -q --max-mem 256
check "big write: final answer" test "$(json "$R/run.json" 'd["status"]')" = final_answer
check "big write: the file is whole in the workspace" test "$(stat -c %s "$R/workspace/big.txt")" = 20000000
check "big write: and in history" test "$(git --git-dir "$R/history.git" cat-file -s step-1:big.txt)" = 20000000
check "big write: its trace line is under 1 MB" test "$(head -n 1 "$R/trace.jsonl" | wc -c)" -lt 1048576
check "big write: the trace says what was cut" grep -q 'bytes not recorded here' "$R/trace.jsonl"
check "big write: its commit message is under 64 KB" \
  test "$(git --git-dir "$R/history.git" log -1 --format=%B step-1 | wc -c)" -lt 65536
check "big write: records valid" records_valid "$R"

go flood print_flood -q
check "print flood: final answer" test "$(json "$R/run.json" 'd["status"]')" = final_answer
check "print flood: agent.log capped at 1 MB" test "$(stat -c %s "$R/agent.log")" -le 1048700
check "print flood: agent.log says it was capped" grep -q "agent.log is capped" "$R/agent.log"

go unrec unrecordable -q
check "unrecordable inputs: final answer" test "$(json "$R/run.json" 'd["status"]')" = final_answer
check "unrecordable inputs: trace steps are 1..3" test "$("$PY" -c "
import json; print([json.loads(l).get('step') for l in open('$R/trace.jsonl')][:-1])")" = "[1, 2, 3]"
check "unrecordable inputs: commits = steps + 1" \
  test "$(git --git-dir "$R/history.git" rev-list --count HEAD)" = 4

# Pre-run errors: exit 2, one line, no run directory anywhere.
go syntax syntax_error -q
check "syntax error: exit 2" test "$RC" = 2
check "syntax error: one line naming the file" sh -c "test \$(wc -l < '$T/syntax.out') = 1 && grep -q 'syntax_error.lua:2' '$T/syntax.out'"
check "syntax error: no run directory" test ! -e "$RUNS/syntax"
set +e
env -u OPENAI_API_KEY "$MLAB" run "$TINY" --agent baseline --llm openai:gpt-x --runs-dir "$RUNS" --id nokey > "$T/nokey.out" 2>&1
rc=$?
"$MLAB" run "$TINY" --agent baseline --runs-dir "$RUNS" --id ../../escape > "$T/id.out" 2>&1
rc2=$?
set -e
check "missing API key: exit 2" test "$rc" = 2
check "missing API key: no run directory" test ! -e "$RUNS/nokey"
check "an id that is a path: exit 2" test "$rc2" = 2
check "an id that is a path: refused by name" grep -q "bad run id '../../escape'" "$T/id.out"
check "an id that is a path: nothing written outside" test ! -e "$T/../escape" -a ! -e "$RUNS/../../escape"
finish
