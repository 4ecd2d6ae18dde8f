-- cmd/eval.lua - `mlab eval RUN`: score a run's workspace.
local cl = require("cmdline")
local host = require("mlab.host")
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
  local where = rd.paths.workspace
  local tmp
  if o.step then
    local n = cl.step(o.step)
    tmp = ("%s/eval-%s-%d"):format(task_mod.cache_root(), host.random_hex(4), n)
    local ok, cerr = assert(snap_mod.open(rd.paths.git)):checkout("step-" .. n, tmp)
    if not ok then cl.err(cerr); return 2 end
    where = tmp
  end
  local score, eerr = task_mod.evaluate(task, data, where)
  if tmp then host.remove_tree(tmp) end
  if not score then cl.err("evaluation failed: " .. eerr); return 1 end
  local imp = task_mod.improvement(task, score.score, m.baseline)
  cl.out(json.encode({ run = m.id, step = o.step and cl.step(o.step) or "final", score = score.score,
    baseline = m.baseline, improvement = imp, success = imp ~= nil and imp > task.threshold,
    evaluation = score }, "  "), "\n")
  return 0
end

return M
