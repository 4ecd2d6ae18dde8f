-- cmd/diff.lua - `mlab diff RUN A B`: the workspace change between two steps.
local cl = require("cmdline")
local snap_mod = require("mlab.snap")

local M = {}

M.help = [[
usage: mlab diff RUN A B [-- PATH] [--runs-dir D]

Unified diff of the workspace from step A to step B (optionally one path).
]]

function M.main(args)
  local o, pos, rest = cl.parse(args, { ["runs-dir"] = "value" })
  if not o or #pos ~= 3 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local a, b = cl.step(pos[2]), cl.step(pos[3])
  local h = assert(snap_mod.open(rd.paths.git))
  local patch, derr = h:diff("step-" .. a, "step-" .. b, rest and rest[1])
  if not patch then cl.err(derr); return 2 end
  cl.out(patch)
  return 0
end

return M
