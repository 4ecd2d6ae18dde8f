-- env.lua - ctx.env: the agent's actions on its workspace, one step each.
--
-- Every call takes a step from the budget, runs a primitive, then (with
-- the deadline hook held off, so it is never cut in half) commits the
-- workspace and appends the step's trace line, both durable, before it
-- returns.  Failures the agent can act on come back as nil, message, code;
-- the same message is the step's observation.
local host = require("mlab.host")
local exec = require("mlab.exec")
local json = require("json")
local task_mod = require("task")
local diff = require("diff")

local Env = {}
Env.__index = Env

local M = {}

-- run: the run table of run.lua (ws, snap, paths, task, data, ...)
function M.new(run)
  return setmetatable({ run = run, done = false }, Env)
end

local function record(run, n, action, input, observation, err, code, started, duration, result)
  local body = json.encode(input, "  ")
  local commit = assert(run.snap:commit("step-" .. n,
    ("step %d: %s\n\n%s\n"):format(n, action, body)))
  local line = json.encode({
    step = n, action = action, input = input, observation = observation,
    error = err, code = code, started = started, duration_s = duration,
    tokens = host.tokens_since_mark(), commit = commit, result = result,
  })
  assert(host.append(run.paths.trace, line .. "\n"))
  run.steps = n
  if run.on_step then run.on_step(n, action, input, observation, err, duration, commit) end
end

-- A resumed run first answers the agent from its own trace (run.replay, the
-- steps recorded before the host died), checking that the agent asks for
-- the same actions; revive(rec) rebuilds what the action returned.
local function replayed(self, n, action, input, revive)
  local run = self.run
  local rec = table.remove(run.replay, 1)
  if #run.replay == 0 then run.replay = nil end
  if rec.action ~= action or json.encode(rec.input) ~= json.encode(input) then
    -- Fatal even under the agent's pcall: the hook ends the run.
    run.diverged = ("resume: the agent diverged at step %d: it asked for %s %s, "
      .. "the recorded step was %s %s"):format(n, action, json.encode(input),
      rec.action, json.encode(rec.input))
    host.exhaust("diverged")
    error(run.diverged, 0)
  end
  run.steps = n
  self.observation = rec.observation
  if rec.error then return nil, rec.error, rec.code end
  if revive then return revive(rec) end
  return true
end

-- Runs fn as step `action`.  fn returns value, observation [, result] on
-- success or nil, message, code on failure.  revive(rec) turns a recorded
-- step back into fn's value (for resume); without it the value is true.
-- Afterwards self.observation is what the step recorded as observation.
function Env:_step(action, input, fn, revive)
  if self.done then
    return nil, "the run is over: a final answer was given", "denied"
  end
  local n = host.take_step()
  if self.run.replay then return replayed(self, n, action, input, revive) end
  local started, t0 = host.now(), host.mono()
  local v, obs, extra = fn()
  local err, code, result
  if v == nil then
    err, code = obs or "failed", extra
    obs = "error: " .. err
  else
    result = extra
  end
  host.critical(record, self.run, n, action, input, obs, err, code, started,
    host.mono() - t0, result)
  -- What the agent was told, for the action catalogue to hand back.
  self.observation = obs
  if v == nil then return nil, err, code end
  return v
end

local function check_string(v, what)
  if type(v) ~= "string" then
    error(what .. " must be a string, got " .. type(v), 3)
  end
end

function Env:list_files(dir)
  dir = dir or "."
  check_string(dir, "list_files: dir")
  local ws = self.run.ws
  return self:_step("List Files", { dir_path = dir }, function()
    local names, err, code = ws:list(dir)
    if not names then return nil, err, code end
    return names, table.concat(names, "\n")
  end, function(rec)
    local names = {}
    for name in rec.observation:gmatch("[^\n]+") do names[#names + 1] = name end
    return names
  end)
end

function Env:read_file(path)
  check_string(path, "read_file: path")
  local ws = self.run.ws
  return self:_step("Read File", { file_name = path }, function()
    local text, err, code = ws:read(path)
    if not text then return nil, err, code end
    return text, text
  end, function(rec) return rec.observation end)
end

-- Lines first..last (1-based, inclusive; last defaults to the end).
local function slice_lines(text, first, last)
  local lines = {}
  for line in (text .. (text:sub(-1) == "\n" and "" or "\n")):gmatch("(.-)\n") do
    lines[#lines + 1] = line
  end
  local n = #lines
  last = math.min(last or n, n)
  if first < 1 or first > math.max(n, 1) or last < first then
    return nil, ("lines %d-%d are not in the file, which has %d lines"):format(first, last, n), n
  end
  return table.concat(lines, "\n", first, last) .. "\n", nil, n
end

function Env:inspect_lines(path, first, last)
  check_string(path, "inspect_lines: path")
  first = math.tointeger(first) or error("inspect_lines: first must be an integer", 2)
  last = last and (math.tointeger(last) or error("inspect_lines: last must be an integer", 2))
  local ws = self.run.ws
  return self:_step("Inspect Script Lines",
    { script_name = path, start_line_number = first, end_line_number = last },
    function()
      local text, err, code = ws:read(path)
      if not text then return nil, err, code end
      local part, serr, n = slice_lines(text, first, last)
      if not part then return nil, serr, "invalid" end
      local obs = ("Here are the lines (the file ends at line %d):\n\n%s"):format(n, part)
      return part, obs
    end, function(rec) return (rec.observation:match("^.-\n\n(.*)$")) end)
end

function Env:write_file(path, content)
  check_string(path, "write_file: path")
  check_string(content, "write_file: content")
  local ws = self.run.ws
  return self:_step("Write File", { file_name = path, content = content }, function()
    local ok, err, code = ws:write(path, content)
    if not ok then return nil, err, code end
    return true, ("File %s written successfully."):format(path)
  end)
end

function Env:append_file(path, content)
  check_string(path, "append_file: path")
  check_string(content, "append_file: content")
  local ws = self.run.ws
  return self:_step("Append File", { file_name = path, content = content }, function()
    local ok, err, code = ws:append(path, content)
    if not ok then return nil, err, code end
    return true, ("File %s appended successfully."):format(path)
  end)
end

function Env:copy_file(src, dst)
  check_string(src, "copy_file: source")
  check_string(dst, "copy_file: destination")
  local ws = self.run.ws
  return self:_step("Copy File", { source = src, destination = dst }, function()
    local ok, err, code = ws:copy(src, dst)
    if not ok then return nil, err, code end
    return true, ("File %s copied to %s."):format(src, dst)
  end)
end

-- spec: { first = n, last = m, text = "..." } or { old = "...", new = "..." }
function Env:edit(path, spec)
  check_string(path, "edit: path")
  if type(spec) ~= "table" then error("edit: expected a table { first, last, text } or { old, new }", 2) end
  local ws = self.run.ws
  local input = { file_name = path }
  for k, v in pairs(spec) do input[k] = v end
  return self:_step("Edit File", input, function()
    local ok, err, code
    local before = ws:read(path)
    if spec.old ~= nil then
      if type(spec.old) ~= "string" or type(spec.new) ~= "string" then
        return nil, "edit: old and new must be strings", "invalid"
      end
      ok, err, code = ws:edit_string(path, spec.old, spec.new)
    else
      local first, last = math.tointeger(spec.first), math.tointeger(spec.last)
      if not first or not last or type(spec.text) ~= "string" then
        return nil, "edit: give { first = N, last = M, text = \"...\" } or { old = \"...\", new = \"...\" }", "invalid"
      end
      ok, err, code = ws:edit_lines(path, first, last, spec.text)
    end
    if not ok then return nil, err, code end
    local after = ws:read(path) or ""
    return true, ("File %s edited. Here is the diff:\n%s"):format(path,
      diff.unified(before or "", after, { from = "a/" .. path, to = "b/" .. path }))
  end)
end

function Env:undo_edit(path)
  check_string(path, "undo_edit: path")
  local ws = self.run.ws
  return self:_step("Undo Edit Script", { script_name = path }, function()
    local ok, err, code = ws:undo(path)
    if not ok then return nil, err, code end
    return true, ("The last edit of %s was undone."):format(path)
  end)
end

-- What the agent reads after a script: its output, then a footer line when
-- it did not end normally.
local function exec_footer(r)
  if r.cancelled then
    return "\n[killed: mlab was stopped]"
  elseif r.timed_out then
    return ("\n[killed: %s after %.0f s]"):format(
      r.deadline and "the run's time budget ran out" or "the script's time limit", r.duration)
  elseif r.signal ~= 0 then
    return ("\n[killed by signal %d]"):format(r.signal)
  elseif r.status ~= 0 then
    return ("\n[exit status %d]"):format(r.status)
  end
  return ""
end

local function revive_exec(rec)
  local r = rec.result
  local out = rec.observation
  local footer = out:match("\n%[[^\n]*%]$")
  if footer and (r.cancelled or r.timed_out or r.signal ~= 0 or r.status ~= 0) then
    out = out:sub(1, #out - #footer)
  end
  return { status = math.tointeger(r.status), signal = math.tointeger(r.signal),
           timed_out = r.timed_out, truncated = r.truncated, output = out,
           duration = rec.duration_s }
end

-- Runs a script of the workspace (python for .py, bash for .sh).
function Env:execute(script, args)
  check_string(script, "execute: script")
  if args ~= nil and type(args) ~= "table" then error("execute: args must be a list of strings", 2) end
  local run = self.run
  local task = run.task
  local input = { script_name = script }
  if args and #args > 0 then input.arguments = args end
  local result, err, code = self:_step("Execute Script", input, function()
    local path, perr, pcode = run.ws:resolve(script)
    if not path then return nil, perr, pcode end
    local st = host.stat(path)
    if not st or st.type ~= "file" then
      return nil, ("'%s' is not a file in the workspace"):format(script), "not_found"
    end
    local argv = task_mod.interpreter(script)
    for _, a in ipairs(args or {}) do argv[#argv + 1] = tostring(a) end
    local r, eerr, ecode = exec.run({
      argv = argv, cwd = run.paths.workspace, timeout = task.timeout,
      mem_mb = task.memory_mb, procs = 512, out_cap = run.out_cap,
      sandbox = run.sandbox, hide = run.hide,
    })
    if not r then return nil, eerr, ecode end
    local res = { status = r.status, signal = r.signal, timed_out = r.timed_out,
                  truncated = r.truncated, output = r.output, duration = r.duration }
    if r.deadline then host.exhaust("time") end
    return res, r.output .. exec_footer(r), { status = r.status, signal = r.signal,
      timed_out = r.timed_out, deadline = r.deadline, cancelled = r.cancelled,
      truncated = r.truncated }
  end, revive_exec)
  return result, err, code
end

function Env:final_answer(text)
  if type(text) ~= "string" then text = tostring(text) end
  local run = self.run
  local ok, err = self:_step("Final Answer", { final_answer = text }, function()
    return true, "end"
  end)
  if ok then
    run.final_answer = text
    self.done = true
  end
  return ok, err
end

return M
