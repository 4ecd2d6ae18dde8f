#!/usr/bin/env bash
# A script leaves FIFOs in the workspace (one of them as submission.txt);
# the agent then appends to, writes, reads and undoes through them.  The host
# must never block: each action is refused at once and the run ends normally.
source "$(dirname "$0")/lib.sh"
prepared
agent fifo <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("mk.sh", "rm -f submission.txt; mkfifo pipe submission.txt\n")
  ctx.env:execute("mk.sh")
  local _, e1 = ctx.env:append_file("pipe", "x\n")
  local _, e2 = ctx.env:write_file("pipe", "x\n")
  local _, e3 = ctx.env:read_file("pipe")
  local _, e4 = ctx.env:copy_file("pipe", "copy.txt")
  ctx.env:write_file("answers.txt", table.concat({ tostring(e1), tostring(e2), tostring(e3),
    tostring(e4) }, "\n") .. "\n")
  ctx.env:final_answer("done")
end }
LUA
ATTACK_TIMEOUT=40 attack fifo fifo
run_ended fifo
check "fifo: the run reached its final answer" test "$(field status)" = final_answer
check "fifo: every action refused as a FIFO" test "$(grep -c 'FIFO' "$R/workspace/answers.txt")" -eq 4
check "fifo: no wait (wall ${WALL}s)" "$PY" -c "assert $WALL < 20"
not_success fifo
finish
