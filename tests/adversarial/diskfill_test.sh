#!/usr/bin/env bash
# A script that writes without end (here up to 1 GB, to stay safe on a host
# without the cap) is stopped at the disk cap (MLAB_DISK_MB, 64 MB here);
# a file bigger than the cap is refused (RLIMIT_FSIZE); the agent can then
# clean up and go on.
source "$(dirname "$0")/lib.sh"
export MLAB_DISK_MB=64
prepared
agent fill <<'LUA'
return { run = function(ctx)
  ctx.env:write_file("fill.sh", "for i in $(seq 128); do head -c 8M /dev/zero > fill$i || break; done; echo wrote\n")
  ctx.env:execute("fill.sh")
  ctx.env:write_file("one.sh", "rm -f fill*; head -c 100M /dev/zero > one.bin; echo status $?; stat -c %s one.bin\n")
  ctx.env:execute("one.sh")
  ctx.env:write_file("clean.sh", "rm -f fill* one.bin; echo cleaned\n")
  ctx.env:execute("clean.sh")
  ctx.env:final_answer("done")
end }
LUA
attack fill fill
run_ended fill
check "disk: the writer was stopped at the cap" obs_has 2 "more than 64 MB of disk"
check "disk: it did not finish writing" obs_lacks 2 "^wrote"
check "disk: one file past the cap refused" obs_has 4 "status [1-9]"
check "disk: the agent could clean up" obs_has 6 cleaned
check "disk: the workspace is small again" test "$(du -sk "$R/workspace" | cut -f1)" -lt 10240
check "disk: the run reached its final answer" test "$(field status)" = final_answer

# The agent's own writes count too: 20 MB at a time, the fourth is refused
# (64 MB cap) with a message; small writes still pass so it can go on.
agent writes <<'LUA'
return { run = function(ctx)
  local chunk = string.rep("z", 20 * 1024 * 1024)
  local said = {}
  for i = 1, 6 do
    local ok, err = ctx.env:write_file("big" .. i .. ".bin", chunk)
    said[#said + 1] = i .. " " .. (ok and "ok" or err)
  end
  ctx.env:write_file("said.txt", table.concat(said, "\n") .. "\n")
  ctx.env:final_answer("done")
end }
LUA
attack writes writes --max-mem 256
run_ended writes
check "disk: three 20 MB writes fit under 64 MB" test "$(grep -c ' ok$' "$R/workspace/said.txt")" = 3
check "disk: the fourth is refused with the cap named" grep -q "^4 the workspace would hold .* disk cap of 64 MB" "$R/workspace/said.txt"
check "disk: a small write still passes" test -s "$R/workspace/said.txt"
check "disk: the workspace stays under the cap" test "$(du -sm "$R/workspace" | cut -f1)" -le 64
finish
