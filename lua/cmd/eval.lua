-- cmd/eval.lua - `mlab eval RUN`: score a run's workspace.
local cl = require("cmdline")
local snap_mod = require("mlab.snap")
local json = require("json")
local task_mod = require("task")

local M = {}

M.help = [[
usage: mlab eval RUN [--step N] [--runs-dir D]

Runs the task's evaluator on the workspace (as it is, or as it was after step
N) and prints the score.
]]

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", step = "value" })
  if not o or #pos ~= 1 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local m, merr = rd:manifest()
  if not m then cl.err(merr); return 2 end
  local task, terr = task_mod.load(m.task_dir)
  if not task then cl.err(terr); return 2 end
  local data, perr = task_mod.prepare(task, function(s) io.stderr:write(s, "\n") end)
  if not data then cl.err(perr); return 2 end
  -- The committed tree of the step (the last one by default), never the
  -- live workspace.
  local n = o.step and cl.step(o.step) or math.tointeger(m.steps) or 0
  local score, eerr = task_mod.evaluate_commit(task, data, assert(snap_mod.open(rd.paths.git)),
    "step-" .. n)
  if not score then cl.err("evaluation failed: " .. eerr); return 1 end
  local imp = task_mod.improvement(task, score.score, m.baseline)
  cl.out(json.encode({ run = m.id, step = n, score = score.score,
    baseline = m.baseline, improvement = imp, success = imp ~= nil and imp > task.threshold,
    evaluation = score }, "  "), "\n")
  return 0
end

return M
