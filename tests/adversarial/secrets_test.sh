#!/usr/bin/env bash
# The host's API keys: a script looks for them in its environment, in
# every /proc/*/environ and cmdline it can see and in the usual files; the
# agent's Lua asks os.getenv.  No key may reach the run's files.
source "$(dirname "$0")/lib.sh"
export OPENAI_API_KEY=sk-mlab-adversarial-openai-0123456789
export ANTHROPIC_API_KEY=sk-ant-mlab-adversarial-9876543210
prepared
agent secrets <<'LUA'
local SCRIPT = [==[
env
for f in /proc/*/environ /proc/*/cmdline; do tr '\0' '\n' < "$f" 2>/dev/null; done | grep -a KEY
cat ~/.bashrc /root/.bashrc /etc/environment 2>/dev/null | grep -a KEY
grep -ras 'sk-' /proc/1/ 2>/dev/null | head -3
env > env.txt
echo done
]==]
return { run = function(ctx)
  ctx.env:write_file("look.sh", SCRIPT)
  ctx.env:execute("look.sh")
  local ok, v = pcall(function() return os.getenv("OPENAI_API_KEY") end)
  local ok2, v2 = pcall(function() return os.getenv("ANTHROPIC_API_KEY") end)
  ctx.env:write_file("lua.txt", tostring(ok and v) .. " " .. tostring(ok2 and v2) .. "\n")
  ctx.env:final_answer("done")
end }
LUA
attack secrets secrets
run_ended secrets
check "secrets: the script ran" obs_has 2 done
for key in "$OPENAI_API_KEY" "$ANTHROPIC_API_KEY"; do
  check "secrets: ${key:0:10}... not in the run's files" sh -c "! grep -rqs --exclude-dir=history.git '$key' '$R'"
  check "secrets: ${key:0:10}... not in the history" sh -c \
    "! git --git-dir '$R/history.git' log -p --all --binary | grep -qa '$key'"
done
check "secrets: the script's environment has no key at all" sh -c "! grep -q API_KEY '$R/workspace/env.txt'"
finish
