-- cmd/resume.lua - `mlab resume RUN`: continue a run from its last step.
local cl = require("cmdline")
local view = require("view")
local run_mod = require("run")

local M = {}

M.help = [[
usage: mlab resume RUN [--llm SPEC] [--max-steps N] [--max-time S] [--unconfined] [-q] [-v]
                      [--runs-dir D]

Continues a run that was killed (or ran out of budget) from its last complete
step: the workspace and history go back to that step, and the agent runs
again from the start with its recorded steps answered from trace.jsonl (each
checked against what the agent asks; a difference ends the run with
agent_error).  The time budget is what was left, unless --max-time gives a
new one; --max-steps raises the step budget (steps count from the start).
Model calls made before that step are answered from llm.jsonl; later ones go
to the run's model, or to --llm SPEC (same model, another endpoint or key).
]]

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", ["max-steps"] = "value", llm = "value",
    ["max-time"] = "value", unconfined = "flag", quiet = "flag", q = "flag", verbose = "flag", v = "flag" })
  if not o or #pos ~= 1 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local dir = rd.dir
  local opts = { root = cl.ROOT, dir = dir, verbose = o.verbose or o.v, llm = o.llm,
    unconfined = o.unconfined,
    max_time = o["max-time"] and cl.number(o, "max-time"),
    max_steps = o["max-steps"] and math.tointeger(cl.number(o, "max-steps")) }
  if not (o.quiet or o.q) then
    opts.on_step = function(rec) io.stderr:write(view.step_line(rec)) end
  end
  local run, rerr = run_mod.resume(opts)
  if not run then cl.err(rerr); return 2 end
  local ropts = rerr
  if not (o.quiet or o.q) then
    io.stderr:write(("resuming %s after step %d\n"):format(run.id, run.replay and #run.replay or 0))
  end
  local m = run_mod.complete(run, ropts)
  cl.out(view.summary(m))
  return (m.status == "agent_error" or m.status == "host_error") and 1 or 0
end

return M
