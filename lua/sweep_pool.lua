--[[ sweep_pool.lua - running a sweep's runs as child processes of this
mlab: at most `jobs` at once (the local backend), or one (a Slurm job's
cell).  Each child is a normal `mlab run` or `mlab resume` of the pinned
tree, in a process group of its own, its output appended to
runs/.logs/ID.log.

  local pool = require("sweep_pool")
  local sig = pool.run(sw, work, { jobs = n, progress = pr })
      -- work: { {cell=, action=}, ... } in order; returns the signal that
      -- stopped the pool (INT, TERM, HUP, USR1) or nil when all ended
  local status, sig = pool.one(sw, cell, action)   -- a single child

A signal to mlab (Ctrl-C on a terminal reaches mlab only: the children
have their own process groups) is passed on to every running child, which
finishes the step in flight, records it, evaluates the workspace and ends
as killed; no new run starts, and mlab waits for them all.  The same
command later resumes them from their last step.
]]
local sys = require("mlab.sys")
local proc = require("mlab.proc")

local M = {}

-- The signal children get when mlab got sig: each ends a run as killed.
local FORWARD = { INT = "INT", TERM = "TERM", HUP = "TERM", USR1 = "USR1" }
M.NUMBER = { INT = 2, TERM = 15, HUP = 1, USR1 = 10 }

local function header(sw, cell, argv)
  local line = ("== %s %s: %s\n"):format(os.date("!%Y-%m-%dT%H:%M:%SZ"), cell.id,
    table.concat(argv, " ", 2))
  sys.append(sw:log_path(cell), line)
end

-- Starts a child for cell, one of jobs sharing the machine; the child
-- table or nil, message.
function M.spawn(sw, cell, action, jobs)
  if action == "restart" then
    local ok, err = sw:retire(cell)
    if not ok then return nil, "cannot retire the old run: " .. tostring(err) end
    action = "start"
  end
  local argv = sw:argv(cell, action)
  header(sw, cell, argv)
  local p, err = proc.spawn({ argv = argv, env = sw:env(jobs), cwd = sw.dir,
    out = sw:log_path(cell), group = true })
  if not p then return nil, err end
  return { cell = cell, action = action, p = p, t0 = sys.mono() }
end

-- The last lines a child wrote (after its header), for a run that never
-- got a manifest.
local function log_tail(sw, cell)
  local text = sys.read(sw:log_path(cell)) or ""
  local lines = {}
  for line in text:gmatch("[^\n]+") do
    if line:match("^== ") then lines = {} else lines[#lines + 1] = line end
  end
  return table.concat(lines, " | ", math.max(1, #lines - 1))
end

-- What an ended child left: class, manifest, note.
function M.outcome(sw, child, st)
  local class, m = sw:state(child.cell)
  if class == "missing" or class == "broken" then
    return "infra", nil, ("mlab %s exited with %s: %s"):format(
      child.action == "resume" and "resume" or "run",
      st.signal > 0 and ("signal " .. st.signal) or ("status " .. st.status),
      log_tail(sw, child.cell))
  end
  if class == "running" then class = "killed" end
  return class, m
end

function M.run(sw, work, o)
  local jobs, pr = math.max(1, o.jobs or 1), o.progress
  local queue, running, watching, stopping = {}, {}, {}, nil
  for _, w in ipairs(work) do
    if w.action == "busy" then watching[#watching + 1] = w else queue[#queue + 1] = w end
  end
  local cpu = { self = 0, children = 0 }
  local function stop_all(sig)
    for _, r in ipairs(running) do r.p:kill(FORWARD[sig] or "TERM", true) end
  end
  while true do
    local sig = proc.signalled()
    if sig and not stopping then
      stopping = FORWARD[sig] and sig or "TERM"
      if pr then
        pr:write(("\nmlab got SIG%s: stopping %d running runs (each records its step in "
          .. "flight and ends as killed)\n"):format(stopping, #running))
      end
      stop_all(stopping)
    end
    while not stopping and #running + #watching < jobs and #queue > 0 do
      local w = table.remove(queue, 1)
      local child, err = M.spawn(sw, w.cell, w.action, jobs)
      if child then
        running[#running + 1] = child
        if pr then pr:started(w.cell, w.action) end
      elseif pr then
        pr:ended(w.cell, "infra", nil, nil, err)
      end
    end
    -- Runs another mlab was running when this one began: when their host
    -- is gone, they are done, or resumed here.
    for i = #watching, 1, -1 do
      local w = watching[i]
      local action, class, m = sw:action(w.cell, {})
      if action ~= "busy" then
        table.remove(watching, i)
        if action == "done" or stopping then
          if pr then pr:ended(w.cell, class, m, nil, "(ran under another mlab)") end
        else
          table.insert(queue, 1, { cell = w.cell, action = action })
        end
      end
    end
    if #running == 0 and (stopping or (#watching == 0 and #queue == 0)) then break end
    if #running == 0 and #queue > 0 then goto continue end -- a watched run to resume
    local procs = {}
    for i, r in ipairs(running) do procs[i] = r.p end
    if #procs > 0 then proc.wait(procs, 1.0) else sys.sleep(1) end
    for i = #running, 1, -1 do
      local r = running[i]
      local st = r.p:poll()
      if st then
        table.remove(running, i)
        cpu.self = cpu.self + st.cpu_self
        cpu.children = cpu.children + st.cpu_children
        local class, m, note = M.outcome(sw, r, st)
        if pr then pr:ended(r.cell, class, m, sys.mono() - r.t0, note) end
      end
    end
    if pr then pr:tick(running) end
    ::continue::
  end
  M.last_cpu = cpu
  return stopping
end

-- One child, signals passed on; returns its exit status (0 when it ended
-- by itself or by a signal it recorded) and the signal mlab got, if any.
function M.one(sw, cell, action)
  local child, err = M.spawn(sw, cell, action, 1)
  if not child then return nil, err end
  local forwarded
  while true do
    local sig = proc.signalled()
    if sig and sig ~= forwarded then
      forwarded = sig
      child.p:kill(FORWARD[sig] or "TERM", true)
    end
    proc.wait({ child.p }, 5.0)
    local st = child.p:poll()
    if st then return st, forwarded, child end
  end
end

return M
