--[[ rundir.lua - the run directory: its layout, and the only reader and
writer of run.json, trace.jsonl and llm.jsonl.

  local rundir = require("rundir")
  local rd = rundir.at(dir)             -- a handle; no I/O
  local rd, err = rundir.create(runs_dir, id)    -- a new, empty run dir
  local rd, err = rundir.find(runs_dir, name)    -- id, unique prefix, path, "last"
  rundir.list(runs_dir)                 -- handles, oldest first
  rundir.valid_id(id)                   -- true | nil, why
  rundir.new_id(task, agent)            -- "20261129-211001-digits-tuner-3fa2"

  rd.dir, rd.id, rd.paths               -- manifest, trace, llm, workspace, git,
                                        -- undo, log, scores, page (run.html)
  rd:manifest()                         -- m | nil, err
  rd:write_manifest(m)                  -- atomic (write, fsync, rename)
  rd:status([m])                        -- m.status, or "killed" when the host
                                        -- that wrote "running" is gone
  rd:steps()                            -- steps 1..N, end event | nil
  rd:append_step(rec) / rd:append_end(ev)   -- one line each; a step's line and
                                        -- model calls are flushed by the step
  rd:keep_steps(steps)                  -- the trace becomes exactly these
  rd:tally([cursor])                    -- steps and tokens so far, read on
                                        -- from where the last tally stopped
  rd:calls() / rd:append_call(rec) / rd:keep_calls(calls)
  rundir.recording(source, runs_dir)   -- a replay's records, and their path
  rd:scores() / rd:append_score(rec)    -- per-tree scores (scores.jsonl)
  rd:write_page(html)                   -- the run's page (run.html)
  rundir.branches(runs_dir, id)         -- runs whose run.json names id as parent
  rundir.is_run(dir)                    -- dir holds a run (its run.json)
  rundir.host_alive(m)                  -- the mlab that wrote m still runs
                                        -- (pid and pid_start: not a reuse)
  rundir.pid_start(pid)                 -- when a process started

  The history, read only (history.git through mlab.snap):
  rd:history()                          -- the snap handle (opened once)
  rd:changed(n)                         -- { {status="M", path="x"}, ... } of step n
  rd:files_at(n)                        -- sorted paths after step n
  rd:read_at(n, path, tmp)              -- a file's bytes after step n | nil, err
  rd:diff(a, b [, path])                -- unified diff, step a to step b
  rd:close()                            -- removes read_at's checkouts

Every line is JSON with sorted keys (stdlib/json.lua: bytes that are not
UTF-8 are written as \udc80-\udcff and read back exactly).  Readers take
whole lines in order and stop at a torn last line: that is the step the
host was writing when it died.
]]
local sys = require("mlab.sys")
local json = require("json")

local M = {}

local FILES = {
  manifest = "run.json", trace = "trace.jsonl", llm = "llm.jsonl",
  workspace = "workspace", git = "history.git", undo = "undo",
  log = "agent.log", scores = "scores.jsonl", page = "run.html",
}

local Rundir = {}
Rundir.__index = Rundir

function M.at(dir)
  local paths = { dir = dir }
  for k, f in pairs(FILES) do paths[k] = dir .. "/" .. f end
  return setmetatable({ dir = dir, id = dir:match("([^/]+)/*$"), paths = paths }, Rundir)
end

-- A run id is a name, never a path: it must stay inside the runs folder.
function M.valid_id(id)
  if type(id) ~= "string" or not id:match("^[%w][%w._%-]*$") or #id > 128 then
    return nil, ("bad run id '%s': use letters, digits, '.', '_' and '-' "
      .. "(at most 128, starting with a letter or digit)"):format(tostring(id))
  end
  return true
end

function M.new_id(task, agent)
  local name = agent:match("([^/]+)%.lua$") or agent:match("([^/]+)$") or agent
  name = name:gsub("[^%w._%-]", "_")
  return ("%s-%s-%s-%s"):format(os.date("!%Y%m%d-%H%M%S"), task, name, sys.random_hex(2))
end

function M.create(runs_dir, id)
  local ok, err = M.valid_id(id)
  if not ok then return nil, err end
  local dir = runs_dir .. "/" .. id
  if sys.stat(dir) then return nil, "run " .. dir .. " already exists" end
  ok, err = sys.mkdir_p(dir)
  if not ok then return nil, err end
  return M.at(dir)
end

local function read_lines(path)
  local text = sys.read(path)
  if not text then return {} end
  local out, at = {}, 1
  -- A plain find: a pattern like "([^\n]*)\n" backtracks over a torn
  -- last line from every position, quadratic in its length.
  while true do
    local nl = text:find("\n", at, true)
    if not nl then break end -- a line without its newline is torn
    local v = json.decode(text:sub(at, nl - 1))
    if type(v) ~= "table" then break end
    out[#out + 1] = v
    at = nl + 1
  end
  return out
end

local function append_line(path, v, sync)
  return sys.append(path, json.encode(v) .. "\n", sync)
end

local function write_lines(path, list)
  local lines = {}
  for i, v in ipairs(list) do lines[i] = json.encode(v) .. "\n" end
  return sys.write_atomic(path, table.concat(lines))
end

function Rundir:manifest()
  local text, err = sys.read(self.paths.manifest)
  if not text then return nil, "cannot read " .. self.paths.manifest .. ": " .. tostring(err) end
  local m, jerr = json.decode(text)
  if type(m) ~= "table" then return nil, self.paths.manifest .. ": " .. tostring(jerr) end
  return m
end

function Rundir:write_manifest(m)
  return sys.write_atomic(self.paths.manifest, json.encode(m, "  ") .. "\n")
end

-- When process pid started (clock ticks since boot, /proc/PID/stat's
-- 22nd field), or nil: with the pid it names one process, never a later
-- one that reused the number.
function M.pid_start(pid)
  local f = io.open("/proc/" .. math.tointeger(pid) .. "/stat", "rb")
  if not f then return nil end
  local stat = f:read("a") or ""
  f:close()
  -- The fields after the command name, which may hold spaces and ')'.
  local rest = stat:match("^.*%)%s+(.*)$")
  local fields = {}
  for w in (rest or ""):gmatch("%S+") do fields[#fields + 1] = w end
  return math.tointeger(tonumber(fields[20])) -- field 22 of the whole line
end

-- Is the mlab that recorded m (pid, pid_start) still running it here?
-- A pid reused by another process after a crash does not count.
function M.host_alive(m)
  local pid = m and math.tointeger(m.pid)
  if not pid or not sys.alive(pid) then return false end
  return m.pid_start == nil or M.pid_start(pid) == math.tointeger(m.pid_start)
end

-- A run still marked running whose host process is gone was killed.
function Rundir:status(m)
  m = m or self:manifest()
  if not m then return "unknown" end
  if m.status == "running" and not M.host_alive(m) then return "killed" end
  return m.status
end

-- Step lines 1..N in order, and the end event when the run wrote one.
function Rundir:steps()
  local steps, ended = {}, nil
  for _, v in ipairs(read_lines(self.paths.trace)) do
    if v.event == "end" then
      ended = v
    elseif v.step == #steps + 1 then
      steps[#steps + 1] = v
    else
      break -- a gap: nothing after it is trusted
    end
  end
  return steps, ended
end

-- A step's line is not flushed here: the step ends with one flush of the
-- run's filesystem (step.lua, snap:sync) covering its commit and this line.
function Rundir:append_step(rec) return append_line(self.paths.trace, rec, false) end
function Rundir:append_end(ev)
  ev.event = "end"
  return append_line(self.paths.trace, ev)
end
function Rundir:keep_steps(steps) return write_lines(self.paths.trace, steps) end

-- Steps and tokens recorded so far, for a live view of a running run:
-- reads only what was appended since the cursor (the table returned by
-- the last call, or nil to start); a trace that shrank (a resume rewrote
-- it) is read again from the start.
function Rundir:tally(cursor)
  local c = cursor or { offset = 0, steps = 0, tokens = 0 }
  local f = io.open(self.paths.trace, "rb")
  if not f then return c end
  local size = f:seek("end")
  if size < c.offset then c = { offset = 0, steps = 0, tokens = 0 } end
  f:seek("set", c.offset)
  local data = f:read("a") or ""
  f:close()
  local at = 1
  while true do -- a plain find (see read_lines); a torn last line waits
    local nl = data:find("\n", at, true)
    if not nl then break end
    local line = data:sub(at, nl - 1)
    at = nl + 1
    c.offset = c.offset + #line + 1
    local v = json.decode(line)
    if type(v) == "table" and v.step then
      c.steps = math.max(c.steps, math.tointeger(v.step) or 0)
      c.tokens = c.tokens + (tonumber(v.tokens) or 0)
    end
  end
  return c
end

-- llm.jsonl is written canonically (json.canonical): replay compares
-- requests byte for byte.
function Rundir:calls() return read_lines(self.paths.llm) end
function Rundir:append_call(rec)
  return sys.append(self.paths.llm, json.canonical(rec) .. "\n", false)
end
function Rundir:keep_calls(calls)
  local lines = {}
  for i, v in ipairs(calls) do lines[i] = json.canonical(v) .. "\n" end
  return sys.write_atomic(self.paths.llm, table.concat(lines))
end

-- A recording to replay (--llm replay:SOURCE): SOURCE is an llm.jsonl
-- file, a run directory, or a run id in runs_dir.  Every line must be a
-- recorded call.  Returns records, path or nil, message.
function M.recording(source, runs_dir)
  local tried = { source, source .. "/" .. FILES.llm }
  if runs_dir then tried[3] = runs_dir .. "/" .. source .. "/" .. FILES.llm end
  for _, path in ipairs(tried) do
    local st = sys.stat(path)
    if st and st.type == "file" then
      local text, err = sys.read(path)
      if not text then return nil, err end
      local records, n = {}, 0
      for line in text:gmatch("[^\n]+") do
        n = n + 1
        local rec = json.decode(line)
        if type(rec) ~= "table" or type(rec.request) ~= "table" then
          return nil, path .. ":" .. n .. ": not a recorded call"
        end
        records[#records + 1] = rec
      end
      return records, path
    end
  end
  return nil, "replay: no recording at " .. table.concat(tried, " or ")
end

function Rundir:scores() return read_lines(self.paths.scores) end
function Rundir:append_score(rec) return append_line(self.paths.scores, rec) end

-- The history, read only.  Steps are tags step-N.
function Rundir:history()
  if not self._history then
    local h, err = require("mlab.snap").open(self.paths.git)
    if not h then return nil, err end
    self._history = h
  end
  return self._history
end

function Rundir:changed(n)
  local h, err = self:history()
  if not h then return nil, err end
  local text, cerr = h:changes("step-" .. math.tointeger(n))
  if not text then return nil, cerr end
  local out = {}
  for line in text:gmatch("[^\n]+") do
    local st, path = line:match("^(%S+)%s+(.*)$")
    if st then out[#out + 1] = { status = st, path = path } end
  end
  return out
end

-- Paths in the workspace after step n, from what steps 0..n changed.
function Rundir:files_at(n)
  local present = {}
  local h, err = self:history()
  if not h then return nil, err end
  local last -- tags of an imported run may name one commit: walk it once
  for k = 0, math.tointeger(n) do
    local id = h:resolve("step-" .. k)
    if not id then return nil, ("run %s has no step %d"):format(self.id, k) end
    if id ~= last then
      for _, c in ipairs(self:changed(k) or {}) do
        if c.status == "D" then
          present[c.path] = nil
        elseif c.status == "R" then -- "R old -> new"
          local old, new = c.path:match("^(.-) %-> (.*)$")
          if old then present[old] = nil; present[new] = true else present[c.path] = true end
        else
          present[c.path] = true
        end
      end
    end
    last = id
  end
  local out = {}
  for p in pairs(present) do out[#out + 1] = p end
  table.sort(out)
  return out
end

function Rundir:diff(a, b, path)
  local h, err = self:history()
  if not h then return nil, err end
  return h:diff(a and ("step-" .. math.tointeger(a)) or nil, "step-" .. math.tointeger(b), path)
end

-- A file's bytes after step n.  The step is checked out once under tmp (a
-- folder the caller owns; rd:close() removes the checkouts).  Paths are
-- relative and stay inside the workspace; a symbolic link (git mode
-- 120000) is not followed.
function Rundir:read_at(n, path, tmp)
  n = math.tointeger(n)
  if type(path) ~= "string" or path == "" or path:sub(1, 1) == "/"
      or ("/" .. path .. "/"):find("/%.%.?/") then
    return nil, "a workspace path is relative, without '.' or '..' parts: " .. tostring(path)
  end
  local files = self:files_at(n)
  if not files then return nil, ("run %s has no step %d"):format(self.id, n) end
  local found = false
  for _, p in ipairs(files) do if p == path then found = true; break end end
  if not found then return nil, ("no file %s after step %d"):format(path, n) end
  local h = self:history()
  -- the step that last wrote it: its diff header shows the mode
  for k = n, 0, -1 do
    local patch = h:diff(k > 0 and ("step-" .. (k - 1)) or nil, "step-" .. k, path)
    if patch and patch ~= "" then
      if patch:find("\nnew file mode 120000", 1, true) or patch:find("\nnew mode 120000", 1, true)
          or patch:find("\nindex %x+%.%.%x+ 120000") then
        return nil, path .. " is a symbolic link in the workspace: not followed"
      end
      break
    end
  end
  self._checkouts = self._checkouts or {}
  local dir = self._checkouts[n]
  if not dir then
    dir = ("%s/%s-step-%d-%s"):format(tmp, self.id, n, sys.random_hex(4))
    local ok, cerr = h:checkout("step-" .. n, dir)
    if not ok then return nil, cerr end
    self._checkouts[n] = dir
  end
  return sys.read(dir .. "/" .. path)
end

function Rundir:close()
  for _, dir in pairs(self._checkouts or {}) do sys.remove_tree(dir) end
  self._checkouts = nil
  self._history = nil
end

-- The run's page (mlab show RUN --html): written whole, atomically.
function Rundir:write_page(text) return sys.write_atomic(self.paths.page, text) end

-- A run directory: a folder with a manifest.
function M.is_run(dir) return sys.stat(dir .. "/" .. FILES.manifest) ~= nil end

-- Every run directory (a folder with run.json) in runs_dir, oldest first.
function M.list(runs_dir)
  local out = {}
  for _, n in ipairs(sys.list_dir(runs_dir) or {}) do
    local rd = M.at(runs_dir .. "/" .. n)
    if sys.stat(rd.paths.manifest) then
      local m = rd:manifest()
      rd.started = m and tonumber(m.started) or 0
      out[#out + 1] = rd
    end
  end
  table.sort(out, function(a, b)
    if a.started ~= b.started then return a.started < b.started end
    return a.id < b.id
  end)
  return out
end

-- A run named by the user: a path to a run directory, "last", an id or a
-- unique prefix of one.
function M.find(runs_dir, name)
  if not name then return nil, "which run? (see mlab runs)" end
  if name:find("/") then
    local dir = name:gsub("/+$", "")
    if sys.stat(dir .. "/" .. FILES.manifest) then return M.at(dir) end
    return nil, "no run at " .. name .. " (no " .. FILES.manifest .. ")"
  end
  local all = M.list(runs_dir)
  if name == "last" then
    if #all == 0 then return nil, "no runs in " .. runs_dir end
    return all[#all]
  end
  local hits = {}
  for _, rd in ipairs(all) do
    if rd.id == name then return rd end
    if rd.id:sub(1, #name) == name then hits[#hits + 1] = rd.id end
  end
  if #hits == 1 then return M.at(runs_dir .. "/" .. hits[1]) end
  if #hits > 1 then
    return nil, "'" .. name .. "' matches " .. #hits .. " runs: " .. table.concat(hits, ", ")
  end
  return nil, "no run '" .. name .. "' in " .. runs_dir
end

-- The runs of runs_dir that were branched from run `id` (their run.json
-- names it as parent), by fork step then id.
function M.branches(runs_dir, id)
  local out = {}
  for _, rd in ipairs(M.list(runs_dir)) do
    local m = rd:manifest()
    if m and m.parent and m.parent.id == id then
      rd.fork_step = m.parent.step
      out[#out + 1] = rd
    end
  end
  table.sort(out, function(a, b)
    if a.fork_step ~= b.fork_step then return (a.fork_step or 0) < (b.fork_step or 0) end
    return a.id < b.id
  end)
  return out
end

return M
