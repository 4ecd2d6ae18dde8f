-- cmd/checkout.lua - `mlab checkout RUN STEP DIR`: a step's workspace.
local cl = require("cmdline")
local snap_mod = require("mlab.snap")

local M = {}

M.help = [[
usage: mlab checkout RUN STEP DIR [--runs-dir D]

Writes the workspace after STEP into DIR (new or empty).
]]

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 3 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local dir = rd.dir
  local n = cl.step(pos[2])
  local h = assert(snap_mod.open(rd.paths.git))
  local ok, cerr = h:checkout("step-" .. n, pos[3])
  if not ok then cl.err(cerr); return 2 end
  cl.out(("step %d of %s written to %s\n"):format(n, dir:match("[^/]+$"), pos[3]))
  return 0
end

return M
