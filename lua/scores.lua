--[[ scores.lua - a score at every step: each step's committed tree scored
by the task's evaluator, cached in the run's scores.jsonl by tree id.

  local scores = require("scores")
  scores.evaluator_id(task)        -- what the cache depends on: a hash of
                                   -- task.lua and the evaluate program
  scores.score_rev(task, data, snap, rev)   -- THE one place a commit is
      -- scored (task.evaluate_commit: a fresh checkout of rev, never the
      -- live workspace) -> record { tree, score, evaluation | error,
      -- seconds, evaluator }
  scores.trees(rd [, n])           -- { [0] = tree of step-0, ..., [n] = ... }
  scores.index(rd)                 -- tree -> latest record; and the last
                                   -- "all_steps" event (nil when never run)
  scores.curve(rd, m)              -- per step 0..N: { step, action, tree,
      -- changed, score, improvement, error, scored = bool } from the cache
  scores.evaluate_all(rd, m, opts) -- scores the trees the cache lacks, in
      -- parallel up to opts.jobs (child `mlab eval RUN --step N --record`
      -- processes), appends them to scores.jsonl, marks the run complete;
      -- opts.rescore: score every tree again.  -> curve, info | nil, err
  scores.best(rd, m)               -- { score, step, improvement, success_any,
      -- complete } over the cached step scores | nil when none
  scores.pool(argvs, jobs, done)   -- commands (argv lists) run up to jobs at
      -- a time (mlab.proc); done(k, output) as each ends
  scores.nproc()                   -- processors this process may use
  scores.interrupted()             -- Ctrl-C or SIGTERM has come

scores.jsonl holds one JSON object per line:
  { tree, score, evaluation, seconds, evaluator, step, scored }   a score
  { tree, error, seconds, evaluator, step, scored }                a failure
  { event = "all_steps", steps, evaluator, at }                  every step
                                                                  scored
A tree is scored once: identical workspaces (a step that changed nothing,
an undo back to an earlier state) share a record.  The cache is the run
directory's (rundir.lua reads and writes it); a record whose evaluator
differs from the task's current one is scored again.
]]
local sys = require("mlab.sys")
local proc = require("mlab.proc")
local threads = require("threads")
local snap_mod = require("mlab.snap")
local json = require("json")
local task_mod = require("task")

local M = {}

local function fnv(h, s)
  for i = 1, #s do h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff end
  return h
end

function M.evaluator_id(task)
  local h = 2166136261
  h = fnv(h, sys.read(task.dir .. "/task.lua") or "")
  h = fnv(h, sys.read(task.dir .. "/" .. task.evaluate) or "")
  return ("%08x"):format(h)
end

-- The one place a commit is scored: task.evaluate_commit (a fresh
-- checkout of the tree, never the live workspace), timed and keyed.
function M.score_rev(task, data, snap, rev)
  local tree, terr = snap:tree(rev)
  if not tree then return nil, terr end
  local t0 = sys.mono()
  local score, eerr = task_mod.evaluate_commit(task, data, snap, rev)
  local rec = { tree = tree, seconds = sys.mono() - t0, evaluator = M.evaluator_id(task),
                scored = sys.now() }
  if score then
    rec.score, rec.evaluation = score.score, score
  else
    rec.error = eerr
  end
  return rec
end

function M.trees(rd, n)
  local h = snap_mod.open(rd.paths.git)
  if not h then return {} end
  local t = {}
  local i = 0
  while not n or i <= n do
    local id = h:tree("step-" .. i)
    if not id then break end
    t[i] = id
    i = i + 1
  end
  return t
end

function M.index(rd)
  local by_tree, marker = {}, nil
  for _, r in ipairs(rd:scores()) do
    if r.event == "all_steps" then marker = r
    elseif r.tree then by_tree[r.tree] = r end
  end
  return by_tree, marker
end

local function improvement(m, score)
  if not m.metric then return nil end
  return task_mod.improvement({ metric = m.metric }, score, m.baseline)
end

function M.curve(rd, m, steps, trees, by_tree)
  steps = steps or rd:steps()
  trees = trees or M.trees(rd, #steps)
  by_tree = by_tree or M.index(rd)
  local out = {}
  for i = 0, #steps do
    local tree = trees[i]
    local r = tree and by_tree[tree]
    local p = { step = i, action = i == 0 and "(starter files)" or steps[i].action, tree = tree,
                changed = i == 0 or tree ~= trees[i - 1], scored = r ~= nil }
    if r then
      p.score, p.error = r.score, r.error
      p.improvement = improvement(m, r.score)
    end
    out[#out + 1] = p
  end
  return out
end

function M.best(rd, m)
  local by_tree, marker = M.index(rd)
  if next(by_tree) == nil then return nil end
  local trees = M.trees(rd, m.steps and math.tointeger(m.steps))
  local best
  for i = 0, #trees do
    local r = by_tree[trees[i]]
    if r and type(r.score) == "number" then
      local imp = improvement(m, r.score)
      if imp and (not best or imp > best.improvement) then
        best = { score = r.score, step = i, improvement = imp }
      end
    end
  end
  local complete = marker ~= nil and math.tointeger(marker.steps) == math.tointeger(m.steps)
  best = best or {}
  best.complete = complete
  best.success_any = (best.improvement ~= nil and best.improvement > (m.threshold or 0.1))
    or m.success == true
  return best
end

function M.nproc() return sys.ncpu() end

-- A SIGINT, SIGTERM or SIGHUP has come (sys.sleep returns false once the
-- host's signal flag is set; outside a run nothing raises).
function M.interrupted()
  return sys.sleep(0) == false
end

-- Commands (argv lists), up to jobs at a time, each with its share of the
-- processors (threads.lua); done(k, output) is called as each ends
-- (output: its stdout and stderr), whichever ends first.
-- After Ctrl-C (or SIGTERM) no new one starts and those running are
-- waited for.  The children stay in mlab's process group, so a Ctrl-C on
-- the terminal reaches them too.
function M.pool(argvs, jobs, done)
  local running, next_i, env = {}, 1, threads.env(jobs)
  while true do
    if next_i <= #argvs and M.interrupted() then next_i = #argvs + 1 end
    if next_i <= #argvs and #running < jobs then
      local out = os.tmpname()
      local p, err = proc.spawn({ argv = argvs[next_i], out = out, env = env })
      if p then
        running[#running + 1] = { k = next_i, p = p, out = out }
      else
        os.remove(out)
        done(next_i, "cannot start " .. argvs[next_i][1] .. ": " .. tostring(err))
      end
      next_i = next_i + 1
    elseif #running == 0 then
      return
    else
      local ps = {}
      for k, r in ipairs(running) do ps[k] = r.p end
      proc.wait(ps, 1.0) -- nil on a timeout or a signal: poll them all
      for k = #running, 1, -1 do
        local r = running[k]
        if r.p:poll() then
          table.remove(running, k)
          local output = sys.read(r.out) or ""
          os.remove(r.out)
          done(r.k, output)
        end
      end
    end
  end
end

-- The last line of a child's output that is a JSON record.
local function record_of(out)
  local last
  for line in out:gmatch("[^\n]+") do
    local v = line:sub(1, 1) == "{" and json.decode(line)
    if type(v) == "table" then last = v end
  end
  return last
end

function M.evaluate_all(rd, m, opts)
  opts = opts or {}
  local task, terr = task_mod.load(m.task_dir)
  if not task then return nil, terr end
  local data, perr = task_mod.prepare(task, opts.log)
  if not data then return nil, perr end
  local evaluator = M.evaluator_id(task)
  local steps = rd:steps()
  local trees = M.trees(rd, #steps)
  local by_tree = M.index(rd)
  -- Each distinct tree once, at the first step that has it.
  local todo, seen, distinct = {}, {}, 0
  for i = 0, #steps do
    local t = trees[i]
    if t and not seen[t] then
      seen[t] = true
      distinct = distinct + 1
      local r = by_tree[t]
      if opts.rescore or not r or r.evaluator ~= evaluator then todo[#todo + 1] = i end
    end
  end
  local t0 = sys.mono()
  local jobs = math.max(1, math.tointeger(opts.jobs) or M.nproc())
  local argvs, exe = {}, assert(proc.exe())
  for k, i in ipairs(todo) do
    argvs[k] = { exe, "eval", rd.dir, "--step", tostring(i), "--record", "--no-cache" }
  end
  -- Each score is appended as its evaluation ends: an interrupted (or
  -- killed) evaluate_all keeps what it finished.
  local done = 0
  M.pool(argvs, jobs, function(k, output)
    local i = todo[k]
    local rec = record_of(output)
    if not rec or not rec.tree then
      rec = { tree = trees[i], error = "the evaluation did not report: " .. output:sub(-500),
        evaluator = evaluator, scored = sys.now() }
    end
    rec.step = i
    assert(rd:append_score(rec))
    by_tree[rec.tree] = rec
    done = done + 1
  end)
  local interrupted = done < #todo
  if not interrupted then
    assert(rd:append_score({ event = "all_steps", steps = #steps, evaluator = evaluator, at = sys.now() }))
  end
  return M.curve(rd, m, steps, trees, by_tree), { scored = done, cached = distinct - #todo,
    distinct = distinct, jobs = jobs, seconds = sys.mono() - t0, interrupted = interrupted,
    left = #todo - done }
end

return M
