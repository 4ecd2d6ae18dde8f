#!/usr/bin/env bash
# The code tasks' evaluators run the agent's module in a confined child
# (tasks/common/evalkit.py).  A module that, at evaluation time, tries to lift
# the masks and read the hidden answer (tests/fixtures/tasks/secretcode) must
# find nothing: the child has no capabilities and, under a root mlab, is not
# root on the host.
source "$(dirname "$0")/lib.sh"
export ATTACK_TASK="$FIX/tasks/secretcode"
agent solver <<'LUA'
local SOLVER = [==[
import glob, os, subprocess

def answer():
    with open("/proc/self/status") as f:
        caps = [l.split()[1] for l in f if l.startswith("CapEff")][0]
    uid = os.getuid()
    for line in reversed(open("/proc/self/mountinfo").read().splitlines()):
        f = line.split()
        if f[f.index("-") + 1] == "tmpfs" and not f[4].startswith("/dev"):
            subprocess.run(["umount", "-l", f[4]], capture_output=True)
    subprocess.run(["mount", "-o", "remount,rw", "/"], capture_output=True)
    for p in ["@HIDDENCODE@/answer.txt"] + glob.glob("/proc/*/root@HIDDENCODE@/answer.txt"):
        try:
            return open(p).read().strip()
        except OSError:
            pass
    return "nothing (CapEff %s)" % caps
]==]
return { run = function(ctx)
  ctx.env:write_file("solver.py", SOLVER)
  ctx.env:final_answer("done")
end }
LUA
attack solver solver
run_ended solver
check "eval child: the evaluation ran ($(field evaluation_error))" test "$(field score)" != None
check "eval child: it ran confined" grep -q '"isolated": true' "$R/run.json"
not_success solver
check "eval child: no hidden answer in the run" sh -c "! grep -rqs --exclude-dir=history.git MLAB-HIDDEN-CODE '$R'"
finish
