-- cmd/log.lua - `mlab log RUN`: the manifest and one line per step.
local cl = require("cmdline")
local view = require("view")

local M = {}

M.help = "usage: mlab log RUN [--runs-dir D]\n\nThe run's manifest and one line per step.\n"

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 1 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local m, merr = rd:manifest()
  if not m then cl.err(merr); return 2 end
  local trace, ended = rd:steps()
  local n = #trace
  trace[#trace + 1] = ended
  cl.out(view.summary(m, n))
  cl.out(("\nstep  %-20s %-28s %7s  %-7s  %s\n"):format("action", "input", "time", "commit", "observation"))
  for _, s in ipairs(trace) do cl.out(view.step_line(s)) end
  return 0
end

return M
