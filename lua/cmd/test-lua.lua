-- cmd/test-lua.lua - `mlab test-lua FILE`: a Lua test in the agent sandbox.
local cl = require("cmdline")
local budget = require("mlab.budget")
local ctl = require("mlab.run")

local M = {}

M.help = [[
usage: mlab test-lua FILE

Runs FILE in the agent sandbox (stdlib/ and agents/ requirable; lua/ too when
its first line says "mlab-test: host-modules") with a 60 s budget; exit 0 when
it raises nothing.
]]

function M.main(args)
  local file = args[1]
  if not file then cl.usage(M.help) end
  local sandbox = require("sandbox")
  local dir = file:match("^(.*)/[^/]*$") or "."
  -- A file whose first line says "mlab-test: host-modules" may also
  -- require lua/ (pure host modules such as llm.lua, unit-tested under the
  -- agents' sandbox and budgets); others see stdlib/ and agents/ only.
  local dirs = { dir }
  local f = io.open(file, "r")
  if f and (f:read("l") or ""):find("mlab-test: host-modules", 1, true) then
    dirs[2] = cl.ROOT .. "/lua"
  end
  if f then f:close() end
  local env = sandbox.new({ root = cl.ROOT, dirs = dirs, print = print })
  local chunk, lerr = sandbox.loadfile(file, env)
  if not chunk then cl.err(lerr); return 1 end
  budget.set({ time = 60, mem_mb = 512 })
  budget.start()
  local st, msg = ctl.call_agent(chunk)
  if st ~= "ok" then
    io.stderr:write(file, ": ", st, ": ", tostring(msg), "\n")
    return 1
  end
  cl.out(file, ": ok\n")
  return 0
end

return M
