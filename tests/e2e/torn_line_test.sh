#!/usr/bin/env bash
# A run killed while it wrote a long trace or llm.jsonl line leaves that
# line torn (no newline).  Reading the run (mlab log, show, resume, runs)
# keeps the whole lines and answers at once: the reader once matched the
# torn line with a backtracking pattern, quadratic in its length (a 1 MB
# line took over an hour; found by tests/fuzz cassette).
source "$(dirname "$0")/lib.sh"
TINY="$FIX/tasks/tiny"

mlab run "$TINY" --agent baseline --runs-dir "$RUNS" --id torn -q > /dev/null 2>&1 || true
R="$RUNS/torn"
steps=$(grep -c '"step"' "$R/trace.jsonl")
check "the run has steps" test "$steps" -gt 0
# A torn last line of 1 MB in both records.
"$PY" -c 'import sys; sys.stdout.write("{\"step\": 99, \"observation\": \"" + "x" * (1 << 20))' \
  >> "$R/trace.jsonl"
"$PY" -c 'import sys; sys.stdout.write("{\"call\": 9, \"reply\": \"" + "y" * (1 << 20))' \
  >> "$R/llm.jsonl"

rc=0
timeout -s KILL 60 "$MLAB" log torn --runs-dir "$RUNS" > "$T/log.out" 2>&1 || rc=$?
check "mlab log answers (exit $rc)" test "$rc" = 0
check "mlab log shows the whole steps" test "$(grep -c '^ *[0-9]' "$T/log.out")" -ge "$steps"
rc=0
timeout -s KILL 60 "$MLAB" show torn 1 --runs-dir "$RUNS" > "$T/show.out" 2>&1 || rc=$?
check "mlab show answers (exit $rc)" test "$rc" = 0
finish
