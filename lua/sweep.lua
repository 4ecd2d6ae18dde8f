--[[ sweep.lua - a sweep: every combination of tasks x agents x models x
seeds as normal run directories in one folder, the code they run pinned
there, and what each run needs next, read from its recorded outcome.

  local sweep = require("sweep")
  local sw, err = sweep.plan(opts)      -- the sweep at opts.out; writes nothing
  sw:lock()                             -- one driver per sweep folder (true | nil, err)
  sw:pin(log)                           -- copy code, check edits, write sweep.json
  sw:prepare(log)                       -- task data and baselines, once, in its cache
  sw.cells                              -- the cells of this matrix, in run order
  sw:state(cell)                        -- outcome class, manifest (see CLASSES)
  sw:action(cell, retry)                -- "start" | "resume" | "restart" | "busy" | "done"
  sw:retire(cell)                       -- move its run dir to runs/.retired/
  sw:argv(cell, action), sw:env(jobs)   -- the child `mlab run` / `mlab resume`
  sw:log_path(cell)                     -- where the child's output goes
  local sw, err = sweep.open(dir)       -- a sweep as recorded (for --cell, --status)

opts: out, root (mlab tree), version, tasks, agents, llms, seeds (lists or
nil: the sweep's recorded matrix), budgets (given ones only), preset and
llm_fast (strings or nil), env (getenv).

The folder:
  sweep.json            the matrix, budgets, every run (append-only: a
                        run's index is its Slurm array index), pinned files
                        with their sha256, the mlab version
  code/                 the pinned tree: bin/mlab, lua/, stdlib/, agents/,
                        tasks/ (MLAB_HOME of every run)
  cache/                prepared task data and baselines (MLAB_CACHE)
  runs/ID/              run directories (ID = TASK-AGENT-MODEL-sSEED)
  runs/.logs/ID.log     each child's output; runs/.retired/ID.N/ old
                        attempts of runs retried from the start
Logs and retired runs sit under runs/ so that a run's scripts, which never
see runs/ or cache/, cannot read another run's results through them.
]]
local sys = require("mlab.sys")
local exec = require("mlab.exec")
local proc = require("mlab.proc")
local json = require("json")
local rundir = require("rundir")
local task_mod = require("task")
local run_mod = require("run")
local threads = require("threads")
local llm = require("llm")

local M = {}

M.FORMAT = 1

-- A run's outcome class, from run.json's status.
M.CLASSES = {
  final_answer = "answer", budget_exhausted = "budget", agent_error = "error",
  host_error = "infra", killed = "killed",
}
-- What --retry may name (all = every class).
M.RETRY = { answer = true, budget = true, error = true, infra = true, killed = true }

local Sweep = {}
Sweep.__index = Sweep

-- An absolute path without "." or ".." parts or doubled slashes, so one
-- file has one name in sweep.json.
local function abs(path)
  if path:sub(1, 1) ~= "/" then path = (sys.getenv("PWD") or ".") .. "/" .. path end
  local parts = {}
  for part in path:gmatch("[^/]+") do
    if part == ".." then
      parts[#parts] = nil
    elseif part ~= "." then
      parts[#parts + 1] = part
    end
  end
  return "/" .. table.concat(parts, "/")
end

local function basename(p) return p:match("([^/]+)/*$") end

local function fail(fmt, ...) return nil, fmt:format(...) end

-- sha256 of every file under dir (relative paths, "./" dropped) or of the
-- one file dir names; nil, err.  sha256sum is faster than Lua and as
-- exact; find+sort keep the order stable.
local function sha256_tree(path)
  local st = sys.stat(path)
  if not st then return fail("cannot hash %s: it does not exist", path) end
  local dir, script = path, "find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum --"
  if st.type ~= "directory" then
    dir = path:match("^(.*)/[^/]+$") or "."
    script = "sha256sum -- '" .. basename(path):gsub("'", "'\\''") .. "'"
  end
  local r, err = exec.run({ argv = { "/bin/sh", "-c", script }, cwd = dir,
    out_cap = 16 * 1024 * 1024 })
  if not r then return nil, err end
  if r.status ~= 0 or r.truncated then return fail("cannot hash %s: %s", path, r.output) end
  local out = {}
  for hex, rel in r.output:gmatch("(%x+)  ([^\n]+)") do out[rel:gsub("^%./", "")] = hex end
  return out
end

-- FNV-1a, for short tags in run ids.
local function short_hash(s)
  local h = 2166136261
  for i = 1, #s do h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff end
  return ("%08x"):format(h):sub(1, 6)
end

-- The model part of a run id: "none", "openai_gpt-4o-mini", and a hash
-- of the whole spec when it carries more (an endpoint).
function M.llm_tag(spec)
  if spec == "none" then return "none" end
  local s = spec:match("^([^@]*)") or spec
  local tag = s:gsub("[^%w._%-]", "_"):sub(1, 40)
  if tag ~= spec then tag = tag .. "-" .. short_hash(spec) end
  return tag
end

function M.run_id(task, agent, llm_spec, seed)
  return ("%s-%s-%s-s%d"):format(task, agent, M.llm_tag(llm_spec), seed)
end

-- "8" -> 0..7; "1,5,9" and "3-6" name seeds.
function M.parse_seeds(s)
  if s:match("^%d+$") then
    local n = math.tointeger(tonumber(s))
    if n < 1 or n > 100000 then return fail("--seeds %s: between 1 and 100000 seeds", s) end
    local out = {}
    for i = 0, n - 1 do out[#out + 1] = i end
    return out
  end
  local out, seen = {}, {}
  for part in s:gmatch("[^,]+") do
    local a, b = part:match("^(%d+)%-(%d+)$")
    a = math.tointeger(tonumber(a or part:match("^(%d+)$")))
    b = math.tointeger(tonumber(b)) or a
    if not a or b < a or b - a > 100000 then
      return fail("--seeds: '%s' is not a count (8), a list (1,5,9) or a range (3-6)", s)
    end
    for i = a, b do
      if not seen[i] then seen[i] = true; out[#out + 1] = i end
    end
  end
  if #out == 0 then return fail("--seeds: no seed in '%s'", s) end
  return out
end

function M.split(s)
  local out = {}
  for part in (s or ""):gmatch("[^,]+") do
    part = part:match("^%s*(.-)%s*$")
    if part ~= "" then out[#out + 1] = part end
  end
  return out
end

local function paths(dir)
  return {
    dir = dir, sweep_json = dir .. "/sweep.json", code = dir .. "/code",
    bin = dir .. "/code/bin/mlab", cache = dir .. "/cache", runs = dir .. "/runs",
    logs = dir .. "/runs/.logs", retired = dir .. "/runs/.retired",
    slurm = dir .. "/slurm", lock = dir .. "/sweep.lock",
  }
end

local function read_manifest(p)
  local text = sys.read(p.sweep_json)
  if not text then return nil end
  local m, err = json.decode(text)
  if type(m) ~= "table" then return nil, p.sweep_json .. ": " .. tostring(err) end
  return m
end

-- An agent named in the matrix: a shipped name, a name the sweep has
-- pinned, or a path to a file (pinned under its base name).
local function resolve_agent(root, a, pinned)
  if a:find("/") or a:match("%.lua$") then
    local src = abs(a)
    if not sys.stat(src) then return fail("no agent file %s", src) end
    local name = basename(src):gsub("%.lua$", "")
    local shipped = root .. "/agents/" .. name .. ".lua"
    local was = pinned[name] and pinned[name].source
    if (was and was ~= src) or (not was and src ~= shipped and sys.stat(shipped)) then
      return fail("agent %s is named '%s' like %s, which this sweep pins under that name: "
        .. "rename your file", src, name, was or shipped)
    end
    return { name = name, source = src }
  end
  if not a:match("^[%w][%w_%-]*$") then return fail("bad agent name '%s'", a) end
  if pinned[a] then return { name = a, source = pinned[a].source } end
  local src = root .. "/agents/" .. a .. ".lua"
  if sys.stat(src) then return { name = a, source = src } end
  return fail("no agent '%s' (agents/%s.lua)", a, a)
end

local function resolve_task(root, t, pinned, code)
  local dir
  if t:find("/") then
    dir = abs(t):gsub("/+$", "")
  elseif pinned[t] then
    dir = pinned[t].source
    -- Its source is gone: the pinned copy is all there is.
    if not sys.stat(dir .. "/task.lua") then dir = code .. "/tasks/" .. t end
  elseif sys.stat(root .. "/tasks/" .. t .. "/task.lua") then
    dir = root .. "/tasks/" .. t
  else
    return fail("unknown task '%s' (see mlab tasks)", t)
  end
  local task, err = task_mod.load(dir)
  if not task then return nil, err end
  local src = pinned[task.name] and pinned[task.name].source or dir
  if t:find("/") and src ~= dir then
    return fail("task %s is named '%s' like %s, which this sweep has pinned: rename it",
      dir, task.name, src)
  end
  return { name = task.name, source = src, dir = dir }
end

-- Budgets: given ones must match what the sweep recorded.
local BUDGETS = { "max_steps", "max_time", "max_tokens", "max_mem_mb" }
local FLAG = { max_steps = "--max-steps", max_time = "--max-time",
               max_tokens = "--max-tokens", max_mem_mb = "--max-mem" }

local function new(dir, m)
  local sw = setmetatable({ dir = dir, paths = paths(dir), manifest = m }, Sweep)
  sw.matrix, sw.budgets = m.matrix, m.budgets
  sw.index = {}
  for i, r in ipairs(m.runs) do sw.index[r.id] = i end
  sw.cells = {}
  local mx = m.matrix
  for _, seed in ipairs(mx.seeds) do
    for _, task in ipairs(mx.tasks) do
      for _, agent in ipairs(mx.agents) do
        for _, spec in ipairs(mx.llms) do
          local id = M.run_id(task, agent, spec, seed)
          local cell = { id = id, task = task, agent = agent, llm = spec, seed = seed }
          if not sw.index[id] then
            m.runs[#m.runs + 1] = { id = id, task = task, agent = agent, llm = spec, seed = seed }
            sw.index[id] = #m.runs
          end
          cell.index = sw.index[id] - 1 -- the Slurm array index
          sw.cells[#sw.cells + 1] = cell
        end
      end
    end
  end
  return sw
end

-- The sweep at opts.out as this command line asks for it: nothing is
-- written until sw:pin().  nil, message on a bad matrix.
function M.plan(opts)
  local dir = abs(opts.out):gsub("/+$", "")
  local p = paths(dir)
  local old, oerr = read_manifest(p)
  if oerr then return nil, oerr end
  if not old and sys.stat(dir) and #(sys.list_dir(dir) or {}) > 0 then
    return fail("%s exists and is not a sweep (no sweep.json): choose a new --out", dir)
  end
  local rec = old and old.matrix or {}
  local pinned = old and old.pinned or { agents = {}, tasks = {} }
  local m = old or { format = M.FORMAT, created = sys.now(), runs = {},
    pinned = pinned, files = {} }
  if (m.format or 0) > M.FORMAT then
    return fail("%s was made by a newer mlab (format %s)", p.sweep_json, tostring(m.format))
  end

  local tasks, agents = opts.tasks or rec.tasks, opts.agents or rec.agents
  if not tasks or #tasks == 0 then return fail("which tasks? (--tasks T1,T2)") end
  if not agents or #agents == 0 then return fail("which agents? (--agents A1,A2)") end
  local llms = opts.llms or rec.llms or { "none" }
  local seeds = opts.seeds or rec.seeds or { 0 }
  for _, spec in ipairs(llms) do
    if spec ~= "none" and not llm.parse_spec(spec) then
      return fail("--llm: cannot read the model spec '%s' (see docs/models.md)", spec)
    end
  end

  -- The harness: --preset and --llm-fast, like the budgets, are the
  -- sweep's own once it has begun.
  local harness = {}
  for _, k in ipairs({ "preset", "llm_fast" }) do
    local given, was = opts[k], old and old[k]
    if given ~= nil and old and given ~= was then
      return fail("this sweep runs with --%s %s (not %s): use a new --out for another",
        k:gsub("_", "-"), tostring(was or "(none)"), given)
    end
    harness[k] = given or was
  end
  local preset = harness.preset and run_mod.PRESETS[harness.preset]
  if harness.preset and not preset then
    return fail("unknown --preset %s (known: mlagentbench)", harness.preset)
  end
  if harness.llm_fast and not llm.parse_spec(harness.llm_fast) then
    return fail("--llm-fast: cannot read the model spec '%s' (see docs/models.md)", harness.llm_fast)
  end

  local budgets = {}
  for _, k in ipairs(BUDGETS) do
    local given, was = opts.budgets and opts.budgets[k], old and old.budgets[k]
    if given ~= nil and was ~= nil and given ~= was then
      return fail("this sweep runs with %s %s (not %s): a sweep keeps its budgets; "
        .. "use a new --out for others", FLAG[k], tostring(was), tostring(given))
    end
    budgets[k] = given or was or (preset and preset[k]) or run_mod.DEFAULTS[k]
  end

  local sw_agents, sw_tasks = {}, {}
  local by_name = {}
  for _, a in ipairs(agents) do
    local r, err = resolve_agent(opts.root, a, pinned.agents)
    if not r then return nil, err end
    local prev = by_name["a:" .. r.name]
    if prev and prev ~= r.source then
      return fail("two agents are named '%s': %s and %s (a sweep pins agents by name; "
        .. "rename one)", r.name, prev, r.source)
    end
    by_name["a:" .. r.name] = r.source
    sw_agents[#sw_agents + 1] = r
  end
  for _, t in ipairs(tasks) do
    local r, err = resolve_task(opts.root, t, pinned.tasks, p.code)
    if not r then return nil, err end
    local prev = by_name["t:" .. r.name]
    if prev and prev ~= r.source then
      return fail("two tasks are named '%s': %s and %s", r.name, prev, r.source)
    end
    by_name["t:" .. r.name] = r.source
    sw_tasks[#sw_tasks + 1] = r
  end

  local names = function(list)
    local out = {}
    for i, r in ipairs(list) do out[i] = r.name end
    return out
  end
  m.matrix = { tasks = names(sw_tasks), agents = names(sw_agents), llms = llms, seeds = seeds }
  m.budgets = budgets
  m.preset, m.llm_fast = harness.preset, harness.llm_fast
  m.mlab_version = opts.version or m.mlab_version
  local sw = new(dir, m)
  sw.root, sw.fresh = opts.root, old == nil
  sw.sources = { agents = sw_agents, tasks = sw_tasks }
  return sw
end

-- A sweep as its sweep.json records it.
function M.open(dir)
  dir = abs(dir):gsub("/+$", "")
  local m, err = read_manifest(paths(dir))
  if not m then return nil, err or ("no sweep at " .. dir .. " (no sweep.json)") end
  return new(dir, m)
end

function Sweep:write_manifest()
  self.manifest.updated = sys.now()
  return sys.write_atomic(self.paths.sweep_json, json.encode(self.manifest, "  ") .. "\n")
end

-- One driver at a time (a second `mlab sweep` on the same folder would
-- start every run twice).  Slurm jobs running one run each take no lock.
function Sweep:lock()
  local text = sys.read(self.paths.lock)
  local pid = text and math.tointeger(tonumber(text:match("%d+")))
  if pid and pid ~= sys.pid() and sys.alive(pid) then
    return fail("sweep %s is being driven by another mlab (pid %d)", self.dir, pid)
  end
  assert(sys.mkdir_p(self.dir))
  assert(sys.write_atomic(self.paths.lock, tostring(sys.pid()) .. "\n"))
  return true
end

function Sweep:unlock()
  local text = sys.read(self.paths.lock)
  if text and math.tointeger(tonumber(text:match("%d+"))) == sys.pid() then
    os.remove(self.paths.lock)
  end
end

local function copy(src, dst)
  local ok, err = sys.copy_tree(src, dst)
  if not ok then error("cannot pin " .. src .. ": " .. tostring(err), 0) end
end

local function add_hashes(files, prefix, hashes)
  for rel, hex in pairs(hashes) do files[prefix .. rel] = hex end
end

local function same_files(a, b)
  for k, v in pairs(a) do if b[k] ~= v then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- Copies what the runs will execute into code/ (the first time: the mlab
-- binary, lua/, stdlib/, agents/, tasks/common; each agent and task when
-- first used), records every pinned file's sha256 in sweep.json, and says
-- (through log) which sources changed since they were pinned: the sweep
-- keeps running its copies.  Returns the list of changed sources.
function Sweep:pin(log)
  local p, m = self.paths, self.manifest
  assert(sys.mkdir_p(p.runs))
  assert(sys.mkdir_p(p.logs))
  local code = p.code
  if not sys.stat(p.bin) then
    assert(sys.mkdir_p(code .. "/bin"))
    local exe = assert(proc.exe())
    copy(exe, p.bin)
    for _, d in ipairs({ "lua", "stdlib", "agents" }) do
      if sys.stat(self.root .. "/" .. d) then copy(self.root .. "/" .. d, code .. "/" .. d) end
    end
    assert(sys.mkdir_p(code .. "/tasks"))
    if sys.stat(self.root .. "/tasks/common") then
      copy(self.root .. "/tasks/common", code .. "/tasks/common")
    end
    m.files = {}
    for _, d in ipairs({ "bin", "lua", "stdlib", "agents", "tasks/common" }) do
      if sys.stat(code .. "/" .. d) then
        add_hashes(m.files, d .. "/", assert(sha256_tree(code .. "/" .. d)))
      end
    end
  end
  local changed = {}
  for _, a in ipairs(self.sources.agents) do
    local rel = "agents/" .. a.name .. ".lua"
    local dst = code .. "/" .. rel
    local src_hash = sys.stat(a.source) and sha256_tree(a.source) or nil
    src_hash = src_hash and src_hash[basename(a.source)]
    if not sys.stat(dst) then
      copy(a.source, dst)
      m.files[rel] = assert(sha256_tree(dst))[a.name .. ".lua"]
    elseif src_hash and m.files[rel] and src_hash ~= m.files[rel] then
      changed[#changed + 1] = a.source
    end
    m.pinned.agents[a.name] = m.pinned.agents[a.name] or { source = a.source }
  end
  for _, t in ipairs(self.sources.tasks) do
    local rel = "tasks/" .. t.name .. "/"
    local dst = code .. "/tasks/" .. t.name
    if not sys.stat(dst) then
      copy(t.dir, dst)
      add_hashes(m.files, rel, assert(sha256_tree(dst)))
    elseif t.dir ~= dst and sys.stat(t.dir) then
      local now = assert(sha256_tree(t.dir))
      local was = {}
      for k, v in pairs(m.files) do
        if k:sub(1, #rel) == rel then was[k:sub(#rel + 1)] = v end
      end
      if not same_files(now, was) then changed[#changed + 1] = t.source end
    end
    m.pinned.tasks[t.name] = m.pinned.tasks[t.name] or { source = t.source }
  end
  if log then
    for _, src in ipairs(changed) do
      log(("%s changed since this sweep pinned it: the sweep keeps running its copy "
        .. "in %s (use a new --out to run the edit)"):format(src, code))
    end
  end
  assert(self:write_manifest())
  return changed
end

-- Prepares every task's data and baseline once, in the sweep's cache, so
-- runs started together never prepare the same data at once.  The cache
-- is MLAB_CACHE for this process and for every run.
function Sweep:prepare(log)
  assert(proc.setenv("MLAB_CACHE", self.paths.cache))
  self.baselines = {}
  for _, name in ipairs(self.matrix.tasks) do
    local t, err = task_mod.load(self.paths.code .. "/tasks/" .. name)
    if not t then return nil, err end
    local data, perr = task_mod.prepare(t, log)
    if not data then return nil, "task " .. name .. ": " .. perr end
    local base, berr = task_mod.baseline(t, data, log)
    if not base then return nil, "task " .. name .. ": " .. berr end
    self.baselines[name] = base.score
  end
  return true
end

function Sweep:run_dir(cell) return rundir.at(self.paths.runs .. "/" .. cell.id) end

-- The cell's outcome class ("answer", "budget", "error", "infra",
-- "killed"), or "missing" (no run yet), "broken" (a run directory its
-- start never finished), "running" (its host is alive here); and the
-- manifest when there is one.
function Sweep:state(cell)
  local rd = self:run_dir(cell)
  if not sys.stat(rd.dir) then return "missing" end
  local m = rd:manifest()
  if not m then return "broken" end
  if m.status == "running" then
    if rundir.host_alive(m) then return "running", m end
    return "killed", m
  end
  return M.CLASSES[m.status] or "infra", m
end

-- What this cell needs: start (no run), resume (killed: from its last
-- step), restart (retried or broken: the old directory is retired first),
-- busy (running now), done (an outcome not named in retry).
function Sweep:action(cell, retry)
  local st, m = self:state(cell)
  retry = retry or {}
  if st == "missing" then return "start", st, m end
  if st == "broken" then return "restart", st, m end
  if st == "running" then return "busy", st, m end
  if retry[st] then return "restart", st, m end
  if st == "killed" then return "resume", st, m end
  return "done", st, m
end

-- Moves the cell's run directory to runs/.retired/ID.N (kept, never
-- deleted: an earlier attempt is evidence too).
function Sweep:retire(cell)
  local src = self.paths.runs .. "/" .. cell.id
  if not sys.stat(src) then return true end
  assert(sys.mkdir_p(self.paths.retired))
  local n = 1
  while sys.stat(("%s/%s.%d"):format(self.paths.retired, cell.id, n)) do n = n + 1 end
  local ok, err = os.rename(src, ("%s/%s.%d"):format(self.paths.retired, cell.id, n))
  if not ok then return nil, err end
  return true
end

local function num(v)
  return tostring(math.tointeger(v) or v)
end

function Sweep:argv(cell, action)
  local p = self.paths
  if action == "resume" then
    return { p.bin, "resume", p.runs .. "/" .. cell.id, "-q" }
  end
  local b = self.budgets
  local argv = { p.bin, "run", cell.task, "--agent", cell.agent, "--llm", cell.llm,
    "--seed", num(cell.seed), "--max-steps", num(b.max_steps), "--max-time", num(b.max_time),
    "--max-tokens", num(b.max_tokens), "--max-mem", num(b.max_mem_mb),
    "--runs-dir", p.runs, "--id", cell.id, "-q" }
  local m = self.manifest
  if m.preset then table.move({ "--preset", m.preset }, 1, 2, #argv + 1, argv) end
  if m.llm_fast then table.move({ "--llm-fast", m.llm_fast }, 1, 2, #argv + 1, argv) end
  return argv
end

-- The environment a run gets on top of mlab's: the pinned tree, the
-- sweep's cache (a runs folder from the caller's environment would only
-- confuse), and its scripts' share of the processors when jobs runs share
-- them (threads.lua).
function Sweep:env(jobs)
  return threads.env(jobs, { MLAB_HOME = self.paths.code, MLAB_CACHE = self.paths.cache,
    MLAB_RUNS_DIR = false, PWD = self.dir })
end

function Sweep:log_path(cell) return self.paths.logs .. "/" .. cell.id .. ".log" end

-- The cell with Slurm array index i (0-based), from the whole record.
function Sweep:cell_at(i)
  local r = self.manifest.runs[i + 1]
  if not r then return nil end
  return { id = r.id, task = r.task, agent = r.agent, llm = r.llm, seed = r.seed, index = i }
end

return M
