#!/usr/bin/env bash
# Daemons that outlive their script: setsid, double fork and nohup children
# that keep writing after the script returns must be gone when it returns,
# and none may be left after the run.
source "$(dirname "$0")/lib.sh"
prepared
MARK="mlabdaemon$$"
agent daemons <<LUA
local SCRIPT = [==[
setsid sh -c ': $MARK; while :; do echo t >> tick1; sleep 0.05; done' > /dev/null 2>&1 &
nohup sh -c ': $MARK; while :; do echo t >> tick2; sleep 0.05; done' > /dev/null 2>&1 &
python3 -c '
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sh", ["sh", "-c", ": $MARK; while :; do echo t >> tick3; sleep 0.05; done"])
' 
sleep 0.5
echo started
]==]
return { run = function(ctx)
  ctx.env:write_file("start.sh", SCRIPT)
  ctx.env:execute("start.sh")
  ctx.env:write_file("wait.sh", "wc -c tick1 tick2 tick3 > sizes1; sleep 1; wc -c tick1 tick2 tick3 > sizes2; cmp sizes1 sizes2 && echo still\n")
  ctx.env:execute("wait.sh")
  ctx.env:final_answer("done")
end }
LUA
attack daemons daemons
run_ended daemons
check "daemons: they started" obs_has 2 started
check "daemons: each wrote its tick file" \
  test -s "$R/workspace/tick1" -a -s "$R/workspace/tick2" -a -s "$R/workspace/tick3"
check "daemons: stopped when their script returned" obs_has 4 still
sleep 0.3
check "daemons: none left after the run" sh -c "! pgrep -f '[${MARK:0:1}]${MARK:1}' > /dev/null"
s1=$(cat "$R"/workspace/tick* | wc -c); sleep 0.5; s2=$(cat "$R"/workspace/tick* | wc -c)
check "daemons: nothing writes in the workspace after the run" test "$s1" -eq "$s2"
outside_intact daemons
finish
