-- replay.lua - `mlab replay RUN`: re-run a run from its own llm.jsonl and
-- check that it did the same thing: the same actions with the same inputs,
-- the same workspace tree after every step, the same status and score.
--
local cl = require("cmdline")
local view = require("view")
local run_mod = require("run")
local rundir = require("rundir")
local json = require("json")
local snap = require("mlab.snap")

local M = {}

M.help = [[
usage: mlab replay RUN [--runs-dir D] [--id ID] [-q]

Runs RUN's task and agent again with --llm replay:RUN/llm.jsonl (every model
call answered by its recording, in order; a request that differs from the
recorded one stops the replay, naming the call and showing both) and the
same budgets, into a new run directory.  Then compares the two: actions and
inputs step by step, the workspace tree after every step (history.git), the
status and the final score.  Exit status 0 when identical, 1 when not.
]]

-- Tree ids after every step, oldest first (step-0 = starter files).
-- Commit ids differ between runs (times); trees must not.
function M.trees(dir)
  local h = snap.open(dir .. "/history.git")
  if not h then return nil end
  local t = {}
  while true do
    local id = h:tree("step-" .. #t)
    if not id then break end
    t[#t + 1] = id
  end
  return #t > 0 and t or nil
end

local function same(a, b)
  return json.encode(a) == json.encode(b)
end

-- Differences between the original run and its replay, as lines.
function M.compare(a, b)
  local diffs = {}
  local function add(fmt, ...) diffs[#diffs + 1] = fmt:format(...) end
  local ma, mb = assert(rundir.at(a):manifest()), assert(rundir.at(b):manifest())
  if ma.status ~= mb.status then add("status: %s, replay %s", ma.status, mb.status) end
  if ma.score ~= mb.score then
    add("score: %s, replay %s", tostring(ma.score), tostring(mb.score))
  end
  local ta, tb = rundir.at(a):steps(), rundir.at(b):steps()
  if #ta ~= #tb then add("steps: %d, replay %d", #ta, #tb) end
  for i = 1, math.min(#ta, #tb) do
    if ta[i].action ~= tb[i].action or not same(ta[i].input, tb[i].input) then
      add("step %d: %s %s, replay %s %s", i, ta[i].action, json.encode(ta[i].input),
        tb[i].action, json.encode(tb[i].input))
    end
  end
  local ga, gb = M.trees(a), M.trees(b)
  if not ga or not gb then
    add("trees: not compared (a history could not be read)")
  else
    for i = 1, math.max(#ga, #gb) do
      if ga[i] ~= gb[i] then
        add("tree after step %d: %s, replay %s", i - 1, ga[i] or "-", gb[i] or "-")
      end
    end
  end
  return diffs, #ta
end

function M.main(args)
  local o, pos = cl.parse(args, { ["runs-dir"] = "value", id = "value",
    quiet = "flag", q = "flag" })
  if not o or #pos ~= 1 then cl.usage(M.help) end
  local rd = cl.run(o, pos[1])
  local dir = rd.dir
  local m, merr = rd:manifest()
  if not m then cl.err(merr); return 2 end
  local b = m.budgets or {}
  local quiet = o.quiet or o.q
  local opts = {
    root = cl.ROOT, task = m.task_dir, agent = m.agent_path,
    llm = "replay:" .. rd.dir, preset = m.preset, harness = m.harness,
    max_steps = math.tointeger(b.max_steps), max_time = b.max_time,
    max_tokens = math.tointeger(b.max_tokens), max_mem_mb = b.max_mem_mb,
    runs_dir = cl.runs_dir(o), id = o.id, version = cl.VERSION,
    seed = math.tointeger(m.seed) or 0,
  }
  if not quiet then
    opts.on_step = function(rec) io.stderr:write(view.step_line(rec)) end
  end
  local run, serr = run_mod.start(opts)
  if not run then cl.err(serr); return 2 end
  run.manifest.replay_of = m.id
  local rm = run_mod.complete(run, opts)
  cl.out(view.summary(rm))
  cl.out(("dir      %s\n"):format(run.paths.dir))
  local diffs, steps = M.compare(dir, run.paths.dir)
  if #diffs == 0 then
    cl.out(("replay   identical to %s: %d steps, same actions, same trees, same score\n")
      :format(m.id, steps))
    return 0
  end
  cl.out(("replay   DIFFERS from %s:\n  %s\n"):format(m.id, table.concat(diffs, "\n  ")))
  return 1
end

return M
