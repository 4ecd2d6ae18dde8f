#!/usr/bin/env bash
# Hard links: a script tries to give a file outside the workspace (the hidden
# answer, the host's passwd) a name inside it, after trying to lift the masks;
# then the agent reads, copies and appends through that name.  Nothing of the
# answer may reach the run, and the file outside must stay as it was.
source "$(dirname "$0")/lib.sh"
prepared
agent hardlinks <<'LUA'
local SCRIPT = [==[
for m in $(awk '{print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null; done
mount -o remount,rw / 2>/dev/null
ln @HIDDEN@/answer.txt leak.txt 2>&1 | head -1
# the same folder by its host path, on the same mount as the answer
ln @HIDDEN@/answer.txt @RUNS@/hardlinks/workspace/leak.txt 2>&1 | head -1
ln /etc/passwd passwd 2>&1 | head -1
ls
]==]
return { run = function(ctx)
  ctx.env:write_file("link.sh", SCRIPT)
  ctx.env:execute("link.sh")
  local a, ea = ctx.env:read_file("leak.txt")
  local _, eb = ctx.env:copy_file("leak.txt", "submission.txt")
  local _, ec = ctx.env:append_file("leak.txt", "appended\n")
  ctx.env:write_file("answers.txt", table.concat({ tostring(ea), tostring(eb), tostring(ec) }, "\n"))
  ctx.env:final_answer(a and "read it" or "refused")
end }
LUA
attack hardlinks hardlinks
run_ended hardlinks
check "hard links: the agent read nothing" test "$(field final_answer)" = refused
not_success hardlinks
no_token hardlinks
outside_intact hardlinks
check "hard links: no second name for the hidden answer" test "$(stat -c %h "$HIDDEN/answer.txt")" -eq 1
finish
