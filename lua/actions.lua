--[[ actions.lua - the action catalogue: every action an agent can take, by
the reference study's names (MLAgentBench), as data and implementation.

  local acts = require("actions").new(run, steps, llm)   -- host side
  local r = acts:call("Read File", { file_name = "x" })   -- one step
  -- r = { value, observation, error, code, step } (step.lua)
  ctx.actions = acts:door()        -- what agents get (sealed, see below)

The catalogue is data (name, description, args, returns) that prompts and
native tool specs are both built from, plus an implementation per entry:
run(h, a) -> value, observation [, result] | nil, message, code, and
revive(h, rec) to rebuild the value from a recorded step on resume.  Every
call is ONE step (step.lua): traced, committed, counted.  ctx.env
(env.lua) is the same catalogue behind Lua-shaped methods.

The agent's door, ctx.actions (a sealed object; no host state in reach):
  ctx.actions:run(name, input) -> observation, info
      input: a table or the model's Action Input text (read tolerantly);
      observation: always a string; info = { ok, action, error, code, final }
      Bad input (unknown action, unreadable JSON, a missing or mistyped
      argument) is a step whose observation says what was wrong and what is
      valid: it never ends the run.
  :list()  :specs([names])  :describe([names])  :get(name)
  :enable(name)  :disable(name)     (Python REPL and Edit File start off)
  :define{ name, description, args, returns, run = function(ctx, args) }
      adds an action of the agent's own: one step, its run() composed of
      ctx.env / ctx.actions calls that run inside that step (not steps of
      their own); it returns the observation text, or nil, message.
]]
local host = require("mlab.host")
local exec = require("mlab.exec")
local task_mod = require("task")
local plain = require("plain")
local action_input = require("action_input")
local reply = require("reply")
local prompt = require("prompt")
local diff = require("diff")
local observation = require("observation")
local research_log = require("research_log")
local tokens = require("tokens")

local M = {}

M.LOG = "research_log.log" -- the research log, in the workspace
M.MAX_INSPECT = 100         -- lines per Inspect Script Lines
M.BLOCK = 10000             -- characters per Understand File block

local FILE = "a file name, relative to the workspace"
local SCRIPT = "a script name, relative to the workspace"

---------------------------------------------------------------------------
-- Helpers of the implementations.

-- Lines first..last (1-based, inclusive; last defaults to the end).
local function split_lines(text)
  local lines = {}
  for line in text:gmatch("([^\n]*)\n") do lines[#lines + 1] = line end
  local rest = text:match("([^\n]+)$")
  if rest then lines[#lines + 1] = rest end
  return lines
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

local function ask(h, text, max_tokens)
  local r, err, kind = h.llm:chat({
    messages = { { role = "user", content = text } },
    max_tokens = max_tokens or 1024, temperature = 0,
  })
  if not r then return nil, "the model call failed: " .. tostring(err), kind or "model" end
  return r.text or ""
end

-- Asks the model to rewrite `code` by `instruction`; the new code.
local function ai_edit(h, code, instruction, what)
  local q = ("Given this python %s:\n\n```python\n%s\n```\n\n"
    .. "Edit the script by following the instruction:\n%s\n\n"
    .. "Provide the full code after the edit, making no other changes. Start the python "
    .. "code with \"```python\".\n"):format(what, (code:gsub("\n$", "")), instruction)
  local max = math.min(16000, 2 * tokens.estimate(code) + 1024)
  local text, err, kind = ask(h, q, max)
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

local function run_script(h, argv)
  local run = h.run
  local r, err, code = exec.run({
    argv = argv, cwd = run.paths.workspace, timeout = run.task.timeout,
    mem_mb = run.task.memory_mb, procs = 512, out_cap = run.out_cap,
    sandbox = true, unconfined = run.unconfined,
  })
  if not r then return nil, err, code end
  -- The run's time ran out while the script ran: this step is recorded,
  -- then the run stops.
  if r.deadline then host.stop("time") end
  return r
end

-- The run's disk cap (MLAB_DISK_MB) holds for the agent's own writes as
-- for its scripts (exec stops a script at the cap): a write that would take
-- the workspace past it is refused, and the agent may clean up and go on.
-- Writes up to SMALL_WRITE always pass, so a workspace a script left over
-- the cap can still get the script that cleans it (growth stays bounded by
-- the step budget).
local SMALL_WRITE = 64 * 1024
local function room(h, bytes)
  local cap = h.run.disk_mb
  if not cap or cap <= 0 or bytes <= SMALL_WRITE then return true end
  local use = exec.disk_usage(h.run.paths.workspace)
  if use and use.bytes + bytes > cap * 1048576 then
    return nil, ("the workspace would hold %.0f MB, more than the run's disk cap of %d MB: "
      .. "remove files first"):format((use.bytes + bytes) / 1048576, cap), "denied"
  end
  return true
end

-- A model-backed step skipped on resume: its recorded calls are taken off
-- the resume prefix, or the agent's next call would meet them.
local function skip_calls(h, rec)
  local prefix = h.run.llm_prefix
  while prefix and prefix[1] and (prefix[1].step or 0) == rec.step - 1 do
    table.remove(prefix, 1)
  end
  return true
end

---------------------------------------------------------------------------
-- The catalogue, in the reference study's order.  args[i] = { name, type
-- ("string" | "integer" | "strings"), description, optional, text (free
-- text: a list of strings is joined) }.  changes: what the action may
-- change in the workspace: a function of its arguments giving the paths,
-- "any" (a script ran), or nil (it changes nothing).

local CATALOGUE = {
  { name = "List Files", primitive = true,
    description = "Use this to navigate the file system.",
    args = { { name = "dir_path", type = "string",
               description = 'a folder relative to the workspace, such as "." or "data"' } },
    returns = "the files and folders in dir_path, one a line, or an error message",
    run = function(h, a)
      local names, err, code = h.ws:list(a.dir_path)
      if not names then return nil, err, code end
      return names, table.concat(names, "\n")
    end,
    revive = function(_, rec)
      local names = {}
      for name in rec.observation:gmatch("[^\n]+") do names[#names + 1] = name end
      return names
    end },
  { name = "Read File", primitive = true,
    description = "Use this to read an existing file.",
    args = { { name = "file_name", type = "string", description = FILE } },
    returns = "the contents of the file",
    run = function(h, a)
      local text, err, code = h.ws:read(a.file_name)
      if not text then return nil, err, code end
      return text, text
    end,
    revive = function(_, rec) return rec.observation end },
  { name = "Write File", primitive = true,
    changes = function(a) return { a.file_name } end,
    description = "Use this to write a file. If the file already exists, it will be overwritten.",
    args = { { name = "file_name", type = "string", description = FILE },
             { name = "content", type = "string", description = "the content to write", text = true } },
    returns = "a success message, or an error message",
    run = function(h, a)
      local ok, err, code = room(h, #a.content)
      if ok then ok, err, code = h.ws:write(a.file_name, a.content) end
      if not ok then return nil, err, code end
      return true, ("File %s written successfully."):format(a.file_name)
    end },
  { name = "Append File", primitive = true,
    changes = function(a) return { a.file_name } end,
    description = "Use this to append a file to a new location with a new name.",
    args = { { name = "file_name", type = "string", description = FILE },
             { name = "content", type = "string", description = "the content to append", text = true } },
    returns = "a success message, or an error message",
    run = function(h, a)
      local ok, err, code = room(h, #a.content)
      if ok then ok, err, code = h.ws:append(a.file_name, a.content) end
      if not ok then return nil, err, code end
      return true, ("File %s appended successfully."):format(a.file_name)
    end },
  { name = "Copy File", primitive = true,
    changes = function(a) return { a.destination } end,
    description = "Use this to copy a file to a new location with a new name.",
    args = { { name = "source", type = "string", description = FILE },
             { name = "destination", type = "string", description = FILE } },
    returns = "a success message, or an error message",
    run = function(h, a)
      local src = h.ws:resolve(a.source)
      local st = src and host.stat(src)
      local ok, err, code = room(h, st and st.size or 0)
      if ok then ok, err, code = h.ws:copy(a.source, a.destination) end
      if not ok then return nil, err, code end
      return true, ("File %s copied to %s."):format(a.source, a.destination)
    end },
  { name = "Undo Edit Script", primitive = true,
    changes = function(a) return { a.script_name } end,
    description = "Use this to undo the last edit of the script (restores the version before it).",
    args = { { name = "script_name", type = "string", description = SCRIPT } },
    returns = "the content of the script after the undo, or an error message",
    run = function(h, a)
      local ok, err, code = h.ws:undo(a.script_name)
      if not ok then return nil, err, code end
      local text = h.ws:read(a.script_name)
      if not text then
        return true, ("The last edit of %s was undone: the file no longer exists."):format(a.script_name)
      end
      return true, ("Content of %s after undo of the most recent edit:\n%s"):format(a.script_name, text)
    end },
  { name = "Execute Script", primitive = true,
    changes = "any",
    description = "Use this to execute the script. The script must already exist.",
    args = { { name = "script_name", type = "string", description = SCRIPT },
             { name = "arguments", type = "strings", optional = true, hidden = true,
               description = "command-line arguments for the script" } },
    returns = "the output of the script, or its errors",
    run = function(h, a)
      local path, perr, pcode = h.ws:resolve(a.script_name)
      if not path then return nil, perr, pcode end
      local st = host.stat(path)
      if not st or st.type ~= "file" then
        return nil, ("'%s' is not a file in the workspace"):format(a.script_name), "not_found"
      end
      local argv = task_mod.interpreter(a.script_name)
      for _, x in ipairs(a.arguments or {}) do argv[#argv + 1] = x end
      local r, err, code = run_script(h, argv)
      if not r then return nil, err, code end
      local res = { status = r.status, signal = r.signal, timed_out = r.timed_out,
                    truncated = r.truncated, output = r.output, duration = r.duration }
      return res, r.output .. exec_footer(r), { status = r.status, signal = r.signal,
        timed_out = r.timed_out, deadline = r.deadline, cancelled = r.cancelled,
        truncated = r.truncated }
    end,
    revive = function(_, rec)
      local r = rec.result or {}
      local out = rec.observation
      local footer = out:match("\n%[[^\n]*%]$")
      if footer and (r.cancelled or r.timed_out or (r.signal or 0) ~= 0 or (r.status or 0) ~= 0) then
        out = out:sub(1, #out - #footer)
      end
      return { status = math.tointeger(r.status), signal = math.tointeger(r.signal),
               timed_out = r.timed_out, truncated = r.truncated, output = out,
               duration = rec.duration_s }
    end },
  { name = "Python REPL", primitive = true, off = true,
    changes = "any",
    description = "A python REPL. Use this to execute single line python commands "
      .. "(each call runs in a fresh interpreter in the workspace).",
    args = { { name = "command", type = "string", description = "a valid python command", text = true } },
    returns = "the output of the command, or its errors",
    run = function(h, a)
      local r, err, code = run_script(h, { task_mod.PYTHON, "-c", a.command })
      if not r then return nil, err, code end
      return true, r.output .. exec_footer(r)
    end },
  { name = "Edit File", primitive = true, off = true,
    changes = function(a) return { a.file_name } end,
    description = "Use this to replace a range of lines of a file, or one exact piece of its "
      .. "text, with new text.",
    args = { { name = "file_name", type = "string", description = FILE },
             { name = "start_line_number", type = "integer", optional = true,
               description = "the first line to replace" },
             { name = "end_line_number", type = "integer", optional = true,
               description = "the last line to replace" },
             { name = "content", type = "string", optional = true, text = true,
               description = "the new text of those lines" },
             { name = "old_text", type = "string", optional = true, text = true,
               description = "or: the exact text to replace (it must occur once)" },
             { name = "new_text", type = "string", optional = true, text = true,
               description = "the text that replaces old_text" } },
    returns = "the diff of the edit, or an error message",
    run = function(h, a)
      local ws = h.ws
      local before = ws:read(a.file_name)
      local ok, err, code = room(h, #(a.content or a.new_text or ""))
      if not ok then return nil, err, code end
      if a.old_text ~= nil then
        if a.new_text == nil then return nil, "edit: old_text needs new_text", "invalid" end
        ok, err, code = ws:edit_string(a.file_name, a.old_text, a.new_text)
      elseif a.start_line_number and a.end_line_number and a.content then
        ok, err, code = ws:edit_lines(a.file_name, a.start_line_number, a.end_line_number, a.content)
      else
        return nil, "edit: give start_line_number, end_line_number and content, "
          .. "or old_text and new_text", "invalid"
      end
      if not ok then return nil, err, code end
      local after = ws:read(a.file_name) or ""
      return true, ("File %s edited. Here is the diff:\n%s"):format(a.file_name,
        diff.unified(before or "", after, { from = "a/" .. a.file_name, to = "b/" .. a.file_name }))
    end },
  { name = "Final Answer", primitive = true,
    description = "Use this to provide the final answer to the current task.",
    args = { { name = "final_answer", type = "string", text = true,
               description = "a detailed description of the final answer" } },
    returns = "nothing: the run ends",
    run = function(_, _) return true, "end" end },
  { name = "Understand File", model = true,
    description = "Use this to read the whole file and understand certain aspects. You should "
      .. "provide detailed description on what to look for and what should be returned. To get "
      .. "a better understanding of the file, you can use Inspect Script Lines action to inspect "
      .. "specific part of the file.",
    args = { { name = "file_name", type = "string", description = FILE },
             { name = "things_to_look_for", type = "string", text = true,
               description = "a detailed description of what to look for and what to return" } },
    returns = "a description of the relevant content and lines of the file",
    run = function(h, a)
      local text, err, code = h.ws:read(a.file_name)
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
        local ans, aerr, kind = ask(h, q)
        if not ans then return nil, aerr, kind end
        answers[i] = #blocks > 1 and ("Segment %d (lines %d-%d):\n%s"):format(i, b.first, b.last, ans) or ans
      end
      if #answers == 1 then return true, answers[1] end
      local q = ("Given the relevant observations for each segment of a file, summarise them into "
        .. "one cohesive description of the entire file on what to look for and what should be "
        .. "returned: %s\n\n%s"):format(a.things_to_look_for, table.concat(answers, "\n\n"))
      local merged, merr, kind = ask(h, q)
      if not merged then return nil, merr, kind end
      return true, merged
    end },
  { name = "Append Summary to Research Log",
    changes = function() return { M.LOG } end,
    description = "Append to the summary of previous step to research log",
    args = { { name = "content", type = "string", text = true,
               description = "a string within 500 characters" } },
    returns = "a success message, or an error message",
    run = function(h, a)
      local text = a.content
      if text:sub(-1) ~= "\n" then text = text .. "\n" end
      local ok, err, code = h.ws:append(M.LOG, text)
      if not ok then return nil, err, code end
      return true, "Successfully appended to research log"
    end },
  { name = "Inspect Script Lines",
    description = "Use this to inspect specific part of a python script precisely, or the full "
      .. "content of a short script. The number of lines to display is limited to "
      .. M.MAX_INSPECT .. " lines. This is especially helpful when debugging.",
    args = { { name = "script_name", type = "string", description = SCRIPT },
             { name = "start_line_number", type = "integer", description = "the first line, from 1" },
             { name = "end_line_number", type = "integer", description = "the last line" } },
    returns = "the lines asked for, and the line where the file ends",
    run = function(h, a)
      local text, err, code = h.ws:read(a.script_name)
      if not text then return nil, err, code end
      local lines = split_lines(text)
      local n = #lines
      local first, last = a.start_line_number, math.min(a.end_line_number or n, n)
      if first < 1 or first > math.max(n, 1) or last < first then
        return nil, ("lines %d-%d are not in the file, which has %d lines"):format(
          first, a.end_line_number or n, n), "invalid"
      end
      local part = n == 0 and "" or table.concat(lines, "\n", first, last) .. "\n"
      return part, ("Here are the lines (the file ends at line %d):\n\n%s"):format(n, part)
    end,
    revive = function(_, rec) return (rec.observation:match("^.-\n\n(.*)$")) end },
  { name = "Edit Script (AI)", model = true,
    changes = function(a) return { a.save_name } end,
    description = "Use this to do a relatively large but cohesive edit over a python script. "
      .. "Instead of editing the script directly, you should describe the edit instruction so "
      .. "that another AI can help you do this.",
    args = { { name = "script_name", type = "string",
               description = SCRIPT .. "; an empty script is created if it does not exist" },
             { name = "edit_instruction", type = "string", text = true,
               description = "a detailed step by step description of how to edit it" },
             { name = "save_name", type = "string", description = "where to save the edited script" } },
    returns = "the diff of the edit; check that it is correct and desirable",
    run = function(h, a)
      -- A script that does not exist yet starts empty (the reference's rule).
      local old = h.ws:read(a.script_name) or ""
      local new, err, kind = ai_edit(h, old, a.edit_instruction, "script")
      if not new then return nil, err, kind end
      local ok, werr, code = room(h, #new)
      if ok then ok, werr, code = h.ws:write(a.save_name, new) end -- the old text stays for undo
      if not ok then return nil, werr, code end
      return true, saved(a.script_name, a.save_name, old, new)
    end },
  { name = "Edit Script Segment (AI)", model = true,
    changes = function(a) return { a.save_name } end,
    description = "Use this to do a relatively large but cohesive edit over a segment of a long "
      .. "python script (a range of its lines), described by an instruction another AI follows.",
    args = { { name = "script_name", type = "string", description = SCRIPT },
             { name = "start_line_number", type = "integer", description = "the first line of the segment" },
             { name = "end_line_number", type = "integer", description = "the last line of the segment" },
             { name = "edit_instruction", type = "string", text = true,
               description = "a detailed step by step description of how to edit it" },
             { name = "save_name", type = "string", description = "where to save the edited script" } },
    returns = "the diff of the edit; check that it is correct and desirable",
    run = function(h, a)
      local old, err, code = h.ws:read(a.script_name)
      if not old then return nil, err, code end
      local lines = split_lines(old)
      local first, last = a.start_line_number, math.min(a.end_line_number, #lines)
      if first < 1 or first > last then
        return nil, ("lines %d-%d are not in %s, which has %d lines"):format(
          a.start_line_number, a.end_line_number, a.script_name, #lines), "invalid"
      end
      local segment = table.concat(lines, "\n", first, last) .. "\n"
      local new_seg, merr, kind = ai_edit(h, segment, a.edit_instruction,
        ("script segment (lines %d to %d of %s)"):format(first, last, a.script_name))
      if not new_seg then return nil, merr, kind end
      local head = first > 1 and (table.concat(lines, "\n", 1, first - 1) .. "\n") or ""
      local tail = last < #lines and (table.concat(lines, "\n", last + 1, #lines) .. "\n") or ""
      local new = head .. new_seg .. tail
      local ok, werr, wcode = room(h, #new)
      if ok then ok, werr, wcode = h.ws:write(a.save_name, new) end
      if not ok then return nil, werr, wcode end
      return true, saved(a.script_name, a.save_name, old, new)
    end },
  { name = "Reflection", model = true,
    description = "Use this to look over all the past steps and reflect. You should provide "
      .. "detailed description on what to reflect on and what should be returned.",
    args = { { name = "things_to_reflect_on", type = "string", text = true,
               description = "a detailed description of what to reflect on and what to return" } },
    returns = "the reflection",
    run = function(h, a)
      local log = h.ws:read(M.LOG) or ""
      local q = ("We are trying to solve this research problem:\n%s\n\nYour current research log:\n"
        .. "```\n%s\n```\n\nReflect on this: %s\n\nGive an answer in natural language paragraphs "
        .. "as truthfully as possible."):format(h.problem, log, a.things_to_reflect_on)
      local ans, err, kind = ask(h, q)
      if not ans then return nil, err, kind end
      return true, "Reflection: " .. ans
    end },
  { name = "Retrieval from Research Log", model = true,
    description = "Use this to retrieve relevant information from the research log. You should "
      .. "provide detailed description on what to look for and what should be returned.",
    args = { { name = "current_plan", type = "string", text = true,
               description = "a detailed description of the current research plan and status" } },
    returns = "the relevant content of the research log",
    run = function(h, a)
      local log = h.ws:read(M.LOG) or ""
      if not log:find("%S") then return true, "The research log is empty." end
      -- A long log is narrowed to the entries that share words with the plan.
      if #log > 4 * M.BLOCK then log = research_log.relevant(log, a.current_plan, 4 * M.BLOCK) end
      local ans, err, kind = ask(h, research_log.retrieval_prompt(h.problem, a.current_plan, log))
      if not ans then return nil, err, kind end
      return true, ans
    end },
}

M.CATALOGUE = CATALOGUE

---------------------------------------------------------------------------
-- Validation: input -> arguments of the right types, or what is wrong.

-- A value as the argument type wants it, or nil, why not.
local function coerce(a, v)
  if a.type == "integer" then
    local n = math.tointeger(v) or (type(v) == "string" and math.tointeger(tonumber(v)))
    if n then return n end
    return nil, ("%s must be a whole number, not %s"):format(a.name,
      type(v) == "string" and ("%q"):format(v) or type(v))
  end
  if a.type == "strings" then
    if type(v) == "string" then return { v } end
    if type(v) == "table" then
      local out = {}
      for i = 1, #v do
        if type(v[i]) ~= "string" and type(v[i]) ~= "number" then
          return nil, ("%s must be a list of strings"):format(a.name)
        end
        out[i] = tostring(v[i])
      end
      return out
    end
    return nil, ("%s must be a list of strings, not a %s"):format(a.name, type(v))
  end
  if type(v) == "string" then return v end
  if type(v) == "number" then return tostring(v) end
  if type(v) == "table" and #v > 0 and next(v, #v) == nil then
    local all = true
    for i = 1, #v do all = all and type(v[i]) == "string" end
    -- A list of one name (models write {"dir_path": ["."]}); free text
    -- given as a list of strings (models write "things_to_look_for":
    -- ["the model", "the metric"]) is those strings, a line each.
    if all and (#v == 1 or a.text) then return table.concat(v, "\n") end
  end
  return nil, ("%s must be a string, not a %s"):format(a.name,
    type(v) == "table" and (#v > 0 and "list" or "JSON object") or type(v))
end

local function validate(e, input)
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
  if e.name == "Inspect Script Lines" and args.end_line_number then
    local n = args.end_line_number - args.start_line_number + 1
    if n > M.MAX_INSPECT then
      return nil, ("at most %d lines a call; lines %d-%d are %d lines"):format(
        M.MAX_INSPECT, args.start_line_number, args.end_line_number, n)
    end
  end
  return args
end

---------------------------------------------------------------------------
-- The host side.

local H = {}
H.__index = H

-- run: run.lua's run (ws, task, paths, ...); steps: step.lua's; llm: ctx.llm
function M.new(run, steps, llm)
  local h = setmetatable({ run = run, steps = steps, llm = llm, ws = run.ws,
    problem = run.task.problem_text or "", entries = {}, order = {}, enabled = {} }, H)
  for _, e in ipairs(CATALOGUE) do
    h.entries[e.name] = e
    h.order[#h.order + 1] = e.name
    h.enabled[e.name] = not e.off
  end
  return h
end

function H:entry(name) return self.entries[name] end

local function public(e)
  local args = {}
  for _, a in ipairs(e.args) do
    if not a.hidden then
      args[#args + 1] = { name = a.name, type = a.type, description = a.description,
                          optional = a.optional }
    end
  end
  return { name = e.name, description = e.description, args = args, returns = e.returns }
end

function H:list()
  local out = {}
  for _, n in ipairs(self.order) do
    if self.enabled[n] then out[#out + 1] = n end
  end
  return out
end

-- Runs action `name` with validated args as one step; inside another step
-- (an agent-defined action composing others) it runs as part of that step.
function H:call(name, args)
  local e = assert(self.entries[name], name)
  local function fn()
    if e.agent_run then return self:run_defined(e, args) end
    return e.run(self, args)
  end
  if self.inside then
    if name == "Final Answer" then
      return { error = "Final Answer cannot be given inside another action", code = "denied" }
    end
    local v, obs, extra = fn()
    if v == nil then return { error = tostring(obs), code = extra, observation = "error: " .. tostring(obs) } end
    return { value = v, observation = obs }
  end
  local revive = e.revive and function(rec) return e.revive(self, rec) end
  if e.model or e.agent_run then revive = function(rec) return skip_calls(self, rec) end end
  if e.agent_run then
    revive = function(rec) skip_calls(self, rec); return rec.observation end
  end
  local r = self.steps:take(name, args, fn, revive, e.agent_run ~= nil)
  if name == "Final Answer" and r.value then
    self.run.final_answer = args.final_answer
    self.steps:finish_answer()
  end
  return r
end

-- Bad input as a step of its own: the agent is told, the trace shows it.
function H:refuse(name, input, msg)
  return self.steps:take(name, input, function() return nil, msg, "invalid" end)
end

-- An agent-defined action: its run(ctx, args) is agent code; the calls it
-- makes to ctx.env / ctx.actions run inside this step.
function H:run_defined(e, args)
  self.inside = true
  local ok, obs, err = pcall(e.agent_run, self.ctx, plain.readonly(args))
  self.inside = false
  if not ok then error(obs, 0) end
  if obs == nil then
    return nil, type(err) == "string" and err or "the action failed", "failed"
  end
  if type(obs) ~= "string" then
    return nil, e.name .. ": run must return the observation text, not a " .. type(obs), "invalid"
  end
  return obs, obs
end

local function raw(input)
  if type(input) == "table" or type(input) == "string" then return input end
  return tostring(input)
end

-- ctx.actions:run(name, input): the tolerant door for model output.
function H:run_text(name, input)
  local known, why = reply.match_action(type(name) == "string" and name or "", self:list())
  if not known then
    local msg = ("Invalid action: %s"):format(why)
    local r = self:refuse("Invalid Action", { action = tostring(name), input = raw(input) }, msg)
    return r.observation or ("error: " .. msg), { ok = false, error = msg, code = "invalid" }
  end
  local e = self.entries[known]
  local args, err = validate(e, input)
  if not args then
    local msg = ("The Action Input for %s is not valid: %s.\nIt takes:\n%s"):format(
      known, err, prompt.usage(public(e)))
    local r = self:refuse(known, { input = raw(input) }, msg)
    return r.observation or ("error: " .. msg), { ok = false, action = known, error = msg, code = "invalid" }
  end
  local r = self:call(known, args)
  -- No observation: the step was refused before it ran (the run is over).
  local obs = r.observation or ("error: " .. tostring(r.error))
  if r.error then
    return obs, { ok = false, action = known, error = r.error, code = r.code }
  end
  return obs, { ok = true, action = known, final = known == "Final Answer" or nil }
end

local function check_name(self, name)
  if type(name) ~= "string" or not self.entries[name] then
    error("actions: no action named '" .. tostring(name) .. "'", 3)
  end
end

-- ctx.actions:define{...}: an action of the agent's own.
function H:define(spec)
  local fn = rawget(spec, "run")
  local fields = {}
  for _, k in ipairs({ "name", "description", "args", "returns" }) do fields[k] = rawget(spec, k) end
  local s, err = plain.copy(fields, "define")
  if not s then error(err, 3) end
  if type(s.name) ~= "string" or not s.name:match("^[%w][%w _%-%(%)]*$") or #s.name > 64 then
    error("define: name must be a short name of letters, digits, spaces, '-', '_' or '()'", 3)
  end
  if self.entries[s.name] then error("define: '" .. s.name .. "' is already an action", 3) end
  if type(fn) ~= "function" then error("define: run must be a function(ctx, args)", 3) end
  if type(s.description) ~= "string" then error("define: description must be a string", 3) end
  local args = {}
  for i, a in ipairs(s.args or {}) do
    if type(a) ~= "table" or type(a.name) ~= "string" then
      error("define: args[" .. i .. "] needs a name", 3)
    end
    local ty = a.type or "string"
    if ty ~= "string" and ty ~= "integer" and ty ~= "strings" then
      error("define: args[" .. i .. "].type must be string, integer or strings", 3)
    end
    args[i] = { name = a.name, type = ty, description = tostring(a.description or ""),
                optional = a.optional == true, text = ty == "string" }
  end
  local e = { name = s.name, description = s.description, args = args,
              returns = type(s.returns) == "string" and s.returns or "the observation",
              agent_run = fn, defined = true }
  self.entries[e.name] = e
  self.order[#self.order + 1] = e.name
  self.enabled[e.name] = true
  return e.name
end

---------------------------------------------------------------------------
-- The agent's door.

function M.door(h)
  local methods = {
    run = function(_, name, input)
      local copy, err = plain.copy(input, "Action Input")
      if err then error(err, 2) end
      return h:run_text(name, copy)
    end,
    list = function() return h:list() end,
    get = function(_, name)
      local e = type(name) == "string" and h.entries[name]
      return e and public(e) or nil
    end,
    specs = function(_, names)
      local out = {}
      local list = names ~= nil and assert(plain.copy(names, "names")) or h:list()
      for _, n in ipairs(list) do
        check_name(h, n)
        out[#out + 1] = public(h.entries[n])
      end
      return out
    end,
    enable = function(_, name) check_name(h, name); h.enabled[name] = true end,
    disable = function(_, name) check_name(h, name); h.enabled[name] = false end,
    define = function(_, spec)
      if type(spec) ~= "table" then error("define: expected a table { name, description, args, run }", 2) end
      return h:define(spec)
    end,
  }
  methods.describe = function(self, names)
    return prompt.describe_actions(methods.specs(self, names))
  end
  return host.seal(methods, "ctx.actions")
end

return M
