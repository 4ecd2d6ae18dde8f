--[[ report.lua - runs as rows, and the rows as a report: per (task, agent,
model) group, success with a Wilson interval, success at any step, mean
improvement with its standard error, tokens, time and how runs ended; two
agents or models compared task by task.

  local report = require("report")
  report.collect(paths, runs_dir)   -- run handles from run directories,
                                    -- folders holding runs (sweeps, runs/),
                                    -- globs; none: every run in runs_dir
  report.row(rd [, m])              -- one run's facts (see ROW below)
  report.rows(handles)              -- rows, oldest first
  report.filter(rows, f)            -- f.task, f.agent, f.model, f.status,
                                    -- f.since (a time) -> rows
  report.since(text [, now])        -- "2026-11-29", "2026-11-29 10:00",
                                    -- "3d", "12h", "30m" -> a time | nil, why
  report.select(paths, runs_dir, f) -- collect, rows, filter in one, with
                                    -- f.since as text -> rows | nil, why,
                                    -- "usage" (a bad --since) or nil
  report.groups(rows)               -- aggregates, one per (task, agent, model)
  report.compare(rows, a, b, opts)  -- per task: Fisher on success counts and
                                    -- a bootstrap interval for the difference
                                    -- in mean improvement; a and b are two
                                    -- agents or two models | nil, why
  report.INFRA                      -- statuses that are the harness's fault

ROW: id, dir, task, agent, agent_path, model, llm, status, steps, tokens,
time_s, score, baseline, improvement, success, valid (a score exists),
infra (host_error), success_any (nil when the run has no step scores),
any_complete (every step scored), best_step, threshold, started, message.

A run that ended by the harness's fault (host_error) is counted apart:
it is neither a success nor a failure.  Every other run counts in n; one
without a valid score is a failure, and stays out of the improvement mean.
]]
local sys = require("mlab.sys")
local rundir = require("rundir")
local view = require("view")
local stats = require("stats")
local scores = require("scores")

local M = {}

M.INFRA = { host_error = true }

local function is_glob(s) return s:find("[%*%?%[]") ~= nil end

local function glob_pattern(g)
  local out = g:gsub("[%^%$%(%)%%%.%+%-]", "%%%0"):gsub("%*", ".*"):gsub("%?", ".")
  return "^" .. out .. "$"
end

local function abs(p)
  if p:sub(1, 1) == "/" then return p end
  return (sys.getenv("PWD") or ".") .. "/" .. p
end

-- Run directories at or under dir (a run, or folders of them, a few deep).
local function walk(dir, out, depth)
  dir = dir:gsub("/+$", "")
  if rundir.is_run(dir) then
    out[#out + 1] = rundir.at(dir)
    return
  end
  if depth <= 0 then return end
  local names = sys.list_dir(dir) or {}
  table.sort(names)
  for _, n in ipairs(names) do
    local p = dir .. "/" .. n
    local st = sys.stat(p)
    -- Hidden folders hold no runs of the set (a sweep keeps retired
    -- attempts in runs/.retired).
    if st and st.type == "directory" and n ~= "workspace" and n ~= "history.git" and n ~= "undo"
      and n:sub(1, 1) ~= "." then
      walk(p, out, depth - 1)
    end
  end
end

-- Expands a glob one path component at a time.
local function glob(pattern)
  local parts = {}
  for c in pattern:gmatch("[^/]+") do parts[#parts + 1] = c end
  local current = { pattern:sub(1, 1) == "/" and "" or "." }
  for _, c in ipairs(parts) do
    local nxt = {}
    for _, base in ipairs(current) do
      local dir = base == "" and "/" or base
      if is_glob(c) then
        local names = sys.list_dir(dir) or {}
        table.sort(names)
        for _, n in ipairs(names) do
          if n:match(glob_pattern(c)) and n:sub(1, 1) ~= "." then nxt[#nxt + 1] = base .. "/" .. n end
        end
      elseif sys.stat(base .. "/" .. c) then
        nxt[#nxt + 1] = base .. "/" .. c
      end
    end
    current = nxt
  end
  for i, p in ipairs(current) do current[i] = p:gsub("^%./", "") end
  return current
end

function M.collect(paths, runs_dir)
  local out, seen = {}, {}
  local function add(list)
    for _, rd in ipairs(list) do
      if not seen[rd.dir] then
        seen[rd.dir] = true
        out[#out + 1] = rd
      end
    end
  end
  if #paths == 0 then
    add(rundir.list(runs_dir))
    return out
  end
  for _, p in ipairs(paths) do
    local found = {}
    local targets = is_glob(p) and glob(p) or { p }
    for _, t in ipairs(targets) do
      if sys.stat(t) then
        walk(abs(t), found, 4)
      elseif not t:find("/") then
        local rd = rundir.find(runs_dir, t)
        if rd then found[#found + 1] = rd end
      end
    end
    if #found == 0 then return nil, "no runs at " .. p end
    add(found)
  end
  return out
end

function M.row(rd, m)
  m = m or rd:manifest()
  if not m then return nil end
  local status = rd:status(m)
  local r = {
    id = m.id or rd.id, dir = rd.dir, task = m.task or "?", agent = view.agent_name(m),
    agent_path = m.agent_path, model = view.model_name(m), llm = m.llm or "none",
    status = status, steps = math.tointeger(m.steps) or 0, tokens = math.tointeger(m.tokens) or 0,
    time_s = m.time_s, score = m.score, baseline = m.baseline, improvement = m.improvement,
    success = m.success == true, valid = type(m.score) == "number", infra = M.INFRA[status] == true,
    threshold = m.threshold or 0.1, started = m.started, message = m.message,
    metric = m.metric, seed = m.seed, evaluation_error = m.evaluation_error,
  }
  if status == "running" then r.success = nil end
  local best = scores.best(rd, m)
  if best then
    r.success_any, r.any_complete = best.success_any, best.complete
    r.best_step, r.best_score, r.best_improvement = best.step, best.score, best.improvement
  elseif r.success then
    r.success_any = true -- its final step passed: known without step scores
  end
  return r
end

function M.rows(handles)
  local out = {}
  for _, rd in ipairs(handles) do
    local r = M.row(rd)
    if r then out[#out + 1] = r end
  end
  table.sort(out, function(a, b)
    if (a.started or 0) ~= (b.started or 0) then return (a.started or 0) < (b.started or 0) end
    return a.id < b.id
  end)
  return out
end

function M.since(text, now)
  now = now or sys.now()
  local n, unit = text:match("^(%d+%.?%d*)([smhdw])$")
  if n then
    local mult = { s = 1, m = 60, h = 3600, d = 86400, w = 604800 }
    return now - tonumber(n) * mult[unit]
  end
  local y, mo, d, rest = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if y then
    local hh, mm, ss = rest:match("^[T ](%d%d):(%d%d):?(%d*)")
    -- UTC, as run ids are: os.time reads a local date, so correct by the
    -- offset it applies.
    local t = { year = tonumber(y), month = tonumber(mo), day = tonumber(d),
                hour = tonumber(hh) or 0, min = tonumber(mm) or 0, sec = tonumber(ss) or 0 }
    local loc = os.time(t)
    local utc_as_local = os.time(os.date("!*t", loc))
    return loc + (loc - utc_as_local)
  end
  return nil, "--since takes a date (2026-11-29, 2026-11-29T10:00) or an age (30m, 12h, 3d)"
end

function M.filter(rows, f)
  local out = {}
  for _, r in ipairs(rows) do
    if (not f.task or r.task == f.task) and (not f.agent or r.agent == f.agent or r.agent_path == f.agent)
        and (not f.model or r.model == f.model or r.llm == f.model)
        and (not f.status or r.status == f.status)
        and (not f.since or (r.started or 0) >= f.since) then
      out[#out + 1] = r
    end
  end
  return out
end

local function key_of(r) return r.task .. "\0" .. r.agent .. "\0" .. r.model end

-- The numbers of one set of runs (see the module comment).
function M.aggregate(list)
  local g = { runs = #list, n = 0, infra = 0, running = 0, successes = 0, no_score = 0,
              improvements = {}, tokens = 0, time = 0, timed = 0, ended = {},
              any_known = 0, any_successes = 0 }
  for _, r in ipairs(list) do
    g.ended[r.status] = (g.ended[r.status] or 0) + 1
    if r.status == "running" then
      g.running = g.running + 1
    elseif r.infra then
      g.infra = g.infra + 1
    else
      g.n = g.n + 1
      if r.success then g.successes = g.successes + 1 end
      if r.valid and type(r.improvement) == "number" then
        g.improvements[#g.improvements + 1] = r.improvement
      else
        g.no_score = g.no_score + 1
      end
      if r.success_any ~= nil and (r.any_complete or r.success_any) then
        g.any_known = g.any_known + 1
        if r.success_any then g.any_successes = g.any_successes + 1 end
      end
    end
    g.tokens = g.tokens + (r.tokens or 0)
    if type(r.time_s) == "number" then
      g.time, g.timed = g.time + r.time_s, g.timed + 1
    end
  end
  g.rate = g.n > 0 and g.successes / g.n or nil
  g.lo, g.hi = stats.wilson(g.successes, g.n)
  g.any_rate = g.any_known > 0 and g.any_successes / g.any_known or nil
  g.any_lo, g.any_hi = stats.wilson(g.any_successes, g.any_known)
  g.mean_improvement = stats.mean(g.improvements)
  g.se_improvement = stats.se(g.improvements)
  g.scored = #g.improvements
  g.mean_tokens = #list > 0 and g.tokens / #list or nil
  g.mean_time = g.timed > 0 and g.time / g.timed or nil
  return g
end

function M.groups(rows)
  local by, order = {}, {}
  for _, r in ipairs(rows) do
    local k = key_of(r)
    if not by[k] then
      by[k] = { task = r.task, agent = r.agent, model = r.model, list = {} }
      order[#order + 1] = by[k]
    end
    table.insert(by[k].list, r)
  end
  table.sort(order, function(a, b)
    if a.task ~= b.task then return a.task < b.task end
    if a.agent ~= b.agent then return a.agent < b.agent end
    return a.model < b.model
  end)
  for _, grp in ipairs(order) do
    local g = M.aggregate(grp.list)
    for k, v in pairs(g) do grp[k] = v end
  end
  return order
end

-- Which field tells a and b apart: "agent" or "model".
local function dimension(rows, a, b)
  local has = { agent = {}, model = {} }
  for _, r in ipairs(rows) do
    has.agent[r.agent], has.model[r.model] = true, true
    has.model[r.llm] = true
  end
  if has.agent[a] and has.agent[b] then return "agent" end
  if has.model[a] and has.model[b] then return "model" end
  return nil
end

local function side(list, field, name)
  local out = {}
  for _, r in ipairs(list) do
    if r[field] == name or (field == "model" and r.llm == name) then out[#out + 1] = r end
  end
  return out
end

function M.compare(rows, a, b, opts)
  opts = opts or {}
  local field = dimension(rows, a, b)
  if not field then
    return nil, ("--compare %s %s: both must be agents, or both models, of the runs given"):format(a, b)
  end
  local tasks, order = {}, {}
  for _, r in ipairs(rows) do
    if not tasks[r.task] then
      tasks[r.task] = {}
      order[#order + 1] = r.task
    end
    table.insert(tasks[r.task], r)
  end
  table.sort(order)
  local out = { field = field, a = a, b = b, tasks = {},
    reps = opts.reps or 2000, seed = opts.seed or 0, level = 0.95 }
  local function one(name, list)
    local ga, gb = M.aggregate(side(list, field, a)), M.aggregate(side(list, field, b))
    if ga.runs == 0 and gb.runs == 0 then return nil end
    local c = { task = name, a = ga, b = gb }
    c.p = stats.fisher(ga.successes, ga.n - ga.successes, gb.successes, gb.n - gb.successes)
    if ga.n == 0 or gb.n == 0 then c.p = nil end
    local lo, hi, info = stats.bootstrap_diff(ga.improvements, gb.improvements,
      { reps = out.reps, seed = out.seed, level = out.level })
    if lo then
      c.diff, c.diff_lo, c.diff_hi = info.diff, lo, hi
    else
      c.diff = ga.mean_improvement and gb.mean_improvement and ga.mean_improvement - gb.mean_improvement
      c.why = hi
    end
    return c
  end
  for _, t in ipairs(order) do
    local c = one(t, tasks[t])
    if c then out.tasks[#out.tasks + 1] = c end
  end
  if #out.tasks > 1 then
    out.pooled = one("all tasks (pooled)", rows)
  end
  return out
end

-- What mlab runs and mlab report show: the runs paths name, as rows,
-- filtered (f.since is the text of --since).
function M.select(paths, runs_dir, f)
  local handles, err = M.collect(paths, runs_dir)
  if not handles then return nil, err end
  local since
  if f.since then
    local why
    since, why = M.since(f.since)
    if not since then return nil, why, "usage" end
  end
  return M.filter(M.rows(handles), { task = f.task, agent = f.agent, model = f.model,
    status = f.status, since = since })
end

return M
