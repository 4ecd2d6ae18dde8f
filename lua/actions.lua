-- actions.lua - ctx.actions: the agent-facing actions of the reference
-- study (MLAgentBench), by its names, over the workspace primitives.
--
--   local obs, info = ctx.actions:run("Execute Script", {script_name = "train.py"})
--   -- input: a table or the model's Action Input text (read tolerantly)
--   -- obs: always a string, what to show the model
--   -- info: { ok = bool, action = canonical name, error = msg, code = kind,
--   --         final = true after an accepted Final Answer }
--   ctx.actions:list()             names of the enabled actions
--   ctx.actions:specs([names])     {name, description, args, returns} entries
--   ctx.actions:describe([names])  those as prompt text (stdlib/prompt.lua)
--   ctx.actions:get(name)          one entry, or nil
--   ctx.actions:enable(name) / :disable(name)   (Python REPL starts disabled)
--
-- Each run() is ONE step of the run: traced, committed, counted; the
-- model-backed actions call the run's model inside that step, so their
-- tokens are the step's tokens.  Bad input (an unknown action, Action
-- Input that is not JSON, a missing or mistyped argument) is a step too,
-- whose observation says what was wrong and what is valid: it never ends
-- the run.
local host = require("mlab.host")
local exec = require("mlab.exec")
local task_mod = require("task")
local action_input = require("action_input")
local reply = require("reply")
local prompt = require("prompt")
local diff = require("diff")
local observation = require("observation")
local research_log = require("research_log")
local tokens = require("tokens")

local M = {}

M.LOG = "research_log.log"  -- the research log, in the workspace
M.MAX_INSPECT = 100          -- lines per Inspect Script Lines
M.BLOCK = 10000              -- characters per Understand File block

local FILE = "a file name, relative to the workspace"
local SCRIPT = "a script name, relative to the workspace"

-- The catalogue: the reference study's actions, in its order.  args[i] =
-- { name, type ("string" | "integer"), description, optional }.
local CATALOGUE = {
  { name = "List Files", primitive = true,
    description = "Use this to navigate the file system.",
    args = { { name = "dir_path", type = "string",
               description = 'a folder relative to the workspace, such as "." or "data"' } },
    returns = "the files and folders in dir_path, one a line, or an error message" },
  { name = "Read File", primitive = true,
    description = "Use this to read an existing file.",
    args = { { name = "file_name", type = "string", description = FILE } },
    returns = "the contents of the file" },
  { name = "Write File", primitive = true,
    description = "Use this to write a file. If the file already exists, it will be overwritten.",
    args = { { name = "file_name", type = "string", description = FILE },
             { name = "content", type = "string", description = "the content to write" } },
    returns = "a success message, or an error message" },
  { name = "Append File", primitive = true,
    description = "Use this to append a file to a new location with a new name.",
    args = { { name = "file_name", type = "string", description = FILE },
             { name = "content", type = "string", description = "the content to append" } },
    returns = "a success message, or an error message" },
  { name = "Copy File", primitive = true,
    description = "Use this to copy a file to a new location with a new name.",
    args = { { name = "source", type = "string", description = FILE },
             { name = "destination", type = "string", description = FILE } },
    returns = "a success message, or an error message" },
  { name = "Undo Edit Script", primitive = true,
    description = "Use this to undo the last edit of the script (restores the version before it).",
    args = { { name = "script_name", type = "string", description = SCRIPT } },
    returns = "the content of the script after the undo, or an error message" },
  { name = "Execute Script", primitive = true,
    description = "Use this to execute the script. The script must already exist.",
    args = { { name = "script_name", type = "string", description = SCRIPT } },
    returns = "the output of the script, or its errors" },
  { name = "Python REPL", primitive = true, off = true,
    description = "A python REPL. Use this to execute single line python commands "
      .. "(each call runs in a fresh interpreter in the workspace).",
    args = { { name = "command", type = "string", description = "a valid python command" } },
    returns = "the output of the command, or its errors" },
  { name = "Final Answer", primitive = true,
    description = "Use this to provide the final answer to the current task.",
    args = { { name = "final_answer", type = "string",
               description = "a detailed description of the final answer" } },
    returns = "nothing: the run ends" },
  { name = "Understand File",
    description = "Use this to read the whole file and understand certain aspects. You should "
      .. "provide detailed description on what to look for and what should be returned. To get "
      .. "a better understanding of the file, you can use Inspect Script Lines action to inspect "
      .. "specific part of the file.",
    args = { { name = "file_name", type = "string", description = FILE },
             { name = "things_to_look_for", type = "string",
               description = "a detailed description of what to look for and what to return" } },
    returns = "a description of the relevant content and lines of the file" },
  { name = "Append Summary to Research Log",
    description = "Append to the summary of previous step to research log",
    args = { { name = "content", type = "string", description = "a string within 500 characters" } },
    returns = "a success message, or an error message" },
  { name = "Inspect Script Lines",
    description = "Use this to inspect specific part of a python script precisely, or the full "
      .. "content of a short script. The number of lines to display is limited to "
      .. M.MAX_INSPECT .. " lines. This is especially helpful when debugging.",
    args = { { name = "script_name", type = "string", description = SCRIPT },
             { name = "start_line_number", type = "integer", description = "the first line, from 1" },
             { name = "end_line_number", type = "integer", description = "the last line" } },
    returns = "the lines asked for, and the line where the file ends" },
  { name = "Edit Script (AI)",
    description = "Use this to do a relatively large but cohesive edit over a python script. "
      .. "Instead of editing the script directly, you should describe the edit instruction so "
      .. "that another AI can help you do this.",
    args = { { name = "script_name", type = "string",
               description = SCRIPT .. "; an empty script is created if it does not exist" },
             { name = "edit_instruction", type = "string",
               description = "a detailed step by step description of how to edit it" },
             { name = "save_name", type = "string", description = "where to save the edited script" } },
    returns = "the diff of the edit; check that it is correct and desirable" },
  { name = "Edit Script Segment (AI)",
    description = "Use this to do a relatively large but cohesive edit over a segment of a long "
      .. "python script (a range of its lines), described by an instruction another AI follows.",
    args = { { name = "script_name", type = "string", description = SCRIPT },
             { name = "start_line_number", type = "integer", description = "the first line of the segment" },
             { name = "end_line_number", type = "integer", description = "the last line of the segment" },
             { name = "edit_instruction", type = "string",
               description = "a detailed step by step description of how to edit it" },
             { name = "save_name", type = "string", description = "where to save the edited script" } },
    returns = "the diff of the edit; check that it is correct and desirable" },
  { name = "Reflection",
    description = "Use this to look over all the past steps and reflect. You should provide "
      .. "detailed description on what to reflect on and what should be returned.",
    args = { { name = "things_to_reflect_on", type = "string",
               description = "a detailed description of what to reflect on and what to return" } },
    returns = "the reflection" },
  { name = "Retrieval from Research Log",
    description = "Use this to retrieve relevant information from the research log. You should "
      .. "provide detailed description on what to look for and what should be returned.",
    args = { { name = "current_plan", type = "string",
               description = "a detailed description of the current research plan and status" } },
    returns = "the relevant content of the research log" },
}

local BY_NAME = {}
for _, e in ipairs(CATALOGUE) do BY_NAME[e.name] = e end

local Actions = {}
Actions.__index = Actions

-- run: run.lua's run table (ws, env, task, paths); llm: ctx.llm
function M.new(run, llm)
  local enabled = {}
  for _, e in ipairs(CATALOGUE) do enabled[e.name] = not e.off end
  return setmetatable({ _run = run, env = run.env, llm = llm, enabled = enabled }, Actions)
end

local function public(e)
  local args = {}
  for i, a in ipairs(e.args) do
    args[i] = { name = a.name, type = a.type, description = a.description, optional = a.optional }
  end
  return { name = e.name, description = e.description, args = args, returns = e.returns }
end

function Actions:list()
  local out = {}
  for _, e in ipairs(CATALOGUE) do
    if self.enabled[e.name] then out[#out + 1] = e.name end
  end
  return out
end

function Actions:get(name)
  local e = BY_NAME[name]
  return e and public(e) or nil
end

function Actions:specs(names)
  local out = {}
  for _, n in ipairs(names or self:list()) do
    local e = BY_NAME[n] or error("actions: no action named '" .. tostring(n) .. "'", 2)
    out[#out + 1] = public(e)
  end
  return out
end

function Actions:describe(names)
  return prompt.describe_actions(self:specs(names))
end

function Actions:enable(name)
  if not BY_NAME[name] then error("actions: no action named '" .. tostring(name) .. "'", 2) end
  self.enabled[name] = true
end

function Actions:disable(name)
  if not BY_NAME[name] then error("actions: no action named '" .. tostring(name) .. "'", 2) end
  self.enabled[name] = false
end

---------------------------------------------------------------------------
-- Validation: input -> arguments of the right types, or what is wrong.

local function usage_text(e)
  return prompt.usage(public(e))
end

-- A value as the argument type wants it, or nil, why not.
local function coerce(a, v)
  if a.type == "integer" then
    local n = math.tointeger(v) or (type(v) == "string" and math.tointeger(tonumber(v)))
    if n then return n end
    return nil, ("%s must be a whole number, not %s"):format(a.name,
      type(v) == "string" and ("%q"):format(v) or type(v))
  end
  if type(v) == "string" then return v end
  if type(v) == "number" then return tostring(v) end
  -- A list of one name (models write {"dir_path": ["."]}).
  if type(v) == "table" and #v == 1 and type(v[1]) == "string" then return v[1] end
  return nil, ("%s must be a string, not a %s"):format(a.name,
    type(v) == "table" and (#v > 0 and "list" or "JSON object") or type(v))
end

local function validate(e, input)
  local notes = {}
  if type(input) == "string" then
    local keys = {}
    for i, a in ipairs(e.args) do keys[i] = a.name end
    local t, err = action_input.parse(input, keys)
    if not t then return nil, err end
    input = t
  elseif input == nil then
    input = {}
  elseif type(input) ~= "table" then
    return nil, "Action Input must be a JSON object, not a " .. type(input)
  end
  local args, missing, wrong = {}, {}, {}
  for _, a in ipairs(e.args) do
    local v = input[a.name]
    if v == nil then
      if not a.optional then missing[#missing + 1] = a.name end
    else
      local c, err = coerce(a, v)
      if c == nil then wrong[#wrong + 1] = err else args[a.name] = c end
    end
  end
  if #missing > 0 or #wrong > 0 then
    local parts = {}
    if #missing > 0 then parts[#parts + 1] = "missing " .. table.concat(missing, ", ") end
    for _, w in ipairs(wrong) do parts[#parts + 1] = w end
    local unknown = {}
    for k in pairs(input) do
      local known = false
      for _, a in ipairs(e.args) do if a.name == k then known = true end end
      if not known then unknown[#unknown + 1] = tostring(k) end
    end
    table.sort(unknown)
    if #unknown > 0 then parts[#parts + 1] = "unknown " .. table.concat(unknown, ", ") end
    return nil, table.concat(parts, "; ")
  end
  return args, notes
end

---------------------------------------------------------------------------
-- Model calls inside a step.

local function ask(self, text, max_tokens)
  local r, err, kind = self.llm:chat({
    messages = { { role = "user", content = text } },
    max_tokens = max_tokens or 1024, temperature = 0,
  })
  if not r then return nil, "the model call failed: " .. tostring(err), kind or "model" end
  return r.text or ""
end

-- The code in a model's reply: the first ```python (or any ```) block, or
-- the whole reply when it has none.
local function code_of(text)
  local body = text:match("```[Pp]ython[^\n]*\n(.-)\n?```") or text:match("```[^\n]*\n(.-)\n?```")
    or text:match("```[Pp]ython[^\n]*\n(.*)$")
  body = body or text
  if body ~= "" and body:sub(-1) ~= "\n" then body = body .. "\n" end
  return body
end

-- A resumed run fast-forwards through its trace without running the
-- steps; the model calls a skipped composite step made must be taken off
-- the resume prefix too, or the agent's next call would meet them.
local function skip_recorded_calls(run, n)
  local prefix = run.llm_prefix
  while prefix and prefix[1] and (prefix[1].step or 0) == n - 1 do
    table.remove(prefix, 1)
  end
end

local function split_lines(text)
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  local rest = text:match("([^\n]+)$")
  if rest then lines[#lines + 1] = rest end
  return lines
end

---------------------------------------------------------------------------
-- The actions.  IMPL[name](self, args) runs the action as one step and
-- returns value | nil, message, code; self.env.observation is then what
-- the step recorded.

local IMPL = {}

-- The primitives are ctx.env's own steps (same names, same trace lines).
IMPL["List Files"] = function(self, a) return self.env:list_files(a.dir_path) end
IMPL["Read File"] = function(self, a) return self.env:read_file(a.file_name) end
IMPL["Write File"] = function(self, a) return self.env:write_file(a.file_name, a.content) end
IMPL["Append File"] = function(self, a) return self.env:append_file(a.file_name, a.content) end
IMPL["Copy File"] = function(self, a) return self.env:copy_file(a.source, a.destination) end
IMPL["Execute Script"] = function(self, a) return self.env:execute(a.script_name) end
IMPL["Final Answer"] = function(self, a) return self.env:final_answer(a.final_answer) end
IMPL["Inspect Script Lines"] = function(self, a)
  return self.env:inspect_lines(a.script_name, a.start_line_number, a.end_line_number)
end

-- A step of our own: fn() runs inside it; on resume the step is answered
-- from the trace and the model calls it made are skipped.
local function composite(self, name, args, fn)
  local run = self._run
  return self.env:_step(name, args, fn, function(rec)
    skip_recorded_calls(run, rec.step)
    return true
  end)
end

IMPL["Undo Edit Script"] = function(self, a)
  local ws = self._run.ws
  return composite(self, "Undo Edit Script", { script_name = a.script_name }, function()
    local ok, err, code = ws:undo(a.script_name)
    if not ok then return nil, err, code end
    local text = ws:read(a.script_name)
    if not text then return true, ("The last edit of %s was undone: the file no longer exists."):format(a.script_name) end
    return true, ("Content of %s after undo of the most recent edit:\n%s"):format(a.script_name, text)
  end)
end

IMPL["Python REPL"] = function(self, a)
  local run = self._run
  return composite(self, "Python REPL", { command = a.command }, function()
    local r, err, code = exec.run({
      argv = { task_mod.PYTHON, "-c", a.command }, cwd = run.paths.workspace,
      timeout = run.task.timeout, mem_mb = run.task.memory_mb, procs = 512,
      out_cap = run.out_cap, sandbox = run.sandbox, hide = run.hide,
    })
    if not r then return nil, err, code end
    if r.deadline then host.exhaust("time") end
    local out = r.output
    if r.timed_out then out = out .. "\n[killed: time limit]"
    elseif r.status ~= 0 then out = out .. ("\n[exit status %d]"):format(r.status) end
    return true, out
  end)
end

IMPL["Understand File"] = function(self, a)
  local ws = self._run.ws
  return composite(self, "Understand File",
    { file_name = a.file_name, things_to_look_for = a.things_to_look_for }, function()
    local text, err, code = ws:read(a.file_name)
    if not text then return nil, err, code end
    local blocks = observation.chunks(text, M.BLOCK)
    if #blocks == 0 then return true, ("%s is empty."):format(a.file_name) end
    local answers = {}
    for i, b in ipairs(blocks) do
      local q = ("Given this (partial) file from line %d to line %d:\n\n```\n%s\n```\n\n"
        .. "Here is a detailed description of what to look for and what should be returned: %s\n\n"
        .. "Return a concise description, pointing at the relevant lines. Describe only what "
        .. "is objectively confirmed by the file; if something cannot be found in this "
        .. "segment, say so."):format(b.first, b.last, b.text, a.things_to_look_for)
      local ans, aerr, kind = ask(self, q)
      if not ans then return nil, aerr, kind end
      answers[i] = #blocks > 1 and ("Segment %d (lines %d-%d):\n%s"):format(i, b.first, b.last, ans) or ans
    end
    if #answers == 1 then return true, answers[1] end
    local q = ("Given the relevant observations for each segment of a file, summarise them into "
      .. "one cohesive description of the entire file on what to look for and what should be "
      .. "returned: %s\n\n%s"):format(a.things_to_look_for, table.concat(answers, "\n\n"))
    local merged, merr, kind = ask(self, q)
    if not merged then return nil, merr, kind end
    return true, merged
  end)
end

-- Asks the model to rewrite `code` by `instruction`; the new code.
local function ai_edit(self, code, instruction, what)
  local q = ("Given this python %s:\n\n```python\n%s\n```\n\n"
    .. "Edit the script by following the instruction:\n%s\n\n"
    .. "Provide the full code after the edit, making no other changes. Start the python "
    .. "code with \"```python\".\n"):format(what, (code:gsub("\n$", "")), instruction)
  local max = math.min(16000, 2 * tokens.estimate(code) + 1024)
  local text, err, kind = ask(self, q, max)
  if not text then return nil, err, kind end
  return code_of(text)
end

-- The diff is against the script the edit started from (the edit itself),
-- even when it is saved under another name.
local function saved(script_name, save_name, old, new)
  local d = diff.unified(old, new, { from = script_name, to = save_name })
  if d == "" then
    return ("The edited file is saved to %s. The edit changed nothing."):format(save_name)
  end
  return ("The edited file is saved to %s. Here is the diff, please check if the edit is "
    .. "correct and desirable:\n\n%s"):format(save_name, d)
end

IMPL["Edit Script (AI)"] = function(self, a)
  local ws = self._run.ws
  return composite(self, "Edit Script (AI)", { script_name = a.script_name,
      edit_instruction = a.edit_instruction, save_name = a.save_name }, function()
    -- A script that does not exist yet starts empty (the reference's rule).
    local old = ws:read(a.script_name) or ""
    local new, err, kind = ai_edit(self, old, a.edit_instruction, "script")
    if not new then return nil, err, kind end
    local ok, werr, code = ws:write(a.save_name, new) -- the old text stays for undo
    if not ok then return nil, werr, code end
    return true, saved(a.script_name, a.save_name, old, new)
  end)
end

IMPL["Edit Script Segment (AI)"] = function(self, a)
  local ws = self._run.ws
  return composite(self, "Edit Script Segment (AI)", { script_name = a.script_name,
      start_line_number = a.start_line_number, end_line_number = a.end_line_number,
      edit_instruction = a.edit_instruction, save_name = a.save_name }, function()
    local old, err, code = ws:read(a.script_name)
    if not old then return nil, err, code end
    local lines = split_lines(old)
    local first, last = a.start_line_number, math.min(a.end_line_number, #lines)
    if first < 1 or first > last then
      return nil, ("lines %d-%d are not in %s, which has %d lines"):format(
        a.start_line_number, a.end_line_number, a.script_name, #lines), "invalid"
    end
    local segment = table.concat(lines, "\n", first, last) .. "\n"
    local new_seg, merr, kind = ai_edit(self, segment, a.edit_instruction,
      ("script segment (lines %d to %d of %s)"):format(first, last, a.script_name))
    if not new_seg then return nil, merr, kind end
    local head = first > 1 and (table.concat(lines, "\n", 1, first - 1) .. "\n") or ""
    local tail = last < #lines and (table.concat(lines, "\n", last + 1, #lines) .. "\n") or ""
    local new = head .. new_seg .. tail
    local ok, werr, wcode = ws:write(a.save_name, new)
    if not ok then return nil, werr, wcode end
    return true, saved(a.script_name, a.save_name, old, new)
  end)
end

IMPL["Reflection"] = function(self, a)
  local ws, problem = self._run.ws, self._run.task.problem_text or ""
  return composite(self, "Reflection", { things_to_reflect_on = a.things_to_reflect_on }, function()
    local log = ws:read(M.LOG) or ""
    local q = ("We are trying to solve this research problem:\n%s\n\nYour current research log:\n"
      .. "```\n%s\n```\n\nReflect on this: %s\n\nGive an answer in natural language paragraphs "
      .. "as truthfully as possible."):format(problem, log, a.things_to_reflect_on)
    local ans, err, kind = ask(self, q)
    if not ans then return nil, err, kind end
    return true, "Reflection: " .. ans
  end)
end

IMPL["Append Summary to Research Log"] = function(self, a)
  local ws = self._run.ws
  return composite(self, "Append Summary to Research Log", { content = a.content }, function()
    local text = a.content
    if text:sub(-1) ~= "\n" then text = text .. "\n" end
    local ok, err, code = ws:append(M.LOG, text)
    if not ok then return nil, err, code end
    return true, "Successfully appended to research log"
  end)
end

IMPL["Retrieval from Research Log"] = function(self, a)
  local ws, problem = self._run.ws, self._run.task.problem_text or ""
  return composite(self, "Retrieval from Research Log", { current_plan = a.current_plan }, function()
    local log = ws:read(M.LOG) or ""
    if not log:find("%S") then return true, "The research log is empty." end
    -- A long log is narrowed to the entries that share words with the plan.
    if #log > 4 * M.BLOCK then log = research_log.relevant(log, a.current_plan, 4 * M.BLOCK) end
    local ans, err, kind = ask(self, research_log.retrieval_prompt(problem, a.current_plan, log))
    if not ans then return nil, err, kind end
    return true, ans
  end)
end

-- Bad input as a step of its own: the agent is told, the trace shows it.
local function refuse(self, name, input, msg)
  self.env.observation = nil
  self.env:_step(name, input, function() return nil, msg, "invalid" end)
  return self.env.observation or ("error: " .. msg)
end

local function raw(input)
  if type(input) == "table" or type(input) == "string" then return input end
  return tostring(input)
end

function Actions:run(name, input)
  local known, why = reply.match_action(type(name) == "string" and name or "", self:list())
  if not known then
    local msg = ("Invalid action: %s"):format(why)
    return refuse(self, "Invalid Action", { action = tostring(name), input = raw(input) }, msg),
      { ok = false, error = msg, code = "invalid" }
  end
  local e = BY_NAME[known]
  local args, err = validate(e, input)
  if args and known == "Inspect Script Lines" then
    local n = args.end_line_number - args.start_line_number + 1
    if n > M.MAX_INSPECT then
      args, err = nil, ("at most %d lines a call; lines %d-%d are %d lines"):format(
        M.MAX_INSPECT, args.start_line_number, args.end_line_number, n)
    end
  end
  if not args then
    local msg = ("The Action Input for %s is not valid: %s.\nIt takes:\n%s"):format(
      known, err, usage_text(e))
    return refuse(self, known, { input = raw(input) }, msg),
      { ok = false, action = known, error = msg, code = "invalid" }
  end
  self.env.observation = nil
  local v, ierr, code = IMPL[known](self, args)
  -- No observation: the step was refused before it ran (the run is over).
  local obs = self.env.observation or ("error: " .. tostring(ierr))
  if v == nil then
    return obs, { ok = false, action = known, error = ierr, code = code }
  end
  return obs, { ok = true, action = known, final = known == "Final Answer" or nil }
end

return M
