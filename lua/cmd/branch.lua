-- cmd/branch.lua - `mlab branch RUN N`: a new run from step N of RUN.
local cl = require("cmdline")
local view = require("view")

local M = {}

M.help = [[
usage: mlab branch RUN N [--agent A] [--llm SPEC] [--max-steps N] [--max-time S]
                         [--id ID] [--unconfined] [--runs-dir D] [-q] [-v]

Starts a new run from step N of RUN.  Its history.git shares RUN's commits
0..N (the same ids: plain git shows the fork), its trace starts with RUN's
steps 1..N marked inherited, and its workspace is RUN's tree at step N.  The
agent (RUN's, or --agent A) is started with those steps answered from the
trace and its model calls from RUN's llm.jsonl (the resume machinery: an
agent that asks for something else ends as agent_error), then goes on live
with RUN's model or --llm SPEC.  The step budget counts the inherited steps
(RUN's budget, or --max-steps); --max-time is the new run's (default RUN's).
The new run.json names its parent and fork step ("parent": {id, step}).
--unconfined (or RUN's own) runs scripts unconfined, as mlab run does.
`mlab replay` of a branch runs it again from step 0 and gives the same run.
]]

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", agent = "value", llm = "value",
    ["max-steps"] = "value", ["max-time"] = "value", id = "value",
    unconfined = "flag", quiet = "flag", q = "flag", verbose = "flag", v = "flag" })
  if not o then cl.usage(pos) end
  if #pos ~= 2 then cl.usage(M.help) end
  local parent = cl.run(o, pos[1])
  local n = cl.step(pos[2])
  local quiet = o.quiet or o.q
  local opts = {
    parent = parent, step = n, runs_dir = cl.runs_dir(o), root = cl.ROOT,
    agent = o.agent, llm = o.llm, id = o.id, verbose = o.verbose or o.v, unconfined = o.unconfined,
    max_steps = o["max-steps"] and (math.tointeger(cl.number(o, "max-steps"))
      or cl.usage("--max-steps takes a whole number")),
    max_time = o["max-time"] and cl.number(o, "max-time"),
  }
  if not quiet then
    opts.on_step = function(rec) io.stderr:write(view.step_line(rec)) end
  end
  local run, ropts = require("branch").start(opts)
  if not run then cl.err(ropts); return 2 end
  if not quiet then
    io.stderr:write(("branch %s: from step %d of %s\n"):format(run.id, n, parent.id))
  end
  local m = require("run").complete(run, ropts)
  cl.out(view.summary(m))
  cl.out(("parent   %s at step %d\n"):format(parent.id, n))
  cl.out(("dir      %s\n"):format(run.paths.dir))
  return (m.status == "agent_error" or m.status == "host_error") and 1 or 0
end

return M
