-- cmd/runs.lua - `mlab runs`: every run in the runs folder.
local cl = require("cmdline")
local view = require("view")
local rundir = require("rundir")

local M = {}

M.help = [[
usage: mlab runs [--runs-dir D]

One line per run: id, status, score, baseline, steps.
]]

function M.main(args)
  local o = cl.parse(args, { ["runs-dir"] = "value" })
  if not o then cl.usage("mlab runs [--runs-dir D]") end
  for _, rd in ipairs(rundir.list(cl.runs_dir(o))) do
    local m = rd:manifest()
    if m then
      cl.out(("%-56s %-17s score %-8s baseline %-8s steps %s\n"):format(rd.id, rd:status(m),
        view.score(m.score), view.score(m.baseline), tostring(m.steps or "?")))
    end
  end
  return 0
end

return M
