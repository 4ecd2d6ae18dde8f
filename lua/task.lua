-- task.lua - the task DSL, data preparation, baselines and evaluation.
--
-- A task is a folder with task.lua:   task "digits" { category = ..., ... }
-- The file runs in an empty environment whose only name is `task`; keys are
-- checked against SCHEMA and every mistake names the file and line.
--
--   local t = task.find(root, "digits")            -- or task.load(dir)
--   local data = task.prepare(t, log)              -- { public, hidden, dir }
--   local base = task.baseline(t, data, log)       -- { score, ... }, cached
--   task.populate(t, data, workspace_dir)
--   task.evaluate_commit(t, data, snap, "step-7")  -- a run's recorded step
--   task.evaluate(t, data, dir)                    -- a folder mlab made
--
-- prepare and baseline take a lock in the cache (<cache>/tasks/NAME-SEED.lock)
-- and prepare into a temporary folder renamed into place, so concurrent first
-- runs of a task wait for one preparation and all see it whole.
-- The evaluator never reads the folder it is given: it scores a copy with
-- only folders and single-name regular files up to EVAL_MAX_FILE_MB (no
-- symlink, FIFO, device or hard link), completed with the task's public
-- data where that is missing, under the task's memory and time limits.
-- evaluate_commit scores a run's recorded step (a checkout of its tree: the
-- score is a function of the history), evaluate a folder as it stands.
local sys = require("mlab.sys")
local exec = require("mlab.exec")
local json = require("json")

local M = {}

M.PYTHON = "/usr/bin/python3" -- Debian's, with the ML packages
M.EVAL_MAX_FILE_MB = 50        -- bigger files are not evaluated (nor in history)

local CATEGORIES = { canonical = true, kaggle = true, research = true }

-- key -> { type, required, default, check(value) -> err }.  The defaults
-- are the conventions of a task folder: research_problem.md, prepare.py
-- (when the folder has one), evaluate.py, env/train.py, data under data/;
-- a task.lua names only what differs (docs/tasks.md).
local SCHEMA = {
  category = { "string", true, nil, function(v)
    if not CATEGORIES[v] then return "must be canonical, kaggle or research" end
  end },
  problem = { "string", false, "research_problem.md" },
  metric = { "table", true, nil, function(v)
    if type(v.name) ~= "string" then return "needs name = \"...\"" end
    if v.goal ~= "max" and v.goal ~= "min" then
      return "needs goal = \"max\" or \"min\""
    end
    for k in pairs(v) do
      if k ~= "name" and k ~= "goal" then return "unknown key '" .. tostring(k) .. "'" end
    end
  end },
  prepare = { "string", false }, -- default: prepare.py when it exists
  evaluate = { "string", false, "evaluate.py" },
  starter = { "string", false, "train.py" },
  threshold = { "number", false, 0.10 },
  baseline = { "number", false },
  noise = { "number", false, 0 },
  data = { "table", false, { "data/*" } },
  generated = { "table", false }, -- globs of files scripts write (show/diff summarise them)
  timeout = { "number", false, 180 },
  memory_mb = { "number", false, 4096 },
  seed = { "number", false, 0 },
  description = { "string", false },
}

local function keys_list()
  local ks = {}
  for k in pairs(SCHEMA) do ks[#ks + 1] = k end
  table.sort(ks)
  return table.concat(ks, ", ")
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function validate(name, spec, where)
  local function fail(msg) error(where .. ": task '" .. name .. "': " .. msg, 0) end
  if type(spec) ~= "table" then fail("expected a table after the task name") end
  for k in pairs(spec) do
    if not SCHEMA[k] then
      fail("unknown key '" .. tostring(k) .. "' (known: " .. keys_list() .. ")")
    end
  end
  local t = { name = name }
  for k, s in pairs(SCHEMA) do
    local v = spec[k]
    if v == nil then
      if s[2] then fail("missing required key '" .. k .. "'") end
      v = s[3]
    elseif type(v) ~= s[1] then
      fail("'" .. k .. "' must be a " .. s[1] .. ", not a " .. type(v))
    elseif s[4] then
      local err = s[4](v)
      if err then fail("'" .. k .. "' " .. err) end
    end
    t[k] = v
  end
  for i, p in ipairs(t.data) do
    if type(p) ~= "string" then fail("'data' entry " .. i .. " must be a string pattern") end
  end
  return t
end

-- Loads dir/task.lua; returns the task table or nil, message.
function M.load(dir)
  local path = dir .. "/task.lua"
  local src = read(path)
  if not src then return nil, "no task at " .. dir .. " (missing task.lua)" end
  local found
  local env = {}
  env.task = function(name)
    local where = path .. ":" .. debug.getinfo(2, "l").currentline
    if type(name) ~= "string" or not name:match("^[%w_%-]+$") then
      error(where .. ": task name must be a word (letters, digits, - or _)", 0)
    end
    return function(spec)
      if found then error(where .. ": one task per file", 0) end
      found = validate(name, spec, where)
    end
  end
  setmetatable(env, { __index = function(_, k)
    error(path .. ":" .. debug.getinfo(2, "l").currentline ..
      ": unknown name '" .. tostring(k) .. "' (a task file only calls task \"NAME\" { ... })", 0)
  end })
  local chunk, err = load(src, "@" .. path, "t", env)
  if not chunk then return nil, err end
  -- A task file only declares: a loop in it must not hang mlab (or `mlab
  -- tasks`), so it runs under an instruction limit.
  -- (Under mlab's own budget hook, set from C, the run's deadline bounds
  -- it already: that hook is left alone.)
  local ok, perr
  if debug.gethook() then
    ok, perr = pcall(chunk)
  else
    ok, perr = pcall(function()
      debug.sethook(function() error(path .. ": the task file runs too long (a loop?)", 0) end,
        "", 10000000)
      return chunk()
    end)
    debug.sethook()
  end
  if not ok then return nil, tostring(perr) end
  if not found then return nil, path .. ": no task \"NAME\" { ... } declaration" end
  found.dir = dir
  if found.prepare == nil and read(dir .. "/prepare.py") then found.prepare = "prepare.py" end
  for _, k in ipairs({ "problem", "evaluate", "starter" }) do
    if k ~= "starter" and not read(dir .. "/" .. found[k]) then
      return nil, path .. ": " .. k .. " file '" .. found[k] .. "' does not exist"
    end
  end
  if found.prepare and not read(dir .. "/" .. found.prepare) then
    return nil, path .. ": prepare file '" .. found.prepare .. "' does not exist"
  end
  found.problem_text = read(dir .. "/" .. found.problem)
  return found
end

-- A task name (tasks/NAME) or a path to a task folder.
function M.find(root, name)
  if name:find("/") then
    local dir = name:gsub("/+$", "")
    if dir:sub(1, 1) ~= "/" then dir = (sys.getenv("PWD") or ".") .. "/" .. dir end
    return M.load(dir)
  end
  local t, err = M.load(root .. "/tasks/" .. name)
  if not t and err:find("missing task.lua", 1, true) then
    return nil, "unknown task '" .. name .. "' (see mlab tasks)"
  end
  return t, err
end

function M.list(root)
  local names = sys.list_dir(root .. "/tasks") or {}
  local out = {}
  for _, n in ipairs(names) do
    if sys.stat(root .. "/tasks/" .. n .. "/task.lua") then out[#out + 1] = n end
  end
  return out
end

-- Improvement over the baseline, signed so that better is positive.
function M.improvement(task, score, baseline)
  if type(score) ~= "number" or type(baseline) ~= "number" or baseline == 0 then
    return nil
  end
  local d = task.metric.goal == "max" and score - baseline or baseline - score
  return d / math.abs(baseline)
end

function M.cache_root()
  local c = sys.getenv("MLAB_CACHE")
  if c and c ~= "" then return c end
  local x = sys.getenv("XDG_CACHE_HOME")
  if x and x ~= "" then return x .. "/mlab" end
  return (sys.getenv("HOME") or "/tmp") .. "/.cache/mlab"
end

function M.cache_dir(task)
  return ("%s/tasks/%s-%d"):format(M.cache_root(), task.name, task.seed)
end

-- Changes to the task's own files invalidate prepared data and baselines.
function M.fingerprint(task)
  local parts = {}
  for _, f in ipairs({ "task.lua", task.prepare or "", task.evaluate, "env/" .. task.starter }) do
    local st = f ~= "" and sys.stat(task.dir .. "/" .. f)
    parts[#parts + 1] = st and ("%s:%d:%.0f"):format(f, st.size, st.mtime) or f .. ":-"
  end
  return table.concat(parts, ";")
end

function M.interpreter(path)
  if path:match("%.py$") then return { M.PYTHON, path } end
  if path:match("%.sh$") then return { "/bin/bash", path } end
  return { path }
end

local function run_script(argv, cwd, timeout, extra)
  local opts = { argv = argv, cwd = cwd, timeout = timeout, out_cap = 256 * 1024 }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return exec.run(opts)
end

local function tail(s, n)
  s = s or ""
  return #s > n and "..." .. s:sub(-n) or s
end

-- Seconds a process waits for another one preparing the same task.
local function lock_wait(task)
  return math.max(task.timeout, 600) + 2 * task.timeout + 60
end

local function lock_task(task)
  local dir = M.cache_dir(task)
  local ok, err = sys.mkdir_p(dir:match("^(.*)/[^/]+$"))
  if not ok then return nil, err end
  return exec.lock(dir .. ".lock", lock_wait(task))
end

local function prepared(dir, fp)
  local stamp = json.decode(sys.read(dir .. "/prepared.json") or "")
  return stamp and stamp.fingerprint == fp
end

-- Runs the task's prepare program into a new folder tmp.
local function prepare_into(task, tmp, log)
  local public, hidden = tmp .. "/public", tmp .. "/hidden"
  assert(sys.mkdir_p(public))
  assert(sys.mkdir_p(hidden))
  if task.prepare then
    if log then log("preparing data for " .. task.name .. " (once; cached in " .. M.cache_dir(task) .. ")") end
    local argv = M.interpreter(task.dir .. "/" .. task.prepare)
    argv[#argv + 1] = public
    argv[#argv + 1] = hidden
    local r, err = run_script(argv, task.dir, math.max(task.timeout, 600))
    if not r then return nil, "prepare failed: " .. err end
    if r.status ~= 0 then
      return nil, ("prepare of %s failed (exit %d):\n%s"):format(task.name, r.status, tail(r.output, 2000))
    end
  end
  return true
end

-- Prepares the task's data once; returns { public = dir, hidden = dir }.
function M.prepare(task, log)
  local dir = M.cache_dir(task)
  local data = { public = dir .. "/public", hidden = dir .. "/hidden", dir = dir }
  local fp = M.fingerprint(task)
  if prepared(dir, fp) then return data end
  local lock, lerr = lock_task(task)
  if not lock then return nil, "cannot prepare " .. task.name .. ": " .. lerr end
  -- Another process may have prepared it while we waited.
  if prepared(dir, fp) then lock:unlock(); return data end
  local tmp = ("%s.tmp-%d-%s"):format(dir, sys.pid(), sys.random_hex(4))
  sys.remove_tree(tmp)
  local ok, err = prepare_into(task, tmp, log)
  if ok then
    ok, err = sys.write_atomic(tmp .. "/prepared.json",
      json.encode({ fingerprint = fp, prepared = sys.now() }))
  end
  if ok then
    sys.remove_tree(dir)
    ok, err = os.rename(tmp, dir)
  end
  if not ok then sys.remove_tree(tmp) end
  lock:unlock()
  if not ok then return nil, err end
  return data
end

-- Fills dir with the starter files and the public data.
function M.populate(task, data, dir)
  local ok, err = sys.mkdir_p(dir)
  if not ok then return nil, err end
  if sys.stat(task.dir .. "/env") then
    ok, err = sys.copy_tree(task.dir .. "/env", dir)
    if not ok then return nil, err end
  end
  for _, n in ipairs(sys.list_dir(data.public) or {}) do
    ok, err = sys.copy_tree(data.public .. "/" .. n, dir .. "/" .. n)
    if not ok then return nil, err end
  end
  return true
end

-- Runs the evaluator on a folder it may trust: the score table or nil, err.
local function run_evaluator(task, data, dir)
  local argv = M.interpreter(task.dir .. "/" .. task.evaluate)
  argv[#argv + 1] = dir
  argv[#argv + 1] = data.hidden
  local r, err = run_script(argv, task.dir, task.timeout, { mem_mb = task.memory_mb })
  if not r then return nil, "evaluate could not run: " .. err end
  if r.timed_out then return nil, ("evaluate timed out after %g s"):format(task.timeout) end
  local lines = {}
  for line in r.output:gmatch("[^\n]+") do lines[#lines + 1] = line end
  if r.status ~= 0 then
    local msg = lines[#lines] or ("evaluate exited with status " .. r.status)
    if r.signal ~= 0 or r.status == 137 then
      msg = msg .. (" (evaluate was killed by signal %d; its memory limit is %d MB)")
        :format(r.signal ~= 0 and r.signal or 9, task.memory_mb)
    end
    return nil, msg
  end
  for i = #lines, 1, -1 do
    local v = json.decode(lines[i])
    if type(v) == "table" and type(v.score) == "number" then return v end
  end
  return nil, "evaluate printed no JSON score line:\n" .. tail(r.output, 1000)
end

-- Scores the folder dir as it stands (a workspace, a checkout): the score
-- table or nil, err.  The evaluator gets a plain copy of it (see the top).
function M.evaluate(task, data, dir)
  local tmp = ("%s/eval-%d-%s"):format(data.dir, sys.pid(), sys.random_hex(6))
  sys.remove_tree(tmp)
  local ok, err = exec.copy_plain(dir, tmp, M.EVAL_MAX_FILE_MB)
  local score
  if not ok then
    err = "cannot copy the workspace for evaluation: " .. tostring(err)
  else
    -- Public data the copy lacks (a file above the size limit) is the
    -- task's own: what the agent started with.
    for _, n in ipairs(sys.list_dir(data.public) or {}) do
      if not sys.stat(tmp .. "/" .. n) then sys.copy_tree(data.public .. "/" .. n, tmp .. "/" .. n) end
    end
    score, err = run_evaluator(task, data, tmp)
  end
  sys.remove_tree(tmp)
  return score, err
end

-- Scores the tree of a run's commit rev (a tag such as "step-7", or an
-- id): checked out into a fresh folder (git records a symlink as a link),
-- evaluated as above, removed.  snap: the run's history (mlab.snap).
function M.evaluate_commit(task, data, snap, rev)
  local tmp = ("%s/commit-%d-%s"):format(data.dir, sys.pid(), sys.random_hex(6))
  sys.remove_tree(tmp)
  local ok, err = snap:checkout(rev, tmp)
  local score
  if not ok then
    err = "cannot check out " .. tostring(rev) .. ": " .. tostring(err)
  else
    score, err = M.evaluate(task, data, tmp)
  end
  sys.remove_tree(tmp)
  return score, err
end

-- Measures the starter's score in a scratch copy and caches it by
-- fingerprint.  The starter is the task's own code: it runs confined like
-- an agent's script where that can be had, else plainly.
function M.measure(task, data, log)
  local ws = ("%s/baseline-%d-%s"):format(data.dir, sys.pid(), sys.random_hex(4))
  sys.remove_tree(ws)
  local ok, err = M.populate(task, data, ws)
  if not ok then return nil, err end
  if log then log("measuring the baseline of " .. task.name .. " (running " .. task.starter .. ")") end
  local argv = M.interpreter(task.starter)
  local r, rerr = run_script(argv, ws, task.timeout,
    { sandbox = true, unconfined = true, hide = { M.cache_root() }, mem_mb = task.memory_mb,
      procs = 512 })
  if not r then sys.remove_tree(ws); return nil, "starter could not run: " .. rerr end
  if r.status ~= 0 then
    sys.remove_tree(ws)
    return nil, ("starter %s failed (exit %d):\n%s"):format(task.starter, r.status, tail(r.output, 2000))
  end
  local score, eerr = M.evaluate(task, data, ws)
  sys.remove_tree(ws)
  if not score then return nil, "baseline evaluation failed: " .. eerr end
  local rec = { score = score.score, fingerprint = M.fingerprint(task), measured = sys.now(),
                seconds = r.duration }
  assert(sys.write_atomic(data.dir .. "/baseline.json", json.encode(rec)))
  return rec
end

local function cached_baseline(task, data)
  local rec = json.decode(sys.read(data.dir .. "/baseline.json") or "")
  if rec and rec.fingerprint == M.fingerprint(task) then return rec end
end

-- The baseline score: measured once per fingerprint (under the task's
-- lock, so concurrent first runs measure it once), then cached.
function M.baseline(task, data, log)
  local rec = cached_baseline(task, data)
  if rec then return rec end
  local lock, lerr = lock_task(task)
  if not lock then return nil, "cannot measure the baseline of " .. task.name .. ": " .. lerr end
  rec = cached_baseline(task, data)
  local err
  if not rec then rec, err = M.measure(task, data, log) end
  lock:unlock()
  return rec, err
end

return M
