#!/usr/bin/env bash
# Memory hogs: a script asking for 3 GB gets MemoryError (the task's
# memory_mb, 512 MB), and one filling the sandbox's RAM-backed /tmp and
# /dev/shm is stopped at their sizes; the host and the run go on.
source "$(dirname "$0")/lib.sh"
prepared
agent mem <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("hog.py", "b = bytearray(3 << 30)\nprint('got 3 GB')\n")
  ctx.env:execute("hog.py")
  ctx.env:write_file("fill.sh", "head -c 1200M /dev/zero > /tmp/fill; echo tmp $(stat -c %s /tmp/fill)\n"
    .. "head -c 300M /dev/zero > /dev/shm/fill; echo shm $(stat -c %s /dev/shm/fill)\n")
  ctx.env:execute("fill.sh")
  ctx.env:final_answer("done")
end }
LUA
attack mem mem
run_ended mem
check "memory: the 3 GB hog got MemoryError" obs_has 2 MemoryError
check "memory: it did not get its 3 GB" obs_lacks 2 "got 3 GB"
tmp=$(obs 4 | sed -n 's/^tmp \([0-9]*\)$/\1/p'); shm=$(obs 4 | sed -n 's/^shm \([0-9]*\)$/\1/p')
check "memory: /tmp capped (${tmp:-?} bytes)" test "${tmp:-0}" -gt 0 -a "${tmp:-0}" -le $((512 << 20))
check "memory: /dev/shm capped (${shm:-?} bytes)" test "${shm:-0}" -gt 0 -a "${shm:-0}" -le $((64 << 20))
check "memory: the run reached its final answer" test "$(field status)" = final_answer
finish
