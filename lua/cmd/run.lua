-- cmd/run.lua - `mlab run TASK`: a new run of an agent on a task.
local cl = require("cmdline")
local view = require("view")
local sys = require("mlab.sys")
local run_mod = require("run")

local M = {}

-- --preset NAME: defaults of another harness; explicit options still win.
-- mlagentbench: the reference study's (MLAgentBench) research agent, step
-- and time budgets, and its harness (actions.lua: observations and
-- failures as its environment wrote them; Execute Script's stdout and
-- stderr kept apart; no per-script timeout or memory limit, the output cap
-- raised to 16 MiB).  docs/fidelity.md.
M.help = [[
usage: mlab run TASK [options]

TASK is a name from `mlab tasks` or a path to a task folder.
  --agent A        agents/A.lua or a path to an agent file (default: baseline)
  --llm SPEC       the model: none (default, or $MLAB_LLM),
                   openai:MODEL[@URL], anthropic:MODEL[@URL],
                   replay:RUN_OR_FILE (see mlab --help, docs/models.md)
  --llm-fast SPEC  the fast-model role (ctx.llm:fast(): summaries, Understand
                   File, Reflection, Retrieval); default: the --llm model
  --preset NAME    another harness's defaults: mlagentbench (the reference
                   study: --agent research, 50 steps, 5 hours, its
                   observations and limits; see docs/fidelity.md)
  --max-steps N    actions the agent may take (default 50)
  --max-time S     wall-clock seconds for the agent (default 1800)
  --max-tokens N   prompt + completion tokens (default: no limit)
  --max-mem MB     Lua heap of the agent (default 512)
  --seed N         the run's seed: ctx.seed, and math.random seeded with it
                   (default 0; the task's data has a seed of its own)
  --runs-dir D     where the run directory goes (default ./runs)
  --id ID          the run id (default: time-task-agent-random)
  --unconfined     run the agent's scripts as mlab's own user, without the
                   sandbox, where confinement cannot be had (it is refused
                   otherwise; see docs/security.md); run.json says so
  -q, --quiet      no step lines while it runs
  -v, --verbose    also show what the agent prints

Creates RUNS/ID/ with run.json, trace.jsonl, workspace/ and history.git/
(commit 0 = starter files, one commit per step, tags step-N), and llm.jsonl
(one line per model call; never an API key).  Prints one line
per step, then the status and the score against the baseline.  Exit status:
0 when the run ended (any status but agent_error), 1 on agent_error, 2 on bad
usage or a broken task.
]]

function M.main(args)
  local o, pos = cl.parse(args, {
    agent = "value", llm = "value", ["llm-fast"] = "value", preset = "value",
    ["max-steps"] = "value", ["max-time"] = "value",
    ["max-tokens"] = "value", ["max-mem"] = "value", ["runs-dir"] = "value", seed = "value",
    id = "value", unconfined = "flag", quiet = "flag", q = "flag", verbose = "flag", v = "flag",
    help = "flag", h = "flag",
  })
  if not o then cl.usage(pos) end
  if o.help or o.h then cl.out(M.help); return 0 end
  if #pos ~= 1 then cl.usage("mlab run takes one TASK (see mlab run --help)") end
  local quiet = o.quiet or o.q
  local d = run_mod.DEFAULTS
  local preset = {}
  if o.preset then
    preset = run_mod.PRESETS[o.preset]
      or cl.usage("unknown --preset " .. o.preset .. " (known: mlagentbench)")
    d = setmetatable({ max_steps = preset.max_steps, max_time = preset.max_time }, { __index = d })
  end
  local opts = {
    root = cl.ROOT, task = pos[1], agent = o.agent or preset.agent or "baseline",
    llm = o.llm or sys.getenv("MLAB_LLM") or "none", llm_fast = o["llm-fast"],
    preset = o.preset, harness = preset.harness,
    max_steps = math.tointeger(cl.number(o, "max-steps", d.max_steps)) or cl.usage("--max-steps takes a whole number"),
    max_time = cl.number(o, "max-time", d.max_time),
    max_tokens = math.tointeger(cl.number(o, "max-tokens", d.max_tokens))
      or cl.usage("--max-tokens takes a whole number"),
    max_mem_mb = cl.number(o, "max-mem", d.max_mem_mb),
    seed = math.tointeger(cl.number(o, "seed", 0)) or cl.usage("--seed takes a whole number"),
    runs_dir = cl.runs_dir(o), id = o.id, verbose = o.verbose or o.v, version = cl.VERSION,
    unconfined = o.unconfined,
  }
  if not quiet then
    opts.on_step = function(rec) io.stderr:write(view.step_line(rec)) end
  end
  local run, serr = run_mod.start(opts)
  if not run then cl.err(serr); return 2 end
  if not quiet then
    io.stderr:write(("run %s: %s on %s (baseline %s)\n"):format(run.id, opts.agent, run.task.name,
      view.score(run.manifest.baseline)))
  end
  local m = run_mod.complete(run, opts)
  cl.out(view.summary(m))
  cl.out(("dir      %s\n"):format(run.paths.dir))
  return (m.status == "agent_error" or m.status == "host_error") and 1 or 0
end

return M
