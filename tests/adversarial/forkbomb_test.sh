#!/usr/bin/env bash
# A script forks 1000 processes that sleep, then waits for ever: the process
# cap stops the forks (as root too), the run's --max-time stops the script,
# and nothing is left behind.
source "$(dirname "$0")/lib.sh"
prepared
MARK="mlabbomb$$"
agent bomb <<LUA
local SCRIPT = [==[
import os, sys, time
sys.argv[0] = "$MARK"
n = 0
try:
    for i in range(1000):
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
        n += 1
except OSError as e:
    print("fork failed:", e)
print("forked", n, flush=True)
time.sleep(600)
]==]
return { run = function(ctx)
  ctx.env:write_file("bomb.py", SCRIPT)
  ctx.env:execute("bomb.py", { "$MARK" })
  ctx.env:final_answer("done")
end }
LUA
attack bomb bomb --max-time 8
run_ended bomb
forked=$(obs 2 | sed -n 's/^forked \([0-9]*\)$/\1/p')
check "fork bomb: capped below 1000 (forked ${forked:-?})" test "${forked:-1000}" -lt 1000
check "fork bomb: the time budget ended it" test "$(field status)" = budget_exhausted
check "fork bomb: near --max-time (time_s $(field time_s), wall ${WALL}s)" "$PY" -c "
import json; d=json.load(open('$R/run.json')); assert 7 < d['time_s'] < 14 and $WALL < 20, d['time_s']"
sleep 0.3
check "fork bomb: nothing left" sh -c "! pgrep -f '[${MARK:0:1}]${MARK:1}' > /dev/null"
not_success bomb
finish
