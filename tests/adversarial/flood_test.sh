#!/usr/bin/env bash
# An output flood (100 MB on stdout and stderr, no newlines): the
# observation is cut with a marker, the trace stays small, the run goes on.
source "$(dirname "$0")/lib.sh"
prepared
agent flood <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("flood.sh", "head -c 50M /dev/zero | tr '\\0' x & head -c 50M /dev/zero | tr '\\0' y >&2; wait\n")
  ctx.env:execute("flood.sh")
  ctx.env:final_answer("done")
end }
LUA
attack flood flood
run_ended flood
check "flood: cut with a marker" obs_has 2 "bytes of output truncated"
check "flood: the trace stays small" test "$(stat -c %s "$R/trace.jsonl")" -lt 200000
check "flood: the run reached its final answer" test "$(field status)" = final_answer
check "flood: quick (wall ${WALL}s)" "$PY" -c "assert $WALL < 30"
finish
