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
check "disk: one file past the cap refused" obs_lacks 4 "status 0"
check "disk: the agent could clean up" obs_has 6 cleaned
check "disk: the workspace is small again" test "$(du -sk "$R/workspace" | cut -f1)" -lt 10240
check "disk: the run reached its final answer" test "$(field status)" = final_answer
finish
