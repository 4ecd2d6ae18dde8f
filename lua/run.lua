--[[ run.lua - one run: check, start, execute the agent under the host's
budgets, finish (evaluate, manifest); resume a run that did not end.

  local run, err = M.start(opts)     -- nil, err leaves nothing behind
  local m = M.complete(run, opts)    -- the agent, then finish; never raises
  local run, ropts = M.resume{ dir = ..., ... }

opts: task, agent, llm, llm_fast, max_steps, max_time, max_tokens, max_mem_mb,
      seed, unconfined, runs_dir, id, root, version, verbose, on_step(rec),
      preset, harness (actions.lua: how the catalogue behaves, e.g. the
      reference's observations under --preset mlagentbench)

The run directory's files are rundir.lua's; a step is step.lua's; the
agent sees ctx (task, env, actions, llm, budget) and nothing of this table.
]]
local sys = require("mlab.sys")
local budget = require("mlab.budget")
local ctl = require("mlab.run")
local ws_mod = require("mlab.ws")
local snap_mod = require("mlab.snap")
local exec = require("mlab.exec")
local task_mod = require("task")
local rundir = require("rundir")
local step_mod = require("step")
local actions = require("actions")
local env_mod = require("env")
local plain = require("plain")
local sandbox = require("sandbox")
local llm = require("llm")

local M = {}

M.DEFAULTS = { max_steps = 50, max_time = 1800, max_tokens = 0, max_mem_mb = 512 }
-- --preset NAME: another harness's defaults (mlab run, mlab sweep); the
-- options a user gives still win.  docs/fidelity.md.
M.PRESETS = {
  mlagentbench = {
    agent = "research", max_steps = 50, max_time = 5 * 60 * 60,
    harness = { style = "mlagentbench", script_timeout = 0, mem_mb = 0, out_cap = 16 * 1024 * 1024 },
  },
}
M.FREEZE_BYTES = 50 * 1024 * 1024 -- files above this never enter history
M.LOG_CAP = 1024 * 1024           -- bytes of agent.log, like a script's output

local function stderr(msg) io.stderr:write(msg, "\n") end

-- Where an agent name or path points: a file, or agents/NAME.lua.
function M.agent_path(root, agent)
  if agent:find("/") or agent:match("%.lua$") then
    if agent:sub(1, 1) ~= "/" then agent = (sys.getenv("PWD") or ".") .. "/" .. agent end
    return agent
  end
  return root .. "/agents/" .. agent .. ".lua"
end

local function llm_host(runs_dir)
  return {
    getenv = sys.getenv,
    recording = function(source) return rundir.recording(source, runs_dir) end,
  }
end

-- Never a silent downgrade: scripts run confined, or the user says so.
local function confined(unconfined)
  local conf = exec.confinement()
  if conf.ok or unconfined then return true end
  return nil, "scripts cannot be confined here (" .. tostring(conf.reason) .. "); pass "
    .. "--unconfined to run them as mlab's user, unprotected (docs/security.md)"
end

-- Everything that can be known wrong before a run starts: the task, the
-- agent file (compiled, not run), the model spec (a client is made), the
-- id.  Returns task, agent_path or nil, message.
function M.check(opts)
  if opts.id then
    local ok, err = rundir.valid_id(opts.id)
    if not ok then return nil, err end
  end
  local task, err = task_mod.find(opts.root, opts.task)
  if not task then return nil, err end
  local agent_path = M.agent_path(opts.root, opts.agent)
  if not sys.stat(agent_path) then
    return nil, "no agent at " .. agent_path .. " (see agents/)"
  end
  local chunk, cerr = sandbox.loadfile(agent_path, {})
  if not chunk then return nil, "agent " .. tostring(cerr) end
  local okc, why = confined(opts.unconfined)
  if not okc then return nil, why end
  local client, lerr = llm.new(opts.llm or "none", llm_host(opts.runs_dir),
    opts.llm_fast and { fast = opts.llm_fast } or nil)
  if not client then return nil, lerr end
  return task, agent_path
end

local function new_run(rd, task, data, opts)
  local run = {
    rd = rd, paths = rd.paths, id = rd.id, root = opts.root, task = task, data = data,
    verbose = opts.verbose, on_step = opts.on_step, harness = opts.harness or {},
    out_cap = 32 * 1024, unconfined = opts.unconfined == true,
    disk_mb = exec.confinement().disk_mb,
  }
  run.ws = assert(ws_mod.open(rd.paths.workspace, rd.paths.undo))
  return run
end

local function open_history(run)
  run.snap = assert(snap_mod.open(run.paths.git, run.paths.workspace))
  assert(run.snap:frozen(M.FREEZE_BYTES, run.task.data))
end

-- Checks, prepares the task, creates the run directory with the starter
-- files as step 0 and the manifest.  nil, message leaves no run directory.
function M.start(opts)
  local task, agent_path = M.check(opts)
  if not task then return nil, agent_path end
  local data, perr = task_mod.prepare(task, stderr)
  if not data then return nil, perr end
  local base, berr = task_mod.baseline(task, data, stderr)
  if not base then return nil, berr end

  local rd, err = rundir.create(opts.runs_dir, opts.id or rundir.new_id(task.name, opts.agent))
  if not rd then return nil, err end
  local ok, perr2 = task_mod.populate(task, data, rd.paths.workspace)
  if not ok then
    sys.remove_tree(rd.dir)
    return nil, perr2
  end
  local run = new_run(rd, task, data, opts)
  run.agent_path = agent_path
  open_history(run)
  run.start_files = run.ws:list(".") or {}
  assert(run.snap:commit("step-0", "step 0: starter files\n\ntask " .. task.name .. "\n"))
  assert(rd:keep_steps({})) -- the trace exists before the first step
  run.manifest = {
    id = rd.id, task = task.name, task_dir = task.dir, category = task.category,
    agent = opts.agent:match("([^/]+)%.lua$") or opts.agent, agent_path = agent_path,
    llm = llm.public_spec(opts.llm or "none"),
    llm_fast = opts.llm_fast and llm.public_spec(opts.llm_fast) or nil,
    preset = opts.preset, harness = opts.harness,
    metric = task.metric, threshold = task.threshold, seed = opts.seed or 0,
    task_seed = task.seed,
    budgets = { max_steps = opts.max_steps, max_time = opts.max_time,
                max_tokens = opts.max_tokens, max_mem_mb = opts.max_mem_mb },
    started = sys.now(), status = "running",
    baseline = base.score, pid = sys.pid(), pid_start = rundir.pid_start(sys.pid()), mlab_version = opts.version,
    start_files = run.start_files, steps = 0, tokens = 0,
    confinement = exec.confinement(), unconfined = run.unconfined,
  }
  assert(rd:write_manifest(run.manifest))
  return run
end

local function task_view(run)
  local t = run.task
  return plain.readonly({
    name = t.name, category = t.category, problem = t.problem_text,
    metric = { name = t.metric.name, goal = t.metric.goal },
    starter = t.starter, timeout = t.timeout, threshold = t.threshold,
    files = run.start_files,
  })
end

-- What is left of the budgets, for an agent to tell its model.
local function budget_view()
  local b = budget.get()
  return {
    steps = b.steps, max_steps = b.max_steps > 0 and b.max_steps or nil,
    steps_left = b.max_steps > 0 and math.max(b.max_steps - b.steps, 0) or nil,
    tokens = b.tokens, max_tokens = b.max_tokens > 0 and b.max_tokens or nil,
    tokens_left = b.max_tokens > 0 and math.max(b.max_tokens - b.tokens, 0) or nil,
    elapsed = b.elapsed, seconds_left = b.time_left,
  }
end

-- agent.log: what the agent prints, capped like a script's output.
local function printer(run)
  local written, capped = 0, false
  return function(...)
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    local line = table.concat(parts, "\t", 1, parts.n) .. "\n"
    if capped then return end
    if written + #line > M.LOG_CAP then
      line = ("[agent.log is capped at %d bytes: later prints are dropped]\n"):format(M.LOG_CAP)
      capped = true
    end
    written = written + #line
    local f = io.open(run.paths.log, "ab")
    if f then f:write(line); f:close() end
    if run.verbose then io.stderr:write("  agent: ", require("term").visible(line)) end
  end
end

-- The agent's whole life, loading included, under the budgets.
local function agent_main(run, ctx)
  return function()
    local env = sandbox.new({
      root = run.root, dirs = { run.agent_path:match("^(.*)/[^/]*$") or "." },
      print = printer(run),
    })
    local chunk, err = sandbox.loadfile(run.agent_path, env)
    if not chunk then error(err, 0) end
    local agent = chunk()
    local main = type(agent) == "table" and rawget(agent, "run")
    if type(main) ~= "function" then
      error(run.agent_path .. ": an agent file must return a table with a run(ctx) function", 0)
    end
    return main(ctx)
  end
end

-- Runs the agent; returns status, message, stop kind.
function M.execute(run, opts)
  budget.set({ steps = opts.max_steps, time = opts.max_time,
                    tokens = opts.max_tokens, mem_mb = opts.max_mem_mb })
  budget.start()
  if run.resume_tokens then -- tokens the steps before a resume used
    budget.tokens_add(run.resume_tokens)
    budget.tokens_since_mark()
  end
  run.step = step_mod.new({ rd = run.rd, snap = run.snap, replay = run.replay,
    count = 0, on_step = run.on_step })
  run.replay = nil
  local client, lerr = require("llm_run").new(run, opts.llm or "none", opts.runs_dir, opts.llm_fast)
  if not client then return "agent_error", lerr end
  local acts = actions.new(run, run.step, client)
  -- The run's seed is the agent's: ctx.seed, and math.random seeded with
  -- it, so a replay or resume draws the same numbers.
  local seed = math.tointeger(run.manifest.seed) or 0
  math.randomseed(seed)
  local ctx = {
    task = task_view(run), llm = client, env = env_mod.door(acts),
    actions = actions.door(acts), budget = budget_view, seed = seed,
  }
  acts.ctx = ctx
  local st, msg = ctl.call_agent(agent_main(run, ctx))
  return run.step:outcome(st, msg, run.final_answer ~= nil, run.tokens_refused)
end

-- Evaluates the workspace and writes the final manifest.
function M.finish(run, status, msg, kind)
  local m = run.manifest
  local b = budget.get()
  m.status = status
  m.message = msg
  m.budget_kind = status == "budget_exhausted" and kind or nil
  m.final_answer = run.final_answer
  m.ended = sys.now()
  m.time_s = run.step and b.elapsed or 0
  m.steps = run.step and run.step.count or 0
  m.tokens = b.tokens
  -- The last trace line says how the run ended (an agent's traceback too).
  assert(run.rd:append_end({ status = status, message = msg, steps = m.steps,
    budget_kind = m.budget_kind }))
  -- The evaluator scores the committed tree of the last step, never the
  -- live workspace (task.lua: a plain copy, links not followed).
  local score, err = task_mod.evaluate_commit(run.task, run.data, run.snap, "step-" .. m.steps)
  if score then
    m.score = score.score
    m.evaluation = score
    m.improvement = task_mod.improvement(run.task, score.score, m.baseline)
    m.success = m.improvement ~= nil and m.improvement > run.task.threshold
  else
    m.evaluation_error = err
    m.success = false
  end
  assert(run.rd:write_manifest(m))
  return m
end

-- execute then finish; a fault of the host's own ends the run as
-- host_error with the workspace evaluated, so run.json never stays
-- "running" unless the host is killed outright.
function M.complete(run, opts)
  local ok, status, msg, kind = pcall(M.execute, run, opts)
  if not ok then
    status, msg, kind = "host_error", "mlab failed: " .. tostring(status), nil
  end
  local fok, m = pcall(M.finish, run, status, msg, kind)
  if fok then return m end
  run.manifest.status, run.manifest.message = "host_error", "mlab failed to finish: " .. tostring(m)
  run.rd:write_manifest(run.manifest)
  return run.manifest
end

-- A host killed inside a commit leaves git's lock files (index.lock,
-- refs/heads/master.lock) behind; resume has checked that its pid is dead,
-- so they are stale.  Objects are written through temporary files, not
-- locks, so objects/ is not walked.
local function clear_locks(dir)
  for _, n in ipairs(sys.list_dir(dir) or {}) do
    local p = dir .. "/" .. n
    local st = sys.stat(p)
    if st and st.type == "directory" then
      if n ~= "objects" then clear_locks(p) end
    elseif n:match("%.lock$") then
      assert(sys.remove_tree(p))
    end
  end
end

-- Reopens a run that did not end by itself (killed, or out of budget) so
-- that M.complete continues it: the workspace and history go back to the
-- last complete step, and the agent is run again from the start with its
-- first steps answered from the trace (they are checked, not redone).
-- Returns run, opts for M.complete, or nil, message.
function M.resume(opts)
  local rd = rundir.at(opts.dir)
  local m, merr = rd:manifest()
  if not m then return nil, merr end
  if m.status == "running" and rundir.host_alive(m) then
    return nil, "run " .. m.id .. " is still running (pid " .. math.tointeger(m.pid) .. ")"
  end
  if m.status == "final_answer" or m.status == "agent_error" then
    return nil, "run " .. m.id .. " ended with " .. m.status .. "; only killed or "
      .. "budget-exhausted runs can be resumed"
  end
  local task, err = task_mod.load(m.task_dir)
  if not task then return nil, err end
  local data, perr = task_mod.prepare(task, stderr)
  if not data then return nil, perr end
  local unconfined = opts.unconfined or m.unconfined
  local okc, why = confined(unconfined)
  if not okc then return nil, why end
  local run = new_run(rd, task, data, { root = opts.root, verbose = opts.verbose,
    on_step = opts.on_step, unconfined = unconfined, harness = m.harness })
  run.manifest, run.agent_path = m, m.agent_path
  m.confinement, m.unconfined = exec.confinement(), run.unconfined
  clear_locks(rd.paths.git)
  open_history(run)
  -- After a power loss the last step's trace line may be on disk while
  -- objects it names are not (its flush had not finished): repair drops
  -- torn objects and refs, and a step counts only if its commit is whole.
  assert(run.snap:repair())
  local steps = rd:steps()
  while #steps > 0 and not run.snap:has(steps[#steps].commit) do steps[#steps] = nil end
  local n = #steps
  local ok, rerr = run.snap:restore(n > 0 and steps[n].commit or "step-0")
  if not ok then return nil, "cannot restore step " .. n .. ": " .. rerr end
  run.start_files = m.start_files or {}
  -- Only whole step lines stay; the end line of the last attempt goes.
  local tokens = 0
  for _, st in ipairs(steps) do tokens = tokens + (st.tokens or 0) end
  assert(rd:keep_steps(steps))
  run.replay = n > 0 and steps or nil
  -- Model calls made before the last complete step answer the agent again
  -- from llm.jsonl; the ones of the lost step are made anew.
  local calls = {}
  for _, rec in ipairs(rd:calls()) do
    if (rec.step or 0) < n then calls[#calls + 1] = rec end
  end
  assert(rd:keep_calls(calls))
  run.llm_prefix = calls
  run.resume_tokens = tokens
  local used = n > 0 and (steps[n].started + steps[n].duration_s - m.started) or 0
  local b = m.budgets
  local max_time = opts.max_time or b.max_time
  if not opts.max_time and max_time > 0 then max_time = math.max(max_time - used, 1) end
  m.status = "running"
  m.pid, m.pid_start = sys.pid(), rundir.pid_start(sys.pid())
  m.resumed = (m.resumed or 0) + 1
  m.message, m.score, m.evaluation, m.evaluation_error = nil, nil, nil, nil
  assert(rd:write_manifest(m))
  return run, {
    llm = opts.llm or m.llm, llm_fast = opts.llm_fast or m.llm_fast,
    max_steps = opts.max_steps or b.max_steps, max_time = max_time,
    max_tokens = b.max_tokens, max_mem_mb = b.max_mem_mb, runs_dir = rd.dir:match("^(.*)/[^/]+$"),
  }
end

return M
