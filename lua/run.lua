-- run.lua - one run: set up the run directory, run the agent under the
-- host's budgets, evaluate what it leaves, write the manifest.
--
--   runs/<id>/run.json       manifest (status, scores, budgets, totals)
--   runs/<id>/trace.jsonl    one line per step (env.lua)
--   runs/<id>/workspace/     the agent's files
--   runs/<id>/history.git/   bare git dir: commit 0 = starter, N = after step N
--   runs/<id>/undo/          earlier versions of edited files
--   runs/<id>/agent.log      what the agent printed
local host = require("mlab.host")
local ws_mod = require("mlab.ws")
local snap_mod = require("mlab.snap")
local exec = require("mlab.exec")
local json = require("json")
local task_mod = require("task")
local env_mod = require("env")
local sandbox = require("sandbox")

local M = {}

M.DEFAULTS = { max_steps = 50, max_time = 1800, max_tokens = 0, max_mem_mb = 512 }
M.FREEZE_BYTES = 50 * 1024 * 1024 -- files above this never enter history

local function stderr(msg) io.stderr:write(msg, "\n") end

function M.write_manifest(run)
  local m = run.manifest
  m.steps = run.steps
  local b = host.budget()
  m.tokens = b.tokens
  assert(host.write_atomic(run.paths.manifest, json.encode(m, "  ") .. "\n"))
end

-- Where an agent name or path points: a file, or agents/NAME.lua.
function M.agent_path(root, agent)
  if agent:find("/") or agent:match("%.lua$") then
    if agent:sub(1, 1) ~= "/" then agent = (host.getenv("PWD") or ".") .. "/" .. agent end
    return agent
  end
  return root .. "/agents/" .. agent .. ".lua"
end

local function load_agent(root, path, run)
  local dir = path:match("^(.*)/[^/]*$") or "."
  local log_path = run.paths.dir .. "/agent.log"
  local env = sandbox.new({
    root = root,
    dirs = { dir },
    print = function(...)
      local parts = table.pack(...)
      for i = 1, parts.n do parts[i] = tostring(parts[i]) end
      local line = table.concat(parts, "\t", 1, parts.n)
      local f = io.open(log_path, "a")
      if f then f:write(line, "\n"); f:close() end
      if run.verbose then stderr("  agent: " .. line) end
    end,
  })
  local chunk, err = sandbox.loadfile(path, env)
  if not chunk then return nil, err end
  local ok, agent = pcall(chunk)
  if not ok then return nil, tostring(agent) end
  if type(agent) ~= "table" or type(agent.run) ~= "function" then
    return nil, path .. ": an agent file must return a table with a run(ctx) function"
  end
  return agent
end

local function task_view(run)
  local t = run.task
  return {
    name = t.name, category = t.category, problem = t.problem_text,
    metric = { name = t.metric.name, goal = t.metric.goal },
    starter = t.starter, timeout = t.timeout, threshold = t.threshold,
    files = run.start_files,
  }
end

-- The model a run talks to (llm_run.lua: ctx.llm, llm.jsonl, totals).
local function make_llm(run, opts)
  return require("llm_run").new(run, opts.llm or "none", opts.runs_dir)
end

local function new_id(task, agent)
  local name = agent:match("([^/]+)%.lua$") or agent
  return ("%s-%s-%s-%s"):format(os.date("!%Y%m%d-%H%M%S"), task, name, host.random_hex(2))
end

-- opts: task, agent, llm, max_steps, max_time, max_tokens, max_mem_mb,
--       runs_dir, root, verbose, on_step
function M.start(opts)
  local root = opts.root
  local task, err = task_mod.find(root, opts.task)
  if not task then return nil, err end
  local agent_path = M.agent_path(root, opts.agent)
  if not host.stat(agent_path) then
    return nil, "no agent at " .. agent_path .. " (see agents/)"
  end
  local data, perr = task_mod.prepare(task, stderr)
  if not data then return nil, perr end
  local base, berr = task_mod.baseline(task, data, stderr)
  if not base then return nil, berr end

  local id = opts.id or new_id(task.name, opts.agent)
  local dir = opts.runs_dir .. "/" .. id
  if host.stat(dir) then return nil, "run " .. dir .. " already exists" end
  local paths = {
    dir = dir, manifest = dir .. "/run.json", trace = dir .. "/trace.jsonl",
    workspace = dir .. "/workspace", git = dir .. "/history.git", undo = dir .. "/undo",
  }
  local ok, merr = task_mod.populate(task, data, paths.workspace)
  if not ok then return nil, merr end
  local run = {
    id = id, root = root, task = task, data = data, paths = paths, steps = 0,
    verbose = opts.verbose, on_step = opts.on_step, agent_path = agent_path,
    out_cap = 32 * 1024, sandbox = exec.has_sandbox(),
    hide = { task_mod.cache_root(), opts.runs_dir },
  }
  run.ws = assert(ws_mod.open(paths.workspace, paths.undo))
  run.snap = assert(snap_mod.open(paths.git, paths.workspace))
  assert(run.snap:frozen(M.FREEZE_BYTES, task.data))
  run.start_files = run.ws:list(".") or {}
  assert(run.snap:commit("step-0", "step 0: starter files\n\ntask " .. task.name .. "\n"))
  assert(host.append(paths.trace, ""))

  local budgets = {
    max_steps = opts.max_steps, max_time = opts.max_time,
    max_tokens = opts.max_tokens, max_mem_mb = opts.max_mem_mb,
  }
  run.manifest = {
    id = id, task = task.name, task_dir = task.dir, category = task.category,
    agent = opts.agent, agent_path = agent_path,
    llm = require("llm").public_spec(opts.llm or "none"),
    metric = task.metric, threshold = task.threshold, seed = task.seed,
    budgets = budgets, started = host.now(), status = "running",
    baseline = base.score, pid = host.pid(), mlab_version = opts.version,
    start_files = run.start_files,
    sandbox = run.sandbox,
  }
  M.write_manifest(run)
  return run
end

-- Runs the agent; returns the final status and a message.
function M.execute(run, opts)
  local agent, err = load_agent(run.root, run.agent_path, run)
  if not agent then return "agent_error", err end
  local llm, lerr = make_llm(run, opts)
  if not llm then return "agent_error", lerr end
  run.env = env_mod.new(run)
  local ctx = { task = task_view(run), env = run.env, llm = llm }
  ctx.actions = require("actions").new(run, llm)
  host.budget_set({ steps = opts.max_steps, time = opts.max_time,
                    tokens = opts.max_tokens, mem_mb = opts.max_mem_mb })
  host.budget_start()
  if run.resume_tokens then -- tokens the steps before a resume used
    host.tokens_add(run.resume_tokens)
    host.tokens_since_mark()
  end
  local st, msg = host.call_agent(agent.run, ctx)
  local b = host.budget()
  if run.diverged then return "agent_error", run.diverged end
  -- a model call was refused for tokens and the agent stopped without an
  -- answer: it ran out of budget, whether it returned or raised
  if run.tokens_refused and not run.final_answer and st ~= "budget" then
    return "budget_exhausted", run.tokens_refused
  end
  if st == "ok" then
    if run.final_answer then return "final_answer" end
    if b.exhausted then return "budget_exhausted", "the " .. b.kind .. " budget is spent" end
    return "agent_error", "the agent returned without giving a final answer"
  elseif st == "budget" or st == "memory" or b.exhausted then
    if b.kind == "killed" then return "killed", "stopped by a signal" end
    return "budget_exhausted", "the " .. (b.kind or "memory") .. " budget is spent"
  end
  -- The host's own frames below the agent say nothing to its author.
  msg = tostring(msg):gsub("\n\t%[C%]: in function 'mlab%.host%.call_agent'.*$", "")
  return "agent_error", msg
end

local function read_steps(path)
  local steps = {}
  local f = io.open(path, "rb")
  if not f then return steps end
  for line in f:lines() do
    local s = json.decode(line)
    -- Whole step lines in order; a torn line is the step in flight.
    if s and s.step == #steps + 1 then steps[#steps + 1] = s end
  end
  f:close()
  return steps
end

-- A host killed inside a commit leaves git's lock files (index.lock,
-- refs/heads/master.lock) behind; resume has checked that its pid is dead,
-- so they are stale.  Objects are written through temporary files, not
-- locks, so objects/ is not walked.
local function clear_locks(dir)
  for _, n in ipairs(host.list_dir(dir) or {}) do
    local p = dir .. "/" .. n
    local st = host.stat(p)
    if st and st.type == "directory" then
      if n ~= "objects" then clear_locks(p) end
    elseif n:match("%.lock$") then
      assert(host.remove_tree(p))
    end
  end
end

-- Reopens a run that did not end by itself (killed, or out of budget) so
-- that M.execute continues it: the workspace and history go back to the
-- last complete step, and the agent is run again from the start with its
-- first steps answered from the trace (they are checked, not redone).
-- Returns run, opts for M.execute, or nil, message.
function M.resume(opts)
  local dir = opts.dir
  local m = json.decode(host.read(dir .. "/run.json") or "")
  if not m then return nil, "cannot read " .. dir .. "/run.json" end
  if m.status == "running" and m.pid and host.alive(math.tointeger(m.pid)) then
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
  local paths = {
    dir = dir, manifest = dir .. "/run.json", trace = dir .. "/trace.jsonl",
    workspace = dir .. "/workspace", git = dir .. "/history.git", undo = dir .. "/undo",
  }
  local steps = read_steps(paths.trace)
  local n = #steps
  local run = {
    id = m.id, root = opts.root, task = task, data = data, paths = paths, steps = n,
    verbose = opts.verbose, on_step = opts.on_step, agent_path = m.agent_path,
    out_cap = 32 * 1024, sandbox = exec.has_sandbox(),
    hide = { task_mod.cache_root(), dir:match("^(.*)/[^/]+$") },
    manifest = m,
  }
  clear_locks(paths.git)
  run.snap = assert(snap_mod.open(paths.git, paths.workspace))
  assert(run.snap:frozen(M.FREEZE_BYTES, task.data))
  local ok, rerr = run.snap:restore("step-" .. n)
  if not ok then return nil, "cannot restore step " .. n .. ": " .. rerr end
  run.ws = assert(ws_mod.open(paths.workspace, paths.undo))
  run.start_files = m.start_files or {}
  -- Only whole step lines stay; the end line of the last attempt goes.
  local lines, tokens = {}, 0
  for i, st in ipairs(steps) do
    lines[i] = json.encode(st)
    tokens = tokens + (st.tokens or 0)
  end
  assert(host.write_atomic(paths.trace, #lines > 0 and table.concat(lines, "\n") .. "\n" or ""))
  run.replay = n > 0 and steps or nil
  -- Model calls made before the last complete step answer the agent again
  -- from llm.jsonl; the ones of the lost step are made anew.
  local calls, kept = {}, {}
  for line in (host.read(dir .. "/llm.jsonl") or ""):gmatch("[^\n]+") do
    local rec = json.decode(line)
    if rec and (rec.step or 0) < n then
      calls[#calls + 1] = rec
      kept[#kept + 1] = line
    end
  end
  assert(host.write_atomic(dir .. "/llm.jsonl", #kept > 0 and table.concat(kept, "\n") .. "\n" or ""))
  run.llm_prefix = calls
  run.resume_tokens = tokens
  local used = n > 0 and (steps[n].started + steps[n].duration_s - m.started) or 0
  local b = m.budgets
  local max_time = opts.max_time or b.max_time
  if not opts.max_time and max_time > 0 then max_time = math.max(max_time - used, 1) end
  m.status = "running"
  m.pid = host.pid()
  m.resumed = (m.resumed or 0) + 1
  m.message, m.score, m.evaluation, m.evaluation_error = nil, nil, nil, nil
  M.write_manifest(run)
  return run, {
    llm = opts.llm or m.llm, max_steps = opts.max_steps or b.max_steps, max_time = max_time,
    max_tokens = b.max_tokens, max_mem_mb = b.max_mem_mb, runs_dir = dir:match("^(.*)/[^/]+$"),
  }
end

-- Evaluates the workspace and writes the final manifest.
function M.finish(run, status, msg)
  local m = run.manifest
  local b = host.budget()
  m.status = status
  m.message = msg
  m.budget_kind = b.exhausted and b.kind or nil
  m.final_answer = run.final_answer
  m.ended = host.now()
  m.time_s = b.elapsed
  m.steps = run.steps
  -- The last trace line says how the run ended (an agent's traceback too).
  assert(host.append(run.paths.trace, json.encode({
    event = "end", status = status, message = msg, steps = run.steps,
    budget_kind = m.budget_kind }) .. "\n"))
  local score, err = task_mod.evaluate(run.task, run.data, run.paths.workspace)
  if score then
    m.score = score.score
    m.evaluation = score
    m.improvement = task_mod.improvement(run.task, score.score, m.baseline)
    m.success = m.improvement ~= nil and m.improvement > run.task.threshold
  else
    m.evaluation_error = err
    m.success = false
  end
  M.write_manifest(run)
  return m
end

return M
